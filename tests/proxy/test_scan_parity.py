"""One guard, two engines: `protect-lambda scan --engine proxy` (the Go guard of the proxy
extension) prints the same bytes as `protect-lambda scan` (the Python guard).

The lines come from what the repository holds: every rule example (positive and negative), in
every event shape and as a response; adversarial runs; example events; a seeded fuzz set heavy
in control characters and Unicode, in events and responses. The eval file's comparison is a
benchmark (docs/proxy.md): a user's clone has no ../shared.
"""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.detection import events
from tests.detection.rule_examples import EXAMPLES

from .conftest import ROOT

SHAPES = (
    lambda v: events.apigw_http(query=v),
    lambda v: events.apigw_http(body=json.dumps({"q": v, "n": [v]})),
    lambda v: events.apigw_rest(query=v),
    lambda v: events.alb(header=v),
    lambda v: events.sqs(v, json.dumps({"note": v})),
    lambda v: events.sns(v),
    lambda v: events.eventbridge({"detail": v}),
    lambda v: events.s3(v),
    lambda v: {"Records": [{"eventSource": "aws:kinesis", "kinesis": {
        "partitionKey": v, "data": base64.b64encode(v.encode("utf-8", "surrogatepass")).decode()}}]},
    lambda v: {"generic": v, "nested": {"k": [v]}},
)
FUZZ_ALPHABET = ("abcxyz019 _-'\"`;|&$(){}[]<>/\\.:=%#@!?*+,~^\t\n\r\x00\x0b\x0c\x1c\x1f\x7f\x85\xa0"
                 "\u00e9\u0130\u0131\u017f\u212a\u00df\u2028\u3000\ufeff\ufffd\U0001F600\ud800\udfff"
                 "\uff1c\uff07\u0660\u00b2")


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    values = [v for positives, negatives in EXAMPLES.values() for v in (*positives, *negatives)]
    for i, value in enumerate(values):
        shape = SHAPES[i % len(SHAPES)]
        cases.append({"id": f"example-{i}", "event": shape(value)})
        cases.append({"id": f"example-{i}-response", "event": events.apigw_http(query="x"),
                      "response": {"statusCode": 200, "body": json.dumps({"v": value})}})
    for i, value in enumerate(("forbidden fruit", "the secret_plan", "call xp_cmdshell", "FORBIDDEN\u00e9")):
        cases.append({"id": f"custom-{i}", "event": SHAPES[i](value),
                      "response": {"statusCode": 200, "body": f"see intra.example, card 4111111111111111 {value}"}})
    for path in sorted((ROOT / "example" / "events").glob("*.json")):
        cases.append({"id": path.name, "event": json.loads(path.read_text())})
    for unit in ("' or ", "<a ", "../", "%25", "$(", "a=", ".", "-- ", "&#"):
        cases.append({"id": f"run-{unit}", "event": events.apigw_http(body=unit * 20_000)})
    rnd = random.Random(20261206)
    for i in range(1500):
        value = "".join(rnd.choice(FUZZ_ALPHABET) for _ in range(rnd.randint(1, 40)))
        if rnd.random() < 0.3:
            value = rnd.choice(values) + value
        shape = SHAPES[rnd.randrange(len(SHAPES))]
        case: dict[str, Any] = {"id": i, "event": shape(value)}
        if rnd.random() < 0.3:
            case["response"] = {"statusCode": 200, "body": value,
                                "isBase64Encoded": False} if rnd.random() < 0.5 else {"r": value, "n": 4111111111111111}
        if rnd.random() < 0.05:
            case["event"] = {"body": base64.b64encode(value.encode("utf-8", "surrogatepass")).decode(),
                             "isBase64Encoded": True, "httpMethod": "POST", "headers": {}}
        cases.append(case)
    return cases


@pytest.fixture(scope="module")
def cases_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parity") / "cases.jsonl"
    with open(path, "w", encoding="utf-8") as fh:  # ensure_ascii: lone surrogates travel as escapes
        for case in _cases():
            fh.write(json.dumps(case) + "\n")
    return path


def _scan(cases: Path, *args: str, proxy: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ}
    command = [sys.executable, "-m", "protect_lambda_tools.cli", "scan", str(cases), *args]
    if proxy is not None:
        env["PROTECT_LAMBDA_PROXY"] = str(proxy)
        command.append("--engine=proxy")
    return subprocess.run(command, capture_output=True, env=env, cwd=ROOT, check=False, timeout=600)


CUSTOM_RULES = {"rules": [
    {"id": "custom-001", "category": "custom", "direction": "inbound", "severity": "high",
     "description": "a forbidden word", "pattern": r"forbidden\w*|\bsecret[-_ ]?plan\b"},
    {"id": "custom-002", "category": "custom", "direction": "outbound", "severity": "low",
     "description": "an internal host name", "pattern": r"\bintra\.example\b", "scores": [0, 3, 5, 5]},
    {"id": "custom-003", "category": "sqli", "direction": "inbound", "severity": "medium",
     "description": "an extended procedure", "pattern": r"xp_\w+", "score": 2, "triggers": ["xp_"]},
    {"id": "custom-004", "category": "leak_card", "direction": "outbound", "severity": "critical",
     "description": "a card number", "pattern": r"(?<!\d)\d{16}(?!\d)", "validator": "luhn"},
]}


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "rules.json"
    path.write_text(json.dumps(CUSTOM_RULES))
    return path


@pytest.mark.parametrize("args", [(), ("--sensitivity", "3"), ("--mode", "monitor"), ("--rules",)],
                         ids=["default", "level3", "monitor", "custom-rules"])
def test_both_engines_print_the_same_bytes(cases_file: Path, proxy_binary: Path, rules_file: Path,
                                           args: tuple[str, ...]) -> None:
    if args == ("--rules",):
        args = ("--rules", str(rules_file))
    python = _scan(cases_file, *args)
    proxy = _scan(cases_file, *args, proxy=proxy_binary)
    assert python.returncode == 0, python.stderr.decode()
    assert proxy.returncode == 0, proxy.stderr.decode()
    lines = python.stdout.decode().splitlines()
    marker = '"action": "detected"' if "monitor" in args else '"blocked": true'
    assert len(lines) > 2500 and sum(marker in line for line in lines) > 500  # the set has attacks
    if proxy.stdout != python.stdout:
        for ours, theirs in zip(proxy.stdout.decode().splitlines(), lines):
            assert ours == theirs  # the first line that differs
        assert proxy.stdout == python.stdout


def test_unreadable_input_fails_alike(tmp_path: Path, proxy_binary: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "event": {}}\n[1, 2]\n')
    python = _scan(bad)
    proxy = _scan(bad, proxy=proxy_binary)
    assert python.returncode == proxy.returncode == 2
    assert proxy.stdout == python.stdout  # the line before the bad one was printed by both
