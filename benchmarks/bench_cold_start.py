"""Cold-start cost of the guard: importing the wrapper and building the Guard (rules compiled).

Each run is a fresh Python subprocess (a new Lambda execution environment),
timed two ways, interleaved with the same number of bare ``python -c pass``
runs as the reference:

* ``guard_ms``: inside the subprocess, ``time.perf_counter`` around
  ``import protect_lambda.wrapper`` (the import builds the Guard from the
  environment, compiling every rule, as in Lambda's init phase);
* ``wall_ms``: the whole subprocess, compared with bare ``python -c pass``.

Both with bytecode caches as they are (``warm-pyc``) and with no usable
bytecode (``no-pyc``: a fresh empty ``PYTHONPYCACHEPREFIX`` and
``PYTHONDONTWRITEBYTECODE``, as on a read-only ``/opt`` layer shipped without
``.pyc`` files, where every module is compiled at each cold start).

Usage:
    PYTHONPATH=lambda_layer python benchmarks/bench_cold_start.py [--runs 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_MS = 20.0
LAYER = Path(__file__).resolve().parents[1] / "lambda_layer"

PROBE = (
    "import time\n"
    "t0 = time.perf_counter()\n"
    "import protect_lambda.wrapper as w\n"
    "t1 = time.perf_counter()\n"
    "assert w._state.guard is not None, w._state.guard_error\n"
    "print((t1 - t0) * 1000.0)\n"
)
# The same cold start split in three: detection modules imported, Guard built
# (rules loaded and compiled), then the wrapper's own modules imported (its
# Guard then reuses the per-process compiled default engine).
SPLIT_PROBE = (
    "import time\n"
    "t0 = time.perf_counter()\n"
    "import protect_lambda.guard as g\n"
    "t1 = time.perf_counter()\n"
    "g.Guard()\n"
    "t2 = time.perf_counter()\n"
    "import protect_lambda.wrapper\n"
    "t3 = time.perf_counter()\n"
    "print((t1 - t0) * 1000.0, (t2 - t1) * 1000.0, (t3 - t2) * 1000.0)\n"
)


def _env(no_pyc: bool, cache_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROTECT_LAMBDA_")}
    env["PYTHONPATH"] = str(LAYER)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if no_pyc:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = cache_dir  # empty: nothing cached, nothing written
    return env


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return (time.perf_counter() - start) * 1000.0, done.stdout


def measure(runs: int, no_pyc: bool) -> dict[str, Any]:
    """Median and spread of ``runs`` fresh-process cold starts, with the bare-Python reference."""
    guard_ms: list[float] = []
    wall_ms: list[float] = []
    bare_ms: list[float] = []
    with tempfile.TemporaryDirectory() as empty:
        env = _env(no_pyc, empty)
        if not no_pyc:
            _run([sys.executable, "-c", PROBE], env)  # write the bytecode caches once
        split: list[list[float]] = []
        for _ in range(runs):
            bare, _ = _run([sys.executable, "-c", "pass"], env)
            wall, out = _run([sys.executable, "-c", PROBE], env)
            bare_ms.append(bare)
            wall_ms.append(wall)
            guard_ms.append(float(out.strip()))
            split.append(
                [float(x) for x in _run([sys.executable, "-c", SPLIT_PROBE], env)[1].split()]
            )
    med_guard, med_wall, med_bare = (statistics.median(x) for x in (guard_ms, wall_ms, bare_ms))
    med_split = [round(statistics.median(column), 2) for column in zip(*split)]
    return {
        "bytecode": "no-pyc" if no_pyc else "warm-pyc",
        "runs": runs,
        "guard_ms_median": round(med_guard, 2),
        "guard_ms_max": round(max(guard_ms), 2),
        "wall_ms_median": round(med_wall, 2),
        "bare_python_ms_median": round(med_bare, 2),
        "added_ms_median": round(med_wall - med_bare, 2),
        "wall_vs_bare_ratio": round(med_wall / med_bare, 2),
        "guard_vs_bare_ratio": round(med_guard / med_bare, 2),
        "split_ms_median": dict(
            zip(("import_detection", "build_guard", "import_wrapper_side"), med_split)
        ),
        "wrapper_side_vs_bare_ratio": round(med_split[2] / med_bare, 3),
        "target_ms": TARGET_MS,
        "meets_target": med_guard < TARGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    results = [measure(args.runs, no_pyc=False), measure(args.runs, no_pyc=True)]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"python {sys.version.split()[0]}, {args.runs} fresh processes each, medians in ms")
        print(
            f"{'bytecode':<9} {'guard import+build':>18} {'max':>7} {'process':>8} "
            f"{'bare python':>12} "
            f"{'added':>7} {'process/bare':>13} {'target':>7}"
        )
        for r in results:
            print(
                f"{r['bytecode']:<9} {r['guard_ms_median']:>18.2f} {r['guard_ms_max']:>7.2f} "
                f"{r['wall_ms_median']:>8.2f} {r['bare_python_ms_median']:>12.2f} "
                f"{r['added_ms_median']:>7.2f} {r['wall_vs_bare_ratio']:>13.2f} "
                f"{'<' if r['meets_target'] else '>='}{TARGET_MS:.0f}"
            )
        for r in results:
            parts = ", ".join(f"{k} {v:.2f}" for k, v in r["split_ms_median"].items())
            print(f"{r['bytecode']:<9} split (ms): {parts}")
    return 0 if results[0]["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
