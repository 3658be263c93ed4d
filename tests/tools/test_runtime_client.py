"""The guard under AWS's own Python runtime client (awslambdaric), and the emulation held to it.

Each case runs on the real client against the local Runtime API (the guard layer mounted
read-only at /opt in a private mount namespace when the tests run as root) and on the
emulation a machine without the client gets; both must give the same answers and the same
log lines. Skipped cases say why (the client's wheels are Linux-only).
"""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import cx_api
from protect_lambda import contract

from protect_lambda_tools import lambda_logs, runtime_client
from protect_lambda_tools.local_invoke import FunctionSpec, Invocation, invoke
from protect_lambda_tools.local_template import function_from_template

from example.demo import TEST_CARD

CLIENT = pytest.mark.skipif(not runtime_client.available(), reason="awslambdaric is not installed (Linux only)")
BOTH = [pytest.param("client", marks=CLIENT), "emulated"]
EVENTS = Path(__file__).resolve().parents[2] / "example" / "events"


def _event(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


def _template(assembly: cx_api.CloudAssembly) -> str:
    return str(Path(assembly.directory) / "ProtectLambdaExample.template.json")


@pytest.fixture(scope="module")
def api_spec(example_assembly: cx_api.CloudAssembly) -> FunctionSpec:
    return function_from_template(_template(example_assembly), "OrdersApi")


@pytest.fixture(scope="module")
def guard_layer(api_spec: FunctionSpec) -> Path:
    [layer] = api_spec.layer_dirs
    return layer


def _normalised(result: Invocation) -> dict[str, Any]:
    """What must be the same on both runtimes: the answer, the error, the function's lines."""
    def line(text: str) -> Any:
        text = text.replace(result.request_id, "<request>")
        if text.startswith("{"):
            data = json.loads(text)
            for volatile in ("timestamp", "time"):
                data.pop(volatile, None)
            if isinstance(data.get("stackTrace"), list):
                data["stackTrace"] = len(data["stackTrace"]) > 0
            return data
        return re.sub(r"Traceback.*", "Traceback", text, flags=re.S)

    error = dict(result.error) if result.error else None
    if error is not None:
        error.pop("stackTrace", None)
        error = {k: str(v).replace(result.request_id, "<request>") for k, v in error.items()}
    payload = None if result.failed else json.loads(result.payload.replace(result.request_id, "<request>"))
    return {"payload": payload, "error": error, "printed": [line(t) for t in result.printed],
            "platform": [e.message.split(" ")[0] if not e.message.startswith("{") else json.loads(e.message)["type"]
                         for e in result.log_events if e.platform]}


def _both(spec: FunctionSpec, events: list[Any]) -> list[list[Invocation]]:
    runtimes = ["emulated", *(["client"] if runtime_client.available() else [])]
    return [invoke(spec, events, runtime=runtime) for runtime in runtimes]


# --- the example's functions, Text and JSON log formats --------------------------------------


@pytest.mark.parametrize("log_format, level", [("Text", ""), ("JSON", ""), ("JSON", "WARN"), ("JSON", "ERROR")])
def test_the_example_answers_and_logs_alike_on_both_runtimes(
    api_spec: FunctionSpec, log_format: str, level: str
) -> None:
    spec = dataclasses.replace(api_spec, log_format=log_format, application_log_level=level)
    events = [_event(n) for n in ("api-lookup.json", "api-sqli.json", "api-export-card.json",
                                  "api-forged-record.json")]
    outcomes = _both(spec, events)
    for results in outcomes:
        lookup, sqli, card, forged = results
        assert lookup.response["statusCode"] == 200 and sqli.response["statusCode"] == 403
        assert card.response["statusCode"] == 500 and TEST_CARD.search(card.payload) is None
        assert forged.response["statusCode"] == 200
        dropped = level == "ERROR"  # records are WARN: Lambda would drop them (the construct refuses this)
        assert [len(r.violations) for r in results] == ([0, 0, 0, 0] if dropped else [0, 1, 1, 0])
        assert forged.forged == ([] if dropped else forged.printed)  # the forgery is WARN and stamped
        starts = [e.message for r in results for e in r.log_events if e.platform][:1]
        assert starts[0].startswith("{" if log_format == "JSON" else "START")
    assert [[_normalised(r) for r in results] for results in outcomes[1:]] == [
        [_normalised(r) for r in outcomes[0]]] * (len(outcomes) - 1)


@pytest.mark.parametrize("runtime", BOTH)
def test_a_poisoned_queue_record_is_a_batch_item_failure(example_assembly: cx_api.CloudAssembly,
                                                         runtime: str) -> None:
    spec = function_from_template(_template(example_assembly), "OrdersWorker")
    [result] = invoke(spec, [_event("worker-batch.json")], runtime=runtime)
    records = _event("worker-batch.json")["Records"]
    assert result.response == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}
    [record] = result.violations
    assert record[contract.FIELD_ITEM_ID] == records[1]["messageId"] and record[contract.FIELD_RECORD_INDEX] == 1


