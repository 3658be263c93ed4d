"""Differential vectors for proxy/internal/records (the port of protect_lambda/violation.py).

Events from the repository (rule examples placed into events of every source, tests/detection
events, example/events/*.json, seeded fuzz heavy in control characters, lone surrogates and
Unicode in keys and values; optionally the events/responses of --cases FILE.jsonl) are inspected by
Python's Guard under several configurations; for every verdict with findings the record lines
Python writes (format_record(violation_record(...))) are stored: the whole inspection, the batch
grouping of the Reporter (one record per batch record, item_id from responses.item_label) and the
"allowed" form (every finding detected, monitor mode). Also synthetic findings, location and
timestamp vectors, GuardError records. Strings that may hold lone surrogates are lists of code
points. The Go test (RECORDS_VECTORS=FILE) rebuilds every line from the Go guard's findings and
from Python's findings.

    /work/main/.venv/bin/python proxy/gen/vectors_records.py OUT.json [--cases ../shared/eval/cases.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "lambda_layer"), str(ROOT)]

from protect_lambda import contract, responses, violation  # noqa: E402
from protect_lambda.adapters import DEFAULT_LIMITS, Limits  # noqa: E402
from protect_lambda.engine import RuleEngine  # noqa: E402
from protect_lambda.errors import GuardConfigError  # noqa: E402
from protect_lambda.guard import Guard  # noqa: E402
from protect_lambda.inspection import _Allowed  # noqa: E402
from tests.detection import events as ev  # noqa: E402
from tests.detection.rule_examples import EXAMPLES  # noqa: E402

NOW = 1767225600.123
FN, RID, SEAL = "orders-fn", "c6af9ac6-7b61-4c1e-9a55-0e3c2d1f0001", "s3al-42"

CONFIGS = [
    {"mode": "block", "sensitivity": 2, "rule_overrides": {}, "category_overrides": {}},
    {"mode": "monitor", "sensitivity": 2, "rule_overrides": {}, "category_overrides": {}},
    {"mode": "block", "sensitivity": 4, "rule_overrides": {}, "category_overrides": {}},
    {"mode": "block", "sensitivity": 3, "rule_overrides": {"sqli-001": "monitor", "xss-001": "monitor"},
     "category_overrides": {"leak_card": "monitor", "cmdi": "monitor", "path_traversal": "monitor"}},
    {"mode": "block", "sensitivity": 2, "rule_overrides": {}, "category_overrides": {}, "limits": [4, 12, 120]},
    {"mode": "monitor", "sensitivity": 2, "rule_overrides": {}, "category_overrides": {"oversize": "block"},
     "limits": [3, 30, 60]},
]


def cps(text: str) -> list[int]:
    return [ord(c) for c in text]


def opt_cps(text: object) -> list[int] | None:
    return None if text is None else cps(str(text))


# --- random text ------------------------------------------------------------------------------

POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    "+/=_-.[]#$@ '\"<>;:,{}()|&!?*%\\",
    "".join(map(chr, range(0, 0x20))) + "".join(map(chr, range(0x7F, 0xA0))),
    "\u2028\u2029\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2069\ufeff",
    "éüßñçÅΩπжЯ中文日本語한국어١٢٣٤٥０１２３ＡＢＣﬁ\u0301\u00a0\u3000",
]
SECRETS = ["4111111111111111", "4111-1111-1111-1111", "123-45-6789", "AKIAIOSFODNN7EXAMPLE",
           "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
           "ghp_1234567890abcdefghijklmnopqrstuvwx", "sk_live_51HqLyjWDarjtT1zdp7dc", "10.0.0.1",
           "ABCDEFGHIJKLMNOPQRST", "aB3dE5gH7jK9mN1pQ3sT5vW7", "x[4111]", "a[1][2]", "$.x", "@id"]


def rand_char(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.08:
        return chr(rng.randint(0xD800, 0xDFFF))  # lone surrogate
    if r < 0.12:
        return chr(rng.randint(0x10000, 0x10FFFF))
    if r < 0.18:
        return chr(rng.randint(0xA0, 0xFFFF))
    pool = rng.choice(POOLS)
    return rng.choice(pool)


def rand_text(rng: random.Random, n: int | None = None) -> str:
    n = rng.randint(0, 40) if n is None else n
    parts = []
    while len(parts) < n:
        r = rng.random()
        if r < 0.1:
            parts.append(rng.choice(SECRETS))
        elif r < 0.15:
            parts.append(rng.choice(POSITIVES)[1])
        else:
            parts.append(rand_char(rng))
    return "".join(parts)


def ident(rng: random.Random) -> str:
    """An identifier-like key around the limits of _plain_segment (lengths 15-21 and 40-41, digit
    counts 4-5, upper-case shares near 30%, upper-case runs near 16, AWS / JWT prefixes)."""
    n = rng.choice([1, 5, 15, 16, 17, 19, 20, 21, 39, 40, 41, rng.randint(1, 45)])
    upper_share = rng.choice([0.0, 0.25, 0.3, 0.35, 0.5, 0.7, 1.0])
    digits = rng.choice([0, 1, 4, 5, 6])
    chars = [rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") if rng.random() < upper_share
             else rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n)]
    for _ in range(min(digits, n)):
        chars[rng.randrange(n)] = rng.choice("0123456789")
    if rng.random() < 0.15:
        chars[rng.randrange(n)] = rng.choice("_-")
    text = "".join(chars)
    if rng.random() < 0.1:
        text = rng.choice(["AKIA", "ASIA", "A3TX", "eyJ", "A3T_"]) + text
    if rng.random() < 0.1:
        text = "ABCDEFGHIJKLMNO" + rng.choice(["", "P", "1"]) + text
    if rng.random() < 0.1:
        text = rng.choice("$@0_-") + text
    return text


def rand_location(rng: random.Random) -> str:
    segs = []
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.3:
            seg = rng.choice(["body", "headers", "Records", "queryStringParameters", "q", "user_name", "$ref",
                              "@type", "x-api-key", "camelCaseName", "ThisIsAVeryLongButHonestName",
                              "a" * 41, "abcdefghijklmnop1", "aBcDeFgHiJkLmNoPqRsTuV", ""])
        elif r < 0.4:
            seg = rng.choice(SECRETS)
        elif r < 0.6:
            seg = ident(rng)
        else:
            seg = rand_text(rng, rng.randint(0, 12))
        for _ in range(rng.choice([0, 0, 1, 2])):
            seg += rng.choice(["[0]", "[12]", "[1234567]", "[]", "[x]", "[", "]", "[٣]", "[0]]"])
        segs.append(seg)
    loc = ".".join(segs)
    if rng.random() < 0.3:
        loc += rng.choice(["#key", "#pair", "#ke", "#key#pair"])
    if rng.random() < 0.05:
        loc = ".".join([rng.choice(SECRETS + ["abc", ""]) for _ in range(rng.randint(20, 60))])
    return loc


# --- events -----------------------------------------------------------------------------------

RULES = {r.id: r for r in RuleEngine.default().rules}
POSITIVES = [(rule_id, s) for rule_id, (pos, neg) in EXAMPLES.items() for s in pos + neg]


def example_events() -> list[tuple[dict, object, bool]]:
    """(event, response or None, whether there is a response) from the rule examples and example/events."""
    out: list[tuple[dict, object, bool]] = []
    for rule_id, (pos, neg) in EXAMPLES.items():
        rule = RULES.get(rule_id)
        outbound = rule is not None and rule.direction == contract.DIRECTION_OUTBOUND
        for i, s in enumerate(pos + neg):
            if outbound:
                event = ev.apigw_http(query="hello")
                out.append((event, {"statusCode": 200, "body": s}, True))
                out.append((ev.sqs("a", "b"), {"batchItemFailures": [], "note": s}, True))
            else:
                shape = i % 6
                if shape == 0:
                    event = ev.apigw_rest(query=s)
                elif shape == 1:
                    event = ev.apigw_http(body=json.dumps({"comment": s, "n": 1}))
                elif shape == 2:
                    event = ev.sqs("ok", s, json.dumps({"x": s}))
                elif shape == 3:
                    event = ev.alb(query=s, header=s)
                elif shape == 4:
                    event = ev.sns(s)
                else:
                    event = ev.eventbridge({"k": s, s[:30]: "v"})
                out.append((event, None, False))
    deep: object = "<script>alert(1)</script>"
    for _ in range(40):
        deep = {"a": deep}
    out.append((ev.apigw_rest(query="x" * 300, body=json.dumps(deep)), {"body": "y" * 500, "d": deep}, True))
    out.append((ev.apigw_rest(query="hello", body=json.dumps({f"k{i}": "v" for i in range(6000)})), None, False))
    for path in sorted((ROOT / "example" / "events").glob("*.json")):
        out.append((json.loads(path.read_text(encoding="utf-8")), None, False))
    return out


def rand_value(rng: random.Random, depth: int = 0) -> object:
    r = rng.random()
    if depth < 3 and r < 0.25:
        return {rand_key(rng): rand_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if depth < 3 and r < 0.35:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if r < 0.4:
        return rng.choice([1, -2.5, True, None])
    return rand_text(rng)


def rand_key(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return rng.choice(SECRETS + [p for _, p in POSITIVES[:5]])
    if r < 0.6:
        return rand_text(rng, rng.randint(1, 20))
    return rng.choice(["q", "body", "name", "comment", "data", "a.b", "x[0]", "user-id"])


def fuzz_events(rng: random.Random, n: int) -> list[tuple[dict, object, bool]]:
    out = []
    for i in range(n):
        payload = rand_value(rng)
        shape = i % 5
        if shape == 0:
            event = ev.apigw_rest(query=rand_text(rng), body=json.dumps(payload))
            event["queryStringParameters"][rand_key(rng)] = rand_text(rng)
        elif shape == 1:
            event = ev.sqs(rand_text(rng), json.dumps(payload))
            event["Records"][0]["messageId"] = rand_text(rng, 8)
        elif shape == 2:
            event = {rand_key(rng): payload, rand_key(rng): rand_text(rng)}
        elif shape == 3:
            event = ev.apigw_http(query=rand_text(rng), body=rand_text(rng), headers={rand_key(rng): rand_text(rng)})
        else:
            clean = "".join(c for c in rand_text(rng) if not 0xD800 <= ord(c) <= 0xDFFF)  # base64 of UTF-8
            event = ev.kinesis(clean, json.dumps(payload))
        if rng.random() < 0.5:
            response = {"statusCode": 200, "body": rand_text(rng, 60), rand_key(rng): rand_value(rng)}
            out.append((event, response, True))
        else:
            out.append((event, None, False))
    return out


def cases_events(path: Path) -> list[tuple[dict, object, bool]]:
    out = []
    for line in path.read_text(encoding="utf-8").split("\n"):  # not splitlines: U+2028 is in values
        if line.strip():
            case = json.loads(line)
            out.append((case.get("event"), case.get("response"), "response" in case and case["response"] is not None))
    return out


# --- records ----------------------------------------------------------------------------------

def finding_json(f) -> dict:
    return {"rule_id": f.rule_id, "category": f.category, "direction": f.direction, "severity": f.severity,
            "location": cps(f.location), "action": f.action,
            "record_index": -1 if f.record_index is None else f.record_index,
            "text": cps(f.match.text), "start": f.match.start, "end": f.match.end, "score": f.score}


def rand_params(rng: random.Random) -> dict:
    def pick() -> str | None:
        r = rng.random()
        if r < 0.1:
            return None
        if r < 0.2:
            return rand_text(rng, rng.randint(120, 140))
        return rand_text(rng, rng.randint(0, 20))
    return {"function_name": pick(), "request_id": pick(), "seal": pick(),
            "now": rng.choice([NOW, 0.0, 0.999, 1.0005, 1e9 + 0.5, 253402300799.999, 86399.9999])}


def params_json(p: dict) -> dict:
    return {"function_name": opt_cps(p["function_name"]), "request_id": opt_cps(p["request_id"]),
            "seal": opt_cps(p["seal"]), "now": p["now"]}


def line(findings, source, mode, p, record_index=None, item_id=None) -> str:
    return violation.format_record(violation.violation_record(
        findings, source=source, mode=mode, function_name=p["function_name"], request_id=p["request_id"],
        seal=p["seal"], record_index=record_index, item_id=item_id, now=p["now"]))


def recipes(verdict, mode: str, event, p: dict) -> dict:
    """The Reporter's records of a verdict (whole, batch grouping, allowed)."""
    findings = verdict.findings
    out = {"whole": [line(findings, verdict.source, mode, p)],
           "allowed": [line([_Allowed(f) for f in findings], verdict.source, contract.MODE_MONITOR, p)]}
    records = responses.records_of(event, verdict.source) if responses.is_batch(verdict.source) else None
    out["n_records"] = -1 if records is None else len(records)
    out["item_ids"] = {}
    out["batch"] = []
    if records is not None:
        by_record: dict = {}
        for f in findings:
            index = f.record_index
            by_record.setdefault(index if index is not None and 0 <= index < len(records) else None, []).append(f)
        for index in range(len(records)):
            out["item_ids"][str(index)] = opt_cps(responses.item_label(verdict.source, records[index]))
        for index, group in sorted(by_record.items(), key=lambda item: -1 if item[0] is None else item[0]):
            item_id = None if index is None else responses.item_label(verdict.source, records[index])
            out["batch"].append(line(group, verdict.source, mode, p, record_index=index, item_id=item_id))
    return out


