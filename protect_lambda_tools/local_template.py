"""Read a synthesized template for a local invocation: which function, and what its records drive.

:func:`function_from_template` gives the handler, environment, code and layer
asset directories of one function in ``cdk.out`` (a :class:`FunctionSpec` for
:func:`protect_lambda_tools.local_invoke.invoke`); :func:`monitoring_from_template`
gives the chain its Violation records drive: the metric filter on its log group,
the metric, the alarms watching that metric and the SNS topics (with their
subscriptions) they notify.

Pure standard library. A developer tool: it is not shipped in the Lambda layer.

Example:
    >>> template = load_template("cdk.out/ProtectLambdaExample.template.json")  # doctest: +SKIP
    >>> spec = function_from_template(template, "OrdersApi", "cdk.out")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import re
import shutil
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protect_lambda import contract

from protect_lambda_tools.filter_pattern import FilterPatternError, matches
from protect_lambda_tools.local_invoke import (
    DEFAULT_ACCOUNT,
    DEFAULT_MEMORY_MB,
    DEFAULT_REGION,
    DEFAULT_TIMEOUT_S,
    FunctionSpec,
    LocalInvokeError,
    Template,
    guard_root,
)

__all__ = [
    "AlarmRoute",
    "Monitoring",
    "Topic",
    "function_from_template",
    "load_template",
    "local_stack_id",
    "logical_ref",
    "monitoring_from_template",
    "protected_functions",
    "resolve_function",
    "resolve_value",
    "resources_of_type",
]


# --- reading a synthesized template ------------------------------------------------------


def load_template(path: str | Path) -> Template:
    """The CloudFormation template at ``path`` (a ``*.template.json`` of ``cdk.out``).

    Example:
        >>> load_template("no/such.template.json")
        Traceback (most recent call last):
        ...
        protect_lambda_tools.local_invoke.LocalInvokeError: no/such.template.json: no such file (run `npx cdk synth` first)
    """
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LocalInvokeError(f"{path}: no such file (run `npx cdk synth` first)") from None
    except (OSError, ValueError) as exc:
        raise LocalInvokeError(f"{path}: not a readable JSON template ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise LocalInvokeError(f"{path}: not a CloudFormation template (no Resources)")
    return data


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id.

    Example:
        >>> list(resources_of_type({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}, "AWS::SNS::Topic"))
        ['T']
    """
    return {key: value for key, value in template.get("Resources", {}).items()
            if isinstance(value, dict) and value.get("Type") == resource_type}


