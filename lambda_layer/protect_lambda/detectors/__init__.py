"""Detectors that parse: small lexers deciding SQL injection, command injection and XSS.

A detector reads one inbound value **as the guard normalised it** (decoded, NFKC,
case-folded: :func:`protect_lambda.normalize.normalize`) and returns what it
found as ``(kind, start, end)`` spans of that text, empty for a benign value::

    detect(text: str) -> list[tuple[str, int, int]]

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
