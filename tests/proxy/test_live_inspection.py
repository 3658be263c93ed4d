"""The guard on live invocations: AWS's Node.js runtime client behind the wrapper and the proxy.

The proxy extension runs the Go guard with the configuration a construct writes into the
function's environment; the local Runtime API of the tools plays Lambda. What is checked is what
reaches the Runtime API, what reaches the handler (it prints every event it gets), and the
records the extension prints (Lambda puts them in the function's log stream). The Go Inspector's
decisions are compared with the Python wrapper's on thousands of invocations by
tests/proxy/test_build.py (proxy/gen/vectors_invocations.py); these tests hold the wiring.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from protect_lambda import contract
from protect_lambda_tools.runtime_api import RuntimeApi
from tests.detection import events as E

from .conftest import FUNCTION_ARN, WRAPPER, Extension, Runtime, free_port, queue_event
from .test_node_client import NODE_BIN, RIC, node_code, pytestmark  # noqa: F401 - skipped without the Node client

SEAL = "0f5e8a3c-1d2b-4e6f-9a7b-c8d9e0f1a2b3"
HANDLERS = textwrap.dedent('''
    const seen = (event) => console.log("HANDLED " + JSON.stringify(event));
    export const http = async (event) => {
      seen(event);
      return { statusCode: 200, body: JSON.stringify({ q: event.queryStringParameters?.q ?? null,
                                                        seal: process.env.PROTECT_LAMBDA_SEAL ?? null }) };
    };
    export const leak = async (event) => { seen(event); return { statusCode: 200, body: "card 4111 1111 1111 1111" }; };
    export const batch = async (event) => {
      seen(event);
      return { batchItemFailures: [{ itemIdentifier: "id-0" }] };
    };
    export const plain = async (event) => { seen(event); return { ok: true }; };
    export const stream = awslambda.streamifyResponse(async (event, responseStream) => {
      seen(event);
      responseStream.write("streamed " + (event.queryStringParameters?.q ?? ""));
      responseStream.end();
    });
''')


@pytest.fixture
def code(tmp_path: Path) -> Path:
    return node_code(tmp_path, HANDLERS)


class Session:
    """One execution environment: the proxy extension and the Node.js client behind it."""

    def __init__(self, binary: Path, workdir: Path, code: Path, handler: str, guard_env: dict[str, str]) -> None:
        self.api = RuntimeApi(FUNCTION_ARN)
        self.extension = Extension(binary, self.api, free_port(), workdir, env=guard_env)
        env = {"PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "_HANDLER": handler, **guard_env}
        self.runtime = Runtime(["sh", str(WRAPPER), str(RIC), handler], self.api, self.extension.port, code, env)

    def invoke(self, events: list[Any]) -> dict[str, tuple[str, Any, str]]:
        """request id -> (response or error, the JSON answer, the error type header)."""
        for n, event in enumerate(events):
            queue_event(self.api, f"req-{n}", event)
        answers: dict[str, tuple[str, Any, str]] = {}
        while len(answers) < len(events):
            message = self.api.messages.get(timeout=20)
            if message.kind in ("response", "error"):
                body = message.body.decode()
                try:
                    value: Any = json.loads(body)
                except ValueError:
                    value = body
                answers[message.request_id] = (message.kind, value, message.error_type)
            elif message.kind == "init_error":
                raise AssertionError(f"init error: {message.body!r}")
        return answers

    def close(self) -> tuple[list[Any], list[dict[str, Any]]]:
        """Stop both; the events the handler got, and the records the extension printed."""
        out = self.runtime.stop()
        self.api.close()
        printed = self.extension.stop()
        handled = [json.loads(line.split("HANDLED ", 1)[1]) for line in out.splitlines() if "HANDLED " in line]
        records = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
        return handled, records


@pytest.fixture
def session(proxy_binary: Path, tmp_path: Path, code: Path) -> Iterator[Any]:
    opened: list[Session] = []

    def start(handler: str, **guard_env: str) -> Session:
        s = Session(proxy_binary, tmp_path / f"s{len(opened)}", code, handler,
                    {contract.SEAL_ENV: SEAL, **guard_env})
        opened.append(s)
        return s

    yield start
    for s in opened:
        if s.runtime.process.poll() is None:
            s.close()


def test_a_blocked_http_event_never_reaches_the_handler(session: Any) -> None:
    s = session("index.http")
    answers = s.invoke([E.apigw_rest(query="1' OR '1'='1' --"), E.apigw_rest(query="hello")])
    handled, records = s.close()
    kind, blocked, _ = answers["req-0"]
    assert kind == "response" and blocked["statusCode"] == 403
    assert json.loads(blocked["body"]) == {"message": "Forbidden", "requestId": "req-0"}
    # the handler saw only the clean event, and not the seal (the wrapper keeps it from the runtime)
    assert [h["queryStringParameters"]["q"] for h in handled] == ["hello"]
    assert json.loads(answers["req-1"][1]["body"]) == {"q": "hello", "seal": None}
    [record] = records
    assert record["event"] == contract.VIOLATION_MARKER and record["seal"] == SEAL
    assert record["request_id"] == "req-0" and record["function_name"] == "proxied"
    assert record["source"] == "apigw-rest" and record["category"] == "sqli" and record["action"] == "blocked"
    assert "OR" in record["excerpt"] or "1" in record["excerpt"]


def test_a_leaking_response_is_withheld(session: Any) -> None:
    s = session("index.leak")
    answers = s.invoke([E.apigw_rest(query="hello")])
    handled, records = s.close()
    kind, answer, _ = answers["req-0"]
    assert kind == "response" and answer["statusCode"] == 500 and "4111" not in json.dumps(answer)
    assert len(handled) == 1
    [record] = records
    assert record["direction"] == "outbound" and record["category"].startswith("leak")
    assert "4111 1111 1111 1111" not in json.dumps(record)  # redacted excerpt, never the secret


def test_a_batch_hands_on_its_clean_records_and_reports_the_blocked_one(session: Any) -> None:
    s = session("index.batch")
    answers = s.invoke([E.sqs("fine", "<script>alert(1)</script>", "also fine")])
    handled, records = s.close()
    assert [r["messageId"] for r in handled[0]["Records"]] == ["id-0", "id-2"]
    kind, answer, _ = answers["req-0"]
    # the handler's own failure, then the record held back
    assert kind == "response" and answer == {"batchItemFailures": [{"itemIdentifier": "id-0"},
                                                                    {"itemIdentifier": "id-1"}]}
    [record] = records
    assert record["record_index"] == 1 and record["item_id"] == "id-1"


def test_a_blocked_event_without_a_block_response_fails_the_invocation(session: Any) -> None:
    s = session("index.plain")
    answers = s.invoke([E.eventbridge({"cmd": "; cat /etc/passwd"})])
    handled, records = s.close()
    kind, error, error_type = answers["req-0"]
    assert (kind, error_type, error["errorType"]) == ("error", "GuardBlockedError", "GuardBlockedError")
    assert error["errorMessage"].startswith("protect-lambda blocked the invocation (inbound, source eventbridge)")
    assert handled == [] and records[0]["source"] == "eventbridge"


def test_monitor_mode_records_and_lets_through(session: Any) -> None:
    s = session("index.http", **{contract.MODE_ENV: "monitor"})
    answers = s.invoke([E.apigw_rest(query="<script>alert(1)</script>")])
    handled, records = s.close()
    assert answers["req-0"][1]["statusCode"] == 200 and len(handled) == 1
    assert records[0]["action"] == "detected" and records[0]["mode"] == "monitor"


def test_a_configuration_that_cannot_load_follows_the_fail_policy(session: Any) -> None:
    closed = session("index.http", **{contract.CONFIG_ENV: '{"sensitivity": 9}', contract.FAIL_POLICY_ENV: "closed"})
    answers = closed.invoke([E.apigw_rest(query="hello")])
    handled, records = closed.close()
    assert answers["req-0"][1]["statusCode"] == 403 and handled == []
    assert records[0]["event"] == "GuardError" and records[0]["outcome"] == "blocked"
    assert records[0]["phase"] == "config" and "sensitivity" in records[0]["detail"]
    opened = session("index.http", **{contract.CONFIG_ENV: '{"sensitivity": 9}'})
    answers = opened.invoke([E.apigw_rest(query="hello")])
    handled, records = opened.close()
    assert answers["req-0"][1]["statusCode"] == 200 and len(handled) == 1
    assert records[0]["outcome"] == "proceeded"


def test_inbound_blocking_works_for_a_streaming_function(session: Any) -> None:
    s = session("index.stream")
    answers = s.invoke([E.apigw_rest(query="../../etc/passwd"), E.apigw_rest(query="fine")])
    handled, records = s.close()
    assert answers["req-0"][1]["statusCode"] == 403
    assert answers["req-1"] == ("response", "streamed fine", "")
    assert [h["queryStringParameters"]["q"] for h in handled] == ["fine"]
    assert len(records) == 1
