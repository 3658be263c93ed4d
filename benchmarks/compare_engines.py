"""Both engines on labelled files: are the verdict lines byte-identical, and how fast is each?

    python benchmarks/compare_engines.py ../shared/eval/cases.jsonl [more.jsonl ...]
        [--sensitivity N] [--mode block|monitor] [--runs 3] [--json]

For each file, ``protect-lambda scan`` (the Python guard) and ``protect-lambda scan --engine
proxy`` (the proxy's Go guard, ``make proxy`` builds it; ``PROTECT_LAMBDA_PROXY`` names another
binary) print their lines; the report gives the number of lines, how many differ (the first few
shown) and each engine's wall time for the whole file, fastest of ``--runs`` (both in a fresh
process: start-up, rule compilation and the file's events), with the ratio proxy / Python.
This is the eval-file comparison docs/proxy.md reports; `make test` compares the engines on
the repository's own vectors (tests/proxy/test_scan_parity.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from protect_lambda_tools.proxy_binary import find_binary  # noqa: E402


def _run(command: list[str]) -> tuple[bytes, float]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    return done.stdout, elapsed


def compare(path: Path, options: list[str], runs: int) -> dict[str, Any]:
    python_cmd = [sys.executable, "-m", "protect_lambda_tools.cli", "scan", str(path), *options]
    proxy_cmd = [str(find_binary()), "scan", *options, str(path)]
    python_times, proxy_times = [], []
    python_out = proxy_out = b""
    for _ in range(runs):  # alternate, so that load on the machine falls on both
        python_out, t = _run(python_cmd)
        python_times.append(t)
        proxy_out, t = _run(proxy_cmd)
        proxy_times.append(t)
    ours, theirs = proxy_out.decode().splitlines(), python_out.decode().splitlines()
    differing = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    report: dict[str, Any] = {
        "file": str(path), "lines": len(theirs), "proxy_lines": len(ours),
        "differ": len(differing) + abs(len(ours) - len(theirs)), "identical_bytes": proxy_out == python_out,
        "python_s": round(min(python_times), 3), "proxy_s": round(min(proxy_times), 3),
        "ratio_proxy_over_python": round(min(proxy_times) / min(python_times), 3),
    }
    if differing:
        report["first_differences"] = [{"python": theirs[i], "proxy": ours[i]} for i in differing[:3]]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--sensitivity", default="1")
    parser.add_argument("--mode", default="block")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    options = ["--sensitivity", args.sensitivity, "--mode", args.mode]
    reports = [compare(path, options, args.runs) for path in args.files]
    if args.json:
        print(json.dumps(reports, indent=2))
        return
    for r in reports:
        print(f"{r['file']}: {r['lines']} lines, {r['differ']} differ, identical bytes: {r['identical_bytes']}; "
              f"python {r['python_s']} s, proxy {r['proxy_s']} s (ratio {r['ratio_proxy_over_python']})")
        for d in r.get("first_differences", []):
            print(f"  python: {d['python']}\n  proxy:  {d['proxy']}")


if __name__ == "__main__":
    main()