def logical_ref(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at, else None.

    Example:
        >>> logical_ref({"Fn::GetAtt": ["Queue4709902F", "Arn"]}), logical_ref("literal")
        ('Queue4709902F', None)
    """
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
    return None


def _construct_path(resource: Mapping[str, Any]) -> str:
    return str(resource.get("Metadata", {}).get("aws:cdk:path", ""))


#: The proxy layer's wrapper, which non-Python functions are started through (docs/proxy.md).
PROXY_WRAPPER = "/opt/protect-lambda/wrapper"


def is_proxied(properties: Mapping[str, Any]) -> bool:
    """Whether a function's properties put it behind the proxy extension: its runtime started through
    the proxy layer's wrapper, or (OS-only runtimes, the bootstrap shim) a guard seal with no wrapper."""
    variables = properties.get("Environment", {}).get("Variables", {})
    if not isinstance(variables, Mapping):
        return False
    if variables.get("AWS_LAMBDA_EXEC_WRAPPER") == PROXY_WRAPPER:
        return True
    return str(properties.get("Runtime", "")).startswith("provided") and contract.SEAL_ENV in variables


def protected_functions(template: Template) -> list[str]:
    """Logical ids of the protected functions: handler redirected into the guard wrapper (Python),
    or started behind the proxy extension (other runtimes).

    Example:
        >>> protected_functions({"Resources": {"F": {"Type": "AWS::Lambda::Function",
        ...     "Properties": {"Handler": "protect_lambda.wrapper.handler"}}}})
        ['F']
    """
    return [key for key, resource in resources_of_type(template, "AWS::Lambda::Function").items()
            if resource.get("Properties", {}).get("Handler") == contract.WRAPPER_HANDLER
            or is_proxied(resource.get("Properties", {}))]


def resolve_function(template: Template, name: str) -> str:
    """The logical id of the function ``name``: a logical id, a construct path, or a construct id.

    Example:
        >>> template = {"Resources": {"OrdersApi48294D44": {"Type": "AWS::Lambda::Function",
        ...     "Metadata": {"aws:cdk:path": "Stack/OrdersApi/Resource"}}}}
        >>> resolve_function(template, "OrdersApi")
        'OrdersApi48294D44'
    """
    functions = resources_of_type(template, "AWS::Lambda::Function")
    if name in functions:
        return name
    found = []
    # without path metadata (synthesized in-process), the logical id is the path (minus the
    # stack and "Resource"), alphanumerics only, plus an 8-character hash
    bare = [re.sub("[^A-Za-z0-9]", "", name), re.sub("[^A-Za-z0-9]", "", name.partition("/")[2])]
    for key, resource in functions.items():
        path = _construct_path(resource).removesuffix("/Resource")
        if path and name in (path, path.rpartition("/")[2]) or not path and any(b and re.fullmatch(re.escape(b) + "[0-9A-F]{8}", key) for b in bare):
            found.append(key)
    if len(found) == 1:
        return found[0]
    known = ", ".join(
        f"{key} ({_construct_path(r).removesuffix('/Resource').rpartition('/')[2] or '?'})"
        for key, r in sorted(functions.items())
    ) or "none"
    if found:
        raise LocalInvokeError(f"function {name!r} is ambiguous: {', '.join(found)}")
    raise LocalInvokeError(f"no function {name!r} in the template; functions: {known}")


def _cache_dir(kind: str, key: str) -> Path:
    """A folder of this user's cache for unpacked code (``~/.cache/protect-lambda/<kind>-<key>``)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "protect-lambda"
    return root / f"{kind}-{key}"


def _unpacked(archive: Path) -> Path:
    """A zip asset's contents in a folder (unpacked once per archive content)."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:24]
    target = _cache_dir("zip", digest)
    if not (target / ".unpacked").is_file():
        staging = target.with_name(target.name + f".{os.getpid()}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with zipfile.ZipFile(archive) as bundle:
                for member in bundle.namelist():  # a zip from cdk.out, but never write outside the folder
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise LocalInvokeError(f"{archive}: unsafe path {member!r} in the zip")
                bundle.extractall(staging)
        except zipfile.BadZipFile:
            raise LocalInvokeError(f"{archive}: not a zip file") from None
        (staging / ".unpacked").write_text(str(archive))
        shutil.rmtree(target, ignore_errors=True)
        staging.replace(target)
    return target


def _inline_code(source: str, handler: str) -> Path:
    """Inline code (``Code.from_inline``, the template's ``ZipFile``) as a folder: Lambda stores it as
    ``index.py`` (the handler's module, ``index`` for CDK's inline code)."""
    module = handler.rsplit(".", 1)[0] if "." in handler else "index"
    digest = hashlib.sha256(f"{module}\0{source}".encode()).hexdigest()[:24]
    target = _cache_dir("inline", digest)
    file = target / (module.replace(".", "/") + ".py")
    if not file.is_file():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(source, encoding="utf-8")
    return target


def _asset_dir(template_dir: Path, resource: Mapping[str, Any], content_key: str, what: str,
               handler: str = "") -> Path:
    """The code of a function or the content of a layer as a folder: the staged asset directory,
    a zip asset unpacked, or the inline source written out."""
    metadata = resource.get("Metadata", {})
    properties = resource.get("Properties", {})
    inline = properties.get(content_key, {}).get("ZipFile") if content_key == "Code" else None
    if isinstance(inline, str):
        original = properties.get("Environment", {}).get("Variables", {}).get(contract.ORIGINAL_HANDLER_ENV)
        return _inline_code(inline, original if isinstance(original, str) else handler)
    candidates: list[Path] = []
    asset_path = metadata.get("aws:asset:path")
    if isinstance(asset_path, str):
        candidates.append(template_dir / asset_path)
    s3_key = properties.get(content_key, {}).get("S3Key")
    if isinstance(s3_key, str):
        candidates.append(template_dir / f"asset.{s3_key.removesuffix('.zip')}")
        candidates.append(template_dir / f"asset.{s3_key}")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
        if candidate.is_file() and candidate.suffix == ".zip":
            return _unpacked(candidate)
    if not candidates:
        if properties.get(content_key, {}).get("ImageUri") is not None:
            raise LocalInvokeError(f"{what}: a container image; run it with the image's own runtime instead")
        raise LocalInvokeError(f"{what}: no code in the template (no asset, no inline code)")
    if not isinstance(asset_path, str) and not re.fullmatch(r"[0-9a-f]{64}(\.zip)?", str(s3_key)):
        raise LocalInvokeError(f"{what}: its code is in S3 ({json.dumps(properties.get(content_key))}), "
                               "not in cdk.out; download it and use --handler with --code-dir")
    raise LocalInvokeError(f"{what}: asset directory {candidates[0]} not found next to the template; "
                           "synthesize into this folder again (cdk synth -o <folder>)")


def _literal(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def local_stack_id(stack: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    """The id a stack gets here: CloudFormation's shape, a uuid that is the same for every run.

    Example:
        >>> local_stack_id("Orders").rsplit("/", 2)[1]
        'Orders'
    """
    return f"arn:aws:cloudformation:{region}:{account}:stack/{stack}/{uuid.uuid5(uuid.NAMESPACE_URL, stack)}"


def pseudo_parameters(stack_id: str, region: str, account: str) -> dict[str, str]:
    """CloudFormation's pseudo parameters of a stack deployed with id ``stack_id``."""
    return {"AWS::StackId": stack_id, "AWS::StackName": stack_id.split("/")[1] if "/" in stack_id else "",
            "AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": ""}


def resolve_value(value: Any, refs: Mapping[str, str]) -> Any:
    """``value`` with ``Ref`` (to ``refs``: pseudo parameters, resources), ``Fn::Join``, ``Fn::Select``,
    ``Fn::Split`` and ``Fn::Sub`` (of ``refs``) resolved; None when something cannot be.

    Example:
        >>> refs = {"AWS::StackId": "arn:aws:cloudformation:us-east-1:1:stack/S/0f1e", "Fn": "orders"}
        >>> resolve_value({"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}, refs)
        '0f1e'
        >>> resolve_value({"Fn::Join": ["", ["name=", {"Ref": "Fn"}]]}, refs), resolve_value({"Ref": "Queue"}, refs)
        ('name=orders', None)
    """
    if isinstance(value, (str, int, float, bool)):
        return _literal(value)
    if isinstance(value, list):
        items = [resolve_value(item, refs) for item in value]
        return None if any(item is None for item in items) else items
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (function, argument), = value.items()
    if function == "Ref":
        return refs.get(str(argument))
    if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
        parts = resolve_value(argument[1], refs)
        return None if parts is None or not isinstance(argument[0], str) else argument[0].join(map(str, parts))
    if function == "Fn::Split" and isinstance(argument, list) and len(argument) == 2:
        text = resolve_value(argument[1], refs)
        return None if not isinstance(text, str) or not isinstance(argument[0], str) else text.split(argument[0])
    if function == "Fn::Select" and isinstance(argument, list) and len(argument) == 2:
        items = resolve_value(argument[1], refs)
        index = resolve_value(argument[0], refs)
        if isinstance(items, list) and isinstance(index, str) and index.isdigit() and int(index) < len(items):
            return items[int(index)]
        return None
    if function == "Fn::Sub" and isinstance(argument, str):
        missing = [name for name in re.findall(r"\$\{([^}!]+)\}", argument) if name not in refs]
        return None if missing else re.sub(r"\$\{([^}!]+)\}", lambda m: refs[m.group(1)], argument)
    return None


def function_from_template(
    template_path: str | Path,
    function: str,
    *,
    region: str = DEFAULT_REGION,
    account: str = DEFAULT_ACCOUNT,
    name: str = "",
    given: Mapping[str, str] | None = None,
) -> FunctionSpec:
    """The function ``function`` of a synthesized template, ready for :func:`invoke`.

    Handler, literal environment variables, memory, timeout and runtime come from
    its properties; its code is the asset next to the template (``asset.<hash>``,
    from the ``S3Key``: a directory, or a zip file unpacked into the user's cache)
    or its inline source; each layer defined in the template is its asset likewise.
    ``given``: variables the caller sets (``--env``), which need no note when the
    template's value is only known once deployed. The name is the ``FunctionName`` property, otherwise
    ``<stack>-<logical id>`` (CloudFormation adds a random suffix when deploying).

    Example:
        >>> spec = function_from_template("cdk.out/ProtectLambdaExample.template.json", "OrdersApi")  # doctest: +SKIP
        >>> spec.handler, spec.environment["PROTECT_LAMBDA_ORIGINAL_HANDLER"]  # doctest: +SKIP
        ('protect_lambda.wrapper.handler', 'orders_api.handler')
    """
    path = Path(template_path)
    template = load_template(path)
    logical_id = resolve_function(template, function)
    resource = template["Resources"][logical_id]
    props = resource.get("Properties", {})
    notes: list[str] = []
    stack = path.name.removesuffix(".json").removesuffix(".template")
    code_dir = _asset_dir(path.parent, resource, "Code", f"function {logical_id}", str(props.get("Handler", "")))

    stack_id = local_stack_id(stack, region, account)
    function_name = name or _literal(props.get("FunctionName")) or f"{stack}-{logical_id}"[:64]
    refs = {**pseudo_parameters(stack_id, region, account), logical_id: function_name}
    env: dict[str, str] = {}
    for key, value in props.get("Environment", {}).get("Variables", {}).items():
        text = resolve_value(value, refs)
        if not isinstance(text, str) and given is not None and key in given:
            continue
        if not isinstance(text, str):
            notes.append(f"environment variable {key} is only known when deployed ({json.dumps(value)}): "
                         "left unset; give it a value with --env")
        else:
            env[key] = text

    layers: list[Path] = []
    layer_resources = resources_of_type(template, "AWS::Lambda::LayerVersion")
    for layer in props.get("Layers", []):
        layer_id = logical_ref(layer)
        if layer_id in layer_resources:
            layers.append(_asset_dir(path.parent, layer_resources[layer_id], "Content", f"layer {layer_id}"))
        else:
            notes.append(f"layer {json.dumps(layer)} is not defined in the template: not available locally")
    python_path: tuple[Path, ...] = ()
    if props.get("Handler") == contract.WRAPPER_HANDLER and not layers:
        python_path = (guard_root(),)
        notes.append("no guard layer in the template: the local protect_lambda package is used")

    group_name = ""
    group_id = logical_ref(props.get("LoggingConfig", {}).get("LogGroup"))
    if group_id is not None:
        group = template["Resources"].get(group_id, {}).get("Properties", {})
        group_name = _literal(group.get("LogGroupName")) or f"{stack}-{group_id}"
    elif isinstance(props.get("LoggingConfig", {}).get("LogGroup"), str):
        group_name = props["LoggingConfig"]["LogGroup"]

    logging_config = props.get("LoggingConfig", {})
    log_format = str(logging_config.get("LogFormat", "Text"))
    application_level = str(logging_config.get("ApplicationLogLevel", "")) if log_format == "JSON" else ""
    runtime = str(props.get("Runtime", "python3.14"))
    if not runtime.startswith("python") and not is_proxied(props):
        raise LocalInvokeError(f"function {logical_id}: runtime {runtime} is not a Python runtime, and the "
                               "function is not behind the proxy extension")
    return FunctionSpec(
        name=function_name,
        handler=str(props.get("Handler", "")),
        code_dir=code_dir,
        layer_dirs=tuple(layers),
        python_path=python_path,
        environment=env,
        memory_mb=int(props.get("MemorySize", DEFAULT_MEMORY_MB)),
        timeout_s=float(props.get("Timeout", DEFAULT_TIMEOUT_S)),
        runtime=runtime,
        region=region,
        account=account,
        log_group_name=group_name,
        logical_id=logical_id,
        stack_id=stack_id,
        log_format=log_format,
        application_log_level=application_level,
        notes=tuple(notes),
    )


# --- what a record drives: metric filter, metric, alarms, topics ------------------------


@dataclass(frozen=True)
class Topic:
    """An SNS topic an alarm notifies, with its subscriptions (``protocol:endpoint``)."""

    id: str
    subscriptions: tuple[str, ...]


#: CloudWatch comparison operators: their sign and their test.
_COMPARISONS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": (">=", operator.ge),
    "GreaterThanThreshold": (">", operator.gt),
    "LessThanThreshold": ("<", operator.lt),
    "LessThanOrEqualToThreshold": ("<=", operator.le),
}


@dataclass(frozen=True)
class AlarmRoute:
    """An alarm watching the metric the filter emits, and where it sends notifications."""

    id: str
    statistic: str
    comparison: str
    threshold: float
    period_s: int
    evaluation_periods: int
    datapoints_to_alarm: int
    dimensions: Mapping[str, str]
    topics: tuple[Topic, ...]

    def breached_by(self, count: int) -> bool:
        """Whether ``count`` violations within one period breach the alarm (Sum statistic).

        Example:
            >>> AlarmRoute("A", "Sum", "GreaterThanOrEqualToThreshold", 1, 300, 1, 1, {}, ()).breached_by(1)
            True
        """
        if self.statistic not in ("Sum", "SampleCount") or self.comparison not in _COMPARISONS:
            return False
        return _COMPARISONS[self.comparison][1](count, self.threshold) and self.datapoints_to_alarm <= 1

    def describe(self) -> str:
        """One line: statistic, comparison, threshold and period."""
        sign = _COMPARISONS[self.comparison][0] if self.comparison in _COMPARISONS else "?"
        minutes = self.period_s / 60
        period = f"{int(minutes)} min" if minutes == int(minutes) else f"{self.period_s} s"
        return (f"{self.statistic} {sign} {self.threshold:g} over {period}, "
                f"{self.datapoints_to_alarm} of {self.evaluation_periods} period(s)")


@dataclass(frozen=True)
class Monitoring:
    """The metric filter on a function's log group and the alarms its metric drives.

    Example:
        >>> m = Monitoring("F", "LG", "MF", contract.violation_filter_pattern("orders", "s"), "ProtectLambda",
        ...                "Violations", "1", {"FunctionName": "$.function_name"}, ())
        >>> m.matches('{"event":"Violation","function_name":"orders","seal":"s"}'), m.matches('{"event":"Violation"}')
        (True, False)
        >>> m.datapoint({"function_name": "orders"})
        {'FunctionName': 'orders'}
    """

    function_id: str
    log_group_id: str
    filter_id: str
    filter_pattern: str
    namespace: str
    metric_name: str
    metric_value: str
    dimensions: Mapping[str, str]
    alarms: tuple[AlarmRoute, ...]

    def matches(self, log_event: str) -> bool:
        """Whether the metric filter counts ``log_event`` (CloudWatch Logs filter-pattern semantics)."""
        return matches(self.filter_pattern, log_event)

    def datapoint(self, record: Mapping[str, Any]) -> dict[str, str]:
        """The dimensions of the datapoint the filter emits for ``record`` (``$.field`` resolved)."""
        values = {}
        for key, source in self.dimensions.items():
            if source.startswith("$."):
                value: Any = record
                for part in source[2:].split("."):
                    value = value.get(part) if isinstance(value, Mapping) else None
                values[key] = "" if value is None else str(value)
            else:
                values[key] = source
        return values

    def metric_text(self, dimensions: Mapping[str, str] | None = None) -> str:
        """``Namespace/Name {Key=value}``."""
        dims = dimensions if dimensions is not None else self.dimensions
        inner = ",".join(f"{k}={v}" for k, v in dims.items())
        return f"{self.namespace}/{self.metric_name} {{{inner}}}"

    def alarms_for(self, datapoint: Mapping[str, str]) -> list[AlarmRoute]:
        """The alarms watching exactly the metric of ``datapoint`` (same dimensions, as CloudWatch requires)."""
        return [alarm for alarm in self.alarms if dict(alarm.dimensions) == dict(datapoint)]


def _subscriptions(template: Template, topic_id: str) -> tuple[str, ...]:
    found = []
    for resource in resources_of_type(template, "AWS::SNS::Subscription").values():
        props = resource.get("Properties", {})
        if logical_ref(props.get("TopicArn")) == topic_id:
            endpoint = props.get("Endpoint")
            shown = endpoint if isinstance(endpoint, str) else (logical_ref(endpoint) or json.dumps(endpoint))
            found.append(f"{props.get('Protocol')}:{shown}")
    inline = resources_of_type(template, "AWS::SNS::Topic").get(topic_id, {}).get("Properties", {})
    for item in inline.get("Subscription", []):
        endpoint = item.get("Endpoint")
        found.append(f"{item.get('Protocol')}:{endpoint if isinstance(endpoint, str) else logical_ref(endpoint)}")
    return tuple(sorted(found))


def monitoring_from_template(template: Template, function: str, function_name: str, *,
                             stack_id: str = "") -> Monitoring | None:
    """The metric filter on ``function``'s log group and the alarms on its metric, or None without a filter.

    ``function_name`` is the name the function runs under (what a ``Ref`` to it
    resolves to, and what the guard writes in ``function_name``); ``stack_id`` the id
    of its stack (``AWS::StackId``, which the seal comes from; default: that of a
    stack named ``Stack``). A pattern naming them gets their values.

    Example:
        >>> t = load_template("cdk.out/ProtectLambdaExample.template.json")  # doctest: +SKIP
        >>> monitoring_from_template(t, "OrdersApi", "orders").filter_pattern  # doctest: +SKIP
        '{ $.event = "Violation" }'
    """
    logical_id = resolve_function(template, function)
    props = template["Resources"][logical_id].get("Properties", {})
    group_id = logical_ref(props.get("LoggingConfig", {}).get("LogGroup")) or ""
    filters = resources_of_type(template, "AWS::Logs::MetricFilter")
    found = next(((key, r["Properties"]) for key, r in sorted(filters.items())
                  if group_id and logical_ref(r.get("Properties", {}).get("LogGroupName")) == group_id), None)
    if found is None:
        return None
    filter_id, filter_props = found
    transformation = filter_props.get("MetricTransformations", [{}])[0]
    dimensions = {str(d["Key"]): str(d["Value"]) for d in transformation.get("Dimensions", [])}
    namespace = str(transformation.get("MetricNamespace", ""))
    metric_name = str(transformation.get("MetricName", ""))

    topics = resources_of_type(template, "AWS::SNS::Topic")
    alarms = []
    for alarm_id, alarm in sorted(resources_of_type(template, "AWS::CloudWatch::Alarm").items()):
        a = alarm.get("Properties", {})
        if a.get("Namespace") != namespace or a.get("MetricName") != metric_name:
            continue
        alarm_dims = {}
        for dimension in a.get("Dimensions", []):
            value = dimension.get("Value")
            ref = logical_ref(value)
            alarm_dims[str(dimension.get("Name"))] = (
                function_name if ref == logical_id else str(value) if isinstance(value, str) else None
            )
        if None in alarm_dims.values():  # watches another resource (another function's alarm)
            continue
        alarm_topics = []
        for action in a.get("AlarmActions", []):
            topic_id = logical_ref(action)
            if topic_id in topics:
                alarm_topics.append(Topic(topic_id, _subscriptions(template, topic_id)))
            else:
                alarm_topics.append(Topic(topic_id or str(action), ()))
        alarms.append(AlarmRoute(
            id=alarm_id,
            statistic=str(a.get("Statistic", "")),
            comparison=str(a.get("ComparisonOperator", "")),
            threshold=float(a.get("Threshold", 0)),
            period_s=int(a.get("Period", 0)),
            evaluation_periods=int(a.get("EvaluationPeriods", 1)),
            datapoints_to_alarm=int(a.get("DatapointsToAlarm", a.get("EvaluationPeriods", 1))),
            dimensions={key: str(value) for key, value in alarm_dims.items()},
            topics=tuple(alarm_topics),
        ))
    refs = {**pseudo_parameters(stack_id or local_stack_id("Stack"), DEFAULT_REGION, DEFAULT_ACCOUNT),
            logical_id: function_name}
    resolved = resolve_value(filter_props.get("FilterPattern", ""), refs)
    if not isinstance(resolved, str):
        raise LocalInvokeError(f"metric filter {filter_id}: its pattern cannot be resolved locally: "
                               f"{json.dumps(filter_props.get('FilterPattern'))}")
    pattern = resolved
    try:
        matches(pattern, "")
    except FilterPatternError as exc:
        raise LocalInvokeError(f"metric filter {filter_id}: cannot evaluate pattern {pattern!r}: {exc}") from None
    return Monitoring(
        function_id=logical_id,
        log_group_id=group_id,
        filter_id=filter_id,
        filter_pattern=pattern,
        namespace=namespace,
        metric_name=metric_name,
        metric_value=str(transformation.get("MetricValue", "")),
        dimensions=dimensions,
        alarms=tuple(alarms),
    )
