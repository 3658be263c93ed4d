"""Event-source adapters: turn a Lambda event (or a handler's response) into the strings to scan.

Each adapter knows one event shape and yields :class:`Field` items (a location
such as ``"queryStringParameters.q"`` or ``"Records[2].body.text"``, the raw
string, and the index of the batch record it came from). Values that AWS itself
writes (request context, ids, ARNs, signatures, receipt handles, timestamps)
are skipped to avoid false positives; everything a client can influence
(path, query, headers, cookies, body, message bodies and attributes, object
keys, stream images and data) is scanned, keys as well as values.

Bodies: base64 bodies (``isBase64Encoded``) are decoded; a body that parses as
JSON is walked, a form body (``k=v&...``) is split into its keys and values,
anything else is scanned as one string. Strings inside batch records that hold
JSON (SQS bodies, SNS messages) are parsed and walked too.

Limits (see :class:`Limits`): nesting beyond ``max_depth`` and strings beyond
``max_fields`` are not walked (``Budget.skipped``: the Guard reports an
``uninspected`` finding), and each string is cut to ``max_value_chars``
(``Budget.truncated``: an ``oversize`` finding); see ``docs/detection.md``.

Example:
    >>> source, fields = collect_event({"version": "2.0", "rawPath": "/a",
    ...     "requestContext": {"http": {"method": "GET"}}, "queryStringParameters": {"q": "x"}})
    >>> source, [(f.location, f.value) for f in fields]
    ('apigw-http', [('rawPath', '/a'), ('queryStringParameters.q', 'x')])
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final, NamedTuple
else:
    from collections import namedtuple

SOURCES: Final = (
    "apigw-rest", "apigw-http", "apigw-websocket", "alb", "function-url", "apigw-authorizer",
    "apigw-http-authorizer", "sqs", "sns", "eventbridge", "s3", "dynamodb", "kinesis", "kafka",
    "cfn-custom-resource", "generic",
)
#: ``eventSource`` of Kafka batches: Amazon MSK and self-managed Apache Kafka.
KAFKA_EVENT_SOURCES: Final = ("aws:kafka", "SelfManagedKafka")
#: ``RequestType`` of a CloudFormation custom-resource request.
CUSTOM_RESOURCE_REQUESTS: Final = ("Create", "Update", "Delete")
RESPONSE_SOURCE: Final = "response"
#: An AWS ARN (skipped by the generic walk): no quotes, spaces, brackets or dot-dot.
_ARN_PATTERN: Final = r"arn:aws[a-z-]{0,20}:[a-z0-9-]{1,40}:[a-z0-9-]{0,30}:[0-9]{0,12}:(?:[\w+=,@/:-]|\.(?!\.)){1,400}"


def _is_arn(value: str) -> bool:
    # compiled on first use (re's own cache keeps it): most events never reach the generic walk
    return value.startswith("arn:aws") and re.fullmatch(_ARN_PATTERN, value) is not None


#: Header names whose values AWS or the client platform sets (not worth scanning).
PLUMBING_HEADERS: Final = frozenset(
    {
        "x-amzn-trace-id", "x-amz-cf-id", "x-amzn-requestid", "x-amz-date", "x-amz-security-token",
        "x-amz-content-sha256", "x-forwarded-port", "x-forwarded-proto", "x-amzn-tls-version",
        "x-amzn-tls-cipher-suite", "x-amzn-vpc-id", "x-amzn-vpce-id", "x-amzn-vpce-config",
        "content-length", "via", "x-imforwards", "connection", "accept-encoding",
    }
)
#: Keys (any depth, generic walk) whose values are AWS plumbing: ids, ARNs, signatures.
PLUMBING_KEYS: Final = frozenset(
    {
        "requestcontext", "stagevariables", "version", "routekey", "resource", "isbase64encoded",
        "messageid", "receipthandle", "md5ofbody", "md5ofmessageattributes", "eventsourcearn",
        "eventsource", "awsregion", "eventid", "eventversion", "eventname", "eventtime", "eventtype",
        "signature", "signatureversion", "signingcerturl", "signingcertificateurl", "unsubscribeurl",
        "topicarn", "eventsubscriptionarn", "sequencenumber", "approximatearrivaltimestamp",
        "approximatecreationdatetime", "shardid", "invokeidentityarn", "sizebytes", "streamviewtype",
        "kinesisschemaversion", "useridentity", "requestparameters", "responseelements",
        "x-amz-request-id", "x-amz-id-2", "etag", "sequencer", "configurationid", "owneridentity",
        "principalid", "detail-type", "datacontenttype", "dataschema", "specversion",
        "traceheader", "methodarn",
    }
)


class Limits:
    """Bounds on what one inspection walks.

    ``max_depth``: nesting levels walked; ``max_fields``: strings scanned per
    inspection; ``max_value_chars``: characters scanned per string.

    Example:
        >>> Limits(max_depth=8).max_value_chars == 1 << 20
        True
    """

    __slots__ = ("max_depth", "max_fields", "max_value_chars")

    def __init__(self, max_depth: int = 32, max_fields: int = 5000, max_value_chars: int = 1 << 20) -> None:
        self.max_depth = max_depth
        self.max_fields = max_fields
        self.max_value_chars = max_value_chars

    def __repr__(self) -> str:
        return f"Limits(max_depth={self.max_depth}, max_fields={self.max_fields}, max_value_chars={self.max_value_chars})"


DEFAULT_LIMITS: Final = Limits()
#: ``isinstance(x, _MAPPING)``: a plain dict (every JSON event) is recognised without the ABC machinery.
_MAPPING: Final = (dict, Mapping)


if TYPE_CHECKING:

    class Field(NamedTuple):
        """One string to scan, with where it came from.

        ``location`` ends in ``#key`` when the string is a key (of a JSON object,
        query string or form), in ``#pair`` for ``name=value`` of a secret-named field
        of a response; ``record_index`` is the index of the batch record (in
        ``event["Records"]``, or in :func:`kafka_records`) for batch sources, else None.
        """

        location: str
        value: str
        record_index: int | None = None

else:  # the same named tuple, without importing typing
    Field = namedtuple("Field", ("location", "value", "record_index"), defaults=(None,))
    Field.__doc__ = """One string to scan, with where it came from.

    ``location`` ends in ``#key`` when the string is a key (of a JSON object,
    query string or form), in ``#pair`` for ``name=value`` of a secret-named field
    of a response; ``record_index`` is the index of the batch record (in
    ``event["Records"]``, or in :func:`kafka_records`) for batch sources, else None.
    """


#: ``Field(...)`` without the named tuple's ``__new__`` in Python: one per value of every event.
_new_field: Final = tuple.__new__


class Budget:
    """Mutable counters of one inspection.

    ``truncated`` names the first value cut to ``max_value_chars`` (its start was
    scanned); ``skipped`` names the first limit that left content unscanned
    altogether (nesting deeper than ``max_depth``, values beyond ``max_fields``).
    """

    __slots__ = ("fields", "limits", "out", "skipped", "skipped_location", "truncated", "truncated_location")

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.fields = 0
        self.truncated: str | None = None
        self.truncated_location = ""
        self.skipped: str | None = None
        self.skipped_location = ""
        self.out: list[Field] = []

    def add(self, location: str, value: str, record_index: int | None) -> None:
        """Record one string to scan, enforcing the limits."""
        if self.fields >= self.limits.max_fields:
            self._skip("too many values", location)
            return
        self.fields += 1
        if len(value) > self.limits.max_value_chars:
            if self.truncated is None:
                self.truncated = "value too large"
                self.truncated_location = location
            value = value[: self.limits.max_value_chars]
        self.out.append(_new_field(Field, (location, value, record_index)))

    def _skip(self, what: str, location: str) -> None:
        if self.skipped is None:
            self.skipped = what
            self.skipped_location = location


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def walk(
    value: Any,
    location: str,
    budget: Budget,
    record_index: int | None = None,
    depth: int = 0,
    *,
    skip_keys: frozenset[str] = frozenset(),
    parse_json_strings: bool = True,
    numbers: bool = False,
) -> None:
    """Add every key and string under ``value`` to ``budget`` (bounded depth).

    Strings that hold a JSON object or array are parsed and walked; ``numbers``
    also scans integers (outbound: a card number returned as a JSON number).
    """
    if depth > budget.limits.max_depth:
        budget._skip("nesting too deep", location)
        return
    if isinstance(value, str):
        if parse_json_strings and value[:1] in ("{", "[") and depth < budget.limits.max_depth:
            parsed = _try_json(value)
            if parsed is not None:
                walk(parsed, location, budget, record_index, depth + 1, skip_keys=skip_keys,
                     numbers=numbers)
                return
        if value and not (skip_keys and _is_arn(value)):
            budget.add(location, value, record_index)
    elif isinstance(value, dict) or (not isinstance(value, (list, tuple, int, float)) and value is not None
                                     and isinstance(value, Mapping)):
        for key, item in value.items():
            skey = str(key)
            if skey.lower() in skip_keys:
                continue
            loc = _join(location, skey)
            if not skey.isalnum():
                budget.add(loc + "#key", skey, record_index)
            if numbers and isinstance(item, str) and item and "secret" in skey.lower():
                # outbound: a secret-named field is scanned with its name ("SecretAccessKey=...")
                budget.add(loc + "#pair", f"{skey}={item}", record_index)
            walk(item, loc, budget, record_index, depth + 1, skip_keys=skip_keys,
                 parse_json_strings=parse_json_strings, numbers=numbers)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            walk(item, f"{location}[{i}]", budget, record_index, depth + 1, skip_keys=skip_keys,
                 parse_json_strings=parse_json_strings, numbers=numbers)
    elif numbers and isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**8:
        budget.add(location, str(value), record_index)


def _try_json(text: str) -> Any:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


def _b64(text: str) -> str:
    try:
        # base64.b64decode(text) without importing base64; a non-ASCII str raises ValueError
        return binascii.a2b_base64(text).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return text


def _looks_like_form(body: str) -> bool:
    head = body[:2048]
    return "=" in head and " " not in head.split("=", 1)[0] and "\n" not in head.split("=", 1)[0]


def walk_body(body: Any, location: str, budget: Budget, record_index: int | None,
              is_base64: bool = False, content_type: str = "") -> None:
    """A request or response body: base64, then JSON, form or plain text."""
    if body is None or body == "":
        return
    if not isinstance(body, str):
        walk(body, location, budget, record_index, 1)
        return
    if is_base64:
        body = _b64(body)
    stripped = body.lstrip()
    if stripped[:1] in ("{", "["):
        parsed = _try_json(stripped)
        if parsed is not None:
            walk(parsed, location, budget, record_index, 1)
            return
    ctype = content_type.lower()
    if (stripped.startswith("<?xml") or "xml" in ctype) and stripped[:1] == "<":
        _walk_xml(stripped, location, budget, record_index)
    boundary = _multipart_boundary(content_type, body)
    if boundary:
        _walk_multipart(body, boundary, location, budget, record_index)
        return
    if "x-www-form-urlencoded" in ctype or ("xml" not in ctype and _looks_like_form(body)):
        from urllib.parse import parse_qsl  # imported on first use: cold start

        pairs = parse_qsl(body[: budget.limits.max_value_chars], keep_blank_values=True)
        if pairs:
            for key, value in pairs:
                loc = _join(location, key)
                if not key.isalnum():
                    budget.add(loc + "#key", key, record_index)
                if value:
                    budget.add(loc, value, record_index)
            return
    if "+" in body and "%" in body and not any(c.isspace() for c in body[:4096]):
        # URL-encoded text that is not form fields ("name%3Dvalue+more"): '+' is a space there
        body = body.replace("+", " ")
    budget.add(location, body, record_index)


_BOUNDARY: Final = r"boundary=\"?([^\";,\s]{1,200})"


_XML_ATTRIBUTE: Final = r"""([^\s<>=/"']{1,60})\s{0,5}=\s{0,5}(?:"([^"<]{1,4000})"|'([^'<]{1,4000})')"""
_XML_TEXT: Final = r">([^<]{1,8000})<"


def _walk_xml(body: str, location: str, budget: Budget, record_index: int | None) -> None:
    """An XML body's attribute values (``body.@name``) and text (``body.text``), each on its own
    (the whole body is scanned as one string too): a value inside an element reads as itself."""
    for m in re.finditer(_XML_ATTRIBUTE, body[: budget.limits.max_value_chars]):
        budget.add(f"{location}.@{m.group(1)}", m.group(2) or m.group(3) or "", record_index)
    for m in re.finditer(_XML_TEXT, body[: budget.limits.max_value_chars]):
        text = m.group(1).strip()
        if text:
            budget.add(f"{location}.text", text, record_index)


def _multipart_boundary(ctype: str, body: str) -> str | None:
    """The multipart boundary from the content type, or from a body that starts with one."""
    if "multipart/" in ctype.lower():
        m = re.search(_BOUNDARY, ctype, re.IGNORECASE)
        if m:
            return m.group(1)
    if body.startswith("--"):
        first = body[2 : body.find("\n") if "\n" in body[:300] else 0].rstrip("\r")
        if 0 < len(first) <= 200 and " " not in first:
            return first
    return None


def _walk_multipart(body: str, boundary: str, location: str, budget: Budget, record_index: int | None) -> None:
    """Each part of a multipart body: its field name, file name and content (JSON or form parsed)."""
    for i, part in enumerate(body.split("--" + boundary)):
        part = part.lstrip("\r\n")
        if not part.strip() or part.strip() == "--":
            continue
        head, sep, content = part.replace("\r\n", "\n").partition("\n\n")
        if not sep:
            head, content = "", part
        name = f"part{i}"
        for line in head.split("\n"):
            if line.lower().startswith("content-disposition:"):
                for key, value in re.findall(r'(name|filename)="([^"]{0,1000})"', line):
                    budget.add(f"{location}.{name}.{key}", value, record_index)
        content = content.removesuffix("\n")
        walk_body(content, f"{location}.{name}", budget, record_index, content_type="text/plain")


# --- source detection ---------------------------------------------------------


def _records(event: Mapping[str, Any]) -> list[Any] | None:
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], _MAPPING):
        return records
    return None


