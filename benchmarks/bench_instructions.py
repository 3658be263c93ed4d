"""Instructions per inbound event, counted by valgrind: a speed figure that machine load cannot move.

Wall time on a shared machine moves by ±10% from run to run; callgrind's instruction
count for the same interpreter, code and input does not. This counts the guard's
instructions for the inbound events around the median of a cases file:

1. in this process, time every inbound event (value cache emptied before each of 3
   passes, fastest pass kept) and keep the ``--events`` events around the median;
2. run ``valgrind --tool=callgrind`` twice on a child that inspects them once to warm up,
   then ``0`` or ``--passes`` more times (value cache emptied before each pass);
3. report (instructions of the second run - the first) / (passes x events).

Usage:
    PYTHONPATH=lambda_layer python benchmarks/bench_instructions.py CASES.jsonl [--events 800] [--passes 2]

Compare two versions of the guard on the same events: ``--events-file PATH`` writes the
chosen events there on the first run and reuses them when the file exists; point
``PYTHONPATH`` at each version (the child imports ``protect_lambda`` as this process does).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from protect_lambda import Guard
from protect_lambda_tools.evaluation import read_cases

CHILD = (
    "import json, sys\n"
    "from protect_lambda import Guard\n"
    "events = json.load(open(sys.argv[1]))\n"
    "guard = Guard()\n"
    "for event in events: guard.inspect_event(event)\n"
    "for _ in range(int(sys.argv[2])):\n"
    "    guard.engine.clear_cache()\n"
    "    for event in events: guard.inspect_event(event)\n"
)


def median_events(cases_path: str, count: int) -> list[object]:
    """The ``count`` inbound events around the median inspection time."""
    with open(cases_path, encoding="utf-8") as fh:
        events = [case["event"] for case in read_cases(fh) if case.get("response") is None]
    guard = Guard()
    for event in events:
        guard.inspect_event(event)
    best: list[int] | None = None
    for _ in range(3):
        guard.engine.clear_cache()
        times = []
        for event in events:
            start = time.perf_counter_ns()
            guard.inspect_event(event)
            times.append(time.perf_counter_ns() - start)
        best = times if best is None else [min(a, b) for a, b in zip(best, times)]
    assert best is not None
    order = sorted(range(len(events)), key=best.__getitem__)
    middle = len(order) // 2
    chosen = order[max(0, middle - count // 2): middle + count // 2]
    print(f"{len(events)} inbound events, median {statistics.median(best) / 1000:.1f} us; "
          f"counting the {len(chosen)} around it", file=sys.stderr)
    return [events[i] for i in chosen]


def instructions(events_file: str, passes: int) -> int:
    """callgrind's total instruction count of the child inspecting the events 1 + ``passes`` times."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", CHILD, events_file, str(passes)],
        capture_output=True, text=True, check=True, env=os.environ.copy())
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError("valgrind printed no instruction count:\n" + done.stderr[-2000:])
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", help="JSON-lines cases (format of ../shared/eval/cases.jsonl)")
    parser.add_argument("--events", type=int, default=800, help="events around the median to count")
    parser.add_argument("--passes", type=int, default=2, help="counted passes over them")
    parser.add_argument("--events-file", help="reuse the events saved there (written on the first run)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        events_file = args.events_file or os.path.join(tmp, "events.json")
        if not os.path.exists(events_file):
            with open(events_file, "w", encoding="utf-8") as fh:
                json.dump(median_events(args.cases, args.events), fh)
        with open(events_file, encoding="utf-8") as fh:
            count = len(json.load(fh))
        base = instructions(events_file, 0)
        total = instructions(events_file, args.passes)
    per_event = (total - base) / (args.passes * count)
    print(json.dumps({"events": count, "passes": args.passes, "instructions_per_event": round(per_event)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
