"""Differential vectors for proxy/internal/responses (responses.py and the decisions of blocking.py).

    .venv/bin/python proxy/gen/vectors_responses.py OUT.json [--cases FILE.jsonl] [--seed N]
    RESPONSES_VECTORS=OUT.json go test ./internal/responses/

Events of every source (tests/detection/events.py builders with the rule examples as payloads,
example/events, hand-made batches: SQS FIFO message groups, Kinesis, DynamoDB, Kafka partitions,
authorizers of REST / HTTP / WebSocket APIs, seeded random values), inspected by Python's Guard;
for each, what plan_inbound, with_held_failures, withhold, refuse, fallback_source and the
functions of responses.py return. Values travel as json.dumps text (ASCII: lone surrogates are
escapes), request ids as lists of code points.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "lambda_layer"), str(ROOT)]

from protect_lambda import Guard, blocking, contract, responses  # noqa: E402
from protect_lambda.errors import GuardBlockedError  # noqa: E402
from tests.detection import events as E  # noqa: E402
from tests.detection.rule_examples import EXAMPLES  # noqa: E402

STYLES = list(contract.AUTHORIZER_RESPONSES)
REQUEST_IDS = ["req-1", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "\x00\x1f\u2028\ud800x\"\\", "\u00e9\u6f22\U0001f600\udfff"]
FIFO_ARN = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"
STD_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"


def cps(text: str) -> list[int]:
    return [ord(c) for c in text]


def dumps(value: Any) -> str:
    return json.dumps(value)


def outcome(fn: Any) -> dict[str, Any]:
    """The value a call returns (as json.dumps), or the exception it raises."""
    try:
        return {"out": dumps(fn())}
    except Exception as exc:  # noqa: BLE001 - the exception is the result
        return {"error": f"{type(exc).__name__}: {exc}"}


class Words:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.alphabet = ["\x00", "\x01", "\x1f", "\x7f", "\x85", "\xa0", "\u2028", "\ufeff", "\ud800", "\udc00",
                         "\udbff", "\u00e9", "\u0130", "\u03a3", "\u6f22", "\U0001f600", "\U0010ffff", "'", '"',
                         "\\", "<", ">", ";", "|", "-", ".fifo", "@", " ", "a", "Z", "0", "9"]

    def __call__(self, n: int = 8) -> str:
        return "".join(self.rnd.choice(self.alphabet) for _ in range(self.rnd.randint(0, n)))


def payloads() -> tuple[list[str], list[str]]:
    attacks, benign = [], []
    for _rule, (pos, neg) in sorted(EXAMPLES.items()):
        attacks.extend(pos[:2])
        benign.extend(neg[:1])
    return attacks, benign


def sqs_record(i: int, body: str, arn: str = STD_ARN, group: Any = "absent", mid: Any = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"ApproximateReceiveCount": "1", "SenderId": "AIDAEXAMPLE"}
    if group != "absent":
        attributes["MessageGroupId"] = group
    return {"messageId": f"m-{i}" if mid is None else mid, "receiptHandle": "AQEB", "body": body,
            "attributes": attributes, "messageAttributes": {}, "eventSource": "aws:sqs",
            "eventSourceARN": arn, "awsRegion": "us-east-1"}


def kinesis_record(i: int, payload: str, seq: Any = None) -> dict[str, Any]:
    return {"eventSource": "aws:kinesis", "eventID": f"shardId-000:{i}",
            "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            "kinesis": {"partitionKey": "pk", "data": base64.b64encode(payload.encode("utf-8", "surrogatepass")).decode(),
                        "sequenceNumber": f"4959{i:04d}" if seq is None else seq}}


def dynamodb_record(i: int, name: str, seq: Any = None) -> dict[str, Any]:
    return {"eventID": str(i), "eventName": "INSERT", "eventSource": "aws:dynamodb",
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024",
            "dynamodb": {"Keys": {"Id": {"N": str(i)}}, "NewImage": {"Id": {"N": str(i)}, "Name": {"S": name}},
                         "SequenceNumber": f"11{i}" if seq is None else seq, "StreamViewType": "NEW_IMAGE"}}


def kafka_event(parts: dict[str, list[tuple[Any, Any, str]]]) -> dict[str, Any]:
    records: dict[str, Any] = {}
    for key, recs in parts.items():
        topic, _, partition = key.rpartition("-")
        records[key] = [{"topic": topic, "partition": p if p is not None else int(partition), "offset": off,
                         "timestamp": 1545084650987, "timestampType": "CREATE_TIME",
                         "key": base64.b64encode(b"k").decode(),
                         "value": base64.b64encode(v.encode("utf-8", "surrogatepass")).decode(), "headers": []}
                        for p, off, v in recs]
    return {"eventSource": "aws:kafka", "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/c/1",
            "bootstrapServers": "b-1:9092", "records": records}


def authorizers(payload: str) -> list[dict[str, Any]]:
    method_arn = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/items"
    route_arn = "arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/items"
    return [
        {"type": "TOKEN", "authorizationToken": payload, "methodArn": method_arn},
        {"type": "REQUEST", "methodArn": method_arn, "resource": "/items", "path": "/items", "httpMethod": "GET",
         "headers": {"Authorization": payload}, "queryStringParameters": {"q": payload},
         "requestContext": {"resourcePath": "/items", "stage": "prod", "httpMethod": "GET"}},
        {"version": "2.0", "type": "REQUEST", "routeArn": route_arn, "identitySource": [payload],
         "routeKey": "GET /items", "rawPath": "/items", "rawQueryString": "q=" + payload,
         "headers": {"authorization": payload}, "queryStringParameters": {"q": payload},
         "requestContext": {"http": {"method": "GET", "path": "/items"}, "domainName": "abc.execute-api.us-east-1.amazonaws.com"}},
        {"version": "1.0", "type": "REQUEST", "methodArn": method_arn, "headers": {"authorization": payload},
         "requestContext": {"httpMethod": "GET"}},
        {"type": "REQUEST", "methodArn": method_arn, "headers": {"Sec-WebSocket-Protocol": payload},
         "queryStringParameters": {"token": payload},
         "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "abc="}},
        {"version": "2.0", "type": "REQUEST", "routeArn": "", "headers": {"authorization": payload},
         "requestContext": {"http": {"method": "GET"}}},
        {"type": "TOKEN", "authorizationToken": payload, "methodArn": ["not", "a", "string"]},
    ]


def websocket(body: str) -> dict[str, Any]:
    return {"requestContext": {"routeKey": "sendmessage", "eventType": "MESSAGE", "connectionId": "abc=",
                               "domainName": "abc.execute-api.us-east-1.amazonaws.com", "stage": "prod"},
            "body": body, "isBase64Encoded": False}


def build_events(rnd: random.Random, w: Words) -> list[Any]:
    attacks, benign = payloads()
    out: list[Any] = []
    singles = [
        lambda p: E.apigw_rest(query=p), lambda p: E.apigw_http(query=p), lambda p: E.function_url(p),
        lambda p: E.alb(query=p), lambda p: E.alb(query=p) | {"multiValueHeaders": None, "headers": {"x": p}},
        lambda p: E.sqs(p), lambda p: E.sns(p), lambda p: E.eventbridge({"note": p}), lambda p: E.s3(p),
        lambda p: E.dynamodb(p), lambda p: E.kinesis(p), websocket,
        lambda p: {"note": p, "id": 7},
    ]
    for i, p in enumerate(attacks + benign[:20]):
        out.append(singles[i % len(singles)](p))
    for p in attacks[:12] + benign[:4]:
        out.extend(authorizers(p))
    for path in sorted((ROOT / "example" / "events").glob("*.json")):
        out.append(json.loads(path.read_text(encoding="utf-8")))
    # batches with attacks in some records
    for n in range(400):
        size = rnd.randint(0, 7)
        bad = {i for i in range(size) if rnd.random() < 0.3}
        body = [rnd.choice(attacks) if i in bad else rnd.choice(benign) for i in range(size)]
        kind = n % 8
        if kind in (0, 1):  # SQS FIFO with message groups
            groups = ["g1", "g2", "g3", "absent", 1, 1.0, True, "1", None, float("nan")]
            if rnd.random() < 0.15:
                groups.append(rnd.choice([["unhashable"], {"g": 1}]))
            recs = [sqs_record(i, body[i], FIFO_ARN if rnd.random() < 0.85 else STD_ARN, rnd.choice(groups),
                               mid=rnd.choice([None, None, None, "m-0", "", 5, w()])) for i in range(size)]
            out.append({"Records": recs})
        elif kind == 2:
            out.append({"Records": [sqs_record(i, body[i], mid=rnd.choice([None, None, "dup", w()])) for i in range(size)]})
        elif kind == 3:
            out.append({"Records": [kinesis_record(i, body[i], seq=rnd.choice([None, None, "1", 7])) for i in range(size)]})
        elif kind == 4:
            out.append({"Records": [dynamodb_record(i, body[i], seq=rnd.choice([None, None, "1", None])) for i in range(size)]})
        elif kind in (5, 6):  # Kafka: several partitions
            parts: dict[str, list[tuple[Any, Any, str]]] = {}
            for i in range(size):
                key = rnd.choice(["orders-0", "orders-1", "pay-0", "orders-0"])
                part = rnd.choice([None, None, None, None, True, "0", 2])
                off = rnd.choice([i, i, 100 + i, 5, True, "7", 1.0])
                parts.setdefault(key, []).append((part, off, body[i]))
            ev = kafka_event(parts)
            if rnd.random() < 0.1:
                ev["records"]["bare"] = "not a list"
            out.append(ev)
        else:  # a batch of an unexpected shape
            out.append({"Records": [rnd.choice([sqs_record(i, body[i]), "bare", {"eventSource": "aws:sqs", "body": body[i]}])
                                    for i in range(size)]})
    # random values heavy in control characters, lone surrogates, Unicode
    for n in range(80):
        p = w(12) + rnd.choice(["", " OR 1=1 --", "<script>alert(1)</script>", "; cat /etc/passwd"])
        out.append(rnd.choice([E.apigw_rest(query=p), E.apigw_http(query=p), websocket(p),
                               {"Records": [sqs_record(0, p, FIFO_ARN, w(), mid=w()), sqs_record(1, "x", FIFO_ARN, w(), mid=w())]},
                               kafka_event({w() + "-0": [(None, 0, p)], "t-" + w() + "-1": [(None, 1, "ok")]}),
                               {"type": "TOKEN", "authorizationToken": p, "methodArn": w()},
                               {"version": "2.0", "type": "REQUEST", "routeArn": w(), "headers": {"a": p}},
                               {"eventSource": w(), "records": {}, "type": w(), "Records": [{"eventSource": w()}]},
                               {"RequestType": "Create", "ResponseURL": "https://x", "StackId": "s", "LogicalResourceId": "L",
                                "ResourceProperties": {"P": p}},
                               [p], p, None, 5]))
    return out


def handler_results(rnd: random.Random, event: Any, source: str, extra: list[Any]) -> list[Any]:
    records = responses.records_of(event, source) if responses.is_batch(source) else None
    ids = [responses.item_identifier(source, r) for r in records or []]
    results: list[Any] = [None, {}, "text", [1, 2], {"batchItemFailures": []}, {"batchItemFailures": "x"}, *extra]
    for _ in range(3):
        own: list[Any] = []
        for _ in range(rnd.randint(0, 4)):
            choice = rnd.random()
            if ids and choice < 0.5:
                ident = rnd.choice(ids)
                if isinstance(ident, dict) and rnd.random() < 0.4:
                    ident = {"offset": rnd.choice([ident["offset"], float(ident["offset"]), True]), "partition": ident["partition"], "x": 1}
                own.append({"itemIdentifier": ident})
            elif choice < 0.6:
                own.append({"itemIdentifier": {"partition": rnd.choice([["t"], "t-0"]), "offset": rnd.choice([{"a": 1}, 1])}})
            elif choice < 0.7:
                own.append({"itemIdentifier": rnd.choice(["", "4111", 5, None, [1]])})
            elif choice < 0.8:
                own.append(rnd.choice(["bare", 3, {"other": 1}]))
            else:
                own.append({"itemIdentifier": "m-0"})
        results.append({"statusCode": 200, "batchItemFailures": own, "note": "leak 4111111111111111"})
    return results


def index_sets(rnd: random.Random, n: int) -> list[list[int]]:
    sets = [[], [0], [n - 1] if n else [], list(range(n)), [-1, n, n + 3]]
    for _ in range(3):
        sets.append(sorted({i for i in range(n) if rnd.random() < 0.35}))
    return sets


def vector(rnd: random.Random, guard: Guard, raw: Any, extra_results: list[Any]) -> dict[str, Any]:
    text = dumps(raw)
    event = json.loads(text)
    verdict = guard.inspect_event(event)
    source = verdict.source
    rid = REQUEST_IDS[rnd.randrange(len(REQUEST_IDS))]
    v: dict[str, Any] = {
        "event": text, "request_id": cps(rid),
        "verdict": {"blocked": verdict.blocked, "source": source,
                    "findings": [[f.rule_id, f.action, f.record_index] for f in verdict.findings]},
        "blocking_rule_ids": blocking.blocking_rule_ids(verdict.findings),
        "fallback_source": responses.fallback_source(event),
    }
    results = [json.loads(dumps(r)) for r in handler_results(rnd, event, source, extra_results)]
    v["results"] = [dumps(r) for r in results]
    plans = {}
    held_auto: set[int] = set()
    for style in STYLES:
        try:
            plan = blocking.plan_inbound(verdict, source, event, rid, style)
        except Exception as exc:  # noqa: BLE001
            plans[style] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        p: dict[str, Any] = {"respond": plan.respond, "response": dumps(plan.response),
                             "handler_event": dumps(plan.handler_event), "blocked_rules": plan.blocked_rules,
                             "records": dumps(plan.records), "held": sorted(plan.held)}
        if plan.blocked_rules is not None:
            try:
                plan.raise_blocked(source)
            except GuardBlockedError as exc:
                p["raise"] = str(exc)
        p["with_held"] = [outcome(lambda r=r: plan.with_held_failures(r, source)) for r in results]
        plans[style] = p
        if style == contract.AUTHORIZER_AUTO:
            held_auto = plan.held
    v["plans"] = plans
    v["withhold"] = [outcome(lambda r=r: blocking.withhold(verdict, source, event, rid, r, held_auto, style))
                     for r in results for style in STYLES[:1]]
    v["withhold_styles"] = [outcome(lambda s=s: blocking.withhold(verdict, source, event, rid, None, held_auto, s))
                            for s in STYLES]
    v["refuse"] = [outcome(lambda d=d, s=s, e=e: blocking.refuse(e(), d, source, event, rid, s))
                   for d in (contract.DIRECTION_INBOUND, contract.DIRECTION_OUTBOUND)
                   for s in STYLES for e in (RecursionError, ValueError)]
    # the functions of responses.py for the verdict's source and the batch sources
    per_source = {}
    for src in dict.fromkeys([source, "sqs", "kinesis", "dynamodb", "kafka", "sns", ""]):
        records = responses.records_of(event, src)
        entry: dict[str, Any] = {"records_of": None if records is None else dumps(records)}
        if records is not None:
            n = len(records)
            sets = index_sets(rnd, n)
            entry["sets"] = sets
            entry["item_identifier"] = [dumps(responses.item_identifier(src, r)) for r in records]
            entry["item_label"] = [outcome(lambda r=r: responses.item_label(src, r)) for r in records]
            entry["first_of_an_ordered_run"] = [responses.first_of_an_ordered_run(src, records, set(s)) for s in sets]
            entry["held_back"] = [outcome(lambda s=s: sorted(responses.held_back(src, records, set(s)))) for s in sets]
            entry["without_records"] = [dumps(responses.without_records(event, src, set(s))) for s in sets]
            entry["batch_failures_all"] = dumps(responses.batch_failures(src, records))
            entry["batch_failures"] = [dumps(responses.batch_failures(src, records, {i for i in s if 0 <= i < n}))
                                       for s in sets]
            entry["sanitised"] = [outcome(lambda r=r, s=s: blocking.sanitised_batch_failures(src, records, r, set(s)))
                                  for r in results for s in sets[1:3]]
            entry["merge"] = [outcome(lambda r=r: responses.merge_batch_failures(
                r, responses.batch_failures(src, records, {i for i in sets[5] if 0 <= i < n}) + responses.batch_failures(src, records)))
                for r in results]
        per_source[src] = entry
    v["per_source"] = per_source
    v["http"] = [dumps(responses.http_response(src, event, status, rid))
                 for src in ("alb", "apigw-rest", "apigw-http", "apigw-websocket", "function-url", "sqs")
                 for status in (403, 500, 200, 418)]
    v["denial"] = [dumps(responses.authorizer_denial(src, event, style))
                   for src in ("apigw-authorizer", "apigw-http-authorizer", "alb") for style in [*STYLES, "other"]]
    return v


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--cases", type=Path, action="append", default=[])
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    w = Words(rnd)
    guard = Guard()
    items: list[tuple[Any, list[Any]]] = [(e, []) for e in build_events(rnd, w)]
    for path in args.cases:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    case = json.loads(line)
                    if "event" in case:
                        items.append((case["event"], [case["response"]] if "response" in case else []))
    vectors = [vector(rnd, guard, event, extra) for event, extra in items]
    args.out.write_text(json.dumps({"styles": STYLES, "vectors": vectors}))
    blocked = sum(v["verdict"]["blocked"] for v in vectors)
    print(f"vectors_responses.py: {len(vectors)} events ({blocked} blocked) -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
