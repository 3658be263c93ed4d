"""The proxy extension between AWS's Python runtime client, a shell custom runtime and a Runtime API.

The Runtime API is the tools' local one (what Lambda serves at AWS_LAMBDA_RUNTIME_API, with the
Extensions API's register and event/next); the proxy is the built binary, started as Lambda starts
an external extension; the runtime is started behind the wrapper script, as Lambda does with
AWS_LAMBDA_EXEC_WRAPPER. The inspection the proxy will run is not in the binary yet: these tests
hold the protocol (what a runtime sends and receives passes unchanged) and the extension's life.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from protect_lambda_tools import runtime_client
from protect_lambda_tools.runtime_api import RuntimeApi

from .conftest import (
    FUNCTION_ARN,
    TRACE,
    WRAPPER,
    Extension,
    Runtime,
    direct_and_proxied,
    free_port,
    python_runtime_command,
    queue_event,
    wait_for,
)

CLIENT = pytest.mark.skipif(not runtime_client.available(), reason="awslambdaric is not installed (Linux only)")

HANDLERS = textwrap.dedent('''
    import os

    def echo(event, context):
        return {"event": event, "request_id": context.aws_request_id,
                "arn": context.invoked_function_arn,
                "remaining_positive": context.get_remaining_time_in_millis() > 0,
                "trace": os.environ.get("_X_AMZN_TRACE_ID"),
                "runtime_api": os.environ.get("AWS_LAMBDA_RUNTIME_API")}

    def fail(event, context):
        raise ValueError("boom " + str(event.get("n")))
''')


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "app.py").write_text(HANDLERS)
    return folder


def _python_env(code: Path) -> dict[str, str]:
    return {"PYTHONPATH": f"{code}{os.pathsep}{runtime_client.runtime_dir()}"}


@pytest.fixture
def start_runtime(runtime_api: RuntimeApi, extension: Extension, code: Path) -> Iterator[object]:
    started: list[Runtime] = []

    def start(command: list[str]) -> Runtime:
        runtime = Runtime(command, runtime_api, extension.port, code, _python_env(code))
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.stop()


@CLIENT
def test_awslambdaric_gets_events_context_and_trace_through_the_proxy(runtime_api, extension, start_runtime):
    start_runtime(python_runtime_command("app.echo"))
    events = [{"q": "plain"}, {"q": "\u0000\u001f control, \U0001F600 astral, \u00e9 accent"}, {"big": "x" * 300_000}]
    for n, event in enumerate(events):
        queue_event(runtime_api, f"req-{n}", event)
        message = wait_for(runtime_api, "response")
        answer = json.loads(message.body)
        assert message.request_id == f"req-{n}"
        assert answer["event"] == event
        assert answer["request_id"] == f"req-{n}"
        assert answer["arn"] == runtime_api.function_arn
        assert answer["remaining_positive"] is True  # the deadline header passed
        assert answer["trace"] == TRACE
        # the runtime talks to the proxy, not to the Runtime API
        assert answer["runtime_api"] == f"127.0.0.1:{extension.port}"


@CLIENT
@pytest.mark.parametrize(("handler", "events", "final"), [
    ("app.fail", [{"n": 7}], "error"),
    ("missing_module.handler", [], "init_error"),
])
def test_errors_reach_the_runtime_api_as_without_the_proxy(proxy_binary, tmp_path, code, handler, events, final):
    """The same client posts the same bytes and headers with and without the proxy between."""
    command = python_runtime_command(handler)[2:]  # without the wrapper: direct_and_proxied adds it
    direct, proxied = direct_and_proxied(proxy_binary, tmp_path, command, code, _python_env(code), events, final)
    assert proxied == direct
    kind, _, body, headers, _ = proxied[-1]
    assert kind == final
    if final == "error":
        assert json.loads(body)["errorMessage"] == "boom 7"
        assert json.loads(body)["errorType"] == "ValueError"
        assert "boom 7" in headers["lambda-runtime-function-xray-error-cause"]
    else:
        assert "missing_module" in json.loads(body)["errorMessage"]


@CLIENT
def test_a_dead_proxy_takes_the_runtime_down_loudly(runtime_api, extension, start_runtime):
    runtime = start_runtime(python_runtime_command("app.echo"))
    queue_event(runtime_api, "req-1", {"n": 1})
    wait_for(runtime_api, "response")
    extension.stop()  # the proxy dies between two invocations
    assert runtime.process.wait(timeout=20) != 0  # the runtime exits: Lambda reports Runtime.ExitError


#: A custom runtime in shell (curl): echoes each event with its trace id.
SHELL_BOOTSTRAP = textwrap.dedent('''\
    #!/bin/sh
    set -eu
    api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
    while true; do
        headers=$(mktemp)
        event=$(curl -sS -D "$headers" "$api/invocation/next")
        id=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$headers" | tr -d '\\r' | cut -d' ' -f2)
        trace=$(grep -i '^Lambda-Runtime-Trace-Id:' "$headers" | tr -d '\\r' | cut -d' ' -f2)
        printf '{"echo":%s,"trace":"%s"}' "$event" "$trace" |
            curl -sS -X POST --data-binary @- "$api/invocation/$id/response" > /dev/null
    done
''')


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell runtime needs curl")
def test_shell_custom_runtime_through_the_proxy(runtime_api, start_runtime, code):
    bootstrap = code / "bootstrap"
    bootstrap.write_text(SHELL_BOOTSTRAP)
    bootstrap.chmod(0o755)
    start_runtime([str(WRAPPER), str(bootstrap)])
    queue_event(runtime_api, "req-sh", {"q": "from curl"})
    message = wait_for(runtime_api, "response")
    assert message.request_id == "req-sh"
    assert json.loads(message.body) == {"echo": {"q": "from curl"}, "trace": TRACE}


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell runtime needs curl")
def test_os_only_runtime_through_the_bootstrap_shim(runtime_api, extension, code):
    """provided.* runs no AWS_LAMBDA_EXEC_WRAPPER: the constructs' shim starts the function's own
    bootstrap through the wrapper, so the proxy guards it (a blocked event fails the invocation,
    the clean one is answered by the original bootstrap)."""
    from protect_lambda_construct.bootstrap_shim import ORIGINAL_BOOTSTRAP, shimmed_dir

    (code / "bootstrap").write_text(SHELL_BOOTSTRAP)
    (code / "bootstrap").chmod(0o755)
    shimmed = shimmed_dir(code)
    assert (shimmed / ORIGINAL_BOOTSTRAP).read_text() == SHELL_BOOTSTRAP
    runtime = Runtime([str(shimmed / "bootstrap")], runtime_api, extension.port, shimmed,
                      {"PROTECT_LAMBDA_WRAPPER": str(WRAPPER)})
    try:
        queue_event(runtime_api, "req-bad", {"cmd": "; cat /etc/passwd"})
        queue_event(runtime_api, "req-ok", {"q": "fine"})
        blocked = wait_for(runtime_api, "error")
        answered = wait_for(runtime_api, "response")
    finally:
        runtime.stop()
    assert blocked.request_id == "req-bad" and blocked.error_type == "GuardBlockedError"
    assert answered.request_id == "req-ok" and json.loads(answered.body)["echo"] == {"q": "fine"}
    assert '"request_id":"req-bad"' in extension.stop()


def test_extension_registers_by_its_file_name_and_exits_on_shutdown(proxy_binary, tmp_path):
    api = RuntimeApi(FUNCTION_ARN)
    try:
        ext = Extension(proxy_binary, api, free_port(), tmp_path)
        assert ext.registered.body == b"protect-lambda-proxy"  # the file name Lambda started
    finally:
        api.close()  # SHUTDOWN
    assert ext.process.wait(timeout=10) == 0
    ext.stop()


def test_extension_fails_init_when_it_cannot_listen(proxy_binary):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([str(proxy_binary)], capture_output=True, text=True, timeout=10, check=False,
                              env={"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9", "PROTECT_LAMBDA_PROXY_PORT": str(port)})
    assert done.returncode != 0
    assert f"127.0.0.1:{port}" in done.stderr
