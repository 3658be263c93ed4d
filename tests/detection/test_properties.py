"""Property-based: inspection never raises, whatever JSON arrives (events and responses)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from protect_lambda import Guard
from protect_lambda.engine import RuleEngine


GUARD = Guard()
TOKENS = sorted({t for r in RuleEngine.default().rules for t in r.triggers} | {"'", "<", "%", "&#", "\\u", " "})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)
# event-shaped dictionaries: real keys of the adapters with arbitrary values
shaped = st.fixed_dictionaries(
    {},
    optional={
        "version": st.sampled_from(["1.0", "2.0"]) | json_values,
        "requestContext": st.fixed_dictionaries({}, optional={"http": json_values, "elb": json_values,
                                                              "domainName": json_values}) | json_values,
        "headers": json_values, "multiValueHeaders": json_values, "cookies": json_values,
        "queryStringParameters": json_values, "multiValueQueryStringParameters": json_values,
        "rawQueryString": json_values, "rawPath": json_values, "path": json_values, "httpMethod": json_values,
        "pathParameters": json_values, "isBase64Encoded": st.booleans() | json_values,
        "body": json_values | json_values.map(json.dumps),
        "Records": st.lists(st.fixed_dictionaries({}, optional={
            "eventSource": st.sampled_from(["aws:sqs", "aws:s3", "aws:dynamodb", "aws:kinesis"]) | json_values,
            "EventSource": st.just("aws:sns"), "body": json_values, "Sns": json_values, "s3": json_values,
            "dynamodb": json_values, "kinesis": json_values, "messageAttributes": json_values}), max_size=3),
        "detail-type": json_values, "detail": json_values, "statusCode": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_inspect_event_never_raises_on_arbitrary_json(event: Any) -> None:
    verdict = GUARD.inspect_event(event)
    assert isinstance(verdict.blocked, bool)


@settings(max_examples=300, deadline=None)
@given(shaped)
def test_inspect_event_never_raises_on_event_shapes(event: Any) -> None:
    verdict = GUARD.inspect_event(event)
    assert verdict.blocked == any(f.action == "blocked" for f in verdict.findings)


@settings(max_examples=300, deadline=None)
@given(json_values, shaped | st.none())
def test_inspect_response_never_raises(response: Any, event: Any) -> None:
    GUARD.inspect_response(response, event)
    GUARD.inspect_response({"statusCode": 200, "body": json.dumps(response)}, event)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=30).map("".join))
def test_triggers_never_hide_a_match(text: str) -> None:
    """A rule's regex can only match where one of its triggers occurs (triggers are a pure speed hint)."""
    engine = RuleEngine.default()
    for group in engine._groups.values():
        for compiled in group.compiled:
            if compiled.triggers and compiled.regex.search(text.lower() if compiled.folded else text):
                haystack = text.lower() if compiled.folded else text
                assert any(t in haystack for t in compiled.triggers), (compiled.rule.id, text)

