"""The Violation record: exact fields, redacted excerpts, and no log forging."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace as NS
from typing import Any, Optional

import pytest
from protect_lambda import __version__, contract, inspection, protected_handler, violation
from protect_lambda.config import GuardConfig
from protect_lambda.errors import GuardBlockedError

from .conftest import (
    AWS_KEY_ID,
    AWS_SECRET,
    CARD,
    PRIVATE_KEY,
    SQLI,
    XSS,
    LambdaContext,
    Recorder,
    apigw_http,
    printed_lines,
    printed_records,
)

CTX = LambdaContext(function_name="billing", aws_request_id="req-abc")
#: RFC 3339, as Lambda's JSON log format requires of a record's timestamp (UTC, milliseconds).
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def _finding(
    text: str,
    start: int,
    end: int,
    *,
    direction: str = "outbound",
    rule_id: str = "leak-x",
    location: str = "body",
) -> Any:
    return NS(
        rule_id=rule_id,
        category="leak_card" if direction == "outbound" else "xss",
        direction=direction,
        severity="high",
        location=location,
        action="blocked",
        record_index=None,
        match=NS(text=text, start=start, end=end),
    )


def _span(text: str, secret: str) -> tuple[int, int]:
    start = text.index(secret)
    return start, start + len(secret)


# --- record shape: one per blocked (or flagged) inspection --------------------------------


def test_one_record_per_inspection_with_every_finding_in_contract_order(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str]
) -> None:
    protected = protected_handler.ProtectedHandler(Recorder(), default_guard, GuardConfig(seal="s-1"))
    several = "http://intranet/../../../etc/passwd"  # a weak SSRF finding, then a climb to a sensitive file
    verdict = default_guard.inspect_event(apigw_http(several))
    assert len({(f.rule_id, f.location) for f in verdict.findings}) > 1  # several rules fire...
    assert len({f.severity for f in verdict.findings}) > 1
    protected(apigw_http(several), CTX)
    [record] = printed_records(capsys.readouterr().out)  # ...one record
    assert tuple(record) == contract.VIOLATION_FIELDS
    assert record[contract.FIELD_EVENT] == contract.VIOLATION_MARKER
    assert (record[contract.FIELD_LEVEL], record[contract.FIELD_SEAL]) == (contract.RECORD_LEVEL, "s-1")
    assert RFC3339.fullmatch(record[contract.FIELD_TIMESTAMP])
    assert record[contract.FIELD_FUNCTION_NAME] == "billing"
    assert record[contract.FIELD_REQUEST_ID] == "req-abc"
    assert record[contract.FIELD_SOURCE] == "apigw-http"
    assert record[contract.FIELD_ACTION] == contract.ACTION_BLOCKED
    assert record[contract.FIELD_DIRECTION] == contract.DIRECTION_INBOUND
    assert record[contract.FIELD_MODE] == "block" and record[contract.FIELD_GUARD_VERSION] == __version__
    findings = record[contract.FIELD_FINDINGS]
    assert record[contract.FIELD_FINDING_COUNT] == len(findings) == len(
        {(f.rule_id, f.location) for f in verdict.findings})
    assert {f[contract.FIELD_RULE_ID] for f in findings} == {f.rule_id for f in verdict.findings}
    for finding in findings:
        assert tuple(finding) == contract.FINDING_FIELDS
        assert finding[contract.FIELD_LOCATION] == "queryStringParameters.q"
        assert finding[contract.FIELD_SEVERITY] in contract.SEVERITIES
    # the record leads with the most severe blocking finding, which is also listed
    lead = {k: record[k] for k in contract.FINDING_FIELDS if k != contract.FIELD_SCORE}
    assert lead in [{k: v for k, v in f.items() if k != contract.FIELD_SCORE} for f in findings]
    assert record[contract.FIELD_TOTAL_SCORE] >= contract.BLOCK_SCORE
    ranks = [contract.SEVERITIES.index(f[contract.FIELD_SEVERITY]) for f in findings]
    assert contract.SEVERITIES.index(record[contract.FIELD_SEVERITY]) == max(ranks)


def test_a_leak_gets_its_own_record_after_the_handler(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str]
) -> None:
    result = {"statusCode": 200, "body": f"card {CARD}"}
    protected_handler.ProtectedHandler(Recorder(result), default_guard, GuardConfig())(apigw_http(XSS), CTX)
    records = printed_records(capsys.readouterr().out)
    assert [r[contract.FIELD_DIRECTION] for r in records] == [contract.DIRECTION_INBOUND]  # blocked: no handler
    protected_handler.ProtectedHandler(Recorder(result), default_guard, GuardConfig())(apigw_http("hi"), CTX)
    [leak] = printed_records(capsys.readouterr().out)
    assert (leak[contract.FIELD_DIRECTION], leak[contract.FIELD_CATEGORY]) == (contract.DIRECTION_OUTBOUND, "leak_card")


def test_findings_repeating_a_rule_at_a_location_count_once() -> None:
    same = _finding("a <script> b", 2, 10, direction="inbound")
    record = violation.violation_record(
        [same, same, _finding("x", 0, 1, rule_id="other")],
        source="generic", mode="block", function_name="f", request_id="r")
    assert record[contract.FIELD_FINDING_COUNT] == 2
    assert [f[contract.FIELD_RULE_ID] for f in record[contract.FIELD_FINDINGS]] == ["leak-x", "other"]


def test_findings_listed_are_capped_and_counted(capsys: pytest.CaptureFixture[str]) -> None:
    many = [_finding("<script>", 0, 8, direction="inbound", location=f"a[{i}]") for i in range(500)]

    class Guard:
        def inspect_event(self, event: Any) -> Any:
            return NS(blocked=False, source="generic", findings=many)

        def inspect_response(self, response: Any, event: Any = None) -> Any:
            return NS(blocked=False, source="generic", findings=[])

    protected_handler.ProtectedHandler(Recorder(), Guard(), GuardConfig())({}, CTX)
    [record] = printed_records(capsys.readouterr().out)
    assert record[contract.FIELD_FINDING_COUNT] == 500
    assert len(record[contract.FIELD_FINDINGS]) == violation.MAX_FINDINGS
    assert len(json.dumps(record)) < 8_000


def test_the_leading_finding_is_blocking_then_most_severe() -> None:
    def finding(rule: str, severity: str, action: str) -> Any:
        return NS(rule_id=rule, category="c", direction="inbound", severity=severity,
                  location="q", action=action, record_index=None, match=None)

    record = violation.violation_record(
        [finding("low-block", "low", "blocked"), finding("crit-detect", "critical", "detected"),
         finding("high-block", "high", "blocked"), finding("high-block-2", "high", "blocked")],
        source="generic", mode="block", function_name="f", request_id="r")
    assert record[contract.FIELD_RULE_ID] == "high-block"


def test_a_record_needs_findings() -> None:
    with pytest.raises(ValueError):
        violation.violation_record([], source="generic", mode="block", function_name="f", request_id="r")


def test_guard_error_records_carry_their_level_and_timestamp() -> None:
    record = violation.guard_error_record(
        KeyError("x"), phase="inbound", outcome="proceeded", source="generic", mode="block",
        fail_policy="open", function_name="f", request_id="r")
    assert record[contract.FIELD_LEVEL] == contract.GUARD_ERROR_LEVEL
    assert RFC3339.fullmatch(record[contract.FIELD_TIMESTAMP])


# --- redaction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, secret",
    [
        (f'{{"name":"Ann","card":"{CARD}","exp":"12/29"}}', CARD),
        ("cards 4111111111111111,5500000000000004 done", "4111111111111111"),
        (f"aws_access_key_id={AWS_KEY_ID}\naws_secret_access_key={AWS_SECRET}", AWS_KEY_ID),
        (f"aws_secret_access_key={AWS_SECRET} region=us-east-1", AWS_SECRET),
        (PRIVATE_KEY, "-----BEGIN RSA PRIVATE KEY-----"),
    ],
)
def test_outbound_excerpt_never_contains_the_secret_or_its_neighbours(
    text: str, secret: str
) -> None:
    start, end = _span(text, secret)
    excerpt = violation.redact_excerpt(_finding(text, start, end))
    assert f"[REDACTED leak-x {end - start} chars]" in excerpt
    assert secret not in excerpt
    assert not re.search(r"[0-9]", excerpt.replace(f"{end - start} chars", ""))  # no digit survives
    for other in (AWS_SECRET, AWS_KEY_ID, *PRIVATE_KEY.splitlines()[1:-1]):
        for i in range(len(other) - 6):
            assert (
                other[i : i + 6] not in excerpt
            )  # not even a 6-char fragment of a neighbouring secret
    assert len(excerpt) <= 2 * violation.OUTBOUND_CONTEXT + len(
        f"[REDACTED leak-x {end - start} chars]"
    )


def test_outbound_context_keeps_plain_words() -> None:
    text = f'{{"card": "{CARD}"}}'
    start, end = _span(text, CARD)
    assert (
        violation.redact_excerpt(_finding(text, start, end))
        == '{"card": "[REDACTED leak-x 19 chars]"}'
    )


def test_partial_match_does_not_leak_the_rest_of_the_number() -> None:
    text = "pan: 4111111111111111;"
    excerpt = violation.redact_excerpt(
        _finding(text, 5, 17)
    )  # the rule matched only 12 of 16 digits
    assert excerpt == "pan: [REDACTED leak-x 12 chars]****;"


@pytest.mark.parametrize(
    "body",
    [
        {"card": CARD},
        {"creds": {"aws_access_key_id": AWS_KEY_ID, "aws_secret_access_key": AWS_SECRET}},
        {"pem": PRIVATE_KEY},
        {"note": f"paid with {CARD} thanks", "key": AWS_KEY_ID},
    ],
)
def test_real_wrapper_output_never_contains_the_secret(
    body: dict[str, Any], default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str]
) -> None:
    result = {"statusCode": 200, "body": json.dumps(body)}
    response = protected_handler.ProtectedHandler(Recorder(result), default_guard, GuardConfig())(
        apigw_http("x"), CTX
    )
    assert response["statusCode"] == 500
    out = capsys.readouterr().out
    assert printed_records(out)
    for secret in (
        CARD,
        "4111",
        AWS_KEY_ID,
        AWS_SECRET[:8],
        AWS_SECRET[-8:],
        *[line[:10] for line in PRIVATE_KEY.splitlines()[1:-1]],
    ):
        assert secret not in out
        assert secret not in json.dumps(response)


def test_inbound_excerpt_is_bounded_and_masks_numbers_and_tokens() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0"
    text = f"card={CARD.replace(' ', '')}&t={token}&q=" + XSS + "A" * 100_000
    start = text.index("<script>")
    excerpt = violation.redact_excerpt(_finding(text, start, start + len(XSS), direction="inbound"))
    assert len(excerpt) <= violation.MAX_EXCERPT
    assert "<script>alert" in excerpt  # the attack is visible for triage
    assert "4111" not in excerpt and token[-12:] not in excerpt and token[:12] not in excerpt


def test_inbound_long_match_is_truncated() -> None:
    text = "x" * 10 + "<" + "a" * 5000 + ">"
    excerpt = violation.redact_excerpt(_finding(text, 10, len(text), direction="inbound"))
    assert len(excerpt) <= violation.MAX_EXCERPT and excerpt.endswith("...")


def test_finding_without_match_has_empty_excerpt() -> None:
    finding = _finding("x", 0, 1)
    finding.match = None
    assert violation.redact_excerpt(finding) == ""


# --- log injection ------------------------------------------------------------------------

FORGED = '"}\n{"event":"Violation","rule_id":"forged","function_name":"victim"}\u2028\r\n'


def _assert_single_line_records(out: str, expected: int) -> list[dict[str, Any]]:
    lines = printed_lines(out)
    assert len(lines) == expected
    records = []
    for line in lines:
        assert line.isascii() and "\u2028" not in line and "\r" not in line
        record = json.loads(line)
        assert tuple(record) == contract.VIOLATION_FIELDS
        records.extend({**record, **finding} for finding in record[contract.FIELD_FINDINGS])
    return records


def test_attack_in_a_key_cannot_forge_a_record(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str]
) -> None:
    event = {"payload": {FORGED + XSS: "v"}}
    with pytest.raises(GuardBlockedError):
        protected_handler.ProtectedHandler(Recorder(), default_guard, GuardConfig())(event, CTX)
    out = capsys.readouterr().out
    count = len(printed_lines(out))
    assert count >= 1
    records = _assert_single_line_records(out, count)
    assert all(r[contract.FIELD_RULE_ID] != "forged" for r in records)
    assert all(r[contract.FIELD_FUNCTION_NAME] == "billing" for r in records)


def test_attack_in_a_value_cannot_forge_a_record(
    default_guard: inspection.GuardLike, capsys: pytest.CaptureFixture[str]
) -> None:
    response = protected_handler.ProtectedHandler(Recorder(), default_guard, GuardConfig())(
        apigw_http(FORGED + XSS), CTX
    )
    assert response["statusCode"] == 403
    out = capsys.readouterr().out
    records = _assert_single_line_records(out, len(printed_lines(out)))
    assert records and all(r[contract.FIELD_RULE_ID] != "forged" for r in records)


@pytest.mark.parametrize("field", ["location", "function_name", "request_id", "rule_id"])
def test_every_text_field_is_neutralised(field: str) -> None:
    values: dict[str, Optional[str]] = {
        "location": "body",
        "function_name": "fn",
        "request_id": "r",
        "rule_id": "x",
    }
    values[field] = FORGED + "\x1b[31m\u202e"
    finding = _finding(
        "abc", 0, 1, rule_id=values["rule_id"] or "", location=values["location"] or ""
    )
    record = violation.violation_record(
        [finding],
        source="generic",
        mode="block",
        function_name=values["function_name"] or "",
        request_id=values["request_id"] or "",
    )
    line = violation.format_record(record)
    assert "\n" not in line and "\r" not in line and line.isascii()
    parsed = json.loads(line)
    assert parsed[contract.FIELD_FINDINGS][0][contract.FIELD_LOCATION] == parsed[contract.FIELD_LOCATION]
    assert (
        tuple(parsed) == contract.VIOLATION_FIELDS and parsed[contract.FIELD_EVENT] == "Violation"
    )
    assert (
        "\x1b" not in parsed[field]
        and "\u202e" not in parsed[field]
        and "\u2028" not in parsed[field]
    )
    if field == "location":  # a key name outside the safe set is replaced as a whole
        assert parsed[field] == violation.LOCATION_PLACEHOLDER
    else:
        assert '"event":"Violation"' in parsed[field]  # kept, but only inside the string value


def test_location_masks_long_digit_runs() -> None:
    record = violation.violation_record(
        [_finding("x", 0, 1, location="body.4111111111111111")],
        source="generic",
        mode="block",
        function_name="f",
        request_id="r",
    )
    assert "4111" not in record[contract.FIELD_LOCATION]


def test_guard_error_record_carries_no_message() -> None:
    lookup: dict[str, str] = {}
    try:
        lookup["<script>" + CARD]
    except KeyError as error:
        record = violation.guard_error_record(
            error,
            phase="inbound",
            outcome="proceeded",
            source="generic",
            mode="block",
            fail_policy="open",
            function_name="f",
            request_id="r",
        )
    line = violation.format_record(record)
    assert "script" not in line and "4111" not in line
    assert record["error_type"] == "KeyError" and record["where"].startswith(
        "test_violation_record.py:"
    )
