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
blocks only on ``sqli-001``. Exclusions (:class:`~protect_lambda.locations.Exclusion`)
then turn a rule or category off or to monitor at one location.

Scores: each finding carries its rule's score; the findings of a request (or of
one batch record) are added up, each rule once, and the request is blocked when
the rules set to block reach :data:`~protect_lambda.contract.BLOCK_SCORE`. Findings
whose total stays below it are not reported at all (one weak signal is noise).
At level 1 a file or internal address named in a sentence counts as one weak
mention (see :func:`_count_mention_once`).
``sensitivity`` (1-4) turns on the rules of levels up to it; an explicit ``block``
override turns a rule on at any level and lets it block alone.

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
from protect_lambda.engine import DETECTOR_MAX_CHARS, Direction, Match, Rule, RuleEngine, RuleError
from protect_lambda.locations import Exclusion, path_segment

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
#: The note of an oversize finding when the detectors read only the head and tail of a value.
DETECTORS_CUT: Final = (f"value longer than {DETECTOR_MAX_CHARS // 1024} KiB: the detectors read its first and last "
                        f"{DETECTOR_MAX_CHARS // 2048} KiB")


class Finding(FrozenRecord):
    """One rule hit at one location of an event or response.

    ``match`` holds the normalised text and span for a redacted excerpt; never
    log ``match.text`` raw.
    """

    __slots__ = _fields = (
        "rule_id", "category", "direction", "severity", "location", "action", "record_index", "match",
        "score",
    )
    rule_id: str
    category: str
    direction: Direction
    severity: str
    location: str
    action: Action
    record_index: int | None
    match: Match
    #: What the finding adds to its request's total (see the module docstring).
    score: int

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
        score: int = contract.BLOCK_SCORE,
    ) -> None:
        _set(self, "rule_id", rule_id)
        _set(self, "category", category)
        _set(self, "direction", direction)
        _set(self, "severity", severity)
        _set(self, "location", location)
        _set(self, "action", action)
        _set(self, "record_index", record_index)
        _set(self, "match", match)
        _set(self, "score", score)


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
        sensitivity: int = contract.DEFAULT_SENSITIVITY,
        exclusions: Sequence[Exclusion | Mapping[str, Any]] = (),
    ) -> None:
        if mode not in contract.MODES:
            raise ValueError(f"mode must be one of {contract.MODES}, got {mode!r}")
        if sensitivity not in contract.SENSITIVITY_LEVELS or isinstance(sensitivity, bool):
            raise ValueError(f"sensitivity must be one of {contract.SENSITIVITY_LEVELS}, got {sensitivity!r}")
        self.mode = mode
        self.sensitivity = sensitivity
        self.limits = limits
        self.exclusions = tuple(e if isinstance(e, Exclusion) else Exclusion.from_dict(e) for e in exclusions)
        self.rule_overrides = _check_overrides("rule_overrides", rule_overrides or {})
        self.category_overrides = _check_overrides("category_overrides", category_overrides or {})
        if isinstance(custom_rules, (str, bytes, Mapping)):
            raise RuleError("custom_rules must be a sequence of rules, not a single value")
        custom = [r if isinstance(r, Rule) else Rule.from_dict(r) for r in custom_rules]
        default = RuleEngine.default()
        rules = [*default.rules, *custom]
        taken = {r.id for r in default.rules}
        for rule in custom:
            if rule.id in taken:  # checked before rules are switched off, at every sensitivity
                raise RuleError(f"rule {rule.id!r}: field 'id' is duplicated")
            taken.add(rule.id)
        kept = [r for r in rules if self._setting(r) != "off"]
        if custom or len(kept) != len(rules):
            self.engine = RuleEngine(kept)
        else:
            self.engine = default
        self._actions: dict[str, Action] = {r.id: self._action(r) for r in kept}
        self._scores: dict[str, int] = {r.id: self._score(r) for r in kept}
        for rule in LIMIT_RULES:
            if self._setting(rule) != "off":
                self._actions[rule.id] = self._action(rule)
                self._scores[rule.id] = contract.BLOCK_SCORE
        #: rules whose match blocks a value on its own wherever it is: the engine stops scanning
        #: a value after the stage that found one (see RuleEngine.scan)
        self._decisive = frozenset(
            r.id for r in kept
            if self._actions[r.id] == "blocked" and self._scores[r.id] >= contract.BLOCK_SCORE
            and not (r.detector is None and r.category in PROSE_DAMPED_CATEGORIES)
            and not any(e.rule == r.id or e.category == r.category for e in self.exclusions)
        )

    def _setting(self, rule: Rule) -> str:
        explicit = self.rule_overrides.get(rule.id)
        if explicit is not None:
            return explicit
        if rule.score_at(self.sensitivity) == 0:
            return "off"
        return (
            self.category_overrides.get(rule.category)
            or RULE_DEFAULTS.get(rule.id)
            or CATEGORY_DEFAULTS.get(rule.category)
            or self.mode
        )

    def _score(self, rule: Rule) -> int:
        score = rule.score_at(self.sensitivity) or rule.score
        if self.rule_overrides.get(rule.id) == contract.MODE_BLOCK:
            return max(score, contract.BLOCK_SCORE)  # told to block on this rule: it blocks alone
        return score

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
        found: list[Finding] = []
        seen: dict[str, list[Match]] = {}
        scan = self.engine.scan
        exclusions = self.exclusions
        decisive = self._decisive
        for item in budget.out:
            matches = seen.get(item.value)
            if matches is None:
                matches = scan(item.value, direction, decisive)
                seen[item.value] = matches
                if len(item.value) > DETECTOR_MAX_CHARS and budget.truncated is None \
                        and direction == contract.DIRECTION_INBOUND:
                    budget.truncated = DETECTORS_CUT
                    budget.truncated_location = item.location
            prose: bool | None = None
            first = len(found)
            for m in matches:
                rule = m.rule
                action = self._actions[rule.id]
                score = self._scores[rule.id]
                if rule.detector is None and rule.category in PROSE_DAMPED_CATEGORIES and score > 1:
                    if prose is None:
                        prose = looks_like_prose(m.text)
                    if prose:
                        score = max(score - PROSE_DAMPING, 1)
                location = item.location
                if location in ("rawPath", "path"):
                    location = path_segment(location, m.text, m.start)
                if exclusions:
                    excluded = self._excluded(rule, location)
                    if excluded == "off":
                        continue
                    if excluded == "monitor":
                        action = "detected"
                found.append(
                    Finding(rule.id, rule.category, direction, rule.severity, location,
                            action, item.record_index, m, score)
                )
            if len(found) > first and self.sensitivity <= MENTION_LEVEL:
                _count_mention_once(found, first)
        for limit, note, location in (
            (OVERSIZE_RULES[direction], budget.truncated, budget.truncated_location),
            (UNINSPECTED_RULES[direction], budget.skipped, budget.skipped_location),
        ):
            if note is not None and limit.id in self._actions:
                found.append(
                    Finding(limit.id, limit.category, direction, limit.severity, location,
                            self._actions[limit.id], None, Match(limit, note, 0, 0), contract.BLOCK_SCORE)
                )
        if not found:
            return Verdict(blocked=False, source=source, findings=found)
        findings, blocked = _scored(found)
        return Verdict(blocked=blocked, source=source, findings=findings)

    def _excluded(self, rule: Rule, location: str) -> str | None:
        """``off`` / ``monitor`` when an exclusion covers a finding of ``rule`` at ``location``."""
        result: str | None = None
        for exclusion in self.exclusions:
            if exclusion.covers(rule.id, rule.category, location):
                if exclusion.action == "off":
                    return "off"
                result = "monitor"
        return result


