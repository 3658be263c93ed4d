"""Translate a Python ``re`` pattern into regexp2 syntax that matches exactly the same strings.

The proxy's Go engine (github.com/dlclark/regexp2, .NET syntax, backtracking, lookaround and
back-references like Python's) differs from Python in what ``\\w``, ``\\s``, ``\\d``, ``\\b``,
``\\Z`` and case-insensitive matching mean. This module parses a pattern with Python's own
parser (``re._parser``) and writes every character class out as explicit code-point ranges
computed by *this* interpreter's ``re`` engine, so the Go side carries no Unicode tables of
its own: the Unicode version is the one of the Python that generated the tables.

    >>> translate(r"\\bab\\Z", 0)[:9]
    '(?:(?<=['
    >>> translate(r"[^a]", 0)
    '[\\\\u0000-\\\\u0060\\\\u0062-\\U0010ffff]'

Only what the guard's patterns use is supported; anything else raises ``Unsupported``.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    from re import _constants as C  # noqa: PLC2701 - the parser's own opcodes
    from re import _parser as P  # noqa: PLC2701
else:  # Python 3.10: the same modules under their old names
    import sre_constants as C
    import sre_parse as P

#: Opcodes of Python 3.11 (atomic groups, possessive repeats) that 3.10 does not have.
_POSSESSIVE_REPEAT: Any = getattr(C, "POSSESSIVE_REPEAT", object())
_ATOMIC_GROUP: Any = getattr(C, "ATOMIC_GROUP", object())

MAX = 0x10FFFF
#: Ranges per bracket class in the output (see ranges_to_class).
_CHUNK = 16


class Unsupported(ValueError):
    """A construct the translation does not handle (the message names it)."""


@functools.lru_cache(maxsize=1)
def _all_chars() -> str:
    return "".join(map(chr, range(MAX + 1)))


@functools.lru_cache(maxsize=None)
def class_ranges(py_class: str, flags: int) -> tuple[tuple[int, int], ...]:
    """The code-point ranges one Python character class (``[...]``, ``\\w``, ``.``) matches,
    found by running Python's engine over every code point."""
    rx = re.compile(f"(?:{py_class})+", flags)
    return tuple((m.start(), m.end() - 1) for m in rx.finditer(_all_chars()))


def _esc(cp: int) -> str:
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return chr(cp)  # astral: the character itself (not special in .NET syntax)


def ranges_to_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """regexp2 syntax for a set of code points (``(?!)`` when empty)."""
    if not ranges:
        return "(?!)"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _esc(ranges[0][0])
    parts = []
    for lo, hi in ranges:
        parts.append(_esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}")
    if len(parts) <= _CHUNK:
        return "[" + "".join(parts) + "]"
    # regexp2's parser sorts a class's ranges again for every range it adds (quadratic in the
    # ranges): a big class is written as an alternation of smaller ones, which it merges back
    # into one set when it reduces the tree
    chunks = ["[" + "".join(parts[i:i + _CHUNK]) + "]" for i in range(0, len(parts), _CHUNK)]
    return "(?:" + "|".join(chunks) + ")"


def _py_escape(cp: int) -> str:
    return f"\\U{cp:08x}"


_CATEGORY = {
    C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s",
    C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W",
}


def _py_class(items: list[tuple[Any, Any]]) -> str:
    """A Python class pattern equivalent to the parser's IN items."""
    out = []
    negate = False
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            out.append(_py_escape(av))
        elif op is C.RANGE:
            out.append(f"{_py_escape(av[0])}-{_py_escape(av[1])}")
        elif op is C.CATEGORY:
            out.append(_CATEGORY[av])
        else:
            raise Unsupported(f"class item {op}")
    return "[" + ("^" if negate else "") + "".join(out) + "]"


_CLASS_FLAGS = re.IGNORECASE | re.ASCII  # the flags that change what a class matches


