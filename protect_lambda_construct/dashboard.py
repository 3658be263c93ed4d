"""The violations dashboard: shared by a stack's protected functions, split when it grows.

A stack's dashboard opens with an overview (violations of all its protected
functions on one graph; violations by category and by rule, and the latest
violations, from Logs Insights across their log groups),
then one row per function: its violations graph and its alarm status. A
violation is a blocked (or, in monitor mode, flagged) request or batch record;
by category and by rule count it under the finding that decided. A dashboard holds at most
:data:`MAX_FUNCTIONS_PER_DASHBOARD` functions, which keeps it far below
CloudWatch's 500 widgets and within the 50 log groups one Logs Insights query
may read; the next functions go to ``ProtectLambdaDashboard2`` and so on. A
dashboard the user passes in gets the per-function rows only.

The widgets are rendered when the dashboard is synthesized, from what the
protected functions registered: functions protected later still join the
overview, and each function costs no widget objects of its own.

Example:
    >>> stack_dashboard(stack).add_function(FunctionPanel(  # doctest: +SKIP
    ...     title="Orders", function_name=fn.function_name, log_group_name=name,
    ...     alarm_arn=alarm.alarm_arn, threshold=1, period_seconds=300))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import jsii
from aws_cdk import Aws, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct, IConstruct

from protect_lambda import contract

DASHBOARD_ID = "ProtectLambdaDashboard"
#: Functions per dashboard: 2 widgets each plus 5 overview widgets, and one Logs
#: Insights query over all their log groups (CloudWatch allows 50 per query).
MAX_FUNCTIONS_PER_DASHBOARD = 50

FULL_WIDTH = 24
HALF_WIDTH = 12
QUARTER_WIDTH = 6
ROW_HEIGHT = 6

_C = contract


#: The Logs Insights filter of the guard's records. It does not name the seal: dashboards can be
#: shared, and a shared dashboard must not give the seal away; so a line a handler printed to look
#: like a record can show here, while the metric and the alarm count only sealed records.
_RECORDS = f"filter {_C.FIELD_EVENT} = '{_C.VIOLATION_MARKER}'"
LATEST_VIOLATIONS_QUERY = (
    f"fields @timestamp, {_C.FIELD_FUNCTION_NAME}, {_C.FIELD_ACTION}, {_C.FIELD_DIRECTION}, "
    f"{_C.FIELD_RULE_ID}, {_C.FIELD_CATEGORY}, {_C.FIELD_FINDING_COUNT}, {_C.FIELD_LOCATION}, "
    f"{_C.FIELD_REQUEST_ID} | {_RECORDS} | sort @timestamp desc | limit 100")


def by_field_query(field: str) -> str:
    """Blocked (or flagged) requests counted by the deciding finding's ``field`` (category, rule).

    Example:
        >>> by_field_query("category")
        "filter event = 'Violation' | stats count(*) as violations by category | sort violations desc"
    """
    return f"{_RECORDS} | stats count(*) as violations by {field} | sort violations desc"


_Y_AXIS = {"left": {"label": "violations", "min": 0, "showUnits": False}}


@dataclass(frozen=True)
class FunctionPanel:
    """What the dashboard shows of one protected function (token strings allowed)."""

    title: str
    function_name: str
    log_group_name: str
    period_seconds: int = 300
    alarm_arn: Optional[str] = None
    threshold: Optional[float] = None

    def metric_line(self) -> list[Any]:
        """The function's violations metric, as a dashboard metric array."""
        return [_C.METRIC_NAMESPACE, _C.METRIC_NAME, _C.METRIC_DIMENSION, self.function_name,
                {"label": self.title, "stat": "Sum", "period": self.period_seconds}]


class _SynthWidget:
    """Base of widgets rendered at synth time (implements ``cloudwatch.IWidget``)."""

    def __init__(self, width: int, height: int) -> None:
        self._width = width
        self._height = height
        self._x = 0.0
        self._y = 0.0

    @property
    def width(self) -> jsii.Number:
        """Width in dashboard grid units (24 is the full width)."""
        return self._width

    @property
    def height(self) -> jsii.Number:
        """Height in dashboard grid units."""
        return self._height

    @property
    def warnings(self) -> Optional[list[str]]:
        """No warnings."""
        return None

    @property
    def warnings_v2(self) -> Optional[dict[str, str]]:
        """No warnings."""
        return None

    def position(self, x: jsii.Number, y: jsii.Number) -> None:
        """Where the dashboard placed the widget (called before ``to_json``)."""
        self._x, self._y = x, y

    def _frame(self, kind: str, width: int, height: int, dx: float, dy: float,
               properties: dict[str, Any]) -> dict[str, Any]:
        return {"type": kind, "width": width, "height": height, "x": self._x + dx, "y": self._y + dy,
                "properties": {"region": Aws.REGION, **properties}}


