"""``ProtectedFunction``: an ``aws_lambda.Function`` with the guard and its alerting chain.

Example:
    >>> from aws_cdk import aws_lambda as lambda_
    >>> fn = ProtectedFunction(stack, "Orders",  # doctest: +SKIP
    ...     runtime=lambda_.Runtime.PYTHON_3_13,
    ...     handler="orders.handler",
    ...     code=lambda_.Code.from_asset("src"),
    ...     alerts=AlertOptions(emails=["oncall@example.com"]))
    >>> fn.alarm  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .eligibility import runtime_ineligibility
from .options import (
    AlarmOptions,
    AlertOptions,
    DashboardOptions,
    GuardOptions,
    ProtectionError,
    ProtectionOptions,
)
from .protection import Protection, protect


class ProtectedFunction(lambda_.Function):
    """A Lambda function whose events and responses pass through the protect-lambda guard.

    Takes every prop of ``aws_lambda.Function`` (``runtime``, ``handler``, ``code``, ...)
    and is usable wherever a ``Function`` is (grants, event sources, aliases), plus:

    :param guard: the runtime guard. Default: ``GuardOptions()``: block, fail open, built-in rules.
    :param alarm: the violations alarm. Default: ``AlarmOptions()``: Sum ≥ 1 over 5 minutes,
        one evaluation period, missing data not breaching.
    :param alerts: the SNS topic and subscriptions. Default: the stack's shared topic, no subscribers.
    :param dashboard: the dashboard. Default: the stack's shared dashboard.
    :param log_retention: retention of the function's log group, which this construct
        creates. Default: ``RetentionDays.ONE_MONTH``.
    :param log_removal_policy: what happens to that log group when it leaves the stack.
        Default: ``RemovalPolicy.RETAIN``.
    :param shared_in: a stack holding one alert topic and one set of dashboards for the app's
        stacks in its account and region. Default: this stack's own (see ``ProtectionOptions``).

    The function's handler is redirected into the guard
    (``protect_lambda.wrapper.handler``); the original handler is kept in the
    ``PROTECT_LAMBDA_ORIGINAL_HANDLER`` environment variable.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        guard: GuardOptions | None = None,
        alarm: AlarmOptions | None = None,
        alerts: AlertOptions | None = None,
        dashboard: DashboardOptions | None = None,
        log_retention: logs.RetentionDays | None = None,
        log_removal_policy: RemovalPolicy | None = None,
        shared_in: Stack | None = None,
        **function_props: Any,
    ) -> None:
        options = ProtectionOptions(
            guard=guard or GuardOptions(),
            alarm=alarm or AlarmOptions(),
            alerts=alerts or AlertOptions(),
            dashboard=dashboard or DashboardOptions(),
            log_retention=log_retention or logs.RetentionDays.ONE_MONTH,
            log_removal_policy=log_removal_policy or RemovalPolicy.RETAIN,
            shared_in=shared_in,
        )
        _check_function_props(construct_id, function_props, log_retention)
        log_group = function_props.pop("log_group", None)
        if log_group is None:
            log_group = logs.LogGroup(scope, f"{construct_id}LogGroup", retention=options.log_retention,
                                      removal_policy=options.log_removal_policy)
        super().__init__(scope, construct_id, log_group=log_group, **function_props)
        self.protection: Protection = protect(self, options=options, log_group=log_group)

    @property
    def violations_alarm(self) -> cloudwatch.Alarm | None:
        """The alarm on violations, or ``None`` when ``alarm.enabled`` is false."""
        return self.protection.alarm

    @property
    def alarm(self) -> cloudwatch.Alarm | None:
        """Alias of :attr:`violations_alarm`."""
        return self.protection.alarm

    @property
    def alert_topic(self) -> sns.ITopic:
        """The SNS topic the alarm notifies."""
        return self.protection.topic

    @property
    def violations_filter(self) -> logs.MetricFilter:
        """The metric filter that counts Violation records."""
        return self.protection.metric_filter

    def metric_violations(
        self, *, period: Duration | None = None, statistic: str = "Sum", label: str | None = None
    ) -> cloudwatch.Metric:
        """The violations metric of this function (Sum over the alarm period by default).

        Example:
            >>> fn.metric_violations(period=Duration.hours(1))  # doctest: +SKIP
        """
        return self.protection.metric_violations(period=period, statistic=statistic, label=label)


def _check_function_props(construct_id: str, props: dict[str, Any], log_retention: Any) -> None:
    """Fail early, naming the prop, on Function props the guard cannot work with."""
    runtime = props.get("runtime")
    if runtime is None:
        raise ProtectionError(f"{construct_id}: runtime: required, e.g. Runtime.PYTHON_3_13")
    handler = props.get("handler")
    if handler is None:
        raise ProtectionError(f"{construct_id}: handler: required, e.g. 'app.handler'")
    if handler == lambda_.Handler.FROM_IMAGE or isinstance(props.get("code"), lambda_.EcrImageCode):
        raise ProtectionError(
            f"{construct_id}: code: container image functions are not supported yet (the guard "
            "is a layer, and images do not load layers); use a zip-packaged Python function")
    reason = runtime_ineligibility(runtime)
    if reason is not None:
        raise ProtectionError(f"{construct_id}: {reason}")
    if props.get("log_group") is not None and log_retention is not None:
        raise ProtectionError(
            f"{construct_id}: log_retention: cannot be combined with log_group; set the retention "
            "on your log group, or drop log_group and let ProtectedFunction create one")
