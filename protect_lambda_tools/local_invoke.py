"""Run a Lambda handler locally the way the Lambda Python runtime would, and read what it drives.

Running (:func:`invoke`): one fresh Python subprocess per call, that is one
execution environment. The subprocess starts with only the function's
environment (the variables Lambda sets plus the function's own), imports the
handler in an "init phase" (a cold start: for a protected function that is
``protect_lambda.wrapper``, which builds the guard), then runs the events one
after the other (warm invocations), each with a fresh request id and a context
object like the runtime's. The function's code directory comes first on
``sys.path``, then its layers (``python/`` and ``python/lib/pythonX.Y/site-packages``
of each, as under ``/opt``), then the standard library only (no site-packages,
unless asked). For each invocation it returns the response as the Invoke API
would (the JSON payload, or the runtime's error object: ``errorType``,
``errorMessage``, ``stackTrace``, ``requestId``) and the log events as
CloudWatch Logs would receive them: one per printed line, the runtime's
``START`` / ``END`` / ``REPORT`` lines, ``[ERROR] ...`` for an unhandled
exception. A timeout or an exit of the process ends the environment like on
Lambda; the next event gets a new cold start.

Reading a synthesized template (which function, and what its records drive) is
in :mod:`protect_lambda_tools.local_template`.

Not emulated: the Runtime API, memory limits, ``/tmp`` limits, the AWS
credentials of the execution role (the function gets none unless passed with
``extra_env``), the JSON log format (protect-lambda's records are the same
under both formats, see docs/guard.md).

Pure standard library. A developer tool: it is not shipped in the Lambda layer.

Example:
    >>> spec = FunctionSpec.for_handler("orders_api.handler", "example/functions")  # doctest: +SKIP
    >>> [result] = invoke(spec, [{"rawPath": "/orders", "queryStringParameters": {"id": "1001"}}])  # doctest: +SKIP
    >>> result.response["statusCode"], result.violations  # doctest: +SKIP
    (200, [])
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from protect_lambda import contract
from protect_lambda_tools import lambda_logs

__all__ = [
    "FunctionSpec",
    "Invocation",
    "LocalInvokeError",
    "LogEvent",
    "invoke",
]

#: Account and region used in ARNs and the environment when none is given.
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
#: Lambda's defaults for a function without MemorySize / Timeout.
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_S = 3.0
#: Lambda's limit on the init phase of an on-demand function.
INIT_TIMEOUT_S = 10.0
#: Extra seconds the parent waits for the subprocess beyond the timeouts it enforces itself.
_WATCHDOG_MARGIN_S = 5.0

Template = dict[str, Any]


class LocalInvokeError(Exception):
    """A local invocation that cannot be set up (bad template, missing asset, unknown function).

    Its message is one line, meant for the user.

    Example:
        >>> str(LocalInvokeError("no function 'X' in the template"))
        "no function 'X' in the template"
    """


# --- what is run ---------------------------------------------------------------------------


def guard_root() -> Path:
    """The directory holding the installed guard package ``protect_lambda`` (what ``/opt/python`` holds on Lambda).

    Example:
        >>> (guard_root() / "protect_lambda" / "wrapper.py").is_file()
        True
    """
    return Path(contract.__file__).resolve().parent.parent


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function as the local runtime runs it.

    ``handler`` is the function's Handler property (for a protected function
    :data:`contract.WRAPPER_HANDLER`, the original being in ``environment``
    under :data:`contract.ORIGINAL_HANDLER_ENV`). ``layer_dirs`` are layer roots
    (what Lambda extracts to ``/opt``); ``python_path`` adds directories after
    them. ``environment`` is the function's own variables; :meth:`lambda_environment`
    adds the ones Lambda sets.

    Example:
        >>> spec = FunctionSpec(name="orders", handler="app.handler", code_dir=Path("."))
        >>> spec.lambda_environment()["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        '128'
    """

    name: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...] = ()
    python_path: tuple[Path, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_s: float = DEFAULT_TIMEOUT_S
    runtime: str = "python3.14"
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT
    log_group_name: str = ""
    logical_id: str = ""
    #: The id CloudFormation would give the function's stack (it holds the seal's value).
    stack_id: str = ""
    #: The function's log format (``Text`` or ``JSON``) and application log level (JSON only; empty: INFO).
    log_format: str = "Text"
    application_log_level: str = ""
    #: What could not be reproduced from the template (non-literal variables, missing layers).
    notes: tuple[str, ...] = ()

    @classmethod
    def for_handler(
        cls,
        handler: str,
        code_dir: str | Path,
        *,
        name: str = "",
        environment: Mapping[str, str] | None = None,
        protect: bool = True,
        **props: Any,
    ) -> FunctionSpec:
        """A function running ``handler`` (``module.function``) from ``code_dir``.

        With ``protect`` (default) the handler is put behind the guard as the
        construct does: Handler = :data:`contract.WRAPPER_HANDLER`, the original in
        :data:`contract.ORIGINAL_HANDLER_ENV`, the local ``protect_lambda`` on the path.

        Example:
            >>> spec = FunctionSpec.for_handler("orders_api.handler", "example/functions")
            >>> spec.handler, spec.environment["PROTECT_LAMBDA_ORIGINAL_HANDLER"], spec.name
            ('protect_lambda.wrapper.handler', 'orders_api.handler', 'orders_api')
        """
        env = dict(environment or {})
        if protect:
            env[contract.ORIGINAL_HANDLER_ENV] = handler
        default_name = handler.rpartition(".")[0].replace("/", "-").replace(".", "-") or "function"
        return cls(
            name=name or default_name,
            handler=contract.WRAPPER_HANDLER if protect else handler,
            code_dir=Path(code_dir),
            python_path=(guard_root(),) if protect else (),
            environment=env,
            **props,
        )

    @property
    def function_arn(self) -> str:
        """The function's ARN (unqualified), as ``invoked_function_arn`` shows it."""
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"

    @property
    def log_group(self) -> str:
        """The log group name (``/aws/lambda/<name>`` unless the template names one)."""
        return self.log_group_name or f"/aws/lambda/{self.name}"

    def sys_path(self) -> list[str]:
        """What comes before the standard library on ``sys.path``, in Lambda's order."""
        version = self.runtime.removeprefix("python") or f"{sys.version_info[0]}.{sys.version_info[1]}"
        paths = [self.code_dir]
        for layer in self.layer_dirs:
            paths += [layer / "python" / "lib" / f"python{version}" / "site-packages", layer / "python"]
        paths += list(self.python_path)
        return [str(p.resolve()) for p in paths]

    def lambda_environment(self, *, log_stream: str = "") -> dict[str, str]:
        """The whole environment of the execution environment: Lambda's variables, then the function's."""
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",  # every execution environment has one
            "AWS_LAMBDA_LOG_FORMAT": self.log_format,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
            "_HANDLER": self.handler,
            "LAMBDA_TASK_ROOT": str(self.code_dir.resolve()),
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }
        env.update(self.environment)
        return env