def inspect_all(items, rng: random.Random, configs) -> tuple[list, dict]:
    guards = [Guard(mode=c["mode"], sensitivity=c["sensitivity"], rule_overrides=c["rule_overrides"],
                    category_overrides=c["category_overrides"],
                    limits=Limits(*c["limits"]) if "limits" in c else DEFAULT_LIMITS) for c in CONFIGS]
    out, counts = [], {"inspections": 0, "with_findings": 0, "lines": 0, "events": {}}
    fixed = {"function_name": FN, "request_id": RID, "seal": SEAL, "now": NOW}
    for event, response, has_response in items:
        doc = json.dumps(event)
        resp_doc = json.dumps(response) if has_response else None
        # What the Go side parses (json.loads joins an escaped surrogate pair: two adjacent lone
        # surrogates of the Python object come back as one character).
        event = json.loads(doc)
        response = json.loads(resp_doc) if has_response else None
        for ci in configs:
            g = guards[ci]
            todo = [("event", lambda: g.inspect_event(event))]
            if has_response:
                todo.append(("response", lambda: g.inspect_response(response, event)))
            for kind, run in todo:
                counts["inspections"] += 1
                # Guards whose rule set is the default share RuleEngine.default() and its cache of
                # short values, whose entries depend on the decisive rules of the guard that scanned
                # first: a fresh process (and the Go guard) would find otherwise. Start clean.
                g.engine.clear_cache()
                verdict = run()
                if not verdict.findings:
                    continue
                counts["with_findings"] += 1
                p = rand_params(rng) if rng.random() < 0.2 else fixed
                rec = recipes(verdict, g.mode, event, p)
                for marker in rec["whole"] + rec["allowed"] + rec["batch"]:
                    counts["lines"] += 1
                    name = json.loads(marker)["event"]
                    counts["events"][name] = counts["events"].get(name, 0) + 1
                out.append({"config": ci, "kind": kind, "event": doc, "response": resp_doc,
                            "source": verdict.source, "mode": g.mode, "params": params_json(p),
                            "findings": [finding_json(f) for f in verdict.findings], **rec})
    return out, counts


