"""Offline tests of the AWS integration test's helpers and deploy app (no account needed; not marked aws)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    DEPLOY_APP,
    STACK_NAME_CONTEXT,
    alarm_notification,
    cdk_command,
    cdk_environment,
    metric_sum,
    physical_id,
    poll,
    read_payload,
    unique_stack_name,
)


def test_unique_stack_names_are_valid_and_distinct() -> None:
    names = {unique_stack_name(token=t) for t in ("a", "b", "1/2")}
    assert len(names) == 3
    for name in names | {unique_stack_name()}:
        assert re.fullmatch("[A-Za-z][A-Za-z0-9-]{0,127}", name), name
    assert unique_stack_name(prefix="9x", token="y").startswith("S9x-")
    assert len(unique_stack_name(token="x" * 300)) == 128


def test_cdk_commands() -> None:
    deploy = cdk_command("deploy", "S-1", Path("/tmp/out"), "/venv/python")
    assert deploy[:4] == ["npx", "cdk", "deploy", "S-1"]
    assert deploy[deploy.index("--app") + 1] == f"/venv/python {DEPLOY_APP}"
    assert deploy[deploy.index("--context") + 1] == f"{STACK_NAME_CONTEXT}=S-1"
    assert deploy[deploy.index("--require-approval") + 1] == "never"
    assert deploy[deploy.index("--output") + 1] == "/tmp/out"
    destroy = cdk_command("destroy", "S-1", Path("/tmp/out"), "python")
    assert "--force" in destroy and "--require-approval" not in destroy
    with pytest.raises(ValueError):
        cdk_command("bootstrap", "S-1", Path("/tmp/out"), "python")


def test_cdk_environment_uses_the_project_node() -> None:
    env = cdk_environment({"PATH": "/usr/bin", "HOME": "/home/x"})
    assert env["PATH"].split(":")[0].endswith("node_modules/.bin") and env["PATH"].endswith("/usr/bin")
    assert env["JSII_NODE"].endswith("node_modules/.bin/node") and env["HOME"] == "/home/x"
    assert env["CDK_DISABLE_CLI_TELEMETRY"] == "1"


def test_physical_id() -> None:
    resources = [
        {"LogicalResourceId": "AlertsQueue4709902F", "PhysicalResourceId": "https://q", "ResourceType": "AWS::SQS::Queue"},
        {"LogicalResourceId": "AlertsQueuePolicyC51ADAD1", "PhysicalResourceId": "p", "ResourceType": "AWS::SQS::QueuePolicy"},
        {"LogicalResourceId": "OrdersApiProtectionViolationsAlarm8922782C", "PhysicalResourceId": "alarm-1",
         "ResourceType": "AWS::CloudWatch::Alarm"},
    ]
    assert physical_id(resources, "AlertsQueue") == "https://q"
    assert physical_id(resources, "OrdersApi/Protection/ViolationsAlarm") == "alarm-1"
    with pytest.raises(LookupError):
        physical_id(resources, "AlertsQueue", "AWS::SNS::Topic")
    with pytest.raises(LookupError):
        physical_id(resources, "Alerts")


def test_payloads_and_metric_data() -> None:
    assert read_payload({"Payload": io.BytesIO(b'{"a": 1}')}) == {"a": 1}
    assert read_payload({"Payload": b"[1]"}) == [1]
    response = {"MetricDataResults": [{"Id": "v", "Values": [1.0, 1.0]}, {"Id": "w", "Values": [5.0]}]}
    assert metric_sum(response) == 2.0 and metric_sum({"MetricDataResults": []}) == 0.0


def _sns(message: Any) -> str:
    return json.dumps({"Type": "Notification", "TopicArn": "arn:aws:sns:eu-west-1:1:t",
                       "Subject": "ALARM: x", "Message": json.dumps(message)})


def test_alarm_notification() -> None:
    alarm = {"AlarmName": "A", "NewStateValue": "ALARM", "Trigger": {"MetricName": "Violations"}}
    assert alarm_notification(_sns(alarm), "A") == alarm
    assert alarm_notification(_sns(alarm | {"NewStateValue": "OK"}), "A") is None  # the OK action's message
    assert alarm_notification(_sns(alarm), "other") is None
    assert alarm_notification(json.dumps(alarm), "A") == alarm  # raw message delivery
    assert alarm_notification("not json", "A") is None and alarm_notification('"text"', "A") is None


def test_poll_is_bounded() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    calls = []

    def never() -> None:
        calls.append(1)

    with pytest.raises(AssertionError, match="timed out after 60 s waiting for the alarm"):
        poll(never, timeout=60, interval=20, what="the alarm", clock=lambda: now[0], sleep=sleep)
    assert len(calls) == 4  # t = 0, 20, 40, 60
    values = iter([None, False, "ALARM"])
    assert poll(lambda: next(values), timeout=60, interval=1, what="x", clock=lambda: now[0], sleep=sleep) == "ALARM"


def test_deploy_app_synthesizes_the_example_under_the_given_name(tmp_path: Path) -> None:
    """What `cdk deploy --app deploy_app.py` deploys: the example's resources, under a unique stack name."""
    from . import deploy_app

    name = unique_stack_name(token="offline")
    deploy_app.main(context={STACK_NAME_CONTEXT: name}, outdir=str(tmp_path))
    template = json.loads((tmp_path / f"{name}.template.json").read_text())
    resources = [{"LogicalResourceId": key, "PhysicalResourceId": key, "ResourceType": value["Type"]}
                 for key, value in template["Resources"].items()]
    for path, resource_type in [("OrdersApi", "AWS::Lambda::Function"), ("OrdersApiLogGroup", "AWS::Logs::LogGroup"),
                                ("OrdersWorkerLogGroup", "AWS::Logs::LogGroup"),
                                ("OrdersApi/Protection/ViolationsAlarm", "AWS::CloudWatch::Alarm"),
                                ("ProtectLambdaAlerts", "AWS::SNS::Topic"), ("AlertsQueue", "AWS::SQS::Queue"),
                                ("OrdersQueue", "AWS::SQS::Queue"), ("OrdersDeadLetterQueue", "AWS::SQS::Queue"),
                                ("JsonLogsApi", "AWS::Lambda::Function"), ("JsonLogsApiLogGroup", "AWS::Logs::LogGroup"),
                                ("OrdersApiNode", "AWS::Lambda::Function"),
                                ("OrdersApiNodeLogGroup", "AWS::Logs::LogGroup"),
                                ("OrdersApiNode/Protection/ViolationsAlarm", "AWS::CloudWatch::Alarm")]:
        assert physical_id(resources, path, resource_type)
    with pytest.raises(SystemExit, match=STACK_NAME_CONTEXT):
        deploy_app.main(context={}, outdir=str(tmp_path / "none"))