class _Writer:
    def __init__(self, flags: int) -> None:
        self.flags = flags

    def cls(self, py_class: str, flags: int) -> str:
        return ranges_to_class(class_ranges(py_class, flags & _CLASS_FLAGS))

    def word(self, flags: int) -> str:
        return self.cls(r"\w", flags & re.ASCII)

    def seq(self, items: Any, flags: int) -> str:
        return "".join(self.node(op, av, flags) for op, av in items)

    def node(self, op: Any, av: Any, flags: int) -> str:
        if op is C.LITERAL:
            if flags & re.IGNORECASE:
                return self.cls(_py_escape(av), flags)
            return _esc(av)
        if op is C.NOT_LITERAL:
            return self.cls(f"[^{_py_escape(av)}]", flags)
        if op is C.ANY:
            return self.cls(".", flags & re.DOTALL) if not flags & re.DOTALL else "[\\u0000-\U0010ffff]"
        if op is C.IN:
            return self.cls(_py_class(av), flags)
        if op is C.BRANCH:
            return "(?:" + "|".join(self.seq(b, flags) for b in av[1]) + ")"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, _POSSESSIVE_REPEAT):
            lo, hi, item = av
            body = self.seq(item, flags)
            if hi is C.MAXREPEAT:
                count = "*" if lo == 0 else "+" if lo == 1 else f"{{{lo},}}"
            elif lo == 0 and hi == 1:
                count = "?"
            elif lo == hi:
                count = f"{{{lo}}}"
            else:
                count = f"{{{lo},{hi}}}"
            atom = f"(?:{body})" + count
            if op is C.MIN_REPEAT:
                atom += "?"
            if op is _POSSESSIVE_REPEAT:
                atom = f"(?>{atom})"
            return atom
        if op is C.SUBPATTERN:
            group, add, delete, item = av
            inner = self.seq(item, (flags | add) & ~delete)
            return f"({inner})" if group is not None else f"(?:{inner})"
        if op is _ATOMIC_GROUP:
            return f"(?>{self.seq(av, flags)})"
        if op is C.ASSERT or op is C.ASSERT_NOT:
            direction, item = av
            kind = ("=" if op is C.ASSERT else "!") if direction == 1 else ("<=" if op is C.ASSERT else "<!")
            return f"(?{kind}{self.seq(item, flags)})"
        if op is C.GROUPREF:
            ref = f"\\k<{av}>"
            return f"(?i:{ref})" if flags & re.IGNORECASE else ref
        if op is C.GROUPREF_EXISTS:
            group, yes, no = av
            return f"(?({group}){self.seq(yes, flags)}|{self.seq(no, flags) if no else ''})"
        if op is C.AT:
            return self.at(av, flags)
        raise Unsupported(f"opcode {op}")

    def at(self, av: Any, flags: int) -> str:
        if av is C.AT_BEGINNING:
            return "(?m:^)" if flags & re.MULTILINE else "\\A"
        if av is C.AT_BEGINNING_STRING:
            return "\\A"
        if av is C.AT_END:
            return "(?m:$)" if flags & re.MULTILINE else "(?=\\n?\\z)"
        if av is C.AT_END_STRING:
            return "\\z"
        w = self.word(flags)
        if av is C.AT_BOUNDARY:
            return f"(?:(?<={w})(?!{w})|(?<!{w})(?={w}))"
        if av is C.AT_NON_BOUNDARY:
            # Python's \B never matches in an empty string; elsewhere: both sides alike
            return f"(?:(?<={w})(?={w})|(?<!{w})(?!{w})(?:(?<=[\\s\\S])|(?=[\\s\\S])))"
        raise Unsupported(f"anchor {av}")


def translate(pattern: str, flags: int = 0) -> str:
    """regexp2 syntax (no options) for ``re.compile(pattern, flags)`` on ``str``."""
    parsed = P.parse(pattern, flags)
    all_flags = parsed.state.flags
    if all_flags & (re.LOCALE | re.VERBOSE & 0):
        raise Unsupported("LOCALE")
    return _Writer(all_flags).seq(parsed, all_flags)
