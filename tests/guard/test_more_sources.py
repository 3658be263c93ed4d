"""Sources answered in their own terms: Kafka batches, Lambda authorizers, WebSocket APIs and
CloudFormation custom resources (directly and through CDK's provider framework)."""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from protect_lambda import adapters, contract, inspection, responses
from protect_lambda.custom_resources import BLOCKED_PHYSICAL_ID_PREFIX
from protect_lambda.errors import GuardBlockedError, GuardFailedClosedError

from .conftest import SQLI, XSS, FailingGuard, LambdaContext, Recorder, printed_records, protect

# --- Kafka -------------------------------------------------------------------------------


def _kafka_record(topic: str, partition: int, offset: int, value: str, *, key: str = "k",
                  headers: list[dict[str, list[int]]] | None = None) -> dict[str, Any]:
    return {
        "topic": topic, "partition": partition, "offset": offset, "timestamp": 1700000000000,
        "timestampType": "CREATE_TIME",
        "key": base64.b64encode(key.encode()).decode(),
        "value": base64.b64encode(value.encode()).decode(),
        "headers": headers or [{"traceparent": list(b"00-abc-01")}],
    }


def kafka(partitions: dict[tuple[str, int], list[str]], *, self_managed: bool = False) -> dict[str, Any]:
    """A Kafka batch as Lambda hands it over: records grouped under "topic-partition" keys."""
    records = {
        f"{topic}-{partition}": [_kafka_record(topic, partition, 100 + i, value) for i, value in enumerate(values)]
        for (topic, partition), values in partitions.items()
    }
    event: dict[str, Any] = {"eventSource": "SelfManagedKafka" if self_managed else "aws:kafka",
                             "bootstrapServers": "b-1.example:9092", "records": records}
    if not self_managed:
        event["eventSourceArn"] = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/abc"
    return event


@pytest.mark.parametrize("self_managed", [False, True], ids=["msk", "self-managed"])
def test_kafka_records_are_inspected_one_by_one(default_guard: inspection.GuardLike, self_managed: bool) -> None:
    event = kafka({("orders", 0): ['{"id": 1}', '{"note": "' + XSS + '"}']}, self_managed=self_managed)
    verdict = default_guard.inspect_event(event)
    assert verdict.source == "kafka"
    assert verdict.blocked_records == {1}
    assert all(f.location.startswith("records[1].value") for f in verdict.findings)


def test_kafka_headers_and_keys_are_scanned(default_guard: inspection.GuardLike) -> None:
    event = kafka({("orders", 0): ["fine"]})
    event["records"]["orders-0"][0]["headers"] = [{"x-note": list(SQLI.encode())}]
    event["records"]["orders-0"][0]["key"] = base64.b64encode(XSS.encode()).decode()
    locations = {f.location for f in default_guard.inspect_event(event).findings}
    assert "records[0].headers.x-note" in locations and "records[0].key" in locations


