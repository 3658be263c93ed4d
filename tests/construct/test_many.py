"""Many protected functions in one stack: under CloudFormation's limits, dashboards split."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from aws_cdk import cx_api

from protect_lambda_construct.dashboard import MAX_FUNCTIONS_PER_DASHBOARD

from .apps import MANY
from .templates import resources

#: CloudFormation allows 500 resources per stack.
STACK_RESOURCE_LIMIT = 500
#: CloudWatch allows 500 widgets per dashboard.
DASHBOARD_WIDGET_LIMIT = 500
#: A Logs Insights query reads at most 50 log groups.
LOGS_INSIGHTS_LOG_GROUP_LIMIT = 50

#: Resources protect-lambda adds per function (log group, metric filter, alarm).
ADDED_PER_FUNCTION = 3


def _template(assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    template: dict[str, Any] = assembly.get_stack_by_name("ManyStack").template
    return template


def _dashboard_body(dashboard: dict[str, Any]) -> str:
    """The dashboard body with each token part shown as its JSON."""
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, str):
        return body
    return "".join(part if isinstance(part, str) else json.dumps(part) for part in body["Fn::Join"][1])


def test_ninety_functions_fit_in_one_stack(many_assembly: cx_api.CloudAssembly) -> None:
    template = _template(many_assembly)
    types = Counter(resource["Type"] for resource in template["Resources"].values())
    assert types["AWS::Lambda::Function"] == MANY
    assert types["AWS::Logs::LogGroup"] == MANY
    assert types["AWS::Logs::MetricFilter"] == MANY
    assert types["AWS::CloudWatch::Alarm"] == MANY
    assert types["AWS::Lambda::LayerVersion"] == 1
    assert types["AWS::SNS::Topic"] == 1
    assert len(template["Resources"]) < STACK_RESOURCE_LIMIT
    plain_per_function = types["AWS::Lambda::Function"] + types["AWS::IAM::Role"]
    shared = len(template["Resources"]) - plain_per_function - ADDED_PER_FUNCTION * MANY
    assert shared <= 6, f"{shared} shared resources: {types}"


def test_dashboards_split_within_cloudwatch_limits(many_assembly: cx_api.CloudAssembly) -> None:
    dashboards = resources(_template(many_assembly), "AWS::CloudWatch::Dashboard")
    expected = -(-MANY // MAX_FUNCTIONS_PER_DASHBOARD)
    assert len(dashboards) == expected
    functions = set(resources(_template(many_assembly), "AWS::Lambda::Function"))
    shown: Counter[str] = Counter()
    for dashboard in dashboards.values():
        body = _dashboard_body(dashboard)
        widgets = json.loads(re.sub(r'\{"Ref": "[^"]+"\}|\{"Fn::GetAtt": \[[^\]]+\]\}|\{"Fn::Select": .*?\]\}\]\}',
                                    "X", body))["widgets"]
        assert len(widgets) <= DASHBOARD_WIDGET_LIMIT
        for widget in widgets:
            if widget["type"] == "log":
                assert widget["properties"]["query"].count("SOURCE ") <= LOGS_INSIGHTS_LOG_GROUP_LIMIT
        for function_id in functions:
            if f'"Ref": "{function_id}"' in body:
                shown[function_id] += 1
        assert len(body.encode()) < 1_000_000
    assert set(shown) == functions, "every function appears on exactly one dashboard"
    assert set(shown.values()) == {1}