def is_custom_resource_request(event: Any) -> bool:
    """True for a CloudFormation custom-resource request (directly, or through CDK's provider framework).

    Example:
        >>> is_custom_resource_request({"RequestType": "Create", "ResponseURL": "...",
        ...     "StackId": "arn:aws:cloudformation:...", "RequestId": "r", "LogicalResourceId": "Db"})
        True
    """
    return (isinstance(event, _MAPPING) and event.get("RequestType") in CUSTOM_RESOURCE_REQUESTS
            and "ResponseURL" in event and "StackId" in event and "LogicalResourceId" in event)


def kafka_records(event: Mapping[str, Any]) -> list[Any]:
    """The records of a Kafka batch, partition after partition, in the order Lambda gave them.

    Example:
        >>> kafka_records({"records": {"t-0": [{"offset": 1}, {"offset": 2}], "t-1": [{"offset": 7}]}})
        [{'offset': 1}, {'offset': 2}, {'offset': 7}]
    """
    partitions = event.get("records")
    out: list[Any] = []
    if isinstance(partitions, _MAPPING):
        for records in partitions.values():
            if isinstance(records, list):
                out.extend(records)
    return out


def detect_source(event: Any) -> str:
    """Name the event source of ``event`` (one of :data:`SOURCES`).

    Example:
        >>> detect_source({"Records": [{"eventSource": "aws:sqs", "body": "hi"}]})
        'sqs'
    """
    if not isinstance(event, _MAPPING):
        return "generic"
    if is_custom_resource_request(event):
        return "cfn-custom-resource"
    if event.get("eventSource") in KAFKA_EVENT_SOURCES and isinstance(event.get("records"), _MAPPING):
        return "kafka"
    kind = event.get("type")
    if kind in ("TOKEN", "REQUEST"):
        if "methodArn" in event:  # REST API (TOKEN, REQUEST), HTTP API 1.0, WebSocket $connect
            return "apigw-authorizer"
        if "routeArn" in event:  # HTTP API, payload format 2.0
            return "apigw-http-authorizer"
    records = _records(event)
    if records is not None:
        first = records[0]
        origin = first.get("eventSource") or first.get("EventSource")
        return {
            "aws:sqs": "sqs", "aws:sns": "sns", "aws:s3": "s3", "aws:dynamodb": "dynamodb",
            "aws:kinesis": "kinesis",
        }.get(str(origin), "generic")
    ctx = event.get("requestContext")
    if isinstance(ctx, _MAPPING):
        if "elb" in ctx:
            return "alb"
        if "connectionId" in ctx and ctx.get("eventType") in ("CONNECT", "MESSAGE", "DISCONNECT"):
            return "apigw-websocket"
        if event.get("version") == "2.0" or isinstance(ctx.get("http"), _MAPPING):
            domain = str(ctx.get("domainName", ""))
            return "function-url" if ".lambda-url." in domain else "apigw-http"
        if "httpMethod" in event or "resourcePath" in ctx or "stage" in ctx:
            return "apigw-rest"
    if "detail-type" in event and "detail" in event:
        return "eventbridge"
    if "httpMethod" in event and ("headers" in event or "path" in event):
        return "apigw-rest"
    return "generic"


