"""Tests of protect_lambda_tools.filter_pattern against the cases of AWS's filter-pattern documentation.

The events below are shaped like the sample events of "Filter pattern syntax for
metric filters, subscription filters, filter log events, and Live Tail" (JSON and
unstructured sections); expectations follow the documented results, including the
patterns that must not match.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from protect_lambda import contract
from protect_lambda_tools.filter_pattern import FilterPattern, FilterPatternError, matches

DOC_EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
        "OtherFlag": False,
        "latency": 250,
        "ratio": 0.75,
        "status": "200",
    }
)

COMPOUND_EVENT = json.dumps(
    {
        "user": {"id": 1, "email": "John.Doe@example.com"},
        "users": [
            {"id": 2, "email": "John.Doe@example.com"},
            {"id": 3, "email": "Jane.Doe@example.com"},
        ],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1], [1, 2], [2, 3]],
    }
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ('{$.eventType="UpdateTrail"}', True),
        ('{ $.eventType = "Update*" }', True),
        ('{ $.eventType = "*Trail" }', True),
        ('{ $.eventType = "U*T*l" }', True),
        ('{ $.eventType = "Update" }', False),  # equality is on the whole value
        ('{ $.eventType = "updatetrail" }', False),  # case sensitive
        ('{ $.eventType != "UpdateTrail" }', False),
        ('{ $.eventType != "CreateTrail" }', True),
        ("{ $.sourceIPAddress != 123.123.* }", True),
        ("{ $.sourceIPAddress = 111.111.* }", True),
        ("{ $.sourceIPAddress = 111.112.* }", False),
        ('{ $.arrayKey[0] = "value" }', True),
        ('{ $.arrayKey[1] = "another value" }', True),
        ('{ $.arrayKey[1] = "value" }', False),
        ('{ $.arrayKey[2] = "value" }', False),  # out of range
        ('{ $.arrayKey = "value" }', False),  # an array is not its elements
        ("{ $.objectList[1].id = 2 }", True),
        ("{ $.objectList[0].id = 2 }", False),
        ('{ $.objectList[0].name = "a" }', True),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.eventType IS NULL }", False),
        ("{ $.Missing IS NULL }", False),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.SomeObject NOT EXISTS }", False),  # null exists
        ("{ $.objectList[5] NOT EXISTS }", True),
        ("{ $.eventType.inner NOT EXISTS }", True),
        ("{ $.ThisFlag IS TRUE }", True),
        ("{ $.ThisFlag IS FALSE }", False),
        ("{ $.OtherFlag IS FALSE }", True),
        ("{ $.OtherFlag IS TRUE }", False),
        ("{ $.latency > 100 }", True),
        ("{ $.latency < 100 }", False),
        ("{ $.latency >= 250 }", True),
        ("{ $.latency <= 250 }", True),
        ("{ $.latency <= 249.5 }", False),
        ("{ $.latency = 250 }", True),
        ("{ $.latency = 250.0 }", True),
        ("{ $.latency = 2.5e2 }", True),
        ("{ $.latency != 250 }", False),
        ("{ $.latency != 251 }", True),
        ("{ $.latency > -1 }", True),
        ("{ $.ratio < 1 }", True),
        ("{ $.ratio = .75 }", True),
    ],
)
def test_json_patterns_on_the_documented_event(pattern: str, expected: bool) -> None:
    assert matches(pattern, DOC_EVENT) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ $.user.id = 1 && $.users[1].email = "John.Doe@example.com" }', False),
        ('{ ($.user.id = 2 && $.users[0].email = "John.Doe@example.com") || $.actions[2] = "GET" }', False),
        ('{ ($.user.id = 2 && $.users[0].email = "John.Doe@example.com") || $.actions[0] = "GET" }', True),
        (
            (
                '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch'
                " && $.actions[2] = nomatch }"
            ),
            False,
        ),
        ("{ $.coordinates[0][1] = 1 }", True),
        ("{ $.coordinates[2][0] = 2 && $.coordinates[2][1] = 3 }", True),
        # && binds tighter than ||: true || (false && false)
        ('{ $.actions[0] = "GET" || $.user.id = 9 && $.user.id = 8 }', True),
        # parentheses change it: (true || false) && false
        ('{ ($.actions[0] = "GET" || $.user.id = 9) && $.user.id = 8 }', False),
        ('{ ((($.user.id = 1))) }', True),
    ],
)
def test_compound_json_patterns(pattern: str, expected: bool) -> None:
    assert matches(pattern, COMPOUND_EVENT) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.status > 100 }",  # "200" is a string: no numeric comparison
        "{ $.status = 200 }",  # a number never equals a string field
        '{ $.latency = "250" }',  # a string never equals a number field
        "{ $.ThisFlag = 1 }",  # a boolean is not a number
        '{ $.ThisFlag = "true" }',
        "{ $.SomeObject = 0 }",
        "{ $.Missing != 1 }",  # comparisons on missing fields are false, != included
        '{ $.Missing != "x" }',
        "{ $.objectList > 1 }",
        "{ $.user IS TRUE }",
    ],
)
def test_type_mismatches_and_missing_fields_do_not_match(pattern: str) -> None:
    assert matches(pattern, DOC_EVENT) is False


@pytest.mark.parametrize(
    "event",
    [
        "START RequestId: 8f5c Version: $LATEST",
        'INFO {"eventType": "UpdateTrail"}',  # a prefix makes the line non-JSON
        '{"eventType": "UpdateTrail"',  # truncated
        '["eventType", "UpdateTrail"]',  # JSON, but not an object
        '"eventType"',
        "",
    ],
)
def test_non_json_lines_never_match_a_json_pattern(event: str) -> None:
    assert matches('{ $.eventType = "UpdateTrail" }', event) is False
    assert matches("{ $.eventType NOT EXISTS }", event) is False


def test_lone_star_matches_any_existing_value() -> None:
    # what CDK's FilterPattern.exists() renders
    assert matches('{ $.latency = "*" }', DOC_EVENT)
    assert matches('{ $.eventType = "*" }', DOC_EVENT)
    assert not matches('{ $.nothing = "*" }', DOC_EVENT)


def test_wildcard_is_literal_outside_star() -> None:
    event = json.dumps({"path": "/a.b/c?d"})
    assert matches('{ $.path = "/a.b/*" }', event)
    assert not matches('{ $.path = "/aXb/*" }', event)  # '.' is not a regex dot


def test_quoted_values_keep_operators_and_escapes() -> None:
    event = json.dumps({"msg": 'say "hi" && go || not (x)'})
    assert matches(r'{ $.msg = "say \"hi\" && go || not (x)" }', event)


def test_regex_values_in_json_patterns() -> None:
    assert matches("{ $.eventType = %Update.*% }", DOC_EVENT)
    assert matches("{ $.eventType = %^Update[A-Z]rail$% }", DOC_EVENT)
    assert not matches("{ $.eventType = %^Trail% }", DOC_EVENT)
    assert matches("{ $.eventType != %^Create% }", DOC_EVENT)
    assert not matches("{ $.latency = %25% }", DOC_EVENT)  # regex applies to strings only


UNSTRUCTURED = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
    "[WARN 299] SLOW RESPONSE",
    "[INFO 200] OK",
]


@pytest.mark.parametrize(
    ("pattern", "expected_indexes"),
    [
        ("ERROR", [0, 1, 2, 3]),
        ("ERROR ARGUMENTS", [2, 3]),
        ("ARGUMENTS ERROR", [2, 3]),
        ('"INVALID ARGUMENTS"', [3]),
        ('"ARGUMENTS INVALID"', []),
        ("ERROR -ARGUMENTS", [0, 1]),
        ('ERROR -"BAD REQUEST"', [1, 2, 3]),
        ("?WARN ?INFO", [4, 5]),
        ("?ARGUMENTS ?OK", [2, 3, 5]),
        ("error", []),  # case sensitive
        ("%AUTHORIZED%", [1]),
        ("%ERROR 4[01]%", [0, 1, 2]),
        ("%ERROR 4[01][01]%", [0, 1]),
        ("%^\\[INFO%", [5]),
        ("", [0, 1, 2, 3, 4, 5]),
        ("   ", [0, 1, 2, 3, 4, 5]),
    ],
)
def test_unstructured_patterns(pattern: str, expected_indexes: list[int]) -> None:
    parsed = FilterPattern.parse(pattern)
    got = [i for i, line in enumerate(UNSTRUCTURED) if parsed.matches(line)]
    assert got == expected_indexes


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        # the term examples of AWS's "Matching terms in log events": terms are substrings
        ("ERROR", "[ERROR] A fatal exception has occurred", True),
        ("ERROR", "Exiting with ERRORCODE: -1", True),
        ("ERROR -Exiting", "Exiting with ERRORCODE: -1", False),
        ("ERROR -Exiting", "[ERROR] A fatal exception has occurred", True),
        ("ERROR Exception", "[ERROR] Caught IllegalArgumentException", True),
        ("ERROR Exception", "[ERROR] Unhandled Exception", True),
        ("ERROR Exception", "[WARN] Unhandled Exception", False),
        ('"Failed to process the request"', "[WARN] Failed to process the request", True),
        ('"Failed to process the request"', "[ERROR] Unable to continue: Failed to process the request", True),
        ('"Failed to process the request"', "[ERROR] Failed to process request", False),
        ("Failed to process the request", "[ERROR] the request: Failed to process", True),  # all terms, any order
        ('"ERROR 401"', "[ERROR 401] UNAUTHORIZED REQUEST", True),
        ("under_score", "an under_score here", True),
        # CDK's FilterPattern.allTerms / anyTerm render quoted terms
        ('"ERROR" "MainThread"', "ERROR in MainThread", True),
        ('"ERROR" "MainThread"', "ERROR in worker", False),
        ('?"ERROR" ?"WARN"', "[WARN] slow", True),
        ('?"ERROR" ?"WARN"', "[INFO] ok", False),
    ],
)
def test_term_examples(pattern: str, event: str, expected: bool) -> None:
    assert matches(pattern, event) is expected


def test_empty_pattern_matches_json_and_text() -> None:
    assert matches("", DOC_EVENT)
    assert matches("", "anything at all")
    assert FilterPattern.parse("").kind == "all"


def test_kinds() -> None:
    assert FilterPattern.parse("{ $.a = 1 }").kind == "json"
    assert FilterPattern.parse("%a%").kind == "regex"
    assert FilterPattern.parse("a b").kind == "terms"
    assert str(FilterPattern.parse("{ $.a = 1 }")) == "{ $.a = 1 }"


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("{ $.a = }", "expected a value"),
        ("{ $.a }", "expected an operator"),
        ("{ a = 1 }", "expected a selector"),
        ("{ $.a = 1 ", "must end with"),
        ('{ $.a = "x }', "unterminated string"),
        ("{ ($.a = 1 }", "expected ')'"),
        ("{ $.a = 1 ) }", "unexpected"),
        ("{ $.a = 1 && }", "expected a selector"),
        ('{ $.a > "x" }', "needs '=' or '!='"),
        ("{ $.a < abc }", "needs '=' or '!='"),
        ("{ $.a > %x% }", "needs '=' or '!='"),
        ("{ $.a = true }", "IS TRUE"),
        ("{ $.a = null }", "IS NULL"),
        ("{ $[0] = 1 }", "unsupported selector"),
        ("{ $.a = %(x)% }", "no groups"),
        ("{ $.a = %x }", "unterminated regular expression"),
        ("[ip, user, status = 404]", "space-delimited"),
        ("?ERROR WARN", "mixing"),
        ('"unterminated', "unterminated quoted term"),
        ("a{b", "double quotes"),
        ("ERROR:", "enclose it in double quotes"),
        ("10.0.0.1", "enclose it in double quotes"),
        ("%%", "regular expression"),
    ],
)
def test_errors_are_clear(pattern: str, fragment: str) -> None:
    with pytest.raises(FilterPatternError, match=None) as info:
        FilterPattern.parse(pattern)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def _violation_record(**overrides: object) -> str:
    record: dict[str, object] = {field: "x" for field in contract.VIOLATION_FIELDS}
    record[contract.FIELD_EVENT] = contract.VIOLATION_MARKER
    record.update(overrides)
    return json.dumps(record, separators=(",", ":"))


def test_contract_pattern_matches_sealed_violations_of_its_function_only() -> None:
    pattern = FilterPattern.parse(contract.violation_filter_pattern("orders", "0f1e-seal"))
    own = {contract.FIELD_FUNCTION_NAME: "orders", contract.FIELD_SEAL: "0f1e-seal"}
    assert pattern.kind == "json"
    assert pattern.matches(_violation_record(**own))
    assert pattern.matches(_violation_record(**own, **{contract.FIELD_ACTION: contract.ACTION_DETECTED}))
    assert not pattern.matches(_violation_record(**{**own, contract.FIELD_EVENT: contract.GUARD_ERROR_MARKER}))
    assert not pattern.matches(_violation_record(**{**own, contract.FIELD_SEAL: "0f1e-seaL"}))
    assert not pattern.matches(_violation_record(**{**own, contract.FIELD_FUNCTION_NAME: "billing"}))
    assert not pattern.matches(_violation_record(**{contract.FIELD_FUNCTION_NAME: "orders"}))
    assert not pattern.matches("END RequestId: 8f5c")
    assert not pattern.matches("REPORT RequestId: 8f5c Duration: 1.00 ms")
    # an attacker-controlled excerpt mentioning the marker does not make a record
    assert not pattern.matches(json.dumps({"message": '{"event": "Violation"}'}))
    assert FilterPattern.parse(contract.VIOLATION_EVENT_PATTERN).matches(_violation_record())


_json_text = st.text(max_size=30)


@given(value=_json_text.filter(lambda s: "*" not in s))
def test_property_quoted_equality_is_exact(value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    quoted = f'"{escaped}"'
    event = json.dumps({"k": value, "other": 1})
    assert matches(f"{{ $.k = {quoted} }}", event)
    assert not matches(f"{{ $.k != {quoted} }}", event)
    assert not matches(f"{{ $.k = {quoted} }}", json.dumps({"k": value + "!"}))


@given(number=st.integers(-(10**12), 10**12) | st.floats(allow_nan=False, allow_infinity=False))
def test_property_numbers_compare_like_python(number: float) -> None:
    event = json.dumps({"n": number})
    assert matches(f"{{ $.n = {number!r} }}", event)
    assert matches(f"{{ $.n >= {number!r} }}", event)
    assert not matches(f"{{ $.n < {number!r} }}", event)


@given(line=st.text(max_size=60).filter(lambda s: not s.strip().startswith("{")))
def test_property_non_json_never_matches(line: str) -> None:
    assert not matches("{ $.a NOT EXISTS }", line)
    assert not matches('{ $.a = "*" }', line)
