"""Evasion by padding: how much detection survives when ordinary English surrounds an attack.

The guard damps keyword patterns in prose and the shell detector wants a sensitive argument
after a separator that follows prose (both to keep false positives on tickets, changelogs and
chat low). This measures what that costs: every inbound attack of CASES.jsonl whose event has a
single query parameter is inspected four times: as it is, with a sentence before it, with a
sentence after it, and in double quotes inside a sentence (documentation quotes code that way);
detection per category is reported for each.

Usage:
    PYTHONPATH=lambda_layer:. python benchmarks/prose_padding.py ../shared/eval/cases.jsonl
        [--sensitivity N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from protect_lambda import Guard
from protect_lambda_tools.evaluation import read_cases

#: The sentences put around each payload (the attacker chooses them; these are ordinary ones).
BEFORE = "this is the best product that we have ever bought, it was great "
AFTER = " please see the release notes for the change we made in this version of the library today"
QUOTED = ('we tried this on the new version, "', '" and it was fine for us')
VARIANTS = ("as is", "sentence before", "sentence after", "quoted in a sentence")


def padded(value: str) -> tuple[str, str, str, str]:
    """The value as is, after :data:`BEFORE`, before :data:`AFTER`, and between :data:`QUOTED`.

    Example:
        >>> padded("x")[1].endswith("great x")
        True
    """
    return value, BEFORE + value, value + AFTER, QUOTED[0] + value + QUOTED[1]


def measure(cases: list[dict[str, Any]], guard: Guard) -> dict[str, dict[str, list[int]]]:
    """Per category, per variant: [blocked, cases]."""
    table: dict[str, dict[str, list[int]]] = {}
    for case in cases:
        if case.get("label") != "attack" or case.get("direction", "inbound") != "inbound":
            continue
        query = case.get("event", {}).get("queryStringParameters")
        if not isinstance(query, dict) or len(query) != 1:
            continue
        (name, value), = query.items()
        if not isinstance(value, str):
            continue
        row = table.setdefault(str(case.get("category")), {v: [0, 0] for v in VARIANTS})
        for variant, text in zip(VARIANTS, padded(value)):
            verdict = guard.inspect_event({"queryStringParameters": {name: text}})
            row[variant][0] += verdict.blocked
            row[variant][1] += 1
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", help="labelled cases (format of cases.jsonl)")
    parser.add_argument("--sensitivity", type=int, default=1, choices=(1, 2, 3, 4))
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    with open(args.cases, encoding="utf-8") as stream:
        cases = list(read_cases(stream))
    table = measure(cases, Guard(sensitivity=args.sensitivity))
    if args.json:
        json.dump(table, sys.stdout, indent=2, sort_keys=True)
        print()
        return 0
    print(f"{'category':<16}{'cases':>7}" + "".join(f"{v:>22}" for v in VARIANTS))
    for category in sorted(table):
        row = table[category]
        total = row[VARIANTS[0]][1]
        print(f"{category:<16}{total:>7}" + "".join(f"{100 * b / n:>21.1f}%" for b, n in row.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
