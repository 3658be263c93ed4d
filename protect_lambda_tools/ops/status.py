"""Per protected function: alarm states and the violation count over a window (``protect-lambda status``).

Counts come from GetMetricData on the violations metric
(:data:`~protect_lambda.contract.METRIC_NAMESPACE` /
:data:`~protect_lambda.contract.METRIC_NAME`, dimension
:data:`~protect_lambda.contract.METRIC_DIMENSION` = function name), statistic
``Sum``, at the finest period CloudWatch keeps for the window's age (1 minute up
to a day, 5 minutes up to 15 days, 1 hour beyond), summed.

Example:
    >>> period_for(timedelta(hours=24)), period_for(timedelta(days=7)), period_for(timedelta(days=30))
    (60, 300, 3600)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from protect_lambda import contract
from protect_lambda_tools.ops.discovery import ProtectedFunction

if TYPE_CHECKING:  # pragma: no cover
    from mypy_boto3_cloudwatch import CloudWatchClient

#: GetMetricData accepts at most this many queries per call.
MAX_QUERIES = 500


def period_for(window: timedelta) -> int:
    """The metric period (seconds) used for a window."""
    if window <= timedelta(days=1):
        return 60
    if window <= timedelta(days=15):
        return 300
    return 3600


def violation_counts(
    cloudwatch: CloudWatchClient,
    function_names: Sequence[str],
    start: datetime,
    end: datetime,
) -> dict[str, float]:
    """The sum of the violations metric per function between ``start`` and ``end``."""
    period = period_for(end - start)
    totals: dict[str, float] = {name: 0.0 for name in function_names}
    for offset in range(0, len(function_names), MAX_QUERIES):
        batch = list(function_names[offset : offset + MAX_QUERIES])
        ids = {f"m{index}": name for index, name in enumerate(batch)}
        queries: list[Any] = [
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": contract.METRIC_NAMESPACE,
                        "MetricName": contract.METRIC_NAME,
                        "Dimensions": [{"Name": contract.METRIC_DIMENSION, "Value": name}],
                    },
                    "Period": period,
                    "Stat": "Sum",
                },
                "ReturnData": True,
            }
            for query_id, name in ids.items()
        ]
        paginator = cloudwatch.get_paginator("get_metric_data")
        for page in paginator.paginate(MetricDataQueries=queries, StartTime=start, EndTime=end):
            for result in page.get("MetricDataResults", []):
                name = ids.get(result.get("Id", ""))
                if name is not None:
                    totals[name] += float(sum(result.get("Values", [])))
    return totals


@dataclass(frozen=True)
class FunctionStatus:
    """What ``status`` reports for one function."""

    function: ProtectedFunction
    violations: float


def collect(
    cloudwatch: CloudWatchClient,
    functions: Sequence[ProtectedFunction],
    start: datetime,
    end: datetime,
) -> list[FunctionStatus]:
    """The status of each function over ``start``..``end``."""
    counts = violation_counts(cloudwatch, [f.name for f in functions], start, end)
    return [FunctionStatus(f, counts.get(f.name, 0.0)) for f in functions]


def _alarm_summary(function: ProtectedFunction) -> str:
    if not function.alarms:
        return "no alarm"
    return ", ".join(f"{a.name}={a.state}" for a in function.alarms)


def _count(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def format_table(statuses: Sequence[FunctionStatus], window: str) -> str:
    """A table: function, mode, violations over the window, alarms and their states, log group.

    Example:
        >>> fn = ProtectedFunction("orders", "/aws/lambda/orders", "block")
        >>> print(format_table([FunctionStatus(fn, 3.0)], "24h"))
        FUNCTION  MODE   VIOLATIONS (24h)  ALARMS    LOG GROUP
        orders    block  3                 no alarm  /aws/lambda/orders
    """
    header = ("FUNCTION", "MODE", f"VIOLATIONS ({window})", "ALARMS", "LOG GROUP")
    rows = [header] + [
        (
            s.function.name,
            s.function.mode,
            _count(s.violations),
            _alarm_summary(s.function),
            s.function.log_group,
        )
        for s in statuses
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    )


def format_json(statuses: Sequence[FunctionStatus], start: datetime, end: datetime) -> str:
    """The statuses as one JSON document."""
    return json.dumps(
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "functions": [
                {
                    "function_name": s.function.name,
                    "mode": s.function.mode,
                    "log_group": s.function.log_group,
                    "violations": s.violations,
                    "alarms": [
                        {"name": a.name, "state": a.state, "actions_enabled": a.actions_enabled}
                        for a in s.function.alarms
                    ],
                    "metric_filters": [m.name for m in s.function.metric_filters],
                }
                for s in statuses
            ],
        },
        indent=2,
    )
