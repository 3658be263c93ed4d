"""Cold-start cost of the guard, as Lambda runs it: from a read-only layer.

The guard is staged as the construct stages its layer (``python/protect_lambda``),
twice: **with bytecode** (what ``cdk synth`` builds when it finds an interpreter
of the runtime's version: the modules' ``.pyc`` files and the rules' precompiled
regexes, :mod:`protect_lambda.bytecode`) and **sources only** (no such
interpreter). Each run is a fresh Python process (a new execution environment)
with ``PYTHONDONTWRITEBYTECODE`` set, as on Lambda's read-only ``/opt``, so
nothing the guard compiles is kept for the next run. The standard library keeps
its own bytecode, as in Lambda's runtime image.

Inside each process, after importing what the Lambda Python runtime has
imported before it imports the handler's module (:data:`LAMBDA_RUNTIME_IMPORTS`):

* ``import_ms``: ``import protect_lambda.wrapper`` (the import builds the Guard
  from the environment, as in Lambda's init phase);
* ``compile_ms``: compiling every rule (``engine.compile_all()``; the guard
  otherwise compiles each on its first triggered use);
* ``cold_start_ms`` = import + compiling every rule: the figure the 20 ms target
  is about;
* ``first_inspection_ms``: then an API Gateway event and its response.

Bare ``python -S -c pass`` runs, interleaved, are the reference: ``added_ms`` is
the whole process's wall time less a bare interpreter's.

Usage:
    PYTHONPATH=lambda_layer python benchmarks/bench_cold_start.py [--runs 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
PACKAGE = Path(__file__).resolve().parents[1] / "lambda_layer" / "protect_lambda"
#: The layer build's bytecode script (what ``cdk synth`` runs on a staged layer).
BYTECODE_SCRIPT = Path(__file__).resolve().parents[1] / "protect_lambda_construct" / "bytecode.py"

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
PROBE = (
    "import time\n"
    f"import {', '.join(LAMBDA_RUNTIME_IMPORTS)}\n"
    "t0 = time.perf_counter()\n"
    "import protect_lambda.wrapper as w\n"
    "t1 = time.perf_counter()\n"
    "g = w._state.guard\n"
    "assert g is not None, w._state.guard_error\n"
    "g.engine.compile_all()\n"
    "t2 = time.perf_counter()\n"
    f"v = g.inspect_event({FIRST_EVENT!r}); r = g.inspect_response({FIRST_RESPONSE!r})\n"
    "t3 = time.perf_counter()\n"
    "assert not v.blocked and not r.blocked\n"
    "assert w.__file__.startswith(w.os.environ['PYTHONPATH'])\n"
    "print(*((b - a) * 1000.0 for a, b in ((t0, t1), (t1, t2), (t2, t3))))\n"
)


def stage_layer(directory: Path, *, bytecode: bool) -> Path:
    """The guard staged as ``directory/python/protect_lambda``; the ``python`` folder.

    With ``bytecode``, precompiled by this interpreter as ``cdk synth`` does
    (``protect_lambda_construct/bytecode.py``, ``PYTHONHASHSEED=0``).
    """
    site = directory / "python"
    shutil.copytree(PACKAGE, site / "protect_lambda",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "precompiled"))
    if bytecode:
        subprocess.run([*PYTHON, str(BYTECODE_SCRIPT), str(site)], check=True, capture_output=True,
                       env={"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"})
    return site


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return (time.perf_counter() - start) * 1000.0, done.stdout


def measure(runs: int, bytecode: bool) -> dict[str, Any]:
    """Medians of ``runs`` fresh-process cold starts from a staged layer, with the bare-Python reference."""
    with tempfile.TemporaryDirectory() as tmp:
        site = stage_layer(Path(tmp), bytecode=bytecode)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PROTECT_LAMBDA_", "PYTHON"))}
        env.update(PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1")
        rows: list[list[float]] = []
        wall_ms: list[float] = []
        bare_ms: list[float] = []
        for _ in range(runs):
            bare, _ = _run([*PYTHON, "-c", "pass"], env)
            wall, out = _run([*PYTHON, "-c", PROBE], env)
            bare_ms.append(bare)
            wall_ms.append(wall)
            rows.append([float(x) for x in out.split()])
    import_ms, compile_ms, first_ms = (statistics.median(column) for column in zip(*rows))
    cold = [row[0] + row[1] for row in rows]
    med_wall, med_bare = statistics.median(wall_ms), statistics.median(bare_ms)
    return {
        "layer": "with bytecode" if bytecode else "sources only",
        "runs": runs,
        "import_ms_median": round(import_ms, 2),
        "compile_all_rules_ms_median": round(compile_ms, 2),
        "cold_start_ms_median": round(statistics.median(cold), 2),
        "cold_start_ms_max": round(max(cold), 2),
        "first_inspection_ms_median": round(first_ms, 2),
        "process_ms_median": round(med_wall, 2),
        "bare_python_ms_median": round(med_bare, 2),
        "added_ms_median": round(med_wall - med_bare, 2),
        "target_ms": TARGET_MS,
        "meets_target": statistics.median(cold) < TARGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    results = [measure(args.runs, bytecode=True), measure(args.runs, bytecode=False)]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"python {sys.version.split()[0]}, {args.runs} fresh processes each, medians in ms, "
              "after the Lambda runtime's own imports")
        print(f"{'layer':<14} {'import':>7} {'compile rules':>14} {'cold start':>11} {'max':>7} "
              f"{'first inspection':>17} {'process':>8} {'bare python':>12} {'target':>7}")
        for r in results:
            print(f"{r['layer']:<14} {r['import_ms_median']:>7.2f} {r['compile_all_rules_ms_median']:>14.2f} "
                  f"{r['cold_start_ms_median']:>11.2f} {r['cold_start_ms_max']:>7.2f} "
                  f"{r['first_inspection_ms_median']:>17.2f} {r['process_ms_median']:>8.2f} "
                  f"{r['bare_python_ms_median']:>12.2f} {'<' if r['meets_target'] else '>='}{TARGET_MS:.0f}")
        with_bytecode, sources = results
        print(f"sources only / with bytecode: cold start "
              f"{sources['cold_start_ms_median'] / with_bytecode['cold_start_ms_median']:.1f}x")
    return 0 if results[0]["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
