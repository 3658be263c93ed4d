"""Seeded random values for the tests that compare a detector's shortcut with its full path."""

from __future__ import annotations

import random
from collections.abc import Sequence

from .rule_examples import EXAMPLES


def rule_example_values() -> list[str]:
    """Every positive and negative example of every rule."""
    return [v for positives, negatives in EXAMPLES.values() for v in (*positives, *negatives)]


def seeded_values(keywords: Sequence[str], others: Sequence[str], separators: Sequence[str], *,
                  count: int = 20_000, max_words: int = 10, keyword_share: float = 0.3,
                  seed: int = 20261206) -> list[str]:
    """``count`` values of up to ``max_words`` words, each a keyword (with ``keyword_share``
    probability) or another word, each followed by a separator, cut at a random point.

    Example:
        >>> len(seeded_values(["id"], ["x"], [";"], count=3))
        3
    """
    rnd = random.Random(seed)
    values = []
    for _ in range(count):
        parts = []
        for _ in range(rnd.randint(1, max_words)):
            parts.append(rnd.choice(keywords if rnd.random() < keyword_share else others))
            parts.append(rnd.choice(separators))
        values.append("".join(parts[: rnd.randint(1, len(parts))]))
    return values
