"""Monitor mode, per-rule / per-category overrides, and the fail policy (open / closed)."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from protect_lambda import contract, inspection, protected_handler, wrapper
from protect_lambda.config import GuardConfig
from protect_lambda.errors import GuardBlockedError, GuardFailedClosedError

from .conftest import (
    CARD,
    SQLI,
    XSS,
    FailingGuard,
    LambdaContext,
    Recorder,
    UserApp,
    apigw_http,
    eventbridge,
    printed_findings,
    printed_records,
    protect,
    sqs,
)

OK = {"statusCode": 200, "body": "fine"}


# --- modes and overrides -------------------------------------------------------------


def test_monitor_mode_records_but_never_blocks(
    ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    leak = {"statusCode": 200, "body": f"card {CARD}"}
    recorder = Recorder(leak)
    protected = protect(recorder, mode=contract.MODE_MONITOR)
    event = apigw_http(XSS)
    assert protected(event, ctx) is leak
    assert recorder.events == [event] and recorder.events[0] is event
    records = printed_findings(capsys.readouterr().out)
    assert {r[contract.FIELD_DIRECTION] for r in records} == {"inbound", "outbound"}
    assert {r[contract.FIELD_ACTION] for r in records} == {contract.ACTION_DETECTED}
    assert {r[contract.FIELD_MODE] for r in records} == {contract.MODE_MONITOR}


def test_monitor_mode_batch_hands_every_record_on(ctx: LambdaContext) -> None:
    recorder = Recorder()
    event = sqs("a", XSS)
    assert protect(recorder, mode=contract.MODE_MONITOR)(event, ctx) is None
    assert recorder.events[0] is event


def _rules_hit(event: Any, default_guard: inspection.GuardLike) -> set[str]:
    return {f.rule_id for f in default_guard.inspect_event(event).findings}


def test_rule_override_off_silences_the_rule(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    event = apigw_http(XSS)
    hit = _rules_hit(event, default_guard)
    protected = protect(Recorder(OK), rule_overrides={rule: "off" for rule in hit})
    assert protected(event, ctx) is OK
    assert printed_findings(capsys.readouterr().out) == []


def test_category_override_monitor_detects_without_blocking(
    ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    protected = protect(Recorder(OK), category_overrides={"xss": "monitor"})
    assert protected(apigw_http(XSS), ctx) is OK
    out = capsys.readouterr().out
    # logged as a Detection: in a blocking function, the metric counts blocked requests only
    assert printed_findings(out) == []
    records = printed_findings(out, contract.DETECTION_MARKER)
    assert records and {r[contract.FIELD_ACTION] for r in records} == {contract.ACTION_DETECTED}
    assert {r[contract.FIELD_CATEGORY] for r in records} == {"xss"}
    # other categories still block
    assert (
        protect(Recorder(OK), category_overrides={"xss": "monitor"})(apigw_http(SQLI), ctx)[
            "statusCode"
        ]
        == 403
    )


def test_rule_override_block_in_monitor_mode_blocks(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    event = apigw_http(SQLI)
    rule = sorted(_rules_hit(event, default_guard))[0]
    protected = protect(Recorder(OK), mode=contract.MODE_MONITOR, rule_overrides={rule: "block"})
    assert protected(event, ctx)["statusCode"] == 403
    actions = {
        r[contract.FIELD_RULE_ID]: r[contract.FIELD_ACTION]
        for r in printed_findings(capsys.readouterr().out)
    }
    assert actions[rule] == contract.ACTION_BLOCKED
    assert all(a == contract.ACTION_DETECTED for rid, a in actions.items() if rid != rule)


def test_custom_rule_from_config_blocks(
    ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    custom = {
        "id": "custom-001",
        "category": "custom",
        "direction": "inbound",
        "severity": "high",
        "description": "internal codename must not be queried",
        "pattern": "project[-_ ]?bluebird",
    }
    protected = protect(Recorder(OK), custom_rules=(custom,))
    assert protected(apigw_http("where is Project-Bluebird?"), ctx)["statusCode"] == 403
    assert [r[contract.FIELD_RULE_ID] for r in printed_findings(capsys.readouterr().out)] == [
        "custom-001"
    ]
    assert protected(apigw_http("where is my parcel?"), ctx) is OK


# --- fail policy ---------------------------------------------------------------------


def _guard_errors(out: str) -> list[dict[str, Any]]:
    return printed_records(out, contract.GUARD_ERROR_MARKER)


class SecretError(Exception):
    pass


PAYLOAD_IN_ERROR = SecretError("boom near <script>stolen-token-abc123</script>")


def test_fail_open_calls_the_handler_with_the_event_untouched(
    ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    result = {"statusCode": 200, "body": "ok"}
    recorder = Recorder(result)
    protected = protected_handler.ProtectedHandler(recorder, FailingGuard(PAYLOAD_IN_ERROR), GuardConfig())
    event = apigw_http(XSS)
    assert protected(event, ctx) is result
    assert recorder.events[0] is event
    out = capsys.readouterr().out
    [inbound, outbound] = _guard_errors(out)
    assert inbound["error_type"] == "SecretError" and inbound["phase"] == "inbound"
    assert inbound["outcome"] == "proceeded" and inbound["fail_policy"] == "open"
    assert inbound[contract.FIELD_SOURCE] == "apigw-http"
    assert inbound[contract.FIELD_REQUEST_ID] == ctx.aws_request_id
    assert "stolen-token" not in out and "script" not in out
    assert printed_findings(out) == []  # a guard error is never counted as a violation


def test_fail_open_still_inspects_the_response_when_only_the_event_failed(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    guard = FailingGuard(RecursionError("deep"), on="event", real=default_guard)
    protected = protected_handler.ProtectedHandler(
        Recorder({"statusCode": 200, "body": CARD}), guard, GuardConfig()
    )
    assert protected(apigw_http("x"), ctx)["statusCode"] == 500
    out = capsys.readouterr().out
    assert (
        len(_guard_errors(out)) == 1
        and printed_findings(out)[0][contract.FIELD_DIRECTION] == "outbound"
    )


@pytest.mark.parametrize("on", ["event", "response"])
def test_fail_closed_http_blocks(
    on: str,
    default_guard: inspection.GuardLike,
    ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    guard = FailingGuard(ValueError("bug"), on=on, real=default_guard)
    recorder = Recorder(OK)
    protected = protected_handler.ProtectedHandler(
        recorder, guard, GuardConfig(fail_policy=contract.FAIL_CLOSED)
    )
    response = protected(apigw_http("hello"), ctx)
    assert response["statusCode"] == (403 if on == "event" else 500)
    assert len(recorder.events) == (0 if on == "event" else 1)
    [record] = _guard_errors(capsys.readouterr().out)
    assert record["outcome"] == "blocked" and record["phase"] == (
        "inbound" if on == "event" else "outbound"
    )


def test_fail_closed_batch_fails_every_record(ctx: LambdaContext) -> None:
    recorder = Recorder()
    protected = protected_handler.ProtectedHandler(
        recorder, FailingGuard(KeyError("k")), GuardConfig(fail_policy=contract.FAIL_CLOSED)
    )
    assert protected(sqs("a", "b"), ctx) == {
        "batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]
    }
    assert recorder.events == []


def test_fail_closed_other_source_raises_typed_error(ctx: LambdaContext) -> None:
    protected = protected_handler.ProtectedHandler(
        Recorder(), FailingGuard(PAYLOAD_IN_ERROR), GuardConfig(fail_policy=contract.FAIL_CLOSED)
    )
    with pytest.raises(GuardFailedClosedError) as info:
        protected(eventbridge({"a": 1}), ctx)
    assert isinstance(info.value, GuardBlockedError)
    assert "SecretError" in str(info.value) and "stolen" not in str(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_monitor_mode_never_blocks_even_fail_closed(
    ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    protected = protected_handler.ProtectedHandler(
        Recorder(OK),
        FailingGuard(ValueError("x")),
        GuardConfig(mode="monitor", fail_policy=contract.FAIL_CLOSED),
    )
    assert protected(apigw_http("hello"), ctx) is OK
    assert {r["outcome"] for r in _guard_errors(capsys.readouterr().out)} == {"proceeded"}


def test_closed_stdout_never_breaks_the_invocation(ctx: LambdaContext) -> None:
    import io

    stream = io.StringIO()
    stream.close()
    protected = protected_handler.ProtectedHandler(
        Recorder(OK), inspection.build_guard(GuardConfig()), GuardConfig(), stream=stream
    )
    assert protected(apigw_http(XSS), ctx)["statusCode"] == 403


# --- configuration failures at cold start, through the real entry point ----------------


def _handler(user_app: UserApp) -> str:
    return user_app.write(
        "app.py", "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
    )


@pytest.mark.parametrize(
    "env, detail",
    [
        ({contract.MODE_ENV: "blok"}, contract.MODE_ENV),
        ({contract.CONFIG_ENV: "{not json"}, contract.CONFIG_ENV),
        (
            {contract.CONFIG_ENV: json.dumps({"rule_overrides": {"sqli-001": "maybe"}})},
            "rule_overrides",
        ),
        ({contract.CONFIG_FILE_ENV: "/nonexistent/protect.json"}, contract.CONFIG_FILE_ENV),
    ],
)
def test_broken_config_is_a_guard_error_and_fails_open_by_default(
    env: dict[str, str],
    detail: str,
    user_app: UserApp,
    lambda_env: Callable[..., None],
    ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{_handler(user_app)}.handler"}, **env)
    assert wrapper.handler(apigw_http(XSS), ctx) == {"statusCode": 200, "body": "ok"}
    [record] = _guard_errors(capsys.readouterr().out)  # one per invocation, not one per phase
    assert record["error_type"] == "GuardConfigError" and detail in record["detail"]
    assert record["phase"] == inspection.PHASE_CONFIG and record["outcome"] == "proceeded"


def test_broken_config_fail_closed_blocks(
    user_app: UserApp,
    lambda_env: Callable[..., None],
    ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lambda_env(
        **{
            contract.ORIGINAL_HANDLER_ENV: f"{_handler(user_app)}.handler",
            contract.CONFIG_ENV: "[]",
            contract.FAIL_POLICY_ENV: "closed",
        }
    )
    assert wrapper.handler(apigw_http("hello"), ctx)["statusCode"] == 403
    assert _guard_errors(capsys.readouterr().out)[0]["outcome"] == "blocked"