# --- per-source collectors ------------------------------------------------------


def _walk_headers(event: Mapping[str, Any], budget: Budget) -> str:
    """Add the headers' values (not AWS's plumbing); returns the request's content type (the value
    of the last ``headers`` key that is ``content-type`` in any case, ``""`` when none is a string)."""
    ctype = ""
    headers = event.get("headers")
    multi = event.get("multiValueHeaders")
    # API Gateway's REST events hold every header twice (headers, multiValueHeaders): a value
    # already added under the same name is not added again (a value only one map holds still is)
    seen: set[tuple[str, str]] | None = (
        set() if multi is not None and isinstance(headers, _MAPPING) and isinstance(multi, _MAPPING) else None)
    add = budget.add
    for name, table in (("headers", headers), ("multiValueHeaders", multi)):
        if table is None or not isinstance(table, _MAPPING):
            continue
        first = name == "headers"
        for key, value in table.items():
            lname = (key if isinstance(key, str) else str(key)).lower()
            if first and lname == "content-type":
                ctype = value if isinstance(value, str) else ""
            if lname in PLUMBING_HEADERS or lname.startswith("cloudfront-"):
                continue
            for v in (value,) if isinstance(value, str) else value if isinstance(value, list) else ():
                if not isinstance(v, str) or not v:
                    continue
                if seen is not None:
                    if first:
                        seen.add((lname, v))
                    elif (lname, v) in seen:
                        continue
                if lname == "cookie":
                    _walk_cookies(v.split(";"), budget)
                else:
                    add(f"headers.{lname}", v, None)
    return ctype


