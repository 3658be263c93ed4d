"""The searchable form of a pattern finds exactly the matches the pattern finds (regex_start)."""

from __future__ import annotations

import importlib
import random
import re

import pytest

from protect_lambda import detectors
from protect_lambda.engine import DETECTORS, load_builtin_rules, rule_flags
from protect_lambda.normalize import normalize
from protect_lambda.regex_start import MAX_START_CHARS, searchable, start_chars
from tests.detection.rule_examples import EXAMPLES

for _name in DETECTORS:  # importing a detector lists its patterns in detectors.PATTERNS
    importlib.import_module(f"protect_lambda.detectors.{_name}")
RULES = load_builtin_rules()
PATTERNS = sorted({(r.pattern, rule_flags(r)) for r in RULES if r.pattern} | set(detectors.PATTERNS))
REWRITTEN = [(p, f) for p, f in PATTERNS if searchable(p, f) != p]
TEXTS = [t for positives, negatives in EXAMPLES.values() for t in (*positives, *negatives)]


def _strings(pattern: str, seed: int, count: int = 400) -> list[str]:
    """Random strings of the pattern's own characters, their other case, blanks and separators,
    with the rule examples spliced in: the places where a start test could go wrong."""
    rng = random.Random(seed)
    alphabet = sorted({*pattern, *pattern.upper(), " ", "\n", "/", ".", "'", "\u212a", "\u017f", "\u0130"})
    out = [normalize(t) for t in TEXTS] + TEXTS
    for _ in range(count):
        parts = [rng.choice(alphabet) for _ in range(rng.randrange(0, 40))]
        if rng.random() < 0.3:
            parts.insert(rng.randrange(0, len(parts) + 1), rng.choice(TEXTS))
        out.append("".join(parts))
    return out


def _matches(rx: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in rx.finditer(text)]


def test_some_patterns_are_rewritten() -> None:
    """The rewrite applies to rules and detectors both (else this test checks nothing)."""
    rule_patterns = {r.pattern for r in RULES}
    assert sum(p in rule_patterns for p, _ in REWRITTEN) >= 10
    assert sum(p not in rule_patterns for p, _ in REWRITTEN) >= 10


@pytest.mark.parametrize("pattern, flags", REWRITTEN, ids=[p[:40] for p, _ in REWRITTEN])
def test_rewritten_pattern_finds_the_same_matches(pattern: str, flags: int) -> None:
    original, rewritten = re.compile(pattern, flags), re.compile(searchable(pattern, flags), flags)
    assert rewritten.groups == original.groups and rewritten.groupindex == original.groupindex
    for text in _strings(pattern, seed=len(pattern)):
        assert _matches(rewritten, text) == _matches(original, text), text
        assert bool(rewritten.match(text)) == bool(original.match(text)), text
        assert bool(rewritten.fullmatch(text)) == bool(original.fullmatch(text)), text


def test_start_chars() -> None:
    assert start_chars(r"\b(?:gopher|dict)://") == frozenset("dg")
    assert start_chars(r"(?<![\w.])\.{2,8}[/\\]|[/\\]\.\.") == frozenset("./\\")
    assert start_chars(r"(?:aws)?_?key") == frozenset("a_k")  # optional parts add their start
    assert start_chars(r"x?") is None  # may be empty
    assert start_chars(r"\w+") is None and start_chars(r"[^a]b") is None and start_chars(r".a") is None
    assert start_chars(r"(?i:k)ey") is None  # local flags: 'K' and the Kelvin sign start it too
    assert start_chars(r"(a)\1") == frozenset("a")
    assert start_chars("[") is None  # not a pattern
    assert start_chars(r"(?i)key") is None  # global flags: K and the Kelvin sign start it too


@pytest.mark.parametrize("pattern, flags", [
    (r"union\s+select", 0),  # starts with a character: re looks for it already
    (r"[;|]\s*id", 0),  # starts with a class
    (r"(?:'|\")\s*or", 0),  # alternatives that each start with one character test
    (r"^(?:\w{0,3})?secret", 0),  # anchored at the start: re tries one position
    (r"(?<!\w)x?", 0),  # may be empty
    (r"(?<!\w)\w+", 0),  # starts with any word character
    (r"(?i)\bselect", 0),  # global inline flags must stay first
    (r"\bselect # the keyword", re.VERBOSE),  # a comment would swallow the closing bracket
    (r"\b[a-z0-9_.:;-]{2}", 0),  # 41 start characters: the lookahead would pass too often
])
def test_patterns_left_as_they_are(pattern: str, flags: int) -> None:
    assert searchable(pattern, flags) == pattern


def test_start_characters_up_to_the_limit_are_rewritten() -> None:
    assert MAX_START_CHARS == 40
    assert searchable(r"\b[a-z0-9_.:-]{2}") == r"(?=[\x2d\x2e0123456789\x3a\x5fabcdefghijklmnopqrstuvwxyz])(?:\b[a-z0-9_.:-]{2})"


def test_rewrite_keeps_case_folding_and_escapes_every_character() -> None:
    pattern = r"(?<![a-z])(?:select|\u212a!|\U0001f600x|-\])"
    rewritten = searchable(pattern, re.IGNORECASE)
    assert rewritten.startswith(r"(?=[\x2ds\u212a\U0001f600])")
    rx, original = re.compile(rewritten, re.IGNORECASE), re.compile(pattern, re.IGNORECASE)
    for text in ("SELECT", "x SeLeCt", "\u212a!", "k!", "K!", "\U0001f600X", "-]", "\u017felect"):
        assert _matches(rx, text) == _matches(original, text), text
    assert rx.search("k!") and rx.search("\u017felect")  # re folds K to the Kelvin sign, s to long s
