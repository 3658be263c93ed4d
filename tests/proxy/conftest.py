"""The proxy extension, built once per session by the project's own build (proxy/build.py)."""

from __future__ import annotations

import importlib.util
import os
import queue
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from protect_lambda_tools.runtime_api import Message, RuntimeApi

ROOT = Path(__file__).resolve().parents[2]
PROXY_SOURCE = ROOT / "proxy"
WRAPPER = PROXY_SOURCE / "layer" / "wrapper"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:proxied"


def _load_build() -> object:
    spec = importlib.util.spec_from_file_location("proxy_build", PROXY_SOURCE / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


proxy_build = _load_build()


@pytest.fixture(scope="session")
def proxy_binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """arch -> the built binary (linux-amd64 and linux-arm64)."""
    return proxy_build.build(tmp_path_factory.mktemp("proxy-build"))  # type: ignore[attr-defined,no-any-return]


@pytest.fixture(scope="session")
def proxy_binary(proxy_binaries: dict[str, Path]) -> Path:
    """The binary for this machine."""
    return proxy_binaries[proxy_build._host_arch()]  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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

    def __init__(self, binary: Path, api: RuntimeApi, port: int, workdir: Path) -> None:
        # Lambda starts /opt/extensions/<name>; the name it registers is its file name
        link = workdir / "extensions" / "protect-lambda-proxy"
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(binary)
        self.port = port
        self.process = subprocess.Popen(
            [str(link)], env={"PATH": os.environ.get("PATH", ""), "AWS_LAMBDA_RUNTIME_API": api.address,
                              "PROTECT_LAMBDA_PROXY_PORT": str(port)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_for(api, "extension_register")
        wait_for(api, "extension_next")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()


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
