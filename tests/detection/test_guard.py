"""The Guard API the wrapper relies on: verdicts, findings, modes, overrides, custom rules, limits."""

from __future__ import annotations

import dataclasses
import json

import pytest

from protect_lambda import Guard
from protect_lambda.adapters import Limits
from protect_lambda.engine import Match, RuleError

from . import events

XSS = "<script>alert(1)</script>"
CUSTOM = {"id": "custom-001", "category": "custom", "direction": "inbound", "severity": "low",
          "description": "internal codename", "pattern": "bluebird"}


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard()


def test_clean_event_passes(guard: Guard) -> None:
    verdict = guard.inspect_event(events.apigw_http("shoes size 42", body='{"name": "O\'Brien"}'))
    assert not verdict.blocked and verdict.findings == [] and verdict.source == "apigw-http"


def test_finding_fields(guard: Guard) -> None:
    verdict = guard.inspect_event(events.apigw_rest(query=XSS))
    assert verdict.blocked and verdict.source == "apigw-rest"
    finding = next(f for f in verdict.findings if f.location == "queryStringParameters.q")
    assert (finding.category, finding.direction, finding.action, finding.record_index) == (
        "xss", "inbound", "blocked", None)
    assert finding.rule_id.startswith("xss-") and finding.severity in ("low", "medium", "high", "critical")
    assert isinstance(finding.match, Match)
    assert "<script>" in finding.match.text[finding.match.start : finding.match.end + 8]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.action = "detected"  # type: ignore[misc]


def test_encoded_attack_is_caught_like_plain(guard: Guard) -> None:
    plain = guard.inspect_event(events.apigw_http("1 union select password from users"))
    encoded = guard.inspect_event(events.apigw_http("1%2520UNION%2520%2F**%2FSELECT%2520password%2520from%2520users"))
    assert plain.blocked and encoded.blocked
    assert {f.category for f in encoded.findings} == {"sqli"}


def test_batch_record_index(guard: Guard) -> None:
    verdict = guard.inspect_event(events.sqs("fine", json.dumps({"text": "../../../etc/passwd"}), "also fine"))
    assert verdict.source == "sqs" and verdict.blocked
    assert verdict.blocked_records == frozenset({1})
    assert {f.location for f in verdict.findings} == {"Records[1].body.text"}
    assert not verdict.whole_event_blocked


@pytest.mark.parametrize(
    ("event", "source", "category"),
    [
        (events.function_url('{"url": "http://169.254.169.254/latest/meta-data/"}'), "function-url", "ssrf"),
        (events.alb(header="${jndi:ldap://x.example/a}"), "alb", "jndi"),
        (events.sns("{\"q\": {\"$where\": \"sleep(100)\"}}"), "sns", "nosqli"),
        (events.eventbridge({"name": "{{7*7}}"}), "eventbridge", "ssti"),
        (events.s3("uploads/..%2f..%2fetc%2fpasswd"), "s3", "path_traversal"),
        (events.dynamodb("x; cat /etc/passwd"), "dynamodb", "cmdi"),
        (events.kinesis({"doc": "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"}), "kinesis", "xxe"),
        ({"custom": {"nested": [XSS]}}, "generic", "xss"),
    ],
)
def test_every_source(guard: Guard, event: object, source: str, category: str) -> None:
    verdict = guard.inspect_event(event)
    assert verdict.source == source and verdict.blocked
    assert category in {f.category for f in verdict.findings}


def test_monitor_mode_detects_without_blocking() -> None:
    verdict = Guard(mode="monitor").inspect_event(events.apigw_http(XSS))
    assert not verdict.blocked and verdict.findings
    assert {f.action for f in verdict.findings} == {"detected"}


def test_category_override_off_and_monitor() -> None:
    event = events.apigw_http(XSS)
    assert Guard(category_overrides={"xss": "off"}).inspect_event(event).findings == []
    verdict = Guard(category_overrides={"xss": "monitor"}).inspect_event(event)
    assert not verdict.blocked and verdict.findings


