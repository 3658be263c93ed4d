"""Contract test: what the guard really prints is what the construct's metric filter counts.

The records come from captured stdout of real invocations of
``protect_lambda.wrapper.handler`` (the handler the construct sets), and are
matched with the CloudWatch Logs filter-pattern evaluator against
``contract.VIOLATION_FILTER_PATTERN`` (the pattern the construct deploys), as
the log events Lambda produces under both log formats:

* Text: each printed line is one log event, as is;
* JSON: ``print()`` output is still sent as plain text (AWS: "Lambda sends
  stdout output as plain text even with the JSON log format"), so the log
  event is again the printed line. Output of the ``logging`` module, however,
  is wrapped by the runtime's JSON formatter under ``"message"``: a record sent
  that way would NOT match, which is why the guard prints.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Callable

import pytest
from protect_lambda import contract, wrapper
from protect_lambda_tools.filter_pattern import matches

from .conftest import XSS, LambdaContext, UserApp, apigw_http, printed_lines, printed_records

PATTERN = contract.VIOLATION_FILTER_PATTERN
HANDLER = (
    "def handler(event, context):\n"
    "    print('processing order 42')\n"
    "    return {'statusCode': 200, 'body': 'ok'}\n"
)


def text_format_events(stdout: str) -> list[str]:
    """Log events under the Text log format: one per printed line."""
    return printed_lines(stdout)


def json_format_print_events(stdout: str) -> list[str]:
    """Log events of print() output under the JSON log format: plain text, one per line."""
    return printed_lines(stdout)


class RuntimeJsonFormatter(logging.Formatter):
    """What Lambda's Python runtime does with a ``logging`` call under the JSON log format:
    a JSON object with the formatted message as the string value of ``message``."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, tz=timezone.utc)
        return json.dumps(
            {
                "timestamp": created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "requestId": getattr(record, "aws_request_id", None),
            },
            ensure_ascii=False,
        )


class RuntimeTextFormatter(logging.Formatter):
    """The Text log format's ``[LEVEL]\\ttimestamp\\trequestId\\tmessage`` line."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "aws_request_id", "")
        stamp = "2024-01-01T00:00:00.000Z"
        return f"[{record.levelname}]\t{stamp}\t{request_id}\t{record.getMessage()}"


def _via_logging(line: str, formatter: logging.Formatter, request_id: str) -> str:
    record = logging.LogRecord("root", logging.INFO, __file__, 1, line, None, None)
    record.aws_request_id = request_id
    return formatter.format(record)


@pytest.fixture
def invoke(
    user_app: UserApp, lambda_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[object, str]]:
    module = user_app.write("app.py", HANDLER)

    def run(event: object, **env: str) -> tuple[object, str]:
        lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"}, **env)
        capsys.readouterr()
        result = wrapper.handler(
            event, LambdaContext(function_name="orders-api", aws_request_id="req-1")
        )
        return result, capsys.readouterr().out

    return run


@pytest.mark.parametrize("log_format", ["Text", "JSON"])
def test_printed_violation_records_match_the_filter(
    log_format: str, invoke: Callable[..., tuple[object, str]]
) -> None:
    result, out = invoke(apigw_http(XSS))
    assert isinstance(result, dict) and result["statusCode"] == 403
    log_events = text_format_events(out) if log_format == "Text" else json_format_print_events(out)
    violations = [
        e
        for e in log_events
        if json.loads(e).get(contract.FIELD_EVENT) == contract.VIOLATION_MARKER
    ]
    assert violations, "the invocation printed no Violation record"
    assert all(matches(PATTERN, event) for event in violations)
    assert [
        e for e in log_events if matches(PATTERN, e)
    ] == violations  # one metric count per record
    for event in violations:
        assert json.loads(event)[contract.METRIC_DIMENSION_FIELD] == "orders-api"


@pytest.mark.parametrize("mode", [contract.MODE_BLOCK, contract.MODE_MONITOR])
def test_detected_records_count_too(mode: str, invoke: Callable[..., tuple[object, str]]) -> None:
    _, out = invoke(apigw_http(XSS), **{contract.MODE_ENV: mode})
    matched = [json.loads(e) for e in printed_lines(out) if matches(PATTERN, e)]
    expected = contract.ACTION_BLOCKED if mode == contract.MODE_BLOCK else contract.ACTION_DETECTED
    assert matched and {r[contract.FIELD_ACTION] for r in matched} == {expected}


@pytest.mark.parametrize("log_format", ["Text", "JSON"])
def test_guard_error_record_and_ordinary_lines_do_not_match(
    log_format: str, invoke: Callable[..., tuple[object, str]]
) -> None:
    result, out = invoke(
        apigw_http("hello"), **{contract.MODE_ENV: "not-a-mode"}
    )  # broken config: fail open
    assert result == {"statusCode": 200, "body": "ok"}
    lines = printed_lines(out)
    guard_errors = [
        e
        for e in lines
        if e.startswith("{") and json.loads(e)[contract.FIELD_EVENT] == contract.GUARD_ERROR_MARKER
    ]
    assert len(guard_errors) == 1 and "processing order 42" in lines
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
    nested = _via_logging(record_line, RuntimeJsonFormatter(), "req-1")
    assert json.loads(nested)["message"] == record_line
    assert not matches(PATTERN, nested)
    assert not matches(PATTERN, _via_logging(record_line, RuntimeTextFormatter(), "req-1"))


def test_forged_record_inside_attacker_text_is_counted_once(
    invoke: Callable[..., tuple[object, str]],
) -> None:
    forged = '\n{"event":"Violation","function_name":"someone-else"}\n'
    _, out = invoke(apigw_http(forged + XSS))
    matched = [json.loads(e) for e in printed_lines(out) if matches(PATTERN, e)]
    assert matched and all(r[contract.FIELD_FUNCTION_NAME] == "orders-api" for r in matched)
    assert len(matched) == len(
        [line for line in printed_lines(out) if '"event":"Violation"' in line[:20]]
    )


def test_limit_notes_are_logged_but_not_counted(invoke: Callable[..., tuple[object, str]]) -> None:
    """A value beyond the size limit is scanned in part and reported, not blocked: its record is
    an InspectionLimit, which the filter does not count (large uploads must not page anyone)."""
    big = "a" * ((1 << 20) + 10)
    result, out = invoke(apigw_http("hello", body=big))
    assert isinstance(result, dict) and result["statusCode"] == 200
    notes = printed_records(out, contract.INSPECTION_LIMIT_MARKER)
    assert [(r[contract.FIELD_RULE_ID], r[contract.FIELD_ACTION]) for r in notes] == [
        ("limit-001", contract.ACTION_DETECTED)]
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
