"""The rule engine: matches strings against compiled rules.

Rules are data (``rules/*.json``); :class:`Rule` validates one definition and
:class:`RuleEngine` compiles a set once, then scans one string at a time. A
string is normalised first (:mod:`protect_lambda.normalize`) for inbound rules;
outbound (leak) rules see the text as the handler produced it.

Two kinds of rules: a ``pattern`` rule matches a regular expression; a
``detector`` rule names a detector of :mod:`protect_lambda.detectors` (``sql``,
``shell``, ``html``, ``paths``) and one ``kind`` of structure it reports, so that
SQL injection, command injection and XSS are decided on tokens. Every rule has
a ``score`` (what one finding adds to its request's total; the guard blocks at
:data:`~protect_lambda.contract.BLOCK_SCORE`) and a sensitivity ``level`` (1-4:
the rule is on from that level of ``GuardOptions(sensitivity=...)``).

Speed: a rule names ``triggers``, plain substrings of which one must occur for
the rule to be able to match; a string is checked for the triggers once (one
search of a trie regex of them for a short string, ``in`` tests in C for a long
one) and only the rules they select run their regex. Regexes are
compiled on first use, and results for short values are cached (bounded).

Example:
    >>> engine = RuleEngine.default()
    >>> sorted({m.rule.category for m in engine.scan("1' OR '1'='1", "inbound")})
    ['sqli']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final, Literal

from protect_lambda import contract
from protect_lambda._record import FrozenRecord, _set
from protect_lambda.detectors import stopped
from protect_lambda.normalize import base64_text, log4j_resolve, normalize, shell_squash
from protect_lambda.regex_cache import compile_pattern

if TYPE_CHECKING:
    Direction = Literal["inbound", "outbound"]
else:
    Direction = str

DIRECTIONS: Final = (contract.DIRECTION_INBOUND, contract.DIRECTION_OUTBOUND)
_REQUIRED: Final = ("id", "category", "direction", "severity", "description")
#: Detectors a rule may name (modules of :mod:`protect_lambda.detectors`).
DETECTORS: Final = ("paths", "html", "sql", "shell")  # the order they run in: cheapest first


def lead_detector(text: str) -> str | None:
    """The detector most likely to decide ``text`` (a normalised value) on its own, run first
    so that an attack is usually decided by the first detector it meets; ``None`` keeps the
    default order. Only the order changes: a value no detector decides still meets all of them,
    and its findings are reported in the default order.

    Example:
        >>> lead_detector("x' or '1'='1"), lead_detector("<img src=x onerror=alert(1)>")
        ('sql', 'html')
    """
    if "<" in text:
        return "html"
    if "../" in text or "..\\" in text:
        return "paths"
    if "'" in text or '"' in text or "union" in text or "select" in text:
        return "sql"
    if ";" in text or "|" in text or "`" in text or "$(" in text or "&&" in text:
        return "shell"
    return None
#: Sensitivity levels (the CRS "paranoia levels" of this guard).
LEVELS: Final = (1, 2, 3, 4)
#: Highest score a rule may carry.
MAX_SCORE: Final = 10
_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


class RuleError(ValueError):
    """A rule definition is invalid (message names the rule id and the field)."""


# --- validators ---------------------------------------------------------------


def luhn_valid(text: str) -> bool:
    """True when the digits of ``text`` form a Luhn-valid card number with an issuer prefix in use.

    Example:
        >>> luhn_valid("4111 1111 1111 1111"), luhn_valid("4111 1111 1111 1112")
        (True, False)
    """
    digits = [ord(c) - 48 for c in text if "0" <= c <= "9"]
    if not 12 <= len(digits) <= 19 or len(set(digits)) < 2:
        return False
    if len(digits) == 12:
        # only Maestro issues 12-digit cards (ranges 5x, 6x and 0604)
        if not (digits[0] in (5, 6) or digits[:4] == [0, 6, 0, 4]):
            return False
    # issuer prefixes in use: 2-6 (Mastercard 2-series, Amex/Diners/JCB 3, Visa 4, Mastercard and
    # Maestro 5, Discover/UnionPay/Maestro 6), the old 15-digit JCB range 1800, Maestro 0604
    elif not (2 <= digits[0] <= 6 or digits[:4] in ([1, 8, 0, 0], [0, 6, 0, 4])):
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def ssn_valid(text: str) -> bool:
    """True for a US SSN in an issuable range (area not 000/666/9xx, group and serial non-zero).

    Example:
        >>> ssn_valid("123-45-6789"), ssn_valid("666-45-6789"), ssn_valid("123-00-6789")
        (True, False, False)
    """
    digits = "".join(c for c in text if "0" <= c <= "9")
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return True


def aws_secret_valid(text: str) -> bool:
    """True when the 40-character token in ``text`` looks random (mixed case and digits or symbols).

    Example:
        >>> aws_secret_valid("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        True
    """
    token = re.findall(r"[A-Za-z0-9/+]{40}", text)
    if not token:
        return False
    t = token[-1]
    classes = sum(
        (any(c.islower() for c in t), any(c.isupper() for c in t), any(c.isdigit() for c in t),
         any(c in "/+" for c in t))
    )
    return classes >= 3 and len(set(t)) >= 12


#: Validators a rule may name in its ``validator`` field; each receives the matched text.
VALIDATORS: Final[Mapping[str, Callable[[str], bool]]] = {
    "luhn": luhn_valid,
    "ssn": ssn_valid,
    "aws_secret": aws_secret_valid,
}


#: Extra text transforms a rule may ask for (applied after normalisation).
TRANSFORMS: Final[Mapping[str, Callable[[str], str]]] = {"shell": shell_squash, "log4j": log4j_resolve}


# --- catastrophic-backtracking check -----------------------------------------

try:  # Python 3.11+
    import re._parser as _sre_parse  # type: ignore[import-not-found,unused-ignore]
    import re._constants as _sre_constants  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_constants  # type: ignore[no-redef,unused-ignore]
    import sre_parse as _sre_parse  # type: ignore[no-redef,unused-ignore]

_REPEATS: Final = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT)
#: An outer repetition allowing more than this many rounds counts as unbounded.
_UNBOUNDED_ABOVE: Final = 8


def _has_nested_quantifier(parsed: Any, inside_repeat: bool = False) -> bool:
    """Walk a parsed pattern; True if a variable repetition sits inside another one."""
    for op, av in parsed:
        if op in _REPEATS:
            lo, hi, sub = av
            variable = hi != lo and (hi is _sre_constants.MAXREPEAT or hi > 1)
            if variable and inside_repeat:
                return True
            big = hi is _sre_constants.MAXREPEAT or hi > _UNBOUNDED_ABOVE
            if _has_nested_quantifier(sub, inside_repeat or big):
                return True
        elif op is _sre_constants.SUBPATTERN:
            if _has_nested_quantifier(av[-1], inside_repeat):
                return True
        elif op is _sre_constants.BRANCH:
            if any(_has_nested_quantifier(b, inside_repeat) for b in av[1]):
                return True
        elif op in (_sre_constants.ASSERT, _sre_constants.ASSERT_NOT):
            if _has_nested_quantifier(av[1], inside_repeat):
                return True
    return False


def check_pattern(pattern: str) -> str | None:
    """Alias of the pattern check (see :func:`_check_pattern`)."""
    return _check_pattern(pattern)


def _check_pattern(pattern: str) -> str | None:
    """Return why ``pattern`` is unsafe or invalid, or None when it is fine.

    Example:
        >>> check_pattern("(a+)+$")
        'nested quantifier (catastrophic backtracking)'
        >>> check_pattern("union[ ]{1,10}select") is None
        True
    """
    try:
        re.compile(pattern)
        parsed = _sre_parse.parse(pattern)
    except re.error as exc:
        return f"does not compile: {exc}"
    if _has_nested_quantifier(parsed):
        return "nested quantifier (catastrophic backtracking)"
    return None


# --- rules ------------------------------------------------------------------


class Rule(FrozenRecord):
    """One detection rule, loaded from data.

    ``validator`` names an entry of :data:`VALIDATORS` that a match must also
    pass (Luhn for card numbers, issuable ranges for SSNs). ``triggers`` lists
    plain substrings of which at least one must occur in the (normalised) text
    for the rule to be run at all: a speed hint that must never exclude a real
    match (empty: always run). ``transform``
    ``"shell"`` (inbound only) matches the text after shell quoting and globbing
    tricks are removed (:func:`protect_lambda.normalize.shell_squash`), ``"log4j"``
    after literal-only Log4j lookups are resolved (:func:`protect_lambda.normalize.log4j_resolve`);
    a transform rule runs only when the transform changed the text. ``case_sensitive``
    matters for outbound rules only: inbound text is case-folded before matching,
    so inbound patterns are written in lower case.

    Example:
        >>> Rule.from_dict({"id": "custom-001", "category": "custom", "direction": "inbound",
        ...                 "severity": "high", "description": "forbidden word",
        ...                 "pattern": "forbidden"}).id
        'custom-001'
    """

    __slots__ = _fields = (
        "id", "category", "direction", "severity", "description", "pattern", "validator",
        "case_sensitive", "tags", "transform", "triggers", "score", "level", "detector", "kind", "scores",
    )
    id: str
    category: str
    direction: Direction
    severity: str
    description: str
    pattern: str
    validator: str | None
    case_sensitive: bool
    tags: tuple[str, ...]
    transform: str | None
    triggers: tuple[str, ...]
    #: What one finding of the rule adds to its request's total (blocks alone at BLOCK_SCORE).
    score: int
    #: The lowest sensitivity level at which the rule is on.
    level: int
    #: The detector a detector rule reads (``pattern`` is then unused), and the kind it maps.
    detector: str | None
    kind: str | None
    #: The score at each sensitivity level 1-4 when it differs by level (0: off at that level);
    #: empty: ``score`` from ``level`` on.
    scores: tuple[int, ...]

    def __init__(
        self,
        id: str,
        category: str,
        direction: Direction,
        severity: str,
        description: str,
        pattern: str,
        validator: str | None = None,
        case_sensitive: bool = False,
        tags: tuple[str, ...] = (),
        transform: str | None = None,
        triggers: tuple[str, ...] = (),
        score: int = contract.BLOCK_SCORE,
        level: int = 1,
        detector: str | None = None,
        kind: str | None = None,
        scores: tuple[int, ...] = (),
    ) -> None:
        _set(self, "id", id)
        _set(self, "category", category)
        _set(self, "direction", direction)
        _set(self, "severity", severity)
        _set(self, "description", description)
        _set(self, "pattern", pattern)
        _set(self, "validator", validator)
        _set(self, "case_sensitive", case_sensitive)
        _set(self, "tags", tags)
        _set(self, "transform", transform)
        _set(self, "triggers", triggers)
        _set(self, "score", score)
        _set(self, "level", level)
        _set(self, "detector", detector)
        _set(self, "kind", kind)
        _set(self, "scores", scores)

    def score_at(self, sensitivity: int) -> int:
        """The rule's score at ``sensitivity`` (0: the rule is off there).

        Example:
            >>> Rule("r", "c", "inbound", "low", "d", "x", scores=(3, 5, 5, 5)).score_at(2)
            5
        """
        if self.scores:
            return self.scores[min(max(sensitivity, 1), len(self.scores)) - 1]
        return self.score if sensitivity >= self.level else 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, check_pattern: bool = True) -> "Rule":
        """Validate a rule definition; raise :class:`RuleError` naming the rule id and field.

        ``check_pattern=False`` skips compiling the pattern (built-in rules, verified by tests).
        """
        if not isinstance(data, Mapping):
            raise RuleError(f"rule definition must be an object, got {type(data).__name__}")
        rid = data.get("id")
        label = repr(rid) if isinstance(rid, str) else "<no id>"
        for name in _REQUIRED:
            value = data.get(name)
            if not isinstance(value, str) or not value.strip():
                raise RuleError(f"rule {label}: field '{name}' is required and must be a non-empty string")
        assert isinstance(rid, str)
        if not _ID_RE.fullmatch(rid):
            raise RuleError(f"rule {label}: field 'id' must match {_ID_RE.pattern}")
        direction = data["direction"]
        if direction not in DIRECTIONS:
            raise RuleError(f"rule {label}: field 'direction' must be one of {DIRECTIONS}, got {direction!r}")
        severity = data["severity"]
        if severity not in contract.SEVERITIES:
            raise RuleError(
                f"rule {label}: field 'severity' must be one of {contract.SEVERITIES}, got {severity!r}"
            )
        detector = data.get("detector")
        kind = data.get("kind")
        if detector is not None:
            if detector not in DETECTORS:
                raise RuleError(f"rule {label}: field 'detector' must be one of {DETECTORS}, got {detector!r}")
            if not isinstance(kind, str) or not kind:
                raise RuleError(f"rule {label}: field 'kind' is required with 'detector' (a kind it reports)")
            if "pattern" in data:
                raise RuleError(f"rule {label}: give either 'pattern' or 'detector', not both")
        elif kind is not None:
            raise RuleError(f"rule {label}: field 'kind' applies to detector rules only")
        else:
            pattern = data.get("pattern")
            if not isinstance(pattern, str) or not pattern.strip():
                raise RuleError(f"rule {label}: field 'pattern' is required and must be a non-empty string")
            problem = _check_pattern(pattern) if check_pattern else None
            if problem:
                raise RuleError(f"rule {label}: field 'pattern' {problem}")
        score = data.get("score", contract.BLOCK_SCORE)
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= MAX_SCORE:
            raise RuleError(f"rule {label}: field 'score' must be a whole number from 1 to {MAX_SCORE} "
                            f"({contract.BLOCK_SCORE} blocks alone), got {score!r}")
        level = data.get("level", 1)
        if level not in LEVELS or isinstance(level, bool):
            raise RuleError(f"rule {label}: field 'level' must be one of {LEVELS}, got {level!r}")
        scores = data.get("scores", ())
        if scores:
            if (not isinstance(scores, (list, tuple)) or len(scores) != len(LEVELS) or any(
                    not isinstance(x, int) or isinstance(x, bool) or not 0 <= x <= MAX_SCORE for x in scores)
                    or list(scores) != sorted(scores)):
                raise RuleError(f"rule {label}: field 'scores' must list {len(LEVELS)} scores (0 to {MAX_SCORE}, "
                                "not decreasing), one per sensitivity level")
            if "score" in data or "level" in data:
                raise RuleError(f"rule {label}: give either 'scores' or 'score' / 'level', not both")
            level = next(i + 1 for i, x in enumerate(scores) if x) if any(scores) else len(LEVELS)
            score = max(scores)
        validator = data.get("validator")
        if validator is not None and validator not in VALIDATORS:
            raise RuleError(
                f"rule {label}: field 'validator' must be one of {sorted(VALIDATORS)}, got {validator!r}"
            )
        case_sensitive = data.get("case_sensitive", False)
        if not isinstance(case_sensitive, bool):
            raise RuleError(f"rule {label}: field 'case_sensitive' must be a boolean")
        tags = data.get("tags", ())
        if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
            raise RuleError(f"rule {label}: field 'tags' must be a list of strings")
        transform = data.get("transform")
        if transform is not None and transform not in TRANSFORMS:
            raise RuleError(f"rule {label}: field 'transform' must be one of {sorted(TRANSFORMS)}, got {transform!r}")
        if transform is not None and direction != contract.DIRECTION_INBOUND:
            raise RuleError(f"rule {label}: field 'transform' applies to inbound rules only")
        triggers = data.get("triggers", ())
        if not isinstance(triggers, (list, tuple)) or not all(isinstance(t, str) and t for t in triggers):
            raise RuleError(f"rule {label}: field 'triggers' must be a list of non-empty strings")
        known = set(_REQUIRED) | {"pattern", "validator", "case_sensitive", "tags", "examples", "transform",
                                  "triggers", "score", "level", "detector", "kind", "scores"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RuleError(f"rule {label}: unknown field '{unknown[0]}'")
        return cls(
            id=rid,
            category=data["category"],
            direction=direction,
            severity=severity,
            description=data["description"],
            pattern=data.get("pattern", ""),
            validator=validator,
            case_sensitive=case_sensitive,
            tags=tuple(tags),
            transform=transform,
            triggers=tuple(triggers),
            score=score,
            level=level,
            detector=detector,
            kind=kind,
            scores=tuple(scores),
        )


class Match(FrozenRecord):
    """A rule hit inside one scanned string.

    ``text`` is the (normalised) string the rule matched in and ``start``/``end``
    the span of the match inside it; the violation record builds its redacted
    excerpt from these and never copies the span itself.
    """

    __slots__ = _fields = ("rule", "text", "start", "end")
    rule: Rule
    text: str
    start: int
    end: int

    def __init__(self, rule: Rule, text: str, start: int, end: int) -> None:
        _set(self, "rule", rule)
        _set(self, "text", text)
        _set(self, "start", start)
        _set(self, "end", end)


def rule_flags(rule: Rule) -> int:
    """The ``re`` flags ``rule``'s pattern is compiled with (outbound rules ignore case unless case-sensitive)."""
    if rule.direction == contract.DIRECTION_OUTBOUND and not rule.case_sensitive:
        return int(re.IGNORECASE)
    return 0


class _Compiled:
    """A rule with its regex compiled on first use (most rules never fire on most values).

    Built-in rules come from the layer's precompiled recording when it matches the
    interpreter (:mod:`protect_lambda.regex_cache`), others from ``re.compile``.
    """

    __slots__ = ("rule", "triggers", "flags", "folded", "validator", "_regex")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.flags = rule_flags(rule)
        self.folded = bool(self.flags)
        triggers = {t.lower() for t in rule.triggers} if self.folded else set(rule.triggers)
        # a trigger containing another one of the same rule adds nothing (shortest first)
        kept: list[str] = []
        for t in sorted(triggers, key=len):
            if not any(o in t for o in kept):
                kept.append(t)
        self.triggers = frozenset(kept)
        self.validator = VALIDATORS[rule.validator] if rule.validator else None
        self._regex: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        if self._regex is None:
            self._regex = compile_pattern(self.rule.pattern, self.flags)
        return self._regex


#: Texts shorter than this have their characters intersected with a group's first characters;
#: longer ones are searched for each first character (measured crossover: about 100 characters).
_SHORT_TEXT: Final = 96
#: Texts shorter than this find their triggers with one regex search per trigger occurrence
#: (:func:`trigger_pattern`); longer ones, which hold more occurrences, test each trigger with
#: ``in`` (measured crossover: about 300 characters).
_TRIE_TEXT: Final = 320
#: Trigger occurrences read per text before the selection falls back to testing each trigger.
_TRIE_MATCHES: Final = 64


def trigger_pattern(triggers: Iterable[str]) -> str:
    """A regex matching any of ``triggers`` at a position, the longest one there: the triggers as a
    trie (``etc(?:/)?``), so the search tests each position against the few characters that can
    follow, not against every trigger. Linear: a position is read at most as deep as the longest
    trigger.

    Example:
        >>> trigger_pattern(["etc", "etc/", "union", "select"])
        '(?:etc(?:/)?|select|union)'
        >>> re.compile(trigger_pattern(["etc", "etc/"])).search("/etc/passwd").group()
        'etc/'
    """
    trie: dict[str, Any] = {}
    for trigger in triggers:
        node = trie
        for char in trigger:
            node = node.setdefault(char, {})
        node[""] = {}
    escaped: dict[str, str] = {}  # re.escape once per distinct character (cold start)

    def alternatives(node: dict[str, Any]) -> str:
        branches = [(escaped.get(char) or escaped.setdefault(char, re.escape(char))) + alternatives(node[char])
                    for char in sorted(node) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    pattern = alternatives(trie)
    return pattern if pattern.startswith("(?:") else f"(?:{pattern})"


class _Group:
    """Rules sharing a direction and transform, indexed by their triggers."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.compiled = tuple(_Compiled(r) for r in rules)
        self.always = frozenset(i for i, c in enumerate(self.compiled) if not c.triggers)
        by_trigger: dict[tuple[bool, str], list[int]] = {}
        for i, c in enumerate(self.compiled):
            for t in c.triggers:
                by_trigger.setdefault((c.folded, t), []).append(i)
        # plain triggers by first character, so only the characters present are looked at:
        # one-character triggers select their rules outright; longer ones are (trigger, rule)
        # pairs, searched only while their rule is not selected yet
        self.single: dict[str, tuple[int, ...]] = {}
        self.multi: dict[str, tuple[tuple[str, int], ...]] = {}
        for (folded, t), ix in sorted(by_trigger.items()):
            if folded:
                continue
            if len(t) == 1:
                self.single[t] = tuple(ix)
            else:
                self.multi[t[0]] = (*self.multi.get(t[0], ()), *((t, i) for i in ix))
        self.first_chars = frozenset(self.single) | frozenset(self.multi)
        self.first_chars_seq = tuple(sorted(self.first_chars))
        self.folded = tuple((t, tuple(ix)) for (folded, t), ix in sorted(by_trigger.items()) if folded)
        #: plain trigger -> its rules (the trie regex and its table are built on first use)
        self._plain = {t: ix for (folded, t), ix in by_trigger.items() if not folded}
        self._trigger_pattern: str | None = None
        self._rules_at: dict[str, tuple[int, ...]] = {}
        self._trigger_regex: re.Pattern[str] | None = None

    @property
    def trigger_pattern(self) -> str | None:
        """The plain triggers as one regex (:func:`trigger_pattern`), ``None`` without any."""
        if self._trigger_pattern is None and self._plain:
            self._trigger_pattern = trigger_pattern(sorted(self._plain))
        return self._trigger_pattern

    def _compile_triggers(self) -> re.Pattern[str]:
        """The trigger regex, compiled (from the recording when it holds it), and its table:
        trigger -> the rules of every trigger it starts with (the regex reports the longest
        trigger at a position, which selects the rules of the shorter ones found there too)."""
        plain = self._plain
        self._rules_at = {
            t: tuple(sorted({i for k in range(1, len(t) + 1) for i in plain.get(t[:k], ())})) for t in plain
        }
        pattern = self.trigger_pattern
        assert pattern is not None  # a group with plain triggers
        self._trigger_regex = compile_pattern(pattern, 0)
        return self._trigger_regex

    def compile(self) -> None:
        """Compile the rules' regexes and the trigger regex now (else on first use)."""
        for c in self.compiled:
            c.regex  # noqa: B018 - compiles and keeps the pattern
        if self._plain and self._trigger_regex is None:
            self._compile_triggers()

    def select_by_triggers(self, text: str) -> set[int]:
        """The indices of the rules whose triggers ``text`` holds, and of those without triggers:
        a trie search for texts shorter than :data:`_TRIE_TEXT` (a regex search per trigger found,
        at most :data:`_TRIE_MATCHES`), else :meth:`select_by_pairs`."""
        if len(text) >= _TRIE_TEXT or not self._plain:
            return self.select_by_pairs(text)
        regex = self._trigger_regex or self._compile_triggers()
        selected = set(self.always)
        rules_at = self._rules_at
        search = regex.search
        m = search(text)
        found = 0
        while m is not None:
            selected.update(rules_at[m.group()])
            found += 1
            if found == _TRIE_MATCHES:  # a text full of triggers: test each trigger once instead
                return self.select_by_pairs(text)
            m = search(text, m.start() + 1)
        if self.folded:
            self._select_folded(text, selected)
        return selected

    def select_by_pairs(self, text: str) -> set[int]:
        """Like :meth:`select_by_triggers`, testing each trigger whose first character ``text``
        holds with ``in`` (a C search each: cheaper than the trie once a text holds many triggers)."""
        selected = set(self.always)
        single = self.single
        multi = self.multi
        # the first characters present: a set intersection hashes every character of the text,
        # while ``in`` is a C search per first character, far cheaper once the text is long
        present = (self.first_chars.intersection(text) if len(text) < _SHORT_TEXT
                   else [c for c in self.first_chars_seq if c in text])
        for char in present:  # one-character triggers first: their rules need no longer search
            indices = single.get(char)
            if indices is not None:
                selected.update(indices)
        for char in present:
            pairs = multi.get(char)
            if pairs is not None:
                for trigger, i in pairs:
                    if i not in selected and trigger in text:
                        selected.add(i)
        if self.folded:
            self._select_folded(text, selected)
        return selected

    def _select_folded(self, text: str, selected: set[int]) -> None:
        """Add the rules whose case-folded triggers (rules that ignore case) ``text`` holds."""
        lowered = text.lower()
        for trigger, ix in self.folded:
            if trigger in lowered:
                selected.update(ix)

    def scan(self, text: str) -> list[Match]:
        selected = self.select_by_triggers(text)
        found: list[Match] = []
        compiled = self.compiled
        for i in sorted(selected):
            c = compiled[i]
            if c.validator is None:
                m = (c._regex or c.regex).search(text)
                if m is not None:
                    found.append(Match(c.rule, text, m.start(), m.end()))
                continue
            # Every candidate is checked, overlapping ones too: after a candidate fails, the
            # search resumes one character after its start (lookbehinds still see the text
            # before), so a real card is found behind any number of invalid digit runs, even
            # one a longer failed candidate ran into. Candidates are a few dozen characters
            # at most, so this stays linear.
            search = c.regex.search
            m = search(text)
            while m is not None:
                if c.validator(m.group(0)):
                    found.append(Match(c.rule, text, m.start(), m.end()))
                    break
                m = search(text, m.start() + 1)
        return found


def _level(item: Mapping[str, Any]) -> int:
    scores = item.get("scores")
    if scores:
        return next((i + 1 for i, x in enumerate(scores) if x), len(LEVELS))
    level: int = item.get("level", 1)
    return level


def load_builtin_rules(*, check: bool = False) -> list[Rule]:
    """The built-in rules from the package's ``rules/*.json`` files (sorted by file name).

    The built-in rule files are validated by the test suite (every field, and every
    pattern parsed and compiled), so by default they are not validated again at every
    cold start; ``check=True`` runs the full :meth:`Rule.from_dict` validation.
    """
    rules: list[Rule] = []
    for name in sorted(os.listdir(RULES_DIR)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(RULES_DIR, name), encoding="utf-8") as fh:
            data = json.load(fh)
        for item in data["rules"]:
            if check:
                rules.append(Rule.from_dict(item))
                continue
            get = item.get
            rules.append(
                Rule(item["id"], item["category"], item["direction"], item["severity"],
                     item["description"], get("pattern", ""), get("validator"),
                     get("case_sensitive", False), tuple(get("tags", ())), get("transform"),
                     tuple(get("triggers", ())), get("score", contract.BLOCK_SCORE), _level(item),
                     get("detector"), get("kind"), tuple(get("scores", ())))
            )
    return rules


#: Folder of the built-in rule files (plain files: Lambda layers are unzipped on disk).
RULES_DIR: Final = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules")
_DEFAULT: RuleEngine | None = None
#: Values up to this length have their matches cached per engine (headers repeat across requests).
CACHE_MAX_VALUE_CHARS: Final = 512
#: Entries the per-engine cache holds before it is emptied.
CACHE_MAX_ENTRIES: Final = 4096


#: Characters of one value the detectors read: the first and the last half of this many when the
#: value is longer (the patterns read it whole). A lexer costs a few microseconds per token, so a
#: crafted 1 MiB value would otherwise hold a function for seconds; the guard reports the cut
#: (``oversize``), as it does for the 1 MiB limit of the patterns.
DETECTOR_MAX_CHARS: Final = 64 * 1024


#: A detector: the structures of a normalised text as (kind, start, end); it may stop reading once
#: it found one of the kinds in its second argument (they decide the value on their own).
Detect = Callable[[str, frozenset[str]], list[tuple[str, int, int]]]


def _detect_bounded(detect: Detect, text: str, stop: frozenset[str]) -> list[tuple[str, int, int]]:
    """``detect(text, stop)``, on the head and the tail of ``text`` when it is longer than
    :data:`DETECTOR_MAX_CHARS` (not the tail when the head holds a kind of ``stop``)."""
    if len(text) <= DETECTOR_MAX_CHARS:
        return detect(text, stop)
    half = DETECTOR_MAX_CHARS // 2
    offset = len(text) - half
    head = detect(text[:half], stop)
    if stopped(head, stop):
        return head
    return [*head, *((kind, start + offset, end + offset) for kind, start, end in detect(text[offset:], stop))]


def _first_per_rule(found: list[Match]) -> list[Match]:
    """``found`` with one match per rule, the first (a detector may report a kind several times)."""
    if len(found) < 2:
        return found
    seen: set[str] = set()
    kept: list[Match] = []
    for m in found:
        if m.rule.id not in seen:
            seen.add(m.rule.id)
            kept.append(m)
    return kept


class RuleEngine:
    """Compiled rules; scans one string at a time.

    Example:
        >>> RuleEngine([Rule.from_dict({"id": "c-1", "category": "c", "direction": "inbound",
        ...     "severity": "low", "description": "d", "pattern": "bad"})]).scan("BAD", "inbound")[0].rule.id
        'c-1'
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise RuleError(f"rule {rule.id!r}: field 'id' is duplicated")
            seen.add(rule.id)
        self.rules: tuple[Rule, ...] = tuple(rules)
        #: detector name -> {kind: rule}, for the inbound detector rules
        self._detectors: dict[str, dict[str, Rule]] = {}
        for rule in self.rules:
            if rule.detector is not None and rule.direction == contract.DIRECTION_INBOUND:
                self._detectors.setdefault(rule.detector, {})[rule.kind or ""] = rule
        self._detect: list[tuple[Detect, dict[str, Rule]]] = []
        #: decisive rules -> per detector, the kinds those rules stand for
        self._stops: dict[frozenset[str], tuple[frozenset[str], ...]] = {}
        self._orders: dict[str | None, tuple[int, ...]] = {}
        detected = frozenset(r.category for kinds in self._detectors.values() for r in kinds.values())
        patterned = [r for r in self.rules if r.detector is None]
        # inbound patterns of a category a detector decides run after the detectors ("after")
        keys = sorted({(r.direction, r.transform or "", r.direction == contract.DIRECTION_INBOUND
                        and not r.transform and r.category in detected) for r in patterned})
        self._groups: dict[tuple[str, str, bool], _Group] = {
            key: _Group([r for r in patterned if (r.direction, r.transform or "", r.direction
                        == contract.DIRECTION_INBOUND and not r.transform and r.category in detected) == key])
            for key in keys
        }
        empty = _Group([])
        self._inbound = self._groups.get((contract.DIRECTION_INBOUND, "", False), empty)
        self._inbound_after = self._groups.get((contract.DIRECTION_INBOUND, "", True), empty)
        self._outbound = self._groups.get((contract.DIRECTION_OUTBOUND, "", False), empty)
        self._transformed: list[tuple[Callable[[str], str], _Group]] = [
            (TRANSFORMS[t], g) for (d, t, _), g in self._groups.items() if d == contract.DIRECTION_INBOUND and t
        ]
        #: (direction, value, decisive) -> (matches, complete): incomplete when a decisive match
        #: stopped the scan. The decisive rules are part of the key: guards with the default rules
        #: share this engine, and a scan that stops at a decisive match reports fewer findings
        self._cache: dict[tuple[str, str, frozenset[str]], tuple[list[Match], bool]] = {}

    def clear_cache(self) -> None:
        """Forget the cached results of short values (benchmarks: time scanning, not the cache)."""
        self._cache.clear()

    def compile_all(self) -> None:
        """Compile every rule now (rules are otherwise compiled on their first triggered use), and
        import the detectors."""
        self._detector_functions()
        for group in self._groups.values():
            group.compile()

    def trigger_patterns(self) -> list[tuple[str, int]]:
        """The (pattern, flags) of the groups' trigger regexes (:func:`trigger_pattern`), for the
        layer's regex recording.

        Example:
            >>> len(RuleEngine.default().trigger_patterns()) >= 2
            True
        """
        return [(g.trigger_pattern, 0) for g in self._groups.values() if g.trigger_pattern is not None]

    @classmethod
    def default(cls) -> "RuleEngine":
        """The engine with the built-in rules (compiled once per process)."""
        global _DEFAULT
        if _DEFAULT is None:
            _DEFAULT = cls(load_builtin_rules())
        return _DEFAULT

    def scan(self, value: str, direction: Direction, decisive: frozenset[str] = frozenset()) -> list[Match]:
        """Normalise ``value`` and return the matches of rules of ``direction``.

        Inbound values are normalised; a value that is entirely base64 of
        printable text is also scanned decoded; rules with a ``transform`` see
        the transformed text. At most one match per rule is returned (the first
        one that passes the rule's validator). A rule whose ``triggers`` (plain
        substrings) are all absent from the text is not run. Results for short
        values are cached (bounded), as header values repeat across requests.

        ``decisive`` names rules whose match decides the value on its own (the
        guard's blocking rules): once a stage (the patterns, then each detector)
        found one, the later stages are skipped, since they could only add
        findings to a value already blocked; a detector itself stops reading at
        the first structure of a decisive rule's kind (the findings then name
        what decided the value, not every structure it holds).
        """
        short = len(value) <= CACHE_MAX_VALUE_CHARS
        if short:
            cached = self._cache.get((direction, value, decisive))
            if cached is not None:
                matches, complete = cached
                if complete or not decisive.isdisjoint(m.rule.id for m in matches):
                    return list(matches)
        complete = True
        if direction != contract.DIRECTION_INBOUND:
            found = self._outbound.scan(value)
        else:
            found, complete = self._scan_inbound(normalize(value), decisive)
            if complete and len(value) >= 12:
                decoded = base64_text(value)
                if decoded is not None:
                    have = {m.rule.id for m in found}
                    more, complete = self._scan_inbound(normalize(decoded), decisive)
                    found.extend(m for m in more if m.rule.id not in have)
        if short:
            if len(self._cache) >= CACHE_MAX_ENTRIES:
                self._cache.clear()
            self._cache[(direction, value, decisive)] = (list(found), complete)
        return found

    def _detector_functions(self) -> list[tuple[Detect, dict[str, Rule]]]:
        """The detectors the rules name, imported on first use (cold start)."""
        if len(self._detect) != len(self._detectors):
            import importlib

            names = sorted(self._detectors, key=DETECTORS.index)
            self._detect = [
                (importlib.import_module(f"protect_lambda.detectors.{name}").detect, self._detectors[name])
                for name in names
            ]
            #: lead detector -> the order the detectors run in (see :func:`lead_detector`)
            self._orders = {
                name: (i, *(j for j in range(len(names)) if j != i)) for i, name in enumerate(names)
            }
        return self._detect

    def _scan_inbound(self, text: str, decisive: frozenset[str] = frozenset()) -> tuple[list[Match], bool]:
        """The matches of ``text`` and whether every stage ran (see :meth:`scan` for ``decisive``).

        The patterns of the categories no detector decides run first (SSRF, JNDI, XXE...: they
        are specific), then the detectors (an attack is usually decided by one of them, which
        spares the rest), then the patterns of the detectors' categories (keywords that add to a
        detector's weaker findings), then the transformed patterns.
        """
        found = self._inbound.scan(text)
        if found and decisive and not decisive.isdisjoint([m.rule.id for m in found]):
            return found, False
        if self._detectors:
            detectors = self._detector_functions()
            stops = self._stops.get(decisive)
            if stops is None:
                stops = self._stops[decisive] = tuple(
                    frozenset(kind for kind, rule in kinds.items() if rule.id in decisive) for _, kinds in detectors)
            order: Sequence[int] | None = self._orders.get(lead_detector(text)) if decisive else None
            if order is None:
                order = range(len(detectors))
            per: dict[int, list[Match]] = {}  # detector index -> its matches (most values: none)
            for index in order:
                detect, kinds = detectors[index]
                spans = _detect_bounded(detect, text, stops[index])
                if not spans:
                    continue
                decided = False
                hits = per[index] = []
                for kind, start, end in spans:
                    rule = kinds.get(kind)
                    if rule is not None:
                        hits.append(Match(rule, text, start, end))
                        decided = decided or rule.id in decisive
                if decided:  # reported in the default order of the detectors, whatever ran first
                    return found + _first_per_rule([m for i in sorted(per) for m in per[i]]), False
            if per:
                found = found + _first_per_rule([m for i in sorted(per) for m in per[i]])
        after = self._inbound_after.scan(text)
        if after:
            found.extend(after)
            if decisive and not decisive.isdisjoint([m.rule.id for m in after]):
                return found, False
        for transform, group in self._transformed:
            changed = transform(text)
            if changed != text:
                have = {m.rule.id for m in found}
                found.extend(m for m in group.scan(changed) if m.rule.id not in have)
        return found, True

    def scan_normalized(self, text: str, direction: Direction) -> list[Match]:
        """Like :meth:`scan` on text that is already normalised for ``direction`` (no base64 variant, no cache)."""
        if direction == contract.DIRECTION_INBOUND:
            return self._scan_inbound(text)[0]
        return self._outbound.scan(text)