#: Categories whose pattern rules match keywords, which prose uses too ("update from the 2.21 branch",
#: "drop the patch", "run ls && exit"): a match inside prose counts less (see :func:`looks_like_prose`).
PROSE_DAMPED_CATEGORIES: Final = frozenset({"sqli", "cmdi", "xss", "path_traversal", "ssti", "nosqli"})
#: How much a pattern rule's score drops when the value it matched in is prose.
PROSE_DAMPING: Final = 2
_WORD: Final = r"[^\W\d_]{2,}"
_SYMBOL: Final = r"['\"();=<>|&`$\\{}\[\]*#%^~!@+]"
#: Code quoted in prose by markup: a reStructuredText role or inline literal (``:func:`count```,
#: ````SELECT @@version````) or a markdown code span (```select()```) after a word, holding no
#: quote. Text that is prose around such spans is documentation, a changelog or a ticket. A span
#: with a quote counts as code: it may close the query's string (````x' or 'a'='a' --````); so
#: does one that starts the value, where a number or expression is injected (````1 or 1=1````).
_CODE_SPAN: Final = r"(?<=[\w.,:;)!?] )(?::[a-z][\w.+-]{0,30}(?::[a-z][\w.+-]{0,30})?:)?(?:``[^`\n'\"]{1,200}``|`[^`\n'\"]{1,200}`)"


