"""Typed options of a protection: the guard, the alarm, the alerts and the dashboard.

Each group is a frozen dataclass with keyword-only fields and stated defaults,
validated when it is created so that a bad value fails ``cdk synth`` with a
message naming the prop and the fix.

Example:
    >>> from aws_cdk import Duration
    >>> AlarmOptions(threshold=2, period=Duration.minutes(10)).threshold
    2
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_logs as logs

if TYPE_CHECKING:  # only in annotations: importing these bindings costs synth time
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sns as sns
    from aws_cdk import aws_sqs as sqs

from protect_lambda import contract


class ProtectionError(ValueError):
    """A prop of a protection is invalid; the message names the prop and the fix."""


class GuardMode(str, enum.Enum):
    """What the guard does on a hit."""

    #: Block the request (HTTP 403, batch item failure, or an error) and record a Violation.
    BLOCK = contract.MODE_BLOCK
    #: Only record the Violation; the invocation proceeds unchanged.
    MONITOR = contract.MODE_MONITOR


class FailPolicy(str, enum.Enum):
    """What the guard does when it fails itself (a bug, a malformed event)."""

    #: Record a GuardError and let the invocation proceed (the default).
    OPEN = contract.FAIL_OPEN
    #: Record a GuardError and block the invocation.
    CLOSED = contract.FAIL_CLOSED


class AuthorizerResponse(str, enum.Enum):
    """How a protected HTTP API Lambda authorizer (payload format 2.0) refuses a request."""

    #: Both forms in one answer (each read by the authorizer format it belongs to); the
    #: ``ProtectLambdas`` Aspect picks the exact one when it sees the authorizer in the app.
    AUTO = contract.AUTHORIZER_AUTO
    #: ``{"isAuthorized": false}``: the authorizer has simple responses enabled.
    SIMPLE = contract.AUTHORIZER_SIMPLE
    #: An IAM policy denying ``execute-api:Invoke``: simple responses are off.
    IAM = contract.AUTHORIZER_IAM


class RuleAction(str, enum.Enum):
    """Override of the action for one rule or one category."""

    BLOCK = "block"
    MONITOR = "monitor"
    OFF = "off"


def _require(condition: bool, prop: str, message: str) -> None:
    if not condition:
        raise ProtectionError(f"{prop}: {message}")


@dataclass(frozen=True, kw_only=True)
class Exclusion:
    """A rule (``rule_id``) or a whole category (``category``) turned off, or to monitor, at one
    location of the events: a JSON path in the body, a query parameter, a header, a path
    segment, a field of a batch record. ``[*]`` stands for any index, ``*`` for any one key; the
    location covers everything under it. A Violation record's ``location`` becomes an exclusion
    by replacing its indices with ``[*]``.

    :param location: e.g. ``"body.commits[*].message"``, ``"queryStringParameters.q"``,
        ``"headers.user-agent"``, ``"rawPath[2]"``, ``"Records[*].body.note"``, ``"detail.comment"``.
    :param rule_id: the rule to exclude (give this or ``category``).
    :param category: the category to exclude (``sqli``, ``xss``, ``cmdi``...).
    :param action: ``RuleAction.OFF`` (default) or ``RuleAction.MONITOR`` (reported, not blocking).

    Example:
        >>> Exclusion(category="sqli", location="body.commits[*].message").action.value
        'off'
    """

    location: str
    rule_id: str | None = None
    category: str | None = None
    action: RuleAction = RuleAction.OFF

    def __post_init__(self) -> None:
        _require((self.rule_id is None) != (self.category is None), "guard.exclusions",
                 "give exactly one of rule_id='sqli-101' or category='sqli' "
                 + ("(both were given)" if self.rule_id is not None else "(neither was given)"))
        _require(isinstance(self.location, str) and bool(self.location.strip()), "guard.exclusions",
                 f"location: expected a location such as 'body.commits[*].message', got {self.location!r}")
        _require(self.action in (RuleAction.OFF, RuleAction.MONITOR), "guard.exclusions",
                 f"action: expected RuleAction.OFF or RuleAction.MONITOR, got {self.action!r}")

    def to_document(self) -> dict[str, str]:
        """The exclusion as the guard's configuration holds it."""
        named = {"rule": self.rule_id} if self.rule_id is not None else {"category": self.category or ""}
        return {**named, "location": self.location, "action": self.action.value}


