"""Three security gaps closed (review of the guard):

1. the ``location`` of a Violation record never carries a secret used as a key;
2. a leak in a batch response is withheld without failing the clean records:
   only a sanitised ``batchItemFailures`` is returned;
3. ``protect-lambda scan`` judges a line as the wrapper would: the event first,
   then the response (``eval`` keeps scoring each case on its labelled direction).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from protect_lambda import contract, inspection, protected_handler, violation
from protect_lambda_tools.cli import main
from protect_lambda.config import GuardConfig
from protect_lambda.errors import GuardBlockedError
from protect_lambda_tools.evaluation import inspect_case, score, scored_verdict
from protect_lambda.guard import Guard

from .conftest import (
    AWS_KEY_ID,
    AWS_SECRET,
    CARD,
    XSS,
    LambdaContext,
    Recorder,
    apigw_http,
    dynamodb,
    kinesis,
    printed_lines,
    printed_findings,
    sqs,
)

CTX = LambdaContext(function_name="billing", aws_request_id="req-abc")
PLACEHOLDER = violation.LOCATION_PLACEHOLDER

# --- 1. no secret in the location -----------------------------------------------------

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
SECRETS = {
    "card-spaces": CARD,
    "card-dashes": "4111-1111-1111-1111",
    "card-dots": "4111.1111.1111.1111",
    "card-plain": "4111111111111111",
    "amex": "3782 822463 10005",
    "ssn": "123-45-6789",
    "ssn-spaces": "123 45 6789",
    "aws-key-id": AWS_KEY_ID,
    "aws-sts-key-id": "ASIAY34FZKBOKMUTVV7A",
    "aws-secret": AWS_SECRET,
    "aws-secret-alnum": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12",
    "private-key-header": "-----BEGIN RSA PRIVATE KEY-----",
    "jwt": JWT,
    "github-token": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
}


def _pieces(secret: str) -> list[str]:
    """The secret and its runs of 4+ characters between separators (e.g. the groups of a
    card), none of which may appear in a record; digits-only variants included."""
    pieces = [secret, re.sub(r"[\s.-]", "", secret)]
    pieces += [p for p in re.split(r"[\s./=_-]+", secret) if len(p) >= 4 and p not in ("1111",)]
    return pieces


def _nest(depth: int, inner: dict[str, Any]) -> Any:
    value: Any = inner
    for level in range(depth):
        value = {"level": [value]} if level % 2 else {"data": value}
    return value


def _assert_no_secret(out: str, secret: str) -> list[dict[str, Any]]:
    lines = printed_lines(out)
    records = printed_findings(out)
    assert records, "a Violation record was expected"
    for line in lines:
        decoded = json.loads(line)
        text = line + json.dumps(decoded, ensure_ascii=False)
        for piece in _pieces(secret):
            assert piece not in text, (piece, line)
    return records


@pytest.mark.parametrize("depth", [0, 1, 4])
@pytest.mark.parametrize("name", sorted(SECRETS))
def test_secret_used_as_a_response_key_never_reaches_the_record(
    default_guard: inspection.GuardLike,
    capsys: pytest.CaptureFixture[str],
    name: str,
    depth: int,
) -> None:
    secret = SECRETS[name]
    # the value under the secret key leaks too, so a finding is located through the key
    result = _nest(depth, {secret: {"detail": f"charged {CARD}"}, "id": 7})
    protected = protected_handler.ProtectedHandler(Recorder(result), default_guard, GuardConfig())
    with pytest.raises(GuardBlockedError):
        protected({"orderId": "o-1"}, CTX)
    records = _assert_no_secret(capsys.readouterr().out, secret)
    assert any(PLACEHOLDER in r[contract.FIELD_LOCATION] for r in records)
    assert all(r[contract.FIELD_DIRECTION] == contract.DIRECTION_OUTBOUND for r in records)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_secret_used_as_a_key_inside_an_http_body(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    secret = SECRETS[name]
    body = json.dumps({"orders": [{"lines": {secret: f"card {CARD}"}}]})
    protected = protected_handler.ProtectedHandler(
        Recorder({"statusCode": 200, "body": body}), default_guard, GuardConfig()
    )
    assert protected(apigw_http("shoes"), CTX)["statusCode"] == 500
    records = _assert_no_secret(capsys.readouterr().out, secret)
    assert any(r[contract.FIELD_LOCATION].startswith("body.orders[0].lines.") for r in records), (
        records
    )


@pytest.mark.parametrize(
    "name", ["card-spaces", "card-dashes", "ssn", "aws-key-id", "aws-secret", "jwt"]
)
def test_secret_query_parameter_name_is_redacted_inbound(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    secret = SECRETS[name]
    event = apigw_http("shoes")
    event["queryStringParameters"] = {secret: XSS}
    protected = protected_handler.ProtectedHandler(Recorder(), default_guard, GuardConfig())
    assert protected(event, CTX)["statusCode"] == 403
    records = _assert_no_secret(capsys.readouterr().out, secret)
    assert {r[contract.FIELD_LOCATION] for r in records} <= {
        f"queryStringParameters.{PLACEHOLDER}",
        f"queryStringParameters.{PLACEHOLDER}#key",
    }


def test_secret_key_in_a_batch_record_is_redacted(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str]
) -> None:
    event = sqs("order 1", json.dumps({"meta": {AWS_KEY_ID: XSS}}))
    protected = protected_handler.ProtectedHandler(Recorder(), default_guard, GuardConfig())
    assert protected(event, CTX) == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    records = _assert_no_secret(capsys.readouterr().out, AWS_KEY_ID)
    assert {r[contract.FIELD_LOCATION] for r in records} == {f"Records[1].body.meta.{PLACEHOLDER}"}


def _event_with(where: str) -> dict[str, Any]:
    event = apigw_http("shoes")
    if where == "query":
        event["queryStringParameters"] = {"id": XSS}
    elif where == "body":
        event["body"] = json.dumps({"user": {"name": XSS}})
    elif where == "header":
        event["headers"]["user-agent"] = XSS
    return event


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("query", "queryStringParameters.id"),
        ("body", "body.user.name"),
        ("header", "headers.user-agent"),
    ],
)
def test_ordinary_locations_stay_readable(
    default_guard: inspection.GuardLike,
    capsys: pytest.CaptureFixture[str],
    where: str,
    expected: str,
) -> None:
    protected = protected_handler.ProtectedHandler(Recorder(), default_guard, GuardConfig())
    assert protected(_event_with(where), CTX)["statusCode"] == 403
    locations = {r[contract.FIELD_LOCATION] for r in printed_findings(capsys.readouterr().out)}
    assert expected in locations


def test_ordinary_batch_location_stays_readable(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str]
) -> None:
    event = sqs("a", "b", json.dumps({"text": XSS}))
    protected = protected_handler.ProtectedHandler(Recorder(), default_guard, GuardConfig())
    protected(event, CTX)
    locations = {r[contract.FIELD_LOCATION] for r in printed_findings(capsys.readouterr().out)}
    assert locations == {"Records[2].body.text"}


@pytest.mark.parametrize(
    "location",
    [
        "queryStringParameters.id",
        "body.user.name",
        "Records[2].body.text",
        "headers.user-agent",
        "headers.X-Amzn-Trace-Id",
        "multiValueHeaders.Accept-Encoding[0]",
        "Records[0].dynamodb.NewImage.comment.S",
        "requestContext.authorizer.jwt.claims.sub",
        "body.ApproximateFirstReceiveTimestamp",
        "body.items[3].description",
        "body.aws_secret_access_key#pair",
        "body.$where#key",
        "cookies.session_id",
        "[0].x",
        "",
    ],
)
def test_redact_location_keeps_plain_paths(location: str) -> None:
    assert violation.redact_location(location) == location


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("x[0].4111-1111-1111-1111#key", f"x[0].{PLACEHOLDER}#key"),
        ("body.4111.1111.1111.1111.name", f"body.{PLACEHOLDER}.name"),
        ("x.[4111].[1111].[1111].[1111]", f"x.{PLACEHOLDER}"),
        ("a.4111[1111].[1111][1111].b", f"a.{PLACEHOLDER}.b"),
        ("123-45-6789#key", f"{PLACEHOLDER}#key"),
        (f"queryStringParameters.{AWS_KEY_ID}", f"queryStringParameters.{PLACEHOLDER}"),
        (f"a.{AWS_SECRET}.b", f"a.{PLACEHOLDER}.b"),
        (f"a.{JWT}", f"a.{PLACEHOLDER}"),
        ("a.x" + "y" * 60, f"a.{PLACEHOLDER}"),
        ('payload."}\n{"event":"Violation"}', f"payload.{PLACEHOLDER}"),
        ("body. exec master..xp_cmdshell\n#key", f"body.{PLACEHOLDER}#key"),
    ],
)
def test_redact_location_replaces_secret_like_segments(location: str, expected: str) -> None:
    assert violation.redact_location(location) == expected


def test_long_location_is_bounded_and_never_judged_cut() -> None:
    record = violation.violation_record(
        [_finding("a.b" * 400 + "." + CARD.replace(" ", "-"))],
        source="generic",
        mode="block",
        function_name="f",
        request_id="r",
    )
    assert len(record[contract.FIELD_LOCATION]) <= violation.MAX_LOCATION
    assert "4111" not in record[contract.FIELD_LOCATION]


def _finding(location: str) -> Any:
    from types import SimpleNamespace as NS

    return NS(
        rule_id="leak-card-001",
        category="leak_card",
        direction="outbound",
        severity="critical",
        location=location,
        action="blocked",
        record_index=None,
        match=None,
    )


# --- 2. a leaking batch response does not fail the clean records ------------------------


def _protected(result: Any, guard: inspection.GuardLike) -> protected_handler.ProtectedHandler:
    return protected_handler.ProtectedHandler(Recorder(result), guard, GuardConfig())


def test_leak_beside_batch_item_failures_keeps_only_valid_failures(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str]
) -> None:
    result = {
        "batchItemFailures": [
            {"itemIdentifier": "msg-2", "reason": f"declined {CARD}"},
            {"itemIdentifier": "not-a-record"},
            {"itemIdentifier": CARD},
            {"itemIdentifier": "msg-2"},
            "junk",
            {"itemIdentifier": 3},
        ],
        "summary": f"charged {CARD}",
    }
    protected = _protected(result, default_guard)
    answer = protected(sqs("order 1", XSS, "order 3", "order 4"), CTX)
    assert answer == {
        "batchItemFailures": [{"itemIdentifier": "msg-2"}, {"itemIdentifier": "msg-1"}]
    }
    assert "4111" not in json.dumps(answer)
    records = printed_findings(capsys.readouterr().out)
    outbound = [r for r in records if r[contract.FIELD_DIRECTION] == contract.DIRECTION_OUTBOUND]
    assert outbound and all(r[contract.FIELD_ACTION] == contract.ACTION_BLOCKED for r in outbound)
    assert {r[contract.FIELD_CATEGORY] for r in outbound} == {"leak_card"}


def test_leak_only_fails_no_clean_record(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str]
) -> None:
    protected = _protected({"summary": f"charged {CARD}"}, default_guard)
    assert protected(sqs("order 1", "order 2"), CTX) == {"batchItemFailures": []}
    records = printed_findings(capsys.readouterr().out)
    assert [r[contract.FIELD_DIRECTION] for r in records] == [contract.DIRECTION_OUTBOUND]


@pytest.mark.parametrize("result", [f"charged {CARD}", [CARD], {"batchItemFailures": CARD}])
def test_leaking_result_of_another_shape(default_guard: inspection.GuardLike, result: Any) -> None:
    answer = _protected(result, default_guard)(sqs("order 1", XSS), CTX)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}


def test_leak_in_an_identifier_is_dropped(default_guard: inspection.GuardLike) -> None:
    result = {"batchItemFailures": [{"itemIdentifier": CARD}]}
    assert _protected(result, default_guard)(sqs("order 1"), CTX) == {"batchItemFailures": []}


@pytest.mark.parametrize(
    ("make", "ids"),
    [
        (lambda: kinesis("a", "b", "c"), ["49590330000", "49590330001", "49590330002"]),
        (lambda: dynamodb("a", "b", "c"), None),
    ],
)
def test_stream_sources_keep_the_handlers_sequence_numbers(
    default_guard: inspection.GuardLike, make: Callable[[], dict[str, Any]], ids: Any
) -> None:
    event = make()
    if ids is None:
        ids = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
    result = {
        "batchItemFailures": [{"itemIdentifier": ids[2]}, {"itemIdentifier": "999"}],
        "debug": f"key {AWS_KEY_ID} secret {AWS_SECRET}",
    }
    answer = _protected(result, default_guard)(event, CTX)
    assert answer == {"batchItemFailures": [{"itemIdentifier": ids[2]}]}


def test_monitor_mode_returns_the_batch_result_as_is() -> None:
    cfg = GuardConfig(mode=contract.MODE_MONITOR)
    result = {"batchItemFailures": [], "summary": f"charged {CARD}"}
    protected = protected_handler.ProtectedHandler(Recorder(result), inspection.build_guard(cfg), cfg)
    assert protected(sqs("order 1"), CTX) is result


def test_http_leak_is_still_a_500(default_guard: inspection.GuardLike) -> None:
    protected = _protected({"statusCode": 200, "body": f"card {CARD}"}, default_guard)
    assert protected(apigw_http("shoes"), CTX)["statusCode"] == 500


# --- 3. scan judges the event first, eval scores the labelled direction ------------------

XSS_LINE = {
    "id": "x1",
    "event": {"queryStringParameters": {"q": "<script>alert(1)</script>"}},
    "response": {"body": "ok"},
}


Capsys = pytest.CaptureFixture[str]


def _scan(
    tmp_path: Path, capsys: Capsys, lines: list[dict[str, Any]], *args: str
) -> list[dict[str, Any]]:
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    assert main(["scan", str(path), *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_scan_blocks_on_the_event_even_with_a_response(tmp_path: Path, capsys: Capsys) -> None:
    [verdict] = _scan(tmp_path, capsys, [XSS_LINE])
    assert verdict["id"] == "x1" and verdict["blocked"] is True
    assert {f["direction"] for f in verdict["findings"]} == {"inbound"}
    assert {f["category"] for f in verdict["findings"]} == {"xss"}


def test_scan_clean_event_is_judged_on_its_response(tmp_path: Path, capsys: Capsys) -> None:
    lines = [
        {"id": "ok", "event": {"q": "shoes"}, "response": {"body": "ok"}},
        {"id": "leak", "event": {"q": "shoes"}, "response": {"body": f"card {CARD}"}},
        {"id": "both", "event": XSS_LINE["event"], "response": {"body": f"card {CARD}"}},
        {"id": "event-only", "event": XSS_LINE["event"]},
    ]
    verdicts = _scan(tmp_path, capsys, lines)
    assert [(v["id"], v["blocked"]) for v in verdicts] == [
        ("ok", False),
        ("leak", True),
        ("both", True),
        ("event-only", True),
    ]
    assert {f["direction"] for f in verdicts[1]["findings"]} == {"outbound"}
    assert {f["direction"] for f in verdicts[2]["findings"]} == {"inbound"}


def test_scan_monitor_mode_reports_both_directions(tmp_path: Path, capsys: Capsys) -> None:
    line = {"id": "m", "event": XSS_LINE["event"], "response": {"body": f"card {CARD}"}}
    [verdict] = _scan(tmp_path, capsys, [line], "--mode", "monitor")
    assert verdict["blocked"] is False
    assert {f["direction"] for f in verdict["findings"]} == {"inbound", "outbound"}
    assert {f["action"] for f in verdict["findings"]} == {"detected"}


def test_eval_keeps_scoring_each_case_on_its_labelled_direction() -> None:
    guard = Guard()
    outbound_benign = {
        "id": "r",
        "category": "benign_response",
        "label": "benign",
        "direction": "outbound",
        "event": XSS_LINE["event"],
        "response": {"body": "ok"},
    }
    inbound_attack = {
        "id": "a",
        "category": "xss",
        "label": "attack",
        "direction": "inbound",
        "event": XSS_LINE["event"],
        "response": {"body": "ok"},
    }
    assert not scored_verdict(guard, outbound_benign).blocked  # scored on the response
    assert inspect_case(guard, outbound_benign).blocked  # as the wrapper would see the line
    report = score(guard, [outbound_benign, inbound_attack])
    assert report.categories["benign_response"].blocked == 0
    assert report.categories["xss"].blocked == 1