def looks_like_prose(text: str) -> bool:
    """Whether ``text`` reads as natural language: six words or more, mostly letters, and at most one
    code symbol (quote, bracket, operator) for every four words, not counting code quoted by markup
    (markdown or reStructuredText code spans). Detector rules judge structure and are not damped;
    keyword patterns are.

    Example:
        >>> looks_like_prose("update translations from the translation project, closes 978736")
        True
        >>> looks_like_prose("1' and (select 1 from dual where 1=1) and 'a'='a")
        False
        >>> looks_like_prose("mysql dialects now query the server using ``SELECT @@version`` to get the version")
        True
    """
    import re

    if "`" in text:
        text = re.sub(_CODE_SPAN, " ", text)
    words = re.findall(_WORD, text)
    if len(words) < 6:
        return False
    letters = sum(map(len, words))
    return len(re.findall(_SYMBOL, text)) * 4 <= len(words) and letters >= 0.6 * (len(text) - text.count(" "))


def _count_mention_once(found: list[Finding], first: int) -> None:
    """In a sentence (:func:`is_sentence`), a file, folder or address named among words is
    mentioned, not requested: the patterns that name one (:data:`MENTION_RULES`) score at most
    :data:`MENTION_SCORE`, and the findings of a :data:`MENTION_CATEGORIES` category in the value
    (``found[first:]``) count once, at the highest score among them (the others get score 0).
    Patterns and the path detector's weak kind overlap on one mentioned file ("without exposing
    /etc/shadow"), two address patterns on one URL ("visit http://localhost:6060/doc"): one weak
    signal, not three. A finding that blocks alone (a climb, a stream wrapper, a cloud metadata
    address) still does; a value that is a path or a URL, not a sentence, is not concerned."""
    best: dict[str, int] = {}  # category -> index of its finding of the highest mention score
    capped = False
    for i in range(first, len(found)):
        f = found[i]
        if f.category in MENTION_CATEGORIES:
            j = best.get(f.category)
            capped = capped or j is not None or (f.rule_id in MENTION_RULES and f.score > MENTION_SCORE)
            if j is None or _mention_key(f) > _mention_key(found[j]):
                best[f.category] = i
    if not capped or not is_sentence(found[first].match.text):
        return
    for i in range(first, len(found)):
        f = found[i]
        if f.category not in best:
            continue
        score = 0 if i != best[f.category] else _mention_key(f)[0]
        if score != f.score:
            found[i] = Finding(f.rule_id, f.category, f.direction, f.severity, f.location, f.action,
                               f.record_index, f.match, score)


def _mention_key(f: Finding) -> tuple[int, bool]:
    """A finding's score in a sentence, and whether it keeps its score there (it wins a tie:
    a stream wrapper or a ``gopher://`` URL next to a capped pattern still blocks)."""
    if f.rule_id in MENTION_RULES:
        return min(f.score, MENTION_SCORE), False
    return f.score, True


