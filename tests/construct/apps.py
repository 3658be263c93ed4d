"""Test apps exercising the construct's options; each is synthesized once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from protect_lambda_construct import (
    AlarmOptions,
    AlertOptions,
    DashboardOptions,
    FailPolicy,
    GuardMode,
    GuardOptions,
    ProtectedFunction,
    RuleAction,
)

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "example" / "functions"
EMAIL = "team@example.com"
PHONE = "+15555550100"
WEBHOOK = "https://hooks.example.com/protect-lambda"


def code() -> lambda_.Code:
    return lambda_.Code.from_asset(str(FUNCTIONS_DIR))


def python_function_props(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = dict(runtime=lambda_.Runtime.PYTHON_3_13, handler="orders_api.handler", code=code())
    props.update(overrides)
    return props


def big_custom_rules(count: int) -> list[dict[str, str]]:
    """Custom rules whose JSON is larger than Lambda's environment can hold."""
    return [
        {
            "id": f"custom-{index:03d}",
            "category": "custom",
            "direction": "inbound",
            "severity": "medium",
            "description": f"internal project code name number {index} must not reach this API",
            "pattern": f"project[-_ ]?codename[-_ ]?{index:03d}",
        }
        for index in range(count)
    ]


def build_options_app(outdir: str) -> App:
    """One stack with functions covering the options; a second stack for per-stack sharing."""
    app = App(outdir=outdir)
    stack = Stack(app, "OptionsStack")
    alerts = AlertOptions(emails=[EMAIL], sms=[PHONE], https=[WEBHOOK],
                          queues=[sqs.Queue(stack, "AlertQueue", enforce_ssl=True)])

    # x86_64 with every alert type, a custom alarm and monitor mode with overrides.
    ProtectedFunction(
        stack, "Tuned",
        **python_function_props(architecture=lambda_.Architecture.X86_64,
                                environment={"APP_SETTING": "kept"}),
        guard=GuardOptions(mode=GuardMode.MONITOR, fail_policy=FailPolicy.CLOSED,
                           rule_overrides={"sqli-001": RuleAction.OFF},
                           category_overrides={"leak_stacktrace": RuleAction.MONITOR}),
        alarm=AlarmOptions(threshold=3, period=Duration.minutes(10), evaluation_periods=2, notify_ok=False),
        alerts=alerts,
        log_retention=logs.RetentionDays.ONE_WEEK,
    )
    # arm64, same alerts again (subscriptions must not be duplicated), a config too big for the environment.
    ProtectedFunction(
        stack, "BigConfig",
        **python_function_props(architecture=lambda_.Architecture.ARM_64),
        guard=GuardOptions(custom_rules=big_custom_rules(40)),
        alerts=alerts,
    )
    # x86_64 again (shares the layer with Tuned), no alarm, no dashboard widgets.
    ProtectedFunction(
        stack, "Quiet",
        **python_function_props(architecture=lambda_.Architecture.X86_64),
        alarm=AlarmOptions(enabled=False),
        dashboard=DashboardOptions(enabled=False),
    )

    # A second stack: a user's own topic and dashboard.
    other = Stack(app, "OwnResourcesStack")
    own_topic = sns.Topic(other, "OwnTopic", enforce_ssl=True)
    own_dashboard = cloudwatch.Dashboard(other, "OwnDashboard")
    ProtectedFunction(
        other, "WithOwn",
        **python_function_props(),
        alerts=AlertOptions(topic=own_topic, emails=[EMAIL]),
        dashboard=DashboardOptions(dashboard=own_dashboard),
    )
    return app
