"""What the Lambda service makes of a function's output: log events, levels, platform lines.

The runtime client writes the function's output (``print``, the ``logging``
module, its own ``[ERROR]`` lines) to stdout; the Lambda *service* turns that
into CloudWatch Logs events. This module states the service's documented rules,
which no runtime client implements, so that local runs (and tests) produce the
log events a deployed function would:

* each line is one log event (a runtime error is one multi-line event);
* under the JSON log format, a line that is a JSON object with a valid ``level``
  and a valid RFC 3339 ``timestamp`` is filed at that level; every other line
  (no level, an invalid one, no valid timestamp) is filed as INFO; lines below
  the function's application log level are dropped (AWS, "Log-level filtering");
  under the Text format nothing is filtered;
* the service's own lines: ``START`` / ``END`` / ``REPORT`` under Text, JSON
  ``platform.*`` objects under JSON.

Pure standard library.

Example:
    >>> delivered('{"level": "WARN", "timestamp": "2026-01-01T00:00:00.000Z"}', "JSON", "ERROR")
    False
    >>> delivered("plain text", "JSON", "WARN"), delivered("plain text", "Text", "FATAL")
    (False, True)
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from protect_lambda import contract

TEXT = "Text"
JSON = "JSON"
LOG_FORMATS = (TEXT, JSON)
#: The level Lambda files a line at when it carries none (or no valid timestamp).
DEFAULT_LEVEL = "INFO"

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def filed_level(line: str) -> str:
    """The level Lambda files ``line`` at under the JSON log format.

    Example:
        >>> filed_level('{"level": "warn", "timestamp": "2026-01-01T00:00:00Z"}'), filed_level('{"level": "WARN"}')
        ('WARN', 'INFO')
    """
    if not line.lstrip().startswith("{"):
        return DEFAULT_LEVEL
    try:
        data: Any = json.loads(line)
    except ValueError:
        return DEFAULT_LEVEL
    if not isinstance(data, dict):
        return DEFAULT_LEVEL
    level = str(data.get("level", "")).upper()
    stamp = data.get("timestamp")
    if level in contract.LOG_LEVELS and isinstance(stamp, str) and _RFC3339.fullmatch(stamp):
        return level
    return DEFAULT_LEVEL


def delivered(line: str, log_format: str = TEXT, application_log_level: str | None = None) -> bool:
    """Whether the service sends ``line`` to CloudWatch Logs under this logging configuration.

    Example:
        >>> delivered('{"event": "Violation"}', "JSON", "WARN")
        False
    """
    if log_format.upper() != JSON.upper():
        return True
    levels = contract.LOG_LEVELS
    threshold = (application_log_level or DEFAULT_LEVEL).upper()
    if threshold not in levels:
        return True
    return levels.index(filed_level(line)) >= levels.index(threshold)


def _iso(timestamp_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp_ms / 1000)) + f".{timestamp_ms % 1000:03d}Z"


def start_line(request_id: str, log_format: str, timestamp_ms: int) -> str:
    """The service's line opening an invocation.

    Example:
        >>> start_line("r-1", "Text", 0)
        'START RequestId: r-1 Version: $LATEST'
    """
    if log_format == JSON:
        return json.dumps({"time": _iso(timestamp_ms), "type": "platform.start",
                           "record": {"requestId": request_id, "version": "$LATEST"}})
    return f"START RequestId: {request_id} Version: $LATEST"


def end_lines(request_id: str, log_format: str, timestamp_ms: int, *, duration_ms: float, memory_mb: int,
              max_memory_mb: int, init_ms: float | None = None, status: str = "") -> list[str]:
    """The service's lines closing an invocation: ``END`` and ``REPORT`` (one ``platform.report`` under JSON).

    Example:
        >>> end_lines("r-1", "Text", 0, duration_ms=1.5, memory_mb=128, max_memory_mb=40)[0]
        'END RequestId: r-1'
    """
    billed = max(1, int(duration_ms + 0.999))
    if log_format == JSON:
        metrics: dict[str, Any] = {"durationMs": round(duration_ms, 2), "billedDurationMs": billed,
                                   "memorySizeMB": memory_mb, "maxMemoryUsedMB": max_memory_mb}
        if init_ms is not None:
            metrics["initDurationMs"] = round(init_ms, 2)
        record: dict[str, Any] = {"requestId": request_id, "metrics": metrics, "status": status or "success"}
        return [json.dumps({"time": _iso(timestamp_ms), "type": "platform.report", "record": record})]
    report = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms"
              f"\tMemory Size: {memory_mb} MB\tMax Memory Used: {max_memory_mb} MB")
    if init_ms is not None:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    if status:
        report += f"\tStatus: {status}"
    return [f"END RequestId: {request_id}", report]


def timeout_line(request_id: str, timeout_s: float, timestamp_ms: int) -> str:
    """The service's line when an invocation runs out of time."""
    return f"{_iso(timestamp_ms)} {request_id} Task timed out after {timeout_s:.2f} seconds"