def test_rule_override_beats_category_and_mode() -> None:
    event = events.apigw_http("<img src=x onerror=alert(1)>")
    verdict = Guard(mode="monitor", rule_overrides={"xss-002": "block"}).inspect_event(event)
    assert verdict.blocked
    assert {f.rule_id for f in verdict.findings if f.action == "blocked"} == {"xss-002"}
    off = Guard(category_overrides={"xss": "block"}, rule_overrides={"xss-002": "off"}).inspect_event(event)
    assert "xss-002" not in {f.rule_id for f in off.findings}


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="mode"):
        Guard(mode="panic")
    with pytest.raises(ValueError, match="rule_overrides"):
        Guard(rule_overrides={"xss-001": "maybe"})
    with pytest.raises(RuleError, match="custom-bad"):
        Guard(custom_rules=[{**CUSTOM, "id": "custom-bad", "pattern": "(a+)+"}])
    with pytest.raises(RuleError):
        Guard(custom_rules=CUSTOM)  # type: ignore[arg-type]


def test_custom_rule_added_to_builtins() -> None:
    guard = Guard(custom_rules=[CUSTOM])
    verdict = guard.inspect_event(events.apigw_http("Project BlueBird"))
    assert verdict.blocked and verdict.findings[0].rule_id == "custom-001"
    assert guard.inspect_event(events.apigw_http(XSS)).blocked  # built-ins still there


def test_custom_rule_duplicating_builtin_id_fails() -> None:
    with pytest.raises(RuleError, match="xss-001"):
        Guard(custom_rules=[{**CUSTOM, "id": "xss-001"}])


def test_response_leaks(guard: Guard) -> None:
    verdict = guard.inspect_response({"statusCode": 200, "body": json.dumps({"user": {"ssn": "123-45-6789"}})},
                                     event=events.apigw_http())
    assert verdict.blocked and verdict.source == "apigw-http"
    [finding] = verdict.findings
    assert (finding.category, finding.direction, finding.location) == ("leak_ssn", "outbound", "body.user.ssn")


def test_response_without_event_has_source_response(guard: Guard) -> None:
    verdict = guard.inspect_response({"key": "AKIAIOSFODNN7EXAMPLE"})
    assert verdict.source == "response" and verdict.blocked


def test_inbound_rules_do_not_fire_on_responses(guard: Guard) -> None:
    assert not guard.inspect_response({"statusCode": 200, "body": "<script>app()</script>"}).blocked


def test_clean_response(guard: Guard) -> None:
    body = {"orders": [{"id": 1545082649183, "total": "19.99", "ts": "2024-01-01T00:00:00Z"}]}
    assert guard.inspect_response({"statusCode": 200, "body": json.dumps(body)}).findings == []


def test_oversize_reports_without_blocking_by_default() -> None:
    guard = Guard(limits=Limits(max_value_chars=1000))
    verdict = guard.inspect_event(events.apigw_http(body="a" * 5000))
    assert not verdict.blocked
    assert [(f.rule_id, f.category, f.action) for f in verdict.findings] == [("limit-001", "oversize", "detected")]


def test_oversize_can_fail_closed() -> None:
    guard = Guard(limits=Limits(max_value_chars=1000), category_overrides={"oversize": "block"})
    assert guard.inspect_event(events.apigw_http(body="a" * 5000)).blocked


def test_attack_within_the_scanned_part_of_oversize_input_is_caught() -> None:
    guard = Guard(limits=Limits(max_value_chars=1000))
    verdict = guard.inspect_event(events.apigw_http(body=XSS + "a" * 5000))
    assert verdict.blocked and {"xss", "oversize"} <= {f.category for f in verdict.findings}


def test_credentials_object_in_response_is_a_leak(guard: Guard) -> None:
    verdict = guard.inspect_response({"Credentials": {"AccessKeyId": "placeholder", "SecretAccessKey": "not-real"}})
    assert verdict.blocked
    assert [(f.rule_id, f.location) for f in verdict.findings] == [
        ("leak-aws-003", "Credentials.SecretAccessKey#pair")]
    assert not guard.inspect_response({"SecretAccessKey": ""}).blocked


def test_a_second_guard_in_the_process_reports_what_a_fresh_one_does() -> None:
    """Guards with the default rules share one engine and its value cache; a value another guard
    (with fewer blocking rules) scanned in full must not bring its extra findings along."""
    event = {"q": "127.0.0.1; cat /etc/passwd"}
    fresh = [f.rule_id for f in Guard(sensitivity=4).inspect_event(event).findings]
    Guard(sensitivity=4, category_overrides={"cmdi": "monitor", "path_traversal": "monitor"}).inspect_event(event)
    assert [f.rule_id for f in Guard(sensitivity=4).inspect_event(event).findings] == fresh
