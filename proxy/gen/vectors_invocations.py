"""Differential vectors for proxy/internal/inspector: whole invocations, Python wrapper against the proxy.

    .venv/bin/python proxy/gen/vectors_invocations.py OUT.json [--seed N]
    INVOCATION_VECTORS=OUT.json go test ./internal/inspector/

For each guard configuration (as the function's environment holds it: default, monitor mode,
sensitivity 2 with exclusions and overrides, the simple authorizer answer, custom rules with
their proxy translations, a configuration that cannot load under each fail policy) and each
event of vectors_responses.py with a handler result: what the Python wrapper's ProtectedHandler
does with it (the event its handler gets, the value it returns or the exception it raises) and
the records it prints, with a fixed clock. The Go Inspector, given the same event and the
handler's result as the Runtime API carries them, must hand the runtime the same event, answer
the same value or fail with the same error, and print the same record lines.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "lambda_layer"), str(ROOT), str(HERE)]

import vectors_responses as VR  # noqa: E402

from protect_lambda import contract, violation  # noqa: E402
from protect_lambda.config import GuardConfig, load_config, read_fail_policy  # noqa: E402
from protect_lambda.engine import Rule, rule_flags  # noqa: E402
from protect_lambda.inspection import build_guard  # noqa: E402
from protect_lambda.protected_handler import ProtectedHandler  # noqa: E402
from protect_lambda_construct import regex_translation  # noqa: E402

NOW = 1765000000.125
FUNCTION = "orders-fn"

CUSTOM_RULES = [
    {"id": "custom-ticket", "category": "custom", "direction": "outbound", "severity": "high",
     "description": "support ticket number", "pattern": r"\bTICKET-\d{6}\b"},
    {"id": "custom-debug", "category": "custom", "direction": "inbound", "severity": "medium",
     "description": "debug switch", "pattern": r"(?i)__debug__\s*=\s*(?:true|1)", "score": 3},
    {"id": "custom-word", "category": "probe", "direction": "inbound", "severity": "low",
     "description": "admin probe", "pattern": r"\bwp-admin\b", "scores": [0, 5, 5, 5]},
]


def proxy_patterns(rules: list[dict[str, Any]]) -> dict[str, str]:
    out = {}
    for item in rules:
        rule = Rule.from_dict(item)
        out[rule.id] = regex_translation.translate(rule.pattern, rule_flags(rule))
    return out


def configurations() -> list[dict[str, str]]:
    seal = "5e4f0c2a-9d1b-4c3e-8f7a-0123456789ab"
    exclusions = [{"category": "sqli", "location": "queryStringParameters.q"},
                  {"rule": "xss-001", "location": "body.*", "action": "monitor"},
                  {"category": "cmdi", "location": "Records[*].body"}]
    return [
        {},
        {contract.SEAL_ENV: seal, contract.MODE_ENV: "monitor"},
        {contract.SEAL_ENV: seal, contract.CONFIG_ENV: json.dumps({
            "sensitivity": 2, "exclusions": exclusions, "rule_overrides": {"sqli-001": "monitor"},
            "category_overrides": {"ssrf": "off"}})},
        {contract.AUTHORIZER_RESPONSE_ENV: "simple", contract.FAIL_POLICY_ENV: "closed"},
        {contract.SEAL_ENV: seal, contract.CONFIG_ENV: json.dumps({
            "custom_rules": CUSTOM_RULES, "sensitivity": 2, "proxy_patterns": proxy_patterns(CUSTOM_RULES)})},
        {contract.CONFIG_ENV: '{"mode": "bloc"}', contract.FAIL_POLICY_ENV: "closed"},
        {contract.CONFIG_ENV: '{"sensitivity": 9}'},
    ]


def protected_for(environ: dict[str, str], stream: io.StringIO, handler: Any) -> ProtectedHandler:
    """wrapper._build for ``environ``, as the Lambda runtime would cold-start it."""
    try:
        config = load_config(environ)
        return ProtectedHandler(handler, build_guard(config), config, stream=stream)
    except Exception as exc:  # noqa: BLE001 - the fail policy decides, as in wrapper._build
        mode = (environ.get(contract.MODE_ENV) or "").strip().lower()
        fallback = GuardConfig(mode=mode if mode in contract.MODES else contract.MODE_BLOCK,
                               fail_policy=read_fail_policy(environ),
                               seal=(environ.get(contract.SEAL_ENV) or "").strip())
        return ProtectedHandler(handler, None, fallback, guard_error=exc, stream=stream)


class Run:
    """One configuration's handler: records what it was handed, returns the result it is given."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.stream = io.StringIO()
        self.got: str | None = None
        self.result: Any = None
        self.protected = protected_for(environ, self.stream, self.handler)

    def handler(self, event: Any, context: Any) -> Any:
        self.got = json.dumps(event)
        return self.result

    def __call__(self, event: Any, result: Any, request_id: str) -> dict[str, Any]:
        self.got, self.result = None, result
        self.stream.seek(0)
        self.stream.truncate()
        context = SimpleNamespace(function_name=FUNCTION, aws_request_id=request_id)
        out: dict[str, Any]
        try:
            out = {"kind": "return", "value": json.dumps(self.protected(event, context))}
        except Exception as exc:  # noqa: BLE001 - the exception is the outcome
            out = {"kind": "error", "type": type(exc).__name__, "message": str(exc)}
        out["handler_event"] = self.got
        out["records"] = self.stream.getvalue().splitlines()
        return out


def leaking_results() -> list[Any]:
    return [{"statusCode": 200, "body": "card 4111 1111 1111 1111"},
            {"statusCode": 200, "body": json.dumps({"key": "AKIAIOSFODNN7EXAMPL3", "ticket": "TICKET-123456"})},
            "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----",
            {"isAuthorized": True, "context": {"card": "5555555555554444"}}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    events = [json.loads(json.dumps(e)) for e in VR.build_events(rnd, VR.Words(rnd))]
    fixed = SimpleNamespace(time=lambda: NOW, strftime=time.strftime, gmtime=time.gmtime)
    violation.time = fixed  # type: ignore[attr-defined]  # the records' clock, as the Go test sets it
    configs = configurations()
    runs = [Run(env) for env in configs]
    invocations = []
    for n, event in enumerate(events):
        source = runs[0].protected.guard.inspect_event(event).source  # type: ignore[union-attr]
        results = VR.handler_results(rnd, event, source, leaking_results())
        result = json.loads(json.dumps(results[rnd.randrange(len(results))]))
        rid = VR.REQUEST_IDS[n % 2]  # plain ids: Lambda's are uuids
        invocations.append({"event": json.dumps(event), "result": json.dumps(result), "request_id": rid,
                            "outcomes": [run(event, result, rid) for run in runs]})
    args.out.write_text(json.dumps({"function_name": FUNCTION, "now": NOW, "configs": configs,
                                    "invocations": invocations}))
    answered = sum(o["handler_event"] is None for i in invocations for o in i["outcomes"])
    print(f"vectors_invocations.py: {len(configs)} configurations x {len(invocations)} invocations "
          f"({answered} answered without the handler) -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
