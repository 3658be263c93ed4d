"""The violations dashboard: one per stack, shared by its protected functions.

The stack's dashboard opens with an overview graph of violations across all
protected functions, then one row per function: its violations graph and its
alarm status. A dashboard the user passes in gets the per-function row only.

Example:
    >>> add_function_widgets(dashboard_for(stack), "Orders", metric, alarm)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct, IConstruct

DASHBOARD_ID = "ProtectLambdaDashboard"

GRAPH_WIDTH = 12
ROW_HEIGHT = 6


class ProtectionDashboard(Construct):
    """The per-stack dashboard with its overview graph.

    :param dashboard_name: name of the CloudWatch dashboard. Default: generated.
    """

    def __init__(self, scope: Construct, construct_id: str, *, dashboard_name: Optional[str] = None) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Resource", dashboard_name=dashboard_name)
        self.overview = cloudwatch.GraphWidget(
            title="Violations: all protected functions",
            width=24,
            height=ROW_HEIGHT,
            stacked=True,
            left_y_axis=cloudwatch.YAxisProps(min=0, label="violations", show_units=False),
        )
        self.dashboard.add_widgets(self.overview)


def stack_dashboard(scope: IConstruct, *, dashboard_name: Optional[str] = None) -> ProtectionDashboard:
    """The stack's shared dashboard, created on first use."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(DASHBOARD_ID)
    if isinstance(existing, ProtectionDashboard):
        return existing
    return ProtectionDashboard(stack, DASHBOARD_ID, dashboard_name=dashboard_name)


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
