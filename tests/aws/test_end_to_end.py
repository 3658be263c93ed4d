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
#: Three receives, each after the orders queue's 60 s visibility timeout, then the move.
REDRIVE_WAIT_S = 480


def _seal(aws_clients: dict[str, Any], deployed: Deployed) -> str:
    """The seal the construct gave the functions: the uuid of the stack's id."""
    configuration = aws_clients["lambda"].get_function_configuration(FunctionName=deployed.api_function)
    seal = str(configuration["Environment"]["Variables"][contract.SEAL_ENV])
    [stack] = aws_clients["cloudformation"].describe_stacks(StackName=deployed.stack)["Stacks"]
    assert stack["StackId"].rsplit("/", 1)[1] == seal
    return seal


def _log_lines(aws_clients: dict[str, Any], group: str, pattern: str, since: datetime) -> list[str] | None:
    events = aws_clients["logs"].filter_log_events(logGroupName=group, filterPattern=pattern,
                                                   startTime=int(since.timestamp() * 1000))["events"]
    return [e["message"].rstrip("\n") for e in events] or None


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

    # TestMetricFilter with the deployed pattern: matches the record, not the other lines, not a forgery
    seal = _seal(aws_clients, deployed)
    assert record[contract.FIELD_SEAL] == seal
    [metric_filter] = logs.describe_metric_filters(logGroupName=deployed.api_log_group)["metricFilters"]
    pattern = metric_filter["filterPattern"]
    assert pattern == contract.violation_filter_pattern(deployed.api_function, seal)
    unsealed = {k: v for k, v in record.items() if k != contract.FIELD_SEAL}
    others = [f"START RequestId: {request_id} Version: $LATEST", '{"processed": "1001"}',
              json.dumps({"event": contract.GUARD_ERROR_MARKER, "function_name": deployed.api_function}),
              json.dumps(unsealed), json.dumps({**record, contract.FIELD_SEAL: "0" * 36}),
              json.dumps({**record, contract.FIELD_FUNCTION_NAME: "another-function"})]
    tested = logs.test_metric_filter(filterPattern=pattern, logEventMessages=[records[0], *others])
    assert [m["eventNumber"] for m in tested["matches"]] == [1]
    assert [matches(pattern, line) for line in [records[0], *others]] == [True] + [False] * len(others)

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


def test_a_forged_record_the_handler_logs_is_delivered_but_never_counted(aws_clients: dict[str, Any],
                                                                          deployed: Deployed) -> None:
    started = datetime.now(timezone.utc) - timedelta(minutes=1)
    answer = _invoke(aws_clients, deployed.api_function, "api-forged-record.json")
    assert answer["statusCode"] == 200  # not an attack: the handler ran and printed the body
    lines = poll(lambda: _log_lines(aws_clients, deployed.api_log_group, '"guessed-seal"', started),
                 timeout=LOG_WAIT_S, interval=10, what="the forged line in CloudWatch Logs")
    [metric_filter] = aws_clients["logs"].describe_metric_filters(logGroupName=deployed.api_log_group)["metricFilters"]
    tested = aws_clients["logs"].test_metric_filter(filterPattern=metric_filter["filterPattern"],
                                                    logEventMessages=lines)
    assert tested["matches"] == []


def test_records_reach_the_log_under_the_json_format_at_warn(aws_clients: dict[str, Any],
                                                              deployed: Deployed) -> None:
    """Lambda files a JSON object by its level: the guard's WARN records pass an application level of WARN."""
    started = datetime.now(timezone.utc) - timedelta(minutes=1)
    blocked = _invoke(aws_clients, deployed.json_function, "api-sqli.json")
    assert blocked["statusCode"] == 403
    request_id = json.loads(blocked["body"])["requestId"]
    query = f'{{ $.{contract.FIELD_REQUEST_ID} = "{request_id}" }}'
    [line] = poll(lambda: _log_lines(aws_clients, deployed.json_log_group, query, started),
                  timeout=LOG_WAIT_S, interval=10, what="the Violation record under the JSON log format")
    record = json.loads(line)
    assert record[contract.FIELD_LEVEL] == contract.RECORD_LEVEL and record[contract.FIELD_EVENT] == "Violation"
    [metric_filter] = aws_clients["logs"].describe_metric_filters(logGroupName=deployed.json_log_group)["metricFilters"]
    tested = aws_clients["logs"].test_metric_filter(filterPattern=metric_filter["filterPattern"],
                                                    logEventMessages=[line])
    assert [m["eventNumber"] for m in tested["matches"]] == [1]