# --- synthetic findings -----------------------------------------------------------------------

class F:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class M:
    def __init__(self, text, start, end):
        self.text, self.start, self.end = text, start, end


def plain(rng: random.Random, choices: list[str]) -> str:
    """A field of a Go string: no lone surrogates."""
    if rng.random() < 0.8:
        return rng.choice(choices)
    return "".join(c for c in rand_text(rng, rng.randint(0, 60)) if not 0xD800 <= ord(c) <= 0xDFFF)


def synthetic(rng: random.Random, n: int) -> list[dict]:
    out = []
    rule_ids = [r for r in RULES] + ["oversize-001", "x" * 60]
    for _ in range(n):
        findings = []
        for _ in range(rng.choice([1, 1, 2, 3, 5, 21, 25])):
            text = rand_text(rng, rng.randint(0, 300))
            if rng.random() < 0.9:
                start = rng.randint(0, len(text))
                end = rng.randint(start, len(text))
            else:
                start, end = sorted((rng.randint(0, len(text)), rng.randint(0, len(text))), reverse=True)
            findings.append(F(
                rule_id=plain(rng, rule_ids), category=plain(rng, ["xss", "sqli", "leak_card", "oversize",
                                                                    "uninspected", "cmdi"]),
                direction=plain(rng, ["inbound", "outbound"]),
                severity=plain(rng, ["low", "medium", "high", "critical", "bogus"]),
                location=rand_location(rng) if rng.random() < 0.97 else rng.choice(["", "a"]),
                action=plain(rng, ["blocked", "detected"]),
                record_index=rng.choice([None, None, 0, 1, 2]), match=M(text, start, end),
                score=rng.choice([5, 5, 1, 2, 3, 0, -1, 10])))
            if rng.random() < 0.2 and len(findings) > 1:  # a repeated rule and location
                findings.append(findings[rng.randrange(len(findings))])
        p = rand_params(rng) if rng.random() < 0.5 else {"function_name": FN, "request_id": RID, "seal": SEAL,
                                                          "now": NOW}
        mode = plain(rng, ["block", "monitor"])
        source = "".join(rand_text(rng, 10)) if rng.random() < 0.2 else rng.choice(["sqs", "apigw-http", "generic"])
        record_index = rng.choice([None, None, 0, 3])
        item_id = rng.choice([None, rand_text(rng, 10), "m-1"]) if record_index is not None else None
        rec = {"findings": [finding_json(f) for f in findings], "params": params_json(p), "mode": cps(mode),
               "source": cps(source), "record_index": -1 if record_index is None else record_index,
               "item_id": opt_cps(item_id)}
        rec["line"] = line(findings, source, mode, p, record_index=record_index, item_id=item_id)
        rec["entries"] = [violation.format_record(violation.finding_entry(f)) for f in findings]
        out.append(rec)
    return out


