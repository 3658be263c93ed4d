"""Cold-start budget (benchmark; run explicitly: ``pytest -m benchmark tests/guard``).

Fresh processes import the wrapper (which builds the Guard) and compile every rule
from a staged read-only layer with its bytecode, after the imports the Lambda
Python runtime has already made; the median must stay under the 20 ms target, and
the layer without bytecode (sources only) is the reference it must beat.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from protect_lambda_tools.source_files import load_file

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_cold_start.py"


def _bench() -> ModuleType:
    return load_file("bench_cold_start", BENCH)


@pytest.mark.benchmark
def test_cold_start_under_target() -> None:
    bench = _bench()
    with_bytecode = bench.measure(runs=10, bytecode=True)
    sources_only = bench.measure(runs=10, bytecode=False)
    print(with_bytecode, sources_only)
    assert with_bytecode["cold_start_ms_median"] < bench.TARGET_MS, with_bytecode
    # a same-run reference: the bytecode must at least halve the cold start
    assert with_bytecode["cold_start_ms_median"] * 2 < sources_only["cold_start_ms_median"]
