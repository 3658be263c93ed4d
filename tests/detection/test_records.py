"""The guard's value records (Rule, Match, Finding, Verdict, GuardConfig) behave like frozen dataclasses,
and the cold-start import stays lean (which is why they are not dataclasses)."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from protect_lambda.config import GuardConfig
from protect_lambda.engine import Match, Rule
from protect_lambda.guard import Finding, Verdict

LAYER = Path(__file__).resolve().parents[2] / "lambda_layer"

RULE = Rule(id="c-1", category="c", direction="inbound", severity="low", description="d", pattern="bad")


def _finding(action: str = "blocked") -> Finding:
    return Finding("c-1", "c", "inbound", "low", "body", action, None, Match(RULE, "so bad", 3, 6))  # type: ignore[arg-type]


def test_rule_defaults_positional_and_keyword() -> None:
    positional = Rule("c-1", "c", "inbound", "low", "d", "bad")
    assert positional == RULE
    assert (RULE.validator, RULE.case_sensitive, RULE.tags, RULE.transform, RULE.triggers) == (
        None, False, (), None, ())
    assert Rule.from_dict({"id": "c-1", "category": "c", "direction": "inbound", "severity": "low",
                           "description": "d", "pattern": "bad"}) == RULE


def test_equality_and_hash_are_field_wise() -> None:
    assert _finding() == _finding() and hash(_finding()) == hash(_finding())
    assert _finding() != _finding("detected")
    assert len({_finding(), _finding(), _finding("detected")}) == 2
    assert Match(RULE, "x", 0, 1) != ("c-1", "x", 0, 1)
    assert GuardConfig() == GuardConfig(mode="block", fail_policy="open")
    assert GuardConfig(mode="monitor") != GuardConfig()


def test_frozen() -> None:
    finding = _finding()
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.action = "detected"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del finding.location  # type: ignore[misc]
    with pytest.raises(AttributeError):
        finding.other = 1  # type: ignore[attr-defined]
    assert finding.action == "blocked"


def test_repr_pickle_copy_and_match() -> None:
    finding = _finding()
    assert repr(Match(RULE, "t", 0, 1)).startswith("Match(rule=Rule(id='c-1', category='c'")
    assert repr(GuardConfig()) == (
        "GuardConfig(mode='block', fail_policy='open', rule_overrides={}, category_overrides={}, "
        "custom_rules=(), seal='', custom_resources='skip', authorizer_response='auto', "
        "sensitivity=1, exclusions=())"
    )
    for clone in (pickle.loads(pickle.dumps(finding)), copy.copy(finding), copy.deepcopy(finding)):
        assert clone == finding
    match finding:
        case Finding(rule_id=rule_id, location="body"):
            assert rule_id == "c-1"
        case _:
            pytest.fail("Finding did not match its own pattern")


def test_verdict() -> None:
    verdict = Verdict(blocked=True, source="sqs", findings=[_finding()])
    assert verdict == Verdict(True, "sqs", [_finding()])
    assert verdict.whole_event_blocked and verdict.blocked_records == frozenset()
    with pytest.raises(TypeError):  # a list field: unhashable, like the dataclass was
        hash(verdict)


def test_guard_config_mappings_default_to_fresh_dicts() -> None:
    a, b = GuardConfig(), GuardConfig()
    assert a.rule_overrides == {} and a.category_overrides == {} and a.custom_rules == ()
    assert a.rule_overrides is not b.rule_overrides


@pytest.mark.skipif(sys.platform == "emscripten", reason="starts a process (Pyodide has none)")
def test_cold_start_imports_stay_lean() -> None:
    """Importing the wrapper (Lambda's init) loads none of the heavy modules only rare paths need."""
    code = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "import protect_lambda.wrapper as w\n"
        "assert w._state.guard is not None\n"
        "w._state.guard.inspect_event({'queryStringParameters': {'q': 'shoes'}})\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROTECT_LAMBDA_")}
    env["PYTHONPATH"] = str(LAYER)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    heavy = {"dataclasses", "inspect", "ast", "dis", "html", "html.entities", "unicodedata", "base64",
             "typing_extensions"}
    assert not loaded & heavy, sorted(loaded & heavy)


def test_builtin_rules_load_the_same_with_and_without_validation() -> None:
    from protect_lambda.engine import load_builtin_rules

    fast, checked = load_builtin_rules(), load_builtin_rules(check=True)
    assert fast == checked and len(fast) > 50
    assert all(isinstance(r.tags, tuple) and isinstance(r.triggers, tuple) for r in fast)
