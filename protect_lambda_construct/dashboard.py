"""The violations dashboard: shared by a stack's protected functions, split when it grows.

A stack's dashboard opens with an overview (violations of all its protected
functions on one graph, violations by category and the latest violations from
Logs Insights across their log groups), then one row per function: its
violations graph and its alarm status. A dashboard holds at most
:data:`MAX_FUNCTIONS_PER_DASHBOARD` functions, which keeps it far below
CloudWatch's 500 widgets and within the 50 log groups one Logs Insights query
may read; the next functions go to ``ProtectLambdaDashboard2`` and so on. A
dashboard the user passes in gets the per-function rows only.

Example:
    >>> stack_dashboard(stack).add_function(  # doctest: +SKIP
    ...     title="Orders", metric=metric, alarm=alarm, threshold=1, log_group_name=name)
"""

from __future__ import annotations

from typing import Any, Optional

import jsii
from aws_cdk import Aws, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct, IConstruct

from protect_lambda import contract

DASHBOARD_ID = "ProtectLambdaDashboard"
#: Functions per dashboard: 2 widgets each plus 4 overview widgets, and one Logs
#: Insights query over all their log groups (CloudWatch allows 50 per query).
MAX_FUNCTIONS_PER_DASHBOARD = 50

GRAPH_WIDTH = 12
ROW_HEIGHT = 6

_E = contract
LATEST_VIOLATIONS_QUERY = (
    f"fields @timestamp, {_E.FIELD_FUNCTION_NAME}, {_E.FIELD_ACTION}, {_E.FIELD_DIRECTION}, "
    f"{_E.FIELD_RULE_ID}, {_E.FIELD_CATEGORY}, {_E.FIELD_LOCATION}, {_E.FIELD_REQUEST_ID}"
    f" | filter {_E.FIELD_EVENT} = '{_E.VIOLATION_MARKER}'"
    " | sort @timestamp desc | limit 100"
)
BY_CATEGORY_QUERY = (
    f"filter {_E.FIELD_EVENT} = '{_E.VIOLATION_MARKER}'"
    f" | stats count(*) as violations by {_E.FIELD_CATEGORY}"
    " | sort violations desc"
)


@jsii.implements(cloudwatch.IWidget)
class LogsInsightsWidget:
    """A Logs Insights widget whose log groups are added until the dashboard is rendered.

    ``aws_cloudwatch.LogQueryWidget`` takes its log groups when it is created; this
    widget renders them at synth, so that functions protected later still join it.
    """

    def __init__(self, *, title: str, query: str, view: str = "table",
                 width: int = 24, height: int = ROW_HEIGHT) -> None:
        self._title = title
        self._query = query
        self._view = view
        self._width = width
        self._height = height
        self._x: Optional[float] = None
        self._y: Optional[float] = None
        self.log_group_names: list[str] = []

    @property
    def width(self) -> jsii.Number:
        return self._width

    @property
    def height(self) -> jsii.Number:
        return self._height

    @property
    def warnings(self) -> Optional[list[str]]:
        return None

    @property
    def warnings_v2(self) -> Optional[dict[str, str]]:
        return None

    def position(self, x: jsii.Number, y: jsii.Number) -> None:
        self._x, self._y = x, y

    def add_log_group(self, name: str) -> None:
        """Include the log group ``name`` in the query."""
        self.log_group_names.append(name)

    def to_json(self) -> list[Any]:
        sources = " | ".join(f"SOURCE '{name}'" for name in self.log_group_names)
        widget: dict[str, Any] = {
            "type": "log",
            "width": self._width,
            "height": self._height,
            "properties": {
                "query": f"{sources} | {self._query}",
                "region": Aws.REGION,
                "title": self._title,
                "view": self._view,
            },
        }
        if self._x is not None and self._y is not None:
            widget["x"], widget["y"] = self._x, self._y
        return [widget]


class ProtectionDashboard(Construct):
    """One shared violations dashboard of a stack, with its overview widgets.

    :param dashboard_name: name of the CloudWatch dashboard. Default: generated.
    """

    def __init__(self, scope: Construct, construct_id: str, *, dashboard_name: Optional[str] = None) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Resource", dashboard_name=dashboard_name)
        self.function_count = 0
        self.overview = cloudwatch.GraphWidget(
            title="Violations: all protected functions",
            width=GRAPH_WIDTH,
            height=ROW_HEIGHT,
            stacked=True,
            left_y_axis=cloudwatch.YAxisProps(min=0, label="violations", show_units=False),
        )
        self.by_category = LogsInsightsWidget(title="Violations by category", query=BY_CATEGORY_QUERY,
                                              view="bar", width=GRAPH_WIDTH)
        self.latest = LogsInsightsWidget(title="Latest violations", query=LATEST_VIOLATIONS_QUERY,
                                         height=8)
        self.dashboard.add_widgets(self.overview, self.by_category)
        self.dashboard.add_widgets(self.latest)

    @property
    def full(self) -> bool:
        """Whether this dashboard holds as many functions as it may."""
        return self.function_count >= MAX_FUNCTIONS_PER_DASHBOARD

    def add_function(self, *, title: str, metric: cloudwatch.IMetric, log_group_name: str,
                     alarm: Optional[cloudwatch.IAlarm] = None, threshold: Optional[float] = None) -> None:
        """Add one function to the overview and give it its own row."""
        self.function_count += 1
        self.overview.add_left_metric(metric)
        self.by_category.add_log_group(log_group_name)
        self.latest.add_log_group(log_group_name)
        add_function_widgets(self.dashboard, title=title, metric=metric, alarm=alarm, threshold=threshold)


def stack_dashboard(scope: IConstruct, *, dashboard_name: Optional[str] = None) -> ProtectionDashboard:
    """The stack's shared dashboard with room for one more function, created when needed."""
    stack = Stack.of(scope)
    index = 1
    while True:
        construct_id = DASHBOARD_ID if index == 1 else f"{DASHBOARD_ID}{index}"
        existing = stack.node.try_find_child(construct_id)
        if existing is None:
            name = dashboard_name if index == 1 or dashboard_name is None else f"{dashboard_name}-{index}"
            return ProtectionDashboard(stack, construct_id, dashboard_name=name)
        if isinstance(existing, ProtectionDashboard) and not existing.full:
            return existing
        index += 1


def add_function_widgets(
    dashboard: cloudwatch.Dashboard,
    *,
    title: str,
    metric: cloudwatch.IMetric,
    alarm: Optional[cloudwatch.IAlarm] = None,
    threshold: Optional[float] = None,
) -> None:
    """Add a row for one function: its violations graph and, with an alarm, its alarm status."""
    row: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title=f"Violations: {title}",
            left=[metric],
            width=GRAPH_WIDTH,
            height=ROW_HEIGHT,
            left_y_axis=cloudwatch.YAxisProps(min=0, label="violations", show_units=False),
            left_annotations=(
                [cloudwatch.HorizontalAnnotation(value=threshold, label="alarm threshold")]
                if threshold is not None else None
            ),
        )
    ]
    if alarm is not None:
        row.append(cloudwatch.AlarmStatusWidget(
            title=f"Alarm: {title}", alarms=[alarm], width=GRAPH_WIDTH, height=ROW_HEIGHT))
    dashboard.add_widgets(*row)
