"""Unit tests of the ops helpers: durations, discovery details, samples, status periods, alarm history."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")

from botocore.stub import Stubber
from protect_lambda import contract
from protect_lambda_tools.filter_pattern import FilterPattern
from protect_lambda_tools.ops import discovery, samples, session, status, violations
from protect_lambda_tools.ops.alerts import action_outcome
from protect_lambda_tools.ops.window import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), ("1w", 604800), (" 2H ", 7200)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "-1h", "0m", "1h 30m", "1.5h", "30m1"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_period_for_windows() -> None:
    assert status.period_for(timedelta(minutes=5)) == 60
    assert status.period_for(timedelta(days=1)) == 60
    assert status.period_for(timedelta(days=1, seconds=1)) == 300
    assert status.period_for(timedelta(days=15)) == 300
    assert status.period_for(timedelta(days=16)) == 3600


def test_protection_and_log_group_from_configuration() -> None:
    env = {"Environment": {"Variables": {contract.ORIGINAL_HANDLER_ENV: "app.h", contract.MODE_ENV: "monitor"}}}
    assert discovery.protection_mode(env) == "monitor"
    assert discovery.protection_mode({}) is None
    assert discovery.protection_mode({"Environment": {}}) is None
    assert discovery.function_log_group({"FunctionName": "f", "LoggingConfig": {"LogFormat": "JSON"}}) == "/aws/lambda/f"
    assert discovery.function_log_group({"FunctionName": "f", "LoggingConfig": {"LogGroup": "/x"}}) == "/x"


def _clients(**by_name: Any) -> session.Clients:
    return session.Clients(factory=lambda name: by_name[name])


def test_discovery_follows_nested_stacks_and_logging_config(aws_env: None) -> None:
    cfn = boto3.client("cloudformation")
    lam = boto3.client("lambda")
    logs = boto3.client("logs")
    cloudwatch = boto3.client("cloudwatch")
    nested_arn = "arn:aws:cloudformation:us-east-1:123456789012:stack/Child/abc"
    with Stubber(cfn) as cfn_stub, Stubber(lam) as lam_stub, Stubber(logs) as logs_stub, Stubber(cloudwatch) as cw_stub:
        cfn_stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    _resource("Child", discovery.NESTED_STACK_TYPE, nested_arn),
                    _resource("Pending", discovery.LAMBDA_FUNCTION_TYPE, ""),
                ]
            },
            {"StackName": "Parent"},
        )
        cfn_stub.add_response(
            "list_stack_resources",
            {"StackResourceSummaries": [_resource("Fn", discovery.LAMBDA_FUNCTION_TYPE, "inner-fn")]},
            {"StackName": nested_arn},
        )
        lam_stub.add_response(
            "get_function_configuration",
            {
                "FunctionName": "inner-fn",
                "Environment": {"Variables": {contract.ORIGINAL_HANDLER_ENV: "app.h", contract.SEAL_ENV: "5ea1"}},
                "LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/custom/inner"},
            },
            {"FunctionName": "inner-fn"},
        )
        logs_stub.add_response(
            "describe_metric_filters",
            {
                "metricFilters": [
                    {
                        "filterName": "v",
                        "filterPattern": contract.violation_filter_pattern("inner-fn", "5ea1"),
                        "logGroupName": "/custom/inner",
                        "metricTransformations": [
                            {"metricNamespace": contract.METRIC_NAMESPACE, "metricName": contract.METRIC_NAME,
                             "metricValue": "1", "dimensions": {"FunctionName": "$.function_name"}},
                        ],
                    },
                    {
                        "filterName": "other",
                        "filterPattern": "ERROR",
                        "logGroupName": "/custom/inner",
                        "metricTransformations": [{"metricNamespace": "App", "metricName": "E", "metricValue": "1"}],
                    },
                ]
            },
            {"logGroupName": "/custom/inner"},
        )
        cw_stub.add_response(
            "describe_alarms_for_metric",
            {
                "MetricAlarms": [
                    {"AlarmName": "mine", "StateValue": "OK", "Namespace": contract.METRIC_NAMESPACE,
                     "MetricName": contract.METRIC_NAME, "ActionsEnabled": True, "AlarmActions": ["arn:aws:sns:x"],
                     "Dimensions": [{"Name": contract.METRIC_DIMENSION, "Value": "inner-fn"}]},
                    {"AlarmName": "someone-else", "StateValue": "ALARM", "Namespace": contract.METRIC_NAMESPACE,
                     "MetricName": contract.METRIC_NAME,
                     "Dimensions": [{"Name": contract.METRIC_DIMENSION, "Value": "other-fn"}]},
                ]
            },
            {
                "Namespace": contract.METRIC_NAMESPACE,
                "MetricName": contract.METRIC_NAME,
                "Dimensions": [{"Name": contract.METRIC_DIMENSION, "Value": "inner-fn"}],
            },
        )
        found = discovery.discover(_clients(cloudformation=cfn, **{"lambda": lam}, logs=logs, cloudwatch=cloudwatch), stack="Parent")
    assert [f.name for f in found] == ["inner-fn"]
    assert found[0].log_group == "/custom/inner"
    assert [m.name for m in found[0].metric_filters] == ["v"]
    assert [a.name for a in found[0].alarms] == ["mine"]
    assert found[0].seal == "5ea1"
    assert found[0].violation_pattern == contract.violation_filter_pattern("inner-fn", "5ea1")


def _resource(logical: str, kind: str, physical: str) -> dict[str, Any]:
    from datetime import datetime, timezone

    return {
        "LogicalResourceId": logical,
        "PhysicalResourceId": physical,
        "ResourceType": kind,
        "LastUpdatedTimestamp": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "ResourceStatus": "CREATE_COMPLETE",
    }


def test_samples_are_guard_records_and_split_by_the_contract_pattern() -> None:
    pattern = FilterPattern.parse(contract.violation_filter_pattern("orders", "5ea1"))
    lines = samples.sample_messages("orders", "5ea1")
    positives = [s for s in lines if s.should_match]
    negatives = [s for s in lines if not s.should_match]
    assert len(positives) == 6 and len(negatives) == 7
    assert len({s.message for s in lines}) == len(lines)  # unique: results are mapped by message
    for sample in positives:
        record = json.loads(sample.message)
        assert tuple(record) == contract.VIOLATION_FIELDS
        assert record[contract.FIELD_FUNCTION_NAME] == "orders"  # the metric dimension
        assert record[contract.FIELD_SEAL] == "5ea1"
        assert pattern.matches(sample.message)
    assert {json.loads(s.message)[contract.FIELD_MODE] for s in positives} == set(contract.MODES)
    for sample in negatives:
        assert not pattern.matches(sample.message), sample.label
    forged = [s.label for s in negatives if s.label.startswith(("forged", "record of another"))]
    assert len(forged) == 3
    # a pattern without the seal (an old or a hand-made filter) would count the forgeries: check-filter fails it
    loose = FilterPattern.parse(contract.VIOLATION_EVENT_PATTERN)
    assert all(loose.matches(s.message) for s in negatives if s.label in forged)


def test_samples_come_from_the_guard_when_it_finds_the_attacks() -> None:
    pytest.importorskip("protect_lambda.guard")
    from protect_lambda.guard import Guard

    if not Guard().inspect_event({"queryStringParameters": {"q": "<script>alert(1)</script>"}}).findings:
        pytest.skip("no guard rules installed")
    origins = {s.label: s.origin for s in samples.sample_messages("orders")}
    assert origins["Violation, inbound XSS, block mode"] == "guard"
    xss = next(s for s in samples.sample_messages("orders") if s.label == "Violation, inbound XSS, block mode")
    assert json.loads(xss.message)[contract.FIELD_CATEGORY] == "xss"


def test_samples_fall_back_to_contract_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(samples, "_guard_record", lambda *args: None)
    lines = samples.sample_messages("fn", "5ea1")
    positives = [s for s in lines if s.should_match]
    assert {s.origin for s in positives} == {"contract"}
    for sample in positives:
        assert tuple(json.loads(sample.message)) == contract.VIOLATION_FIELDS
        assert FilterPattern.parse(contract.violation_filter_pattern("fn", "5ea1")).matches(sample.message)


def test_parse_violation_keeps_only_violations() -> None:
    assert violations.parse_violation('{"event":"Violation","x":1}') == {"event": "Violation", "x": 1}
    assert violations.parse_violation('{"event":"GuardError"}') is None
    assert violations.parse_violation("Violation") is None


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"HistoryData": '{"actionState":"Failed"}'}, "Failed"),
        ({"HistoryData": "not json", "HistorySummary": "Successfully executed action arn:aws:sns:x"}, "Succeeded"),
        ({"HistorySummary": "Failed to execute action arn:aws:sns:x"}, "Failed"),
        ({"HistorySummary": "Alarm updated from OK to ALARM"}, None),
    ],
)
def test_action_outcome(item: dict[str, Any], expected: str | None) -> None:
    assert action_outcome(item) == expected


def test_make_clients_uses_region_profile_and_retries(
    aws_env: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile ops]\nregion = ap-southeast-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert session.make_clients().logs.meta.region_name == "us-east-1"  # AWS_DEFAULT_REGION
    assert session.make_clients(region="eu-west-2").cloudwatch.meta.region_name == "eu-west-2"
    retries = session.make_clients().logs.meta.config.retries  # type: ignore[attr-defined]
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # the environment wins over the profile's region
    assert session.make_clients(profile="ops").cloudformation.meta.region_name == "ap-southeast-2"
    assert retries == {"mode": "standard", "total_max_attempts": session.MAX_ATTEMPTS}


def test_a_deployed_log_level_that_drops_the_records_is_a_wiring_problem() -> None:
    from protect_lambda_tools.ops.discovery import AlarmInfo, MetricFilterInfo, ProtectedFunction
    from protect_lambda_tools.ops.filter_check import wiring_problems

    metric_filter = MetricFilterInfo("f", contract.violation_filter_pattern("fn", "s"), contract.METRIC_NAMESPACE,
                                     contract.METRIC_NAME, "1", {"FunctionName": "$.function_name"})
    alarm = AlarmInfo("a", "OK", True, (), ())

    def function(log_format: str, level: str) -> ProtectedFunction:
        return ProtectedFunction("fn", "/aws/lambda/fn", "block", (metric_filter,), (alarm,), seal="s",
                                 log_format=log_format, application_log_level=level)

    assert wiring_problems(function("JSON", "WARN"), metric_filter) == []
    assert wiring_problems(function("Text", "ERROR"), metric_filter) == []
    [problem] = wiring_problems(function("JSON", "ERROR"), metric_filter)
    assert "application log level ERROR drops the guard's WARN records" in problem
