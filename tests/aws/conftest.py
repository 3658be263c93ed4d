"""Fixtures of the AWS integration test: real credentials, a deployed example stack, its teardown.

Everything that touches AWS is in fixtures used only by tests marked ``aws``; they
skip (never fail) when boto3 finds no credentials or region, when the account is
not CDK-bootstrapped in that region, or when the CDK CLI is not installed. The
stack is destroyed in the fixture's teardown, whatever happened, and so are the
function log groups the example retains on deletion.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .helpers import REPO, cdk_command, cdk_environment, physical_id, unique_stack_name

#: Seconds allowed for `cdk deploy` and `cdk destroy`.
DEPLOY_TIMEOUT_S = 20 * 60


@dataclass(frozen=True)
class Deployed:
    """Physical ids of the deployed example stack that the test needs."""

    stack: str
    region: str
    api_function: str
    api_log_group: str
    worker_log_group: str
    api_alarm: str
    alerts_topic: str
    alerts_queue_url: str
    orders_queue_url: str
    orders_dlq_url: str
    json_function: str
    json_log_group: str
    #: OrdersApiNode: the same API on Node.js, behind the proxy extension.
    node_function: str
    node_log_group: str
    node_alarm: str


@pytest.fixture(scope="session")
def aws_clients() -> dict[str, Any]:
    """boto3 clients for the default credentials and region; skips without them."""
    boto3 = pytest.importorskip("boto3")
    session = boto3.Session()
    if session.get_credentials() is None:
        pytest.skip("no AWS credentials found by boto3 (see docs/aws-integration.md)")
    if not session.region_name:
        pytest.skip("no AWS region configured (set AWS_REGION or AWS_DEFAULT_REGION)")
    names = ("cloudformation", "lambda", "logs", "cloudwatch", "sqs", "ssm")
    return {name: session.client(name) for name in names} | {"region": session.region_name}


@pytest.fixture(scope="session")
def bootstrapped(aws_clients: dict[str, Any]) -> None:
    """Skips unless the account is CDK-bootstrapped in the region and the CDK CLI is installed."""
    if not (REPO / "node_modules" / ".bin" / "cdk").exists():
        pytest.skip("the pinned CDK CLI is not installed: run `make install` first")
    try:
        aws_clients["ssm"].get_parameter(Name="/cdk-bootstrap/hnb659fds/version")
    except Exception as exc:  # noqa: BLE001 - any failure means we cannot deploy
        pytest.skip(f"account not CDK-bootstrapped in {aws_clients['region']} "
                    f"(run `npx cdk bootstrap`): {type(exc).__name__}")


def _cdk(action: str, stack: str, outdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cdk_command(action, stack, outdir, sys.executable), cwd=REPO,
                          env=cdk_environment(os.environ), capture_output=True, text=True,
                          timeout=DEPLOY_TIMEOUT_S, check=False)


def _teardown(aws_clients: dict[str, Any], stack: str, outdir: Path, log_groups: list[str]) -> None:
    """Destroy the stack (CDK, else CloudFormation directly), then the retained log groups."""
    problems = []
    try:  # the log groups outlive the stack (DeletionPolicy Retain): note them first
        listed = aws_clients["cloudformation"].describe_stack_resources(StackName=stack)["StackResources"]
        log_groups = sorted(set(log_groups) | {
            str(r["PhysicalResourceId"]) for r in listed
            if r.get("ResourceType") == "AWS::Logs::LogGroup" and r.get("PhysicalResourceId")})
    except Exception:  # noqa: BLE001, S110 - no stack: nothing listed
        pass
    try:
        destroyed = _cdk("destroy", stack, outdir)
        if destroyed.returncode != 0:
            problems.append(f"cdk destroy: {destroyed.stderr[-2000:]}")
            cfn = aws_clients["cloudformation"]
            cfn.delete_stack(StackName=stack)
            cfn.get_waiter("stack_delete_complete").wait(StackName=stack,
                                                         WaiterConfig={"Delay": 15, "MaxAttempts": 80})
    except Exception as exc:  # noqa: BLE001 - report, and still try the log groups
        problems.append(f"deleting stack {stack}: {exc}")
    for group in log_groups:
        try:
            aws_clients["logs"].delete_log_group(logGroupName=group)
        except Exception as exc:  # noqa: BLE001
            if "ResourceNotFound" not in type(exc).__name__ + str(exc):
                problems.append(f"deleting log group {group}: {exc}")
    if problems:
        pytest.fail("teardown left resources behind, delete them by hand:\n" + "\n".join(problems))


@pytest.fixture(scope="module")
def deployed(aws_clients: dict[str, Any], bootstrapped: None,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """The example stack, deployed under a unique name; always destroyed afterwards."""
    stack = unique_stack_name()
    outdir = tmp_path_factory.mktemp("e2e-cdk-out")
    log_groups: list[str] = []
    try:
        result = _cdk("deploy", stack, outdir)
        resources = []
        try:
            resources = aws_clients["cloudformation"].describe_stack_resources(StackName=stack)["StackResources"]
        except Exception:  # noqa: BLE001, S110 - the stack may not exist at all
            pass
        log_groups = [str(r["PhysicalResourceId"]) for r in resources
                      if r.get("ResourceType") == "AWS::Logs::LogGroup" and r.get("PhysicalResourceId")]
        if result.returncode != 0:
            pytest.fail(f"cdk deploy {stack} failed:\n{result.stderr[-4000:]}")
        yield Deployed(
            stack=stack,
            region=aws_clients["region"],
            api_function=physical_id(resources, "OrdersApi", "AWS::Lambda::Function"),
            api_log_group=physical_id(resources, "OrdersApiLogGroup", "AWS::Logs::LogGroup"),
            worker_log_group=physical_id(resources, "OrdersWorkerLogGroup", "AWS::Logs::LogGroup"),
            api_alarm=physical_id(resources, "OrdersApi/Protection/ViolationsAlarm", "AWS::CloudWatch::Alarm"),
            alerts_topic=physical_id(resources, "ProtectLambdaAlerts", "AWS::SNS::Topic"),
            alerts_queue_url=physical_id(resources, "AlertsQueue", "AWS::SQS::Queue"),
            orders_queue_url=physical_id(resources, "OrdersQueue", "AWS::SQS::Queue"),
            orders_dlq_url=physical_id(resources, "OrdersDeadLetterQueue", "AWS::SQS::Queue"),
            json_function=physical_id(resources, "JsonLogsApi", "AWS::Lambda::Function"),
            json_log_group=physical_id(resources, "JsonLogsApiLogGroup", "AWS::Logs::LogGroup"),
            node_function=physical_id(resources, "OrdersApiNode", "AWS::Lambda::Function"),
            node_log_group=physical_id(resources, "OrdersApiNodeLogGroup", "AWS::Logs::LogGroup"),
            node_alarm=physical_id(resources, "OrdersApiNode/Protection/ViolationsAlarm", "AWS::CloudWatch::Alarm"),
        )
    finally:
        _teardown(aws_clients, stack, outdir, log_groups)
