"""Fixtures for the Lambda side of the guard: contexts, events of each source, a user
handler module on disk, the wrapper's cold start, and the printed records."""

from __future__ import annotations

import base64
import json
import sys
import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest

_LAYER = Path(__file__).resolve().parents[2] / "lambda_layer"
if str(_LAYER) not in sys.path:  # a plain checkout: the guard is not installed
    sys.path.insert(0, str(_LAYER))

from protect_lambda import contract, inspection, protected_handler, wrapper # noqa: E402

XSS = "<script>alert(document.cookie)</script>"
SQLI = "1' OR '1'='1' -- "
CMDI = "; cat /etc/passwd"
CARD = "4111 1111 1111 1111"  # the well-known Visa test number (Luhn-valid)
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7ZCu5mW2mvSx3K0AZsEiHpJLmL1\n"
    "q9z8k7ZwQhB0xE5UGSmmfKt5tXMQo3aEKXqTQ0pXcK4VCK2ak/LmG7xqzHn2EF/ZZy\n"
    "-----END RSA PRIVATE KEY-----"
)


@dataclass
class LambdaContext:
    """The attributes of the Lambda Python runtime's context object the guard reads."""

    function_name: str = "orders-api"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 128

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def ctx() -> LambdaContext:
    return LambdaContext()


def printed_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip()]


def printed_records(out: str, marker: str = contract.VIOLATION_MARKER) -> list[dict[str, Any]]:
    """The JSON records with ``event == marker`` among printed lines."""
    result = []
    for line in printed_lines(out):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get(contract.FIELD_EVENT) == marker:
            result.append(data)
    return result


def printed_findings(out: str, marker: str = contract.VIOLATION_MARKER) -> list[dict[str, Any]]:
    """Every finding of the printed records with ``event == marker``, one dict each: the record's
    fields with the finding's own (rule, category, severity, action, location, excerpt) over them."""
    found = []
    for record in printed_records(out, marker):
        shared = {key: value for key, value in record.items() if key != contract.FIELD_FINDINGS}
        found.extend({**shared, **finding} for finding in record[contract.FIELD_FINDINGS])
    return found


# --- events of each source ---------------------------------------------------------


def apigw_rest(query: str = "hello", *, request_id: str = "rest-req") -> dict[str, Any]:
    return {
        "resource": "/items",
        "path": "/items",
        "httpMethod": "GET",
        "headers": {"Host": "example.com", "User-Agent": "curl/8.0"},
        "multiValueHeaders": {"Host": ["example.com"], "User-Agent": ["curl/8.0"]},
        "queryStringParameters": {"q": query},
        "multiValueQueryStringParameters": {"q": [query]},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": request_id,
            "stage": "prod",
            "httpMethod": "GET",
            "resourcePath": "/items",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def apigw_http(query: str = "hello", *, body: Optional[str] = None) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "GET /items",
        "rawPath": "/items",
        "rawQueryString": "q=x",
        "headers": {"host": "abc.execute-api.us-east-1.amazonaws.com", "user-agent": "curl/8.0"},
        "queryStringParameters": {"q": query},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc",
            "domainName": "abc.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": "GET",
                "path": "/items",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "curl/8.0",
            },
            "requestId": "http-req",
            "routeKey": "GET /items",
            "stage": "$default",
        },
        **({"body": body} if body is not None else {}),
        "isBase64Encoded": False,
    }


def function_url(query: str = "hello") -> dict[str, Any]:
    event = apigw_http(query)
    event["routeKey"] = "$default"
    event["requestContext"]["domainName"] = "abcdefghij.lambda-url.us-east-1.on.aws"
    event["requestContext"]["apiId"] = "abcdefghij"
    event["requestContext"]["routeKey"] = "$default"
    event["headers"]["host"] = "abcdefghij.lambda-url.us-east-1.on.aws"
    return event


def alb(query: str = "hello", *, multi: bool = False) -> dict[str, Any]:
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
                "targetgroup/tg/0123456789abcdef"
            }
        },
        "httpMethod": "GET",
        "path": "/items",
        "body": "",
        "isBase64Encoded": False,
    }
    if multi:
        event["multiValueQueryStringParameters"] = {"q": [query]}
        event["multiValueHeaders"] = {"host": ["lb.example.com"], "user-agent": ["curl/8.0"]}
    else:
        event["queryStringParameters"] = {"q": query}
        event["headers"] = {"host": "lb.example.com", "user-agent": "curl/8.0"}
    return event


