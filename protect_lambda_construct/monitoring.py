"""Violations as a CloudWatch metric: the metric filter, the metric and the alarm.

The filter pattern, namespace, metric name and dimension all come from
:mod:`protect_lambda.contract`, the same module the guard uses to print its
records, so the filter matches exactly what the guard writes. The pattern names
the function and the stack's seal (:mod:`protect_lambda_construct.seal`): only
records the guard wrote for this function count, never a line its handler
prints. The metric has one dimension, the function name, taken from the
record's ``function_name`` field (which the pattern pins, so no record can put
another name there); the alarm watches the metric with exactly that dimension.

Example:
    >>> metric = violations_metric(function.function_name)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from constructs import Construct

from protect_lambda import contract

from .options import AlarmOptions


def violations_metric(
    function_name: str,
    *,
    period: Optional[Duration] = None,
    statistic: str = "Sum",
    label: Optional[str] = None,
) -> cloudwatch.Metric:
    """The violations metric of one protected function (Sum over 5 minutes by default).

    Example:
        >>> violations_metric("orders").metric_name
        'Violations'
    """
    return cloudwatch.Metric(
        namespace=contract.METRIC_NAMESPACE,
        metric_name=contract.METRIC_NAME,
        dimensions_map={contract.METRIC_DIMENSION: function_name},
        statistic=statistic,
        period=period or Duration.minutes(5),
        unit=cloudwatch.Unit.COUNT,
        label=label,
    )


def violations_metric_filter(
    scope: Construct, construct_id: str, log_group: logs.ILogGroup, *, function_name: str, seal: str
) -> logs.MetricFilter:
    """A metric filter counting the guard's sealed Violation records of ``function_name`` in ``log_group``."""
    return logs.MetricFilter(
        scope,
        construct_id,
        log_group=log_group,
        filter_pattern=logs.FilterPattern.literal(contract.violation_filter_pattern(function_name, seal)),
        metric_namespace=contract.METRIC_NAMESPACE,
        metric_name=contract.METRIC_NAME,
        metric_value="1",
        dimensions={contract.METRIC_DIMENSION: f"$.{contract.METRIC_DIMENSION_FIELD}"},
        unit=cloudwatch.Unit.COUNT,
    )


def violations_alarm(
    scope: Construct,
    construct_id: str,
    *,
    function_name: str,
    display_name: str,
    options: AlarmOptions,
) -> cloudwatch.Alarm:
    """An alarm that fires when violations reach the threshold within the period."""
    metric = violations_metric(function_name, period=options.period)
    return cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=options.threshold,
        evaluation_periods=options.evaluation_periods,
        datapoints_to_alarm=options.evaluation_periods,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=(
            f"protect-lambda: {display_name} recorded at least {options.threshold} "
            f"violation(s) in {options.period_minutes} minute(s). "
            "List them with: protect-lambda violations --function <function name>"
        ),
    )
