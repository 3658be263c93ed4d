"""The proxy extension under AWS's Node.js runtime interface client (npm aws-lambda-ric).

`make test` installs the client (pinned; it compiles its native part) into .node-ric/; run alone,
the tests take it from PROTECT_LAMBDA_NODE_RIC (the path of its aws-lambda-ric command) and are
skipped, saying so, when it is not there. Each case runs the same client on the same events once
directly and once behind the wrapper and the proxy: what reaches the Runtime API must be the same
bytes and headers, a streamed response's chunks and trailers included.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from protect_lambda_tools.proxy_invoke import DEFAULT_NODE_RIC, NODE_BIN

from .conftest import TRACE, direct_and_proxied

RIC = Path(os.environ.get("PROTECT_LAMBDA_NODE_RIC", DEFAULT_NODE_RIC))
pytestmark = pytest.mark.skipif(not RIC.exists() or shutil.which("node", path=str(NODE_BIN)) is None,
                                reason=f"the Node.js runtime client is not installed at {RIC} (make test installs it)")

HANDLERS = textwrap.dedent('''
    export const echo = async (event, context) => ({
      event, requestId: context.awsRequestId, arn: context.invokedFunctionArn,
      remainingPositive: context.getRemainingTimeInMillis() > 0, trace: process.env._X_AMZN_TRACE_ID,
    });
    export const fail = async () => { throw new TypeError("boom"); };
    export const stream = awslambda.streamifyResponse(async (event, responseStream) => {
      responseStream.setContentType("text/plain");
      responseStream.write("first chunk, ");
      await new Promise((resolve) => setTimeout(resolve, 20));
      responseStream.write("second chunk of " + event.q);
      responseStream.end();
    });
    export const streamFails = awslambda.streamifyResponse(async (event, responseStream) => {
      responseStream.write("partial ");
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new RangeError("mid-stream");
    });
''')


def node_code(tmp_path: Path, handlers: str) -> Path:
    """A function's code folder holding ``handlers`` as index.mjs."""
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "index.mjs").write_text(handlers)
    return folder


@pytest.fixture
def code(tmp_path: Path) -> Path:
    return node_code(tmp_path, HANDLERS)


def _run(binary: Path, workdir: Path, code: Path, handler: str, events: list[object], final: str):
    env = {"PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "_HANDLER": handler}
    return direct_and_proxied(binary, workdir, [str(RIC), handler], code, env, events, final)


def test_buffered_responses_are_the_same_through_the_proxy(proxy_binary, tmp_path, code):
    events = [{"q": "plain"}, {"q": "\u0000\u001f control, \U0001F600 astral"}, {"big": "y" * 200_000}]
    direct, proxied = _run(proxy_binary, tmp_path, code, "index.echo", events, "response")
    assert proxied == direct
    for n, (kind, request_id, body, _, _) in enumerate(proxied):
        answer = json.loads(body)
        assert (kind, request_id) == ("response", f"req-{n}")
        assert answer == {"event": events[n], "requestId": f"req-{n}",
                          "arn": "arn:aws:lambda:us-east-1:123456789012:function:proxied",
                          "remainingPositive": True, "trace": TRACE}


def test_handler_errors_are_the_same_through_the_proxy(proxy_binary, tmp_path, code):
    direct, proxied = _run(proxy_binary, tmp_path, code, "index.fail", [{}], "error")
    assert proxied == direct
    assert json.loads(proxied[-1][2])["errorType"] == "TypeError"


@pytest.mark.parametrize("handler", ["index.stream", "index.streamFails"])
def test_streamed_responses_pass_through_with_their_trailers(proxy_binary, tmp_path, code, handler):
    """A streamed response (chunked, with trailers for a mid-stream error) is forwarded as written."""
    direct, proxied = _run(proxy_binary, tmp_path, code, handler, [{"q": "the event"}], "response")
    assert proxied == direct
    kind, _, body, headers, trailers = proxied[-1]
    assert kind == "response"
    assert headers["lambda-runtime-function-response-mode"] == "streaming"
    if handler == "index.stream":
        assert body == b"first chunk, second chunk of the event"
        assert not any(trailers.values())
    else:  # the error arrives in the trailers, after what was streamed
        assert body.startswith(b"partial ")
        assert trailers["Lambda-Runtime-Function-Error-Type"] == "RangeError"
