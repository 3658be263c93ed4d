"""Recent Violation records from the protected log groups (``protect-lambda violations``).

CloudWatch Logs filters server side with each function's violations pattern
(:func:`~protect_lambda.contract.violation_filter_pattern`: its own name and its
deployment's seal, what the metric filter counts; any Violation record for a
function deployed before seals); every returned event is checked again locally
with :mod:`protect_lambda_tools.filter_pattern`, so what is listed is exactly what
the metric counts, and a line a handler printed to look like a record is not. Follow mode polls from the
newest timestamp seen and drops events already shown (CloudWatch can deliver
late events with an older timestamp than the newest seen: they are shown when
they arrive, as long as they are within the overlap window).

Example:
    >>> row = ViolationEvent(0, "/aws/lambda/f", "s", "1", '{"event":"Violation"}', {"event": "Violation"})
    >>> format_json(row)
    '{"timestamp": "1970-01-01T00:00:00.000Z", "log_group": "/aws/lambda/f", "log_stream": "s", "record": {"event": "Violation"}}'
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from protect_lambda import contract
from protect_lambda_tools.filter_pattern import FilterPattern

if TYPE_CHECKING:  # pragma: no cover
    from mypy_boto3_logs import CloudWatchLogsClient

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
#: How far back (ms) each follow poll looks behind the newest event seen, for late arrivals.
FOLLOW_OVERLAP_MS = 60_000

#: Table columns: (header, record field, width); the last one takes the rest of the line.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("FUNCTION", contract.FIELD_FUNCTION_NAME, 24),
    ("ACTION", contract.FIELD_ACTION, 8),
    ("DIR", contract.FIELD_DIRECTION, 8),
    ("RULE", contract.FIELD_RULE_ID, 14),
    ("HITS", contract.FIELD_FINDING_COUNT, 4),
    ("CATEGORY", contract.FIELD_CATEGORY, 16),
    ("SEVERITY", contract.FIELD_SEVERITY, 8),
    ("LOCATION", contract.FIELD_LOCATION, 32),
    ("EXCERPT", contract.FIELD_EXCERPT, 60),
)
TIME_WIDTH = 24


@dataclass(frozen=True)
class ViolationEvent:
    """One Violation record as read from CloudWatch Logs."""

    timestamp_ms: int
    log_group: str
    log_stream: str
    event_id: str
    message: str
    record: dict[str, Any]


def iso_time(timestamp_ms: int) -> str:
    """UTC ISO 8601 with milliseconds.

    Example:
        >>> iso_time(1700000000123)
        '2023-11-14T22:13:20.123Z'
    """
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{timestamp_ms % 1000:03d}Z"


def parse_violation(message: str, pattern: str = contract.VIOLATION_EVENT_PATTERN) -> dict[str, Any] | None:
    """The record of a log message if ``pattern`` counts it (default: any Violation record), else None.

    Example:
        >>> parse_violation('{"event": "Violation", "rule_id": "sqli-001"}')["rule_id"]
        'sqli-001'
        >>> parse_violation('{"event": "GuardError"}') is None
        True
        >>> parse_violation('{"event": "Violation"}', contract.violation_filter_pattern("f", "s")) is None
        True
    """
    if not FilterPattern.parse(pattern).matches(message):
        return None
    record = json.loads(message.strip())
    assert isinstance(record, dict)
    return record


def fetch(
    logs: CloudWatchLogsClient,
    sources: Iterable[tuple[str, str]],
    start_ms: int,
    end_ms: int | None = None,
) -> list[ViolationEvent]:
    """Violation records between ``start_ms`` and ``end_ms``, oldest first, of each
    ``(log group, pattern)`` of ``sources`` (the pattern: what the function's metric counts).

    A log group that does not exist yet (function never invoked) has none.
    """
    events: list[ViolationEvent] = []
    paginator = logs.get_paginator("filter_log_events")
    for group, pattern in sources:
        arguments: dict[str, Any] = {
            "logGroupName": group,
            "filterPattern": pattern,
            "startTime": start_ms,
        }
        if end_ms is not None:
            arguments["endTime"] = end_ms
        try:
            for page in paginator.paginate(**arguments):
                for item in page.get("events", []):
                    message = item.get("message", "")
                    record = parse_violation(message, pattern)
                    if record is None:
                        continue
                    events.append(
                        ViolationEvent(
                            timestamp_ms=int(item.get("timestamp", 0)),
                            log_group=group,
                            log_stream=item.get("logStreamName", ""),
                            event_id=item.get("eventId", ""),
                            message=message,
                            record=record,
                        )
                    )
        except logs.exceptions.ResourceNotFoundException:
            continue
    events.sort(key=lambda e: (e.timestamp_ms, e.log_group, e.event_id))
    return events


def follow(
    logs: CloudWatchLogsClient,
    sources: Sequence[tuple[str, str]],
    start_ms: int,
    *,
    interval: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    polls: int | None = None,
) -> Iterator[ViolationEvent]:
    """Yield Violation records as they arrive, polling every ``interval`` seconds.

    Runs until interrupted, or for ``polls`` polls. Each event is yielded once.
    """
    seen: dict[str, int] = {}
    since = start_ms
    count = 0
    while polls is None or count < polls:
        if count:
            sleep(interval)
        count += 1
        for event in fetch(logs, sources, since):
            key = f"{event.log_group}\x00{event.event_id}"
            if key in seen:
                continue
            seen[key] = event.timestamp_ms
            yield event
        if seen:
            newest = max(seen.values())
            since = max(since, newest - FOLLOW_OVERLAP_MS)
            seen = {key: ts for key, ts in seen.items() if ts >= since}


def _cell(value: object, width: int) -> str:
    text = _UNSAFE.sub("?", "" if value is None else str(value))
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.ljust(width)


def table_header() -> str:
    """The header line of the table output."""
    cells = [_cell("TIME (UTC)", TIME_WIDTH)] + [_cell(h, w) for h, _, w in COLUMNS]
    return " ".join(cells).rstrip()


def format_row(event: ViolationEvent) -> str:
    """One table line (fixed widths; attacker-controlled text cleaned of control characters).

    Example:
        >>> e = ViolationEvent(0, "g", "s", "1", "", {"rule_id": "xss-001", "excerpt": "a\\nb"})
        >>> format_row(e).split()[1:3]
        ['xss-001', 'a?b']
    """
    cells = [_cell(iso_time(event.timestamp_ms), TIME_WIDTH)]
    cells += [_cell(event.record.get(field), width) for _, field, width in COLUMNS]
    return " ".join(cells).rstrip()


def format_json(event: ViolationEvent) -> str:
    """One JSON line: time, log group and stream, and the record as logged."""
    return json.dumps(
        {
            "timestamp": iso_time(event.timestamp_ms),
            "log_group": event.log_group,
            "log_stream": event.log_stream,
            "record": event.record,
        }
    )