# --- small handlers behind the guard layer -------------------------------------------------

_PROBE = '''
import os, sys
import protect_lambda

def handler(event, context):
    if isinstance(event, dict) and event.get("op") == "probe":
        try:
            open(os.path.join(os.path.dirname(protect_lambda.__file__), "written"), "w").close()
            writable = True
        except OSError as error:
            writable = error.strerror
        return {"guard": protect_lambda.__file__, "writable": writable,
                "seal": os.environ.get("PROTECT_LAMBDA_SEAL")}
    if isinstance(event, dict) and event.get("op") == "raise":
        raise ValueError("order 42 is broken")
    if isinstance(event, dict) and "Records" in event:
        return {"seen": [r["kinesis"]["sequenceNumber"] for r in event["Records"]]}
    return {"type": type(event).__name__}
'''


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("probe-code")
    (directory / "probe.py").write_text(textwrap.dedent(_PROBE))
    (directory / "broken_syntax.py").write_text("def handler(event, context)\n    return 1\n")
    (directory / "broken_import.py").write_text("import os\nTABLE = os.environ['ORDERS_TABLE']\n")
    return directory


def _protected(code_dir: Path, guard_layer: Path, handler: str, **env: str) -> FunctionSpec:
    environment = {contract.ORIGINAL_HANDLER_ENV: handler, contract.SEAL_ENV: "5ea1-0f-the-stack", **env}
    return FunctionSpec(name="probe", handler=contract.WRAPPER_HANDLER, code_dir=code_dir,
                        layer_dirs=(guard_layer,), environment=environment, runtime="python3.14")


@CLIENT
def test_the_guard_runs_from_a_read_only_opt_as_in_lambda(code_dir: Path, guard_layer: Path) -> None:
    if not runtime_client.can_isolate():
        pytest.skip("a private mount namespace needs root and unshare")
    [result] = invoke(_protected(code_dir, guard_layer, "probe.handler"), [{"op": "probe"}], runtime="client")
    assert result.response["guard"] == "/opt/python/protect_lambda/__init__.py"
    assert result.response["writable"] == "Read-only file system"
    assert result.response["seal"] is None  # the wrapper took it out of the environment


@pytest.mark.parametrize("runtime", BOTH)
def test_a_handler_that_raises_and_odd_events_pass_through(code_dir: Path, guard_layer: Path, runtime: str) -> None:
    spec = _protected(code_dir, guard_layer, "probe.handler")
    raised, *odd = invoke(spec, [{"op": "raise"}, [1, 2], "text", None, 42, {"deep": [[[[{"x": "y"}]]]]}],
                          runtime=runtime)
    assert raised.error is not None and raised.error["errorType"] == "ValueError"
    assert raised.error["errorMessage"] == "order 42 is broken"
    assert any(line.startswith("[ERROR] ValueError: order 42 is broken") for line in raised.printed)
    assert [r.response for r in odd] == [{"type": t} for t in ("list", "str", "NoneType", "int", "dict")]
    assert not any(r.records(contract.GUARD_ERROR_MARKER) for r in odd)


