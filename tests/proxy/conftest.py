"""The proxy extension, built once per session by the project's own build (proxy/build.py)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from protect_lambda_tools.runtime_api import Message, Pending, RuntimeApi, free_port
from protect_lambda_tools.source_files import load_file

ROOT = Path(__file__).resolve().parents[2]
PROXY_SOURCE = ROOT / "proxy"
WRAPPER = PROXY_SOURCE / "layer" / "wrapper"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:proxied"


proxy_build: object = load_file("proxy_build", PROXY_SOURCE / "build.py")


@pytest.fixture(scope="session")
def proxy_binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """arch -> the built binary (linux-amd64 and linux-arm64)."""
    return proxy_build.build(tmp_path_factory.mktemp("proxy-build"))  # type: ignore[attr-defined,no-any-return]


@pytest.fixture(scope="session")
def proxy_binary(proxy_binaries: dict[str, Path]) -> Path:
    """The binary for this machine."""
    return proxy_binaries[proxy_build._host_arch()]  # type: ignore[attr-defined]


def wait_for(api: RuntimeApi, kind: str, timeout: float = 10.0) -> Message:
    """The next message of ``kind`` (others before it are dropped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind!r} message within {timeout} s")
        try:
            message = api.messages.get(timeout=left)
        except queue.Empty:
            continue
        if message.kind == kind:
            return message


class Extension:
    """The proxy running as Lambda runs an external extension, in front of a local Runtime API."""

    def __init__(self, binary: Path, api: RuntimeApi, port: int, workdir: Path,
                 env: dict[str, str] | None = None) -> None:
        # Lambda starts /opt/extensions/<name>; the name it registers is its file name
        link = workdir / "extensions" / "protect-lambda-proxy"
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(binary)
        self.port = port
        self.output: str | None = None
        self.process = subprocess.Popen(
            [str(link)], env={"PATH": os.environ.get("PATH", ""), "AWS_LAMBDA_RUNTIME_API": api.address,
                              "PROTECT_LAMBDA_PROXY_PORT": str(port), **LAMBDA_ENV, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.registered = wait_for(api, "extension_register")
        wait_for(api, "extension_next")

    def stop(self) -> str:
        """Stop the extension (again: no-op); what it printed (the guard's records)."""
        if self.output is None:
            if self.process.poll() is None:
                self.process.kill()
            out, _ = self.process.communicate()
            self.output = out.decode(errors="replace")
        return self.output


@pytest.fixture
def runtime_api() -> Iterator[RuntimeApi]:
    api = RuntimeApi(FUNCTION_ARN)
    yield api
    api.close()


@pytest.fixture
def extension(proxy_binary: Path, runtime_api: RuntimeApi, tmp_path: Path) -> Iterator[Extension]:
    ext = Extension(proxy_binary, runtime_api, free_port(), tmp_path)
    yield ext
    ext.stop()


def python_runtime_command(handler: str) -> list[str]:
    """How Lambda starts the Python runtime, behind the wrapper: ``wrapper python -m awslambdaric handler``."""
    return ["sh", str(WRAPPER), sys.executable, "-S", "-m", "awslambdaric", handler]


TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
#: What Lambda sets for every runtime (the Node.js client refuses to start without them).
LAMBDA_ENV = {"AWS_LAMBDA_FUNCTION_NAME": "proxied", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
              "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/proxied",
              "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/06/[$LATEST]0123456789abcdef"}


class Runtime:
    """A runtime process, started as Lambda starts one: ``command`` (behind the wrapper or not)."""

    def __init__(self, command: list[str], api: RuntimeApi, port: int, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            env={"PATH": os.environ.get("PATH", ""), "AWS_LAMBDA_RUNTIME_API": api.address,
                 "PROTECT_LAMBDA_PROXY_PORT": str(port), "LAMBDA_TASK_ROOT": str(cwd), **LAMBDA_ENV, **env})

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        out, _ = self.process.communicate()
        return out.decode(errors="replace")


def queue_event(api: RuntimeApi, request_id: str, event: object) -> None:
    api.queue_event(Pending(request_id, json.dumps(event).encode(), int(time.time() * 1000) + 30_000, TRACE))


Posted = tuple[str, str, bytes, dict[str, str], dict[str, str]]
#: Hop-by-hop headers (RFC 9110 7.6.1): about one connection, not forwarded by a proxy.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "host"})


def _normalised(headers: dict[str, str]) -> dict[str, str]:
    """Headers as compared: lower-case names, no hop-by-hop ones (nor Host, which names the address
    the client was given), declared trailer names as a set."""
    out = {k.lower(): v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    if "trailer" in out:
        out["trailer"] = ",".join(sorted(name.strip().lower() for name in out["trailer"].split(",")))
    return out


def _posted(api: RuntimeApi, command: list[str], port: int, cwd: Path, env: dict[str, str],
            events: list[object], final: str) -> list[Posted]:
    """What a runtime posts for ``events``, until ``final`` (or an init error): kind, request id, body,
    headers (:func:`_normalised`), trailers."""
    runtime = Runtime(command, api, port, cwd, env)
    try:
        for n, event in enumerate(events):
            queue_event(api, f"req-{n}", event)
        seen: list[Posted] = []
        while True:
            message = api.messages.get(timeout=20)
            if message.kind in ("next", "extension_next", "extension_register"):
                continue
            seen.append((message.kind, message.request_id, message.body, _normalised(message.headers),
                         message.trailers))
            if message.kind == "init_error" or (message.kind == final and len(seen) >= len(events)):
                return seen
    finally:
        runtime.stop()


def direct_and_proxied(binary: Path, workdir: Path, command: list[str], cwd: Path, env: dict[str, str],
                       events: list[object], final: str) -> tuple[list[Posted], list[Posted]]:
    """The same runtime on the same events, once talking to the Runtime API, once behind the
    wrapper and the proxy extension."""
    api = RuntimeApi(FUNCTION_ARN)
    try:
        direct = _posted(api, command, 0, cwd, env, events, final)
    finally:
        api.close()
    api = RuntimeApi(FUNCTION_ARN)
    ext = None
    try:
        ext = Extension(binary, api, free_port(), workdir)
        proxied = _posted(api, ["sh", str(WRAPPER), *command], ext.port, cwd, env, events, final)
    finally:
        api.close()
        if ext is not None:
            ext.stop()
    return direct, proxied
