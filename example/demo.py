"""The end-to-end story of the example app, run locally: attack -> block -> Violation -> metric -> alarm -> SNS.

Invokes the synthesized example's OrdersApi with API Gateway HTTP API (payload 2.0)
events and OrdersWorker with an SQS batch, each function in one fresh process on AWS's
Python runtime client (``awslambdaric``, where it installs; an emulation elsewhere),
a cold start then warm invocations, through the real guard wrapper, with the
handler, environment, code and guard layer of ``cdk.out``; and OrdersApiNode, the same API
on Node.js, on AWS's Node.js runtime client behind the proxy extension of its layer
(``protect_lambda_tools.proxy_invoke``). It prints the responses,
the Violation records as CloudWatch Logs would receive them, and, read from the
template, the metric filter that counts each record, the alarm it drives and the
SNS topic with its subscribers. Nothing is deployed: the filter pattern is
evaluated locally (protect_lambda_tools.filter_pattern), the alarm from its threshold.

Exit status 0 when every outcome is the expected one, 1 otherwise, 2 without a
synthesized assembly.

Example:
    $ npx cdk synth --quiet && python -m example.demo cdk.out
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protect_lambda import contract
from protect_lambda_tools.local_invoke import (
    RUNTIMES,
    FunctionSpec,
    Invocation,
    LocalInvokeError,
    invoke,
    runtime_in_use,
)
from protect_lambda_tools.local_template import (
    Monitoring,
    function_from_template,
    load_template,
    monitoring_from_template,
    resolve_function,
)

EVENTS_DIR = Path(__file__).parent / "events"
#: The test card the export function returns, in any spacing: a withheld response must not hold it
#: ("4111" alone is no proof of a leak: a random request id in the payload may hold those digits).
TEST_CARD = re.compile(r"4111\D?1111\D?1111\D?1111")


@dataclass(frozen=True)
class Scenario:
    """One event sent to a function, and the outcome the demo expects."""

    label: str
    event_file: str
    expect: str  # "pass", "blocked" (403), "withheld" (500), "batch", or "forged" (logged, not counted)


#: construct id -> the scenarios sent to it, in order (the first is the cold start).
SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "OrdersApi": (
        Scenario("normal lookup", "api-lookup.json", "pass"),
        Scenario("SQL injection in the query", "api-sqli.json", "blocked"),
        Scenario("XSS in a JSON body", "api-xss.json", "blocked"),
        Scenario("path traversal in the path", "api-path-traversal.json", "blocked"),
        Scenario("card number in the response (?export=card)", "api-export-card.json", "withheld"),
        Scenario("stack trace in the response (?debug=1)", "api-debug-trace.json", "withheld"),
        Scenario("forged Violation record the handler logs", "api-forged-record.json", "forged"),
    ),
    "OrdersApiNode": (
        Scenario("normal lookup (Node.js)", "api-lookup.json", "pass"),
        Scenario("SQL injection in the query", "api-sqli.json", "blocked"),
        Scenario("path traversal in the path", "api-path-traversal.json", "blocked"),
        Scenario("card number in the response (?export=card)", "api-export-card.json", "withheld"),
        Scenario("stack trace in the response (?debug=1)", "api-debug-trace.json", "withheld"),
        Scenario("forged Violation record the handler logs", "api-forged-record.json", "forged"),
    ),
    "OrdersWorker": (
        Scenario("SQS batch: 2 clean orders, 1 attack", "worker-batch.json", "batch"),
    ),
}


@dataclass
class FunctionRun:
    """What happened to one function: its spec, monitoring chain and one invocation per scenario."""

    construct_id: str
    spec: FunctionSpec
    monitoring: Monitoring | None
    scenarios: tuple[Scenario, ...]
    results: list[Invocation] = field(default_factory=list)

    def events(self) -> list[Any]:
        """The scenario events, as sent."""
        return [load_event(s.event_file) for s in self.scenarios]


def load_event(name: str) -> Any:
    """A sample event of ``example/events``."""
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


def find_template(assembly: Path) -> Path:
    """The template in ``assembly`` that holds the example's OrdersApi function."""
    manifest_file = assembly / "manifest.json"
    if not manifest_file.is_file():
        raise LocalInvokeError(f"{assembly}: no cloud assembly here; run `npx cdk synth` first")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = assembly / str(artifact["properties"]["templateFile"])
        try:
            resolve_function(load_template(template_file), "OrdersApi")
            return template_file
        except LocalInvokeError:
            continue
    raise LocalInvokeError(f"{assembly}: no stack with the example's OrdersApi function")