@pytest.mark.parametrize("runtime", BOTH)
def test_a_poisoned_stream_record_holds_back_the_rest_of_the_batch(code_dir: Path, guard_layer: Path,
                                                                  runtime: str) -> None:
    import base64

    def record(index: int, payload: str) -> dict[str, Any]:
        return {"eventSource": "aws:kinesis", "eventSourceARN": "arn:aws:kinesis:us-east-1:1:stream/s",
                "kinesis": {"sequenceNumber": f"49{index:03d}", "partitionKey": "p",
                            "data": base64.b64encode(payload.encode()).decode()}}

    batch = {"Records": [record(0, "order 1"), record(1, "<script>alert(1)</script>"), record(2, "order 3")]}
    [result] = invoke(_protected(code_dir, guard_layer, "probe.handler"), [batch], runtime=runtime)
    assert result.response == {"seen": ["49000"], "batchItemFailures": [{"itemIdentifier": "49001"},
                                                                        {"itemIdentifier": "49002"}]}


@pytest.mark.parametrize("runtime", BOTH)
@pytest.mark.parametrize("initialization", ["on-demand", "provisioned-concurrency", "snap-start"])
def test_an_unloadable_handler_fails_the_init_phase_naming_it(
    code_dir: Path, guard_layer: Path, runtime: str, initialization: str
) -> None:
    """Before any invocation: SnapStart publishing and provisioned concurrency fail too."""
    env = {"AWS_LAMBDA_INITIALIZATION_TYPE": initialization}
    results = invoke(_protected(code_dir, guard_layer, "orders.handler", **env), [{"op": "x"}, {"op": "x"}],
                     runtime=runtime)
    assert [r.cold_start for r in results] == [True, True]  # each invocation: a new init, failing again
    error = results[0].error
    assert error is not None and error["errorType"] == "Runtime.ImportModuleError"
    assert "PROTECT_LAMBDA_ORIGINAL_HANDLER='orders.handler': cannot import module 'orders'" in error["errorMessage"]
    assert any("Runtime.ImportModuleError" in line for line in results[0].printed)  # the client's [ERROR] line


@pytest.mark.parametrize("runtime", BOTH)
def test_errors_of_the_users_module_are_reported_as_unwrapped(code_dir: Path, guard_layer: Path,
                                                              runtime: str) -> None:
    attribute, syntax, raising = [
        invoke(_protected(code_dir, guard_layer, handler), [{"op": "x"}], runtime=runtime)[0].error
        for handler in ("probe.nope", "broken_syntax.handler", "broken_import.handler")]
    assert attribute is not None and attribute["errorType"] == "Runtime.ImportModuleError"
    assert "module 'probe' has no attribute 'nope'" in attribute["errorMessage"]
    assert syntax is not None and syntax["errorType"] == "Runtime.UserCodeSyntaxError"
    assert "broken_syntax.py" in syntax["errorMessage"]
    assert raising is not None and raising["errorType"] == "KeyError"


def test_the_service_rules_for_json_logs() -> None:
    record = '{"event":"Violation","level":"WARN","timestamp":"2026-01-01T00:00:00.000Z"}'
    assert lambda_logs.filed_level(record) == "WARN"
    assert [lambda_logs.delivered(record, "JSON", level) for level in contract.LOG_LEVELS] == [
        True, True, True, True, False, False]
    assert lambda_logs.delivered("START RequestId: x", "JSON", "WARN") is False
    assert all(lambda_logs.delivered(record, "Text", level) for level in contract.LOG_LEVELS)


@pytest.mark.parametrize("runtime", BOTH)
@pytest.mark.parametrize("initialization", ["provisioned-concurrency", "snap-start"])
def test_a_prewarmed_environment_answers_after_its_init(code_dir: Path, guard_layer: Path, runtime: str,
                                                         initialization: str) -> None:
    """SnapStart: the client asks restore/next after the init phase, then for events."""
    spec = _protected(code_dir, guard_layer, "probe.handler", AWS_LAMBDA_INITIALIZATION_TYPE=initialization)
    first, second = invoke(spec, [[1], {"q": "<script>alert(1)</script>"}], runtime=runtime)
    assert first.response == {"type": "list"} and first.cold_start and not second.cold_start
    assert second.error is not None and second.error["errorType"] == "GuardBlockedError"
