"""A detector told which kinds decide a value (the guard's blocking rules) may stop reading at the
first of them: it then reports a part of what it finds without them, never a different verdict.

Checked on every rule example and on seeded random values of each detector's specials, for each
kind and for the kinds the default guard blocks on.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from protect_lambda import Guard
from protect_lambda.detectors import html, paths, shell, sql
from protect_lambda.normalize import normalize

from .fuzz import rule_example_values, seeded_values

Detect = Callable[[str, frozenset[str]], list[tuple[str, int, int]]]
DETECTORS: dict[str, Detect] = {"html": html.detect, "paths": paths.detect, "shell": shell.detect,
                                "sql": sql.detect}

_SPECIALS = ["<", ">", "'", '"', "`", "=", ";", "|", "&", "$(", ")", "(", "../", "/etc/passwd", "--",
             "#", " or ", " union select ", "<script>", " onerror=", "javascript:", "id", "cat",
             "1=1", "sleep(5)", "{{7*7}}", "%0a", "\n"]
VALUES = [normalize(v) for v in rule_example_values()] + seeded_values(
    _SPECIALS, ["a", "x1", "name", "the", "1"], ["", " ", "+"], count=4000, seed=77)


def _blocking_kinds(name: str) -> frozenset[str]:
    """The kinds of detector ``name`` whose rules the default guard blocks on alone."""
    guard = Guard()
    return frozenset(r.kind or "" for r in guard.engine.rules
                     if r.detector == name and r.id in guard._decisive)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_stopping_keeps_the_verdict_and_reports_a_part(name: str) -> None:
    detect = DETECTORS[name]
    stops = [_blocking_kinds(name)] + [frozenset({kind}) for kind in sorted(
        {kind for value in VALUES for kind, _, _ in detect(value, frozenset())})]
    assert stops[0], f"the default guard blocks on no {name} kind"
    for value in VALUES:
        full = detect(value, frozenset())
        for stop in stops:
            part = detect(value, stop)
            assert set(part) <= set(full), (value, stop)
            decided = any(kind in stop for kind, _, _ in full)
            assert decided == any(kind in stop for kind, _, _ in part), (value, stop)
            if not decided:
                assert part == full, (value, stop)


def test_a_blocked_value_names_what_decided_it() -> None:
    verdict = Guard().inspect_event({"queryStringParameters": {"q": "<script>alert(1)</script>' or 1=1 --"}})
    assert verdict.blocked
    assert any(f.category == "xss" for f in verdict.findings)