@jsii.implements(cloudwatch.IWidget)
class LogsInsightsWidget(_SynthWidget):
    """A Logs Insights query over the log groups added until synth."""

    def __init__(self, *, title: str, query: str, view: str = "table",
                 width: int = FULL_WIDTH, height: int = ROW_HEIGHT) -> None:
        super().__init__(width, height)
        self.title = title
        self.query = query
        self.view = view
        self.log_group_names: list[str] = []

    def to_json(self) -> list[Any]:
        """The widget as CloudWatch dashboard JSON, over the log groups added so far."""
        sources = " | ".join(f"SOURCE '{name}'" for name in self.log_group_names)
        return [self._frame("log", self._width, self._height, 0, 0, {
            "query": f"{sources} | {self.query}", "title": self.title, "view": self.view})]


@jsii.implements(cloudwatch.IWidget)
class OverviewGraph(_SynthWidget):
    """Violations of all the dashboard's functions, stacked on one graph."""

    def __init__(self) -> None:
        super().__init__(HALF_WIDTH, ROW_HEIGHT)
        self.panels: list[FunctionPanel] = []

    def to_json(self) -> list[Any]:
        """One stacked graph with a line per function."""
        return [self._frame("metric", self._width, self._height, 0, 0, {
            "title": "Violations: all protected functions", "view": "timeSeries", "stacked": True,
            "metrics": [panel.metric_line() for panel in self.panels], "yAxis": _Y_AXIS})]


@jsii.implements(cloudwatch.IWidget)
class FunctionRows(_SynthWidget):
    """One row per function: its violations graph and its alarm status."""

    def __init__(self) -> None:
        super().__init__(FULL_WIDTH, 0)
        self.panels: list[FunctionPanel] = []

    @property
    def height(self) -> jsii.Number:
        """One row height per function."""
        return ROW_HEIGHT * len(self.panels)

    def to_json(self) -> list[Any]:
        """Two widgets per function (one when it has no alarm), row by row."""
        widgets = []
        for index, panel in enumerate(self.panels):
            top = index * ROW_HEIGHT
            graph: dict[str, Any] = {"title": f"Violations: {panel.title}", "view": "timeSeries",
                                     "metrics": [panel.metric_line()], "yAxis": _Y_AXIS}
            if panel.threshold is not None:
                graph["annotations"] = {"horizontal": [
                    {"value": panel.threshold, "label": "alarm threshold", "yAxis": "left"}]}
            widgets.append(self._frame("metric", HALF_WIDTH, ROW_HEIGHT, 0, top, graph))
            if panel.alarm_arn is not None:
                widgets.append(self._frame("alarm", HALF_WIDTH, ROW_HEIGHT, HALF_WIDTH, top, {
                    "title": f"Alarm: {panel.title}", "alarms": [panel.alarm_arn]}))
        return widgets


class ProtectionDashboard(Construct):
    """One shared violations dashboard of a stack.

    :param dashboard_name: name of the CloudWatch dashboard. Default: generated.
    """

    def __init__(self, scope: Construct, construct_id: str, *, dashboard_name: Optional[str] = None) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Resource", dashboard_name=dashboard_name)
        self.overview = OverviewGraph()
        self.by_category = LogsInsightsWidget(title="Violations by category",
                                              query=by_field_query(_C.FIELD_CATEGORY),
                                              view="bar", width=QUARTER_WIDTH)
        self.by_rule = LogsInsightsWidget(title="Violations by rule", query=by_field_query(_C.FIELD_RULE_ID),
                                          view="bar", width=QUARTER_WIDTH)
        self.latest = LogsInsightsWidget(title="Latest violations", query=LATEST_VIOLATIONS_QUERY, height=8)
        self.rows = FunctionRows()
        self.dashboard.add_widgets(self.overview, self.by_category, self.by_rule)
        self.dashboard.add_widgets(self.latest)
        self.dashboard.add_widgets(self.rows)

    @property
    def full(self) -> bool:
        """Whether this dashboard holds as many functions as it may."""
        return len(self.rows.panels) >= MAX_FUNCTIONS_PER_DASHBOARD

    def add_function(self, panel: FunctionPanel) -> None:
        """Add one function to the overview and give it its own row."""
        self.overview.panels.append(panel)
        for widget in (self.by_category, self.by_rule, self.latest):
            widget.log_group_names.append(panel.log_group_name)
        self.rows.panels.append(panel)


def stack_dashboard(scope: IConstruct, *, dashboard_name: Optional[str] = None) -> ProtectionDashboard:
    """The stack's shared dashboard with room for one more function, created when needed."""
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
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


_ROWS_ATTRIBUTE = "_protect_lambda_rows"


def add_to_user_dashboard(dashboard: cloudwatch.Dashboard, panel: FunctionPanel) -> None:
    """Give ``panel`` a row on a dashboard the user passed in (one block of rows per dashboard)."""
    rows: Optional[FunctionRows] = getattr(dashboard, _ROWS_ATTRIBUTE, None)
    if rows is None:
        rows = FunctionRows()
        dashboard.add_widgets(rows)
        setattr(dashboard, _ROWS_ATTRIBUTE, rows)
    rows.panels.append(panel)
