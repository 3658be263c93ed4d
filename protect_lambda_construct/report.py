"""A readable summary of what protect-lambda created, read from a synthesized cloud assembly.

Reads only the templates in ``cdk.out`` (no jsii, no AWS), so it is fast and
shows what CloudFormation would deploy.

Example:
    $ python -m protect_lambda_construct.report cdk.out
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from protect_lambda import contract

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


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def _of_type(template: Template, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == resource_type:
            yield logical_id, resource.get("Properties", {})


def _subscriptions(template: Template, topic: str) -> list[str]:
    found = []
    for _, properties in _of_type(template, "AWS::SNS::Subscription"):
        if _ref(properties.get("TopicArn")) == topic:
            endpoint = properties.get("Endpoint")
            shown = endpoint if isinstance(endpoint, str) else (_ref(endpoint) or "?")
            found.append(f"{properties.get('Protocol')}:{shown}")
    return sorted(found)


def summarise_template(stack: str, template: Template) -> list[ProtectedFunctionSummary]:
    """One summary per protected function (handler redirected into the guard) in ``template``."""
    summaries = []
    filters = dict(_of_type(template, "AWS::Logs::MetricFilter"))
    alarms = dict(_of_type(template, "AWS::CloudWatch::Alarm"))
    groups = dict(_of_type(template, "AWS::Logs::LogGroup"))
    dashboards = dict(_of_type(template, "AWS::CloudWatch::Dashboard"))
    for logical_id, properties in _of_type(template, "AWS::Lambda::Function"):
        if properties.get("Handler") != contract.WRAPPER_HANDLER:
            continue
        env = properties.get("Environment", {}).get("Variables", {})
        log_group = _ref(properties.get("LoggingConfig", {}).get("LogGroup")) or "?"
        metric_filter = next((p for p in filters.values() if _ref(p.get("LogGroupName")) == log_group), None)
        metric = None
        if metric_filter is not None:
            transformation = metric_filter["MetricTransformations"][0]
            dimensions = ",".join(f"{d['Key']}={d['Value']}" for d in transformation.get("Dimensions", []))
            metric = f"{transformation['MetricNamespace']}/{transformation['MetricName']} {{{dimensions}}}"
        alarm_id, alarm = next(
            ((key, p) for key, p in alarms.items()
             if any(_ref(d.get("Value")) == logical_id for d in p.get("Dimensions", []))), (None, None))
        alarm_text, targets = None, []
        if alarm is not None:
            alarm_text = (f"{alarm_id}: {alarm.get('Statistic')} >= {alarm.get('Threshold')} over "
                          f"{int(alarm.get('Period', 0)) // 60} min, {alarm.get('EvaluationPeriods')} period(s), "
                          f"missing data {alarm.get('TreatMissingData')}")
            for action in alarm.get("AlarmActions", []):
                topic = _ref(action) or str(action)
                subscribers = _subscriptions(template, topic)
                targets.append(f"{topic} -> {', '.join(subscribers) if subscribers else 'no subscribers'}")
        shown_on = [key for key, p in dashboards.items() if logical_id in json.dumps(p)]
        config = ("inline" if contract.CONFIG_ENV in env else
                  f"file {env[contract.CONFIG_FILE_ENV]}" if contract.CONFIG_FILE_ENV in env else "built-in rules")
        summaries.append(ProtectedFunctionSummary(
            stack=stack,
            logical_id=logical_id,
            runtime=str(properties.get("Runtime")),
            architecture=",".join(properties.get("Architectures", ["x86_64"])),
            original_handler=str(env.get(contract.ORIGINAL_HANDLER_ENV)),
            layers=[_ref(layer) or str(layer) for layer in properties.get("Layers", [])],
            mode=str(env.get(contract.MODE_ENV, contract.MODE_BLOCK)),
            fail_policy=str(env.get(contract.FAIL_POLICY_ENV, contract.FAIL_OPEN)),
            config=config,
            log_group=log_group,
            retention_days=groups.get(log_group, {}).get("RetentionInDays", "imported"),
            filter_pattern=metric_filter.get("FilterPattern") if metric_filter else None,
            metric=metric,
            alarm=alarm_text,
            alarm_targets=targets,
            dashboards=shown_on,
        ))
    return summaries


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
            f"  guard      {summary.original_handler} wrapped by {contract.WRAPPER_HANDLER}; "
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