@dataclass(frozen=True, kw_only=True)
class GuardOptions:
    """How the runtime guard behaves in the protected function.

    :param mode: block or only report hits. Default: ``GuardMode.BLOCK``.
    :param fail_policy: behaviour when the guard itself fails. Default: ``FailPolicy.OPEN``.
    :param rule_overrides: action per rule id, e.g. ``{"sqli-003": RuleAction.MONITOR}``. Default: none.
    :param category_overrides: action per category, e.g. ``{"leak_stacktrace": RuleAction.OFF}``.
        Default: none.
    :param custom_rules: extra rules as dicts with ``id``, ``category``, ``direction``,
        ``severity``, ``description`` and ``pattern``; validated at synth. Default: none.
    :param inspect_custom_resources: inspect CloudFormation custom-resource requests (``RequestType``
        and ``ResponseURL``) too; a blocked one is answered FAILED, a Delete is never blocked.
        Default: ``False`` (handed to the handler uninspected: they come from your template).
    :param authorizer_response: how an HTTP API (payload 2.0) Lambda authorizer refuses.
        Default: ``AuthorizerResponse.AUTO``.
    :param sensitivity: 1-4, in the spirit of the Core Rule Set's paranoia levels: level N turns
        on the rules of levels up to N; higher levels catch more and block more benign traffic
        (docs/detection.md has the figures per level). Default: 1.
    :param exclusions: rules or categories turned off (or to monitor) at one location, e.g.
        ``[Exclusion(category="sqli", location="body.commits[*].message")]``. Default: none.

    Example:
        >>> GuardOptions(mode=GuardMode.MONITOR).mode.value
        'monitor'
    """

    mode: GuardMode = GuardMode.BLOCK
    fail_policy: FailPolicy = FailPolicy.OPEN
    rule_overrides: Mapping[str, RuleAction] = field(default_factory=dict)
    category_overrides: Mapping[str, RuleAction] = field(default_factory=dict)
    custom_rules: Sequence[Mapping[str, Any]] = ()
    inspect_custom_resources: bool = False
    authorizer_response: AuthorizerResponse = AuthorizerResponse.AUTO
    sensitivity: int = contract.DEFAULT_SENSITIVITY
    exclusions: Sequence[Exclusion] = ()

    def __post_init__(self) -> None:
        _require(isinstance(self.sensitivity, int) and not isinstance(self.sensitivity, bool)
                 and self.sensitivity in contract.SENSITIVITY_LEVELS, "guard.sensitivity",
                 f"expected 1, 2, 3 or 4 (1 blocks the least benign traffic), got {self.sensitivity!r}")
        _require(not isinstance(self.exclusions, (str, Exclusion)), "guard.exclusions",
                 "expected a list of Exclusion(...); wrap it in [...]")
        for index, exclusion in enumerate(self.exclusions):
            _require(isinstance(exclusion, Exclusion), f"guard.exclusions[{index}]",
                     f"expected Exclusion(location=..., rule_id=... or category=...), got {exclusion!r}")
        _require(isinstance(self.inspect_custom_resources, bool), "guard.inspect_custom_resources",
                 f"expected True or False, got {self.inspect_custom_resources!r}")
        _require(isinstance(self.authorizer_response, AuthorizerResponse), "guard.authorizer_response",
                 f"expected an AuthorizerResponse (AUTO, SIMPLE or IAM), got {self.authorizer_response!r}")
        _require(isinstance(self.mode, GuardMode), "guard.mode",
                 f"expected a GuardMode (BLOCK or MONITOR), got {self.mode!r}")
        _require(isinstance(self.fail_policy, FailPolicy), "guard.fail_policy",
                 f"expected a FailPolicy (OPEN or CLOSED), got {self.fail_policy!r}")
        for name, overrides in (("guard.rule_overrides", self.rule_overrides),
                                ("guard.category_overrides", self.category_overrides)):
            for key, action in overrides.items():
                _require(isinstance(action, RuleAction), f"{name}[{key!r}]",
                         f"expected a RuleAction (BLOCK, MONITOR or OFF), got {action!r}")


