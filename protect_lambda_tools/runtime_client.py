"""Run a function on AWS's own Python runtime client (``awslambdaric``), as the Lambda service does.

One execution environment is one ``python -m awslambdaric <handler>`` process,
talking to a local Runtime API (:mod:`protect_lambda_tools.runtime_api`), with:

* the function's environment and Lambda's variables (``AWS_LAMBDA_RUNTIME_API``,
  ``AWS_LAMBDA_LOG_FORMAT`` / ``AWS_LAMBDA_LOG_LEVEL`` from the function's logging
  configuration), ``sys.path`` in Lambda's order (code, then
  ``/opt/python/lib/pythonX.Y/site-packages`` and ``/opt/python``, then the runtime);
* the layers merged into one folder mounted read-only at ``/opt``, and the code
  mounted read-only where it is, in a private mount namespace (``unshare``): the
  guard runs from a read-only ``/opt/python`` as in Lambda. Without that (not root,
  no ``unshare``, an interpreter living under ``/opt``) the layers are put on the path
  where they are, and :attr:`RicEnvironment.isolated` says so;
* the runtime client alone (with ``simplejson`` and ``snapshot_restore_py``, which it
  needs) in a runtime folder, like ``/var/runtime``: nothing else of this machine's
  site-packages unless asked.

What the client writes is turned into log events by the service's rules
(:mod:`protect_lambda_tools.lambda_logs`); init errors, handler errors, timeouts and a
process that exits are answered as Lambda answers them. Linux only (the client's
wheels are); :func:`available` says whether it is installed.

Example:
    >>> available() in (True, False)
    True
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from protect_lambda_tools import lambda_logs
from protect_lambda_tools.local_invoke import (
    INIT_TIMEOUT_S,
    FunctionSpec,
    Invocation,
    LocalInvokeError,
    LogEvent,
    log_stream_name,
    pycache_prefix,
)
from protect_lambda_tools.runtime_api import Message, Pending, RuntimeApi

#: Modules the runtime client needs, copied (linked) into the runtime folder.
RUNTIME_MODULES = ("awslambdaric", "runtime_client", "simplejson", "snapshot_restore_py")
#: Where Lambda mounts the layers.
OPT = Path("/opt")
_POLL_S = 0.02


def available() -> bool:
    """Whether AWS's runtime client is installed here (Linux only: its wheels are)."""
    return sys.platform.startswith("linux") and all(
        importlib.util.find_spec(name) is not None for name in RUNTIME_MODULES)


