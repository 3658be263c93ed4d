"""Rule validation (what the construct calls at synth), validators and the engine."""

from __future__ import annotations

from typing import Any

import pytest

from protect_lambda.engine import (
    Rule,
    RuleEngine,
    RuleError,
    aws_secret_valid,
    check_pattern,
    luhn_valid,
    ssn_valid,
)

GOOD: dict[str, Any] = {
    "id": "custom-001", "category": "custom", "direction": "inbound", "severity": "high",
    "description": "forbidden word", "pattern": "forbidden",
}


def test_from_dict_builds_a_rule() -> None:
    rule = Rule.from_dict(GOOD)
    assert (rule.id, rule.category, rule.direction, rule.severity) == ("custom-001", "custom", "inbound", "high")
    assert rule.validator is None and rule.transform is None


@pytest.mark.parametrize("field", ["id", "category", "direction", "severity", "description", "pattern"])
def test_missing_field_is_named(field: str) -> None:
    data = {k: v for k, v in GOOD.items() if k != field}
    with pytest.raises(RuleError, match=f"'{field}'"):
        Rule.from_dict(data)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"direction": "sideways"}, "direction"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"pattern": "(unclosed"}, "pattern"),
        ({"pattern": "(a+)+$"}, "pattern"),
        ({"pattern": "(?:\\w*\\s?)*x"}, "pattern"),
        ({"pattern": "(x|y{1,50}){1,50}z"}, "pattern"),
        ({"validator": "astrology"}, "validator"),
        ({"transform": "magic"}, "transform"),
        ({"id": "bad id with spaces"}, "id"),
        ({"case_sensitive": "yes"}, "case_sensitive"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_rule_names_rule_and_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleError) as info:
        Rule.from_dict({**GOOD, **change})
    message = str(info.value)
    assert f"'{field}'" in message
    assert ("custom-001" in message) or field == "id"


def test_non_mapping_is_rejected() -> None:
    with pytest.raises(RuleError):
        Rule.from_dict(["not", "a", "rule"])  # type: ignore[arg-type]


def test_check_pattern_accepts_bounded_patterns() -> None:
    assert check_pattern(r"union[\s(]{1,20}select\b") is None
    assert check_pattern(r"(?:\d[ -]?){12,18}\d") is None
    assert check_pattern(r"(?:ab){2,4}c{0,9}") is None
    assert check_pattern(r"(a*)*") is not None


def test_duplicate_ids_are_rejected() -> None:
    rule = Rule.from_dict(GOOD)
    with pytest.raises(RuleError, match="duplicated"):
        RuleEngine([rule, rule])


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("3782-822463-10005")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("0000000000000000")
    assert not luhn_valid("1234567812345670")  # Luhn-valid, but no issuer starts with 1
    assert not luhn_valid("4111 1111 111")  # too short
    assert luhn_valid("676312345678")  # 12 digits: Maestro
    assert not luhn_valid("412345678905")  # 12 digits, Luhn-valid, but not a Maestro range


def test_ssn_ranges() -> None:
    assert ssn_valid("123-45-6789")
    for bad in ("000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "12-345-678"):
        assert not ssn_valid(bad), bad


def test_aws_secret_needs_randomness() -> None:
    assert aws_secret_valid("secret_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert not aws_secret_valid("secret_key=" + "a" * 40)
    assert not aws_secret_valid("secret_key=short")


def test_scan_returns_span_in_normalised_text() -> None:
    engine = RuleEngine([Rule.from_dict(GOOD)])
    [match] = engine.scan("be %46ORBIDDEN here", "inbound")
    assert match.text == "be forbidden here"
    assert match.text[match.start : match.end] == "forbidden"


def test_scan_respects_direction() -> None:
    engine = RuleEngine([Rule.from_dict(GOOD)])
    assert engine.scan("forbidden", "outbound") == []


def test_validator_rejects_candidates_and_tries_the_next() -> None:
    engine = RuleEngine.default()
    text = "order 4111 1111 1111 1112 then card 4012 8888 8888 1881"
    [match] = [m for m in engine.scan(text, "outbound") if m.rule.category == "leak_card"]
    assert text[match.start : match.end] == "4012 8888 8888 1881"


def test_outbound_case_sensitivity_follows_the_rule() -> None:
    engine = RuleEngine.default()
    assert any(m.rule.id == "leak-aws-001" for m in engine.scan("AKIAIOSFODNN7EXAMPLE", "outbound"))
    assert not any(m.rule.id == "leak-aws-001" for m in engine.scan("akiaiosfodnn7example", "outbound"))


def test_base64_value_is_scanned_decoded() -> None:
    import base64

    encoded = base64.b64encode(b"<script>alert(1)</script>").decode()
    assert any(m.rule.category == "xss" for m in RuleEngine.default().scan(encoded, "inbound"))


def test_shell_transform_rule_sees_squashed_text() -> None:
    engine = RuleEngine.default()
    ids = {m.rule.id for m in engine.scan("w'h'o'a'm'i", "inbound")}
    assert "cmdi-008" in ids


def test_default_engine_is_shared() -> None:
    assert RuleEngine.default() is RuleEngine.default()


def test_the_lead_detector_changes_the_order_not_the_verdict() -> None:
    """Running the likeliest detector first (engine.lead_detector) only saves time: every rule
    example gets the same verdict, and a value no detector decides the same findings, as with
    the detectors in their default order."""
    from protect_lambda import Guard

    from .rule_examples import EXAMPLES

    routed, fixed = Guard(), Guard()
    fixed.engine._detector_functions()
    fixed.engine._orders = {}  # no lead: the default order
    values = [v for positives, negatives in EXAMPLES.values() for v in (*positives, *negatives)]
    for value in values:
        event = {"queryStringParameters": {"q": value}}
        a, b = routed.inspect_event(event), fixed.inspect_event(event)
        assert a.blocked == b.blocked, value
        if not a.blocked:
            assert [f.rule_id for f in a.findings] == [f.rule_id for f in b.findings], value
