"""Locations: where in an event a finding was made, and exclusions scoped to them.

A finding's location names the value it was made in, in one syntax for every
source: keys joined by ``.``, list indices in brackets, and a suffix for what is
not a value itself::

    queryStringParameters.q           a query parameter
    headers.user-agent                a header (names lower-cased)
    cookies.session                   a cookie
    pathParameters.id                 a path parameter
    rawPath[2] / path[2]              a segment of the request path (0: the first after "/")
    body.commits[0].message           a field of a JSON (or form) body
    Records[3].body.order.note        a field of a batch record (SQS body, ...)
    Records[0].Sns.Message.text       SNS; detail.user.name for EventBridge
    records[4].value.note             Kafka (records numbered across partitions)
    body.name#key                     the key itself, not its value

An exclusion turns a rule, or a whole category, off (or to monitor) at one
location and everything under it: ``[*]`` stands for any index and ``*`` for any
one key. A record's location becomes an exclusion by replacing its indices with
``[*]`` (``body.commits[0].message`` → ``body.commits[*].message``).

Example:
    >>> ex = Exclusion.from_dict({"category": "sqli", "location": "body.commits[*].message"})
    >>> ex.covers("sqli-101", "sqli", "body.commits[12].message"), ex.covers("sqli-101", "sqli", "body.title")
    (True, False)
"""

from __future__ import annotations

import re

from protect_lambda._record import FrozenRecord, _init

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final, Mapping

#: What an exclusion may set.
EXCLUSION_ACTIONS: Final = ("off", "monitor")
#: One segment of a location pattern: a key (``*`` for any), then indices (``[3]`` / ``[*]``).
_SEGMENT: Final = re.compile(r"(\*|[^.\[\]*#]+)((?:\[(?:\*|\d{1,9})\])*)")
_INDEX: Final = re.compile(r"\[(\*|\d{1,9})\]")
#: The most segments a location pattern may have.
MAX_SEGMENTS: Final = 32


class LocationError(ValueError):
    """A location pattern is malformed (the message says where and how to write it)."""


def location_regex(pattern: str) -> re.Pattern[str]:
    """The regex matching the locations ``pattern`` covers: itself and everything under it.

    Example:
        >>> bool(location_regex("headers.x-*").match("headers.x-*"))
        True
        >>> bool(location_regex("body.items[*]").match("body.items[3].name#key"))
        True
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise LocationError("location: must be a non-empty string such as 'body.items[*].name'")
    text = pattern.strip()
    suffix = ""
    if text.endswith("#key"):
        text, suffix = text[: -len("#key")], re.escape("#key")
    parts = text.split(".")
    if len(parts) > MAX_SEGMENTS:
        raise LocationError(f"location {pattern!r}: at most {MAX_SEGMENTS} segments")
    out: list[str] = []
    for part in parts:
        m = _SEGMENT.fullmatch(part)
        if m is None:
            raise LocationError(
                f"location {pattern!r}: segment {part!r} is not a key with optional [n] / [*] indices; "
                "write keys joined by '.', e.g. 'body.commits[*].message', 'headers.user-agent', 'rawPath[*]'")
        key, indices = m.group(1), m.group(2)
        piece = r"[^.\[#]+" if key == "*" else re.escape(key)
        for index in _INDEX.findall(indices):
            piece += r"\[\d+\]" if index == "*" else re.escape(f"[{index}]")
        out.append(piece)
    tail = suffix if suffix else r"(?:[.\[#].*)?"
    return re.compile(r"\.".join(out) + tail + r"\Z", re.DOTALL)


class Exclusion(FrozenRecord):
    """A rule (``rule``) or a category (``category``) turned ``off`` or to ``monitor`` at ``location``."""

    __slots__ = _fields = ("rule", "category", "location", "action", "_regex")
    rule: str
    category: str
    location: str
    action: str
    _regex: re.Pattern[str]

    def __init__(self, rule: str, category: str, location: str, action: str = "off") -> None:
        _init(self, rule, category, location, action, location_regex(location))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exclusion:
        """Validate one exclusion (``{"rule" | "category": ..., "location": ..., "action": ...}``)."""
        if not isinstance(data, dict) and not hasattr(data, "get"):
            raise LocationError(f"exclusion must be an object, got {type(data).__name__}")
        rule, category = data.get("rule"), data.get("category")
        if (rule is None) == (category is None):
            raise LocationError("exclusion: give either 'rule' (a rule id) or 'category', not both")
        named = rule if rule is not None else category
        if not isinstance(named, str) or not named.strip():
            raise LocationError("exclusion: 'rule' / 'category' must be a non-empty string")
        action = data.get("action", "off")
        if action not in EXCLUSION_ACTIONS:
            raise LocationError(f"exclusion: 'action' must be one of {', '.join(EXCLUSION_ACTIONS)}, got {action!r}")
        unknown = sorted(set(data) - {"rule", "category", "location", "action"})
        if unknown:
            raise LocationError(f"exclusion: unknown key {unknown[0]!r}; allowed: rule, category, location, action")
        return cls(rule or "", category or "", str(data.get("location", "")), action)

    def covers(self, rule_id: str, category: str, location: str) -> bool:
        """Whether a finding of ``rule_id`` (of ``category``) at ``location`` is excluded."""
        if (self.rule and self.rule != rule_id) or (self.category and self.category != category):
            return False
        return self._regex.match(location) is not None

    def to_dict(self) -> dict[str, str]:
        """The exclusion as configuration (JSON) holds it."""
        named = {"rule": self.rule} if self.rule else {"category": self.category}
        return {**named, "location": self.location, "action": self.action}


def path_segment(location: str, text: str, start: int) -> str:
    """``rawPath[n]`` / ``path[n]`` for a finding at ``start`` of a request path, else ``location``.

    Example:
        >>> path_segment("rawPath", "/users/../../etc/passwd", 7)
        'rawPath[1]'
    """
    if location not in ("rawPath", "path"):
        return location
    before = text[:start]
    return f"{location}[{max(before.count('/') - (1 if text.startswith('/') else 0), 0)}]"
