"""Which rules a text selects by their triggers: the trie search gives what testing each trigger gives."""

from __future__ import annotations

import random
import re

import pytest

from protect_lambda import engine
from protect_lambda.engine import Rule, RuleEngine, load_builtin_rules, trigger_pattern
from protect_lambda.normalize import normalize
from tests.detection.rule_examples import EXAMPLES

RULES = load_builtin_rules()
GROUPS = list(RuleEngine(RULES)._groups.items())
TEXTS = [t for positives, negatives in EXAMPLES.values() for t in (*positives, *negatives)]


def _texts(triggers: list[str], seed: int, count: int = 600) -> list[str]:
    """Rule examples (raw, normalised, cut) and random runs of triggers, their pieces and filler:
    overlapping triggers, a trigger inside a longer one, triggers at both ends."""
    rng = random.Random(seed)
    pieces = [*triggers, *(t[: rng.randrange(1, len(t) + 1)] for t in triggers), *(t[1:] for t in triggers),
              " ", "x", "/", ".", "\u212a"]
    out = [*TEXTS, *(normalize(t) for t in TEXTS), *(t[:engine._TRIE_TEXT - 1] for t in TEXTS)]
    for _ in range(count):
        out.append("".join(rng.choice(pieces) for _ in range(rng.randrange(0, 12))))
    return out


@pytest.mark.parametrize("key", [key for key, g in GROUPS if g.trigger_pattern is not None], ids=lambda key: "/".join(map(str, key)))
def test_trie_selects_what_testing_each_trigger_selects(key: tuple[str, str, bool]) -> None:
    group = dict(GROUPS)[key]
    triggers = sorted({*group.single, *(t for pairs in group.multi.values() for t, _ in pairs)})
    selected_any = 0
    for text in _texts(triggers, seed=len(triggers)):
        by_trie = group.select_by_triggers(text)
        assert by_trie == group.select_by_pairs(text), (key, text)
        selected_any += by_trie != set(group.always)
    assert selected_any > 100  # the texts do hold triggers


def test_a_trigger_inside_or_overlapping_another_selects_its_rule() -> None:
    def rule(rid: str, triggers: list[str]) -> Rule:
        return Rule.from_dict({"id": rid, "category": "c", "direction": "inbound", "severity": "low",
                               "description": "d", "pattern": "zz", "triggers": triggers})

    group = RuleEngine([rule("r-etc", ["etc"]), rule("r-etcp", ["etc/p"]), rule("r-tc", ["tc/"]),
                        rule("r-cp", ["c/pa"])])._groups[("inbound", "", False)]
    ids = [c.rule.id for c in group.compiled]
    for text, expected in (("/etc/passwd", {"r-etc", "r-etcp", "r-tc", "r-cp"}),
                           ("etc", {"r-etc"}), ("tc/", {"r-tc"}), ("xetc/x", {"r-etc", "r-tc"}), ("", set())):
        assert {ids[i] for i in group.select_by_triggers(text)} == expected, text


def test_a_text_full_of_triggers_falls_back_to_testing_each() -> None:
    group = RuleEngine(RULES)._groups[("inbound", "", True)]
    text = "-- " * engine._TRIE_MATCHES + " union"
    assert len(text) < engine._TRIE_TEXT
    selected = group.select_by_triggers(text)
    assert selected == group.select_by_pairs(text)
    assert any(group.compiled[i].rule.id.startswith("sqli-") and "union" in group.compiled[i].rule.triggers
               for i in selected)


def test_trigger_pattern_reports_the_longest_trigger_at_a_position() -> None:
    rx = re.compile(trigger_pattern(["..", "../", ".", "etc", "etc/passwd"]))
    assert [m.group() for m in rx.finditer("../etc/pass etc/passwd .x")] == ["../", "etc", "etc/passwd", "."]
    assert trigger_pattern(["a+b", "a(", "\\"]) == r"(?:\\|a(?:\(|\+b))"
    assert re.compile(trigger_pattern(["a+b", "a("])).search("xa+b").group() == "a+b"


def test_trigger_patterns_are_listed_for_the_recording() -> None:
    listed = RuleEngine(RULES).trigger_patterns()
    assert listed == [(g.trigger_pattern, 0) for _, g in GROUPS if g.trigger_pattern is not None]
    assert len(listed) >= 3 and all(re.compile(p) for p, _ in listed)


def test_an_engine_writes_its_tries_on_first_use() -> None:
    """Building an engine (every cold start builds two) neither writes nor compiles a trie: that
    waits for the first short text, and a long text never needs one."""
    group = RuleEngine(RULES)._groups[("inbound", "", True)]
    assert group._trigger_pattern is None and group._trigger_regex is None and not group._rules_at
    group.select_by_triggers("x" * engine._TRIE_TEXT)
    assert group._trigger_regex is None
    assert group.select_by_triggers("1 union select 2") == group.select_by_pairs("1 union select 2")
    assert group._trigger_regex is not None and group._rules_at
