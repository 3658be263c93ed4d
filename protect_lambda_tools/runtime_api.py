"""A local Lambda Runtime API: what the Lambda service serves at ``AWS_LAMBDA_RUNTIME_API``.

A runtime client (AWS's ``awslambdaric`` for Python) asks it for the next event,
then posts the handler's response or error; it posts an init error when the
handler cannot be loaded. :class:`RuntimeApi` serves one execution environment on
a loopback port: the caller queues events with :meth:`RuntimeApi.queue_event` and
reads what the client did from :attr:`RuntimeApi.messages`, in order.

Endpoints (``/2018-06-01/runtime/...``): ``invocation/next``, ``invocation/{id}/response``,
``invocation/{id}/error``, ``init/error``, ``restore/next`` and ``restore/error`` (SnapStart);
and the two of the Extensions API an external extension needs (``/2020-01-01/extension/register``,
``event/next``, which answers ``SHUTDOWN`` when the API is closed).

Pure standard library. A developer tool: it is not shipped in the Lambda layer.

Example:
    >>> api = RuntimeApi("arn:aws:lambda:us-east-1:123456789012:function:f")
    >>> api.address.startswith("127.0.0.1:")
    True
    >>> api.close()
"""

from __future__ import annotations

import json
import queue
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

PREFIX = "/2018-06-01/runtime"
EXTENSION_PREFIX = "/2020-01-01/extension"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a proxy or a client started next to the Runtime API).

    Example:
        >>> 0 < free_port() < 65536
        True
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Pending:
    """An event waiting for the client's next ``invocation/next``."""

    request_id: str
    body: bytes
    deadline_ms: int
    trace_id: str = ""


@dataclass(frozen=True)
class Message:
    """What the client did: ``next`` (it asked for an event), ``response``, ``error``,
    ``init_error``, ``restore_next`` or ``restore_error``; an extension: ``extension_register``
    (``body`` is its name) or ``extension_next``."""

    kind: str
    request_id: str = ""
    body: bytes = b""
    error_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    #: trailers of a chunked body (a streamed response's error type and body)
    trailers: dict[str, str] = field(default_factory=dict)


class RuntimeApi:
    """The Runtime API of one execution environment, on ``127.0.0.1`` and a free port."""

    def __init__(self, function_arn: str) -> None:
        self.function_arn = function_arn
        self.messages: queue.Queue[Message] = queue.Queue()
        self._events: queue.Queue[Optional[Pending]] = queue.Queue()
        self._shutdown = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no delayed-ACK stall between the client's writes

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
                pass  # the client's requests are not the function's logs

            def _body(self) -> tuple[bytes, dict[str, str]]:
                """The request's body, and the trailers of a chunked one."""
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks: list[bytes] = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            trailers: dict[str, str] = {}
                            while line := self.rfile.readline().strip():
                                name, _, value = line.decode("latin-1").partition(":")
                                trailers[name.strip()] = value.strip()
                            return b"".join(chunks), trailers
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return (self.rfile.read(length) if length else b""), {}

            def _answer(self, status: int, body: bytes = b"", headers: Optional[dict[str, str]] = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                try:
                    self.end_headers()
                    if body:
                        self.wfile.write(body)
                except OSError:  # the client is gone (its environment was shut down)
                    self.close_connection = True

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path == f"{PREFIX}/invocation/next":
                    api.messages.put(Message("next"))
                    pending = api._events.get()
                    if pending is None:  # the environment is being shut down
                        self._answer(500, b'{"errorType":"Runtime.Shutdown"}')
                        return
                    headers = {
                        "Content-Type": "application/json",
                        "Lambda-Runtime-Aws-Request-Id": pending.request_id,
                        "Lambda-Runtime-Deadline-Ms": str(pending.deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    }
                    if pending.trace_id:
                        headers["Lambda-Runtime-Trace-Id"] = pending.trace_id
                    self._answer(200, pending.body, headers)
                elif self.path == f"{PREFIX}/restore/next":
                    api.messages.put(Message("restore_next"))
                    self._answer(200)
                elif self.path == f"{EXTENSION_PREFIX}/event/next":
                    api.messages.put(Message("extension_next"))
                    api._shutdown.wait()
                    self._answer(200, b'{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":0}',
                                 {"Content-Type": "application/json"})
                else:
                    self._answer(404)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body, trailers = self._body()
                parts = self.path.removeprefix(PREFIX).strip("/").split("/")
                error_type = self.headers.get(ERROR_TYPE_HEADER, "")
                headers: dict[str, str] = {}
                for key, value in self.headers.items():  # a header sent twice: its values joined (RFC 9110)
                    headers[key] = f"{headers[key]}, {value}" if key in headers else value
                # recorded before the answer: a client may exit (or ask for the next event on a new
                # connection) as soon as it has it
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    api.messages.put(Message(parts[2], parts[1], body, error_type, headers, trailers))
                    self._answer(202)
                elif parts == ["init", "error"]:
                    api.messages.put(Message("init_error", "", body, error_type, headers))
                    self._answer(202)
                elif self.path == f"{EXTENSION_PREFIX}/register":
                    name = self.headers.get("Lambda-Extension-Name", "")
                    api.messages.put(Message("extension_register", "", name.encode(), "", headers))
                    function_name = api.function_arn.rsplit(":", 1)[-1]
                    self._answer(200, json.dumps({"functionName": function_name, "functionVersion": "$LATEST",
                                                  "handler": ""}).encode(),
                                 {"Content-Type": "application/json", "Lambda-Extension-Identifier": f"ext-{name}"})
                elif parts == ["restore", "error"]:
                    api.messages.put(Message("restore_error", "", body, error_type, headers))
                    self._answer(202)
                else:
                    self._answer(404)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request (a timeout, the end of an environment) is expected

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="runtime-api", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        """``host:port``, the value of ``AWS_LAMBDA_RUNTIME_API``."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def queue_event(self, pending: Pending) -> None:
        """Hand ``pending`` to the client's next ``invocation/next``."""
        self._events.put(pending)

    def close(self) -> None:
        """Stop serving (a client still waiting for an event gets an error, an extension ``SHUTDOWN``)."""
        self._events.put(None)
        self._shutdown.set()
        self._server.shutdown()
        self._server.server_close()
