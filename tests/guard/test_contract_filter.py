"""Contract test: what the guard really prints is what the construct's metric filter counts.

The records come from captured stdout of real invocations of
``protect_lambda.wrapper.handler`` (the handler the construct sets), and are
matched with the CloudWatch Logs filter-pattern evaluator against
``contract.violation_filter_pattern(function name, seal)`` (the pattern the
construct deploys), as the log events Lambda produces under both log formats:

* Text: each printed line is one log event, as is;
* JSON: a printed JSON object is filed by its ``level`` and RFC 3339
  ``timestamp`` (without both, as INFO) and dropped when below the function's
  application log level (AWS, "Log-level filtering"). :func:`json_format_delivery`
  states those documented rules; the filtering happens in the Lambda service, so
  the deployed check is ``make test-aws``.

What the filter must not count: anything a handler prints (attacker input it
logs, however it is shaped), the guard's GuardError and InspectionLimit records,
the platform's lines.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from typing import Callable, Optional

import pytest
from protect_lambda import contract, wrapper
from protect_lambda_tools.filter_pattern import matches

from .conftest import XSS, LambdaContext, UserApp, apigw_http, printed_lines, printed_records

SEAL = "7c1e5a40-1d2b-11f1-9a3e-0e5f3c2b9d11"
OTHER_SEAL = "0b8f1c22-1d2b-11f1-8a7e-12c4f1e0aa07"
FUNCTION = "orders-api"
PATTERN = contract.violation_filter_pattern(FUNCTION, SEAL)
#: A handler that logs what it was sent, as many do: the attacker chooses what it prints.
HANDLER = (
    "def handler(event, context):\n"
    "    print('processing order 42')\n"
    "    print((event.get('body') or ''))\n"
    "    return {'statusCode': 200, 'body': 'ok'}\n"
)
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def json_format_delivery(line: str, application_log_level: str = "INFO") -> Optional[str]:
    """The log event Lambda makes of a printed line under the JSON log format, or None if dropped.

    AWS's documented rules: a JSON object with a valid ``level`` and a valid RFC 3339
    ``timestamp`` is filed at that level; any other line (no level, an invalid one, no
    valid timestamp) is filed as INFO. Lines below the application log level are dropped.
    """
    level = "INFO"
    try:
        data = json.loads(line)
    except ValueError:
        data = None
    if isinstance(data, dict):
        named = str(data.get("level", "")).upper()
        stamp = data.get("timestamp")
        if named in contract.LOG_LEVELS and isinstance(stamp, str) and _RFC3339.fullmatch(stamp):
            level = named
    levels = contract.LOG_LEVELS
    return line if levels.index(level) >= levels.index(application_log_level) else None


@pytest.fixture
def invoke(
    user_app: UserApp, lambda_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[object, str]]:
    module = user_app.write("app.py", HANDLER)

    def run(event: object, **env: str) -> tuple[object, str]:
        lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler", contract.SEAL_ENV: SEAL, **env})
        capsys.readouterr()
        result = wrapper.handler(event, LambdaContext(function_name=FUNCTION, aws_request_id="req-1"))
        return result, capsys.readouterr().out

    return run


@pytest.mark.parametrize("log_format, level", [("Text", None), ("JSON", "TRACE"), ("JSON", "DEBUG"),
                                               ("JSON", "INFO"), ("JSON", "WARN")])
def test_one_sealed_record_per_blocked_request_is_delivered_and_counted(
    log_format: str, level: Optional[str], invoke: Callable[..., tuple[object, str]]
) -> None:
    result, out = invoke(apigw_http(XSS))
    assert isinstance(result, dict) and result["statusCode"] == 403
    lines = printed_lines(out)
    delivered = lines if log_format == "Text" else [
        line for line in lines if json_format_delivery(line, level or "INFO") is not None]
    counted = [line for line in delivered if matches(PATTERN, line)]
    assert len(counted) == 1, "one blocked request: one count"
    record = json.loads(counted[0])
    assert record[contract.FIELD_SEAL] == SEAL and record[contract.FIELD_FUNCTION_NAME] == FUNCTION
    assert {f[contract.FIELD_CATEGORY] for f in record[contract.FIELD_FINDINGS]} == {"xss"}
    assert not contract.drops_records(log_format, level)


@pytest.mark.parametrize("level", ["ERROR", "FATAL"])
def test_a_level_above_warn_would_drop_the_records_which_synth_refuses(
    level: str, invoke: Callable[..., tuple[object, str]]
) -> None:
    _, out = invoke(apigw_http(XSS))
    [record] = [line for line in printed_lines(out) if matches(PATTERN, line)]
    assert json_format_delivery(record, level) is None
    assert contract.drops_records("JSON", level)  # what the construct checks (tests/construct)


def test_without_level_and_timestamp_a_record_would_be_info_and_dropped_at_warn() -> None:
    """Why the record carries both: Lambda's rule, and the reason this issue existed."""
    bare = '{"event":"Violation","function_name":"orders-api"}'
    assert json_format_delivery(bare, "WARN") is None
    stamped_only = '{"event":"Violation","level":"WARN"}'
    assert json_format_delivery(stamped_only, "WARN") is None


