"""``protect-lambda eval FILE.jsonl``: detection and false-positive rates of labelled cases.

Prints a table per category (detection for attacks, false positives for
``benign`` and ``benign_response``) and the macro average over the nine
inbound categories; when the cases name their source ``family``, a table per
family too, each marked held out or tuned (``--families``, default
``corpus/families.json``), held-out families first: their figures are the ones
that predict traffic never seen. ``--json`` prints the same as JSON.

Example:
    $ protect-lambda eval ../shared/eval/cases.jsonl --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from protect_lambda_tools.commands.scan import add_guard_arguments, build_guard
from protect_lambda.engine import RuleError
from protect_lambda_tools.evaluation import read_cases, read_families, score

#: The families list of the benign corpus (corpus/build_corpus.py), relative to a checkout.
DEFAULT_FAMILIES = os.path.join("corpus", "families.json")

HELP = "score labelled cases: detection per attack category, false positives on benign cases"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``eval``."""
    parser.add_argument("files", nargs="+", metavar="FILE.jsonl",
                        help="labelled cases (format of cases.jsonl; a 'family' field adds a table per family)")
    add_guard_arguments(parser)
    parser.add_argument("--families", metavar="FAMILIES.json",
                        help="which source families are tuned and which held out (default: corpus/families.json "
                             "when it exists)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--show-misses", action="store_true",
                        help="also list the ids of missed attacks and false positives")


def run(args: argparse.Namespace) -> int:
    """Score the file; exit 0, or 2 on unreadable input or bad rules."""
    try:
        guard = build_guard(args)
        families_file = args.families or (DEFAULT_FAMILIES if os.path.isfile(DEFAULT_FAMILIES) else None)
        families = read_families(families_file) if families_file else {}
        cases: list[Any] = []
        for path in args.files:
            with open(path, encoding="utf-8") as fh:
                cases.extend(read_cases(fh))
        report = score(guard, cases, families)
    except (OSError, ValueError, RuleError) as exc:
        print(f"protect-lambda eval: {exc}", file=sys.stderr)
        return 2
    if args.json:
        data = report.as_dict()
        if args.show_misses:
            data["misses"] = {k: v.missed_ids for k, v in sorted(report.categories.items()) if v.missed_ids}
        print(json.dumps(data, indent=2))
    else:
        print(report.table())
        if report.families:
            print()
            print(report.family_table())
        if args.show_misses:
            for name, s in sorted(report.categories.items()):
                if s.missed_ids:
                    print(f"{name}: {' '.join(s.missed_ids)}")
    return 0