def run_demo(assembly: Path, runtime: str = "auto") -> list[FunctionRun]:
    """Invoke every scenario: one execution environment (subprocess) per function.

    ``runtime``: ``client`` (AWS's runtime client), ``emulated``, or ``auto`` (the client where installed).
    """
    template_file = find_template(assembly)
    template = load_template(template_file)
    runs = []
    for construct_id, scenarios in SCENARIOS.items():
        spec = function_from_template(template_file, construct_id)
        run = FunctionRun(construct_id, spec, monitoring_from_template(template, construct_id, spec.name, stack_id=spec.stack_id),
                          scenarios)
        if spec.runtime.startswith("nodejs"):  # behind the proxy extension, on AWS's Node.js client
            from protect_lambda_tools.proxy_invoke import invoke_proxied

            run.results = invoke_proxied(spec, run.events())
        else:
            run.results = invoke(spec, run.events(), runtime=runtime)
        runs.append(run)
    return runs


# --- checking and showing ------------------------------------------------------------------


def outcome(scenario: Scenario, result: Invocation, run: FunctionRun) -> tuple[str, bool]:
    """A short description of ``result`` and whether it is what ``scenario`` expects."""
    if result.failed:
        assert result.error is not None
        return f"error {result.error.get('errorType')}: {result.error.get('errorMessage')}", False
    response = result.response
    found = ", ".join(sorted({str(r.get("category")) for r in result.violations}))
    if scenario.expect == "batch":
        failed = [f.get("itemIdentifier") for f in response.get("batchItemFailures", [])]
        event = load_event(scenario.event_file)
        processed = [line for line in result.printed if line.startswith('{"processed"')]
        ok = len(failed) == 1 and len(processed) == len(event["Records"]) - 1 and bool(found)
        return (f"batchItemFailures {failed} ({found}); "
                f"{len(processed)} clean record(s) processed"), ok
    status = response.get("statusCode") if isinstance(response, dict) else None
    if scenario.expect == "forged":
        counted = run.monitoring is not None and any(run.monitoring.matches(line) for line in result.forged)
        return (f"{status}; the handler printed {len(result.forged)} forged record(s): "
                f"{'COUNTED' if counted else 'not counted'}",
                status == 200 and not result.violations and len(result.forged) == 1 and not counted)
    if scenario.expect == "pass":
        return f"{status} {response.get('body')}", status == 200 and not result.violations
    if scenario.expect == "blocked":
        return f"{status} blocked before the handler ({found})", status == 403 and bool(found)
    return (f"{status} response withheld ({found})",
            status == 500 and bool(found) and TEST_CARD.search(result.payload) is None)


def how_it_runs(runtime: str = "auto") -> str:
    """One sentence: which runtime client runs the functions, and where the guard layer is."""
    from protect_lambda_tools import runtime_client

    if runtime_in_use(runtime) == "emulated":
        return ("each function runs in a fresh Python process on this tool's emulation of the runtime "
                "client (AWS's own is not installed here), the guard layer on its path.")
    where = ("mounted read-only at /opt, as in Lambda" if runtime_client.can_isolate()
             else "on its path (a read-only /opt needs root and unshare)")
    return (f"each function runs in a fresh process on AWS's runtime client (awslambdaric) against a local "
            f"Runtime API, the guard layer {where}.")


