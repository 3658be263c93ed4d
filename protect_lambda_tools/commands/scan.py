"""``protect-lambda scan FILE.jsonl``: one JSON verdict per input line.

Each input line holds an ``event`` and optionally a ``response`` (the format of
the evaluation cases). As the wrapper does, the event is inspected first (a
blocked event is the verdict), then the response. Output, one line each:
``{"id", "blocked", "source", "findings": [{"rule_id", "category", "direction",
"severity", "location", "action", "record_index"}]}`` (no matched text: the
output may end up in logs).

``--engine proxy`` runs the proxy extension's Go guard instead (``protect-lambda-proxy scan``),
which must print byte-identical lines (docs/proxy.md).

Example:
    $ protect-lambda scan cases.jsonl --mode monitor
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from protect_lambda import contract
from protect_lambda.engine import RuleError
from protect_lambda_tools.evaluation import inspect_case, read_cases
from protect_lambda_tools.proxy_binary import find_binary
from protect_lambda.guard import Guard, Verdict

HELP = "inspect the events (and responses) of a JSON-lines file, print one verdict per line"


def add_guard_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--mode``, ``--sensitivity`` and ``--rules`` to ``parser``."""
    parser.add_argument("--mode", choices=contract.MODES, default=contract.MODE_BLOCK,
                        help="block (default) or monitor")
    parser.add_argument("--sensitivity", type=int, choices=contract.SENSITIVITY_LEVELS,
                        default=contract.DEFAULT_SENSITIVITY, help="sensitivity level 1-4 (default 1)")
    parser.add_argument("--rules", metavar="RULES.json",
                        help='custom rules to add: a JSON list of rules, or {"rules": [...]}')


def load_rules_file(path: str) -> list[Any]:
    """The rule definitions of a ``--rules`` file (a list, or an object with ``rules``)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    rules = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(rules, list):
        raise ValueError(f"{path}: expected a JSON list of rules or an object with a 'rules' list")
    return rules


def build_guard(args: argparse.Namespace) -> Guard:
    """A Guard from the parsed ``--mode``, ``--sensitivity`` and ``--rules``."""
    custom = load_rules_file(args.rules) if args.rules else []
    return Guard(mode=args.mode, custom_rules=custom,
                 sensitivity=getattr(args, "sensitivity", contract.DEFAULT_SENSITIVITY))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``scan``."""
    parser.add_argument("file", metavar="FILE.jsonl", help="JSON lines with 'event' and optional 'response' ('-' for stdin)")
    add_guard_arguments(parser)
    parser.add_argument("--engine", choices=("python", "proxy"), default="python",
                        help="python (default): this guard; proxy: the proxy extension's Go guard (its own scan "
                             "mode; `make proxy` builds it), which must print the same lines")


def verdict_json(case_id: Any, verdict: Verdict) -> dict[str, Any]:
    """The JSON form of a verdict (without matched text)."""
    return {
        "id": case_id,
        "blocked": verdict.blocked,
        "source": verdict.source,
        "findings": [
            {"rule_id": f.rule_id, "category": f.category, "direction": f.direction,
             "severity": f.severity, "location": f.location, "action": f.action,
             "record_index": f.record_index}
            for f in verdict.findings
        ],
    }


def run_proxy(args: argparse.Namespace) -> int:
    """``--engine proxy``: the proxy binary's scan mode prints the lines (same exit codes)."""
    if args.rules:
        print("protect-lambda scan: --engine proxy does not take custom rules yet (--rules)", file=sys.stderr)
        return 2
    try:
        binary = find_binary()
    except FileNotFoundError as exc:
        print(f"protect-lambda scan: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    done = subprocess.run([str(binary), "scan", "--mode", args.mode, "--sensitivity", str(args.sensitivity),
                           args.file], check=False)
    return done.returncode


def run(args: argparse.Namespace) -> int:
    """Scan every line; exit 0, or 2 on unreadable input or bad rules."""
    if getattr(args, "engine", "python") == "proxy":
        return run_proxy(args)
    try:
        guard = build_guard(args)
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
        with stream:
            for case in read_cases(stream):
                verdict = inspect_case(guard, case)
                sys.stdout.write(json.dumps(verdict_json(case.get("id"), verdict)) + "\n")
    except (OSError, ValueError, RuleError) as exc:
        print(f"protect-lambda scan: {exc}", file=sys.stderr)
        return 2
    return 0
