"""Added latency of the proxy extension per invocation, and its start-up time.

AWS's Python runtime client (awslambdaric) answers events from a local Runtime API, once
directly and once through the proxy (started as Lambda starts an external extension, the
client behind the wrapper script). Each invocation is timed from the moment the event is
handed to the Runtime API to the moment the response arrives there; the two setups take
turns in blocks, and the report gives the median and p99 of each and their difference.
A TCP delayed-ACK stall (40 ms) would show in the difference. Start-up: from starting the
binary to its first ``event/next`` (it listens, then registers), median of ``--starts`` runs.

The proxy inspects every event and response with the guard (default configuration, as a
construct deploys it): the added latency is the protocol's cost and the inspection's together.
Start-up includes building the guard (its rules; patterns compile on first use).

Usage:
    python benchmarks/bench_proxy.py [--invocations 2000] [--block 100] [--starts 30] [--json]
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from protect_lambda_tools import runtime_client
from protect_lambda_tools.runtime_api import Pending, RuntimeApi, free_port
from protect_lambda_tools.source_files import load_file

ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench"
EVENT = json.dumps({"version": "2.0", "rawPath": "/items", "headers": {"host": "api.example.com"},
                    "queryStringParameters": {"q": "hello"}, "body": "x" * 512}).encode()


def _build() -> Path:
    module = load_file("proxy_build", ROOT / "proxy" / "build.py")
    out = Path(tempfile.mkdtemp(prefix="bench-proxy-"))
    arch = module._host_arch()
    return Path(module.build(out, (arch,))[arch])


def _wait(api: RuntimeApi, kind: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.messages.get(timeout=deadline - time.monotonic()).kind == kind:
            return
    raise RuntimeError(f"no {kind}")


class Setup:
    """One execution environment: a Runtime API, optionally the proxy, and awslambdaric."""

    def __init__(self, binary: Path | None, code: Path) -> None:
        self.api = RuntimeApi(ARN)
        self.extension = None
        env = {"PATH": os.environ.get("PATH", ""), "AWS_LAMBDA_RUNTIME_API": self.api.address,
               "PYTHONPATH": f"{code}{os.pathsep}{runtime_client.runtime_dir()}"}
        command = [sys.executable, "-S", "-m", "awslambdaric", "app.handler"]
        if binary is not None:
            port = str(free_port())
            env["PROTECT_LAMBDA_PROXY_PORT"] = port
            self.extension = subprocess.Popen([str(binary)], env={**env}, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
            _wait(self.api, "extension_next")
            command = ["sh", str(ROOT / "proxy" / "layer" / "wrapper"), *command]
        self.runtime = subprocess.Popen(command, env=env, cwd=code, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.n = 0

    def invoke(self) -> float:
        self.n += 1
        started = time.perf_counter()
        self.api.queue_event(Pending(f"r{self.n}", EVENT, int(time.time() * 1000) + 30_000))
        while True:
            message = self.api.messages.get(timeout=20)
            if message.kind == "response":
                return time.perf_counter() - started

    def close(self) -> None:
        for process in (self.runtime, self.extension):
            if process is not None:
                process.kill()
                process.wait()
        self.api.close()


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered) * 1e3, 4),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3, 4),
            "n": len(ordered)}


def startup(binary: Path, runs: int) -> dict[str, float]:
    """From exec to the extension's first event/next (it listens first, then registers)."""
    times = []
    for _ in range(runs):
        api = RuntimeApi(ARN)
        try:
            started = time.perf_counter()
            process = subprocess.Popen([str(binary)], env={"AWS_LAMBDA_RUNTIME_API": api.address,
                                                           "PROTECT_LAMBDA_PROXY_PORT": str(free_port())},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _wait(api, "extension_next")
            times.append(time.perf_counter() - started)
        finally:
            api.close()
            process.wait(timeout=10)
    return _summary(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invocations", type=int, default=2000, help="per setup")
    parser.add_argument("--block", type=int, default=100, help="invocations per turn")
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not runtime_client.available():
        raise SystemExit("awslambdaric is not installed (pip install 'protect-lambda[local]')")
    binary = _build()
    code = Path(tempfile.mkdtemp(prefix="bench-proxy-code-"))
    (code / "app.py").write_text("def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n")
    direct, proxied = Setup(None, code), Setup(binary, code)
    times: dict[str, list[float]] = {"direct": [], "proxied": []}
    try:
        for setup in (direct, proxied):  # warm both
            for _ in range(50):
                setup.invoke()
        while len(times["proxied"]) < args.invocations:
            for name, setup in (("direct", direct), ("proxied", proxied)):
                times[name] += [setup.invoke() for _ in range(args.block)]
    finally:
        direct.close()
        proxied.close()
    report: dict[str, Any] = {name: _summary(values) for name, values in times.items()}
    report["added_ms"] = {
        "median": round(report["proxied"]["median_ms"] - report["direct"]["median_ms"], 4),
        "p99": round(report["proxied"]["p99_ms"] - report["direct"]["p99_ms"], 4)}
    report["startup"] = startup(binary, args.starts)
    report["note"] = "the guard inspects every event and response (default configuration)"
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"direct   median {report['direct']['median_ms']:.3f} ms  p99 {report['direct']['p99_ms']:.3f} ms")
    print(f"proxied  median {report['proxied']['median_ms']:.3f} ms  p99 {report['proxied']['p99_ms']:.3f} ms")
    print(f"added    median {report['added_ms']['median']:.3f} ms  p99 {report['added_ms']['p99']:.3f} ms")
    print(f"start-up median {report['startup']['median_ms']:.2f} ms  p99 {report['startup']['p99_ms']:.2f} ms")
    print(report["note"])


if __name__ == "__main__":
    main()
