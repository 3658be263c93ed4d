"""Block responses in the shape each event source expects.

* HTTP sources (API Gateway REST v1, HTTP API v2, ALB, function URLs): a blocked
  request gets a 403, a withheld (leaking) response a generic 500; the body is
  ``{"message": ..., "requestId": <Lambda request id>}`` and names no rule.
* API Gateway WebSocket APIs: as REST APIs (a 403 refuses a ``$connect``).
* Lambda authorizers: an IAM policy denying ``execute-api:Invoke`` on the
  method (REST TOKEN and REQUEST authorizers, HTTP API payload 1.0, WebSocket);
  for HTTP API payload 2.0 the simple response ``{"isAuthorized": false}`` or the
  IAM policy, as the authorizer is configured (:func:`authorizer_denial`).
* Batch sources (SQS, Kinesis, DynamoDB Streams, Kafka): blocked records are reported as
  ``batchItemFailures`` (SQS ``messageId``, Kinesis / DynamoDB sequence number, Kafka
  ``{"partition": "<topic>-<partition>", "offset": n}``), merged with the failures
  the handler itself reports; the records that must keep their order behind a
  blocked one (SQS FIFO message group, the rest of a stream batch or of a Kafka
  partition) are held back and reported with it (:func:`held_back`).
* Other sources have no response the guard could shape: the wrapper raises
  :class:`~protect_lambda.errors.GuardBlockedError`.

Example:
    >>> r = forbidden("apigw-http", {}, "req-1")
    >>> r["statusCode"], r["body"]
    (403, '{"message":"Forbidden","requestId":"req-1"}')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from protect_lambda import contract
from protect_lambda.adapters import kafka_records

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final

HTTP_SOURCES: Final = frozenset({"apigw-rest", "apigw-http", "apigw-websocket", "alb", "function-url"})
BATCH_SOURCES: Final = frozenset({"sqs", "kinesis", "dynamodb", "kafka"})
AUTHORIZER_SOURCES: Final = frozenset({"apigw-authorizer", "apigw-http-authorizer"})

_REASONS: Final = {403: "Forbidden", 500: "Internal Server Error"}


def is_http(source: str) -> bool:
    """True for the sources answered with an HTTP response.

    Example:
        >>> is_http("alb"), is_http("sqs")
        (True, False)
    """
    return source in HTTP_SOURCES


def is_authorizer(source: str) -> bool:
    """True for Lambda authorizers, answered with a denial instead of an error.

    Example:
        >>> is_authorizer("apigw-authorizer"), is_authorizer("apigw-rest")
        (True, False)
    """
    return source in AUTHORIZER_SOURCES


#: ``principalId`` of a denial: the request was refused before any identity was established.
DENIED_PRINCIPAL: Final = "protect-lambda-denied"


def authorizer_denial(source: str, event: object, style: str = contract.AUTHORIZER_AUTO) -> dict[str, Any]:
    """The answer of a Lambda authorizer that refuses the request: API Gateway turns it into a 403.

    REST and WebSocket APIs (and HTTP APIs with payload 1.0) read an IAM policy; an
    HTTP API with payload 2.0 reads ``isAuthorized`` when the authorizer has simple
    responses enabled, the IAM policy otherwise. ``style`` says which (``simple``,
    ``iam``); ``auto`` answers with both, each read by the format it belongs to.

    Example:
        >>> d = authorizer_denial("apigw-authorizer", {"methodArn": "arn:aws:execute-api:r:1:a/s/GET/x"})
        >>> d["policyDocument"]["Statement"][0]["Effect"], d["policyDocument"]["Statement"][0]["Resource"]
        ('Deny', 'arn:aws:execute-api:r:1:a/s/GET/x')
        >>> authorizer_denial("apigw-http-authorizer", {}, "simple")
        {'isAuthorized': False}
    """
    key = "routeArn" if source == "apigw-http-authorizer" else "methodArn"
    resource = event.get(key) if isinstance(event, Mapping) else None
    policy: dict[str, Any] = {
        "principalId": DENIED_PRINCIPAL,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": "Deny",
                "Resource": resource if isinstance(resource, str) and resource else "*",
            }],
        },
    }
    if source != "apigw-http-authorizer" or style == contract.AUTHORIZER_IAM:
        return policy
    if style == contract.AUTHORIZER_SIMPLE:
        return {"isAuthorized": False}
    return {"isAuthorized": False, **policy}


def is_batch(source: str) -> bool:
    """True for the sources whose failed records can be reported as ``batchItemFailures``.

    Example:
        >>> is_batch("kinesis"), is_batch("sns")
        (True, False)
    """
    return source in BATCH_SOURCES


def http_response(source: str, event: object, status: int, request_id: str) -> dict[str, Any]:
    """An HTTP error response for ``source``, in the shape that source expects.

    ALB events that carry ``multiValueHeaders`` (the target group has multi-value
    headers enabled) get ``multiValueHeaders`` back, as ALB then requires.

    Example:
        >>> r = http_response("alb", {"multiValueHeaders": {}}, 403, "r")
        >>> r["statusDescription"], r["multiValueHeaders"]
        ('403 Forbidden', {'Content-Type': ['application/json']})
    """
    reason = _REASONS.get(status, "Error")
    body = json.dumps({"message": reason, "requestId": request_id}, separators=(",", ":"))
    response: dict[str, Any] = {"statusCode": status}
    if source == "alb":
        response["statusDescription"] = f"{status} {reason}"
        if isinstance(event, Mapping) and isinstance(event.get("multiValueHeaders"), Mapping):
            response["multiValueHeaders"] = {"Content-Type": ["application/json"]}
        else:
            response["headers"] = {"Content-Type": "application/json"}
    elif source == "apigw-rest":
        response["headers"] = {"Content-Type": "application/json"}
    else:  # apigw-http, function-url: payload format 2.0 (lower-case header names)
        response["headers"] = {"content-type": "application/json"}
    response["body"] = body
    response["isBase64Encoded"] = False
    return response


def forbidden(source: str, event: object, request_id: str) -> dict[str, Any]:
    """The 403 answering a blocked HTTP request.

    Example:
        >>> forbidden("apigw-rest", {}, "r")["headers"]
        {'Content-Type': 'application/json'}
    """
    return http_response(source, event, 403, request_id)


def withheld(source: str, event: object, request_id: str) -> dict[str, Any]:
    """The generic 500 sent instead of an HTTP response that leaks.

    Example:
        >>> withheld("function-url", {}, "r")["body"]
        '{"message":"Internal Server Error","requestId":"r"}'
    """
    return http_response(source, event, 500, request_id)


def records_of(event: object, source: str = "") -> list[Any] | None:
    """The records of a batch event (``Records``; a Kafka batch's ``records``, flattened), or None.

    Example:
        >>> records_of({"Records": [1, 2]}), records_of({})
        ([1, 2], None)
        >>> records_of({"records": {"t-0": [1], "t-1": [2]}}, "kafka")
        [1, 2]
    """
    if isinstance(event, Mapping):
        if source == "kafka":
            return kafka_records(event) if isinstance(event.get("records"), Mapping) else None
        records = event.get("Records")
        if isinstance(records, list):
            return records
    return None


def without_records(event: Mapping[str, Any], source: str, held: set[int]) -> dict[str, Any]:
    """A copy of the batch ``event`` without the records at the indexes ``held``.

    Example:
        >>> without_records({"Records": ["a", "b", "c"]}, "sqs", {1})
        {'Records': ['a', 'c']}
        >>> without_records({"records": {"t-0": ["a", "b"], "t-1": ["c"]}}, "kafka", {2})
        {'records': {'t-0': ['a', 'b']}}
    """
    clean = dict(event)
    if source != "kafka":
        records = event.get("Records")
        clean["Records"] = [r for i, r in enumerate(records if isinstance(records, list) else [])
                            if i not in held]
        return clean
    partitions: dict[str, list[Any]] = {}
    index = 0
    source_partitions = event.get("records")
    for key, records in (source_partitions.items() if isinstance(source_partitions, Mapping) else ()):
        if not isinstance(records, list):
            continue
        kept = [r for i, r in enumerate(records, start=index) if i not in held]
        index += len(records)
        if kept:
            partitions[key] = kept
    clean["records"] = partitions
    return clean


#: A batch item identifier: a string, or a Kafka record's ``{"partition": ..., "offset": ...}``.
if TYPE_CHECKING:
    Identifier = str | dict[str, Any]


def _kafka_partition(record: Mapping[str, Any]) -> str:
    topic, partition = record.get("topic"), record.get("partition")
    if isinstance(topic, str) and isinstance(partition, int) and not isinstance(partition, bool):
        return f"{topic}-{partition}"
    return ""


def identifier_key(identifier: object) -> object:
    """A hashable key of an identifier: itself, or a Kafka identifier's (partition, offset).

    Example:
        >>> identifier_key({"partition": "t-0", "offset": 5}), identifier_key("m-1")
        (('t-0', 5), 'm-1')
    """
    if isinstance(identifier, Mapping):
        return (identifier.get("partition"), identifier.get("offset"))
    return identifier if isinstance(identifier, str) else None


def item_label(source: str, record: object) -> str:
    """The identifier of a batch record as one string, for the Violation record's ``item_id``.

    Example:
        >>> item_label("kafka", {"topic": "orders", "partition": 0, "offset": 15})
        'orders-0@15'
    """
    identifier = item_identifier(source, record)
    if isinstance(identifier, Mapping):
        return f"{identifier['partition']}@{identifier['offset']}"
    return identifier


def item_identifier(source: str, record: object) -> Identifier:
    """The ``itemIdentifier`` of a batch record; ``""`` when it has none.

    Lambda treats an empty identifier as a failure of the whole batch, which is
    the safe outcome for a record the guard cannot name.

    Example:
        >>> item_identifier("sqs", {"messageId": "m-1"})
        'm-1'
        >>> item_identifier("kinesis", {"kinesis": {"sequenceNumber": "49590"}})
        '49590'
        >>> item_identifier("dynamodb", {"dynamodb": {"SequenceNumber": "111"}})
        '111'
        >>> item_identifier("kafka", {"topic": "orders", "partition": 0, "offset": 15})
        {'partition': 'orders-0', 'offset': 15}
    """
    if not isinstance(record, Mapping):
        return ""
    if source == "kafka":
        partition, offset = _kafka_partition(record), record.get("offset")
        if partition and isinstance(offset, int) and not isinstance(offset, bool):
            return {"partition": partition, "offset": offset}
        return ""
    value: object = None
    if source == "sqs":
        value = record.get("messageId")
    elif source == "kinesis":
        inner = record.get("kinesis")
        value = inner.get("sequenceNumber") if isinstance(inner, Mapping) else None
    elif source == "dynamodb":
        inner = record.get("dynamodb")
        value = inner.get("SequenceNumber") if isinstance(inner, Mapping) else None
    return value if isinstance(value, str) else ""


def _is_fifo(record: object) -> bool:
    if not isinstance(record, Mapping):
        return False
    arn = record.get("eventSourceARN")
    return isinstance(arn, str) and arn.endswith(".fifo")


def _group(record: object) -> object:
    """The message group of a FIFO record: its id, or for a group id that is not a string
    (a forged event: SQS sends strings) its JSON text, so a list or an object is a group too
    (as a key of a set it raised TypeError, and the guard failed open)."""
    group: object = None
    if isinstance(record, Mapping):
        attributes = record.get("attributes")
        if isinstance(attributes, Mapping):
            group = attributes.get("MessageGroupId")
    if isinstance(group, str):
        return group
    import json

    return ("json", json.dumps(group))


#: Sources whose batches are ordered (one shard): a retry starts again at the failed record.
STREAM_SOURCES: Final = frozenset({"kinesis", "dynamodb"})
#: Sources whose batches are ordered per partition (Kafka): the same, partition by partition.
PARTITIONED_SOURCES: Final = frozenset({"kafka"})


def first_of_an_ordered_run(source: str, records: Sequence[Any], indexes: set[int]) -> bool:
    """True when one of ``indexes`` is the first record of an ordered run (a stream batch, a Kafka
    partition): reporting it as a batch item failure would make no progress (see
    :func:`protect_lambda.blocking.plan_inbound`).

    Example:
        >>> first_of_an_ordered_run("kinesis", [{}, {}], {0}), first_of_an_ordered_run("sqs", [{}], {0})
        (True, False)
    """
    if source in STREAM_SOURCES:
        return 0 in indexes
    if source in PARTITIONED_SOURCES:
        seen: set[str] = set()
        for index, record in enumerate(records):
            partition = _kafka_partition(record) if isinstance(record, Mapping) else ""
            if partition not in seen:
                seen.add(partition)
                if index in indexes:
                    return True
    return False


def held_back(source: str, records: Sequence[Any], blocked: set[int]) -> set[int]:
    """Indexes of the records not handed to the handler: the blocked ones, and the records
    that must wait for them to keep their order:

    * an SQS FIFO queue: every later record of the same message group (as AWS requires
      for partial batch responses on FIFO queues);
    * a Kinesis or DynamoDB stream: every record from the first blocked one on. Lambda
      checkpoints before the lowest reported sequence number and delivers everything
      after it again, so a later record handed to the handler now would be processed
      twice, and out of order;
    * a Kafka batch: the same within each partition (every later record of the partition).

    Example:
        >>> fifo = "arn:aws:sqs:us-east-1:1:q.fifo"
        >>> recs = [{"eventSourceARN": fifo, "attributes": {"MessageGroupId": g}} for g in "aba"]
        >>> sorted(held_back("sqs", recs, {0}))
        [0, 2]
        >>> sorted(held_back("kinesis", [{}, {}, {}, {}], {1}))
        [1, 2, 3]
    """
    result = {index for index in blocked if 0 <= index < len(records)}
    if not result:
        return result
    if source in STREAM_SOURCES:
        return set(range(min(result), len(records)))
    if source in PARTITIONED_SOURCES:
        stopped_partitions: set[str] = set()
        for index, record in enumerate(records):
            partition = _kafka_partition(record) if isinstance(record, Mapping) else ""
            if index in result:
                stopped_partitions.add(partition)
            elif partition in stopped_partitions:
                result.add(index)
        return result
    if source != "sqs":
        return result
    stopped: set[object] = set()
    for index, record in enumerate(records):
        if not _is_fifo(record):
            continue
        group = _group(record)
        if index in result:
            stopped.add(group)
        elif group in stopped:
            result.add(index)
    return result


def batch_failures(
    source: str, records: Sequence[Any], indexes: set[int] | None = None
) -> list[dict[str, Any]]:
    """``batchItemFailures`` entries for the records at ``indexes`` (all records when None).

    Example:
        >>> batch_failures("sqs", [{"messageId": "a"}, {"messageId": "b"}], {1})
        [{'itemIdentifier': 'b'}]
    """
    chosen = range(len(records)) if indexes is None else sorted(indexes)
    failures: list[dict[str, Any]] = []
    seen: set[object] = set()
    for index in chosen:
        identifier = item_identifier(source, records[index])
        key = identifier_key(identifier)
        if key not in seen:
            seen.add(key)
            failures.append({"itemIdentifier": identifier})
    if not failures and indexes is None:
        failures.append(
            {"itemIdentifier": ""}
        )  # empty batch: fail it whole, never succeed silently
    return failures


def batch_response(failures: list[dict[str, Any]]) -> dict[str, Any]:
    """The partial batch response reporting ``failures``.

    Example:
        >>> batch_response([{"itemIdentifier": "a"}])
        {'batchItemFailures': [{'itemIdentifier': 'a'}]}
    """
    return {"batchItemFailures": list(failures)}


def merge_batch_failures(result: object, failures: list[dict[str, Any]]) -> object:
    """The handler's ``result`` with the guard's ``failures`` added to its ``batchItemFailures``.

    The handler's own entries are kept as they are (first), the guard's are added
    unless an entry with the same identifier is already there (an identifier holding a
    list or an object names no record: it never counts as the same). With no failures
    of the guard, ``result`` is returned as is (the same object). A result that is
    not a mapping (e.g. ``None``) carries no failures of its own and is replaced.

    Example:
        >>> merge_batch_failures({"batchItemFailures": [{"itemIdentifier": "a"}]},
        ...                      [{"itemIdentifier": "b"}, {"itemIdentifier": "a"}])
        {'batchItemFailures': [{'itemIdentifier': 'a'}, {'itemIdentifier': 'b'}]}
    """
    if not failures:
        return result
    merged: dict[str, Any] = dict(result) if isinstance(result, Mapping) else {}
    own = merged.get("batchItemFailures")
    entries: list[Any] = list(own) if isinstance(own, list) else []
    present = {_hashable_key(entry.get("itemIdentifier")) for entry in entries if isinstance(entry, Mapping)}
    present.discard(_UNHASHABLE)
    entries.extend(entry for entry in failures
                   if (key := _hashable_key(entry["itemIdentifier"])) is _UNHASHABLE or key not in present)
    merged["batchItemFailures"] = entries
    return merged


#: The key of an identifier that cannot be hashed (a list or an object inside a Kafka identifier).
_UNHASHABLE: Final = object()


def _hashable_key(identifier: object) -> object:
    """:func:`identifier_key`, or :data:`_UNHASHABLE` for an identifier that names no record (a handler's
    Kafka identifier with a list or object inside): it never stands for another entry."""
    key = identifier_key(identifier)
    try:
        hash(key)
    except TypeError:
        return _UNHASHABLE
    return key


def fallback_source(event: object) -> str:
    """A coarse source of ``event``, used only when the guard failed before naming it.

    It only needs to tell the shapes whose block response differs (HTTP flavours,
    batches); everything else is ``generic``.

    Example:
        >>> fallback_source({"Records": [{"eventSource": "aws:sqs"}]})
        'sqs'
        >>> fallback_source({"version": "2.0", "requestContext": {"http": {}}})
        'apigw-http'
    """
    if not isinstance(event, Mapping):
        return "generic"
    if event.get("eventSource") in ("aws:kafka", "SelfManagedKafka"):
        return "kafka"
    if event.get("type") in ("TOKEN", "REQUEST"):
        if "methodArn" in event:
            return "apigw-authorizer"
        if "routeArn" in event:
            return "apigw-http-authorizer"
    if "RequestType" in event and "ResponseURL" in event:
        return "cfn-custom-resource"
    records = records_of(event)
    if records:
        first = records[0]
        if isinstance(first, Mapping):
            kind = first.get("eventSource") or first.get("EventSource")
            named = {
                "aws:sqs": "sqs",
                "aws:kinesis": "kinesis",
                "aws:dynamodb": "dynamodb",
                "aws:sns": "sns",
                "aws:s3": "s3",
            }
            if isinstance(kind, str) and kind in named:
                return named[kind]
    context = event.get("requestContext")
    if isinstance(context, Mapping):
        if "elb" in context:
            return "alb"
        if "connectionId" in context:
            return "apigw-websocket"
        if event.get("version") == "2.0":
            domain = context.get("domainName")
            if isinstance(domain, str) and ".lambda-url." in domain:
                return "function-url"
            return "apigw-http"
        if "httpMethod" in event:
            return "apigw-rest"
    if "detail-type" in event and "detail" in event:
        return "eventbridge"
    return "generic"
