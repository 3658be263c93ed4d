"""Adversarial and oversized input: results are asserted (never time; see benchmarks/bench_guard.py).

Each input is a long run crafted against a rule family: prefixes of the rule
repeated without the completing part (so a backtracking pattern would explore
every split), optionally followed by a real attack at the very end, which must
still be found in a 1 MB value.
"""

from __future__ import annotations

import json

import pytest

from protect_lambda import Guard
from protect_lambda.engine import DETECTOR_MAX_CHARS
from protect_lambda.guard import DETECTORS_CUT

from . import events

MB = 1024 * 1024

# (unit repeated to ~1 MB, expected categories of the run alone: empty = must stay clean)
RUNS: list[tuple[str, set[str]]] = [
    ("a" * 64 + " ", set()),
    ("' or ", {"sqli"}),  # '...or' chains: the quote+operator rules must stay linear
    ("union ", set()),
    ("select ", set()),
    ("1=2 ", set()),
    ("<a ", set()),
    ("<img src=", set()),  # a tag with neither handler nor script URL is markup, not an attack
    ("${", set()),
    ("{{", set()),
    # Thymeleaf's inline opener: its body stops at the next [ (a run took 10 s per MiB); not a run of
    # [ alone, which is a JSON array nested 100 000 deep (Pyodide's stack gives out in json.loads)
    ("a[[", set()),
    ("../", {"path_traversal"}),
    ("%25", set()),
    ("&#", set()),
    ("\\u", set()),
    ("http://", set()),  # ends in "http://h": a single-label host, weak alone (ssrf-004)
    ("$(", set()),  # nested substitutions that never name a command run nothing
    ("; ", set()),
    ("-- ", set()),
    ("if ", set()),
    ("0x2e", set()),
    ("1e1union ", set()),  # a number literal before a keyword: the lookback stays bounded
    ("%qf\ufffd", set()),  # junk separators without a target
    (".", set()),  # a run of dots: the bypass spellings (....//) are tried from its first dot only
    (".;", set()),
]


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard()


