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


def proxy_rules(path: str) -> list[dict[str, Any]]:
    """The custom rules of a ``--rules`` file as the proxy takes them: validated by
    :meth:`Rule.from_dict`, every field explicit, each pattern with its regexp2 translation
    (``protect_lambda_construct/regex_translation.py``, loaded from its file:
    it is standard library only, and the tools do not depend on the constructs' CDK); ValueError names a rule whose pattern the proxy cannot run."""
    from pathlib import Path

    from protect_lambda.engine import Rule, rule_flags
    from protect_lambda_tools.source_files import load_file

    source = Path(__file__).resolve().parents[2] / "protect_lambda_construct" / "regex_translation.py"
    if not source.is_file():
        raise ValueError(f"--engine proxy with --rules needs the proxy's sources ({source})")
    pyregex = load_file("regex_translation", source)
    out = []
    for item in load_rules_file(path):
        rule = Rule.from_dict(item)
        entry: dict[str, Any] = {name: getattr(rule, name) for name in Rule._fields}
        entry["tags"], entry["triggers"], entry["scores"] = list(rule.tags), list(rule.triggers), list(rule.scores)
        for name in ("validator", "transform", "detector", "kind"):
            entry[name] = entry[name] or ""
        if rule.pattern:
            try:
                entry["translated"] = pyregex.translate(rule.pattern, rule_flags(rule))
            except (pyregex.Unsupported, ValueError) as exc:
                raise ValueError(f"rule {rule.id!r}: the proxy cannot match its pattern as Python does: {exc}") from None
        out.append(entry)
    return out


def run_proxy(args: argparse.Namespace) -> int:
    """``--engine proxy``: the proxy binary's scan mode prints the lines (same exit codes)."""
    import tempfile

    try:
        binary = find_binary()
        rules = proxy_rules(args.rules) if args.rules else None
    except (OSError, ValueError, RuleError) as exc:
        print(f"protect-lambda scan: {exc}", file=sys.stderr)
        return 2
    command = [str(binary), "scan", "--mode", args.mode, "--sensitivity", str(args.sensitivity)]
    with tempfile.TemporaryDirectory() as tmp:
        if rules is not None:
            rules_path = f"{tmp}/rules.json"
            with open(rules_path, "w", encoding="utf-8") as fh:
                json.dump({"rules": rules}, fh)
            command += ["--rules", rules_path]
        sys.stdout.flush()
        done = subprocess.run([*command, args.file], check=False)
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
