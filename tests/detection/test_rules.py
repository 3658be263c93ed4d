"""Every built-in rule: its own positive and negative examples, and the rule data itself."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from protect_lambda import contract
from protect_lambda.engine import Rule, RuleEngine, check_pattern

from .rule_examples import EXAMPLES

ENGINE = RuleEngine.default()
RULES = {r.id: r for r in ENGINE.rules}
INBOUND = ("sqli", "xss", "cmdi", "path_traversal", "ssrf", "nosqli", "ssti", "xxe", "jndi")
OUTBOUND = ("leak_card", "leak_aws_key", "leak_private_key", "leak_ssn", "leak_stacktrace")


def _ids(text: str, direction: str) -> set[str]:
    return {m.rule.id for m in ENGINE.scan(text, direction)}  # type: ignore[arg-type]


def test_every_rule_has_examples() -> None:
    assert set(EXAMPLES) == set(RULES)


def test_categories_cover_the_issue() -> None:
    inbound = {r.category for r in RULES.values() if r.direction == contract.DIRECTION_INBOUND}
    outbound = {r.category for r in RULES.values() if r.direction == contract.DIRECTION_OUTBOUND}
    assert inbound == set(INBOUND)
    assert outbound == set(OUTBOUND)


@pytest.mark.parametrize(
    ("rule_id", "text"), [(rid, t) for rid, (pos, _) in sorted(EXAMPLES.items()) for t in pos]
)
def test_positive(rule_id: str, text: str) -> None:
    assert rule_id in _ids(text, RULES[rule_id].direction)


@pytest.mark.parametrize(
    ("rule_id", "text"), [(rid, t) for rid, (_, neg) in sorted(EXAMPLES.items()) for t in neg]
)
def test_negative(rule_id: str, text: str) -> None:
    assert rule_id not in _ids(text, RULES[rule_id].direction)


def test_rule_files_are_valid_data() -> None:
    folder = resources.files("protect_lambda") / "rules"
    seen: set[str] = set()
    for entry in folder.iterdir():
        if not entry.name.endswith(".json"):
            continue
        for item in json.loads(entry.read_text(encoding="utf-8"))["rules"]:
            rule = Rule.from_dict(item)
            assert rule.id not in seen
            seen.add(rule.id)
            assert re.fullmatch(r"[a-z]+(?:-[a-z]+)?-\d{3}", rule.id), rule.id
            assert check_pattern(rule.pattern) is None
            assert rule.description and rule.severity in contract.SEVERITIES
    assert seen == set(RULES)


def test_validated_rules_name_their_validator() -> None:
    assert RULES["leak-card-001"].validator == "luhn"
    assert RULES["leak-ssn-001"].validator == "ssn"
