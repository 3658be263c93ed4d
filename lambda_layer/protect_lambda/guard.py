"""The Guard: inspects a Lambda event (inbound rules) and a handler's response (outbound rules).

It ties the adapters (what to scan), the engine (how to match) and the
configuration (mode, overrides, custom rules) together and returns a
:class:`Verdict`. It neither logs nor blocks by itself: the wrapper does that
from the verdict.

Action of a finding: a per-rule override wins, then a per-category override,
then the category default (``oversize`` defaults to ``monitor``), then the
guard's mode. ``"off"`` removes the rule; ``"monitor"`` reports it as
``detected``; ``"block"`` reports it as ``blocked``. An explicit override wins
over the mode, so ``Guard(mode="monitor", rule_overrides={"sqli-001": "block"})``
blocks only on ``sqli-001``.

Input beyond the limits (see :class:`protect_lambda.adapters.Limits`): the part
within them is scanned as usual and one extra finding is added.

- A value longer than ``max_value_chars`` (its start was scanned): rule
  ``limit-001`` (inbound) / ``limit-002`` (outbound), category ``oversize``,
  ``detected`` by default (large legitimate uploads); blocks only with
  ``category_overrides={"oversize": "block"}``.
- Content not scanned at all (nesting deeper than ``max_depth``, more than
  ``max_fields`` strings): rule ``limit-003`` (inbound), category
  ``uninspected``, follows the mode like any attack rule (blocked in block
  mode: burying a payload under 40 levels of JSON must not get it through);
  ``limit-004`` (outbound) is ``detected`` by default, since withholding a large
  legitimate response would break the function. Relax or tighten with
  ``category_overrides={"uninspected": ...}`` or ``rule_overrides``.

Example:
    >>> guard = Guard()
    >>> v = guard.inspect_event({"queryStringParameters": {"q": "<script>alert(1)</script>"}})
    >>> v.blocked, v.findings[0].category, v.findings[0].location
    (True, 'xss', 'queryStringParameters.q')
    >>> guard.inspect_response({"statusCode": 200, "body": "card 4111 1111 1111 1111"}).blocked
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final, Literal

from protect_lambda import contract
from protect_lambda._record import FrozenRecord, _init, _set
from protect_lambda.adapters import (
    DEFAULT_LIMITS,
    RESPONSE_SOURCE,
    Budget,
    Limits,
    collect_event_budget,
    collect_response,
    detect_source,
)
from protect_lambda.engine import Direction, Match, Rule, RuleEngine, RuleError

if TYPE_CHECKING:
    Action = Literal["blocked", "detected"]
else:
    Action = str
OVERRIDE_VALUES: Final = contract.OVERRIDE_ACTIONS
OVERSIZE_CATEGORY: Final = "oversize"
UNINSPECTED_CATEGORY: Final = "uninspected"
#: Default action of categories whose default is not the guard's mode.
CATEGORY_DEFAULTS: Final[Mapping[str, str]] = {OVERSIZE_CATEGORY: contract.MODE_MONITOR}
#: Default action of rules whose default is neither their category's nor the mode.
RULE_DEFAULTS: Final[Mapping[str, str]] = {"limit-004": contract.MODE_MONITOR}



def _limit_rule(rule_id: str, category: str, direction: Direction, severity: str, what: str) -> Rule:
    """A rule that never matches text: the guard adds its findings when a limit was hit."""
    return Rule(id=rule_id, category=category, direction=direction, severity=severity,
                description=what, pattern="(?!)")


OVERSIZE_RULES: Final = {
    contract.DIRECTION_INBOUND: _limit_rule(
        "limit-001", OVERSIZE_CATEGORY, "inbound", "low",
        "event exceeds the inspection limits; only the part within them was scanned"),
    contract.DIRECTION_OUTBOUND: _limit_rule(
        "limit-002", OVERSIZE_CATEGORY, "outbound", "low",
        "response exceeds the inspection limits; only the part within them was scanned"),
}
UNINSPECTED_RULES: Final = {
    contract.DIRECTION_INBOUND: _limit_rule(
        "limit-003", UNINSPECTED_CATEGORY, "inbound", "high",
        "part of the event was not inspected (nesting too deep or too many values)"),
    contract.DIRECTION_OUTBOUND: _limit_rule(
        "limit-004", UNINSPECTED_CATEGORY, "outbound", "low",
        "part of the response was not inspected (nesting too deep or too many values)"),
}
#: Every limit rule: findings about the inspection itself, not about the content.
LIMIT_RULES: Final = (*OVERSIZE_RULES.values(), *UNINSPECTED_RULES.values())


class Finding(FrozenRecord):
    """One rule hit at one location of an event or response.

    ``match`` holds the normalised text and span for a redacted excerpt; never
    log ``match.text`` raw.
    """

    __slots__ = _fields = (
        "rule_id", "category", "direction", "severity", "location", "action", "record_index", "match",
    )
    rule_id: str
    category: str
    direction: Direction
    severity: str
    location: str
    action: Action
    record_index: int | None
    match: Match

    def __init__(
        self,
        rule_id: str,
        category: str,
        direction: Direction,
        severity: str,
        location: str,
        action: Action,
        record_index: int | None,
        match: Match,
    ) -> None:
        _set(self, "rule_id", rule_id)
        _set(self, "category", category)
        _set(self, "direction", direction)
        _set(self, "severity", severity)
        _set(self, "location", location)
        _set(self, "action", action)
        _set(self, "record_index", record_index)
        _set(self, "match", match)


class Verdict(FrozenRecord):
    """What the guard found in one event or response.

    Example:
        >>> Verdict(blocked=False, source="generic", findings=[]).blocked_records
        frozenset()
    """

    __slots__ = _fields = ("blocked", "source", "findings")
    blocked: bool
    source: str
    findings: list[Finding]

    def __init__(self, blocked: bool, source: str, findings: list[Finding]) -> None:
        _init(self, blocked, source, findings)

    @property
    def blocked_records(self) -> frozenset[int]:
        """Indices in ``event["Records"]`` of batch records with a blocking finding."""
        return frozenset(
            f.record_index for f in self.findings
            if f.action == contract.ACTION_BLOCKED and f.record_index is not None
        )

    @property
    def whole_event_blocked(self) -> bool:
        """True when a blocking finding is not tied to a single batch record."""
        return any(f.action == contract.ACTION_BLOCKED and f.record_index is None for f in self.findings)


def _check_overrides(name: str, overrides: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in overrides.items():
        if value not in OVERRIDE_VALUES:
            raise ValueError(f"{name}[{key!r}] must be one of {OVERRIDE_VALUES}, got {value!r}")
        out[str(key)] = value
    return out


class Guard:
    """Inspects events and responses against the built-in and custom rules.

    Args:
        mode: ``"block"`` (default) or ``"monitor"`` (findings are only ``detected``).
        custom_rules: extra rules (:class:`Rule` or rule mappings), added to the built-ins.
        rule_overrides: ``{rule_id: "block" | "monitor" | "off"}``.
        category_overrides: ``{category: "block" | "monitor" | "off"}``.
        limits: inspection bounds (depth, number of values, characters per value).

    Example:
        >>> Guard(mode="monitor").inspect_event({"body": "1 UNION SELECT password FROM users"}).blocked
        False
    """

    def __init__(
        self,
        mode: str = contract.MODE_BLOCK,
        custom_rules: Sequence[Rule | Mapping[str, Any]] = (),
        rule_overrides: Mapping[str, str] | None = None,
        category_overrides: Mapping[str, str] | None = None,
        *,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if mode not in contract.MODES:
            raise ValueError(f"mode must be one of {contract.MODES}, got {mode!r}")
        self.mode = mode
        self.limits = limits
        self.rule_overrides = _check_overrides("rule_overrides", rule_overrides or {})
        self.category_overrides = _check_overrides("category_overrides", category_overrides or {})
        if isinstance(custom_rules, (str, bytes, Mapping)):
            raise RuleError("custom_rules must be a sequence of rules, not a single value")
        custom = [r if isinstance(r, Rule) else Rule.from_dict(r) for r in custom_rules]
        default = RuleEngine.default()
        rules = [*default.rules, *custom]
        kept = [r for r in rules if self._setting(r) != "off"]
        if custom or len(kept) != len(rules):
            self.engine = RuleEngine(kept)
        else:
            self.engine = default
        self._actions: dict[str, Action] = {r.id: self._action(r) for r in kept}
        for rule in LIMIT_RULES:
            if self._setting(rule) != "off":
                self._actions[rule.id] = self._action(rule)

    def _setting(self, rule: Rule) -> str:
        return (
            self.rule_overrides.get(rule.id)
            or self.category_overrides.get(rule.category)
            or RULE_DEFAULTS.get(rule.id)
            or CATEGORY_DEFAULTS.get(rule.category)
            or self.mode
        )

    def _action(self, rule: Rule) -> Action:
        if self._setting(rule) == contract.MODE_BLOCK:
            return "blocked"
        return "detected"

    def inspect_event(self, event: Any) -> Verdict:
        """Scan ``event`` with the inbound rules."""
        source, budget = collect_event_budget(event, self.limits)
        return self._verdict(source, budget, contract.DIRECTION_INBOUND)

    def inspect_response(self, response: Any, event: Any = None) -> Verdict:
        """Scan what the handler returned with the outbound rules.

        ``source`` of the verdict is the event's source when ``event`` is given,
        else ``"response"``.
        """
        source = detect_source(event) if event is not None else RESPONSE_SOURCE
        return self._verdict(source, collect_response(response, self.limits), contract.DIRECTION_OUTBOUND)

    def _verdict(self, source: str, budget: Budget, direction: Direction) -> Verdict:
        findings: list[Finding] = []
        seen: dict[str, list[Match]] = {}
        scan = self.engine.scan
        for item in budget.out:
            matches = seen.get(item.value)
            if matches is None:
                matches = scan(item.value, direction)
                seen[item.value] = matches
            for m in matches:
                rule = m.rule
                findings.append(
                    Finding(rule.id, rule.category, direction, rule.severity, item.location,
                            self._actions[rule.id], item.record_index, m)
                )
        for limit, note, location in (
            (OVERSIZE_RULES[direction], budget.truncated, budget.truncated_location),
            (UNINSPECTED_RULES[direction], budget.skipped, budget.skipped_location),
        ):
            if note is not None and limit.id in self._actions:
                findings.append(
                    Finding(limit.id, limit.category, direction, limit.severity, location,
                            self._actions[limit.id], None, Match(limit, note, 0, 0))
                )
        blocked = any(f.action == "blocked" for f in findings)
        return Verdict(blocked=blocked, source=source, findings=findings)