def _walk_cookies(cookies: Iterable[Any], budget: Budget) -> None:
    for cookie in cookies:
        if not isinstance(cookie, str):
            continue
        name, _, value = cookie.strip().partition("=")
        if not name.isalnum() and name:
            budget.add(f"cookies.{name}#key", name, None)
        if value:
            budget.add(f"cookies.{name}", value, None)


def _walk_params(event: Mapping[str, Any], single: str, multi: str, budget: Budget) -> bool:
    """Walk query parameters; prefer the multi-value map when present (it holds every value)."""
    chosen = event.get(multi)
    if chosen is None or not isinstance(chosen, _MAPPING):  # (None first: an ABC check is slow)
        chosen = event.get(single)
    if chosen is None or not isinstance(chosen, _MAPPING) or not chosen:
        return False
    for key, value in chosen.items():
        skey = str(key)
        loc = f"{single}.{skey}"
        if not skey.isalnum():
            budget.add(loc + "#key", skey, None)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v:
                budget.add(loc, v, None)
    return True


def _collect_http(event: Mapping[str, Any], budget: Budget, v2: bool) -> None:
    for name in ("rawPath", "path") if v2 else ("path",):
        path = event.get(name)
        if isinstance(path, str) and path not in ("", "/"):
            budget.add(name, path, None)
            break
    has_params = _walk_params(event, "queryStringParameters", "multiValueQueryStringParameters", budget)
    raw_qs = event.get("rawQueryString")
    if not has_params and isinstance(raw_qs, str) and raw_qs:
        walk_body(raw_qs, "rawQueryString", budget, None, content_type="x-www-form-urlencoded")
    params = event.get("pathParameters")
    if params is not None and isinstance(params, _MAPPING):
        walk(params, "pathParameters", budget, None, 1)
    content_type = _walk_headers(event, budget)
    cookies = event.get("cookies")
    if isinstance(cookies, list):
        _walk_cookies(cookies, budget)
    walk_body(event.get("body"), "body", budget, None, bool(event.get("isBase64Encoded")), content_type)


