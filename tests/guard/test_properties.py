"""Property tests: over arbitrary JSON events and responses, the wrapper returns the handler's
result or a proper block, and never fails the invocation with an error of its own (fail open)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
    alb,
    apigw_http,
    apigw_rest,
    dynamodb,
    eventbridge,
    function_url,
    kinesis,
    sns,
    sqs,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    XSS,
    SQLI,
    CMDI,
    CARD,
    AWS_KEY_ID,
    "../../../etc/passwd",
    "${jndi:ldap://x.example/a}",
    "http://169.254.169.254/latest/meta-data/",
    "{{7*7}}",
    '{"$gt": ""}',
    "%3Cscript%3E",
    "hello",
    "order 42",
    "",
]

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(FRAGMENTS),
    st.tuples(st.text(max_size=10), st.sampled_from(FRAGMENTS)).map("".join),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), texts
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)
    ),
    max_leaves=16,
)

shaped_events = st.one_of(
    texts.map(apigw_rest),
    texts.map(apigw_http),
    texts.map(function_url),
    st.builds(alb, texts, multi=st.booleans()),
    st.lists(texts, min_size=1, max_size=4).map(lambda bodies: sqs(*bodies)),
    st.lists(texts, min_size=1, max_size=4).map(lambda bodies: sqs(*bodies, fifo=True)),
    st.lists(texts, min_size=1, max_size=3).map(lambda data: kinesis(*data)),
    st.lists(texts, min_size=1, max_size=3).map(lambda data: dynamodb(*data)),
    texts.map(sns),
    json_values.map(lambda detail: eventbridge({"d": detail})),
)
events = st.one_of(json_values, shaped_events)
results = st.one_of(
    json_values,
    st.builds(lambda body: {"statusCode": 200, "body": body}, texts),
    st.builds(
        lambda ids: {"batchItemFailures": [{"itemIdentifier": i} for i in ids]},
        st.lists(st.sampled_from(["msg-0", "msg-1", "other"]), max_size=2),
    ),
)

CTX = LambdaContext(function_name="prop", aws_request_id="req-prop")


def _check_outcome(
    guard: inspection.GuardLike, event: Any, result: Any, protected: protected_handler.ProtectedHandler
) -> None:
    source = guard.inspect_event(event).source
    try:
        answer = protected(event, CTX)
    except GuardBlockedError as error:
        # a typed block, only where no response can carry it, or a stream batch starting with a
        # blocked record (a function error, so that Lambda bisects the batch)
        assert not responses.is_http(source)
        records = responses.records_of(event) if responses.is_batch(source) else None
        assert records is None or (source in responses.STREAM_SOURCES
                                   and 0 in guard.inspect_event(event).blocked_records)
        assert error.rule_ids
        return
    if answer is result:
        return
    if responses.is_http(source):
        assert answer["statusCode"] in (403, 500)
        assert json.loads(answer["body"])["requestId"] == CTX.aws_request_id
        return
    records = responses.records_of(event)
    assert responses.is_batch(source) and records is not None, (source, answer)
    assert set(answer) >= {"batchItemFailures"}
    ids = {responses.item_identifier(source, r) for r in records}
    own = result.get("batchItemFailures", []) if isinstance(result, dict) else []
    for entry in answer["batchItemFailures"]:
        assert entry in own or entry["itemIdentifier"] in ids


def _check_lines(out: str) -> None:
    for line in out.splitlines():
        record = json.loads(line)
        assert record[contract.FIELD_EVENT] in (
            contract.VIOLATION_MARKER,
            contract.DETECTION_MARKER,
            contract.GUARD_ERROR_MARKER,
        )
        if record[contract.FIELD_EVENT] == contract.VIOLATION_MARKER:
            assert tuple(record) in (contract.VIOLATION_FIELDS, contract.BATCH_VIOLATION_FIELDS)
        assert line.isascii()


@SETTINGS
@given(event=events, result=results)
def test_block_mode_returns_result_or_a_proper_block(
    default_guard: inspection.GuardLike, event: Any, result: Any
) -> None:
    stream = io.StringIO()
    protected = protected_handler.ProtectedHandler(
        lambda e, c: result, default_guard, GuardConfig(), stream=stream
    )
    _check_outcome(default_guard, event, result, protected)
    _check_lines(stream.getvalue())
    assert (
        contract.GUARD_ERROR_MARKER not in stream.getvalue()
    )  # the real guard did not fail on this input


@SETTINGS
@given(event=events, result=results)
def test_monitor_mode_always_returns_the_result(event: Any, result: Any) -> None:
    stream = io.StringIO()
    protected = protected_handler.ProtectedHandler(
        lambda e, c: result, _MONITOR, GuardConfig(mode="monitor"), stream=stream
    )
    assert protected(event, CTX) is result
    _check_lines(stream.getvalue())


class ChaosGuard:
    """The real guard, except that it raises where the test says."""

    def __init__(self, real: inspection.GuardLike, fail_event: bool, fail_response: bool) -> None:
        self.real, self.fail_event, self.fail_response = real, fail_event, fail_response

    def inspect_event(self, event: Any) -> Any:
        if self.fail_event:
            raise RecursionError("injected")
        return self.real.inspect_event(event)

    def inspect_response(self, response: Any, event: Any = None) -> Any:
        if self.fail_response:
            raise MemoryError("injected")
        return self.real.inspect_response(response, event)


@SETTINGS
@given(event=events, result=results, fail_event=st.booleans(), fail_response=st.booleans())
def test_fail_open_never_raises_an_error_of_its_own(
    default_guard: inspection.GuardLike, event: Any, result: Any, fail_event: bool, fail_response: bool
) -> None:
    stream = io.StringIO()
    guard = ChaosGuard(default_guard, fail_event, fail_response)
    calls: list[Any] = []

    def handler(event: Any, context: Any) -> Any:
        calls.append(event)
        return result

    protected = protected_handler.ProtectedHandler(handler, guard, GuardConfig(), stream=stream)
    _check_outcome(default_guard if not fail_event else _NEVER_BLOCKS, event, result, protected)
    out = stream.getvalue()
    _check_lines(out)
    if fail_event:
        assert calls and calls[0] is event  # fail open: the event reaches the handler untouched
    assert out.count(contract.GUARD_ERROR_MARKER) == int(fail_event) + int(
        fail_response and bool(calls)
    )


class _NeverBlocks:
    def inspect_event(self, event: Any) -> Any:
        from types import SimpleNamespace

        return SimpleNamespace(blocked=False, source=responses.fallback_source(event), findings=[])

    def inspect_response(
        self, response: Any, event: Any = None
    ) -> Any:  # pragma: no cover - unused
        raise AssertionError


_NEVER_BLOCKS: Any = _NeverBlocks()
_MONITOR = inspection.build_guard(GuardConfig(mode="monitor"))


@pytest.mark.parametrize(
    "event", [1, "text", None, [], [{"Records": 1}], {"Records": "x"}, {"Records": [1, None]}]
)
def test_odd_top_level_events(default_guard: inspection.GuardLike, event: Any) -> None:
    result = object()
    protected = protected_handler.ProtectedHandler(
        lambda e, c: result, default_guard, GuardConfig(), stream=io.StringIO()
    )
    assert protected(event, CTX) is result


# --- what a record holds: no lone surrogate, no control character --------------------------

#: Any code point, lone surrogates and control characters included (what a JSON body can hold).
any_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=60)
#: Neither may appear in an excerpt or a location: strict JSON readers reject lone surrogates,
#: and control characters (C0, DEL, C1) could rewrite a terminal showing the record.
UNSAFE = {*map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0)), *map(chr, range(0xD800, 0xE000))}


def _text_fields(record: dict[str, Any]) -> list[str]:
    findings = record.get(contract.FIELD_FINDINGS, [])
    return [record[contract.FIELD_EXCERPT], record[contract.FIELD_LOCATION],
            *(f[field] for f in findings for field in (contract.FIELD_EXCERPT, contract.FIELD_LOCATION))]


@SETTINGS
@given(prefix=any_text, suffix=any_text, key=any_text)
def test_excerpts_and_locations_hold_no_surrogates_or_control_characters(
    default_guard: inspection.GuardLike, prefix: str, suffix: str, key: str
) -> None:
    seen = 0
    for fragment in (XSS, SQLI, CARD):
        event = apigw_http("x", body=json.dumps({key or "k": prefix + fragment + suffix}, ensure_ascii=False))
        response = {"statusCode": 200, "body": prefix + fragment + suffix}
        stream = io.StringIO()
        protected = protected_handler.ProtectedHandler(lambda e, c: response, default_guard, GuardConfig(),
                                                       stream=stream)
        protected(event, LambdaContext(function_name="prop"))
        lines = stream.getvalue().splitlines()
        seen += len(lines)
        for line in lines:
            assert line.isascii()
            record = json.loads(line)
            assert record["event"] != "GuardError", record  # the guard copes with any text
            json.dumps(record, ensure_ascii=False).encode("utf-8")  # strict UTF-8: no lone surrogate
            for text in _text_fields(record):
                assert not UNSAFE.intersection(text), repr(text)
    assert seen, "the attacks were found: records were checked"
