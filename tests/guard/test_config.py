"""Guard configuration: from the environment, from a file, and the validator synth also runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from protect_lambda import contract, wrapper
from protect_lambda.config import GuardConfig, load_config, read_fail_policy, validate_document
from protect_lambda.engine import RuleError
from protect_lambda.errors import GuardConfigError

from .conftest import LambdaContext, UserApp, apigw_http, printed_findings

RULE = {
    "id": "custom-001",
    "category": "custom",
    "direction": "inbound",
    "severity": "high",
    "description": "a forbidden word",
    "pattern": "forbidden[-_]word",
}


def _many_rules(count: int) -> list[dict[str, Any]]:
    return [
        dict(RULE, id=f"custom-{i:03d}", pattern=f"forbidden[-_]word[-_]{i}\\b")
        for i in range(count)
    ]


def test_defaults() -> None:
    config = load_config({})
    assert config == GuardConfig() and config.mode == "block" and config.fail_policy == "open"


def test_env_mode_and_policy_are_normalised() -> None:
    config = load_config({contract.MODE_ENV: " Monitor ", contract.FAIL_POLICY_ENV: "CLOSED"})
    assert (config.mode, config.fail_policy) == ("monitor", "closed")


def test_inline_config() -> None:
    doc = {
        "rule_overrides": {"sqli-001": "off"},
        "category_overrides": {"xss": "monitor"},
        "custom_rules": [RULE],
    }
    config = load_config({contract.CONFIG_ENV: json.dumps(doc)})
    assert config.rule_overrides == {"sqli-001": "off"} and config.category_overrides == {
        "xss": "monitor"
    }
    assert config.custom_rules == (RULE,)


def test_env_mode_wins_over_document_mode() -> None:
    env = {contract.CONFIG_ENV: json.dumps({"mode": "monitor"}), contract.MODE_ENV: "block"}
    assert load_config(env).mode == "block"
    assert load_config({contract.CONFIG_ENV: json.dumps({"mode": "monitor"})}).mode == "monitor"


def test_config_file_absolute_and_relative_to_task_root(tmp_path: Path) -> None:
    doc = {"custom_rules": _many_rules(3)}
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "guard.json").write_text(json.dumps(doc))
    absolute = load_config({contract.CONFIG_FILE_ENV: str(tmp_path / "conf" / "guard.json")})
    relative = load_config(
        {contract.CONFIG_FILE_ENV: "conf/guard.json", "LAMBDA_TASK_ROOT": str(tmp_path)}
    )
    assert absolute == relative and len(absolute.custom_rules) == 3


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {contract.MODE_ENV: "blok"},
            f"{contract.MODE_ENV}: must be one of block, monitor (got 'blok')",
        ),
        (
            {contract.FAIL_POLICY_ENV: "ajar"},
            f"{contract.FAIL_POLICY_ENV}: must be one of open, closed",
        ),
        ({contract.CONFIG_ENV: "{"}, f"{contract.CONFIG_ENV}: not valid JSON"),
        ({contract.CONFIG_ENV: "[1]"}, f"{contract.CONFIG_ENV}: must be a JSON object"),
        ({contract.CONFIG_ENV: '{"rule_override": {}}'}, "unknown key 'rule_override'"),
        (
            {contract.CONFIG_ENV: '{"rule_overrides": {"x": "allow"}}'},
            "rule_overrides['x']: must be one of block, monitor, off",
        ),
        (
            {contract.CONFIG_ENV: '{"category_overrides": []}'},
            "category_overrides: must be an object",
        ),
        ({contract.CONFIG_ENV: '{"custom_rules": {}}'}, "custom_rules: must be a list"),
        ({contract.CONFIG_ENV: '{"custom_rules": [1]}'}, "custom_rules[0]: must be an object"),
        ({contract.CONFIG_ENV: "{}", contract.CONFIG_FILE_ENV: "/x.json"}, "both set"),
        (
            {contract.CONFIG_FILE_ENV: "/nonexistent/guard.json"},
            "cannot read '/nonexistent/guard.json'",
        ),
    ],
)
def test_bad_config_names_the_field(env: dict[str, str], message: str) -> None:
    with pytest.raises(GuardConfigError) as info:
        load_config(env)
    assert message in str(info.value)


def test_bad_custom_rule_at_run_time_names_the_variable() -> None:
    bad = dict(RULE, pattern="(unclosed")
    with pytest.raises(GuardConfigError, match=contract.CONFIG_ENV) as info:
        load_config({contract.CONFIG_ENV: json.dumps({"custom_rules": [bad]})})
    assert "custom-001" in str(info.value)


def test_invalid_json_file(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text("{nope")
    with pytest.raises(GuardConfigError, match="is not valid JSON"):
        load_config({contract.CONFIG_FILE_ENV: str(path)})


def test_read_fail_policy_survives_garbage() -> None:
    assert read_fail_policy({contract.FAIL_POLICY_ENV: "closed"}) == "closed"
    assert read_fail_policy({contract.FAIL_POLICY_ENV: "???"}) == "open"
    assert read_fail_policy({}) == "open"


# --- the validator (the construct runs it at synth, on the staged guard) ----------------


def _document(**sections: Any) -> dict[str, Any]:
    return {"mode": "block", "fail_policy": "open", **sections}


def test_validate_document_normalises_and_keeps_every_section() -> None:
    doc = validate_document(_document(
        mode="Monitor", fail_policy="closed", rule_overrides={"sqli-001": "OFF"},
        category_overrides={"xss": "block"}, custom_rules=[RULE], custom_resources="Inspect",
        authorizer_response="simple", sensitivity=2,
        exclusions=[{"category": "sqli", "location": "body.commits[*].message"}]))
    assert doc == {"mode": "monitor", "fail_policy": "closed", "rule_overrides": {"sqli-001": "off"},
                   "category_overrides": {"xss": "block"}, "custom_rules": [RULE],
                   "custom_resources": "inspect", "authorizer_response": "simple", "sensitivity": 2,
                   "exclusions": [{"category": "sqli", "location": "body.commits[*].message", "action": "off"}]}
    env = {contract.MODE_ENV: doc["mode"], contract.FAIL_POLICY_ENV: doc["fail_policy"],
           contract.CONFIG_ENV: json.dumps({key: doc[key] for key in
                                            ("rule_overrides", "category_overrides", "custom_rules",
                                             "custom_resources", "authorizer_response", "sensitivity",
                                             "exclusions")})}
    assert load_config(env) == GuardConfig(
        mode="monitor", fail_policy="closed", rule_overrides={"sqli-001": "off"},
        category_overrides={"xss": "block"}, custom_rules=(RULE,), custom_resources="inspect",
        authorizer_response="simple", sensitivity=2,
        exclusions=({"category": "sqli", "location": "body.commits[*].message", "action": "off"},))


def test_validate_document_rejects_bad_rules_naming_them() -> None:
    with pytest.raises(RuleError, match="custom-001"):
        validate_document(_document(custom_rules=[dict(RULE, pattern="(unclosed")]))
    with pytest.raises(
        GuardConfigError, match=r"custom_rules\[1\]: duplicate rule id 'custom-001'"
    ):
        validate_document(_document(custom_rules=[RULE, RULE]))
    with pytest.raises(GuardConfigError, match="already a built-in rule"):
        validate_document(_document(custom_rules=[RULE]), known_rule_ids={"custom-001"})


def test_validate_document_checks_known_names_when_given() -> None:
    with pytest.raises(GuardConfigError, match=r"rule_overrides\['sqli-01'\]: unknown name"):
        validate_document(_document(rule_overrides={"sqli-01": "off"}), known_rule_ids={"sqli-001"})
    assert validate_document(
        _document(rule_overrides={"custom-001": "monitor"}, custom_rules=[RULE]),
        known_rule_ids={"sqli-001"},
    )["rule_overrides"] == {"custom-001": "monitor"}
    with pytest.raises(GuardConfigError, match="category_overrides"):
        validate_document(_document(category_overrides={"sql": "off"}), known_categories={"sqli"})


def test_large_config_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "guard.json"
    path.write_text(json.dumps({"custom_rules": _many_rules(40)}))
    assert len(path.read_text()) > 4096
    assert len(load_config({contract.CONFIG_FILE_ENV: str(path)}).custom_rules) == 40


def test_rules_from_a_large_config_file_block_through_the_wrapper(
    tmp_path: Path,
    user_app: UserApp,
    lambda_env: Callable[..., None],
    ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Rule sets beyond Lambda's 4 KB environment limit still work (via CONFIG_FILE_ENV)."""
    path = tmp_path / "guard.json"
    path.write_text(json.dumps({"custom_rules": _many_rules(60)}))
    assert len(path.read_text()) > 4096
    module = user_app.write("app.py", "def handler(event, context):\n    return 'ok'\n")
    lambda_env(
        **{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"},
        **{contract.CONFIG_FILE_ENV: str(path)},
    )
    assert wrapper.handler(apigw_http("say forbidden-word-59 please"), ctx)["statusCode"] == 403
    assert [r[contract.FIELD_RULE_ID] for r in printed_findings(capsys.readouterr().out)] == [
        "custom-059"
    ]
    assert wrapper.handler(apigw_http("all good"), ctx) == "ok"


def test_proxy_patterns_name_custom_rules_only() -> None:
    """``proxy_patterns`` (the constructs' translations for the proxy) must name custom rules; the
    Python guard keeps them as given and does not use them."""
    rule = {"id": "custom-1", "category": "custom", "direction": "inbound", "severity": "low",
            "description": "d", "pattern": "x"}
    valid = validate_document({"custom_rules": [rule], "proxy_patterns": {"custom-1": "x"}})
    assert valid["proxy_patterns"] == {"custom-1": "x"}
    assert "proxy_patterns" not in validate_document({})  # documents without it are unchanged
    with pytest.raises(GuardConfigError, match="proxy_patterns: 'sqli-001' is not a custom rule"):
        validate_document({"custom_rules": [rule], "proxy_patterns": {"sqli-001": "x"}})
    with pytest.raises(GuardConfigError, match="proxy_patterns: must be an object"):
        validate_document({"proxy_patterns": ["x"]})