def _collect_records(event: Mapping[str, Any], budget: Budget,
                     one: Callable[[Mapping[str, Any], str, Budget, int], None]) -> None:
    records = event.get("Records")
    assert isinstance(records, list)
    for i, record in enumerate(records):
        if isinstance(record, _MAPPING):
            one(record, f"Records[{i}]", budget, i)
        else:
            walk(record, f"Records[{i}]", budget, i, 1)


def _sqs(record: Mapping[str, Any], loc: str, budget: Budget, i: int) -> None:
    walk(record.get("body"), f"{loc}.body", budget, i, 1)
    attrs = record.get("messageAttributes")
    if isinstance(attrs, _MAPPING):
        for name, attr in attrs.items():
            if isinstance(attr, _MAPPING):
                walk(attr.get("stringValue") or attr.get("StringValue"),
                     f"{loc}.messageAttributes.{name}", budget, i, 1)


def _sns(record: Mapping[str, Any], loc: str, budget: Budget, i: int) -> None:
    sns = record.get("Sns")
    if not isinstance(sns, _MAPPING):
        return
    walk(sns.get("Subject"), f"{loc}.Sns.Subject", budget, i, 1)
    walk(sns.get("Message"), f"{loc}.Sns.Message", budget, i, 1)
    attrs = sns.get("MessageAttributes")
    if isinstance(attrs, _MAPPING):
        for name, attr in attrs.items():
            if isinstance(attr, _MAPPING):
                walk(attr.get("Value"), f"{loc}.Sns.MessageAttributes.{name}", budget, i, 1)