@functools.lru_cache(maxsize=1)
def runtime_dir() -> Path:
    """A folder holding the runtime client and its dependencies only (what ``/var/runtime`` holds):
    links to the installed modules, kept in this user's cache and reused while they stay where they are."""
    sources = []
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise LocalInvokeError(f"the runtime client needs {name}: pip install 'protect-lambda[local]'")
        if spec.submodule_search_locations:
            sources.append(Path(list(spec.submodule_search_locations)[0]))
        else:
            sources.append(Path(spec.origin))
    key = hashlib.sha256("\0".join(map(str, sources)).encode()).hexdigest()[:16]
    folder = pycache_prefix().parent / f"runtime-{key}"
    if all((folder / source.name).resolve() == source.resolve() for source in sources):
        return folder
    staging = Path(tempfile.mkdtemp(prefix="runtime-staging-", dir=folder.parent if folder.parent.exists()
                                    else _made(folder.parent)))
    for source in sources:
        (staging / source.name).symlink_to(source)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        staging.rename(folder)
    except OSError:  # another run made it first
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@functools.lru_cache(maxsize=1)
def can_isolate() -> bool:
    """Whether a private mount namespace can mount the layers read-only at ``/opt`` here."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    for path in (sys.executable, os.path.realpath(sys.executable), sys.prefix, sys.base_prefix):
        if Path(path).resolve().is_relative_to(OPT):
            return False  # mounting over /opt would hide the interpreter itself
    try:
        done = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "true"],
                              capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _merge_layers(layers: Sequence[Path]) -> Path:
    """The layers extracted into one folder, in order (a later layer's file wins), as Lambda does at /opt."""
    merged = Path(tempfile.mkdtemp(prefix="protect-lambda-opt-"))
    for layer in layers:
        shutil.copytree(layer, merged, dirs_exist_ok=True, symlinks=True)
    return merged


def _max_memory_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class _Output:
    """The client's stdout and stderr (one pipe), read as it comes, cut into lines on demand."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self.buffer = b""
        self.closed = False

    def read_available(self, wait_s: float = 0.0) -> None:
        """Read what is in the pipe now (waiting up to ``wait_s`` for something to come)."""
        if self.closed:
            return
        ready, _, _ = select.select([self.fd], [], [], wait_s)
        while ready:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                self.closed = True
                return
            self.buffer += chunk
            ready, _, _ = select.select([self.fd], [], [], 0)

    def take(self) -> list[str]:
        """The complete lines read so far (a runtime error, with ``\\r`` between its lines, is one)."""
        text, _, rest = self.buffer.rpartition(b"\n")
        self.buffer = rest
        if self.closed and rest:
            text, self.buffer = (text + b"\n" + rest if text else rest), b""
        # the client joins the lines of one error with \r: Lambda keeps them in one log event
        return [line.replace("\r", "\n") for line in text.decode("utf-8", "replace").split("\n") if line.strip()]


class RicEnvironment:
    """One execution environment on the real runtime client; :meth:`run` answers events until it ends."""

    def __init__(self, spec: FunctionSpec, python: str = sys.executable, site_packages: bool = False) -> None:
        self.spec = spec
        self.python = python
        self.site_packages = site_packages
        self.isolated = can_isolate()

    def _python_path(self, opt: Optional[Path]) -> list[str]:
        spec = self.spec
        version = spec.runtime.removeprefix("python") or "%d.%d" % sys.version_info[:2]
        paths: list[Path] = [spec.code_dir.resolve()]
        layer_roots = [OPT] if opt is not None else [layer.resolve() for layer in spec.layer_dirs]
        for root in layer_roots:
            paths += [root / "python" / "lib" / f"python{version}" / "site-packages", root / "python"]
        paths += [p.resolve() for p in spec.python_path]
        paths.append(runtime_dir())
        if self.site_packages:
            import site

            paths += [Path(p) for p in site.getsitepackages()]
        return [str(p) for p in paths]

    def _command(self, opt: Optional[Path]) -> list[str]:
        python = [self.python, "-S", "-X", f"pycache_prefix={pycache_prefix()}", "-m", "awslambdaric",
                  self.spec.handler]
        if opt is None:
            return python
        code = str(self.spec.code_dir.resolve())
        mount = ('mount --bind -o ro "$1" /opt && mount --bind -o ro "$2" "$2" && shift 2 && exec "$@"')
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", mount, "sh", str(opt), code,
                *python]

    def run(self, items: Sequence[tuple[str, Any, str]]) -> list[Invocation]:
        """Answer ``(request_id, event, event_json)`` items in order; stop at the first that ends the environment."""
        spec = self.spec
        if shutil.which(self.python) is None:
            raise LocalInvokeError(f"cannot start the runtime client with {self.python}: no such interpreter")
        opt: Optional[Path] = None
        api: Optional[RuntimeApi] = None
        process: Optional[subprocess.Popen[bytes]] = None
        try:
            opt = _merge_layers(spec.layer_dirs) if self.isolated else None
            api = RuntimeApi(spec.function_arn)
            env = spec.lambda_environment(log_stream=log_stream_name())
            env.update(AWS_LAMBDA_RUNTIME_API=api.address, PYTHONPATH=os.pathsep.join(self._python_path(opt)),
                       AWS_LAMBDA_LOG_FORMAT=spec.log_format)
            if spec.application_log_level:
                env["AWS_LAMBDA_LOG_LEVEL"] = spec.application_log_level
            started = time.perf_counter()
            try:
                process = subprocess.Popen(self._command(opt), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env=env, cwd=str(spec.code_dir),
                                           start_new_session=True)
            except OSError as exc:
                raise LocalInvokeError(
                    f"cannot start the runtime client with {self.python}: {exc.strerror or exc}") from None
            assert process.stdout is not None
            output = _Output(process.stdout.fileno())
            return _Session(self, api, process, output, started).answer(items)
        finally:
            if process is not None:
                try:  # the whole process group: what the handler started too
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                process.wait()
                if process.stdout is not None:
                    process.stdout.close()
            if api is not None:
                api.close()
            if opt is not None:
                shutil.rmtree(opt, ignore_errors=True)


class _Session:
    """The exchange with one running client: init, then one event at a time."""

    def __init__(self, environment: RicEnvironment, api: RuntimeApi, process: subprocess.Popen[bytes],
                 output: _Output, started: float) -> None:
        self.spec = environment.spec
        self.api = api
        self.process = process
        self.output = output
        self.started = started

    def _wait(self, deadline: float) -> Optional[Message]:
        """The client's next message, or None when it exited or ``deadline`` (perf_counter) passed."""
        while True:
            try:
                return self.api.messages.get(timeout=_POLL_S)
            except queue.Empty:
                pass
            self.output.read_available()
            if self.process.poll() is not None:
                try:  # a message posted just before exiting (an init error) still counts
                    return self.api.messages.get(timeout=_POLL_S)
                except queue.Empty:
                    return None
            if time.perf_counter() > deadline:
                return None

    def _lines(self, stamp: int) -> list[LogEvent]:
        self.output.read_available()
        spec = self.spec
        return [LogEvent(stamp, line) for line in self.output.take()
                if lambda_logs.delivered(line, spec.log_format, spec.application_log_level)]

    def answer(self, items: Sequence[tuple[str, Any, str]]) -> list[Invocation]:
        spec = self.spec
        first = self._wait(self.started + INIT_TIMEOUT_S)
        while first is not None and first.kind == "restore_next":  # SnapStart: restored at once
            first = self._wait(self.started + INIT_TIMEOUT_S)
        init_ms = (time.perf_counter() - self.started) * 1000
        stamp = _now_ms()
        init_logs = self._lines(stamp)
        request_id, event, _ = items[0]
        if first is None or first.kind != "next":
            if first is not None and first.kind == "init_error":
                error = _error_of(first.body)
            else:
                self.output.read_available(0.2)
                init_logs += self._lines(stamp)
                detail = "Runtime exited" if self.process.poll() is not None else "Init timed out"
                error = {"errorType": "Runtime.ExitError" if self.process.poll() is not None else "Sandbox.Timedout",
                         "errorMessage": f"RequestId: {request_id} Error: {detail}"}
            self.output.read_available(0.2)
            init_logs += self._lines(stamp)
            logs = [*init_logs, *self._platform_start(request_id, stamp)]
            logs += self._closing(request_id, 0.0, stamp, init_ms=init_ms, status="error")
            return [Invocation(request_id, event, json.dumps(error), error, tuple(logs), True, 0.0)]
        results: list[Invocation] = []
        for index, (request_id, event, text) in enumerate(items):
            cold = index == 0
            stamp = _now_ms()
            logs = [*(init_logs if cold else []), *self._platform_start(request_id, stamp)]
            begin = time.perf_counter()
            deadline_ms = _now_ms() + int(spec.timeout_s * 1000)
            self.api.queue_event(Pending(request_id, text.encode("utf-8"), deadline_ms))
            message = self._wait(begin + spec.timeout_s)
            duration = (time.perf_counter() - begin) * 1000
            if message is None:  # timed out, or the process ended without an answer
                timed_out = self.process.poll() is None
                if timed_out:
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                self.output.read_available(0.2)
                logs += self._lines(stamp)
                if timed_out:
                    logs.append(LogEvent(stamp, lambda_logs.timeout_line(request_id, spec.timeout_s, stamp), True))
                    error = {"errorType": "Sandbox.Timedout",
                             "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                                             f"{spec.timeout_s:.2f} seconds"}
                else:
                    error = {"errorType": "Runtime.ExitError",
                             "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                                             f"exit status {self.process.returncode}"}
                logs += self._closing(request_id, duration, stamp, status="timeout" if timed_out else "error")
                results.append(Invocation(request_id, event, json.dumps(error), error, tuple(logs), cold, duration))
                break
            logs += self._lines(stamp)
            memory = _max_memory_mb(self.process.pid)
            if message.kind == "error":
                failure: Optional[dict[str, Any]] = _error_of(message.body)
                payload = json.dumps(failure)
            else:
                failure, payload = None, message.body.decode("utf-8", "replace")
            # the client asks for the next event once this one is answered: its output is all in
            follow = self._wait(time.perf_counter() + 5.0)
            logs += self._lines(stamp)
            logs += self._closing(request_id, duration, stamp, memory=memory, init_ms=init_ms if cold else None)
            results.append(Invocation(request_id, event, payload, failure, tuple(logs), cold, duration))
            if follow is None or follow.kind != "next":
                break
        return results

    def _platform_start(self, request_id: str, stamp: int) -> list[LogEvent]:
        return [LogEvent(stamp, lambda_logs.start_line(request_id, self.spec.log_format, stamp), True)]

    def _closing(self, request_id: str, duration: float, stamp: int, *, memory: int = 0,
                 init_ms: Optional[float] = None, status: str = "") -> list[LogEvent]:
        lines = lambda_logs.end_lines(request_id, self.spec.log_format, stamp, duration_ms=duration,
                                      memory_mb=self.spec.memory_mb, max_memory_mb=memory, init_ms=init_ms,
                                      status=status)
        return [LogEvent(stamp, line, True) for line in lines]


def _error_of(body: bytes) -> dict[str, Any]:
    try:
        error = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        error = None
    return error if isinstance(error, dict) else {"errorType": "Runtime.Unknown", "errorMessage": body.decode(
        "utf-8", "replace")}


def _now_ms() -> int:
    return int(time.time() * 1000)
