"""Event-source adapters: source detection, what is scanned (and where), what is skipped."""

from __future__ import annotations

import base64
import json

import pytest

from protect_lambda.adapters import Limits, collect_event, collect_event_budget, collect_response, detect_source

from . import events


def _values(event: object) -> dict[str, str]:
    return {f.location: f.value for f in collect_event(event)[1]}


@pytest.mark.parametrize(
    ("event", "source"),
    [
        (events.apigw_rest(), "apigw-rest"),
        (events.apigw_http("x"), "apigw-http"),
        (events.function_url("x"), "function-url"),
        (events.alb(), "alb"),
        (events.sqs("x"), "sqs"),
        (events.sns("x"), "sns"),
        (events.eventbridge({"a": 1}), "eventbridge"),
        (events.s3("k"), "s3"),
        (events.dynamodb("n"), "dynamodb"),
        (events.kinesis("x"), "kinesis"),
        ({"anything": "else"}, "generic"),
        (["a", "list"], "generic"),
        ("a string", "generic"),
        (None, "generic"),
    ],
)
def test_detect_source(event: object, source: str) -> None:
    assert detect_source(event) == source


def test_rest_scans_query_headers_body_not_context() -> None:
    values = _values(events.apigw_rest(query="q1", body='{"user": {"name": "bob"}}'))
    assert values["queryStringParameters.q"] == "q1"
    assert values["headers.user-agent"] == "curl/8.0"
    assert values["body.user.name"] == "bob"
    assert "headers.x-amzn-trace-id" not in values
    assert not any(loc.startswith(("requestContext", "stageVariables")) for loc in values)


def test_http_v2_json_body_keys_and_values() -> None:
    values = _values(events.apigw_http(body='{"user_name": "alice", "tags": ["a", "b"]}'))
    assert values["body.user_name#key"] == "user_name"
    assert values["body.user_name"] == "alice"
    assert values["body.tags[1]"] == "b"


def test_http_v2_raw_query_when_no_parsed_parameters() -> None:
    event = events.apigw_http()
    event["rawQueryString"] = "a=1&b=%3Cb%3E"
    assert _values(event)["rawQueryString.b"] == "<b>"


def test_base64_body_is_decoded() -> None:
    body = base64.b64encode(b'{"comment": "hi there"}').decode()
    values = _values(events.apigw_http(body=body, isBase64Encoded=True))
    assert values["body.comment"] == "hi there"


def test_form_body_is_split() -> None:
    values = _values(events.apigw_http(body="name=bob&note=a%20b", headers={"content-type": "application/x-www-form-urlencoded"}))
    assert values["body.name"] == "bob" and values["body.note"] == "a b"


def test_content_type_is_read_from_the_headers_in_any_case() -> None:
    """The body is parsed by the ``headers`` map's content type, whatever its name's case (the last
    one when two differ in case only); ``multiValueHeaders`` and non-string values do not set it."""
    form = "name=bob&note=a b"
    assert "body.name" in _values(events.apigw_http(body=form, headers={"Content-Type": "application/x-www-form-urlencoded"}))
    last = _values(events.apigw_http(body=form, headers={"content-type": "application/x-www-form-urlencoded",
                                                         "CONTENT-TYPE": "text/plain"}))
    assert "body.name" in last  # text/plain: still a form by its shape ("name=...&...")
    xml = "<a>a=1&b=2</a>"
    assert _values(events.apigw_http(body=xml, headers={"content-type": "x", "Content-Type": "application/xml"}))[
        "body.text"] == "a=1&b=2"
    rest = events.apigw_rest(body=xml)
    rest["headers"] = {"Content-Type": "application/xml", "content-type": ["application/json"]}
    assert "body.text" not in _values(rest)  # the last one is no string: no content type
    rest["headers"] = {"Content-Type": "application/xml"}
    assert _values(rest)["body.text"] == "a=1&b=2"
    rest["headers"] = {}
    rest["multiValueHeaders"] = {"Content-Type": ["application/xml"]}
    assert "body.text" not in _values(rest)


def test_multipart_body_parts() -> None:
    body = ("--XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n\r\nhello\r\n--XyZ--\r\n")
    values = _values(events.apigw_http(body=body, headers={"content-type": "multipart/form-data; boundary=XyZ"}))
    assert "hello" in values.values()
    assert "a.txt" in values.values()


def test_plain_body_is_one_value() -> None:
    assert _values(events.apigw_http(body="just some text"))["body"] == "just some text"


def test_url_encoded_body_without_fields_reads_plus_as_space() -> None:
    """A body such as ``pay%3DAND+1%3D2`` (its '=' encoded, so not form fields) is URL-encoded text."""
    assert _values(events.apigw_http(body="pay%3DAND+1%3D2"))["body"] == "pay%3DAND 1%3D2"
    # text with spaces, or without escapes, keeps its plus signs
    assert _values(events.apigw_http(body="1+1 is 2%"))["body"] == "1+1 is 2%"
    assert _values(events.apigw_http(body="c++"))["body"] == "c++"


