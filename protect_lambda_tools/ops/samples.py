"""Sample log lines for checking a deployed metric filter: real guard records, and lines it must ignore.

Positive samples are Violation records the local guard writes, with the
function's name and its deployment's seal, for a few textbook attacks and a
test card number in a response (the same code path as in Lambda:
:class:`~protect_lambda.guard.Guard`, then
:func:`~protect_lambda.violation.violation_record` and
:func:`~protect_lambda.violation.format_record`). When the guard produces no
finding (no rules installed) or cannot be imported, the record is built from
the contract's field names instead, and the sample says so (``origin``).
Negative samples are lines the metric filter must not count: records a
handler could print to forge one (unsealed, a wrong seal, another function's
name), the guard's own error record, Lambda's platform lines and an
application log line.

Example:
    >>> [s.should_match for s in sample_messages("orders", "0f1e")][:1]
    [True]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from protect_lambda import __version__, contract

REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001"
#: When the samples happened (fixed, so that the same samples are sent every time).
SAMPLE_TIME = 1767225600.0  # 2026-01-01T00:00:00Z


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


def _contract_record(function_name: str, seal: str, direction: str, category: str, mode: str) -> dict[str, Any]:
    action = contract.ACTION_BLOCKED if mode == contract.MODE_BLOCK else contract.ACTION_DETECTED
    finding = {
        contract.FIELD_RULE_ID: f"{category}-sample",
        contract.FIELD_CATEGORY: category,
        contract.FIELD_SEVERITY: "high",
        contract.FIELD_ACTION: action,
        contract.FIELD_SCORE: contract.BLOCK_SCORE,
        contract.FIELD_LOCATION: "body",
        contract.FIELD_EXCERPT: "[sample]",
    }
    return {
        contract.FIELD_EVENT: contract.VIOLATION_MARKER,
        contract.FIELD_LEVEL: contract.RECORD_LEVEL,
        contract.FIELD_TIMESTAMP: "2026-01-01T00:00:00.000Z",
        contract.FIELD_SEAL: seal,
        contract.FIELD_FUNCTION_NAME: function_name,
        contract.FIELD_REQUEST_ID: REQUEST_ID,
        contract.FIELD_ACTION: action,
        contract.FIELD_DIRECTION: direction,
        contract.FIELD_SOURCE: "apigw-http",
        contract.FIELD_MODE: mode,
        **{key: value for key, value in finding.items() if key not in (contract.FIELD_ACTION, contract.FIELD_SCORE)},
        contract.FIELD_FINDING_COUNT: 1,
        contract.FIELD_TOTAL_SCORE: contract.BLOCK_SCORE,
        contract.FIELD_FINDINGS: [finding],
        contract.FIELD_GUARD_VERSION: __version__,
    }


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=True, separators=(",", ":"))


def _guard_record(function_name: str, seal: str, direction: str, event: Any, response: Any,
                  mode: str) -> str | None:
    """The guard's own record line of the inspection, or None when it finds nothing / fails."""
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
            verdict.findings,
            source=verdict.source,
            mode=mode,
            function_name=function_name,
            request_id=REQUEST_ID,
            seal=seal,
            now=SAMPLE_TIME,
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
            now=SAMPLE_TIME,
        )
        return format_record(record), "guard"
    except Exception:  # noqa: BLE001 - same fallback as above
        record = {
            contract.FIELD_EVENT: contract.GUARD_ERROR_MARKER,
            contract.FIELD_FUNCTION_NAME: function_name,
            contract.FIELD_REQUEST_ID: REQUEST_ID,
        }
        return _line(record), "contract"


def _forgeries(function_name: str, seal: str, genuine: str) -> list[Sample]:
    """Records a handler could print (attacker input it logs) that the filter must not count."""
    record = json.loads(genuine)
    unsealed = {key: value for key, value in record.items() if key != contract.FIELD_SEAL}
    other = "another-function" if function_name != "another-function" else "a-third-function"
    return [
        Sample("forged record without a seal", _line(unsealed), False, "contract"),
        Sample("forged record with a wrong seal", _line({**record, contract.FIELD_SEAL: "0" * 36}), False,
               "contract"),
        Sample("record of another function's name", _line({**record, contract.FIELD_FUNCTION_NAME: other}),
               False, "contract"),
    ]


def sample_messages(function_name: str, seal: str = "") -> list[Sample]:
    """Lines for ``function_name`` deployed with ``seal``: Violation records (block and monitor
    mode), forgeries, and other lines to ignore."""
    samples: list[Sample] = []
    for mode in contract.MODES:
        for label, direction, event, response, category in _ATTACKS:
            line = _guard_record(function_name, seal, direction, event, response, mode)
            origin = "guard"
            if line is None:
                line = _line(_contract_record(function_name, seal, direction, category, mode))
                origin = "contract"
            samples.append(Sample(f"Violation, {label}, {mode} mode", line, True, origin))
    if seal:  # a function deployed before seals counts any record: nothing can be told apart
        samples += _forgeries(function_name, seal, samples[0].message)
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
