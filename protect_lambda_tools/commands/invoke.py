"""``protect-lambda invoke``: run a handler locally behind the guard, as Lambda would, with event files.

Either a handler and its code directory (the handler is put behind the guard,
like the construct does), or a function of a synthesized template (handler,
environment, code and guard layer from ``cdk.out``; then each Violation record
is checked against the function's metric filter pattern and the alarm and SNS
topic it would drive are shown).

Exit codes: 0 done; 1 a Violation record that the template's metric filter does
not match (the contract is broken); 2 bad arguments or input.

Example:
    $ protect-lambda invoke --handler app.handler --code-dir src events/attack.json
    $ protect-lambda invoke --template cdk.out/ProtectLambdaExample.template.json \\
          --function OrdersApi example/events/api-sqli.json --json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from protect_lambda import contract

from protect_lambda_tools.local_invoke import (
    DEFAULT_REGION,
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
)

HELP = "invoke a handler locally behind the guard (a cold start, then warm invocations) with event files"

EXIT_UNMATCHED = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``invoke``."""
    parser.add_argument("events", nargs="+", metavar="EVENT.json", help="event files (one JSON event each)")
    target = parser.add_argument_group("what to run (one of)")
    target.add_argument("--handler", metavar="MODULE.FUNCTION", help="the original handler, e.g. app.handler")
    target.add_argument("--template", metavar="STACK.template.json",
                        help="a synthesized template in cdk.out (with --function)")
    parser.add_argument("--code-dir", metavar="DIR", default=".", help="code directory of --handler (default: .)")
    parser.add_argument("--function", metavar="NAME",
                        help="with --template: the function's logical id or construct id (e.g. OrdersApi)")
    parser.add_argument("--function-name", metavar="NAME",
                        help="name the function runs under (default: from the handler or the template)")
    parser.add_argument("--mode", choices=contract.MODES, help="guard mode (default: the template's, else block)")
    parser.add_argument("--fail-policy", choices=contract.FAIL_POLICIES,
                        help="guard fail policy (default: the template's, else open)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment variable (repeatable)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="function timeout (default: template's, else 3)")
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"region in ARNs and AWS_REGION (default {DEFAULT_REGION})")
    parser.add_argument("--python", default=sys.executable, metavar="PATH",
                        help="interpreter to run the function with (e.g. one matching its runtime)")
    parser.add_argument("--site-packages", action="store_true",
                        help="make the interpreter's site-packages importable (Lambda bundles boto3)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="auto",
                        help="client: AWS's runtime client (awslambdaric, Linux); emulated: this tool's "
                             "emulation; auto (default): the client where it is installed")
    parser.add_argument("--logs", action="store_true", help="also print every log event (START, END, REPORT, ...)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")


def _parse_env(items: Sequence[str]) -> dict[str, str]:
    env = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise LocalInvokeError(f"--env {item!r}: expected KEY=VALUE")
        env[key] = value
    return env


def _read_event(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise LocalInvokeError(f"{path}: no such event file") from None
    except (OSError, ValueError) as exc:
        raise LocalInvokeError(f"{path}: not a JSON event ({exc})") from None


def build_spec(args: argparse.Namespace) -> tuple[FunctionSpec, Monitoring | None]:
    """The function to run and, with a template, its monitoring chain."""
    overrides = _parse_env(args.env)
    if args.mode:
        overrides[contract.MODE_ENV] = args.mode
    if args.fail_policy:
        overrides[contract.FAIL_POLICY_ENV] = args.fail_policy
    if bool(args.handler) == bool(args.template):
        raise LocalInvokeError("give either --handler MODULE.FUNCTION or --template FILE --function NAME")
    monitoring: Monitoring | None = None
    if args.template:
        if not args.function:
            raise LocalInvokeError("--template needs --function NAME (a logical id or construct id)")
        spec = function_from_template(args.template, args.function, region=args.region,
                                      name=args.function_name or "", given=overrides)
        monitoring = monitoring_from_template(load_template(args.template), spec.logical_id, spec.name,
                                              stack_id=spec.stack_id)
        env = dict(spec.environment)
        env.update(overrides)
        spec = dataclasses.replace(spec, environment=env, timeout_s=args.timeout or spec.timeout_s)
    else:
        if "." not in args.handler:
            raise LocalInvokeError(f"--handler {args.handler!r}: expected MODULE.FUNCTION")
        if not Path(args.code_dir).is_dir():
            raise LocalInvokeError(f"--code-dir {args.code_dir}: no such directory")
        spec = FunctionSpec.for_handler(args.handler, args.code_dir, name=args.function_name or "",
                                        environment=overrides, region=args.region,
                                        timeout_s=args.timeout or 3.0)
    return spec, monitoring


# --- reporting -------------------------------------------------------------------------------


def record_report(record_line: str, monitoring: Monitoring | None) -> dict[str, Any]:
    """One Violation record, and what it drives when ``monitoring`` is known.

    Example:
        >>> line = '{"event":"Violation","function_name":"f"}'
        >>> record_report(line, None)["filter_matches"] is None
        True
    """
    record = json.loads(record_line)
    report: dict[str, Any] = {"record": record, "log_event": record_line, "filter_matches": None}
    if monitoring is not None:
        report["filter_matches"] = monitoring.matches(record_line)
        if report["filter_matches"]:
            datapoint = monitoring.datapoint(record)
            report["metric"] = {"namespace": monitoring.namespace, "name": monitoring.metric_name,
                                "dimensions": datapoint, "value": monitoring.metric_value}
            report["alarms"] = [alarm.id for alarm in monitoring.alarms_for(datapoint)]
    return report


def invocation_report(label: str, result: Invocation, monitoring: Monitoring | None) -> dict[str, Any]:
    """The JSON form of one invocation."""
    other = [e.message for e in result.log_events
             if monitoring is not None and e.message not in result.violation_lines and monitoring.matches(e.message)]
    return {
        "event_file": label,
        "request_id": result.request_id,
        "cold_start": result.cold_start,
        "duration_ms": round(result.duration_ms, 2),
        "response": None if result.failed else result.response,
        "error": result.error,
        "violations": [record_report(line, monitoring) for line in result.violation_lines],
        "other_lines_matched_by_filter": other,
        "log_events": [{"timestamp": e.timestamp, "message": e.message, "platform": e.platform}
                       for e in result.log_events],
    }


def alarm_reports(monitoring: Monitoring, invocations: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per alarm on the metric: how many matched records it would count, and whether it would fire."""
    counts: dict[str, int] = {}
    for item in invocations:
        for violation in item["violations"]:
            for alarm_id in violation.get("alarms", []):
                counts[alarm_id] = counts.get(alarm_id, 0) + 1
    return [
        {"id": alarm.id, "condition": alarm.describe(), "dimensions": dict(alarm.dimensions),
         "count": counts.get(alarm.id, 0), "would_alarm": alarm.breached_by(counts.get(alarm.id, 0)),
         "topics": [{"id": t.id, "subscriptions": list(t.subscriptions)} for t in alarm.topics]}
        for alarm in monitoring.alarms
    ]


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_text(doc: dict[str, Any], out: TextIO, *, logs: bool = False) -> None:
    """The human-readable report of :func:`run`'s JSON document."""
    fn = doc["function"]
    client = {"client": "AWS's runtime client", "emulated": "emulated runtime"}.get(fn.get("runtime_client", ""), "")
    out.write(f"{fn['name']}: {fn['handler']}"
              + (f" -> {fn['original_handler']}" if fn.get("original_handler") else "")
              + f" ({fn['runtime']}, mode {fn['mode']}, fail {fn['fail_policy']}"
              + (f", {client}" if client else "") + ")\n")
    out.writelines(f"  note: {note}\n" for note in fn["notes"])
    monitoring = doc.get("monitoring")
    if monitoring:
        out.write(f"  filter {monitoring['filter_id']}: {monitoring['filter_pattern']} -> {monitoring['metric']}\n")
    elif fn["logical_id"]:
        out.write("  no metric filter on the function's log group: its records would not be counted\n")
    else:
        out.write("  no template: the metric filter and alarms are not checked (use --template)\n")
    for item in doc["invocations"]:
        cold = "cold" if item["cold_start"] else "warm"
        out.write(f"\n{item['event_file']}  ({cold}, {item['duration_ms']:.1f} ms, request {item['request_id']})\n")
        if item["error"] is not None:
            out.write(f"  error     {item['error'].get('errorType')}: {_short(item['error'].get('errorMessage', ''))}\n")
            if item.get("hint"):
                out.write(f"  hint      {item['hint']}\n")
        else:
            out.write(f"  response  {_short(item['response'])}\n")
        for violation in item["violations"]:
            out.write(f"  violation {violation['log_event']}\n")
            if violation["filter_matches"] is True:
                metric = violation["metric"]
                dims = ",".join(f"{k}={v}" for k, v in metric["dimensions"].items())
                out.write(f"            filter matches -> {metric['namespace']}/{metric['name']} {{{dims}}} "
                          f"+{metric['value']}; alarms: {', '.join(violation['alarms']) or 'none'}\n")
            elif violation["filter_matches"] is False:
                out.write("            FILTER DOES NOT MATCH this record\n")
        out.writelines(f"  FILTER ALSO MATCHES a non-Violation line: {_short(line)}\n" for line in item["other_lines_matched_by_filter"])
        if logs:
            for event in item["log_events"]:
                out.writelines(f"  {'log |' if index == 0 else '    |'} {line}\n" for index, line in enumerate(event["message"].splitlines() or [""]))
    total = sum(len(item["violations"]) for item in doc["invocations"])
    out.write(f"\n{len(doc['invocations'])} invocation(s), {total} Violation record(s)")
    if monitoring:
        matched = sum(1 for item in doc["invocations"] for v in item["violations"] if v["filter_matches"])
        out.write(f", {matched} matched by the metric filter\n")
        for alarm in doc["alarms"]:
            state = "ALARM" if alarm["would_alarm"] else "OK"
            out.write(f"  alarm {alarm['id']} ({alarm['condition']}): {alarm['count']} counted -> {state}\n")
            for topic in alarm["topics"]:
                subs = ", ".join(topic["subscriptions"]) or "no subscriptions"
                verb = "notifies" if alarm["would_alarm"] else "would notify"
                out.write(f"    {verb} topic {topic['id']} -> {subs}\n")
    else:
        out.write("\n")


#: Packages every Lambda Python runtime provides (the AWS SDK), which a function's code need not bundle.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def missing_module_hint(error: dict[str, Any], code_dir: str) -> str:
    """How to add a package the function's code imports but does not bundle ("" when not that error).

    Example:
        >>> missing_module_hint({"errorType": "Runtime.ImportModuleError",
        ...     "errorMessage": "Unable to import module 'app': No module named 'boto3'"}, "src")
        "boto3 comes with Lambda's Python runtime, not with the function's code: add --site-packages to use this interpreter's boto3 (pip install boto3 first if it has none)"
    """
    match = re.search(r"No module named '([^']+)'", str(error.get("errorMessage", "")))
    if match is None:
        return ""
    package = match.group(1).split(".")[0]
    if package in RUNTIME_PACKAGES:
        return (f"{package} comes with Lambda's Python runtime, not with the function's code: add "
                f"--site-packages to use this interpreter's {package} (pip install {package} first if it has none)")
    return (f"the function's code does not bundle {package}: install it next to the code "
            f"(pip install --target {code_dir} <the package that provides {package}>), ship it in a layer, "
            f"or add --site-packages to use this interpreter's")


def build_document(spec: FunctionSpec, monitoring: Monitoring | None, labels: Sequence[str],
                   results: Sequence[Invocation]) -> dict[str, Any]:
    """The whole report as one JSON-ready document."""
    env = spec.environment
    invocations = [invocation_report(label, result, monitoring) for label, result in zip(labels, results)]
    for item in invocations:
        item["hint"] = missing_module_hint(item["error"], str(spec.code_dir)) if item["error"] else ""
    doc: dict[str, Any] = {
        "function": {
            "name": spec.name, "logical_id": spec.logical_id, "handler": spec.handler,
            "original_handler": env.get(contract.ORIGINAL_HANDLER_ENV, ""),
            "runtime": spec.runtime, "mode": env.get(contract.MODE_ENV, contract.MODE_BLOCK),
            "fail_policy": env.get(contract.FAIL_POLICY_ENV, contract.FAIL_OPEN),
            "code_dir": str(spec.code_dir), "layers": [str(p) for p in spec.layer_dirs],
            "notes": list(spec.notes),
        },
        "invocations": invocations,
        "monitoring": None,
        "alarms": [],
    }
    if monitoring is not None:
        doc["monitoring"] = {"filter_id": monitoring.filter_id, "filter_pattern": monitoring.filter_pattern,
                             "metric": monitoring.metric_text()}
        doc["alarms"] = alarm_reports(monitoring, invocations)
    return doc


def run(args: argparse.Namespace) -> int:
    """Invoke, print the report; see the module docstring for the exit codes."""
    try:
        spec, monitoring = build_spec(args)
        events = [_read_event(path) for path in args.events]
        results = invoke(spec, events, python=args.python, site_packages=args.site_packages,
                         runtime=args.runtime)
    except LocalInvokeError as exc:
        print(f"protect-lambda invoke: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    doc = build_document(spec, monitoring, [str(p) for p in args.events], results)
    doc["function"]["runtime_client"] = runtime_in_use(args.runtime)
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        render_text(doc, sys.stdout, logs=args.logs)
    if monitoring is not None:
        unmatched = [v for item in doc["invocations"] for v in item["violations"] if not v["filter_matches"]]
        extra = [line for item in doc["invocations"] for line in item["other_lines_matched_by_filter"]]
        if unmatched or extra:
            print(f"protect-lambda invoke: {len(unmatched)} Violation record(s) not matched by the metric "
                  f"filter, {len(extra)} other line(s) matched", file=sys.stderr)
            return EXIT_UNMATCHED
    return 0
