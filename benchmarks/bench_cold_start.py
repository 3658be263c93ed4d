"""Cold-start cost of the guard: importing the wrapper and building the Guard.

Each run is a fresh Python subprocess (a new Lambda execution environment),
timed two ways, interleaved with the same number of bare ``python -c pass``
runs as the reference:

* ``guard_ms``: inside the subprocess, ``time.perf_counter`` around
  ``import protect_lambda.wrapper`` (the import builds the Guard from the
  environment, as in Lambda's init phase), with nothing imported before it
  but what ``python`` itself imports (the raw figure);
* ``net_ms``: the same, in a subprocess that first imports what the Lambda
  Python runtime (awslambdaric's ``bootstrap`` and the modules it imports)
  has imported before it imports the function's handler module
  (:data:`LAMBDA_RUNTIME_IMPORTS`; their own time is ``runtime_imports_ms``);
  in that subprocess also the **first inspection** after the cold start
  (``first_inspection_ms``: an API Gateway event and a response; rules are
  compiled on first use, so this is where compilation is paid) and compiling
  every remaining rule (``compile_rest_ms``);
* ``wall_ms``: the whole subprocess, compared with bare ``python -c pass``.

Every process runs ``python -S`` (see :data:`PYTHON`). Both with bytecode
caches as they are (``warm-pyc``) and with no usable
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
#: The interpreter of every measured process. ``-S``: site-packages ``.pth`` files are not
#: processed; a development machine's may import modules at startup (this one's imports
#: ``certifi`` and with it ``typing``, ``importlib.resources``...) that Lambda's interpreter
#: has not, which would hide their cost from the guard's figures. What the Lambda runtime
#: has imported is added explicitly (:data:`LAMBDA_RUNTIME_IMPORTS`).
PYTHON = (sys.executable, "-S")
LAYER = Path(__file__).resolve().parents[1] / "lambda_layer"

PROBE = (
    "import time\n"
    "t0 = time.perf_counter()\n"
    "import protect_lambda.wrapper as w\n"
    "t1 = time.perf_counter()\n"
    "assert w._state.guard is not None, w._state.guard_error\n"
    "print((t1 - t0) * 1000.0)\n"
)
#: What the Lambda Python runtime has imported before it imports the handler's module:
#: awslambdaric's bootstrap.py (importlib, json, logging, os, sys, time, traceback),
#: lambda_runtime_log_utils.py (datetime, enum), lambda_runtime_marshaller.py (decimal,
#: math; simplejson, not in the standard library, is left out) and
#: lambda_runtime_client.py (concurrent.futures), per aws-lambda-python-runtime-interface-client.
LAMBDA_RUNTIME_IMPORTS = (
    "importlib", "json", "logging", "os", "sys", "time", "traceback", "datetime", "enum",
    "decimal", "math", "concurrent.futures",
)
#: The first event and response of the cold start (clean: what most first requests are).
FIRST_EVENT = {
    "version": "2.0", "rawPath": "/items", "rawQueryString": "q=shoes+size+42",
    "requestContext": {"http": {"method": "POST", "path": "/items"}},
    "headers": {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
                "accept": "*/*", "content-type": "application/json"},
    "queryStringParameters": {"q": "shoes size 42"}, "body": '{"name": "Bob Smith", "qty": 2}',
}
FIRST_RESPONSE = {"statusCode": 200, "headers": {"content-type": "application/json"},
                  "body": '{"id": "a1b2", "items": [{"sku": "X-42", "price": 19.99}]}'}
NET_PROBE = (
    "import time\n"
    "t0 = time.perf_counter()\n"
    f"import {', '.join(LAMBDA_RUNTIME_IMPORTS)}\n"
    "t1 = time.perf_counter()\n"
    "import protect_lambda.wrapper as w\n"
    "t2 = time.perf_counter()\n"
    "g = w._state.guard\n"
    "assert g is not None, w._state.guard_error\n"
    f"v = g.inspect_event({FIRST_EVENT!r}); r = g.inspect_response({FIRST_RESPONSE!r})\n"
    "t3 = time.perf_counter()\n"
    "assert not v.blocked and not r.blocked\n"
    "g.engine.compile_all()\n"
    "t4 = time.perf_counter()\n"
    "print(*((b - a) * 1000.0 for a, b in ((t0, t1), (t1, t2), (t2, t3), (t3, t4))))\n"
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
            _run([*PYTHON, "-c", PROBE], env)  # write the bytecode caches once
        split: list[list[float]] = []
        net: list[list[float]] = []
        for _ in range(runs):
            bare, _ = _run([*PYTHON, "-c", "pass"], env)
            wall, out = _run([*PYTHON, "-c", PROBE], env)
            bare_ms.append(bare)
            wall_ms.append(wall)
            guard_ms.append(float(out.strip()))
            split.append(
                [float(x) for x in _run([*PYTHON, "-c", SPLIT_PROBE], env)[1].split()]
            )
            net.append([float(x) for x in _run([*PYTHON, "-c", NET_PROBE], env)[1].split()])
    med_guard, med_wall, med_bare = (statistics.median(x) for x in (guard_ms, wall_ms, bare_ms))
    med_split = [round(statistics.median(column), 2) for column in zip(*split)]
    runtime_ms, net_ms, first_ms, rest_ms = (statistics.median(column) for column in zip(*net))
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
        "runtime_imports_ms_median": round(runtime_ms, 2),
        "net_ms_median": round(net_ms, 2),
        "net_ms_max": round(max(row[1] for row in net), 2),
        "first_inspection_ms_median": round(first_ms, 2),
        "net_plus_first_inspection_ms_median": round(
            statistics.median(row[1] + row[2] for row in net), 2
        ),
        "compile_rest_ms_median": round(rest_ms, 2),
        "target_ms": TARGET_MS,
        "meets_target": med_guard < TARGET_MS,
        "net_meets_target": net_ms < TARGET_MS,
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
                f"{'<' if r['meets_target'] else '>='}{TARGET_MS:.0f} (raw)"
            )
        for r in results:
            parts = ", ".join(f"{k} {v:.2f}" for k, v in r["split_ms_median"].items())
            print(f"{r['bytecode']:<9} split (ms): {parts}")
        print("after the Lambda runtime's own imports (medians, ms):")
        for r in results:
            print(
                f"{r['bytecode']:<9} runtime imports {r['runtime_imports_ms_median']:.2f}, "
                f"guard import+build {r['net_ms_median']:.2f} (max {r['net_ms_max']:.2f}), "
                f"first inspection {r['first_inspection_ms_median']:.2f}, "
                f"import+build+first inspection {r['net_plus_first_inspection_ms_median']:.2f}, "
                f"compiling the other rules {r['compile_rest_ms_median']:.2f}; "
                f"import+build {'<' if r['net_meets_target'] else '>='}{TARGET_MS:.0f}"
            )
    return 0 if results[0]["net_meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