def test_cookies_are_split_into_values() -> None:
    event = events.apigw_rest()
    event["headers"]["Cookie"] = "session=abc; theme=dark"
    values = _values(event)
    assert values["cookies.session"] == "abc" and values["cookies.theme"] == "dark"
    v2 = events.apigw_http(cookies=["a=1", "b=2"])
    assert _values(v2)["cookies.b"] == "2"


def test_alb_multi_values_are_all_scanned() -> None:
    fields = collect_event(events.alb(query="second", header="hdr"))[1]
    locs = [(f.location, f.value) for f in fields]
    assert ("queryStringParameters.a", "1") in locs and ("queryStringParameters.a", "second") in locs
    assert ("headers.x-custom", "hdr") in locs
    assert not any(loc == "headers.x-amzn-trace-id" for loc, _ in locs)


def test_rest_headers_held_in_both_maps_are_scanned_once() -> None:
    event = events.apigw_rest(query="q1")
    event["headers"] = {"User-Agent": "curl/8.0", "X-Only-Single": "a"}
    event["multiValueHeaders"] = {"User-Agent": ["curl/8.0"], "X-Only-Multi": ["b"],
                                  "x-only-single": ["a", "a second value"]}
    locs = [(f.location, f.value) for f in collect_event(event)[1] if f.location.startswith("headers.")]
    assert sorted(locs) == [("headers.user-agent", "curl/8.0"), ("headers.x-only-multi", "b"),
                            ("headers.x-only-single", "a"), ("headers.x-only-single", "a second value")]


def test_sqs_records_have_indices_and_json_bodies_are_walked() -> None:
    fields = collect_event(events.sqs("plain", json.dumps({"text": "inner"})))[1]
    assert [(f.location, f.value, f.record_index) for f in fields] == [
        ("Records[0].body", "plain", 0), ("Records[1].body.text", "inner", 1)]


def test_sns_message_subject_attributes_not_signature() -> None:
    values = _values(events.sns("the message", subject="subj"))
    assert values["Records[0].Sns.Message"] == "the message"
    assert values["Records[0].Sns.Subject"] == "subj"
    assert values["Records[0].Sns.MessageAttributes.k"] == "v"
    assert not any("Signature" in loc or "Url" in loc for loc in values)


def test_eventbridge_detail_only() -> None:
    values = _values(events.eventbridge({"order": {"note": "n"}}))
    assert values == {"detail.order.note": "n"}


def test_s3_object_key() -> None:
    assert _values(events.s3("uploads/a b.txt")) == {"Records[0].s3.object.key": "uploads/a b.txt"}


def test_dynamodb_images() -> None:
    values = _values(events.dynamodb("Widget"))
    assert values["Records[0].dynamodb.NewImage.Name.S"] == "Widget"


def test_kinesis_data_is_decoded_and_walked() -> None:
    fields = collect_event(events.kinesis({"msg": "decoded"}, "raw text"))[1]
    got = {(f.location, f.value, f.record_index) for f in fields}
    assert ("Records[0].kinesis.data.msg", "decoded", 0) in got
    assert ("Records[1].kinesis.data", "raw text", 1) in got


def test_generic_walk_skips_arns_but_not_lookalikes() -> None:
    values = _values({"target": "arn:aws:lambda:us-east-1:123456789012:function:f",
                      "evil": "arn:aws:s3:::../../etc/passwd", "note": "n"})
    assert "target" not in values
    assert values["evil"] == "arn:aws:s3:::../../etc/passwd"
    assert values["note"] == "n"


def test_depth_limit_sets_skipped() -> None:
    deep: object = "bottom"
    for _ in range(50):
        deep = {"k": deep}
    source, budget = collect_event_budget(deep, Limits(max_depth=10))
    assert budget.skipped == "nesting too deep" and budget.truncated is None
    assert budget.out == []


def test_field_limit_sets_skipped() -> None:
    _, budget = collect_event_budget({"items": [str(i) for i in range(100)]}, Limits(max_fields=10))
    assert len(budget.out) == 10 and budget.skipped == "too many values"


def test_value_limit_cuts_and_sets_truncated() -> None:
    _, budget = collect_event_budget({"big": "a" * 100}, Limits(max_value_chars=10))
    assert budget.out[0].value == "a" * 10 and budget.truncated == "value too large"
    assert budget.skipped is None


def test_response_http_shape() -> None:
    budget = collect_response({"statusCode": 200, "headers": {"x-id": "1"}, "body": json.dumps({"card": 4111111111111111})})
    got = {(f.location, f.value) for f in budget.out}
    assert ("body.card", "4111111111111111") in got and ("headers.x-id", "1") in got


def test_response_base64_body() -> None:
    body = base64.b64encode(b"secret text").decode()
    budget = collect_response({"statusCode": 200, "body": body, "isBase64Encoded": True})
    assert [f.value for f in budget.out] == ["secret text"]


def test_response_plain_object_and_string() -> None:
    assert [(f.location, f.value) for f in collect_response({"a": {"b": "c"}}).out] == [("a.b", "c")]
    assert [(f.location, f.value) for f in collect_response("text").out] == [("", "text")]
