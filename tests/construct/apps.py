"""Test apps exercising the construct's options; each is synthesized once per session."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, App, Aspects, Duration, Stack, Tags, Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from protect_lambda import contract

from protect_lambda_construct import (
    AlarmOptions,
    AlertOptions,
    DashboardOptions,
    FailPolicy,
    GuardMode,
    GuardOptions,
    ProtectedFunction,
    ProtectLambdas,
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

    # Encrypted alerts, a Lambda subscriber and a named dashboard.
    encrypted = Stack(app, "EncryptedStack")
    key = kms.Key(encrypted, "AlertsKey", enable_key_rotation=True)
    subscriber = lambda_.Function(encrypted, "Pager", **python_function_props(handler="orders_worker.handler"))
    ProtectedFunction(
        encrypted, "Guarded", **python_function_props(),
        alerts=AlertOptions(master_key=key, functions=[subscriber]),
        dashboard=DashboardOptions(dashboard_name="orders-security"),
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


PYTHON_RUNTIMES = ("PYTHON_3_10", "PYTHON_3_11", "PYTHON_3_12", "PYTHON_3_13", "PYTHON_3_14")
ARCHITECTURES = (("X86", lambda_.Architecture.X86_64), ("Arm", lambda_.Architecture.ARM_64))


class Service(Construct):
    """A third-party style construct that creates its function internally."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.handler = lambda_.Function(self, "Handler", **python_function_props(handler="orders_worker.handler"))


def build_aspect_app(outdir: str) -> App:
    """Two stacks of mixed functions, protected by one Aspect added at the app level."""
    app = App(outdir=outdir)
    mixed = Stack(app, "MixedStack")
    for runtime_name in PYTHON_RUNTIMES:
        for suffix, architecture in ARCHITECTURES:
            lambda_.Function(mixed, f"Py{runtime_name.removeprefix('PYTHON_')}{suffix}",
                             **python_function_props(runtime=getattr(lambda_.Runtime, runtime_name),
                                                     architecture=architecture))
    node_code = lambda_.Code.from_inline("exports.handler = async () => ({})")
    lambda_.Function(mixed, "Node", runtime=lambda_.Runtime.NODEJS_22_X, handler="index.handler", code=node_code)
    lambda_.Function(mixed, "ArmNode", runtime=lambda_.Runtime.NODEJS_20_X, handler="index.handler",
                     architecture=lambda_.Architecture.ARM_64,
                     code=lambda_.Code.from_inline("exports.handler = async () => ({})"),
                     environment={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"})
    lambda_.Function(mixed, "DatadogNode", runtime=lambda_.Runtime.NODEJS_22_X, handler="index.handler",
                     code=lambda_.Code.from_inline("exports.handler = async () => ({})"),
                     environment={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/datadog_wrapper",
                                  "DD_SERVERLESS_APPSEC_ENABLED": "true"})
    artifacts = s3.Bucket.from_bucket_name(mixed, "Artifacts", "artifacts-bucket")
    for name, runtime, handler in (("Java", lambda_.Runtime.JAVA_21, "com.example.Handler::handleRequest"),
                                   ("Dotnet", lambda_.Runtime.DOTNET_8, "App::App.Function::Handler"),
                                   ("Ruby", lambda_.Runtime.RUBY_3_3, "app.handler"),
                                   ("Provided", lambda_.Runtime.PROVIDED_AL2023, "bootstrap")):
        lambda_.Function(mixed, name, runtime=runtime, handler=handler,
                         code=lambda_.Code.from_bucket(artifacts, f"{name.lower()}.zip"))
    bootstrap_dir = Path(tempfile.mkdtemp(prefix="custom-runtime-"))
    (bootstrap_dir / "bootstrap").write_text("#!/bin/sh\nexec ./server\n")
    (bootstrap_dir / "bootstrap").chmod(0o755)
    lambda_.Function(mixed, "LocalBootstrap", runtime=lambda_.Runtime.PROVIDED_AL2023, handler="bootstrap",
                     architecture=lambda_.Architecture.ARM_64, code=lambda_.Code.from_asset(str(bootstrap_dir)))
    old = lambda_.Function(mixed, "Old", **python_function_props(runtime=lambda_.Runtime.PYTHON_3_9))
    Validations.of(old).acknowledge(Acknowledgment(
        id="CloudFormation-Validate::W2531",
        reason="This test app keeps a deprecated runtime on purpose: the Aspect must leave it alone."))
    lambda_.DockerImageFunction(mixed, "Image", code=lambda_.DockerImageCode.from_ecr(
        ecr.Repository.from_repository_name(mixed, "Repo", "some-repository")))
    lambda_.CfnFunction(mixed, "Bare", role="arn:aws:iam::123456789012:role/bare",
                        runtime="python3.12", handler="index.handler",
                        code=lambda_.CfnFunction.CodeProperty(zip_file="def handler(e, c): return 1"))
    Service(mixed, "Service")
    lambda_.SingletonFunction(mixed, "Singleton", uuid="7e9f3a48-4bd1-4a1c-9a55-0d1b5b3b3c11",
                              **python_function_props())
    lambda_.Function(mixed, "ExcludedByPath", **python_function_props())
    tagged = lambda_.Function(mixed, "ExcludedByTag", **python_function_props())
    Tags.of(tagged).add("protect-lambda", "off")
    lambda_.Function(mixed, "PresetHandlerVariable", **python_function_props(
        environment={contract.ORIGINAL_HANDLER_ENV: "orders_worker.handler"}))
    ProtectedFunction(mixed, "AlreadyProtected", **python_function_props())

    other = Stack(app, "OtherStack")
    lambda_.Function(other, "Api", **python_function_props())
    lambda_.Function(other, "Worker", **python_function_props(handler="orders_worker.handler"))

    Aspects.of(app).add(ProtectLambdas(alerts=AlertOptions(emails=[EMAIL]), exclude=["*/ExcludedByPath"],
                                       exclude_tags={"protect-lambda": "off"}))
    # cdk-nag over the whole app: the only findings allowed are on the test's own functions.
    for stack in (mixed, other):
        Validations.of(stack).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
               "AWSLambdaBasicExecutionRole]",
            reason="The test's own functions use CDK's default role with the AWS managed basic "
                   "execution policy (log writing only); protect-lambda adds no role."))
        Validations.of(stack).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-L1",
            reason="The test app runs every Python runtime from 3.10 and other runtimes on purpose, "
                   "to prove which ones the Aspect protects."))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


MANY = 90


def build_many_app(outdir: str, count: int = MANY, *, protected: bool = True) -> App:
    """One stack with ``count`` functions, protected through the Aspect (or plain)."""
    app = App(outdir=outdir)
    stack = Stack(app, "ManyStack")
    shared_code = code()
    for index in range(count):
        lambda_.Function(stack, f"Fn{index:03d}", runtime=lambda_.Runtime.PYTHON_3_13,
                         handler="orders_api.handler", code=shared_code)
    if protected:
        Aspects.of(app).add(ProtectLambdas(alerts=AlertOptions(emails=[EMAIL])))
    return app
