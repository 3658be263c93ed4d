"""Helpers of the AWS integration test that need no AWS account (tested offline in test_helpers.py).

Building the CDK CLI commands, naming the stack, finding physical ids, reading
Lambda, CloudWatch and SNS-over-SQS payloads, and bounded polling.

Example:
    >>> unique_stack_name("ProtectLambdaE2e", "1a2b3c")
    'ProtectLambdaE2e-1a2b3c'
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
DEPLOY_APP = Path(__file__).resolve().parent / "deploy_app.py"
#: Context key carrying the stack name to deploy_app.py.
STACK_NAME_CONTEXT = "protect-lambda:e2e-stack-name"
STACK_PREFIX = "ProtectLambdaE2e"

T = TypeVar("T")


def unique_stack_name(prefix: str = STACK_PREFIX, token: str | None = None) -> str:
    """A CloudFormation stack name unique to this run (letters, digits, hyphens; at most 128).

    Example:
        >>> name = unique_stack_name()
        >>> name.startswith("ProtectLambdaE2e-") and len(name) <= 128
        True
    """
    token = token or f"{int(time.time()):x}{os.getpid():x}"
    name = re.sub("[^A-Za-z0-9-]", "-", f"{prefix}-{token}")
    if not name[0].isalpha():
        name = "S" + name
    return name[:128]


def cdk_command(action: str, stack: str, outdir: Path, python: str) -> list[str]:
    """The ``npx cdk deploy|destroy`` command for ``stack`` (deploy_app.py, its own cdk.out).

    Example:
        >>> cmd = cdk_command("deploy", "S-1", Path("/tmp/out"), "python")
        >>> cmd[:3], "--require-approval" in cmd
        (['npx', 'cdk', 'deploy'], True)
    """
    if action not in ("deploy", "destroy"):
        raise ValueError(f"unknown cdk action {action!r}")
    command = ["npx", "cdk", action, stack, "--app", f"{python} {DEPLOY_APP}",
               "--context", f"{STACK_NAME_CONTEXT}={stack}", "--output", str(outdir), "--ci"]
    if action == "deploy":
        command += ["--require-approval", "never", "--progress", "events"]
    else:
        command += ["--force"]
    return command


def cdk_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The environment for the CDK CLI: the project's Node first, no telemetry or version checks."""
    node_bin = REPO / "node_modules" / ".bin"
    env = dict(base)
    env["PATH"] = f"{node_bin}{os.pathsep}{env.get('PATH', '')}"
    env["JSII_NODE"] = str(node_bin / "node")
    env["CDK_DISABLE_CLI_TELEMETRY"] = "1"
    env["CDK_DISABLE_VERSION_CHECK"] = "1"
    return env


def physical_id(resources: Sequence[Mapping[str, Any]], construct_path: str,
                resource_type: str | None = None) -> str:
    """The physical id of the resource whose logical id is ``construct_path`` (alphanumerics) + an 8-character hash.

    ``resources`` is DescribeStackResources' ``StackResources``.

    Example:
        >>> resources = [{"LogicalResourceId": "OrdersApi48294D44", "PhysicalResourceId": "fn-1",
        ...               "ResourceType": "AWS::Lambda::Function"},
        ...              {"LogicalResourceId": "OrdersApiLogGroup0E78A56E", "PhysicalResourceId": "lg",
        ...               "ResourceType": "AWS::Logs::LogGroup"}]
        >>> physical_id(resources, "OrdersApi"), physical_id(resources, "OrdersApi/LogGroup")
        ('fn-1', 'lg')
    """
    bare = re.sub("[^A-Za-z0-9]", "", construct_path)
    found = [r for r in resources
             if re.fullmatch(re.escape(bare) + "[0-9A-F]{8}", str(r.get("LogicalResourceId", "")))
             and (resource_type is None or r.get("ResourceType") == resource_type)]
    if len(found) != 1:
        raise LookupError(f"expected one resource for {construct_path!r}, found {len(found)}")
    return str(found[0]["PhysicalResourceId"])


def read_payload(response: Mapping[str, Any]) -> Any:
    """The decoded payload of a Lambda Invoke response (``Payload`` is a stream or bytes).

    Example:
        >>> import io
        >>> read_payload({"Payload": io.BytesIO(b'{"statusCode": 403}')})
        {'statusCode': 403}
    """
    payload = response["Payload"]
    raw = payload.read() if hasattr(payload, "read") else payload
    return json.loads(raw)


def metric_sum(response: Mapping[str, Any], query_id: str = "v") -> float:
    """The sum of the values of query ``query_id`` in a GetMetricData response.

    Example:
        >>> metric_sum({"MetricDataResults": [{"Id": "v", "Values": [1.0, 2.0]}]})
        3.0
    """
    return float(sum(sum(r.get("Values", [])) for r in response.get("MetricDataResults", [])
                     if r.get("Id") == query_id))


def alarm_notification(sqs_body: str, alarm_name: str, state: str = "ALARM") -> dict[str, Any] | None:
    """The CloudWatch alarm message in an SNS notification delivered to SQS, if it is ``alarm_name`` entering ``state``.

    Example:
        >>> inner = json.dumps({"AlarmName": "A", "NewStateValue": "ALARM"})
        >>> alarm_notification(json.dumps({"Type": "Notification", "Message": inner}), "A")["NewStateValue"]
        'ALARM'
        >>> alarm_notification(json.dumps({"Type": "Notification", "Message": inner}), "B") is None
        True
    """
    try:
        envelope = json.loads(sqs_body)
        message = json.loads(envelope["Message"]) if isinstance(envelope, dict) and "Message" in envelope else envelope
    except (ValueError, TypeError):
        return None
    if not isinstance(message, dict):
        return None
    if message.get("AlarmName") == alarm_name and message.get("NewStateValue") == state:
        return message
    return None


def poll(check: Callable[[], T | None], *, timeout: float, interval: float, what: str,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``check`` until it returns something other than None (or False); fail after ``timeout`` seconds.

    Example:
        >>> values = iter([None, None, 3])
        >>> poll(lambda: next(values), timeout=10, interval=0, what="three")
        3
    """
    deadline = clock() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if clock() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        sleep(interval)