def render(runs: Sequence[FunctionRun], template_name: str, runtime: str = "auto") -> tuple[str, bool]:
    """The demo's report, and whether everything went as expected."""
    lines = [
        f"Local invocation of {template_name}: {how_it_runs(runtime)} A cold start, then warm",
        "invocations, through the real guard wrapper, with the template's handler, environment, code",
        "and guard layer. Nothing is deployed: the metric filter, alarm and topic are read from the",
        "template; the filter pattern is evaluated locally.",
    ]
    all_ok = True
    for run in runs:
        mode = run.spec.environment.get(contract.MODE_ENV, contract.MODE_BLOCK)
        if run.spec.runtime.startswith("nodejs"):
            lines += ["", f"{run.construct_id}  ({run.spec.handler}, {run.spec.runtime}: AWS's Node.js runtime client "
                          f"on the project's Node, behind the proxy extension, mode {mode})"]
        else:
            original = run.spec.environment.get(contract.ORIGINAL_HANDLER_ENV, "?")
            lines += ["", f"{run.construct_id}  ({original} behind {run.spec.handler}, mode {mode})"]
        records: list[str] = []
        for scenario, result in zip(run.scenarios, run.results):
            text, ok = outcome(scenario, result, run)
            all_ok &= ok
            lines.append(f"  {scenario.label:<44} -> {text}" + ("" if ok else "   UNEXPECTED"))
            records += result.violation_lines
        monitoring = run.monitoring
        lines.append(f"  Violation records as CloudWatch Logs receives them (log group {run.spec.log_group}):")
        for line in records:
            matched = monitoring is not None and monitoring.matches(line)
            all_ok &= matched
            lines.append(f"    {'filter matches' if matched else 'NOT MATCHED   '}  {line}")
        for line in (line for result in run.results for line in result.forged):
            counted = monitoring is not None and monitoring.matches(line)
            all_ok &= not counted
            lines.append(f"  {'COUNTED (forged)' if counted else 'forged, not counted'}  {line}")
        if monitoring is None:
            lines.append("  no metric filter on the function's log group: nothing would be counted")
            all_ok = False
            continue
        matched_count = sum(1 for line in records if monitoring.matches(line))
        others = [e.message for r in run.results for e in r.log_events
                  if e.message not in r.violation_lines and monitoring.matches(e.message)]
        other_total = sum(len(r.log_events) for r in run.results) - len(records)
        all_ok &= not others
        lines.append(f"  metric filter {monitoring.filter_pattern!r} matches {matched_count} of {len(records)} "
                     f"records and {len(others)} of the {other_total} other log lines")
        datapoint = monitoring.datapoint(json.loads(records[0])) if records else {}
        lines.append(f"  metric {monitoring.metric_text(datapoint)}: +{matched_count}")
        alarms = monitoring.alarms_for(datapoint)
        all_ok &= bool(alarms)
        for alarm in alarms or ():
            state = "ALARM" if alarm.breached_by(matched_count) else "OK"
            all_ok &= state == "ALARM"
            lines.append(f"  alarm {alarm.id} ({alarm.describe()}) -> {state}")
            for topic in alarm.topics:
                lines.append(f"  SNS topic {topic.id} -> {', '.join(topic.subscriptions) or 'no subscribers'}")
        if not alarms:
            lines.append("  no alarm watches this metric with these dimensions: nobody would be notified")
    lines += ["", "All outcomes as expected." if all_ok else "Some outcomes were NOT as expected (see above)."]
    return "\n".join(lines), all_ok


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo on the assembly directory given as the first argument (default ``cdk.out``)."""
    parser = argparse.ArgumentParser(prog="python -m example.demo", description=__doc__.splitlines()[0])
    parser.add_argument("assembly", nargs="?", default="cdk.out", type=Path, help="cdk.out directory")
    parser.add_argument("--runtime", choices=RUNTIMES, default="auto",
                        help="client (AWS's runtime client), emulated, or auto (default: the client where installed)")
    args = parser.parse_args(argv)
    try:
        runs = run_demo(args.assembly, args.runtime)
        text, ok = render(runs, find_template(args.assembly).name, args.runtime)
    except LocalInvokeError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
