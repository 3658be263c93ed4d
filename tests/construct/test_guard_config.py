"""The guard's configuration at synth: validated by the staged guard, carried in the environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from protect_lambda import contract
from protect_lambda.config import load_config

from protect_lambda_construct import GuardMode, GuardOptions, ProtectionError, RuleAction
from protect_lambda_construct.guard_config import (
    INLINE_CONFIG_LIMIT,
    config_environment,
    config_json,
    guard_document,
)

RULE = {"id": "custom-001", "category": "custom", "direction": "inbound", "severity": "high",
        "description": "a forbidden word", "pattern": "forbidden[-_]word"}


def _many_rules(count: int) -> list[dict[str, Any]]:
    return [dict(RULE, id=f"custom-{i:03d}", pattern=f"forbidden[-_]word[-_]{i}\\b") for i in range(count)]


def test_document_round_trips_through_the_environment_to_the_guard() -> None:
    options = GuardOptions(mode=GuardMode.MONITOR, rule_overrides={"sqli-001": RuleAction.OFF},
                           category_overrides={"xss": RuleAction.BLOCK}, custom_rules=[RULE])
    env = config_environment(guard_document(options))
    assert env[contract.MODE_ENV] == "monitor" and env[contract.FAIL_POLICY_ENV] == "open"
    config = load_config(env)
    assert (config.rule_overrides, config.category_overrides, config.custom_rules) == (
        {"sqli-001": "off"}, {"xss": "block"}, (RULE,))


@pytest.mark.parametrize("options, message", [
    (GuardOptions(custom_rules=[dict(RULE, pattern="(unclosed")]), r"guard: rule 'custom-001': field 'pattern'"),
    (GuardOptions(custom_rules=[RULE, RULE]), r"guard: custom_rules\[1\]: duplicate rule id"),
    (GuardOptions(custom_rules=[dict(RULE, id="sqli-001")]), "already a built-in rule"),
    (GuardOptions(rule_overrides={"sqli-01": RuleAction.OFF}), r"guard: rule_overrides\['sqli-01'\]: unknown name"),
    (GuardOptions(category_overrides={"sql": RuleAction.OFF}), r"guard: category_overrides\['sql'\]: unknown name"),
    (GuardOptions(custom_rules=[dict(RULE, severity=object())]), "guard.custom_rules: must hold only JSON values"),
])
def test_the_guards_own_validator_refuses_bad_options(options: GuardOptions, message: str) -> None:
    with pytest.raises(ProtectionError, match=message):
        guard_document(options)


def test_an_override_of_a_custom_rule_is_known() -> None:
    options = GuardOptions(rule_overrides={"custom-001": RuleAction.MONITOR}, custom_rules=[RULE])
    assert guard_document(options)["rule_overrides"] == {"custom-001": "monitor"}


def test_config_json_is_deterministic_and_omits_empty_sections() -> None:
    a = config_json(guard_document(GuardOptions(rule_overrides={"xss-001": RuleAction.OFF,
                                                                "sqli-001": RuleAction.MONITOR})))
    assert a == '{"rule_overrides":{"sqli-001":"monitor","xss-001":"off"}}'
    assert config_environment(guard_document(GuardOptions())) == {
        contract.MODE_ENV: "block", contract.FAIL_POLICY_ENV: "open"}


def test_large_config_needs_a_file(tmp_path: Path) -> None:
    document = guard_document(GuardOptions(custom_rules=_many_rules(40)))
    assert len(config_json(document)) > INLINE_CONFIG_LIMIT
    with pytest.raises(ValueError, match="config_file_path"):
        config_environment(document)
    path = tmp_path / "guard.json"
    path.write_text(config_json(document))
    env = config_environment(document, config_file_path=str(path))
    assert contract.CONFIG_ENV not in env and env[contract.CONFIG_FILE_ENV] == str(path)
    assert len(load_config(env).custom_rules) == 40
    assert json.loads(path.read_text())["custom_rules"][0]["id"] == "custom-000"


def test_sensitivity_and_exclusions_reach_the_guard() -> None:
    from protect_lambda_construct import Exclusion

    options = GuardOptions(sensitivity=3, exclusions=[
        Exclusion(category="sqli", location="body.commits[*].message"),
        Exclusion(rule_id="xss-001", location="headers.referer", action=RuleAction.MONITOR)])
    config = load_config(config_environment(guard_document(options)))
    assert config.sensitivity == 3
    assert list(config.exclusions) == [
        {"category": "sqli", "location": "body.commits[*].message", "action": "off"},
        {"rule": "xss-001", "location": "headers.referer", "action": "monitor"}]
    assert contract.CONFIG_ENV not in config_environment(guard_document(GuardOptions()))  # defaults: nothing sent


@pytest.mark.parametrize("build, message", [
    (lambda E: GuardOptions(sensitivity=5), r"guard\.sensitivity: expected 1, 2, 3 or 4"),
    (lambda E: GuardOptions(exclusions=E(category="sqli", location="body")), r"guard\.exclusions: expected a list"),
    (lambda E: GuardOptions(exclusions=[E(location="body")]), r"guard\.exclusions: give exactly one .*neither"),
    (lambda E: GuardOptions(exclusions=[E(category="sqli", location="body", action=RuleAction.BLOCK)]),
     r"guard\.exclusions: action"),
    (lambda E: guard_document(GuardOptions(exclusions=[E(rule_id="nope-001", location="body")])),
     r"exclusions\[0\]: unknown rule 'nope-001'"),
    (lambda E: guard_document(GuardOptions(exclusions=[E(category="sqlinjection", location="body")])),
     r"exclusions\[0\]: unknown category 'sqlinjection'; known: .*sqli"),
    (lambda E: guard_document(GuardOptions(exclusions=[E(category="sqli", location="body..x")])),
     r"exclusions\[0\]: location 'body\.\.x'.*e\.g\. 'body\.commits\[\*\]\.message'"),
])
def test_bad_sensitivity_and_exclusions_fail_synth_naming_the_prop(build: Any, message: str) -> None:
    from protect_lambda_construct import Exclusion

    with pytest.raises(ProtectionError, match=message):
        build(Exclusion)
