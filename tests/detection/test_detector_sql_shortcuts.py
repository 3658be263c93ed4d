"""The SQL detector's shortcuts (a plain first word, no statement after ``;``) only skip work:
with them and without them, the detector finds the same structures."""

from __future__ import annotations

import pytest

from protect_lambda.detectors import sql
from protect_lambda.normalize import normalize

from .fuzz import rule_example_values, seeded_values

WORDS = sorted(sql.STATEMENTS | sql.LOGICAL | sql.CONSTANTS | {"union", "like", "from", "where", "case", "when",
                                                                 "then", "sleep", "order", "by", "group"})
OTHERS = ("mozilla/5.0 x11 linux x86_64 applewebkit/537.36 khtml, gecko chrome/120.0 users id name "
          "please select a file from the list true the weather is nice today admin x y 1 2 42 0x41 "
          "@@version @a").split()
PUNCT = [" ", " ", " ", "'", '"', "(", ")", ",", ";", "; ", "=", "--", "#", "/*", "*/", "||", "-", "+", "<>"]


def _values() -> list[str]:
    values = [*rule_example_values(), *seeded_values(WORDS, OTHERS, PUNCT, max_words=9, keyword_share=0.4)]
    return [normalize(v) for v in values]


def test_the_shortcuts_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    values = _values()
    fast = [sql.detect(v) for v in values]
    assert sum(sql._plain_start(v) for v in values) > 3000  # the shortcut is taken
    monkeypatch.setattr(sql, "_plain_start", lambda text: False)
    monkeypatch.setattr(sql, "_statement_word_at", lambda text, at: True)
    slow = [sql.detect(v) for v in values]
    assert [(v, f) for v, f, s in zip(values, fast, slow) if f != s] == []
    assert sum(1 for f in slow if f) > 500  # and the values do form SQL often enough to tell