SQS_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"


def sqs(*bodies: str, fifo: bool = False, groups: Optional[list[str]] = None) -> dict[str, Any]:
    arn = SQS_ARN + (".fifo" if fifo else "")
    records = []
    for index, body in enumerate(bodies):
        attributes: dict[str, Any] = {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1700000000000",
        }
        if fifo:
            attributes["MessageGroupId"] = groups[index] if groups else "g"
        records.append(
            {
                "messageId": f"msg-{index}",
                "receiptHandle": f"rh-{index}",
                "body": body,
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": "0",
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def kinesis(*payloads: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "pk",
                    "sequenceNumber": f"4959033{index:04d}",
                    "data": base64.b64encode(payload.encode()).decode(),
                    "approximateArrivalTimestamp": 1700000000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:4959033{index:04d}",
                "eventName": "aws:kinesis:record",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
            }
            for index, payload in enumerate(payloads)
        ]
    }


def dynamodb(*comments: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventID": f"ev-{index}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": {"id": {"S": f"item-{index}"}},
                    "NewImage": {"id": {"S": f"item-{index}"}, "comment": {"S": comment}},
                    "SequenceNumber": f"11100000000{index:04d}",
                    "SizeBytes": 26,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/x",
            }
            for index, comment in enumerate(comments)
        ]
    }


def sns(message: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:topic:sub",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "m",
                    "Subject": "s",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:topic",
                    "Message": message,
                    "Timestamp": "2024-01-01T00:00:00.000Z",
                },
            }
        ]
    }


def eventbridge(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e-1",
        "detail-type": "Order Placed",
        "source": "shop.orders",
        "account": "123456789012",
        "time": "2024-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


# --- the guard and the wrapper --------------------------------------------------------


@pytest.fixture(scope="session")
def default_guard() -> inspection.GuardLike:
    from protect_lambda.config import GuardConfig

    return inspection.build_guard(GuardConfig())


def protect(
    handler: Callable[[Any, Any], Any], guard: Optional[inspection.GuardLike] = None, **config: Any
) -> protected_handler.ProtectedHandler:
    """``handler`` behind a real guard built from ``config`` (or behind ``guard``)."""
    from protect_lambda.config import GuardConfig

    cfg = GuardConfig(**config)
    return protected_handler.ProtectedHandler(
        handler, guard if guard is not None else inspection.build_guard(cfg), cfg
    )


class Recorder:
    """A user handler that records the events it was given and returns a fixed result."""

    def __init__(self, result: Any = None) -> None:
        self.result = result
        self.events: list[Any] = []

    def __call__(self, event: Any, context: Any) -> Any:
        self.events.append(event)
        return self.result


class FailingGuard:
    """A guard whose inspection raises: the injected guard failure."""

    def __init__(
        self, error: Exception, *, on: str = "event", real: Optional[inspection.GuardLike] = None
    ) -> None:
        self.error, self.on, self.real = error, on, real

    def inspect_event(self, event: Any) -> Any:
        if self.on == "event" or self.real is None:
            raise self.error
        return self.real.inspect_event(event)

    def inspect_response(self, response: Any, event: Any = None) -> Any:
        if self.on == "response" or self.real is None:
            raise self.error
        return self.real.inspect_response(response, event)


@dataclass
class UserApp:
    """A user's code directory with handler modules, on ``sys.path``."""

    root: Path
    package: str

    def write(self, relative: str, source: str) -> str:
        path = self.root / self.package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in [path.parent, *path.parent.parents]:
            if parent == self.root:
                break
            (parent / "__init__.py").touch()
        path.write_text(textwrap.dedent(source))
        return f"{self.package}.{relative[:-3].replace('/', '.')}"


@pytest.fixture
def user_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UserApp]:
    package = f"userapp_{uuid.uuid4().hex[:8]}"
    monkeypatch.syspath_prepend(str(tmp_path))
    yield UserApp(tmp_path, package)
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set the function's environment (as the construct would) and start a cold start."""
    for name in (
        contract.ORIGINAL_HANDLER_ENV,
        contract.MODE_ENV,
        contract.FAIL_POLICY_ENV,
        contract.CONFIG_ENV,
        contract.CONFIG_FILE_ENV,
        contract.SEAL_ENV,
        wrapper.RUNTIME_API_ENV,
    ):
        monkeypatch.delenv(name, raising=False)

    def start(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        wrapper.reset()

    yield start
    monkeypatch.undo()
    wrapper.reset()
