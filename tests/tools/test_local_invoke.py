"""Local end-to-end invocation of the synthesized example, and the local Lambda runtime emulation.

The example assembly is the session fixture (one synth for the whole suite); each
example function runs in one subprocess (a cold start, then warm invocations),
shared by the assertions below through a module fixture.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import cx_api
from protect_lambda import contract
from protect_lambda_tools import runtime_client
from protect_lambda_tools.cli import main as cli_main
from protect_lambda_tools.local_invoke import (
    FunctionSpec,
    Invocation,
    LocalInvokeError,
    invoke,
)
from protect_lambda_tools.local_template import (
    function_from_template,
    load_template,
    monitoring_from_template,
    protected_functions,
    resolve_function,
)

from example.demo import SCENARIOS, TEST_CARD, FunctionRun, load_event, render, run_demo
from example.functions import orders_api

TEST_CARD_DIGITS = "4111111111111111"
#: the example's handler, called directly (without the guard) for comparison
ORDERS_API: Callable[[Any, Any], Any] = orders_api.handler


# --- the example, invoked once per function -------------------------------------------------


#: Every case runs on AWS's runtime client (where it installs) and on the emulation: the
#: emulation (what a machine without the client gets) is held to the client's behaviour.
RUNTIMES = [pytest.param("client", marks=pytest.mark.skipif(not runtime_client.available(),
                                                              reason="awslambdaric is not installed (Linux only)")),
            "emulated"]


@pytest.fixture(scope="module", params=RUNTIMES)
def runs(example_assembly: cx_api.CloudAssembly, request: pytest.FixtureRequest) -> dict[str, FunctionRun]:
    return {run.construct_id: run for run in run_demo(Path(example_assembly.directory), request.param)}


def _result(runs: dict[str, FunctionRun], function: str, event_file: str) -> Invocation:
    run = runs[function]
    for scenario, result in zip(run.scenarios, run.results):
        if scenario.event_file == event_file:
            return result
    raise AssertionError(f"no scenario {event_file} for {function}")


def _body(result: Invocation) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(result.response["body"])
    return body


def test_each_function_runs_every_scenario_in_one_environment(runs: dict[str, FunctionRun]) -> None:
    for name, run in runs.items():
        assert len(run.results) == len(SCENARIOS[name])
        assert [r.cold_start for r in run.results] == [True] + [False] * (len(run.results) - 1)
        assert len({r.request_id for r in run.results}) == len(run.results)
        reports = [e.message for r in run.results for e in r.log_events if e.message.startswith("REPORT ")]
        assert len(reports) == len(run.results)
        assert "Init Duration" in reports[0] and not any("Init Duration" in r for r in reports[1:])


def test_function_is_taken_from_the_template(runs: dict[str, FunctionRun]) -> None:
    spec = runs["OrdersApi"].spec
    assert spec.handler == contract.WRAPPER_HANDLER
    assert spec.environment[contract.ORIGINAL_HANDLER_ENV] == "orders_api.handler"
    assert spec.environment[contract.MODE_ENV] == contract.MODE_BLOCK
    assert (spec.code_dir / "orders_api.py").is_file() and spec.code_dir.name.startswith("asset.")
    [layer] = spec.layer_dirs
    assert (layer / "python" / "protect_lambda" / "wrapper.py").is_file()
    assert spec.memory_mb == 256 and spec.timeout_s == 10 and spec.runtime == "python3.14"
    assert spec.notes == ()


def test_clean_request_passes_unchanged(runs: dict[str, FunctionRun]) -> None:
    result = _result(runs, "OrdersApi", "api-lookup.json")
    direct = ORDERS_API(load_event("api-lookup.json"), None)  # the handler without the guard
    assert not result.failed and result.response == direct
    assert result.response["statusCode"] == 200 and result.violations == []


@pytest.mark.parametrize("event_file, category", [
    ("api-sqli.json", "sqli"), ("api-xss.json", "xss"), ("api-path-traversal.json", "path_traversal"),
])
def test_attacks_are_blocked_with_a_403(runs: dict[str, FunctionRun], event_file: str, category: str) -> None:
    result = _result(runs, "OrdersApi", event_file)
    assert result.response["statusCode"] == 403
    assert _body(result) == {"message": "Forbidden", "requestId": result.request_id}
    assert result.violations and {r[contract.FIELD_CATEGORY] for r in result.violations} == {category}
    assert all(r[contract.FIELD_ACTION] == contract.ACTION_BLOCKED for r in result.violations)
    assert all(r[contract.FIELD_DIRECTION] == contract.DIRECTION_INBOUND for r in result.violations)


@pytest.mark.parametrize("event_file, category", [
    ("api-export-card.json", "leak_card"), ("api-debug-trace.json", "leak_stacktrace"),
])
def test_leaking_responses_are_withheld(runs: dict[str, FunctionRun], event_file: str, category: str) -> None:
    result = _result(runs, "OrdersApi", event_file)
    direct = ORDERS_API(load_event(event_file), None)
    assert direct["statusCode"] in (200, 500) and ("4111" in direct["body"] or "Traceback" in direct["body"])
    assert result.response["statusCode"] == 500
    assert _body(result) == {"message": "Internal Server Error", "requestId": result.request_id}
    # the card in any spacing ("4111" alone could be part of the random request id in the body)
    assert TEST_CARD.search(result.payload) is None and "Traceback" not in result.payload
    assert {r[contract.FIELD_CATEGORY] for r in result.violations} == {category}
    assert all(r[contract.FIELD_DIRECTION] == contract.DIRECTION_OUTBOUND for r in result.violations)


def test_attack_message_becomes_a_batch_item_failure(runs: dict[str, FunctionRun]) -> None:
    result = _result(runs, "OrdersWorker", "worker-batch.json")
    records = load_event("worker-batch.json")["Records"]
    attack = [r["messageId"] for r in records if "169.254" in r["body"]]
    assert result.response == {"batchItemFailures": [{"itemIdentifier": m} for m in attack]}
    processed = [json.loads(line)["processed"] for line in result.printed if line.startswith('{"processed"')]
    assert processed == ["1001", "1003"]  # the clean records, and only them, reached the handler
    assert {r[contract.FIELD_LOCATION].split(".")[0] for r in result.violations} == {"Records[1]"}


def test_the_template_filter_matches_every_violation_record_and_nothing_else(
        runs: dict[str, FunctionRun]) -> None:
    checked = 0
    for run in runs.values():
        assert run.monitoring is not None
        seal = run.spec.environment[contract.SEAL_ENV]
        assert seal == run.spec.stack_id.rsplit("/", 1)[1]  # the uuid of the stack's id, as deployed
        assert run.monitoring.filter_pattern == contract.violation_filter_pattern(run.spec.name, seal)
        for result in run.results:
            for event in result.log_events:
                is_record = event.message in result.violation_lines
                assert run.monitoring.matches(event.message) is is_record, event.message
                checked += is_record
    # one record per blocked request (and one per blocked record of the batch: one here)
    assert checked == sum(s.expect not in ("pass", "forged") for scenarios in SCENARIOS.values() for s in scenarios)


def test_records_follow_the_contract(runs: dict[str, FunctionRun]) -> None:
    for run in runs.values():
        for result in run.results:
            for record in result.violations:
                assert tuple(record) in (contract.VIOLATION_FIELDS, contract.BATCH_VIOLATION_FIELDS)
                assert record[contract.FIELD_FUNCTION_NAME] == run.spec.name
                assert record[contract.FIELD_SEAL] == run.spec.environment[contract.SEAL_ENV]
                assert record[contract.FIELD_REQUEST_ID] == result.request_id


def test_no_log_event_contains_the_card_number(runs: dict[str, FunctionRun]) -> None:
    for run in runs.values():
        for result in run.results:
            for event in result.log_events:
                assert TEST_CARD_DIGITS not in event.message.replace(" ", "")
                assert "4111 1111" not in event.message


def test_records_drive_the_alarm_and_its_topic(runs: dict[str, FunctionRun]) -> None:
    for run in runs.values():
        assert run.monitoring is not None
        records = [r for result in run.results for r in result.violations]
        datapoint = run.monitoring.datapoint(records[0])
        assert datapoint == {contract.METRIC_DIMENSION: run.spec.name}
        [alarm] = run.monitoring.alarms_for(datapoint)
        assert alarm.id.startswith(run.construct_id) and alarm.breached_by(len(records))
        assert alarm.threshold == 1 and alarm.period_s == 300
        [topic] = alarm.topics
        assert any(s.startswith("sqs:AlertsQueue") for s in topic.subscriptions)
        assert "email:security-oncall@example.com" in topic.subscriptions


def test_demo_report(runs: dict[str, FunctionRun], example_assembly: cx_api.CloudAssembly) -> None:
    text, ok = render(list(runs.values()), "ProtectLambdaExample.template.json")
    assert ok, text
    assert text.count("-> ALARM") == 3 and "UNEXPECTED" not in text and "NOT MATCHED" not in text
    assert "sqs:AlertsQueue" in text and TEST_CARD_DIGITS not in text


# --- protect-lambda invoke --------------------------------------------------------------


def _template_file(assembly: cx_api.CloudAssembly) -> str:
    return str(Path(assembly.directory) / "ProtectLambdaExample.template.json")


def test_invoke_command_json(example_assembly: cx_api.CloudAssembly, capsys: pytest.CaptureFixture[str]) -> None:
    event = str(Path("example/events/worker-batch.json").resolve())
    code = cli_main(["invoke", "--template", _template_file(example_assembly), "--function", "OrdersWorker",
                     "--json", event])
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    [item] = doc["invocations"]
    assert item["response"]["batchItemFailures"] and item["violations"]
    assert all(v["filter_matches"] is True for v in item["violations"])
    assert item["other_lines_matched_by_filter"] == []
    [alarm] = [a for a in doc["alarms"] if a["count"]]
    assert alarm["would_alarm"] and alarm["id"].startswith("OrdersWorker")
    assert any(s.startswith("sqs:") for t in alarm["topics"] for s in t["subscriptions"])


@pytest.mark.parametrize("argv, message", [
    (["--handler", "app.handler", "--template", "x.json", "e.json"], "either --handler"),
    (["--template", "missing.template.json", "--function", "F", "e.json"], "no such file"),
    (["--handler", "app", "e.json"], "expected MODULE.FUNCTION"),
    (["--handler", "app.handler", "--code-dir", "no/such/dir", "e.json"], "no such directory"),
    (["--handler", "app.handler", "--env", "NOEQUALS", "e.json"], "KEY=VALUE"),
])
def test_invoke_command_errors_are_one_line(argv: list[str], message: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["invoke", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_invoke_command_unknown_function_and_bad_event(
        example_assembly: cx_api.CloudAssembly, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["invoke", "--template", _template_file(example_assembly), "--function", "Nope", "e.json"]) == 2
    err = capsys.readouterr().err
    assert "no function 'Nope'" in err and "OrdersApi" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert cli_main(["invoke", "--handler", "app.handler", "--code-dir", str(tmp_path), str(bad)]) == 2
    assert "not a JSON event" in capsys.readouterr().err


# --- template reading ---------------------------------------------------------------------


def test_resolve_function_and_protected_functions(example_template: dict[str, Any]) -> None:
    protected = protected_functions(example_template)
    assert len(protected) == 3  # OrdersApi and OrdersWorker (Python), OrdersApiNode (the proxy extension)
    assert resolve_function(example_template, "OrdersApiNode") in protected
    assert resolve_function(example_template, "OrdersApi") in protected
    assert resolve_function(example_template, "ProtectLambdaExample/OrdersWorker") in protected
    with pytest.raises(LocalInvokeError, match="no function"):
        resolve_function(example_template, "Orders")


def test_alarm_on_a_dimensionless_metric_drives_nothing(example_assembly: cx_api.CloudAssembly,
                                                        tmp_path: Path) -> None:
    """The issue-2 bug: an alarm without the filter's dimensions is never driven; the reader shows it."""
    template = load_template(_template_file(example_assembly))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            resource["Properties"].pop("Dimensions")
    monitoring = monitoring_from_template(template, "OrdersApi", "orders")
    assert monitoring is not None
    assert monitoring.alarms and monitoring.alarms_for(monitoring.datapoint({"function_name": "orders"})) == []


