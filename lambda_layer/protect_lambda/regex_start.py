"""Where a regex's match can start, so that ``re`` skips the other positions quickly.

``Pattern.search`` tries the whole pattern at every position of the text unless the
pattern starts with a plain character or character class, which the C engine looks for
first. Many rule and detector patterns start with a lookbehind (``(?<![\\w.])\\.\\.``), a
word boundary (``\\b(?:union|select)``), an optional part or an alternation of such: at
every position the engine then enters each alternative and its assertions before failing.

:func:`searchable` puts a lookahead of the characters a match can start with in front of
such a pattern (``(?=[./\\\\])(?:...)``): a position whose character cannot start a match
fails at one class test. The match, its span and its groups are unchanged, since every
match starts with one of those characters; a pattern whose start is already one character
test, that is anchored at ``^`` or that can match the empty string is returned as it is.
The layer's recording (:mod:`protect_lambda.regex_cache`) stores the rewritten pattern, so
the analysis (a parse of the pattern) runs at build time, not at a cold start.

Example:
    >>> print(searchable(r"(?<![\\w.])\\.{2}/|\\bunion\\b"))
    (?=[\\x2eu])(?:(?<![\\w.])\\.{2}/|\\bunion\\b)
    >>> print(searchable(r"union\\s+select"))  # starts with a plain character: left as it is
    union\\s+select
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final

#: A class holding more characters than this is not worth a lookahead (it passes too often).
MAX_START_CHARS: Final = 40
#: Widest character range of a class that is expanded into its characters.
_MAX_RANGE: Final = 128


def _sre() -> tuple[Any, Any] | None:
    """``re``'s parser and constants modules (their names changed in Python 3.11)."""
    try:
        from re import _constants, _parser  # Python 3.11+

        return _parser, _constants
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import sre_constants
            import sre_parse

            return sre_parse, sre_constants
        except ImportError:
            return None


class _Unknown(Exception):
    """The start of a pattern is not a known set of characters."""


def _starts(seq: Any, k: Any) -> tuple[set[str], bool]:
    """The characters a match of the parsed sequence ``seq`` can start with, and whether it can be empty."""
    chars: set[str] = set()
    for op, av in seq:
        first, empty = _starts_op(op, av, k)
        chars |= first
        if not empty:
            return chars, False
    return chars, True


def _starts_op(op: Any, av: Any, k: Any) -> tuple[set[str], bool]:
    if op is k.LITERAL:
        return {chr(av)}, False
    if op is k.IN:
        chars: set[str] = set()
        for item, arg in av:
            if item is k.LITERAL:
                chars.add(chr(arg))
            elif item is k.RANGE and arg[1] - arg[0] <= _MAX_RANGE:
                chars.update(map(chr, range(arg[0], arg[1] + 1)))
            else:  # a negated class, a category (\w, \d), a wide range
                raise _Unknown
        return chars, False
    if op is k.BRANCH:
        chars, empty = set(), False
        for alternative in av[1]:
            first, can_be_empty = _starts(alternative, k)
            chars |= first
            empty = empty or can_be_empty
        return chars, empty
    if op is k.SUBPATTERN:
        if av[1] or av[2]:  # local flags, (?i:...): their letters would need their own test
            raise _Unknown
        return _starts(av[3], k)
    if op in (k.MAX_REPEAT, k.MIN_REPEAT, getattr(k, "POSSESSIVE_REPEAT", None)):
        chars, empty = _starts(av[2], k)
        return chars, empty or av[0] == 0
    if op is getattr(k, "ATOMIC_GROUP", None):
        return _starts(av, k)
    if op in (k.AT, k.ASSERT, k.ASSERT_NOT):  # zero width: what follows starts the match
        return set(), True
    raise _Unknown  # any character, a back reference...


def _one_test(seq: Any, k: Any) -> bool:
    """Whether a position fails the parsed sequence ``seq`` at one character test (or a few)."""
    if not seq:
        return False
    op, av = seq[0]
    if op in (k.LITERAL, k.NOT_LITERAL, k.IN, k.ANY):
        return True
    if op is k.SUBPATTERN:
        return _one_test(av[3], k)
    if op is k.BRANCH:
        return all(_one_test(alternative, k) for alternative in av[1])
    if op in (k.MAX_REPEAT, k.MIN_REPEAT, getattr(k, "POSSESSIVE_REPEAT", None)):
        return bool(av[0]) and _one_test(av[2], k)
    return False


def _parsed(pattern: str, flags: int) -> tuple[Any, Any] | None:
    """``pattern``'s parsed sequence and ``re``'s constants; None when it does not parse or sets global
    flags inline (``(?i)`` must stay first, and its letters would need their other case)."""
    modules = _sre()
    if modules is None:
        return None
    parser, k = modules
    try:
        parsed = parser.parse(pattern, flags)
    except re.error:
        return None
    if parsed.state.flags & ~flags & ~re.UNICODE:
        return None
    return parsed.data, k


def _start_set(data: Any, k: Any) -> frozenset[str] | None:
    try:
        chars, empty = _starts(data, k)
    except _Unknown:
        return None
    return None if empty or not chars else frozenset(chars)


def start_chars(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """The characters every match of ``pattern`` starts with (under ``re.IGNORECASE``, in either case),
    or None when that is not a list of characters (a match may be empty, start with any character or
    a class such as ``\\w``, or follow local flags).

    Example:
        >>> sorted(start_chars(r"\\b(?:gopher|dict)://"))
        ['d', 'g']
    """
    parsed = _parsed(pattern, flags)
    return None if parsed is None else _start_set(*parsed)


def searchable(pattern: str, flags: int = 0) -> str:
    """``pattern`` behind a lookahead of the characters its matches start with, when its start is more
    than one character test and those characters are few (see the module docstring); else ``pattern``.
    """
    parsed = None if flags & re.VERBOSE else _parsed(pattern, flags)  # VERBOSE: a comment would end it
    if parsed is None:
        return pattern
    data, k = parsed
    if not data or _one_test(data, k) or (data[0][0] is k.AT and data[0][1] in (k.AT_BEGINNING, k.AT_BEGINNING_STRING)):
        return pattern
    chars = _start_set(data, k)
    if chars is None or len(chars) > MAX_START_CHARS:
        return pattern
    cls = "".join(c if c.isascii() and c.isalnum() else f"\\x{ord(c):02x}" if ord(c) < 0x100
                  else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}" for c in sorted(chars))
    return f"(?=[{cls}])(?:{pattern})"
