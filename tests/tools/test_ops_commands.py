"""The ops CLI end to end through ``protect_lambda_tools.cli.main``, on a stack deployed in moto.

moto implements CloudFormation, Lambda, CloudWatch Logs storage, metric filters,
alarms and SNS, but it neither evaluates metric filters nor alarms and it ignores
JSON filter patterns in FilterLogEvents: these tests prove the commands' logic
(discovery, queries, local re-filtering, output, exit codes), not that alerting
works in AWS (that is ``check-filter`` / ``test-alert`` against a real account).
Calls moto lacks (TestMetricFilter, DescribeAlarmHistory) use botocore's Stubber.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

pytest.importorskip("moto")

import boto3
from botocore.stub import ANY, Stubber
from protect_lambda import contract
from protect_lambda_tools.cli import main
from protect_lambda_tools.ops import session as ops_session
from protect_lambda_tools.ops.errors import (
    EXIT_CHECK_FAILED,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
)
from protect_lambda_tools.ops.samples import sample_messages

from .conftest import SEAL, Deployed


def _now_ms() -> int:
    return int(time.time() * 1000)


# --- violations ---------------------------------------------------------------------


def test_violations_lists_only_violation_records_of_protected_groups(
    deployed: Deployed, put_lines: Any, violation_line: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    now = _now_ms()
    put_lines(
        deployed.log_group,
        [
            (now - 3000, "START RequestId: 1 Version: $LATEST"),
            (now - 2000, violation_line(deployed.function, "sqli-001")),
            (now - 1500, json.dumps({"event": contract.GUARD_ERROR_MARKER, "function_name": "orders"})),
            (now - 4 * 3600 * 1000, violation_line(deployed.function, "old-001")),  # outside 1h
        ],
    )
    put_lines(deployed.second_log_group, [(now - 1000, violation_line(deployed.second, "xss-002"))])

    code = main(["violations", "--stack", deployed.stack, "--since", "1h"])

    out, err = capsys.readouterr()
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("TIME (UTC)") and "RULE" in lines[0]
    assert len(lines) == 3  # header + 2 violations, oldest first
    assert "sqli-001" in lines[1] and deployed.function in lines[1]
    assert "xss-002" in lines[2] and deployed.second in lines[2]
    assert "old-001" not in out and "GuardError" not in out and "START" not in out
    assert "2 violation(s) in 2 log group(s)" in err


def test_violations_json_output_for_one_function(
    deployed: Deployed, put_lines: Any, violation_line: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    now = _now_ms()
    put_lines(deployed.log_group, [(now - 1000, violation_line(deployed.function, "sqli-001"))])
    put_lines(deployed.second_log_group, [(now - 1000, violation_line(deployed.second, "xss-002"))])

    code = main(["violations", "--function", deployed.function, "--output", "json"])

    out, _ = capsys.readouterr()
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["record"][contract.FIELD_RULE_ID] for r in rows] == ["sqli-001"]
    assert rows[0]["log_group"] == deployed.log_group
    assert rows[0]["timestamp"].endswith("Z")


def test_violations_table_neutralises_control_characters(
    deployed: Deployed, put_lines: Any, violation_line: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    line = violation_line(deployed.function, excerpt="a\u001b[31mred\nnext")
    put_lines(deployed.log_group, [(_now_ms() - 1000, line)])
    assert main(["violations", "--function", deployed.function]) == 0
    out, _ = capsys.readouterr()
    assert "\u001b" not in out
    assert len(out.splitlines()) == 2
    assert "a?[31mred?next" in out


def test_violations_on_a_function_without_protection(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["violations", "--function", deployed.plain_function])
    _, err = capsys.readouterr()
    assert code == EXIT_NOT_FOUND
    assert "is not protected" in err and contract.ORIGINAL_HANDLER_ENV in err


def test_violations_needs_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["violations"]) == EXIT_USAGE
    assert "--stack NAME is required" in capsys.readouterr().err


def test_bad_duration_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["violations", "--stack", "s", "--since", "soon"])
    assert info.value.code == EXIT_USAGE
    assert "invalid duration" in capsys.readouterr().err


def test_follow_yields_each_event_once_as_it_arrives(
    deployed: Deployed, put_lines: Any, violation_line: Any
) -> None:
    from protect_lambda_tools.ops.violations import follow

    logs = boto3.client("logs")
    now = _now_ms()
    put_lines(deployed.log_group, [(now - 5000, violation_line(deployed.function, "first"))])
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:  # a record arrives between the first and the second poll
            put_lines(deployed.log_group, [(now - 100, violation_line(deployed.function, "second"))])

    pattern = contract.violation_filter_pattern(deployed.function, SEAL)
    stream = follow(logs, [(deployed.log_group, pattern)], now - 60_000, interval=2.0, sleep=sleep, polls=3)
    rules = [e.record[contract.FIELD_RULE_ID] for e in stream]
    assert rules == ["first", "second"]
    assert polls == [2.0, 2.0]


def test_violations_follow_through_the_cli(
    deployed: Deployed, put_lines: Any, violation_line: Any, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from protect_lambda_tools.ops import violations as ops_violations

    real_follow = ops_violations.follow
    calls: list[dict[str, Any]] = []

    def two_polls(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real_follow(*args, **{**kwargs, "polls": 2, "sleep": lambda seconds: None})

    monkeypatch.setattr(ops_violations, "follow", two_polls)
    put_lines(deployed.log_group, [(_now_ms() - 1000, violation_line(deployed.function, "sqli-001"))])
    code = main(["violations", "--function", deployed.function, "--follow", "--interval", "0.5", "-o", "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert calls[0]["interval"] == 0.5
    assert [json.loads(line)["record"]["rule_id"] for line in out.splitlines()] == ["sqli-001"]


# --- status -------------------------------------------------------------------------


def test_status_counts_violations_per_function_and_shows_alarms(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudwatch = boto3.client("cloudwatch")
    now = datetime.now(timezone.utc)
    for value, minutes_ago in ((2.0, 10), (3.0, 50)):
        cloudwatch.put_metric_data(
            Namespace=contract.METRIC_NAMESPACE,
            MetricData=[
                {
                    "MetricName": contract.METRIC_NAME,
                    "Dimensions": [{"Name": contract.METRIC_DIMENSION, "Value": deployed.function}],
                    "Timestamp": now - timedelta(minutes=minutes_ago),
                    "Value": value,
                    "Unit": "Count",
                }
            ],
        )
    # another function's datapoint must not be counted for "orders"
    cloudwatch.put_metric_data(
        Namespace=contract.METRIC_NAMESPACE,
        MetricData=[
            {
                "MetricName": contract.METRIC_NAME,
                "Dimensions": [{"Name": contract.METRIC_DIMENSION, "Value": deployed.second}],
                "Timestamp": now - timedelta(minutes=5),
                "Value": 7.0,
            }
        ],
    )
    cloudwatch.set_alarm_state(AlarmName=deployed.alarm, StateValue="ALARM", StateReason="t")

    assert main(["status", "--stack", deployed.stack, "--since", "24h", "--output", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_name = {f["function_name"]: f for f in report["functions"]}
    assert set(by_name) == {deployed.function, deployed.second}  # the plain function is not listed
    assert by_name[deployed.function]["violations"] == 5.0
    assert by_name[deployed.second]["violations"] == 7.0
    assert by_name[deployed.function]["alarms"] == [
        {"name": deployed.alarm, "state": "ALARM", "actions_enabled": True}
    ]
    assert by_name[deployed.second]["mode"] == contract.MODE_MONITOR
    assert by_name[deployed.function]["metric_filters"] == [f"{deployed.function}-violations"]

    assert main(["status", "--stack", deployed.stack, "--since", "30m"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "VIOLATIONS (30m)" in table[0]
    orders_row = next(row for row in table if row.startswith(deployed.function + " "))
    assert orders_row.split()[2] == "2"  # the 50-minute-old datapoint is outside 30m
    assert f"{deployed.alarm}=ALARM" in orders_row


def test_status_on_unknown_stack(deployed: Deployed, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["status", "--stack", "NoSuchStack"])
    _, err = capsys.readouterr()
    assert code == EXIT_NOT_FOUND
    assert err.count("\n") == 1 and "NoSuchStack" in err and "Traceback" not in err


# --- test-alert ------------------------------------------------------------------------


class _Proxy:
    """A client whose named methods go to a Stubber-backed client, the rest to moto."""

    def __init__(self, real: Any, stubbed: Any, methods: set[str]) -> None:
        self._real, self._stubbed, self._methods = real, stubbed, methods

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stubbed if name in self._methods else self._real, name)


def _use_clients(monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any]) -> None:
    def make_clients(region: str | None = None, profile: str | None = None) -> ops_session.Clients:
        return ops_session.Clients(factory=lambda name: overrides.get(name) or boto3.client(name))  # type: ignore[call-overload]

    monkeypatch.setattr(ops_session, "make_clients", make_clients)


def _history(arn: str, state: str) -> dict[str, Any]:
    return {
        "AlarmName": "x",
        "Timestamp": datetime.now(timezone.utc),
        "HistoryItemType": "Action",
        "HistorySummary": ("Successfully executed action " if state == "Succeeded" else "Failed to execute action ") + arn,
        "HistoryData": json.dumps({"actionState": state, "notificationResource": arn}),
    }


def test_test_alert_sets_alarm_then_resets_and_confirms_actions(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stubbed = boto3.client("cloudwatch")
    stubber = Stubber(stubbed)
    stubber.add_response(
        "describe_alarm_history",
        {"AlarmHistoryItems": [_history(deployed.topic_arn, "Succeeded")]},
        {"AlarmName": deployed.alarm, "HistoryItemType": "Action", "StartDate": ANY, "ScanBy": "TimestampDescending"},
    )
    real = boto3.client("cloudwatch")
    states: list[tuple[str, str]] = []
    original = real.set_alarm_state

    def recording_set_alarm_state(**kwargs: Any) -> Any:
        states.append((kwargs["AlarmName"], kwargs["StateValue"]))
        return original(**kwargs)

    proxy = _Proxy(real, stubbed, {"describe_alarm_history"})
    proxy.__dict__["set_alarm_state"] = recording_set_alarm_state
    _use_clients(monkeypatch, {"cloudwatch": proxy})

    with stubber:
        code = main(["test-alert", "--stack", deployed.stack, "--function", deployed.function, "--wait", "5"])
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert states == [(deployed.alarm, "ALARM"), (deployed.alarm, "OK")]
    assert boto3.client("cloudwatch").describe_alarms(AlarmNames=[deployed.alarm])["MetricAlarms"][0][
        "StateValue"
    ] == "OK"
    assert f"action {deployed.topic_arn}: Succeeded" in out
    assert "subscriber sqs: arn:aws:sqs" in out
    assert "OK: CloudWatch executed every action of 1 alarm(s)" in out
    stubber.assert_no_pending_responses()


def test_test_alert_reports_failed_action_and_still_resets(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stubbed = boto3.client("cloudwatch")
    stubber = Stubber(stubbed)
    stubber.add_response(
        "describe_alarm_history", {"AlarmHistoryItems": [_history(deployed.topic_arn, "Failed")]}
    )
    _use_clients(monkeypatch, {"cloudwatch": _Proxy(boto3.client("cloudwatch"), stubbed, {"describe_alarm_history"})})
    with stubber:
        code = main(["test-alert", "--stack", deployed.stack, "--function", deployed.function, "--wait", "5"])
    out, _ = capsys.readouterr()
    assert code == EXIT_CHECK_FAILED
    assert f"action {deployed.topic_arn}: Failed" in out and f"NOT CONFIRMED: {deployed.alarm}" in out
    assert "state set back to OK" in out
    state = boto3.client("cloudwatch").describe_alarms(AlarmNames=[deployed.alarm])["MetricAlarms"][0]
    assert state["StateValue"] == "OK"


def test_test_alert_resets_even_when_history_fails(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stubbed = boto3.client("cloudwatch")
    stubber = Stubber(stubbed)
    stubber.add_client_error("describe_alarm_history", "AccessDenied", "not allowed", 403)
    _use_clients(monkeypatch, {"cloudwatch": _Proxy(boto3.client("cloudwatch"), stubbed, {"describe_alarm_history"})})
    with stubber:
        code = main(["test-alert", "--stack", deployed.stack, "--function", deployed.function])
    out, err = capsys.readouterr()
    assert code == 5
    assert "state set back to OK" in out
    assert "access denied to DescribeAlarmHistory" in err
    state = boto3.client("cloudwatch").describe_alarms(AlarmNames=[deployed.alarm])["MetricAlarms"][0]
    assert state["StateValue"] == "OK"


def test_test_alert_without_waiting_and_without_reset(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["test-alert", "--stack", deployed.stack, "--wait", "0", "--no-reset"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "2 alarm(s) set to ALARM" in out
    alarms = boto3.client("cloudwatch").describe_alarms(AlarmNames=[deployed.alarm, deployed.second_alarm])
    assert {a["StateValue"] for a in alarms["MetricAlarms"]} == {"ALARM"}


def test_test_alert_warns_about_pending_subscriptions_and_disabled_actions(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudwatch = boto3.client("cloudwatch")
    cloudwatch.disable_alarm_actions(AlarmNames=[deployed.alarm])
    code = main(["test-alert", "--stack", deployed.stack, "--function", deployed.function, "--wait", "1"])
    out, _ = capsys.readouterr()
    assert code == EXIT_CHECK_FAILED
    assert "WARNING: actions are disabled on this alarm" in out


def test_test_alert_on_an_alarm_already_firing_passes_through_ok_and_leaves_it_firing(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = boto3.client("cloudwatch")
    real.set_alarm_state(AlarmName=deployed.alarm, StateValue="ALARM", StateReason="real violations")
    stubbed = boto3.client("cloudwatch")
    stubber = Stubber(stubbed)
    stubber.add_response(
        "describe_alarm_history", {"AlarmHistoryItems": [_history(deployed.topic_arn, "Succeeded")]}
    )
    states: list[str] = []
    original = real.set_alarm_state

    def recording_set_alarm_state(**kwargs: Any) -> Any:
        states.append(kwargs["StateValue"])
        return original(**kwargs)

    proxy = _Proxy(real, stubbed, {"describe_alarm_history"})
    proxy.__dict__["set_alarm_state"] = recording_set_alarm_state
    _use_clients(monkeypatch, {"cloudwatch": proxy})
    with stubber:
        code = main(["test-alert", "--stack", deployed.stack, "--function", deployed.function, "--wait", "5"])
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert states == ["OK", "ALARM"]
    assert "left in ALARM" in out
    state = real.describe_alarms(AlarmNames=[deployed.alarm])["MetricAlarms"][0]["StateValue"]
    assert state == "ALARM"


def test_test_alert_needs_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test-alert", "--function", "orders"]) == EXIT_USAGE


# --- check-filter -----------------------------------------------------------------------


def _stub_test_metric_filter(stubber: Stubber, pattern: str, function: str, matched: list[str]) -> None:
    messages = [s.message for s in sample_messages(function, SEAL)]
    stubber.add_response(
        "test_metric_filter",
        {
            "matches": [
                {"eventNumber": messages.index(m) + 1, "eventMessage": m, "extractedValues": {}}
                for m in matched
            ]
        },
        {"filterPattern": pattern, "logEventMessages": messages},
    )


def test_check_filter_passes_when_aws_matches_exactly_the_violations(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stubbed = boto3.client("logs")
    stubber = Stubber(stubbed)
    for function in (deployed.function, deployed.second):
        positives = [s.message for s in sample_messages(function, SEAL) if s.should_match]
        _stub_test_metric_filter(stubber, contract.violation_filter_pattern(function, SEAL), function, positives)
    _use_clients(monkeypatch, {"logs": _Proxy(boto3.client("logs"), stubbed, {"test_metric_filter"})})
    with stubber:
        code = main(["check-filter", "--stack", deployed.stack])
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert "OK: 2 filter(s) match every Violation record and nothing else" in out
    assert "FAIL" not in out and "disagrees" not in out  # the local evaluator agrees with "AWS"
    stubber.assert_no_pending_responses()


def test_check_filter_fails_when_a_violation_is_not_matched(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stubbed = boto3.client("logs")
    stubber = Stubber(stubbed)
    positives = [s.message for s in sample_messages(deployed.function, SEAL) if s.should_match]
    _stub_test_metric_filter(stubber, contract.violation_filter_pattern(deployed.function, SEAL), deployed.function,
                             positives[1:])
    _use_clients(monkeypatch, {"logs": _Proxy(boto3.client("logs"), stubbed, {"test_metric_filter"})})
    with stubber:
        code = main(["check-filter", "--stack", deployed.stack, "--function", deployed.function])
    out, _ = capsys.readouterr()
    assert code == EXIT_CHECK_FAILED
    fail_lines = [line for line in out.splitlines() if "FAIL AWS: no match" in line]
    assert len(fail_lines) == 1 and "(local evaluator disagrees)" in fail_lines[0]


def test_check_filter_fails_on_a_too_broad_pattern_and_wrong_wiring(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broad = "Violation"
    boto3.client("logs").delete_metric_filter(
        logGroupName=deployed.log_group, filterName=f"{deployed.function}-violations"
    )
    boto3.client("logs").put_metric_filter(
        logGroupName=deployed.log_group,
        filterName=f"{deployed.function}-violations",
        filterPattern=broad,
        metricTransformations=[
            {"metricNamespace": contract.METRIC_NAMESPACE, "metricName": contract.METRIC_NAME, "metricValue": "1"}
        ],
    )
    stubbed = boto3.client("logs")
    stubber = Stubber(stubbed)
    everything_with_the_word = [s.message for s in sample_messages(deployed.function, SEAL) if "Violation" in s.message]
    _stub_test_metric_filter(stubber, broad, deployed.function, everything_with_the_word)
    _use_clients(monkeypatch, {"logs": _Proxy(boto3.client("logs"), stubbed, {"test_metric_filter"})})
    with stubber:
        code = main(["check-filter", "--stack", deployed.stack, "--function", deployed.function])
    out, err = capsys.readouterr()
    assert code == EXIT_CHECK_FAILED, err
    assert "FAIL AWS: match    expected: no match" in out  # the application line with the word
    assert "FAIL dimensions are {}" in out


def test_check_filter_reports_a_function_without_filter(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("logs").delete_metric_filter(
        logGroupName=deployed.log_group, filterName=f"{deployed.function}-violations"
    )
    code = main(["check-filter", "--stack", deployed.stack, "--function", deployed.function])
    out, _ = capsys.readouterr()
    assert code == EXIT_CHECK_FAILED
    assert f"no metric filter on {deployed.log_group} publishes to namespace" in out
