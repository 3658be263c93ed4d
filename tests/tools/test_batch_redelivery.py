"""How many times a record the guard blocks comes back, on SQS's own redelivery rules (moto's SQS).

The Lambda poller's part is played here as AWS documents it for SQS with
ReportBatchItemFailures: receive a batch, invoke, delete the records not reported
as failures; the reported ones become visible again after the visibility timeout
(0 here) and are received again, until the queue's redrive policy moves them to
the dead-letter queue. The receive counts and the move to the DLQ are moto's SQS.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

from protect_lambda import contract  # noqa: E402
from protect_lambda.config import GuardConfig  # noqa: E402
from protect_lambda.inspection import build_guard  # noqa: E402
from protect_lambda.protected_handler import ProtectedHandler  # noqa: E402

POISON = json.dumps({"order_id": "1002; curl http://169.254.169.254/latest/meta-data/"})
CLEAN = [json.dumps({"order_id": "1001"}), json.dumps({"order_id": "1003"})]


class Context:
    function_name = "orders-worker"
    aws_request_id = "req"


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        yield boto3.client("sqs")


def _queue(sqs: Any, name: str, redrive_to: str | None = None, receives: int = 3) -> str:
    attributes = {"VisibilityTimeout": "0"}
    if redrive_to is not None:
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": redrive_to, "maxReceiveCount": str(receives)})
    url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url


def _arn(sqs: Any, url: str) -> str:
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return arn


def _poll(sqs: Any, url: str, polls: int, capsys: pytest.CaptureFixture[str]) -> tuple[Counter[str], list[Any]]:
    """Poll ``polls`` times as Lambda does; the bodies delivered, counted, and the Violation records."""
    processed: list[str] = []

    def worker(event: Any, context: Any) -> Any:
        processed.extend(record["body"] for record in event["Records"])
        return {"batchItemFailures": []}

    protected = ProtectedHandler(worker, build_guard(GuardConfig()), GuardConfig(seal="s"))
    delivered: Counter[str] = Counter()
    for _ in range(polls):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not messages:
            continue
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": m.get("Attributes", {}), "messageAttributes": {},
                              "eventSource": "aws:sqs", "eventSourceARN": _arn(sqs, url), "awsRegion": "us-east-1"}
                             for m in messages]}
        result = protected(event, Context())
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for message in messages:
            delivered[message["Body"]] += 1
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"Violation"' in line]
    assert sorted(processed) == sorted(CLEAN)  # the clean records, each once
    return delivered, records


def test_with_a_redrive_policy_a_blocked_message_comes_back_max_receive_count_times(
    sqs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq = _queue(sqs, "orders-dlq")
    url = _queue(sqs, "orders", redrive_to=_arn(sqs, dlq), receives=3)
    for body in (CLEAN[0], POISON, CLEAN[1]):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    delivered, records = _poll(sqs, url, polls=10, capsys=capsys)
    assert delivered[POISON] == 3 and all(delivered[body] == 1 for body in CLEAN)
    # one per delivery, each naming the same lead finding (the payload is both cmdi and ssrf)
    categories = {r[contract.FIELD_CATEGORY] for r in records}
    assert len(records) == 3 and len(categories) == 1 and categories <= {"cmdi", "ssrf"}
    moved = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in moved] == [POISON]  # not lost: in the dead-letter queue
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_without_one_it_comes_back_at_every_poll(sqs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """What the synth warning protect-lambda:sqs-redrive is about: until the retention period ends."""
    url = _queue(sqs, "orders-no-dlq")
    for body in (CLEAN[0], POISON, CLEAN[1]):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    delivered, records = _poll(sqs, url, polls=10, capsys=capsys)
    assert delivered[POISON] == 10 and len(records) == 10
