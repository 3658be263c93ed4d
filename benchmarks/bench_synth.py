"""Whole-process synth time: N protected functions versus N plain ones.

Each run is a fresh Python process (jsii starts its Node process too) that builds
one stack with N functions and synthesizes it; protected runs add the
ProtectLambdas Aspect. Runs alternate plain/protected so that machine noise hits
both alike; the report gives medians and the ratio.

Usage:
    python benchmarks/bench_synth.py [--functions 40] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

APP = """
import sys
from aws_cdk import App, Aspects, Stack, aws_lambda as lambda_
from protect_lambda_construct import AlertOptions, ProtectLambdas

count, protected, outdir, code_dir = int(sys.argv[1]), sys.argv[2] == "protected", sys.argv[3], sys.argv[4]
app = App(outdir=outdir)
stack = Stack(app, "BenchStack")
code = lambda_.Code.from_asset(code_dir)
for index in range(count):
    lambda_.Function(stack, f"Fn{index:03d}", runtime=lambda_.Runtime.PYTHON_3_13,
                     handler="orders_api.handler", code=code)
if protected:
    Aspects.of(app).add(ProtectLambdas(alerts=AlertOptions(emails=["oncall@example.com"])))
app.synth()
"""


def synth_seconds(count: int, kind: str) -> float:
    """Wall time of one fresh process synthesizing ``count`` functions of ``kind``."""
    with tempfile.TemporaryDirectory() as outdir:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", APP, str(count), kind, outdir,
                        str(REPO / "example" / "functions")], check=True, cwd=REPO)
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    node = REPO / "node_modules" / ".bin" / "node"
    if "JSII_NODE" not in os.environ and node.exists():
        os.environ["JSII_NODE"] = str(node)
    times: dict[str, list[float]] = {"plain": [], "protected": []}
    synth_seconds(1, "plain")  # warm the file cache
    for _ in range(args.runs):
        for kind in ("plain", "protected"):
            times[kind].append(synth_seconds(args.functions, kind))
    plain, protected = statistics.median(times["plain"]), statistics.median(times["protected"])
    print(f"functions: {args.functions}, runs: {args.runs} each, fresh process per run")
    print(f"plain      median {plain:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times['plain'])})")
    print(f"protected  median {protected:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times['protected'])})")
    print(f"ratio protected/plain: {protected / plain:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
