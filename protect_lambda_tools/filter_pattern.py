"""An evaluator of CloudWatch Logs filter patterns (metric and subscription filters).

It answers, without AWS, the question "would this metric filter count this log
event?", so that a Violation record printed by the guard can be checked against
the pattern the construct deploys. Pure standard library, Python 3.10+.

Supported syntax:

* the empty pattern (or only blanks): matches every event;
* JSON patterns ``{ ... }``: selectors ``$.a.b``, ``$.a[0]``, ``$.a[0][1].b``;
  ``=``/``!=`` with a string (quoted or bare, ``*`` wildcards anywhere, or a
  ``%regex%``); ``= != < > <= >=`` with a number; ``IS TRUE``, ``IS FALSE``,
  ``IS NULL``, ``NOT EXISTS``; ``&&`` (binds tighter), ``||`` and parentheses;
* term patterns: ``ERROR``, ``"exact phrase"``, ``-excluded``, ``?any ?of``;
  terms are case-sensitive substrings of the event (AWS's own example: ``ERROR``
  matches ``Exiting with ERRORCODE: -1``); an unquoted term may hold only
  letters, digits and ``_``, as AWS requires;
* a standalone regular expression ``%regex%`` (CloudWatch's subset: no groups).

Space-delimited patterns (``[w1, w2 = 400, ...]``) raise
:class:`FilterPatternError`, as does any syntax outside the list above.

Decisions where AWS's documentation is silent (conservative: "no match"):

* a JSON pattern needs the *whole* log event to be a JSON object; any other line
  matches no JSON pattern, not even ``NOT EXISTS``;
* a comparison on a missing field is false, for ``!=`` too (use ``NOT EXISTS``);
* types must agree: a string value never equals a number field nor the reverse
  (a lone ``*`` matches any existing value: CDK's ``FilterPattern.exists``),
  a number never compares with a string, and booleans only match ``IS TRUE/FALSE``.

Example:
    >>> matches('{ $.event = "Violation" }', '{"event": "Violation", "severity": "high"}')
    True
    >>> FilterPattern.parse('{ $.latency > 100 && $.path = "/api/*" }').matches(
    ...     '{"latency": 250, "path": "/api/users"}')
    True
    >>> matches('{ $.event = "Violation" }', 'START RequestId: 1 Version: $LATEST')
    False
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FilterPattern", "FilterPatternError", "matches"]


class FilterPatternError(ValueError):
    """A pattern this evaluator cannot parse: invalid, or valid but unsupported.

    Example:
        >>> try:
        ...     FilterPattern.parse("{ $.a = }")
        ... except FilterPatternError as error:
        ...     print(error)
        expected a value after '=' at offset 8 in '{ $.a = }'
    """


# --- JSON selectors -------------------------------------------------------------

_MISSING = object()

#: One step of a selector: a key (str) or an array index (int).
_Step = str | int


@dataclass(frozen=True)
class _Selector:
    steps: tuple[_Step, ...]
    text: str

    def resolve(self, document: object) -> object:
        value = document
        for step in self.steps:
            if isinstance(step, str):
                if not isinstance(value, dict) or step not in value:
                    return _MISSING
                value = value[step]
            else:
                if not isinstance(value, list) or step >= len(value):
                    return _MISSING
                value = value[step]
        return value


_SELECTOR_RE = re.compile(r"\$((?:\.[A-Za-z0-9_@\-]+(?:\[\d+\])*)+)")
_STEP_RE = re.compile(r"\.([A-Za-z0-9_@\-]+)|\[(\d+)\]")


def _parse_selector(text: str) -> _Selector:
    steps: list[_Step] = []
    for key, index in _STEP_RE.findall(text[1:]):
        steps.append(key if key else int(index))
    return _Selector(tuple(steps), text)


# --- JSON expressions --------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class _StringTest:
    """``selector = value`` / ``selector != value`` on a string (wildcards or regex)."""

    selector: _Selector
    negate: bool
    regex: re.Pattern[str]
    any_value: bool  # the value is a lone "*": matches any existing value

    def evaluate(self, document: object) -> bool:
        value = self.selector.resolve(document)
        if value is _MISSING:
            return False
        if self.any_value:
            return not self.negate
        if not isinstance(value, str):
            return False
        found = self.regex.fullmatch(value) is not None
        return found != self.negate


@dataclass(frozen=True)
class _RegexTest:
    """``selector = %regex%`` / ``!=``: the regex is searched within the string."""

    selector: _Selector
    negate: bool
    regex: re.Pattern[str]

    def evaluate(self, document: object) -> bool:
        value = self.selector.resolve(document)
        if not isinstance(value, str):
            return False
        return (self.regex.search(value) is not None) != self.negate


_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class _NumberTest:
    selector: _Selector
    op: str
    number: float

    def evaluate(self, document: object) -> bool:
        value = self.selector.resolve(document)
        if not _is_number(value):
            return False
        assert isinstance(value, (int, float))
        if isinstance(value, float) and math.isnan(value):
            return False
        return _NUMERIC_OPS[self.op](value, self.number)


@dataclass(frozen=True)
class _ConstantTest:
    """``IS TRUE``, ``IS FALSE``, ``IS NULL``."""

    selector: _Selector
    constant: object  # True, False or None

    def evaluate(self, document: object) -> bool:
        value = self.selector.resolve(document)
        return value is self.constant


@dataclass(frozen=True)
class _NotExists:
    selector: _Selector

    def evaluate(self, document: object) -> bool:
        return self.selector.resolve(document) is _MISSING


@dataclass(frozen=True)
class _And:
    left: _Expr
    right: _Expr

    def evaluate(self, document: object) -> bool:
        return self.left.evaluate(document) and self.right.evaluate(document)


@dataclass(frozen=True)
class _Or:
    left: _Expr
    right: _Expr

    def evaluate(self, document: object) -> bool:
        return self.left.evaluate(document) or self.right.evaluate(document)


_Expr = _StringTest | _RegexTest | _NumberTest | _ConstantTest | _NotExists | _And | _Or


# --- the JSON-pattern parser ---------------------------------------------------------

_NUMBER_RE = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BARE_RE = re.compile(r"[^\s()&|{}\"%]+")
_OPERATOR_RE = re.compile(r"!=|<=|>=|=|<|>")
_KEYWORD_RE = re.compile(r"(IS\s+TRUE|IS\s+FALSE|IS\s+NULL|NOT\s+EXISTS)\b", re.IGNORECASE)
#: Characters CloudWatch allows inside a %regex% (letters, digits, its symbol and
#: operator sets); parentheses are not among them.
_REGEX_ALLOWED = re.compile(r"[A-Za-z0-9_#=@/;,\-:^$?\[\]{}|\\*+. ']*")


def _wildcard_regex(value: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in value.split("*")), re.DOTALL)


def _compile_user_regex(body: str, pattern: str) -> re.Pattern[str]:
    if not body:
        raise FilterPatternError(f"empty regular expression in {pattern!r}")
    if _REGEX_ALLOWED.fullmatch(body) is None or "(" in body or ")" in body:
        raise FilterPatternError(
            f"unsupported character in regular expression %{body}% "
            "(CloudWatch allows letters, digits, _#=@/;,-: and ^$?[]{}|\\*+. , no groups)"
        )
    try:
        return re.compile(body)
    except re.error as error:
        raise FilterPatternError(f"invalid regular expression %{body}%: {error}") from None


class _JsonParser:
    """Recursive descent over the text between the braces of a JSON pattern."""

    def __init__(self, pattern: str, start: int, end: int) -> None:
        self.pattern = pattern
        self.pos = start
        self.end = end

    def fail(self, message: str) -> FilterPatternError:
        return FilterPatternError(f"{message} at offset {self.pos} in {self.pattern!r}")

    def skip_blanks(self) -> None:
        while self.pos < self.end and self.pattern[self.pos].isspace():
            self.pos += 1

    def peek(self, token: str) -> bool:
        self.skip_blanks()
        return self.pattern.startswith(token, self.pos) and self.pos + len(token) <= self.end

    def parse(self) -> _Expr:
        expr = self.parse_or()
        self.skip_blanks()
        if self.pos != self.end:
            raise self.fail(f"unexpected {self.pattern[self.pos:self.end]!r}")
        return expr

    def parse_or(self) -> _Expr:
        expr = self.parse_and()
        while self.peek("||"):
            self.pos += 2
            expr = _Or(expr, self.parse_and())
        return expr

    def parse_and(self) -> _Expr:
        expr = self.parse_unary()
        while self.peek("&&"):
            self.pos += 2
            expr = _And(expr, self.parse_unary())
        return expr

    def parse_unary(self) -> _Expr:
        if self.peek("("):
            self.pos += 1
            expr = self.parse_or()
            if not self.peek(")"):
                raise self.fail("expected ')'")
            self.pos += 1
            return expr
        return self.parse_comparison()

    def parse_comparison(self) -> _Expr:
        self.skip_blanks()
        match = _SELECTOR_RE.match(self.pattern, self.pos, self.end)
        if match is None:
            if self.pattern.startswith("$", self.pos):
                raise self.fail("unsupported selector (use $.key, $.a.b, $.a[0])")
            raise self.fail("expected a selector such as $.field")
        selector = _parse_selector(match.group(0))
        self.pos = match.end()
        self.skip_blanks()
        keyword = _KEYWORD_RE.match(self.pattern, self.pos, self.end)
        if keyword is not None:
            self.pos = keyword.end()
            word = " ".join(keyword.group(1).upper().split())
            if word == "NOT EXISTS":
                return _NotExists(selector)
            constant = {"IS TRUE": True, "IS FALSE": False, "IS NULL": None}[word]
            return _ConstantTest(selector, constant)
        operator = _OPERATOR_RE.match(self.pattern, self.pos, self.end)
        if operator is None:
            raise self.fail(f"expected an operator or IS/NOT EXISTS after {selector.text}")
        op = operator.group(0)
        self.pos = operator.end()
        self.skip_blanks()
        return self.parse_value(selector, op)

    def parse_value(self, selector: _Selector, op: str) -> _Expr:
        if self.pos >= self.end:
            raise self.fail(f"expected a value after {op!r}")
        char = self.pattern[self.pos]
        if char == '"':
            text = self.parse_quoted()
            return self.string_test(selector, op, text)
        if char == "%":
            closing = self.pattern.find("%", self.pos + 1, self.end)
            if closing < 0:
                raise self.fail("unterminated regular expression")
            body = self.pattern[self.pos + 1 : closing]
            self.pos = closing + 1
            if op not in ("=", "!="):
                raise self.fail(f"a regular expression needs '=' or '!=', not {op!r}")
            return _RegexTest(selector, op == "!=", _compile_user_regex(body, self.pattern))
        number = _NUMBER_RE.match(self.pattern, self.pos, self.end)
        bare = _BARE_RE.match(self.pattern, self.pos, self.end)
        if bare is None:
            raise self.fail(f"expected a value after {op!r}")
        if number is not None and number.end() == bare.end():
            self.pos = number.end()
            text = number.group(0)
            value = float(text) if any(c in text for c in ".eE") else int(text)
            return _NumberTest(selector, op, value)
        self.pos = bare.end()
        word = bare.group(0)
        if word.lower() in ("true", "false", "null"):
            raise self.fail(f"use 'IS {word.upper()}' to test for {word}")
        return self.string_test(selector, op, word)

    def parse_quoted(self) -> str:
        chars: list[str] = []
        index = self.pos + 1
        while index < self.end:
            char = self.pattern[index]
            if char == "\\" and index + 1 < self.end:
                chars.append(self.pattern[index + 1])
                index += 2
                continue
            if char == '"':
                self.pos = index + 1
                return "".join(chars)
            chars.append(char)
            index += 1
        raise self.fail("unterminated string")

    def string_test(self, selector: _Selector, op: str, text: str) -> _Expr:
        if op not in ("=", "!="):
            raise self.fail(f"a string value needs '=' or '!=', not {op!r}")
        return _StringTest(selector, op == "!=", _wildcard_regex(text), text == "*")


# --- term patterns ----------------------------------------------------------------


@dataclass(frozen=True)
class _Terms:
    required: tuple[str, ...]
    excluded: tuple[str, ...]
    optional: tuple[str, ...]  # the ?term alternatives: at least one must appear

    def matches(self, event: str) -> bool:
        if any(term in event for term in self.excluded):
            return False
        if self.optional and not any(term in event for term in self.optional):
            return False
        return all(term in event for term in self.required)


#: What CloudWatch accepts as an unquoted term; anything else must be quoted.
_BARE_TERM_RE = re.compile(r"[A-Za-z0-9_]+")
_TERM_RE = re.compile(r'\s*([-?]?)(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))')


def _parse_terms(pattern: str) -> _Terms:
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    pos = 0
    text = pattern.rstrip()
    while pos < len(text):
        match = _TERM_RE.match(text, pos)
        if match is None:
            raise FilterPatternError(f"unterminated quoted term at offset {pos} in {pattern!r}")
        prefix, quoted, bare = match.groups()
        if quoted is not None:
            term = re.sub(r"\\(.)", r"\1", quoted)
        else:
            term = bare
            if _BARE_TERM_RE.fullmatch(term) is None:
                raise FilterPatternError(
                    f"term {term!r} has characters other than letters, digits and '_': "
                    "enclose it in double quotes"
                )
        if not term:
            raise FilterPatternError(f"empty term at offset {pos} in {pattern!r}")
        {"": required, "-": excluded, "?": optional}[prefix].append(term)
        pos = match.end()
    if optional and (required or excluded):
        raise FilterPatternError(
            f"mixing ?term alternatives with other terms is not supported: {pattern!r}"
        )
    return _Terms(tuple(required), tuple(excluded), tuple(optional))


# --- the public API -----------------------------------------------------------------


@dataclass(frozen=True)
class _Json:
    expr: _Expr

    def matches(self, event: str) -> bool:
        text = event.strip()
        if not text.startswith("{"):
            return False
        try:
            document = json.loads(text)
        except ValueError:
            return False
        return isinstance(document, dict) and self.expr.evaluate(document)


@dataclass(frozen=True)
class _Regex:
    regex: re.Pattern[str]

    def matches(self, event: str) -> bool:
        return self.regex.search(event) is not None


@dataclass(frozen=True)
class _Everything:
    def matches(self, event: str) -> bool:
        return True


_Matcher = _Json | _Regex | _Terms | _Everything


@dataclass(frozen=True)
class FilterPattern:
    """A parsed filter pattern; :meth:`parse` it once, then :meth:`matches` many events.

    ``kind`` is one of ``"all"`` (empty pattern), ``"json"``, ``"regex"``, ``"terms"``.

    Example:
        >>> fp = FilterPattern.parse('?ERROR ?WARN')
        >>> fp.kind, fp.matches('[WARN] disk 91% full'), fp.matches('INFO ok')
        ('terms', True, False)
    """

    source: str
    kind: str
    _matcher: _Matcher

    @classmethod
    def parse(cls, pattern: str) -> FilterPattern:
        """Parse ``pattern``; raise :class:`FilterPatternError` if it is invalid or unsupported.

        Example:
            >>> FilterPattern.parse('{ $.a IS TRUE }').kind
            'json'
        """
        text = pattern.strip()
        if not text:
            return cls(pattern, "all", _Everything())
        if text.startswith("{"):
            if not text.endswith("}"):
                raise FilterPatternError(f"a JSON pattern must end with '}}': {pattern!r}")
            start = pattern.index("{") + 1
            end = pattern.rindex("}")
            return cls(pattern, "json", _Json(_JsonParser(pattern, start, end).parse()))
        if text.startswith("["):
            raise FilterPatternError(
                f"space-delimited patterns ([...]) are not supported: {pattern!r}"
            )
        if len(text) >= 2 and text.startswith("%") and text.endswith("%"):
            return cls(pattern, "regex", _Regex(_compile_user_regex(text[1:-1], pattern)))
        return cls(pattern, "terms", _parse_terms(text))

    def matches(self, log_event: str) -> bool:
        """Whether CloudWatch Logs would match ``log_event`` (one log message) with this pattern.

        Example:
            >>> FilterPattern.parse('ERROR -Retrying').matches('ERROR Retrying in 5s')
            False
        """
        return self._matcher.matches(log_event)

    def __str__(self) -> str:
        return self.source


def matches(pattern: str, log_event: str) -> bool:
    """Parse ``pattern`` and tell whether it matches ``log_event``.

    Raises :class:`FilterPatternError` for a pattern it cannot evaluate.

    Example:
        >>> matches('{ $.user.id = 1 && $.tags[0] = "adm*" }', '{"user": {"id": 1}, "tags": ["admin"]}')
        True
    """
    return FilterPattern.parse(pattern).matches(log_event)
