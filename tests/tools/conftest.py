"""Fixtures for the tools tests (filter-pattern evaluator, ops CLI).

Makes ``protect_lambda`` importable from a plain checkout (``lambda_layer`` on the path)
and keeps boto3 away from any real account: fake credentials, a fixed region.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_LAYER = Path(__file__).resolve().parents[2] / "lambda_layer"
if str(_LAYER) not in sys.path:
    sys.path.insert(0, str(_LAYER))


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Fake credentials and region; no shared config or credentials file is read."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield


# --- a deployed stack, in moto -------------------------------------------------------

STACK = "ProtectLambdaExample"
PROTECTED = "orders"
SECOND = "payments"
LOG_GROUP = f"/aws/lambda/{PROTECTED}"
SECOND_LOG_GROUP = f"/aws/lambda/{SECOND}"
ALARM = "orders-violations"
SECOND_ALARM = "payments-violations"
#: The seal of the deployed stack (the uuid of its stack id; see protect_lambda_construct.seal).
SEAL = "9d0c6e2a-3b1f-11f1-a6f0-0e8b2c4d6f10"


@dataclass
class Deployed:
    """What the ``deployed`` fixture created, in moto."""

    topic_arn: str
    queue_url: str
    plain_function: str
    stack: str = STACK
    function: str = PROTECTED
    second: str = SECOND
    log_group: str = LOG_GROUP
    second_log_group: str = SECOND_LOG_GROUP
    alarm: str = ALARM
    second_alarm: str = SECOND_ALARM


def _template(role: str) -> str:
    from protect_lambda import contract

    def function(name: str | None, protected: bool) -> dict[str, Any]:
        variables = {"APP": "1"}
        if protected:
            variables[contract.ORIGINAL_HANDLER_ENV] = "app.handler"
            variables[contract.SEAL_ENV] = SEAL
        props: dict[str, Any] = {
            "Runtime": "python3.12",
            "Handler": contract.WRAPPER_HANDLER if protected else "app.handler",
            "Role": role,
            "Code": {"ZipFile": "def handler(event, context):\n    return {}\n"},
            "Environment": {"Variables": variables},
        }
        if name:
            props["FunctionName"] = name
        return {"Type": "AWS::Lambda::Function", "Properties": props}

    second = function(SECOND, True)
    second["Properties"]["Environment"]["Variables"][contract.MODE_ENV] = contract.MODE_MONITOR
    return json.dumps(
        {
            "Resources": {
                "Orders": function(PROTECTED, True),
                "Payments": second,
                "Plain": function(None, False),
                "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            }
        }
    )


@pytest.fixture
def deployed(aws_env: None) -> Iterator[Deployed]:
    """A stack with two protected functions and one plain one, their log groups, metric
    filters and alarms (moto's CloudFormation has no MetricFilter/Alarm resources, so
    those are created with the APIs, as the deployed template would)."""
    import boto3
    from moto import mock_aws
    from protect_lambda import contract

    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument="{}")
        cfn = boto3.client("cloudformation")
        cfn.create_stack(StackName=STACK, TemplateBody=_template(role["Role"]["Arn"]))
        resources = cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
        topic = physical["Topic"]
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        logs = boto3.client("logs")
        cloudwatch = boto3.client("cloudwatch")
        for name, group, alarm in ((PROTECTED, LOG_GROUP, ALARM), (SECOND, SECOND_LOG_GROUP, SECOND_ALARM)):
            logs.create_log_group(logGroupName=group)
            logs.put_metric_filter(
                logGroupName=group,
                filterName=f"{name}-violations",
                filterPattern=contract.violation_filter_pattern(name, SEAL),
                metricTransformations=[
                    {
                        "metricNamespace": contract.METRIC_NAMESPACE,
                        "metricName": contract.METRIC_NAME,
                        "metricValue": "1",
                        "dimensions": {contract.METRIC_DIMENSION: f"$.{contract.METRIC_DIMENSION_FIELD}"},
                    }
                ],
            )
            cloudwatch.put_metric_alarm(
                AlarmName=alarm,
                Namespace=contract.METRIC_NAMESPACE,
                MetricName=contract.METRIC_NAME,
                Dimensions=[{"Name": contract.METRIC_DIMENSION, "Value": name}],
                Statistic="Sum",
                Period=300,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                AlarmActions=[topic],
            )
        # an unrelated filter in the same log group must be ignored
        logs.put_metric_filter(
            logGroupName=LOG_GROUP,
            filterName="errors",
            filterPattern="ERROR",
            metricTransformations=[
                {"metricNamespace": "App", "metricName": "Errors", "metricValue": "1"}
            ],
        )
        yield Deployed(topic, queue_url, physical["Plain"])


def _put_lines(group: str, lines: list[tuple[int, str]], stream: str = "2026/01/01/[$LATEST]abc") -> None:
    """Write (timestamp ms, message) log events to a moto log group."""
    import boto3

    logs = boto3.client("logs")
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": ts, "message": message} for ts, message in sorted(lines)],
    )


def _violation_line(function: str, rule_id: str = "sqli-001", **fields: str) -> str:
    """A Violation record line with the contract's fields."""
    from protect_lambda import contract

    record: dict[str, Any] = {name: "x" for name in contract.VIOLATION_FIELDS}
    record.update(
        {
            contract.FIELD_EVENT: contract.VIOLATION_MARKER,
            contract.FIELD_SEAL: SEAL,
            contract.FIELD_FUNCTION_NAME: function,
            contract.FIELD_RULE_ID: rule_id,
            contract.FIELD_ACTION: contract.ACTION_BLOCKED,
            contract.FIELD_DIRECTION: contract.DIRECTION_INBOUND,
        }
    )
    record.update(fields)
    return json.dumps(record, separators=(",", ":"))


@pytest.fixture
def put_lines() -> Any:
    """``put_lines(group, [(timestamp_ms, message), ...])`` writes log events to moto."""
    return _put_lines


@pytest.fixture
def violation_line() -> Any:
    """``violation_line(function, rule_id=..., **fields)``: a contract-shaped record line."""
    return _violation_line