# --- what comes back -----------------------------------------------------------------------


@dataclass(frozen=True)
class LogEvent:
    """One CloudWatch Logs event: what a metric filter is applied to.

    ``platform`` marks the lines the Lambda service writes (``START``, ``END``,
    ``REPORT``, ``Task timed out``) rather than the function.
    """

    timestamp: int
    message: str
    platform: bool = False


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation.

    ``payload`` is what the Invoke API returns (JSON text); ``error`` the
    runtime's error object when the invocation failed (then ``payload`` is its JSON).

    Example:
        >>> ok = Invocation("r-1", {"a": 1}, '{"statusCode": 200}', None, (), False, 1.0)
        >>> ok.response, ok.failed
        ({'statusCode': 200}, False)
    """

    request_id: str
    event: Any
    payload: str
    error: dict[str, Any] | None
    log_events: tuple[LogEvent, ...]
    cold_start: bool
    duration_ms: float
    #: The function's seal and name: a record is the guard's when it carries both (any record when
    #: the seal is empty), as the deployed metric filter requires.
    seal: str = ""
    function_name: str = ""

    @property
    def failed(self) -> bool:
        """True when the function returned an error (``X-Amz-Function-Error`` on the Invoke API)."""
        return self.error is not None

    @property
    def response(self) -> Any:
        """The decoded payload (the error object for a failed invocation)."""
        try:
            return json.loads(self.payload)
        except ValueError:
            return self.payload

    @property
    def printed(self) -> list[str]:
        """The lines the function (and its guard) wrote, without the service's lines."""
        return [e.message for e in self.log_events if not e.platform]

    def _json_lines(self, marker: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for line in self.printed:
            if not line.startswith("{"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get(contract.FIELD_EVENT) == marker:
                found.append((line, record))
        return found

    def _sealed(self, record: Mapping[str, Any]) -> bool:
        return not self.seal or (record.get(contract.FIELD_SEAL) == self.seal
                                 and record.get(contract.FIELD_FUNCTION_NAME) == self.function_name)

    def records(self, marker: str = contract.VIOLATION_MARKER) -> list[dict[str, Any]]:
        """The guard's JSON log lines whose ``event`` is ``marker`` (default: the Violation records).

        A line shaped like a record without the function's seal is not the guard's (:attr:`forged`).
        """
        return [record for _, record in self._json_lines(marker) if self._sealed(record)]

    @property
    def violations(self) -> list[dict[str, Any]]:
        """The Violation records the guard wrote in this invocation."""
        return self.records()

    @property
    def violation_lines(self) -> list[str]:
        """The guard's Violation records as the log lines CloudWatch Logs receives."""
        return [line for line, record in self._json_lines(contract.VIOLATION_MARKER) if self._sealed(record)]

    @property
    def forged(self) -> list[str]:
        """Lines shaped like a Violation record that the guard did not write (the handler printed them)."""
        return [line for line, record in self._json_lines(contract.VIOLATION_MARKER) if not self._sealed(record)]


# --- the subprocess ------------------------------------------------------------------------

# Runs inside the execution environment. Kept as source text (run with ``python -c``)
# so that nothing of this developer tool is imported next to the function's code.
_BOOTSTRAP = r'''
import decimal, importlib, json, math, os, signal, sys, tempfile, time, traceback
request = json.loads(sys.stdin.read())
sys.stdin = open(os.devnull)
sys.path[:0] = request["path"]
proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
capture = tempfile.TemporaryFile()
os.dup2(capture.fileno(), 1)
os.dup2(capture.fileno(), 2)

class Unbuffered:
    def __init__(self, stream):
        self.stream = stream
    def __getattr__(self, name):
        return getattr(self.stream, name)
    def write(self, text):
        n = self.stream.write(text)
        self.stream.flush()
        return n
    def writelines(self, lines):
        self.stream.writelines(lines)
        self.stream.flush()

sys.stdout = Unbuffered(sys.stdout)
sys.stderr = Unbuffered(sys.stderr)

def captured():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    fd = capture.fileno()
    os.lseek(fd, 0, 0)
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.lseek(fd, 0, 0)
    os.ftruncate(fd, 0)
    return b"".join(chunks).decode("utf-8", "replace")

def send(message):
    proto.write(json.dumps(message) + "\n")
    proto.flush()

def max_memory_mb():
    try:
        import resource
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    except Exception:
        return 0

class Fault(Exception):
    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []

def load(handler):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise Fault("Runtime.BuiltInModuleConflict",
                        "Cannot use built-in module %s as a handler module" % module_name)
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except SyntaxError as e:
        raise Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e),
                    ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)])
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))

def error_of(exc, request_id):
    if isinstance(exc, Fault):
        return {"errorMessage": exc.message, "errorType": exc.error_type,
                "requestId": request_id, "stackTrace": exc.trace}
    frames = traceback.extract_tb(exc.__traceback__)
    while frames and frames[0].filename == "<string>":
        frames = frames[1:]
    return {"errorMessage": str(exc), "errorType": type(exc).__name__,
            "requestId": request_id, "stackTrace": traceback.format_list(frames)}

def to_json(value):
    def default(obj):
        if isinstance(obj, decimal.Decimal):
            if obj.is_nan():
                return math.nan
            return int(obj) if obj == obj.to_integral_value() else float(obj)
        raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)
    return json.dumps(value, default=default)

class Context:
    def __init__(self, request_id, deadline_ms):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = request["function_arn"]
        self.client_context = None
        self.identity = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms
    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)
    def __repr__(self):
        return "LambdaContext([aws_request_id=%s,function_name=%s])" % (self.aws_request_id, self.function_name)

start = time.perf_counter()
handler, init_error = None, None
try:
    handler = load(request["handler"])
except Exception as exc:
    init_error = exc
send({"kind": "init", "logs": captured(), "duration_ms": (time.perf_counter() - start) * 1000,
      "error": None if init_error is None else error_of(init_error, "")})

current = {}
def on_timeout(signum, frame):
    send({"kind": "timeout", "request_id": current.get("id", ""), "logs": captured(),
          "duration_ms": (time.perf_counter() - current.get("start", 0.0)) * 1000,
          "max_memory_mb": max_memory_mb()})
    os._exit(124)
timer = hasattr(signal, "setitimer")
if timer:
    signal.signal(signal.SIGALRM, on_timeout)

for item in request["events"]:
    request_id = item["request_id"]
    current.update(id=request_id, start=time.perf_counter())
    deadline_ms = int(time.time() * 1000) + int(request["timeout_s"] * 1000)
    payload, error = None, None
    if timer:
        signal.setitimer(signal.ITIMER_REAL, request["timeout_s"])
    try:
        if handler is None:
            handler = load(request["handler"])
        event = json.loads(item["event"])
        result = handler(event, Context(request_id, deadline_ms))
        if isinstance(result, bytes):
            payload = result.decode("utf-8", "replace")
        else:
            try:
                payload = to_json(result)
            except (TypeError, ValueError) as exc:
                raise Fault("Runtime.MarshalError", "Unable to marshal response: %s" % exc)
    except Exception as exc:
        error = error_of(exc, request_id)
    if timer:
        signal.setitimer(signal.ITIMER_REAL, 0)
    send({"kind": "invoke", "request_id": request_id, "payload": payload, "error": error,
          "logs": captured(), "duration_ms": (time.perf_counter() - current["start"]) * 1000,
          "max_memory_mb": max_memory_mb()})
'''


def pycache_prefix() -> Path:
    """Where the subprocess keeps bytecode: never next to the function's code or in ``cdk.out``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "protect-lambda" / "pycache"


def log_stream_name() -> str:
    """A log stream name in Lambda's shape (``2026/01/01/[$LATEST]<hex>``)."""
    day = time.strftime("%Y/%m/%d", time.gmtime())
    return f"{day}/[$LATEST]{uuid.uuid4().hex}"


def _lines(text: str, timestamp: int, spec: FunctionSpec) -> list[LogEvent]:
    """Printed output as log events: one per line, as Lambda splits stdout, less what the
    function's log level drops (:mod:`protect_lambda_tools.lambda_logs`)."""
    return [LogEvent(timestamp, line) for line in text.splitlines()
            if line.strip() and lambda_logs.delivered(line, spec.log_format, spec.application_log_level)]


def _error_log(error: Mapping[str, Any], timestamp: int, log_format: str) -> LogEvent:
    """The runtime client's log event for an unhandled error: ``[ERROR] ...`` with the traceback under
    the Text format, a JSON object at level ERROR under the JSON format (what ``awslambdaric`` prints)."""
    if log_format == lambda_logs.JSON:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp / 1000))
        return LogEvent(timestamp, json.dumps({"timestamp": stamp, "level": "ERROR", **error}, ensure_ascii=False))
    head = "[ERROR]"
    if error.get("errorType"):
        head += " " + str(error["errorType"])
    if error.get("errorMessage"):
        head += (":" if error.get("errorType") else "") + " " + str(error["errorMessage"])
    lines = [head]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            for line in str(element).splitlines():
                stripped = line.lstrip(" ")
                lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    return LogEvent(timestamp, "\n".join(lines))


