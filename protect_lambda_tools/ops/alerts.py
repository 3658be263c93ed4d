"""Drive the violations alarms to ALARM and back, to prove notifications go out (``protect-lambda test-alert``).

For each alarm: show its actions and, for SNS topics, the subscriptions (a
subscription still ``PendingConfirmation`` receives nothing); set the state to
``ALARM`` with SetAlarmState; wait for the alarm history to record the outcome
of each action (``Succeeded`` / ``Failed``: CloudWatch's own word that it
published to the topic); then set the state back to ``OK`` (always, even on
error or Ctrl-C), except for an alarm that was already in ``ALARM`` before
the test: actions run on state changes only, so such an alarm is first set to
``OK`` and is left in ``ALARM`` afterwards (a real alert is on). Delivery from SNS to each subscriber is SNS's job: the
command says which endpoints should have received the message.

Example:
    >>> action_outcome({"HistoryData": '{"actionState": "Succeeded"}', "HistorySummary": "x"})
    'Succeeded'
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TextIO

from protect_lambda_tools.ops.discovery import AlarmInfo, ProtectedFunction

if TYPE_CHECKING:  # pragma: no cover
    from protect_lambda_tools.ops.session import Clients

REASON = "protect-lambda test-alert: testing the notification path"
RESET_REASON = "protect-lambda test-alert: test over, state reset"
PREPARE_REASON = "protect-lambda test-alert: was in ALARM, passing through OK to trigger the actions"
#: Clock skew allowed between this machine and CloudWatch when reading the alarm history.
SKEW = timedelta(seconds=30)


@dataclass
class AlarmTest:
    """The outcome of testing one alarm."""

    alarm: AlarmInfo
    function: str
    outcomes: dict[str, str] = field(default_factory=dict)  # action arn -> Succeeded/Failed
    warnings: list[str] = field(default_factory=list)
    reset: bool = False

    @property
    def confirmed(self) -> bool:
        """Every alarm action was executed successfully."""
        return bool(self.alarm.alarm_actions) and all(
            self.outcomes.get(arn) == "Succeeded" for arn in self.alarm.alarm_actions
        )


def action_outcome(item: Mapping[str, Any]) -> str | None:
    """``Succeeded`` / ``Failed`` from an alarm history item of type Action, else None."""
    try:
        data = json.loads(item.get("HistoryData") or "{}")
    except ValueError:
        data = {}
    state = data.get("actionState") if isinstance(data, dict) else None
    if state in ("Succeeded", "Failed"):
        return str(state)
    summary = str(item.get("HistorySummary", ""))
    if summary.startswith("Successfully executed action"):
        return "Succeeded"
    if summary.startswith("Failed to execute action"):
        return "Failed"
    return None


def _action_arn(item: Mapping[str, Any], actions: Sequence[str]) -> str | None:
    try:
        data = json.loads(item.get("HistoryData") or "{}")
    except ValueError:
        data = {}
    resource = data.get("notificationResource") if isinstance(data, dict) else None
    if isinstance(resource, str) and resource in actions:
        return resource
    summary = str(item.get("HistorySummary", ""))
    for arn in actions:
        if arn in summary:
            return arn
    return None


def describe_subscriptions(clients: Clients, topic_arn: str) -> list[str]:
    """Lines describing the subscriptions of an SNS topic (protocol, endpoint, pending or not)."""
    lines: list[str] = []
    paginator = clients.sns.get_paginator("list_subscriptions_by_topic")
    for page in paginator.paginate(TopicArn=topic_arn):
        for sub in page.get("Subscriptions", []):
            pending = sub.get("SubscriptionArn") == "PendingConfirmation"
            lines.append(
                f"{sub.get('Protocol', '?')}: {sub.get('Endpoint', '?')}"
                + (" (PENDING CONFIRMATION: receives nothing until confirmed)" if pending else "")
            )
    return lines


def poll_outcomes(
    clients: Clients,
    test: AlarmTest,
    since: datetime,
    *,
    wait: float,
    interval: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> None:
    """Read the alarm history until every action has an outcome or ``wait`` seconds pass."""
    deadline = clock() + wait
    while True:
        response = clients.cloudwatch.describe_alarm_history(
            AlarmName=test.alarm.name,
            HistoryItemType="Action",
            StartDate=since - SKEW,
            ScanBy="TimestampDescending",
        )
        for item in response.get("AlarmHistoryItems", []):
            timestamp = item.get("Timestamp")
            if isinstance(timestamp, datetime) and timestamp < since - SKEW:
                continue
            outcome = action_outcome(item)
            arn = _action_arn(item, test.alarm.alarm_actions)
            if outcome and arn and arn not in test.outcomes:
                test.outcomes[arn] = outcome
        if all(arn in test.outcomes for arn in test.alarm.alarm_actions) or clock() >= deadline:
            return
        sleep(interval)


def run_test(
    clients: Clients,
    functions: Sequence[ProtectedFunction],
    out: TextIO,
    *,
    wait: float = 60.0,
    interval: float = 5.0,
    reset: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> list[AlarmTest]:
    """Test every alarm of ``functions``; print progress to ``out``; return the outcomes."""
    tests: list[AlarmTest] = []
    for function in functions:
        for alarm in function.alarms:
            test = AlarmTest(alarm, function.name)
            tests.append(test)
            out.write(f"alarm {alarm.name} (function {function.name}, state {alarm.state})\n")
            if not alarm.actions_enabled:
                test.warnings.append("actions are disabled on this alarm: nobody will be notified")
            if not alarm.alarm_actions:
                test.warnings.append("the alarm has no ALARM action: nobody will be notified")
            for arn in alarm.alarm_actions:
                out.write(f"  action {arn}\n")
                if arn.startswith("arn:aws:sns:") or ":sns:" in arn:
                    subscribers = describe_subscriptions(clients, arn)
                    if not subscribers:
                        test.warnings.append(f"topic {arn} has no subscription")
                    out.writelines(f"    subscriber {line}\n" for line in subscribers)
            out.writelines(f"  WARNING: {warning}\n" for warning in test.warnings)
            already_alarming = alarm.state == "ALARM"
            if already_alarming:
                # actions run on a state change only: go through OK first
                clients.cloudwatch.set_alarm_state(
                    AlarmName=alarm.name, StateValue="OK", StateReason=PREPARE_REASON
                )
                out.write("  was already in ALARM: state set to OK first (actions run on a change)\n")
            since = datetime.fromtimestamp(clock(), tz=timezone.utc)
            try:
                clients.cloudwatch.set_alarm_state(
                    AlarmName=alarm.name, StateValue="ALARM", StateReason=REASON
                )
                out.write("  state set to ALARM\n")
                if wait > 0 and alarm.alarm_actions and alarm.actions_enabled:
                    poll_outcomes(
                        clients, test, since, wait=wait, interval=interval, sleep=sleep, clock=clock
                    )
                    for arn in alarm.alarm_actions:
                        outcome = test.outcomes.get(arn, f"no outcome recorded within {wait:g}s")
                        out.write(f"  action {arn}: {outcome}\n")
            finally:
                if reset and already_alarming:
                    out.write("  left in ALARM, as it was before the test (a real alert is on)\n")
                elif reset:
                    clients.cloudwatch.set_alarm_state(
                        AlarmName=alarm.name, StateValue="OK", StateReason=RESET_REASON
                    )
                    test.reset = True
                    out.write("  state set back to OK\n")
    return tests
