"""Run a Node.js function of a synthesized template locally, behind the proxy extension.

What Lambda does for a function with the proxy layer, on this machine: the tools' local
Runtime API plays the Lambda service, the layer's ``extensions/protect-lambda-proxy`` is
started as an external extension with the function's environment, and AWS's Node.js runtime
interface client (npm ``aws-lambda-ric``, which ``make demo`` builds into ``.node-ric/``) is
started through the layer's wrapper (``AWS_LAMBDA_EXEC_WRAPPER``) in the function's code
folder. The log lines of both processes are the function's log stream.

Example:
    >>> spec = function_from_template("cdk.out/ProtectLambdaExample.template.json", "OrdersApiNode")  # doctest: +SKIP
    >>> [r.response["statusCode"] for r in invoke_proxied(spec, [event])]  # doctest: +SKIP
    [200]
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from protect_lambda import contract
from protect_lambda_tools import lambda_logs
from protect_lambda_tools.local_invoke import FunctionSpec, Invocation, LocalInvokeError, LogEvent, log_stream_name
from protect_lambda_tools.proxy_binary import machine_arch
from protect_lambda_tools.runtime_api import Pending, RuntimeApi, free_port

ROOT = Path(__file__).resolve().parent.parent
#: Where ``make demo`` / ``make test`` build the Node.js runtime client, and the project's Node.
DEFAULT_NODE_RIC = ROOT / ".node-ric" / "node_modules" / ".bin" / "aws-lambda-ric"
NODE_BIN = ROOT / "node_modules" / ".bin"
#: Seconds to wait for the extension to register and for each invocation.
STARTUP_TIMEOUT_S = 10.0
QUIET_S = 0.15  # lines a process printed before answering are read within this


def proxy_layer_dir(spec: FunctionSpec) -> Path:
    """The function's layer that holds the proxy extension (LocalInvokeError when none does)."""
    for layer in spec.layer_dirs:
        if (layer / "extensions" / "protect-lambda-proxy").is_file():
            return layer
    raise LocalInvokeError(f"{spec.name}: none of its layers holds extensions/protect-lambda-proxy; "
                           "is it a Node.js function protected by protect-lambda?")


def _read_lines(stream: IO[bytes], into: queue.Queue[tuple[int, str]]) -> None:
    for raw in iter(stream.readline, b""):
        into.put((int(time.time() * 1000), raw.decode("utf-8", "replace").rstrip("\n")))


def _drain(lines: queue.Queue[tuple[int, str]]) -> list[LogEvent]:
    """The lines printed so far, waiting until the processes have been quiet for QUIET_S."""
    events: list[LogEvent] = []
    while True:
        try:
            timestamp, text = lines.get(timeout=QUIET_S)
        except queue.Empty:
            return events
        events.append(LogEvent(timestamp, text))


def invoke_proxied(spec: FunctionSpec, events: Sequence[Any], *, node_ric: Path | None = None,
                   timeout_s: float = 20.0) -> list[Invocation]:
    """Invoke ``spec`` (a Node.js function with the proxy layer) with ``events`` in one execution
    environment: a cold start, then warm invocations.

    ``node_ric``: the ``aws-lambda-ric`` command (default: the one ``make demo`` builds)."""
    layer = proxy_layer_dir(spec).resolve()
    _check_machine(layer / "extensions" / "protect-lambda-proxy")
    ric = (node_ric or DEFAULT_NODE_RIC).absolute()
    if not ric.exists():
        raise LocalInvokeError(f"AWS's Node.js runtime client is not installed at {ric} (make demo builds it)")
    api = RuntimeApi(spec.function_arn)
    lines: queue.Queue[tuple[int, str]] = queue.Queue()
    port = free_port()
    env = spec.lambda_environment(log_stream=log_stream_name())
    env.update({"AWS_LAMBDA_RUNTIME_API": api.address, "PROTECT_LAMBDA_PROXY_PORT": str(port),
                "PATH": f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}", "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}"})
    processes: list[subprocess.Popen[bytes]] = []
    try:
        extension = subprocess.Popen([str(layer / "extensions" / "protect-lambda-proxy")], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        processes.append(extension)
        _wait_registered(api, extension)
        runtime = subprocess.Popen([str(layer / "protect-lambda" / "wrapper"), str(ric), spec.handler], env=env,
                                   cwd=spec.code_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        processes.append(runtime)
        launched = time.monotonic()
        for process in processes:
            assert process.stdout is not None
            threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        results = []
        for n, event in enumerate(events):
            request_id = f"{spec.name}-{n:04d}"
            started = time.monotonic()
            stamp = int(time.time() * 1000)
            api.queue_event(Pending(request_id, json.dumps(event).encode(), stamp + 30_000))
            answer = _answer(api, request_id, timeout_s)
            duration = (time.monotonic() - started) * 1000
            payload = answer.body.decode("utf-8", "replace")
            error = None
            if answer.kind == "error":
                try:
                    error = json.loads(payload)
                except ValueError:
                    error = {"errorType": answer.error_type, "errorMessage": payload}
            logs = [LogEvent(stamp, lambda_logs.start_line(request_id, spec.log_format, stamp), True), *_drain(lines)]
            # Init Duration: from the runtime's start to its first event (extension and runtime init)
            init_ms = (started - launched) * 1000 if n == 0 else None
            logs += [LogEvent(stamp, line, True) for line in lambda_logs.end_lines(
                request_id, spec.log_format, stamp, duration_ms=duration, memory_mb=spec.memory_mb,
                max_memory_mb=0, init_ms=init_ms)]
            results.append(Invocation(request_id, event, payload, error, tuple(logs), n == 0, duration,
                                      seal=spec.environment.get(contract.SEAL_ENV, ""), function_name=spec.name))
        return results
    finally:
        api.close()
        for process in reversed(processes):
            if process.poll() is None:
                process.kill()
            process.wait()


#: ELF e_machine of each architecture, as Go names them.
_MACHINES = {0x3E: "amd64", 0xB7: "arm64"}


def _check_machine(binary: Path) -> None:
    """LocalInvokeError when the layer's binary is for another architecture than this machine's."""
    with binary.open("rb") as handle:
        header = handle.read(20)
    machine = _MACHINES.get(int.from_bytes(header[18:20], "little"), "unknown")
    here = machine_arch() or "an architecture the proxy is not built for"
    if machine != here:
        raise LocalInvokeError(f"the function's proxy layer is built for {machine} and this machine is {here}: "
                               "run it where the architectures match (or synthesize the function for this one)")


def _wait_registered(api: RuntimeApi, extension: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            message = api.messages.get(timeout=0.2)
        except queue.Empty:
            if extension.poll() is not None:
                output = extension.stdout.read().decode(errors="replace") if extension.stdout else ""
                raise LocalInvokeError(f"the proxy extension exited ({extension.returncode}): {output.strip()}")
            continue
        if message.kind == "extension_next":
            return
    raise LocalInvokeError("the proxy extension did not register within "
                           f"{STARTUP_TIMEOUT_S:.0f} s")


def _answer(api: RuntimeApi, request_id: str, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            message = api.messages.get(timeout=0.5)
        except queue.Empty:
            continue
        if message.kind == "init_error":
            raise LocalInvokeError(f"the runtime failed to start: {message.body.decode(errors='replace')}")
        if message.kind in ("response", "error") and message.request_id == request_id:
            return message
    raise LocalInvokeError(f"no answer to {request_id} within {timeout_s:.0f} s")