def _big(unit: str, size: int = MB) -> str:
    return (unit * (size // len(unit) + 1))[:size]


@pytest.mark.parametrize(("unit", "expected"), RUNS, ids=[repr(u[:10]) for u, _ in RUNS])
def test_long_runs_against_rules(guard: Guard, unit: str, expected: set[str]) -> None:
    verdict = guard.inspect_event(events.apigw_http(body=_big(unit, 256 * 1024)))
    categories = {f.category for f in verdict.findings} - {"oversize"}
    if expected:
        assert expected <= categories
    else:
        assert not verdict.blocked, categories


@pytest.mark.parametrize(("unit", "expected"), RUNS[:6], ids=[repr(u[:10]) for u, _ in RUNS[:6]])
def test_attack_at_the_end_of_a_long_run_is_found(guard: Guard, unit: str, expected: set[str]) -> None:
    body = _big(unit, 256 * 1024) + " <script>alert(1)</script>"
    verdict = guard.inspect_event(events.apigw_http(body=body))
    assert "xss" in {f.category for f in verdict.findings}


def test_one_megabyte_benign_body(guard: Guard) -> None:
    text = _big("Order 42 ships Tuesday to Main Street; thanks for shopping with us. ")
    verdict = guard.inspect_event(events.apigw_http(body=text))
    assert not verdict.blocked
    # only the note that the detectors read the head and the tail (detected, not blocking)
    [note] = verdict.findings
    assert (note.rule_id, note.action, note.location) == ("limit-001", "detected", "body")
    assert note.match.text == DETECTORS_CUT


@pytest.mark.parametrize("where", ["head", "tail"])
def test_detectors_read_the_head_and_the_tail_of_a_long_value(guard: Guard, where: str) -> None:
    filler = _big("Order 42 ships Tuesday to Main Street. ", 3 * DETECTOR_MAX_CHARS)
    attack = "<img src=x onerror=alert(1)>"  # an XSS only the HTML detector decides at level 1
    body = attack + " " + filler if where == "head" else filler + " " + attack
    verdict = guard.inspect_event(events.apigw_http(body=body))
    assert verdict.blocked and "xss" in {f.category for f in verdict.findings}
    [xss] = [f for f in verdict.findings if f.category == "xss"]
    assert body[xss.match.start:xss.match.end] in attack  # spans point into the whole value


def test_a_long_value_is_cut_for_the_detectors_only_up_to_the_limit(guard: Guard) -> None:
    body = _big("Order 42 ships Tuesday. ", DETECTOR_MAX_CHARS)
    verdict = guard.inspect_event(events.apigw_http(body=body))
    assert verdict.findings == []  # at the limit: read whole, no note


def test_one_megabyte_body_with_attack_at_the_end(guard: Guard) -> None:
    text = _big("Order 42 ships Tuesday. ", MB - 40) + "x' UNION SELECT password FROM users--"
    verdict = guard.inspect_event(events.apigw_http(body=text))
    assert verdict.blocked and "sqli" in {f.category for f in verdict.findings}


def test_json_body_of_many_values(guard: Guard) -> None:
    doc = {f"k{i}": f"value number {i} " + "x" * 200 for i in range(2400)}  # ~0.5 MB, 4800 strings
    doc["k2399"] = "../../../../etc/passwd"
    verdict = guard.inspect_event(events.apigw_http(body=json.dumps(doc)))
    assert verdict.blocked
    assert {f.location for f in verdict.findings if f.category == "path_traversal"} == {"body.k2399"}


def test_json_body_beyond_the_value_limit_is_blocked(guard: Guard) -> None:
    doc = {f"k{i}": f"v{i}" for i in range(30_000)}  # 60 000 strings, keys and values
    verdict = guard.inspect_event(events.apigw_http(body=json.dumps(doc)))
    # strings beyond max_fields are not inspected at all: that blocks in block mode
    assert [(f.rule_id, f.category, f.action) for f in verdict.findings] == [
        ("limit-003", "uninspected", "blocked")]
    assert verdict.blocked


def test_payload_buried_deeper_than_the_depth_limit_is_blocked(guard: Guard) -> None:
    doc: object = "<script>alert(1)</script>"
    for _ in range(40):
        doc = [doc]
    verdict = guard.inspect_event(events.apigw_http(body=json.dumps(doc)))
    assert verdict.blocked
    assert ("limit-003", "blocked") in [(f.rule_id, f.action) for f in verdict.findings]


def test_payload_after_too_many_fields_is_blocked(guard: Guard) -> None:
    doc = {f"k{i}": "v" for i in range(5_100)}
    doc["zzz"] = "<script>alert(1)</script>"
    assert guard.inspect_event(events.apigw_http(body=json.dumps(doc))).blocked


def test_uninspected_response_parts_are_only_reported(guard: Guard) -> None:
    deep: object = "fine"
    for _ in range(40):
        deep = [deep]
    verdict = guard.inspect_response({"statusCode": 200, "body": json.dumps(deep)})
    assert [(f.rule_id, f.action) for f in verdict.findings] == [("limit-004", "detected")]
    assert not verdict.blocked


def test_uninspected_can_be_relaxed() -> None:
    relaxed = Guard(category_overrides={"uninspected": "monitor"})
    doc = {f"k{i}": f"v{i}" for i in range(30_000)}
    assert not relaxed.inspect_event(events.apigw_http(body=json.dumps(doc))).blocked


def test_value_beyond_the_limit_is_reported_oversize(guard: Guard) -> None:
    verdict = guard.inspect_event(events.apigw_http(body="a" * (MB + 10)))
    assert [f.rule_id for f in verdict.findings] == ["limit-001"]
    assert not verdict.blocked  # oversize is reported, not blocked, unless configured


def test_digit_runs_against_the_card_validator(guard: Guard) -> None:
    digits = _big("4111 1111 1111 1112 ", MB // 4)  # Luhn-invalid candidates, again and again
    assert not guard.inspect_response({"statusCode": 200, "body": digits}).blocked
    leak = guard.inspect_response({"statusCode": 200, "body": digits + " 4111 1111 1111 1111"})
    assert leak.blocked  # no candidate cap: a real card is found behind any number of invalid ones
    assert guard.inspect_response({"statusCode": 200, "body": "4111 1111 1111 1111 " + digits}).blocked


def test_deeply_nested_json_is_bounded(guard: Guard) -> None:
    body = "[" * 5000 + "]" * 5000
    verdict = guard.inspect_event(events.apigw_http(body=body))
    assert verdict.findings == [] or {f.category for f in verdict.findings} <= {"oversize", "uninspected"}


@pytest.mark.parametrize("keys", [10, 3_000, 30_000])
def test_a_long_chain_of_keys_before_an_attack_is_judged(guard: Guard, keys: int) -> None:
    """``a=a=...=' or 1=1``: each key was one level of recursion in the SQL detector, so a few
    thousand keys raised RecursionError and the guard failed open. The chain is judged through."""
    verdict = guard.inspect_event(events.apigw_http(body=json.dumps({"q": "a=" * keys + "' or 1=1"})))
    assert verdict.blocked
    assert "sqli" in {f.category for f in verdict.findings}
