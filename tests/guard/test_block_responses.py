"""Each source gets the block response it expects; a leaking response is never sent."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from protect_lambda import contract, inspection, protected_handler, responses
from protect_lambda.config import GuardConfig
from protect_lambda.errors import GuardBlockedError

from .conftest import (
    AWS_KEY_ID,
    CARD,
    CMDI,
    SQLI,
    XSS,
    LambdaContext,
    Recorder,
    alb,
    apigw_http,
    apigw_rest,
    eventbridge,
    function_url,
    printed_findings,
    sns,
)

OK = {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "fine"}
LEAK = {"statusCode": 200, "body": json.dumps({"card": CARD, "note": "thanks"})}


def _protected(
    default_guard: inspection.GuardLike, result: Any
) -> tuple[protected_handler.ProtectedHandler, Recorder]:
    recorder = Recorder(result)
    return protected_handler.ProtectedHandler(recorder, default_guard, GuardConfig()), recorder


def _body(response: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(response["body"])
    assert isinstance(body, dict)
    return body


HTTP_CASES: list[tuple[str, Callable[[str], dict[str, Any]], str]] = [
    ("apigw-rest", apigw_rest, "Content-Type"),
    ("apigw-http", apigw_http, "content-type"),
    ("function-url", function_url, "content-type"),
    ("alb", alb, "Content-Type"),
]


@pytest.mark.parametrize("source, make, header", HTTP_CASES)
@pytest.mark.parametrize("attack", [XSS, SQLI, CMDI])
def test_http_attack_gets_403_in_the_source_shape(
    source: str,
    make: Callable[[str], dict[str, Any]],
    header: str,
    attack: str,
    default_guard: inspection.GuardLike,
    ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    protected, recorder = _protected(default_guard, OK)
    response = protected(make(attack), ctx)
    assert recorder.events == []  # the handler never saw the attack
    assert response["statusCode"] == 403 and response["isBase64Encoded"] is False
    assert response["headers"] == {header: "application/json"}
    assert _body(response) == {"message": "Forbidden", "requestId": ctx.aws_request_id}
    if source == "alb":
        assert response["statusDescription"] == "403 Forbidden"
    else:
        assert "statusDescription" not in response
    records = printed_findings(capsys.readouterr().out)
    assert records and all(r[contract.FIELD_SOURCE] == source for r in records)
    # no rule detail reaches the caller
    assert not any(r[contract.FIELD_RULE_ID] in response["body"] for r in records)
    assert attack.strip() not in response["body"]


def test_alb_with_multi_value_headers_answers_with_multi_value_headers(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    protected, _ = _protected(default_guard, OK)
    response = protected(alb(XSS, multi=True), ctx)
    assert response["statusCode"] == 403
    assert response["multiValueHeaders"] == {"Content-Type": ["application/json"]}
    assert "headers" not in response


@pytest.mark.parametrize("source, make, header", HTTP_CASES)
def test_http_leak_is_withheld_with_a_generic_500(
    source: str,
    make: Callable[[str], dict[str, Any]],
    header: str,
    default_guard: inspection.GuardLike,
    ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    protected, recorder = _protected(default_guard, LEAK)
    response = protected(make("order 42"), ctx)
    assert len(recorder.events) == 1  # the handler ran; its answer is what is withheld
    assert response["statusCode"] == 500
    assert _body(response) == {"message": "Internal Server Error", "requestId": ctx.aws_request_id}
    assert response["headers"] == {header: "application/json"}
    assert "4111" not in json.dumps(response)
    records = printed_findings(capsys.readouterr().out)
    assert [r[contract.FIELD_DIRECTION] for r in records] == [contract.DIRECTION_OUTBOUND] * len(
        records
    )
    assert records and records[0][contract.FIELD_ACTION] == contract.ACTION_BLOCKED


def test_alb_multi_value_leak_is_withheld_with_multi_value_headers(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    protected, _ = _protected(default_guard, LEAK)
    response = protected(alb("order 42", multi=True), ctx)
    assert (
        response["statusCode"] == 500
        and response["statusDescription"] == "500 Internal Server Error"
    )
    assert response["multiValueHeaders"] == {"Content-Type": ["application/json"]}


@pytest.mark.parametrize(
    "event, source",
    [
        (eventbridge({"command": CMDI}), "eventbridge"),
        (sns(XSS), "sns"),
        ({"name": SQLI}, "generic"),
    ],
)
def test_other_sources_fail_with_a_typed_error_naming_the_rule(
    event: dict[str, Any],
    source: str,
    default_guard: inspection.GuardLike,
    ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    protected, recorder = _protected(default_guard, "done")
    with pytest.raises(GuardBlockedError) as info:
        protected(event, ctx)
    assert recorder.events == []
    records = printed_findings(capsys.readouterr().out)
    assert info.value.source == source and info.value.direction == contract.DIRECTION_INBOUND
    assert set(info.value.rule_ids) == {r[contract.FIELD_RULE_ID] for r in records}
    assert all(rule_id in str(info.value) for rule_id in info.value.rule_ids)
    assert info.value.__context__ is None


def test_other_source_leak_fails_with_a_typed_error_and_no_secret(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    protected, _ = _protected(default_guard, {"key": AWS_KEY_ID})
    with pytest.raises(GuardBlockedError) as info:
        protected(eventbridge({"order": 1}), ctx)
    assert info.value.direction == contract.DIRECTION_OUTBOUND
    assert AWS_KEY_ID not in str(info.value)
    rules = {r[contract.FIELD_RULE_ID] for r in printed_findings(capsys.readouterr().out)}
    assert set(info.value.rule_ids) == rules and rules


def test_blocked_error_pickles_for_the_runtime() -> None:
    import pickle

    error = GuardBlockedError(["a", "b"], direction="inbound", source="sns")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.rule_ids == ("a", "b")


@pytest.mark.parametrize(
    "event, expected",
    [
        (apigw_rest(), "apigw-rest"),
        (apigw_http(), "apigw-http"),
        (function_url(), "function-url"),
        (alb(), "alb"),
        (alb(multi=True), "alb"),
        (eventbridge({}), "eventbridge"),
        (sns("x"), "sns"),
        ({"Records": [{"eventSource": "aws:kinesis"}]}, "kinesis"),
        ([1, 2], "generic"),
        ({}, "generic"),
    ],
)
def test_fallback_source_agrees_with_the_guard(
    event: Any, expected: str, default_guard: inspection.GuardLike
) -> None:
    assert responses.fallback_source(event) == expected
    if isinstance(event, dict) and event and expected not in ("kinesis",):
        assert default_guard.inspect_event(event).source == expected
