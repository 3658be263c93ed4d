"""A readable summary of what protect-lambda created, read from a synthesized cloud assembly.

Reads only the templates in ``cdk.out`` (no jsii, no AWS), so it is fast and
shows what CloudFormation would deploy.

Example:
    $ python -m protect_lambda_tools.report cdk.out
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from protect_lambda import contract
from protect_lambda_tools.local_template import (
    AlarmRoute,
    Monitoring,
    logical_ref,
    monitoring_from_template,
    is_proxied,
    protected_functions,
    resources_of_type,
)

Template = dict[str, Any]


@dataclass
class ProtectedFunctionSummary:
    """What was created for one protected function."""

    stack: str
    logical_id: str
    runtime: str
    architecture: str
    original_handler: str
    layers: list[str]
    mode: str
    fail_policy: str
    config: str
    log_group: str
    retention_days: Any
    filter_pattern: str | None
    metric: str | None
    alarm: str | None
    alarm_targets: list[str] = field(default_factory=list)
    dashboards: list[str] = field(default_factory=list)
    #: Behind the proxy extension (non-Python runtimes) rather than the guard wrapper.
    proxied: bool = False


def _alarm_text(route: AlarmRoute) -> str:
    return f"{route.id}: {route.describe()}"


def _targets(monitoring: Optional[Monitoring]) -> list[str]:
    targets = []
    for route in monitoring.alarms if monitoring is not None else ():
        for topic in route.topics:
            subscribers = ", ".join(topic.subscriptions) or "no subscribers"
            targets.append(f"{topic.id} -> {subscribers}")
    return targets


#: How a summary shows the seal (the random part of the stack id, made when the stack is created).
SEAL_SHOWN = "<uuid of the stack id>"


def summarise_template(stack: str, template: Template) -> list[ProtectedFunctionSummary]:
    """One summary per protected function (handler redirected into the guard) in ``template``.

    The chain a function's records drive (metric filter, metric, alarm, topics) is read
    the way ``protect-lambda invoke`` reads it (:mod:`protect_lambda_tools.local_template`).
    """
    summaries = []
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    layer_resources = resources_of_type(template, "AWS::Lambda::LayerVersion")
    dashboards = resources_of_type(template, "AWS::CloudWatch::Dashboard")
    functions = resources_of_type(template, "AWS::Lambda::Function")
    for logical_id in protected_functions(template):
        properties = functions[logical_id].get("Properties", {})
        env = properties.get("Environment", {}).get("Variables", {})
        log_group = logical_ref(properties.get("LoggingConfig", {}).get("LogGroup")) or "?"
        # a Ref to the function stands for its name: the name the alarm's dimension resolves to;
        # the seal is only known once deployed: the summary names what it will be
        monitoring = monitoring_from_template(template, logical_id, function_name=logical_id,
                                              stack_id=f"arn:aws:cloudformation:::stack/{stack}/{SEAL_SHOWN}")
        metric = None
        if monitoring is not None:
            dimensions = ",".join(f"{key}={value}" for key, value in monitoring.dimensions.items())
            metric = f"{monitoring.namespace}/{monitoring.metric_name} {{{dimensions}}}"
        alarm = monitoring.alarms[0] if monitoring is not None and monitoring.alarms else None
        shown_on = [key for key, d in dashboards.items() if logical_id in json.dumps(d)]
        config = ("inline" if contract.CONFIG_ENV in env else
                  f"file {env[contract.CONFIG_FILE_ENV]}" if contract.CONFIG_FILE_ENV in env else "built-in rules")
        summaries.append(ProtectedFunctionSummary(
            stack=stack,
            logical_id=logical_id,
            runtime=str(properties.get("Runtime")),
            architecture=",".join(properties.get("Architectures", ["x86_64"])),
            original_handler=str(env.get(contract.ORIGINAL_HANDLER_ENV) or properties.get("Handler")),
            proxied=is_proxied(properties),
            layers=[_layer_text(layer, layer_resources) for layer in properties.get("Layers", [])],
            mode=str(env.get(contract.MODE_ENV, contract.MODE_BLOCK)),
            fail_policy=str(env.get(contract.FAIL_POLICY_ENV, contract.FAIL_OPEN)),
            config=config,
            log_group=log_group,
            retention_days=groups.get(log_group, {}).get("Properties", {}).get("RetentionInDays", "imported"),
            filter_pattern=monitoring.filter_pattern if monitoring is not None else None,
            metric=metric,
            alarm=_alarm_text(alarm) if alarm is not None else None,
            alarm_targets=_targets(monitoring),
            dashboards=shown_on,
        ))
    return summaries


def _layer_text(layer: Any, layer_resources: dict[str, Any]) -> str:
    """A layer's logical id; for a guard layer, whether it carries its bytecode (cold start, docs/guard.md)."""
    logical_id = logical_ref(layer)
    if logical_id is None:
        return str(layer)
    description = str(layer_resources.get(logical_id, {}).get("Properties", {}).get("Description", ""))
    if not description.startswith("protect-lambda runtime guard"):
        return logical_id
    if "proxy extension" in description:
        return f"{logical_id} (proxy extension)"
    return f"{logical_id} ({'with bytecode' if 'with bytecode' in description else 'no bytecode: see the warning'})"


def load_assembly(directory: Path) -> dict[str, Template]:
    """The CloudFormation templates of a cloud assembly directory, by stack name."""
    manifest = json.loads((directory / "manifest.json").read_text())
    templates = {}
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") == "aws:cloudformation:stack":
            template_file = artifact["properties"]["templateFile"]
            templates[name] = json.loads((directory / template_file).read_text())
    return templates


def render(summaries: Sequence[ProtectedFunctionSummary]) -> str:
    """The summaries as indented text."""
    lines: list[str] = []
    for summary in summaries:
        lines += [
            f"{summary.stack} / {summary.logical_id}  ({summary.runtime}, {summary.architecture})",
            f"  guard      {summary.original_handler} "
            f"{'behind the proxy extension' if summary.proxied else 'wrapped by ' + contract.WRAPPER_HANDLER}; "
            f"mode {summary.mode}, fail {summary.fail_policy}, {summary.config}",
            f"  layers     {', '.join(summary.layers)}",
            f"  log group  {summary.log_group} (retention {summary.retention_days} days)",
            f"  filter     {summary.filter_pattern or 'MISSING'}",
            f"  metric     {summary.metric or 'MISSING'}",
            f"  alarm      {summary.alarm or 'none (disabled)'}",
        ]
        lines += [f"  notifies   {target}" for target in summary.alarm_targets]
        lines.append(f"  dashboard  {', '.join(summary.dashboards) or 'none'}")
        lines.append("")
    if not summaries:
        lines.append("no protected functions found")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the summary of the assembly directory given as the first argument."""
    parser = argparse.ArgumentParser(description="Summarise protect-lambda resources in a cloud assembly.")
    parser.add_argument("assembly", nargs="?", default="cdk.out", type=Path, help="cdk.out directory")
    args = parser.parse_args(argv)
    if not (args.assembly / "manifest.json").is_file():
        print(f"{args.assembly}: no cloud assembly here; run `npx cdk synth` first", file=sys.stderr)
        return 2
    summaries = [s for stack, template in load_assembly(args.assembly).items()
                 for s in summarise_template(stack, template)]
    print(render(summaries))
    return 0 if summaries else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