def _s3(record: Mapping[str, Any], loc: str, budget: Budget, i: int) -> None:
    s3 = record.get("s3")
    if isinstance(s3, _MAPPING):
        obj = s3.get("object")
        if isinstance(obj, _MAPPING):
            walk(obj.get("key"), f"{loc}.s3.object.key", budget, i, 1)


def _dynamodb(record: Mapping[str, Any], loc: str, budget: Budget, i: int) -> None:
    ddb = record.get("dynamodb")
    if isinstance(ddb, _MAPPING):
        for name in ("Keys", "NewImage", "OldImage"):
            walk(ddb.get(name), f"{loc}.dynamodb.{name}", budget, i, 1)


def _kinesis(record: Mapping[str, Any], loc: str, budget: Budget, i: int) -> None:
    kin = record.get("kinesis")
    if isinstance(kin, _MAPPING):
        data = kin.get("data")
        if isinstance(data, str):
            walk(_b64(data), f"{loc}.kinesis.data", budget, i, 1)
        walk(kin.get("partitionKey"), f"{loc}.kinesis.partitionKey", budget, i, 1)


def _bytes_text(value: Any) -> str | None:
    """A Kafka header value (a list of byte values) as text, or None."""
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        return bytes(value).decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _collect_kafka(event: Mapping[str, Any], budget: Budget) -> None:
    """Each Kafka record: its key and value (base64), and its headers (byte lists)."""
    for i, record in enumerate(kafka_records(event)):
        if not isinstance(record, _MAPPING):
            walk(record, f"records[{i}]", budget, i, 1)
            continue
        loc = f"records[{i}]"
        for name in ("key", "value"):
            data = record.get(name)
            if isinstance(data, str) and data:
                walk(_b64(data), f"{loc}.{name}", budget, i, 1)
        headers = record.get("headers")
        if isinstance(headers, list):
            for header in headers:
                if not isinstance(header, _MAPPING):
                    continue
                for key, value in header.items():
                    text = _bytes_text(value)
                    if text:
                        walk(text, f"{loc}.headers.{key}", budget, i, 1)