#: The categories whose findings a sentence counts once (see :func:`_count_mention_once`).
MENTION_CATEGORIES: Final = frozenset({"path_traversal", "ssrf"})
#: The patterns that name a sensitive file or folder, or an internal address: a mention in a
#: sentence scores at most :data:`MENTION_SCORE` (weak alone).
MENTION_RULES: Final = frozenset({"path-001", "path-002", "path-004", "path-005", "path-006", "ssrf-002", "ssrf-004"})
MENTION_SCORE: Final = 3
#: The sensitivity levels up to which a mention is weak: higher levels count every finding in
#: full (padded payloads, links a function may fetch from a message).
MENTION_LEVEL: Final = 1
#: A word of a sentence: letters, with an opening bracket or quote before and punctuation after.
_SENTENCE_WORD: Final = r"(?<!\S)[(\"']?[^\W\d_]{2,}[,.;:!?)\"']{0,2}(?!\S)"
#: Words a sentence has at least.
SENTENCE_MIN_WORDS: Final = 6
#: A separator, a pipe, a new line or a substitution, and the word after it: a command (or a path
#: or variable) there makes the value a command line rather than a sentence ("my name and
#: address; curl -d @/proc/self/environ evil"); "; it also reads /etc/hosts" stays a sentence.
_SEPARATED_WORD: Final = r"(?:[;|&\n`]|\$\()[ \t]*([^\s;|&<>()'\"`]+)"


def is_sentence(text: str) -> bool:
    """Whether ``text`` is a sentence: it starts with a word, holds at least six blank-separated
    words of letters and no command after a separator, pipe, new line or substitution. A
    path, a URL or a query written without blanks has no such words; a value that starts with
    one (``http://10.0.0.5/admin#our cats and dogs ...``) is no sentence either.

    Example:
        >>> is_sentence("it reads the /etc/passwd file, as getent does")
        True
        >>> is_sentence("/usr/local/pureftpd/etc/pureftpd.pdb"), is_sentence("hi, my name is Al; cat /etc/passwd")
        (False, False)
    """
    import re

    if not re.match(_SENTENCE_WORD, text.lstrip()) or _command_syntax(text):
        return False
    return len(re.findall(_SENTENCE_WORD, text)) >= SENTENCE_MIN_WORDS


def _command_syntax(text: str) -> bool:
    """Whether a separator, pipe, new line or substitution of ``text`` is followed by a command,
    a path or a variable (see :data:`_SEPARATED_WORD`)."""
    import re

    from protect_lambda.detectors.shell import COMMANDS

    for m in re.finditer(_SEPARATED_WORD, text):
        word = m.group(1)
        if word in COMMANDS or word[:1] in "/.$~\\":
            return True
    return False


def total_score(findings: Sequence[Finding]) -> int:
    """The score of a set of findings: each rule counted once, at its highest score.

    Example:
        >>> total_score([])
        0
    """
    best: dict[str, int] = {}
    for f in findings:
        if f.score > best.get(f.rule_id, 0):
            best[f.rule_id] = f.score
    return sum(best.values())


def _scored(found: list[Finding]) -> tuple[list[Finding], bool]:
    """Keep the findings of the requests (batch records) whose total reaches the block score;
    block those whose blocking findings reach it on their own. Returns (findings, blocked)."""
    groups: dict[int | None, list[Finding]] = {}
    for f in found:
        groups.setdefault(f.record_index, []).append(f)
    kept: list[Finding] = []
    blocked = False
    for group in groups.values():
        if total_score(group) < contract.BLOCK_SCORE:
            continue
        blocking = [f for f in group if f.action == "blocked"]
        if blocking and total_score(blocking) >= contract.BLOCK_SCORE:
            blocked = True
            kept.extend(group)
        else:  # reported, not blocked: only rules set to monitor (or too weak to block) found it
            kept.extend(f if f.action != "blocked" else Finding(
                f.rule_id, f.category, f.direction, f.severity, f.location, "detected", f.record_index,
                f.match, f.score) for f in group)
    return kept, blocked