def _now_ms() -> int:
    return int(time.time() * 1000)


class _Environment:
    """One execution environment: a subprocess running some of the events."""

    def __init__(self, spec: FunctionSpec, python: str, site_packages: bool) -> None:
        self.spec = spec
        self.python = python
        self.site_packages = site_packages

    def command(self) -> list[str]:
        flags = ["-I", "-X", f"pycache_prefix={pycache_prefix()}"]
        if not self.site_packages:
            flags.append("-S")
        return [self.python, *flags, "-c", _BOOTSTRAP]

    def run(self, events: Sequence[tuple[str, Any, str]]) -> list[Invocation]:
        """Run ``(request_id, event, event_json)`` items; stop at the first that ends the environment."""
        spec = self.spec
        request = {
            "handler": spec.handler,
            "path": spec.sys_path(),
            "function_arn": spec.function_arn,
            "timeout_s": spec.timeout_s,
            "events": [{"request_id": rid, "event": text} for rid, _, text in events],
        }
        env = spec.lambda_environment(log_stream=log_stream_name())
        limit = INIT_TIMEOUT_S + spec.timeout_s * len(events) + _WATCHDOG_MARGIN_S
        try:
            proc = subprocess.run(
                self.command(), input=json.dumps(request), capture_output=True, text=True,
                encoding="utf-8", env=env, cwd=str(spec.code_dir), timeout=limit, check=False,
            )
            stdout, stderr, returncode = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as expired:
            out = expired.stdout
            stdout = out.decode("utf-8", "replace") if isinstance(out, bytes) else (out or "")
            stderr, returncode = "", -9
        except OSError as exc:
            raise LocalInvokeError(f"cannot start {self.python}: {exc.strerror or exc}") from None
        messages = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        if not messages or messages[0].get("kind") != "init":
            detail = " ".join(stderr.split())[-300:] or f"exit status {returncode}"
            raise LocalInvokeError(f"the Python subprocess ({self.python}) failed to start: {detail}")
        return self._invocations(messages, events, returncode)

    def _invocations(
        self, messages: list[dict[str, Any]], events: Sequence[tuple[str, Any, str]], returncode: int
    ) -> list[Invocation]:
        init = messages[0]
        init_error: dict[str, Any] | None = init.get("error")
        by_id = {m["request_id"]: m for m in messages[1:]}
        results: list[Invocation] = []
        spec = self.spec
        for index, (request_id, event, _) in enumerate(events):
            message = by_id.get(request_id)
            stamp = _now_ms()
            logs: list[LogEvent] = []
            if index == 0:
                logs += _lines(init.get("logs", ""), stamp, spec)
                if init_error is not None:
                    logs.append(_error_log(init_error, stamp, spec.log_format))
            logs.append(LogEvent(stamp, lambda_logs.start_line(request_id, spec.log_format, stamp), True))
            if init_error is not None:  # the client posted an init error and exited: a new environment next
                results.append(self._ended(request_id, event, True, logs, init_error, 0.0, 0, "error",
                                           init_ms=float(init.get("duration_ms", 0.0))))
                break
            if message is None:  # the process ended without a word: Lambda's Runtime.ExitError
                error = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                                    f"exit status {returncode}",
                }
                results.append(self._ended(request_id, event, index == 0, logs, error, 0.0, 0,
                                           "error"))
                break
            logs += _lines(message.get("logs", ""), stamp, spec)
            duration = float(message.get("duration_ms", 0.0))
            memory = int(message.get("max_memory_mb", 0))
            if message["kind"] == "timeout":
                logs.append(LogEvent(stamp, lambda_logs.timeout_line(request_id, spec.timeout_s, stamp), True))
                error = {"errorType": "Sandbox.Timedout",
                         "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                                         f"{spec.timeout_s:.2f} seconds"}
                results.append(self._ended(request_id, event, index == 0, logs, error, duration, memory,
                                           "timeout"))
                break
            failure: dict[str, Any] | None = message.get("error")
            if failure is not None:
                logs.append(_error_log(failure, stamp, spec.log_format))
                payload = json.dumps(failure)
            else:
                payload = message.get("payload") or "null"
            logs += self._closing(request_id, duration, memory,
                                  float(init.get("duration_ms", 0.0)) if index == 0 else None, stamp)
            results.append(Invocation(request_id, event, payload, failure, tuple(logs), index == 0, duration))
        return results

    def _closing(self, request_id: str, duration: float, memory: int, init_ms: float | None,
                 stamp: int, status: str = "") -> list[LogEvent]:
        lines = lambda_logs.end_lines(request_id, self.spec.log_format, stamp, duration_ms=duration,
                                      memory_mb=self.spec.memory_mb, max_memory_mb=memory, init_ms=init_ms,
                                      status=status)
        return [LogEvent(stamp, line, True) for line in lines]

    def _ended(self, request_id: str, event: Any, cold: bool, logs: list[LogEvent], error: dict[str, Any],
               duration: float, memory: int, status: str, init_ms: float | None = None) -> Invocation:
        logs += self._closing(request_id, duration, memory, init_ms, _now_ms(), status)
        return Invocation(request_id, event, json.dumps(error), error, tuple(logs), cold, duration)


#: Which runtime client runs a function: AWS's own (``awslambdaric``), this module's emulation,
#: or ``auto``: the real one where it is installed (Linux), else the emulation.
RUNTIMES = ("auto", "client", "emulated")


def invoke(
    spec: FunctionSpec,
    events: Iterable[Any],
    *,
    python: str = sys.executable,
    site_packages: bool = False,
    runtime: str = "auto",
) -> list[Invocation]:
    """Invoke ``spec`` with each event, in order, in one execution environment (one cold start).

    Events must be JSON-serialisable (Lambda passes JSON). When an invocation
    ends the environment (an init error, a timeout, the process exiting), the
    next event gets a new one, like on Lambda. ``runtime``: ``client`` runs AWS's
    runtime client (:mod:`protect_lambda_tools.runtime_client`), ``emulated`` this
    module's emulation, ``auto`` the client where it is installed. ``python`` is
    the interpreter (e.g. one matching the function's runtime); ``site_packages``
    makes its site-packages importable (the Lambda runtime bundles boto3; by
    default only the standard library, the code and the layers are, which proves
    the guard needs nothing else).

    Raises :class:`LocalInvokeError` when the environment cannot start.

    Example:
        >>> spec = FunctionSpec.for_handler("json.dumps", ".", protect=False)
        >>> [done] = invoke(spec, [{"a": 1}])  # json.dumps(event, context) fails: a TypeError
        >>> done.error["errorType"]
        'TypeError'
    """
    if runtime not in RUNTIMES:
        raise LocalInvokeError(f"runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
    items = []
    for event in events:
        try:
            text = json.dumps(event)
        except (TypeError, ValueError) as exc:
            raise LocalInvokeError(f"an event is not JSON: {exc}") from None
        items.append((str(uuid.uuid4()), event, text))
    environment = _environment(spec, python, site_packages, runtime)
    results: list[Invocation] = []
    while len(results) < len(items):
        done = environment.run(items[len(results):])
        if not done:  # pragma: no cover - run always answers for the first event
            raise LocalInvokeError("the execution environment returned no result")
        results += done
    seal = spec.environment.get(contract.SEAL_ENV, "")
    return [replace(result, seal=seal, function_name=spec.name) for result in results]


def _environment(spec: FunctionSpec, python: str, site_packages: bool, runtime: str) -> Any:
    from protect_lambda_tools import runtime_client

    if runtime == "client" or (runtime == "auto" and runtime_client.available()):
        if not runtime_client.available():
            raise LocalInvokeError("AWS's runtime client is not installed here (Linux only): "
                                   "pip install 'protect-lambda[local]', or use the emulation")
        return runtime_client.RicEnvironment(spec, python, site_packages)
    return _Environment(spec, python, site_packages)


def runtime_in_use(runtime: str = "auto") -> str:
    """``client`` or ``emulated``: what :func:`invoke` runs with ``runtime``.

    Example:
        >>> runtime_in_use("emulated")
        'emulated'
    """
    from protect_lambda_tools import runtime_client

    if runtime == "emulated" or (runtime == "auto" and not runtime_client.available()):
        return "emulated"
    return "client"
