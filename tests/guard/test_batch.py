"""Batch sources: offending records become batchItemFailures, clean ones reach the handler."""

from __future__ import annotations

import json
from typing import Any

import pytest
from protect_lambda import contract, inspection, protected_handler, responses
from protect_lambda.config import GuardConfig
from protect_lambda.errors import GuardBlockedError

from .conftest import (
    CARD,
    SQLI,
    XSS,
    LambdaContext,
    Recorder,
    dynamodb,
    kinesis,
    printed_findings,
    printed_records,
    sqs,
)


def _protected(
    guard: inspection.GuardLike, result: Any = None
) -> tuple[protected_handler.ProtectedHandler, Recorder]:
    recorder = Recorder(result)
    return protected_handler.ProtectedHandler(recorder, guard, GuardConfig()), recorder


def test_sqs_offending_record_is_failed_and_clean_ones_are_processed(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    event = sqs("order 1", XSS, "order 3")
    protected, recorder = _protected(default_guard)
    result = protected(event, ctx)
    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    [handed] = recorder.events
    assert [r["messageId"] for r in handed["Records"]] == ["msg-0", "msg-2"]
    assert handed["Records"][0] is event["Records"][0]  # records are handed on, not copied
    assert len(event["Records"]) == 3  # the caller's event is not mutated
    records = printed_findings(capsys.readouterr().out)
    assert records and {r[contract.FIELD_SOURCE] for r in records} == {"sqs"}
    assert all("Records[1]" in r[contract.FIELD_LOCATION] for r in records)


def test_failures_merge_with_the_handlers_own(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    own = {"batchItemFailures": [{"itemIdentifier": "msg-2"}], "extra": "kept"}
    protected, recorder = _protected(default_guard, own)
    result = protected(sqs("order 1", SQLI, "order 3"), ctx)
    assert result == {
        "batchItemFailures": [{"itemIdentifier": "msg-2"}, {"itemIdentifier": "msg-1"}],
        "extra": "kept",
    }
    assert own == {
        "batchItemFailures": [{"itemIdentifier": "msg-2"}],
        "extra": "kept",
    }  # not mutated


def test_clean_batch_returns_the_handlers_result_as_is(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    own = {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    protected, recorder = _protected(default_guard, own)
    event = sqs("order 1", "order 2")
    assert protected(event, ctx) is own
    assert recorder.events[0] is event


def test_all_records_offending_does_not_call_the_handler(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    protected, recorder = _protected(default_guard)
    assert protected(sqs(XSS, SQLI), ctx) == {
        "batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]
    }
    assert recorder.events == []


def test_kinesis_records_are_failed_by_sequence_number(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    event = kinesis('{"order": 1}', json.dumps({"comment": XSS}))
    protected, recorder = _protected(default_guard)
    assert protected(event, ctx) == {"batchItemFailures": [{"itemIdentifier": "49590330001"}]}
    assert [r["kinesis"]["sequenceNumber"] for r in recorder.events[0]["Records"]] == [
        "49590330000"
    ]


def test_dynamodb_records_are_failed_by_sequence_number(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    event = dynamodb("great product", SQLI)
    protected, recorder = _protected(default_guard)
    assert protected(event, ctx) == {"batchItemFailures": [{"itemIdentifier": "111000000000001"}]}
    assert len(recorder.events[0]["Records"]) == 1


@pytest.mark.parametrize("make, identifiers", [
    (kinesis, ["49590330001", "49590330002", "49590330003"]),
    (dynamodb, ["111000000000001", "111000000000002", "111000000000003"]),
])
def test_a_stream_hands_on_only_the_records_before_the_first_blocked_one(
    make: Any, identifiers: list[str], default_guard: inspection.GuardLike, ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Lambda checkpoints before the lowest reported sequence number and delivers every later
    record again: handing them to the handler now would process them twice, and out of order.
    The blocked record and those behind it are reported; one Violation record, for the blocked one."""
    event = make("first clean", json.dumps({"c": XSS}), "after it", "clean too")
    protected, recorder = _protected(default_guard)
    result = protected(event, ctx)
    assert result == {"batchItemFailures": [{"itemIdentifier": i} for i in identifiers]}
    [handed] = recorder.events
    assert handed["Records"] == event["Records"][:1]
    [record] = printed_records(capsys.readouterr().out)
    assert (record[contract.FIELD_RECORD_INDEX], record[contract.FIELD_ITEM_ID]) == (1, identifiers[0])


def test_a_stream_batch_starting_with_the_blocked_record_fails_the_invocation(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    """What every retry of a poisoned stream batch looks like: it starts with the blocked record.
    Reporting it would make no progress (Lambda retries from the lowest reported record, and
    would at last discard the clean records behind it with it); a function error makes Lambda
    bisect the batch (BisectBatchOnFunctionError), so the blocked record ends alone and the
    clean ones get through."""
    protected, recorder = _protected(default_guard)
    with pytest.raises(GuardBlockedError) as info:
        protected(kinesis(XSS, "clean"), ctx)
    assert info.value.source == "kinesis" and recorder.events == []
    [record] = printed_records(capsys.readouterr().out)  # still recorded, with its sequence number
    assert record[contract.FIELD_ITEM_ID] == "49590330000"


def test_one_violation_record_per_blocked_batch_record(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    protected, _ = _protected(default_guard)
    protected(sqs(SQLI, "clean", XSS), ctx)
    records = printed_records(capsys.readouterr().out)
    assert [(r[contract.FIELD_RECORD_INDEX], r[contract.FIELD_ITEM_ID]) for r in records] == [
        (0, "msg-0"), (2, "msg-2")]
    assert [r[contract.FIELD_CATEGORY] for r in records] == ["sqli", "xss"]
    assert all(tuple(r) == contract.BATCH_VIOLATION_FIELDS for r in records)
    for record in records:
        index = record[contract.FIELD_RECORD_INDEX]
        assert all(f[contract.FIELD_LOCATION].startswith(f"Records[{index}].") for f in record[contract.FIELD_FINDINGS])


def test_leaking_batch_response_keeps_only_the_blocked_records_failed(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    # The result is withheld, but clean records already processed are not failed
    # (more in test_security_gaps.py).
    protected, recorder = _protected(default_guard, {"summary": f"charged {CARD}"})
    result = protected(sqs("order 1", XSS, "order 3"), ctx)
    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    assert "4111" not in json.dumps(result)
    directions = {r[contract.FIELD_DIRECTION] for r in printed_findings(capsys.readouterr().out)}
    assert directions == {contract.DIRECTION_INBOUND, contract.DIRECTION_OUTBOUND}


def test_fifo_holds_back_later_records_of_the_same_group(
    default_guard: inspection.GuardLike, ctx: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    event = sqs("a1", XSS, "a3", "b1", fifo=True, groups=["a", "a", "a", "b"])
    protected, recorder = _protected(default_guard)
    result = protected(event, ctx)
    assert result == {
        "batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-2"}]
    }
    assert [r["messageId"] for r in recorder.events[0]["Records"]] == ["msg-0", "msg-3"]
    # only the offending record is a violation; the held-back one is not counted
    assert {
        r[contract.FIELD_LOCATION].split(".")[0] for r in printed_findings(capsys.readouterr().out)
    } == {"Records[1]"}


def test_fifo_group_ids_that_are_not_strings_do_not_open_the_guard(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    """A forged FIFO batch whose group ids are a list or an object: grouping them raised TypeError
    and the guard failed open, handing the attack to the handler. They are groups like any other."""
    event = sqs("a1", XSS, "a3", "b1", fifo=True, groups=["a", "a", "a", "b"])
    for record, group in zip(event["Records"], (["g"], ["g"], ["g"], {"g": 1})):
        record["attributes"]["MessageGroupId"] = group
    protected, recorder = _protected(default_guard)
    assert protected(event, ctx) == {
        "batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-2"}]
    }
    assert [r["messageId"] for r in recorder.events[0]["Records"]] == ["msg-0", "msg-3"]


def test_standard_queue_does_not_hold_back(
    default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    protected, recorder = _protected(default_guard)
    assert protected(sqs("a1", XSS, "a3"), ctx) == {
        "batchItemFailures": [{"itemIdentifier": "msg-1"}]
    }


class _WholeEventVerdict:
    blocked = True
    source = "sqs"

    def __init__(self, findings: list[Any]) -> None:
        self.findings = findings


def test_blocking_finding_outside_records_fails_the_whole_batch(ctx: LambdaContext) -> None:
    from types import SimpleNamespace as NS

    finding = NS(
        rule_id="r-1",
        category="c",
        direction="inbound",
        severity="high",
        location="meta",
        action="blocked",
        record_index=None,
        match=None,
    )

    class Guard:
        def inspect_event(self, event: Any) -> Any:
            return _WholeEventVerdict([finding])

        def inspect_response(self, response: Any, event: Any = None) -> Any:
            raise AssertionError("not reached")

    recorder = Recorder()
    protected = protected_handler.ProtectedHandler(recorder, Guard(), GuardConfig())
    assert protected(sqs("x", "y"), ctx) == {
        "batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]
    }
    assert recorder.events == []


# --- the pure helpers --------------------------------------------------------------


def test_record_without_identifier_fails_the_whole_batch_on_purpose() -> None:
    assert responses.batch_failures("sqs", [{"body": "x"}], {0}) == [{"itemIdentifier": ""}]
    assert responses.item_identifier("kinesis", {"kinesis": "not a dict"}) == ""


def test_merge_keeps_malformed_handler_entries_and_dedupes() -> None:
    handler_result = {"batchItemFailures": ["odd", {"itemIdentifier": "a"}]}
    merged = responses.merge_batch_failures(
        handler_result, [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]
    )
    assert merged == {
        "batchItemFailures": ["odd", {"itemIdentifier": "a"}, {"itemIdentifier": "b"}]
    }


def test_merge_with_a_kafka_identifier_holding_a_list_keeps_every_entry() -> None:
    """A handler's Kafka entry whose partition or offset is a list or an object names no record: the
    merge keeps it and adds the guard's entries (it raised TypeError, failing the invocation)."""
    own = [{"itemIdentifier": {"partition": ["t"], "offset": {"a": 1}}}, {"itemIdentifier": {"partition": "t-0", "offset": 3}}]
    guard = [{"itemIdentifier": {"partition": "t-0", "offset": 3}}, {"itemIdentifier": {"partition": "t-0", "offset": [4]}},
             {"itemIdentifier": {"partition": "t-0", "offset": 5}}]
    merged = responses.merge_batch_failures({"batchItemFailures": own}, guard)
    assert merged == {"batchItemFailures": [*own, guard[1], guard[2]]}


@pytest.mark.parametrize("result", [None, "done", 3, ["x"]])
def test_merge_replaces_results_without_failures(result: Any) -> None:
    assert responses.merge_batch_failures(result, [{"itemIdentifier": "a"}]) == {
        "batchItemFailures": [{"itemIdentifier": "a"}]
    }
    assert responses.merge_batch_failures(result, []) is result