def test_a_blocked_queue_message_ends_in_the_dead_letter_queue_after_max_receive_count(
        aws_clients: dict[str, Any], deployed: Deployed) -> None:
    """The example's queue: ReportBatchItemFailures, a redrive policy with maxReceiveCount 3."""
    started = datetime.now(timezone.utc) - timedelta(minutes=1)
    sqs = aws_clients["sqs"]
    poisoned = next(r["body"] for r in load_event("worker-batch.json")["Records"] if "169.254" in r["body"])
    message_id = sqs.send_message(QueueUrl=deployed.orders_queue_url, MessageBody=poisoned)["MessageId"]

    def in_dead_letter_queue() -> str | None:
        for message in sqs.receive_message(QueueUrl=deployed.orders_dlq_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=20).get("Messages", []):
            if message["MessageId"] == message_id:
                return str(message["Body"])
        return None

    assert poll(in_dead_letter_queue, timeout=REDRIVE_WAIT_S, interval=0,
                what="the blocked message in the dead-letter queue") == poisoned
    query = f'{{ $.{contract.FIELD_ITEM_ID} = "{message_id}" }}'
    records = poll(lambda: _log_lines(aws_clients, deployed.worker_log_group, query, started),
                   timeout=LOG_WAIT_S, interval=10, what="the worker's Violation records")
    assert len(records) == 3  # one per delivery: maxReceiveCount, then the dead-letter queue


def test_the_node_function_is_guarded_by_the_proxy_extension(aws_clients: dict[str, Any], deployed: Deployed) -> None:
    """OrdersApiNode (Node.js 24, the proxy extension layer on the managed runtime): the attack never reaches
    the handler, the leak is withheld, the extension's sealed records reach the function's log group, match
    its metric filter and drive its alarm."""
    started = datetime.now(timezone.utc) - timedelta(minutes=1)
    clean = _invoke(aws_clients, deployed.node_function, "api-lookup.json")
    assert clean["statusCode"] == 200 and json.loads(clean["body"])["id"] == "1001"
    blocked = _invoke(aws_clients, deployed.node_function, "api-sqli.json")
    assert blocked["statusCode"] == 403 and json.loads(blocked["body"])["message"] == "Forbidden"
    withheld = _invoke(aws_clients, deployed.node_function, "api-export-card.json")
    assert withheld["statusCode"] == 500 and "4111" not in json.dumps(withheld)
    query = f'{{ $.{contract.FIELD_EVENT} = "{contract.VIOLATION_MARKER}" }}'
    lines = poll(lambda: (found if (found := _log_lines(aws_clients, deployed.node_log_group, query, started))
                          and len(found) >= 2 else None),
                 timeout=LOG_WAIT_S, interval=10, what="the proxy's Violation records in CloudWatch Logs")
    records = [json.loads(line) for line in lines]
    assert {r[contract.FIELD_DIRECTION] for r in records} == {contract.DIRECTION_INBOUND, contract.DIRECTION_OUTBOUND}
    seal = _seal(aws_clients, deployed)
    assert all(r[contract.FIELD_SEAL] == seal and r[contract.FIELD_FUNCTION_NAME] == deployed.node_function
               for r in records)
    [metric_filter] = aws_clients["logs"].describe_metric_filters(logGroupName=deployed.node_log_group)["metricFilters"]
    tested = aws_clients["logs"].test_metric_filter(filterPattern=metric_filter["filterPattern"], logEventMessages=lines)
    assert len(tested["matches"]) == len(lines)
    cloudwatch = aws_clients["cloudwatch"]

    def alarm_state() -> str | None:
        [alarm] = cloudwatch.describe_alarms(AlarmNames=[deployed.node_alarm])["MetricAlarms"]
        return "ALARM" if alarm["StateValue"] == "ALARM" else None

    poll(alarm_state, timeout=ALARM_WAIT_S, interval=20, what=f"alarm {deployed.node_alarm} in ALARM")