@pytest.mark.parametrize("mode", [contract.MODE_BLOCK, contract.MODE_MONITOR])
def test_flagged_requests_count_in_monitor_mode(mode: str, invoke: Callable[..., tuple[object, str]]) -> None:
    _, out = invoke(apigw_http(XSS), **{contract.MODE_ENV: mode})
    matched = [json.loads(e) for e in printed_lines(out) if matches(PATTERN, e)]
    expected = contract.ACTION_BLOCKED if mode == contract.MODE_BLOCK else contract.ACTION_DETECTED
    assert [r[contract.FIELD_ACTION] for r in matched] == [expected]


def _forgeries(function: str, seal: str) -> list[str]:
    """Records an attacker can make a handler print: every field right but the seal, or the
    seal guessed wrong, or another function's name, or whitespace and key-order variants."""
    base = {"event": "Violation", "level": "WARN", "timestamp": "2026-01-01T00:00:00.000Z",
            "function_name": function, "rule_id": "forged", "action": "blocked"}
    return [
        json.dumps(base),
        json.dumps({**base, "seal": ""}),
        json.dumps({**base, "seal": OTHER_SEAL}),
        json.dumps({**base, "seal": seal.upper()}),
        json.dumps({**base, "seal": [seal]}),
        json.dumps({**base, "function_name": "billing-api", "seal": "*"}),
        json.dumps({"seal": "x", **base}, indent=1).replace("\n", " "),
    ]


def test_a_handler_printing_attacker_records_moves_no_metric_of_any_function(
    invoke: Callable[..., tuple[object, str]]
) -> None:
    """The handler logs the request body; the attacker sends forged records for this function
    and for another one. Only the guard's own record of the real attack counts, and only for
    this function; the other function's filter (on its own log group) would count none of them."""
    forged = "\n".join(_forgeries(FUNCTION, SEAL) + _forgeries("billing-api", SEAL))
    result, out = invoke(apigw_http("hello", body=forged))
    assert isinstance(result, dict) and result["statusCode"] == 200  # benign JSON: not blocked
    lines = printed_lines(out)
    assert sum('"forged"' in line for line in lines) == 14, "the handler printed every forgery"
    assert [line for line in lines if matches(PATTERN, line)] == []
    other_function_pattern = contract.violation_filter_pattern("billing-api", SEAL)
    assert [line for line in lines if matches(other_function_pattern, line)] == []
    # and with an attack alongside: exactly one count, the guard's, for this function
    _, out = invoke(apigw_http(XSS, body=forged))
    counted = [json.loads(line) for line in printed_lines(out) if matches(PATTERN, line)]
    assert [(r[contract.FIELD_FUNCTION_NAME], r[contract.FIELD_RULE_ID] != "forged") for r in counted] == [
        (FUNCTION, True)]


def test_an_unsealed_guard_record_does_not_count(invoke: Callable[..., tuple[object, str]]) -> None:
    """A function not deployed by the construct (no seal) prints records no sealed filter counts."""
    _, out = invoke(apigw_http(XSS), **{contract.SEAL_ENV: ""})
    records = printed_records(out)
    assert records and all(r[contract.FIELD_SEAL] == "" for r in records)
    assert not [line for line in printed_lines(out) if matches(PATTERN, line)]


