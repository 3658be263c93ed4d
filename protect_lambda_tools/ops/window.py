"""Time windows of the ops commands: ``--since 1h``, ``30m``, ``2d``, ``1h30m``, ``90s``, ``1w``.

Example:
    >>> parse_duration("2d").total_seconds()
    172800.0
"""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """A positive duration from ``<n><unit>`` parts (units s, m, h, d, w); ValueError otherwise.

    Example:
        >>> parse_duration("45m") == timedelta(minutes=45)
        True
    """
    cleaned = text.strip().lower()
    pos = 0
    seconds = 0
    for part in _PART.finditer(cleaned):
        if part.start() != pos:
            break
        seconds += int(part.group(1)) * _UNITS[part.group(2)]
        pos = part.end()
    if not cleaned or pos != len(cleaned):
        raise ValueError(f"invalid duration {text!r}: use e.g. 90s, 15m, 1h, 1h30m, 2d, 1w")
    if seconds <= 0:
        raise ValueError(f"invalid duration {text!r}: must be longer than 0")
    return timedelta(seconds=seconds)
