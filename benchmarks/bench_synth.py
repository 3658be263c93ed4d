"""Whole-process synth time: N protected functions versus N plain ones.

Each run is a fresh Python process (jsii starts its Node process too) that builds
one stack with N functions and synthesizes it. Protected runs either add the
ProtectLambdas Aspect to the app (``--via aspect``, the default) or create each
function as a ProtectedFunction (``--via construct``). Runs alternate
plain/protected so that machine noise hits both alike; the report gives medians
and the ratio.

Usage:
    python benchmarks/bench_synth.py [--functions 40] [--runs 5] [--via aspect|construct]
"""

from __future__ import annotations

import argparse
import os
import resource
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
from protect_lambda_construct import AlertOptions, ProtectedFunction, ProtectLambdas

count, kind, outdir, code_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
alerts = AlertOptions(emails=["oncall@example.com"])
app = App(outdir=outdir)
stack = Stack(app, "BenchStack")
code = lambda_.Code.from_asset(code_dir)
for index in range(count):
    props = dict(runtime=lambda_.Runtime.PYTHON_3_13, handler="orders_api.handler", code=code)
    if kind == "construct":
        ProtectedFunction(stack, f"Fn{index:03d}", alerts=alerts, **props)
    else:
        lambda_.Function(stack, f"Fn{index:03d}", **props)
if kind == "aspect":
    Aspects.of(app).add(ProtectLambdas(alerts=alerts))
app.synth()
"""


def synth_seconds(count: int, kind: str) -> tuple[float, float]:
    """Wall and CPU time (user + system, the process and its Node child) of one fresh
    process synthesizing ``count`` functions of ``kind``."""
    with tempfile.TemporaryDirectory() as outdir:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", APP, str(count), kind, outdir,
                        str(REPO / "example" / "functions")], check=True, cwd=REPO)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--via", choices=("aspect", "construct"), default="aspect",
                        help="protect through the Aspect or ProtectedFunction (default: aspect)")
    args = parser.parse_args()
    node = REPO / "node_modules" / ".bin" / "node"
    if "JSII_NODE" not in os.environ and node.exists():
        os.environ["JSII_NODE"] = str(node)
    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "protected": []}
    synth_seconds(1, "plain")  # warm the file cache
    for _ in range(args.runs):
        runs["plain"].append(synth_seconds(args.functions, "plain"))
        runs["protected"].append(synth_seconds(args.functions, args.via))
    print(f"functions: {args.functions}, runs: {args.runs} each, fresh process per run, "
          f"protected via {args.via}")
    medians = {}
    for kind, measured in runs.items():
        wall = statistics.median(w for w, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        medians[kind] = (wall, cpu)
        print(f"{kind:10} median wall {wall:6.2f} s, cpu {cpu:6.2f} s  "
              f"(wall runs: {', '.join(f'{w:.2f}' for w, _ in measured)})")
    print(f"ratio protected/plain: wall {medians['protected'][0] / medians['plain'][0]:.2f}, "
          f"cpu {medians['protected'][1] / medians['plain'][1]:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