@dataclass(frozen=True, kw_only=True)
class AlarmOptions:
    """The alarm on the function's violations metric.

    The alarm fires when the Sum of violations over ``period`` reaches ``threshold``
    in ``evaluation_periods`` consecutive periods; missing data is not breaching.

    :param enabled: create the alarm. Default: ``True``.
    :param threshold: violations per period that trigger the alarm (at least 1). Default: 1.
    :param period: a whole number of minutes (at least 1). Default: 5 minutes.
    :param evaluation_periods: consecutive breaching periods (at least 1). Default: 1.
    :param notify_ok: also notify the alert topic when the alarm returns to OK. Default: ``True``.

    Example:
        >>> AlarmOptions(threshold=5).threshold
        5
    """

    enabled: bool = True
    threshold: int = 1
    period: Duration = field(default_factory=lambda: Duration.minutes(5))
    evaluation_periods: int = 1
    notify_ok: bool = True

    def __post_init__(self) -> None:
        _require(isinstance(self.threshold, int) and not isinstance(self.threshold, bool)
                 and self.threshold >= 1, "alarm.threshold",
                 f"must be a whole number of at least 1 (one violation), got {self.threshold!r}")
        _require(isinstance(self.evaluation_periods, int) and self.evaluation_periods >= 1,
                 "alarm.evaluation_periods",
                 f"must be a whole number of at least 1, got {self.evaluation_periods!r}")
        _require(isinstance(self.period, Duration), "alarm.period",
                 f"expected an aws_cdk.Duration such as Duration.minutes(5), got {self.period!r}")
        seconds = self.period.to_seconds()
        _require(seconds >= 60 and seconds % 60 == 0, "alarm.period",
                 f"must be a whole number of minutes (at least 1), got {seconds:g} seconds; "
                 "use Duration.minutes(n)")

    @property
    def period_minutes(self) -> int:
        """The period in whole minutes."""
        return int(self.period.to_seconds() // 60)


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def _check_each(prop: str, values: Sequence[str], pattern: re.Pattern[str], fix: str) -> None:
    for index, value in enumerate(values):
        if isinstance(value, str) and Token.is_unresolved(value):
            continue  # a token (parameter, import) is only known at deploy time
        _require(isinstance(value, str) and bool(pattern.match(value)),
                 f"{prop}[{index}]", f"{value!r} is not valid: {fix}")


@dataclass(frozen=True, kw_only=True)
class AlertOptions:
    """Where alarm notifications go: an SNS topic and its subscriptions.

    All protected functions of a stack share one topic unless ``topic`` is given;
    subscriptions to the same endpoint are created once per topic.

    :param topic: an existing topic to notify. Default: one topic per stack, TLS enforced.
    :param emails: email addresses (confirmation required by the recipient). Default: none.
    :param sms: phone numbers in E.164 format, e.g. ``+15555550100``. Default: none.
    :param queues: SQS queues subscribed with raw message delivery off. Default: none.
    :param functions: Lambda functions subscribed to the topic. Default: none.
    :param https: HTTPS endpoints (webhooks); plain HTTP is refused. Default: none.
    :param master_key: KMS key to encrypt the created topic; its key policy must let
        ``cloudwatch.amazonaws.com`` use it. Default: not encrypted.

    Example:
        >>> AlertOptions(emails=["oncall@example.com"]).emails
        ['oncall@example.com']
    """

    topic: sns.ITopic | None = None
    emails: Sequence[str] = ()
    sms: Sequence[str] = ()
    queues: Sequence[sqs.IQueue] = ()
    functions: Sequence[lambda_.IFunction] = ()
    https: Sequence[str] = ()
    master_key: kms.IKey | None = None

    def __post_init__(self) -> None:
        for prop in ("emails", "sms", "queues", "functions", "https"):
            value = getattr(self, prop)
            _require(not isinstance(value, str), f"alerts.{prop}",
                     "expected a list, got a single string; wrap it in [...]")
        _check_each("alerts.emails", self.emails, _EMAIL, "expected an address like oncall@example.com")
        _check_each("alerts.sms", self.sms, _PHONE,
                    "expected an E.164 phone number: '+', country code and number, digits only, "
                    "e.g. +15555550100")
        _check_each("alerts.https", self.https, re.compile(r"^https://[^\s/$.?#][^\s]*$"),
                    "expected an https:// URL (TLS is required for webhooks)")
        _require(self.topic is None or self.master_key is None, "alerts.master_key",
                 "only applies to the topic this library creates; encrypt your own topic instead")


@dataclass(frozen=True, kw_only=True)
class DashboardOptions:
    """The CloudWatch dashboard showing violations and alarm state.

    :param enabled: add widgets for this function. Default: ``True``.
    :param dashboard: an existing dashboard to add the widgets to. Default: one
        dashboard per stack, shared by all its protected functions.
    :param dashboard_name: name of the dashboard created per stack. Default: generated.

    Example:
        >>> DashboardOptions(enabled=False).enabled
        False
    """

    enabled: bool = True
    dashboard: cloudwatch.Dashboard | None = None
    dashboard_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProtectionOptions:
    """All options of one protection, grouped.

    :param guard: the runtime guard. Default: ``GuardOptions()`` (block, fail open).
    :param alarm: the alarm. Default: ``AlarmOptions()`` (≥ 1 violation in 5 minutes).
    :param alerts: the SNS topic and subscriptions. Default: ``AlertOptions()`` (a topic, no subscribers).
    :param dashboard: the dashboard. Default: ``DashboardOptions()`` (one per stack).
    :param log_retention: retention of the log group the protection creates for the function
        (when the function has none of its own). Default: one month.
    :param log_removal_policy: what happens to that log group when it leaves the stack.
        Default: ``RemovalPolicy.RETAIN`` (the logs outlive the stack, as CDK's LogGroup default).
    :param shared_in: a stack that holds one alert topic and one set of dashboards for the
        protected functions of every stack in its account and region (nested stacks included);
        the other stacks must not depend on it (a monitoring stack of its own is usual; see
        :mod:`protect_lambda_construct.sharing`). Default: none, each stack has its own.

    Example:
        >>> ProtectionOptions(alarm=AlarmOptions(threshold=3)).alarm.threshold
        3
    """

    guard: GuardOptions = field(default_factory=GuardOptions)
    alarm: AlarmOptions = field(default_factory=AlarmOptions)
    alerts: AlertOptions = field(default_factory=AlertOptions)
    dashboard: DashboardOptions = field(default_factory=DashboardOptions)
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    log_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    shared_in: Stack | None = None

    def __post_init__(self) -> None:
        for prop, kind in (("guard", GuardOptions), ("alarm", AlarmOptions),
                           ("alerts", AlertOptions), ("dashboard", DashboardOptions)):
            _require(isinstance(getattr(self, prop), kind), prop,
                     f"expected {kind.__name__}(...), got {getattr(self, prop)!r}")
        _require(isinstance(self.log_retention, logs.RetentionDays), "log_retention",
                 f"expected an aws_logs.RetentionDays, got {self.log_retention!r}")
        _require(self.shared_in is None or isinstance(self.shared_in, Stack), "shared_in",
                 f"expected a Stack of this app, got {self.shared_in!r}")
        _require(isinstance(self.log_removal_policy, RemovalPolicy), "log_removal_policy",
                 f"expected an aws_cdk.RemovalPolicy (RETAIN, DESTROY, ...), got {self.log_removal_policy!r}")
