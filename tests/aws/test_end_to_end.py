"""The whole chain in a real AWS account: attack -> 403 -> Violation in CloudWatch Logs -> metric -> ALARM -> SNS -> SQS.

Opt-in: ``pytest -m aws tests/aws`` (``make test`` deselects the marker), and
skipped without credentials. Deploys the example stack under a unique name and
destroys it afterwards (see conftest.py and docs/aws-integration.md).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from protect_lambda import contract
from protect_lambda_tools.filter_pattern import matches

from example.demo import load_event

from .conftest import Deployed
from .helpers import alarm_notification, metric_sum, poll, read_payload

pytestmark = pytest.mark.aws

#: Bounds of the waits (CloudWatch Logs delivery, metric filter, alarm evaluation, SNS -> SQS).
LOG_WAIT_S = 180
METRIC_WAIT_S = 360
ALARM_WAIT_S = 420
NOTIFICATION_WAIT_S = 180


def _invoke(aws_clients: dict[str, Any], function: str, event_file: str) -> dict[str, Any]:
    response = aws_clients["lambda"].invoke(FunctionName=function, Payload=json.dumps(load_event(event_file)))
    assert "FunctionError" not in response, read_payload(response)
    payload: dict[str, Any] = read_payload(response)
    return payload


def test_attack_is_blocked_logged_counted_alarmed_and_notified(aws_clients: dict[str, Any],
                                                               deployed: Deployed) -> None:
    started = datetime.now(timezone.utc) - timedelta(minutes=1)

    # benign request: passes unchanged
    clean = _invoke(aws_clients, deployed.api_function, "api-lookup.json")
    assert clean["statusCode"] == 200 and json.loads(clean["body"])["id"] == "1001"

    # attack: a 403 carrying the request id, no rule detail
    blocked = _invoke(aws_clients, deployed.api_function, "api-sqli.json")
    assert blocked["statusCode"] == 403
    body = json.loads(blocked["body"])
    assert body["message"] == "Forbidden" and set(body) == {"message", "requestId"}
    request_id = body["requestId"]

    # the Violation record in CloudWatch Logs
    logs = aws_clients["logs"]
    query = (f'{{ $.{contract.FIELD_EVENT} = "{contract.VIOLATION_MARKER}" && '
             f'$.{contract.FIELD_REQUEST_ID} = "{request_id}" }}')

    def find_records() -> list[str] | None:
        events = logs.filter_log_events(logGroupName=deployed.api_log_group, filterPattern=query,
                                        startTime=int(started.timestamp() * 1000))["events"]
        return [e["message"].rstrip("\n") for e in events] or None

    records = poll(find_records, timeout=LOG_WAIT_S, interval=10, what="the Violation record in CloudWatch Logs")
    record = json.loads(records[0])
    assert record[contract.FIELD_ACTION] == contract.ACTION_BLOCKED
    assert record[contract.FIELD_CATEGORY] == "sqli"
    assert record[contract.FIELD_FUNCTION_NAME] == deployed.api_function

    # TestMetricFilter with the deployed pattern: matches the record, not the other lines
    [metric_filter] = logs.describe_metric_filters(logGroupName=deployed.api_log_group)["metricFilters"]
    pattern = metric_filter["filterPattern"]
    assert pattern == contract.VIOLATION_FILTER_PATTERN
    others = [f"START RequestId: {request_id} Version: $LATEST", '{"processed": "1001"}',
              json.dumps({"event": contract.GUARD_ERROR_MARKER, "function_name": deployed.api_function})]
    tested = logs.test_metric_filter(filterPattern=pattern, logEventMessages=[records[0], *others])
    assert [m["eventNumber"] for m in tested["matches"]] == [1]
    assert [matches(pattern, line) for line in [records[0], *others]] == [True, False, False, False]

    # the metric datapoint
    cloudwatch = aws_clients["cloudwatch"]
    metric = {"Namespace": contract.METRIC_NAMESPACE, "MetricName": contract.METRIC_NAME,
              "Dimensions": [{"Name": contract.METRIC_DIMENSION, "Value": deployed.api_function}]}

    def datapoints() -> float | None:
        response = cloudwatch.get_metric_data(
            MetricDataQueries=[{"Id": "v", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"}}],
            StartTime=started - timedelta(minutes=5), EndTime=datetime.now(timezone.utc) + timedelta(minutes=1))
        total = metric_sum(response)
        return total if total >= 1 else None

    assert poll(datapoints, timeout=METRIC_WAIT_S, interval=20, what="the Violations datapoint") >= len(records)

    # the alarm reaches ALARM
    def alarm_state() -> str | None:
        [alarm] = cloudwatch.describe_alarms(AlarmNames=[deployed.api_alarm])["MetricAlarms"]
        return "ALARM" if alarm["StateValue"] == "ALARM" else None

    poll(alarm_state, timeout=ALARM_WAIT_S, interval=20, what=f"alarm {deployed.api_alarm} in ALARM")

    # the notification reaches the SQS subscription
    sqs = aws_clients["sqs"]

    def notification() -> dict[str, Any] | None:
        received = sqs.receive_message(QueueUrl=deployed.alerts_queue_url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=20).get("Messages", [])
        found = None
        for message in received:
            found = found or alarm_notification(message["Body"], deployed.api_alarm)
            sqs.delete_message(QueueUrl=deployed.alerts_queue_url, ReceiptHandle=message["ReceiptHandle"])
        return found

    alarm_message = poll(notification, timeout=NOTIFICATION_WAIT_S, interval=0,
                         what="the ALARM notification on the alerts queue")
    assert alarm_message["Trigger"]["MetricName"] == contract.METRIC_NAME
    assert {"name": contract.METRIC_DIMENSION, "value": deployed.api_function} in alarm_message["Trigger"]["Dimensions"]
