"""Detectors that parse: small lexers deciding SQL injection, command injection and XSS.

A detector reads one inbound value **as the guard normalised it** (decoded, NFKC,
case-folded: :func:`protect_lambda.normalize.normalize`) and returns what it
found as ``(kind, start, end)`` spans of that text, empty for a benign value::

    detect(text: str, stop: frozenset[str] = frozenset()) -> list[tuple[str, int, int]]

``stop`` names kinds that decide the value on their own (the guard's engine passes the kinds of
its blocking rules): a detector may stop reading once it found one (:func:`stopped`).

The ``kind`` names the structure the value forms (a tautology, a command after a
separator, a script-capable tag...); the rules in ``rules/*.json`` map each
detector's kinds to rule ids, categories, scores and sensitivity levels, so the
decision is made on tokens and the lists of keywords, commands, tags and
attributes stay data (each detector keeps its lists at the top of its module).

Every detector is pure standard library and linear in the length of its input
(tokenising regexes without nested quantifiers, single passes over the tokens),
and starts with a cheap prefilter so that most values cost a few ``in`` tests.

Example:
    >>> from protect_lambda.detectors import sql
    >>> [kind for kind, _, _ in sql.detect("1' or '1'='1")]  # doctest: +SKIP
    ['tautology']
"""

from __future__ import annotations  # noqa: E402 - after the module docstring's example

import re

from protect_lambda.regex_cache import compile_pattern

#: Every (pattern, flags) the detectors compiled, in order: the layer build records them with
#: the rules' (:mod:`protect_lambda.bytecode`), so a cold start replays them instead of
#: running ``re``'s parser.
PATTERNS: list[tuple[str, int]] = []


def stopped(found: list[tuple[str, int, int]], stop: frozenset[str], since: int = 0) -> bool:
    """Whether a span of ``found`` from index ``since`` on is of a kind in ``stop``.

    Example:
        >>> stopped([("markup", 0, 5), ("script-url", 6, 9)], frozenset({"script-url"}), since=1)
        True
    """
    return bool(stop) and any(found[i][0] in stop for i in range(since, len(found)))


def compile_rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, replayed from the layer's recording when it holds it.

    Example:
        >>> compile_rx(r"a{2}").fullmatch("aa") is not None
        True
    """
    PATTERNS.append((pattern, int(flags)))
    return compile_pattern(pattern, int(flags))