class RuntimeJsonFormatter(logging.Formatter):
    """What Lambda's Python runtime does with a ``logging`` call under the JSON log format:
    a JSON object with the formatted message as the string value of ``message``."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, tz=timezone.utc)
        return json.dumps({"timestamp": created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                           "level": record.levelname, "message": record.getMessage(),
                           "logger": record.name, "requestId": getattr(record, "aws_request_id", None)})


@pytest.mark.parametrize("log_format", ["Text", "JSON"])
def test_guard_errors_limit_notes_and_ordinary_lines_do_not_match(
    log_format: str, invoke: Callable[..., tuple[object, str]]
) -> None:
    result, out = invoke(apigw_http("hello"), **{contract.MODE_ENV: "not-a-mode"})  # broken: fails open
    assert result == {"statusCode": 200, "body": "ok"}
    lines = printed_lines(out)
    assert len(printed_records(out, contract.GUARD_ERROR_MARKER)) == 1 and "processing order 42" in lines
    ordinary = [
        "START RequestId: req-1 Version: $LATEST",
        "END RequestId: req-1",
        "REPORT RequestId: req-1\tDuration: 2.31 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB",
        '{"event": "OrderPlaced", "order": 42}',
        '{"level": "INFO", "message": "Violation"}',
        'Violation of policy "event": "Violation"',
    ]
    if log_format == "JSON":  # platform events are JSON objects under the JSON format
        ordinary += [
            '{"time":"2024-01-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"req-1","version":"$LATEST"}}',
            '{"time":"2024-01-01T00:00:00.000Z","type":"platform.report","record":{"requestId":"req-1","metrics":{"durationMs":2.3}}}',
        ]
    for event in [*lines, *ordinary]:
        assert not matches(PATTERN, event), event


def test_a_record_sent_through_logging_under_json_format_would_not_match(
    invoke: Callable[..., tuple[object, str]],
) -> None:
    """Why the guard prints: the runtime's JSON formatter nests a logged line under "message"."""
    _, out = invoke(apigw_http(XSS))
    record_line = next(e for e in printed_lines(out) if matches(PATTERN, e))
    log = logging.LogRecord("root", logging.WARNING, __file__, 1, record_line, None, None)
    nested = RuntimeJsonFormatter().format(log)
    assert json.loads(nested)["message"] == record_line
    assert not matches(PATTERN, nested)


def test_limit_notes_are_logged_but_not_counted(invoke: Callable[..., tuple[object, str]]) -> None:
    """A value beyond the size limit is scanned in part and reported, not blocked: its record is
    an InspectionLimit, which the filter does not count (large uploads must not page anyone)."""
    big = "a" * ((1 << 20) + 10)
    result, out = invoke(apigw_http("hello", body=big))
    assert isinstance(result, dict) and result["statusCode"] == 200
    notes = printed_records(out, contract.INSPECTION_LIMIT_MARKER)
    assert [(r[contract.FIELD_RULE_ID], r[contract.FIELD_ACTION]) for r in notes] == [
        ("limit-001", contract.ACTION_DETECTED)]
    assert notes[0][contract.FIELD_LEVEL] == contract.RECORD_LEVEL
    assert not [line for line in printed_lines(out) if matches(PATTERN, line)]


def test_uninspected_input_that_blocks_is_a_counted_violation(
    invoke: Callable[..., tuple[object, str]]
) -> None:
    buried: object = "hello"
    for _ in range(40):
        buried = [buried]
    result, out = invoke(apigw_http("hello", body=json.dumps(buried)))
    assert isinstance(result, dict) and result["statusCode"] == 403
    counted = [json.loads(line) for line in printed_lines(out) if matches(PATTERN, line)]
    assert [(r[contract.FIELD_RULE_ID], r[contract.FIELD_CATEGORY]) for r in counted] == [
        ("limit-003", "uninspected")]


def test_a_record_after_an_unfinished_line_is_on_a_line_of_its_own(
    user_app: UserApp, lambda_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    """A handler that leaves a line unfinished (print(..., end="")) must not swallow the record
    of its leaking response: Lambda would file the joined line as the handler's text."""
    module = user_app.write("partial.py", (
        "import sys\n"
        "def handler(event, context):\n"
        "    sys.stdout.write('processing order ')\n"
        "    print('42', end='')\n"
        "    return {'statusCode': 200, 'body': 'card 4111 1111 1111 1111'}\n"))
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler", contract.SEAL_ENV: SEAL})
    capsys.readouterr()
    result = wrapper.handler(apigw_http("hello"), LambdaContext(function_name=FUNCTION, aws_request_id="r"))
    assert result["statusCode"] == 500
    lines = printed_lines(capsys.readouterr().out)
    assert lines[0] == "processing order 42"
    assert [json.loads(line)[contract.FIELD_CATEGORY] for line in lines if matches(PATTERN, line)] == ["leak_card"]


def test_detections_in_a_blocking_function_are_logged_not_counted(
    invoke: Callable[..., tuple[object, str]]
) -> None:
    result, out = invoke(apigw_http(XSS), **{contract.CONFIG_ENV: json.dumps({"category_overrides": {"xss": "monitor"}})})
    assert isinstance(result, dict) and result["statusCode"] == 200
    assert len(printed_records(out, contract.DETECTION_MARKER)) == 1
    assert not [line for line in printed_lines(out) if matches(PATTERN, line)]