def test_missing_asset_is_a_clear_error(example_assembly: cx_api.CloudAssembly, tmp_path: Path) -> None:
    copy = tmp_path / "Stack.template.json"
    copy.write_text(Path(_template_file(example_assembly)).read_text())
    with pytest.raises(LocalInvokeError, match="asset directory .* not found"):
        function_from_template(copy, "OrdersApi")


# --- the runtime emulation, on a small handler (one subprocess for most cases) ---------------

_APP = '''
import os, sys, time
print("init")
def handler(event, context):
    op = event["op"]
    if op == "context":
        return {"name": context.function_name, "version": context.function_version,
                "arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb,
                "request_id": context.aws_request_id, "group": context.log_group_name,
                "stream": context.log_stream_name, "remaining": context.get_remaining_time_in_millis(),
                "cwd": os.getcwd(), "path0": sys.path[0]}
    if op == "env":
        return dict(os.environ)
    if op == "raise":
        print("about to fail")
        raise ValueError("bad order")
    if op == "unserialisable":
        return {"when": object()}
    if op == "sleep":
        time.sleep(5)
    if op == "exit":
        sys.exit(3)
    if op == "import":
        import boto3  # not on the path: only the standard library, the code and the layers are
    return None
'''


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("app")
    (directory / "app.py").write_text(textwrap.dedent(_APP))
    return directory


