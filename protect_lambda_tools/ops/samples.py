"""Sample log lines for checking a deployed metric filter: real guard records, and lines it must ignore.

Positive samples are Violation records the local guard writes for a few
textbook attacks and a test card number in a response (the same code path as
in Lambda: :class:`~protect_lambda.guard.Guard`, then
:func:`~protect_lambda.violation.violation_record` and
:func:`~protect_lambda.violation.format_record`). When the guard produces no
finding (no rules installed) or cannot be imported, the record is built from
the contract's field names instead, and the sample says so (``origin``).
Negative samples are lines the metric filter must not count: the guard's own
error record, Lambda's platform lines and an application log line.

Example:
    >>> [s.should_match for s in sample_messages("orders")][:1]
    [True]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from protect_lambda import __version__, contract

REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001"


@dataclass(frozen=True)
class Sample:
    """One log line to test, and whether the violations metric filter must match it."""

    label: str
    message: str
    should_match: bool
    origin: str  # "guard" (produced by the local guard) or "contract" (built from field names)


def _http_event(query: dict[str, str] | None = None, body: str | None = None) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/items",
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json"},
        "queryStringParameters": query,
        "requestContext": {
            "http": {"method": "POST" if body else "GET", "path": "/items"},
            "requestId": REQUEST_ID,
        },
        "body": body,
        "isBase64Encoded": False,
    }


#: (label, direction, event, response, category used when the guard yields nothing)
_ATTACKS: tuple[tuple[str, str, dict[str, Any], Any, str], ...] = (
    ("inbound SQL injection", contract.DIRECTION_INBOUND, _http_event({"id": "1' OR '1'='1"}), None, "sqli"),
    ("inbound XSS", contract.DIRECTION_INBOUND, _http_event(body='{"name": "<script>alert(1)</script>"}'), None, "xss"),
    (
        "outbound card number",
        contract.DIRECTION_OUTBOUND,
        _http_event(),
        {"statusCode": 200, "body": '{"card": "4111 1111 1111 1111"}'},
        "leak_card",
    ),
)


def _contract_record(function_name: str, direction: str, category: str, mode: str) -> dict[str, str]:
    action = contract.ACTION_BLOCKED if mode == contract.MODE_BLOCK else contract.ACTION_DETECTED
    return {
        contract.FIELD_EVENT: contract.VIOLATION_MARKER,
        contract.FIELD_ACTION: action,
        contract.FIELD_DIRECTION: direction,
        contract.FIELD_RULE_ID: f"{category}-sample",
        contract.FIELD_CATEGORY: category,
        contract.FIELD_SEVERITY: "high",
        contract.FIELD_LOCATION: "body",
        contract.FIELD_SOURCE: "apigw-http",
        contract.FIELD_FUNCTION_NAME: function_name,
        contract.FIELD_REQUEST_ID: REQUEST_ID,
        contract.FIELD_EXCERPT: "[sample]",
        contract.FIELD_MODE: mode,
        contract.FIELD_GUARD_VERSION: __version__,
    }


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=True, separators=(",", ":"))


def _guard_record(function_name: str, direction: str, event: Any, response: Any, mode: str) -> str | None:
    """The guard's own record line for the first finding, or None when it finds nothing / fails."""
    try:
        from protect_lambda.guard import Guard
        from protect_lambda.violation import format_record, violation_record

        guard = Guard(mode=mode)
        if direction == contract.DIRECTION_INBOUND:
            verdict = guard.inspect_event(event)
        else:
            verdict = guard.inspect_response(response, event)
        if not verdict.findings:
            return None
        record = violation_record(
            verdict.findings[0],
            source=verdict.source,
            mode=mode,
            function_name=function_name,
            request_id=REQUEST_ID,
        )
        return format_record(record)
    except Exception:  # noqa: BLE001 - the guard is optional here: fall back to the contract
        return None


def _guard_error_line(function_name: str) -> tuple[str, str]:
    try:
        from protect_lambda.violation import format_record, guard_error_record

        record = guard_error_record(
            KeyError("sample"),
            phase=contract.DIRECTION_INBOUND,
            outcome="proceeded",
            source="generic",
            mode=contract.MODE_BLOCK,
            fail_policy=contract.FAIL_OPEN,
            function_name=function_name,
            request_id=REQUEST_ID,
        )
        return format_record(record), "guard"
    except Exception:  # noqa: BLE001 - same fallback as above
        record = {
            contract.FIELD_EVENT: contract.GUARD_ERROR_MARKER,
            contract.FIELD_FUNCTION_NAME: function_name,
            contract.FIELD_REQUEST_ID: REQUEST_ID,
        }
        return _line(record), "contract"


def sample_messages(function_name: str) -> list[Sample]:
    """Lines for ``function_name``: Violation records (block and monitor mode) and lines to ignore."""
    samples: list[Sample] = []
    for mode in contract.MODES:
        for label, direction, event, response, category in _ATTACKS:
            line = _guard_record(function_name, direction, event, response, mode)
            origin = "guard"
            if line is None:
                line = _line(_contract_record(function_name, direction, category, mode))
                origin = "contract"
            samples.append(Sample(f"Violation, {label}, {mode} mode", line, True, origin))
    error_line, error_origin = _guard_error_line(function_name)
    samples.append(Sample("GuardError record", error_line, False, error_origin))
    samples += [
        Sample("Lambda START line", f"START RequestId: {REQUEST_ID} Version: $LATEST", False, "contract"),
        Sample(
            "Lambda REPORT line",
            f"REPORT RequestId: {REQUEST_ID}\tDuration: 2.00 ms\tBilled Duration: 3 ms",
            False,
            "contract",
        ),
        Sample(
            "application JSON log line",
            _line({"level": "INFO", "message": "Violation report sent", "event": "Report"}),
            False,
            "contract",
        ),
    ]
    return samples