def test_kafka_blocked_record_is_a_batch_item_failure_and_its_partition_waits(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    event = kafka({("orders", 0): ["a", XSS, "c"], ("orders", 1): ["d", "e"]})
    recorder = Recorder()
    result = protect(recorder, default_guard)(event, ctx)
    # the blocked record and the later record of its partition are retried; partition 1 is untouched
    assert result == {"batchItemFailures": [
        {"itemIdentifier": {"partition": "orders-0", "offset": 101}},
        {"itemIdentifier": {"partition": "orders-0", "offset": 102}},
    ]}
    [handed] = recorder.events
    assert {key: [r["offset"] for r in records] for key, records in handed["records"].items()} == {
        "orders-0": [100], "orders-1": [100, 101]}
    assert len(event["records"]["orders-0"]) == 3  # the caller's event is not changed
    [record] = printed_records(capsys.readouterr().out)
    assert record[contract.FIELD_SOURCE] == "kafka"
    assert record[contract.FIELD_ITEM_ID] == "orders-0@101" and record[contract.FIELD_RECORD_INDEX] == 1


def test_kafka_partition_starting_with_a_blocked_record_fails_the_invocation(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    """As for streams: reporting a partition's first record makes no progress; an error lets Lambda bisect."""
    recorder = Recorder()
    with pytest.raises(GuardBlockedError, match="source kafka"):
        protect(recorder, default_guard)(kafka({("orders", 0): ["a"], ("orders", 1): [SQLI, "b"]}), ctx)
    assert recorder.events == []


def test_kafka_handler_failures_merge_and_withheld_results_keep_only_known_records(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    event = kafka({("orders", 0): ["a", "b", XSS]})
    own = {"batchItemFailures": [{"itemIdentifier": {"partition": "orders-0", "offset": 100}}]}
    assert protect(Recorder(own), default_guard)(event, ctx) == {"batchItemFailures": [
        {"itemIdentifier": {"partition": "orders-0", "offset": 100}},
        {"itemIdentifier": {"partition": "orders-0", "offset": 102}},
    ]}
    leaking = {"batchItemFailures": [{"itemIdentifier": {"partition": "orders-0", "offset": 101}},
                                     {"itemIdentifier": {"partition": "x", "offset": [1]}}],
               "card": "4111 1111 1111 1111"}
    assert protect(Recorder(leaking), default_guard)(event, ctx) == {"batchItemFailures": [
        {"itemIdentifier": {"partition": "orders-0", "offset": 101}},
        {"itemIdentifier": {"partition": "orders-0", "offset": 102}},
    ]}


def test_kafka_fail_closed_fails_every_record(ctx: LambdaContext) -> None:
    protected = protect(Recorder(), FailingGuard(RuntimeError("boom")), fail_policy="closed")
    result = protected(kafka({("t", 3): ["a", "b"]}), ctx)
    assert result == {"batchItemFailures": [{"itemIdentifier": {"partition": "t-3", "offset": 100}},
                                            {"itemIdentifier": {"partition": "t-3", "offset": 101}}]}


# --- Lambda authorizers --------------------------------------------------------------------

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/orders"
ROUTE_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/orders"


def token_authorizer(token: str) -> dict[str, Any]:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": METHOD_ARN}


def request_authorizer(query: str) -> dict[str, Any]:
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "resource": "/orders", "path": "/orders",
            "httpMethod": "GET", "headers": {"Authorization": "Bearer abc"},
            "queryStringParameters": {"q": query}, "pathParameters": {}, "stageVariables": {},
            "requestContext": {"path": "/prod/orders", "accountId": "123456789012", "stage": "prod",
                               "requestId": "r", "httpMethod": "GET", "resourcePath": "/orders"}}


def http_authorizer(query: str) -> dict[str, Any]:
    return {"version": "2.0", "type": "REQUEST", "routeArn": ROUTE_ARN, "identitySource": ["Bearer abc"],
            "routeKey": "GET /orders", "rawPath": "/orders", "rawQueryString": f"q={query}",
            "headers": {"authorization": "Bearer abc"}, "queryStringParameters": {"q": query},
            "requestContext": {"accountId": "123456789012", "apiId": "abcdef123", "domainName": "x",
                               "http": {"method": "GET", "path": "/orders"}, "requestId": "r",
                               "routeKey": "GET /orders", "stage": "$default"}}


def _deny(policy: dict[str, Any], resource: str) -> bool:
    [statement] = policy["policyDocument"]["Statement"]
    return (statement == {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": resource}
            and isinstance(policy["principalId"], str) and policy["principalId"])


@pytest.mark.parametrize("event", [token_authorizer(XSS), request_authorizer(SQLI)], ids=["token", "request"])
def test_rest_authorizer_denies_with_an_iam_policy(
    default_guard: inspection.GuardLike, ctx: LambdaContext, event: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorder = Recorder({"principalId": "user", "policyDocument": {}})
    answer = protect(recorder, default_guard)(event, ctx)
    assert _deny(answer, METHOD_ARN)
    assert recorder.events == []
    [record] = printed_records(capsys.readouterr().out)
    assert record[contract.FIELD_SOURCE] == "apigw-authorizer"


@pytest.mark.parametrize(("style", "expected_keys"), [
    ("simple", {"isAuthorized"}),
    ("iam", {"principalId", "policyDocument"}),
    ("auto", {"isAuthorized", "principalId", "policyDocument"}),
])
def test_http_api_authorizer_answers_in_the_configured_format(
    ctx: LambdaContext, style: str, expected_keys: set[str]
) -> None:
    answer = protect(Recorder(), authorizer_response=style)(http_authorizer(SQLI), ctx)
    assert set(answer) == expected_keys
    if "isAuthorized" in answer:
        assert answer["isAuthorized"] is False
    if "policyDocument" in answer:
        assert _deny(answer, ROUTE_ARN)


def test_clean_authorizer_requests_reach_the_authorizer(default_guard: inspection.GuardLike, ctx: LambdaContext) -> None:
    allow = {"isAuthorized": True}
    assert protect(Recorder(allow), default_guard)(http_authorizer("shoes"), ctx) is allow
    assert adapters.detect_source(token_authorizer("abc")) == "apigw-authorizer"


def test_authorizer_leaking_context_is_denied_and_fail_closed_denies(ctx: LambdaContext) -> None:
    leaking = {"principalId": "u", "policyDocument": {}, "context": {"card": "4111 1111 1111 1111"}}
    assert _deny(protect(Recorder(leaking))(token_authorizer("abc"), ctx), METHOD_ARN)
    closed = protect(Recorder(), FailingGuard(RuntimeError("boom")), fail_policy="closed")
    assert _deny(closed(request_authorizer("x"), ctx), METHOD_ARN)


# --- WebSocket APIs ------------------------------------------------------------------------


def websocket(event_type: str, body: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "requestContext": {"routeKey": "$connect" if event_type == "CONNECT" else "sendmessage",
                           "eventType": event_type, "connectionId": "L0SM9cOFvHcCIhw=", "stage": "prod",
                           "domainName": "abc.execute-api.us-east-1.amazonaws.com", "apiId": "abc",
                           "requestId": "r", "messageDirection": "IN"},
        "isBase64Encoded": False,
    }
    if event_type == "CONNECT":
        event["headers"] = {"Host": "abc.execute-api.us-east-1.amazonaws.com"}
        event["queryStringParameters"] = {"room": body or "lobby"}
    else:
        event["body"] = body
    return event


def test_websocket_events_are_named_and_refused_with_403(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = protect(Recorder(), default_guard)(websocket("MESSAGE", json.dumps({"msg": XSS})), ctx)
    assert answer["statusCode"] == 403
    assert printed_records(capsys.readouterr().out)[0][contract.FIELD_SOURCE] == "apigw-websocket"
    assert protect(Recorder(), default_guard)(websocket("CONNECT", SQLI), ctx)["statusCode"] == 403
    assert adapters.detect_source(websocket("DISCONNECT")) == "apigw-websocket"


# --- CloudFormation custom resources ----------------------------------------------------------


def custom_resource(request: str, response_url: str, *, sql: str = "CREATE TABLE orders (id int)",
                    physical_id: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request, "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:cr",
        "ResponseURL": response_url, "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1",
        "RequestId": "req-7", "LogicalResourceId": "Schema", "ResourceType": "Custom::Schema",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:cr",
                               "Statement": sql},
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


FRAMEWORK_URL = "..."  # CDK's provider framework hands the user's handler this instead of the URL


class ResponseSink:
    """A local stand-in for the pre-signed S3 URL: records every PUT body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers["Content-Length"])
                sink.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bucket/key?X-Amz-Signature=x"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def sink() -> Iterator[ResponseSink]:
    if sys.platform == "emscripten":
        pytest.skip("serves HTTP on a thread (Pyodide has neither)")
    server = ResponseSink()
    yield server
    server.server.shutdown()


def test_custom_resources_are_not_inspected_by_default(default_guard: inspection.GuardLike, ctx: LambdaContext,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A DDL statement is what a schema custom resource is for: by default it reaches the handler."""
    recorder = Recorder({"PhysicalResourceId": "schema"})
    event = custom_resource("Create", FRAMEWORK_URL, sql="DROP TABLE x; SELECT * FROM users WHERE 1=1 --")
    assert protect(recorder, default_guard)(event, ctx) == {"PhysicalResourceId": "schema"}
    assert recorder.events == [event]
    assert capsys.readouterr().out == ""


def test_inspected_custom_resource_under_the_provider_framework_raises(ctx: LambdaContext) -> None:
    """CDK's provider framework catches the error and reports the resource FAILED with its message."""
    recorder = Recorder()
    protected = protect(recorder, custom_resources="inspect")
    with pytest.raises(GuardBlockedError, match="source cfn-custom-resource"):
        protected(custom_resource("Create", FRAMEWORK_URL, sql=SQLI), ctx)
    assert recorder.events == []


def test_inspected_custom_resource_called_directly_is_answered_failed(ctx: LambdaContext, sink: ResponseSink) -> None:
    recorder = Recorder()
    protected = protect(recorder, custom_resources="inspect")
    assert protected(custom_resource("Update", sink.url, sql=SQLI, physical_id="schema-1"), ctx) is None
    [body] = sink.bodies
    assert body["Status"] == "FAILED" and body["PhysicalResourceId"] == "schema-1"
    assert body["RequestId"] == "req-7" and body["LogicalResourceId"] == "Schema"
    assert "protect-lambda blocked" in body["Reason"] and SQLI.strip() not in body["Reason"]
    assert recorder.events == []


def test_rollback_of_a_failed_create_succeeds_without_the_handler(ctx: LambdaContext, sink: ResponseSink) -> None:
    recorder = Recorder()
    protected = protect(recorder, custom_resources="inspect")
    protected(custom_resource("Create", sink.url, sql=SQLI), ctx)
    failed = sink.bodies[-1]
    assert failed["Status"] == "FAILED" and failed["PhysicalResourceId"].startswith(BLOCKED_PHYSICAL_ID_PREFIX)
    protected(custom_resource("Delete", sink.url, sql=SQLI, physical_id=failed["PhysicalResourceId"]), ctx)
    assert sink.bodies[-1]["Status"] == "SUCCESS"
    assert sink.bodies[-1]["PhysicalResourceId"] == failed["PhysicalResourceId"]
    assert recorder.events == []


@pytest.mark.parametrize("url", [FRAMEWORK_URL, "direct"])
def test_a_delete_is_never_blocked_but_recorded(ctx: LambdaContext, sink: ResponseSink, url: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    recorder = Recorder({"PhysicalResourceId": "schema-1"})
    event = custom_resource("Delete", sink.url if url == "direct" else url, sql=SQLI, physical_id="schema-1")
    assert protect(recorder, custom_resources="inspect")(event, ctx) == {"PhysicalResourceId": "schema-1"}
    assert recorder.events == [event] and sink.bodies == []
    [record] = printed_records(capsys.readouterr().out)
    assert record[contract.FIELD_ACTION] == contract.ACTION_DETECTED
    assert record[contract.FIELD_SOURCE] == "cfn-custom-resource"


def test_a_delete_proceeds_even_when_the_guard_fails_closed(ctx: LambdaContext) -> None:
    recorder = Recorder("deleted")
    protected = protect(recorder, FailingGuard(RuntimeError("boom")), fail_policy="closed",
                        custom_resources="inspect")
    assert protected(custom_resource("Delete", FRAMEWORK_URL, physical_id="p"), ctx) == "deleted"
    with pytest.raises(GuardBlockedError):
        protected(custom_resource("Create", FRAMEWORK_URL), ctx)


def test_an_undeliverable_answer_fails_the_invocation(ctx: LambdaContext) -> None:
    protected = protect(Recorder(), custom_resources="inspect")
    with pytest.raises(GuardBlockedError) as raised:
        protected(custom_resource("Create", "http://127.0.0.1:9/unreachable", sql=SQLI), ctx)
    assert not isinstance(raised.value, GuardFailedClosedError)


def test_fallback_source_names_the_new_shapes() -> None:
    assert responses.fallback_source(kafka({("t", 0): ["a"]})) == "kafka"
    assert responses.fallback_source(token_authorizer("x")) == "apigw-authorizer"
    assert responses.fallback_source(http_authorizer("x")) == "apigw-http-authorizer"
    assert responses.fallback_source(websocket("MESSAGE", "x")) == "apigw-websocket"
    assert responses.fallback_source(custom_resource("Create", "...")) == "cfn-custom-resource"


def test_a_delete_answer_that_leaks_is_recorded_not_withheld(ctx: LambdaContext,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    answer = {"PhysicalResourceId": "p", "Data": {"card": "4111 1111 1111 1111"}}
    protected = protect(Recorder(answer), custom_resources="inspect")
    assert protected(custom_resource("Delete", FRAMEWORK_URL, sql="orders", physical_id="p"), ctx) is answer
    [record] = printed_records(capsys.readouterr().out)
    assert record[contract.FIELD_DIRECTION] == "outbound" and record[contract.FIELD_ACTION] == "detected"
    with pytest.raises(GuardBlockedError):  # an Update that leaks is withheld as for any other source
        protected(custom_resource("Update", FRAMEWORK_URL, sql="orders", physical_id="p"), ctx)