@pytest.fixture(scope="module", params=RUNTIMES)
def emulated(app_dir: Path, request: pytest.FixtureRequest) -> list[Invocation]:
    os.environ["PROTECT_LAMBDA_TEST_SECRET"] = "parent-only"
    try:
        spec = FunctionSpec(name="app-fn", handler="app.handler", code_dir=app_dir, memory_mb=512,
                            timeout_s=1.0, environment={"STAGE": "test"})
        ops = ["context", "env", "raise", "unserialisable", "import", "sleep", "context", "exit", "context"]
        return invoke(spec, [{"op": op} for op in ops], runtime=request.param)
    finally:
        del os.environ["PROTECT_LAMBDA_TEST_SECRET"]


def test_context_object(emulated: list[Invocation], app_dir: Path) -> None:
    context = emulated[0].response
    assert context["name"] == "app-fn" and context["version"] == "$LATEST" and context["memory"] == "512"
    assert context["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:app-fn"
    assert context["request_id"] == emulated[0].request_id and context["group"] == "/aws/lambda/app-fn"
    assert "[$LATEST]" in context["stream"]
    assert 0 < context["remaining"] <= 1000
    assert Path(context["cwd"]).resolve() == app_dir.resolve() == Path(context["path0"]).resolve()


def test_environment_is_lambda_s_not_the_parent_s(emulated: list[Invocation]) -> None:
    env = emulated[1].response
    assert env["STAGE"] == "test" and env["AWS_LAMBDA_FUNCTION_NAME"] == "app-fn" and env["_HANDLER"] == "app.handler"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.14" and env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert "PROTECT_LAMBDA_TEST_SECRET" not in env and "AWS_ACCESS_KEY_ID" not in env


def test_handler_error_as_lambda_reports_it(emulated: list[Invocation]) -> None:
    failed = emulated[2]
    assert failed.failed and failed.error is not None
    assert failed.error["errorType"] == "ValueError" and failed.error["errorMessage"] == "bad order"
    assert failed.error["requestId"] == failed.request_id
    assert any('app.py", line' in frame for frame in failed.error["stackTrace"])
    assert "about to fail" in failed.printed
    [error_event] = [m for m in failed.printed if m.startswith("[ERROR]")]
    assert error_event.startswith("[ERROR] ValueError: bad order\nTraceback (most recent call last):\n")
    marshal = emulated[3].error
    assert marshal is not None and marshal["errorType"] == "Runtime.MarshalError"
    imported = emulated[4].error
    assert imported is not None and imported["errorType"] == "ModuleNotFoundError"


def test_timeout_and_exit_end_the_environment(emulated: list[Invocation]) -> None:
    timed_out, after, exited, last = emulated[5], emulated[6], emulated[7], emulated[8]
    assert timed_out.error is not None and timed_out.error["errorType"] == "Sandbox.Timedout"
    assert any("Task timed out after 1.00 seconds" in m.message for m in timed_out.log_events)
    assert after.cold_start and not after.failed and "init" in after.printed  # a new environment
    assert exited.error is not None and exited.error["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in exited.error["errorMessage"]
    assert last.cold_start and last.response["name"] == "app-fn"
    assert [r.cold_start for r in emulated[:5]] == [True, False, False, False, False]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_init_errors(app_dir: Path, runtime: str) -> None:
    results = invoke(FunctionSpec(name="f", handler="app.nope", code_dir=app_dir), [{"op": "x"}], runtime=runtime)
    results += invoke(FunctionSpec(name="f", handler="missing_module.handler", code_dir=app_dir), [{"op": "x"}],
                      runtime=runtime)
    results += invoke(FunctionSpec(name="f", handler="nodot", code_dir=app_dir), [{"op": "x"}], runtime=runtime)
    assert [r.error["errorType"] for r in results if r.error] == [
        "Runtime.HandlerNotFound", "Runtime.ImportModuleError", "Runtime.MalformedHandlerName"]


def test_for_handler_puts_the_guard_in_front(app_dir: Path) -> None:
    spec = FunctionSpec.for_handler("app.handler", app_dir, environment={contract.MODE_ENV: "monitor"})
    [clean, attack] = invoke(spec, [{"op": "none"}, {"op": "none", "q": "<script>alert(1)</script>"}])
    assert clean.response is None and clean.violations == []
    assert attack.response is None  # monitor mode: recorded, not blocked
    assert attack.violations and all(r[contract.FIELD_ACTION] == contract.ACTION_DETECTED
                                     for r in attack.violations)


def test_events_must_be_json(app_dir: Path) -> None:
    with pytest.raises(LocalInvokeError, match="not JSON"):
        invoke(FunctionSpec(name="f", handler="app.handler", code_dir=app_dir), [{"op": object()}])


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_missing_interpreter_is_a_clear_error(app_dir: Path, runtime: str) -> None:
    with pytest.raises(LocalInvokeError, match="cannot start"):
        invoke(FunctionSpec(name="f", handler="app.handler", code_dir=app_dir), [{}], runtime=runtime,
               python=str(app_dir / "no-python"))