def _collect_authorizer(event: Mapping[str, Any], budget: Budget, v2: bool) -> None:
    """What a Lambda authorizer sees of the request: the token, or the request's identity sources."""
    token = event.get("authorizationToken")
    if isinstance(token, str) and token:
        budget.add("authorizationToken", token, None)
        return
    _collect_http(event, budget, v2=v2)


def _collect_custom_resource(event: Mapping[str, Any], budget: Budget) -> None:
    """The properties a custom resource was given (the service token is CloudFormation's)."""
    for name in ("ResourceProperties", "OldResourceProperties"):
        properties = event.get(name)
        if isinstance(properties, _MAPPING):
            walk({k: v for k, v in properties.items() if k != "ServiceToken"}, name, budget, None, 1)


_RECORD_ADAPTERS: Final[Mapping[str, Callable[[Mapping[str, Any], str, Budget, int], None]]] = {
    "sqs": _sqs, "sns": _sns, "s3": _s3, "dynamodb": _dynamodb, "kinesis": _kinesis,
}


def collect_event(event: Any, limits: Limits = DEFAULT_LIMITS) -> tuple[str, list[Field]]:
    """Detect the source of ``event`` and list the strings to scan.

    Use :func:`collect_event_budget` to also learn whether a limit was hit.
    """
    source, budget = collect_event_budget(event, limits)
    return source, budget.out


def collect_event_budget(event: Any, limits: Limits = DEFAULT_LIMITS) -> tuple[str, Budget]:
    """Like :func:`collect_event`, returning the whole :class:`Budget`."""
    budget = Budget(limits)
    source = detect_source(event)
    if source in ("apigw-http", "function-url"):
        _collect_http(event, budget, v2=True)
    elif source in ("apigw-rest", "alb", "apigw-websocket"):
        _collect_http(event, budget, v2=False)
    elif source == "kafka":
        _collect_kafka(event, budget)
    elif source in ("apigw-authorizer", "apigw-http-authorizer"):
        _collect_authorizer(event, budget, v2=source == "apigw-http-authorizer")
    elif source == "cfn-custom-resource":
        _collect_custom_resource(event, budget)
    elif source in _RECORD_ADAPTERS:
        _collect_records(event, budget, _RECORD_ADAPTERS[source])
    elif source == "eventbridge":
        walk(event.get("detail"), "detail", budget, None, 1)
    else:
        walk(event, "", budget, None, 0, skip_keys=PLUMBING_KEYS)
    return source, budget


def collect_response(response: Any, limits: Limits = DEFAULT_LIMITS) -> Budget:
    """The strings of a handler's return value (outbound rules; nothing is skipped).

    An HTTP-style response (``statusCode`` and ``body``) has its body decoded
    (base64, JSON) and its headers scanned; any other value is walked whole,
    with integers included (a card number returned as a JSON number).
    """
    budget = Budget(limits)
    if isinstance(response, _MAPPING) and "statusCode" in response:
        headers = response.get("headers")
        ctype = ""
        if isinstance(headers, _MAPPING):
            ctype = str({str(k).lower(): v for k, v in headers.items()}.get("content-type", ""))
        body = response.get("body")
        if isinstance(body, str) and response.get("isBase64Encoded"):
            body = _b64(body)
        if isinstance(body, str) and body.lstrip()[:1] in ("{", "["):
            parsed = _try_json(body.lstrip())
            if parsed is not None:
                body = parsed
        walk(body, "body", budget, None, 1, numbers=True)
        for name in ("headers", "multiValueHeaders", "cookies"):
            walk(response.get(name), name, budget, None, 1, numbers=True)
        del ctype
    else:
        walk(response, "", budget, None, 0, numbers=True)
    return budget
