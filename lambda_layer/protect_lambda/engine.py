"""The rule engine: matches strings against compiled rules.

INTERFACE SKELETON (to be implemented). The names and signatures below are the
interface the rest of the guard (adapters, wrapper, Guard, CLI) and the
construct (synth-time validation of custom rules) rely on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence

Direction = Literal["inbound", "outbound"]


class RuleError(ValueError):
    """A rule definition is invalid (message names the rule id and the field)."""


@dataclass(frozen=True)
class Rule:
    """One detection rule, loaded from data.

    Example:
        >>> Rule.from_dict({"id": "custom-001", "category": "custom", "direction": "inbound",
        ...                 "severity": "high", "description": "forbidden word",
        ...                 "pattern": "forbidden"}).id
        'custom-001'
    """

    id: str
    category: str
    direction: Direction
    severity: str
    description: str
    pattern: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Rule":
        raise NotImplementedError


@dataclass(frozen=True)
class Match:
    """A rule hit inside one scanned string.

    ``text`` is the (normalised) string the rule matched in and ``start``/``end``
    the span of the match inside it; the violation record builds its redacted
    excerpt from these and never copies the span itself.
    """

    rule: Rule
    text: str
    start: int
    end: int


class RuleEngine:
    """Compiled rules; scans one string at a time."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        raise NotImplementedError

    @classmethod
    def default(cls) -> "RuleEngine":
        """The engine with the built-in rules (compiled once per process)."""
        raise NotImplementedError

    def scan(self, value: str, direction: Direction) -> list[Match]:
        """Normalise ``value`` and return the matches of rules of ``direction``."""
        raise NotImplementedError