def error_records(rng: random.Random, n: int) -> list[dict]:
    out = []
    errors = [KeyError("<script>"), ValueError("x\u2028y"), GuardConfigError("bad PROTECT_LAMBDA_MODE 'x\ud800'"),
              RecursionError(), MemoryError(), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"),
              GuardConfigError("".join(rand_text(rng, 500)))]
    for i in range(n):
        error = errors[i % len(errors)] if i < 2 * len(errors) else rng.choice(
            [GuardConfigError(rand_text(rng, rng.randint(0, 450))), TypeError(rand_text(rng))])
        try:
            raise error
        except BaseException as exc:  # noqa: BLE001
            error = exc
        kw = {k: (rand_text(rng, rng.randint(0, 140)) if rng.random() < 0.3 else v) for k, v in
              {"phase": "inbound", "outcome": "proceeded", "source": "generic", "mode": "block",
               "fail_policy": "open", "function_name": FN, "request_id": RID}.items()}
        now = rng.choice([NOW, 12.5])
        frames = traceback.extract_tb(error.__traceback__)
        frame = frames[-1]
        record = violation.guard_error_record(error, now=now, **kw)
        out.append({"error_type": cps(type(error).__name__), "file": cps(os.path.basename(frame.filename)),
                    "line": frame.lineno, "function": cps(frame.name),
                    "detail": cps(str(error)) if isinstance(error, GuardConfigError) else None,
                    "now": now, **{k: cps(v) for k, v in kw.items()},
                    "line_out": violation.format_record(record)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--cases", type=Path, action="append", default=[])
    parser.add_argument("--fuzz", type=int, default=1500)
    args = parser.parse_args()
    rng = random.Random(20261206)
    p = violation._p()
    unsafe_go = r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
    escaped = re.compile(unsafe_go)
    same = all(bool(escaped.fullmatch(chr(c))) == bool(p.unsafe.fullmatch(chr(c))) for c in range(0x110000))
    patterns = {k: v.pattern for k, v in vars(p).items()}
    patterns["unsafe"] = unsafe_go if same else "NOT EQUIVALENT"
    items = example_events() + fuzz_events(rng, args.fuzz)
    events, counts = inspect_all(items, rng, range(len(CONFIGS)))
    for path in args.cases:
        case_events, case_counts = inspect_all(cases_events(path), rng, [0, 1, 3])
        events += case_events
        counts["cases"] = case_counts
    nows = [NOW, 0.25, -0.25, -0.001, 1e9 + 0.9995, -31536000000.0, -62167219200.0, 253402300800.0, 1e12, 6.7e16,
            6.8e16, 1e17, -6.7e16, -6.8e16, 1e19, -1e19, float("nan"), float("inf"), float("-inf"), 0.1, 0.7,
            1.001, 2.675] + [rng.uniform(-1e11, 1e11) for _ in range(300)] + [rng.uniform(0, 2e9) for _ in range(300)]
    times = []
    for now in nows:
        try:
            times.append([repr(now), violation.rfc3339(now)])
        except (ValueError, OverflowError, OSError):
            times.append([repr(now), None])
    locations = []
    for _ in range(3000):
        loc = rand_location(rng)
        locations.append([cps(loc), cps(violation.redact_location(loc))])
    data = {"fixed": {"function_name": FN, "request_id": RID, "seal": SEAL, "now": NOW},
            "configs": CONFIGS, "patterns": patterns, "events": events, "synthetic": synthetic(rng, 2000),
            "errors": error_records(rng, 200), "times": times, "locations": locations}
    args.out.write_text(json.dumps(data), encoding="utf-8")
    counts["synthetic"], counts["errors"] = len(data["synthetic"]), len(data["errors"])
    print(f"vectors_records.py: {json.dumps(counts)}", file=sys.stderr)


if __name__ == "__main__":
    main()
