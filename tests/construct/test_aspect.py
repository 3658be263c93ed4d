"""The ProtectLambdas Aspect over a multi-stack app with mixed runtimes."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import cx_api

from protect_lambda import contract

from .apps import ARCHITECTURES, PYTHON_RUNTIMES
from .templates import resources


def _template(assembly: cx_api.CloudAssembly, name: str) -> dict[str, Any]:
    template: dict[str, Any] = assembly.get_stack_by_name(name).template
    return template


def _functions(template: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    return {key: value["Properties"] for key, value in resources(template, "AWS::Lambda::Function").items()
            if key.startswith(prefix)}


def _function(template: dict[str, Any], prefix: str) -> tuple[str, dict[str, Any]]:
    (found,) = _functions(template, prefix).items()
    return found


def _is_protected(properties: dict[str, Any]) -> bool:
    return bool(properties.get("Handler") == contract.WRAPPER_HANDLER)


def _warnings(assembly: cx_api.CloudAssembly, stack: str) -> dict[str, str]:
    found = {}
    for message in assembly.get_stack_by_name(stack).messages:
        if message.level == cx_api.SynthesisMessageLevel.WARNING and "protect-lambda" in str(message.entry.data):
            found[message.id] = str(message.entry.data)
    return found


@pytest.mark.parametrize("runtime", PYTHON_RUNTIMES)
@pytest.mark.parametrize("suffix, architecture", [(s, a.name) for s, a in ARCHITECTURES])
def test_every_python_runtime_on_both_architectures(aspect_assembly: cx_api.CloudAssembly, runtime: str,
                                                    suffix: str, architecture: str) -> None:
    template = _template(aspect_assembly, "MixedStack")
    _, properties = _function(template, f"Py{runtime.removeprefix('PYTHON_').replace('_', '')}{suffix}")
    assert _is_protected(properties)
    assert properties["Runtime"] == "python" + runtime.removeprefix("PYTHON_").replace("_", ".")
    layers = resources(template, "AWS::Lambda::LayerVersion")
    (layer_ref,) = [ref["Ref"] for ref in properties["Layers"]]
    assert layers[layer_ref]["Properties"]["CompatibleArchitectures"] == [architecture]
    assert layers[layer_ref]["Properties"]["CompatibleRuntimes"] == [properties["Runtime"]]
    assert properties["Environment"]["Variables"][contract.ORIGINAL_HANDLER_ENV] == "orders_api.handler"


def test_one_layer_per_runtime_and_architecture_per_stack(aspect_assembly: cx_api.CloudAssembly) -> None:
    template = _template(aspect_assembly, "MixedStack")
    mixed = resources(template, "AWS::Lambda::LayerVersion")
    pairs = sorted((layer["Properties"]["CompatibleRuntimes"][0], layer["Properties"]["CompatibleArchitectures"][0])
                   for layer in mixed.values())
    protected = sorted({(f["Properties"]["Runtime"], f["Properties"].get("Architectures", ["x86_64"])[0])
                        for f in resources(template, "AWS::Lambda::Function").values() if _is_protected(f["Properties"])})
    assert pairs == protected  # one layer each, shared by the functions of that runtime and architecture
    assert len(pairs) == len(PYTHON_RUNTIMES) * len(ARCHITECTURES)
    other = resources(_template(aspect_assembly, "OtherStack"), "AWS::Lambda::LayerVersion")
    assert len(other) == 1


@pytest.mark.parametrize("prefix, reason", [
    ("Node", "runtime: nodejs22.x is not supported"),
    ("Old", "runtime: python3.9 is not supported"),
    ("Image", "container image functions are not supported"),
])
def test_ineligible_functions_are_untouched_with_a_warning(aspect_assembly: cx_api.CloudAssembly,
                                                           prefix: str, reason: str) -> None:
    template = _template(aspect_assembly, "MixedStack")
    function_id, properties = _function(template, prefix)
    assert not _is_protected(properties)
    assert "Layers" not in properties
    assert contract.ORIGINAL_HANDLER_ENV not in str(properties.get("Environment"))
    assert not [k for k in resources(template, "AWS::CloudWatch::Alarm") if k.startswith(prefix)]
    warnings = _warnings(aspect_assembly, "MixedStack")
    (message,) = [text for path, text in warnings.items() if path == f"/MixedStack/{prefix}"]
    assert f"MixedStack/{prefix} unprotected" in message
    assert reason in message


def test_bare_cfn_function_is_untouched_with_a_warning(aspect_assembly: cx_api.CloudAssembly) -> None:
    _, properties = _function(_template(aspect_assembly, "MixedStack"), "Bare")
    assert properties["Handler"] == "index.handler"
    warnings = _warnings(aspect_assembly, "MixedStack")
    assert "bare CfnFunction" in warnings["/MixedStack/Bare"]


def test_functions_inside_other_constructs_and_singletons(aspect_assembly: cx_api.CloudAssembly) -> None:
    template = _template(aspect_assembly, "MixedStack")
    _, service = _function(template, "ServiceHandler")
    assert _is_protected(service)
    _, singleton = _function(template, "SingletonLambda")
    assert _is_protected(singleton)


def test_include_and_exclude(aspect_assembly: cx_api.CloudAssembly) -> None:
    template = _template(aspect_assembly, "MixedStack")
    for prefix in ("ExcludedByPath", "ExcludedByTag"):
        _, properties = _function(template, prefix)
        assert properties["Handler"] == "orders_api.handler"
        assert "Layers" not in properties


def test_user_handler_variable_is_respected(aspect_assembly: cx_api.CloudAssembly) -> None:
    _, properties = _function(_template(aspect_assembly, "MixedStack"), "PresetHandlerVariable")
    assert _is_protected(properties)
    assert properties["Environment"]["Variables"][contract.ORIGINAL_HANDLER_ENV] == "orders_worker.handler"


def test_protecting_twice_is_protecting_once(aspect_assembly: cx_api.CloudAssembly) -> None:
    template = _template(aspect_assembly, "MixedStack")
    function_id, properties = _function(template, "AlreadyProtected")
    assert len(properties["Layers"]) == 1
    assert properties["Environment"]["Variables"][contract.ORIGINAL_HANDLER_ENV] == "orders_api.handler"
    filters = [f for f in resources(template, "AWS::Logs::MetricFilter") if f.startswith("AlreadyProtected")]
    alarms = [a for a in resources(template, "AWS::CloudWatch::Alarm") if a.startswith("AlreadyProtected")]
    assert len(filters) == 1 and len(alarms) == 1


def test_every_protected_function_is_fully_wired(aspect_assembly: cx_api.CloudAssembly) -> None:
    """Never half wired: redirected handler <=> guard layer <=> original handler variable <=> filter."""
    for stack in ("MixedStack", "OtherStack"):
        template = _template(aspect_assembly, stack)
        filters = {f["Properties"]["LogGroupName"]["Ref"] for f in resources(template, "AWS::Logs::MetricFilter").values()}
        guard_layers = {key for key in resources(template, "AWS::Lambda::LayerVersion")
                        if key.startswith("ProtectLambdaGuardLayer")}
        for function_id, properties in resources(template, "AWS::Lambda::Function").items():
            props = properties["Properties"]
            redirected = _is_protected(props)
            has_layer = any(ref.get("Ref") in guard_layers for ref in props.get("Layers", []))
            has_variable = contract.ORIGINAL_HANDLER_ENV in props.get("Environment", {}).get("Variables", {})
            log_group = props.get("LoggingConfig", {}).get("LogGroup", {}).get("Ref")
            assert redirected == has_layer == has_variable == (log_group in filters), function_id


def test_shared_resources_per_stack(aspect_assembly: cx_api.CloudAssembly) -> None:
    for stack in ("MixedStack", "OtherStack"):
        template = _template(aspect_assembly, stack)
        assert len(resources(template, "AWS::SNS::Topic")) == 1
        assert len(resources(template, "AWS::CloudWatch::Dashboard")) == 1
        (subscription,) = resources(template, "AWS::SNS::Subscription").values()
        assert subscription["Properties"]["Endpoint"] == "team@example.com"


def test_nag_finds_nothing_on_what_protect_lambda_adds(aspect_assembly: cx_api.CloudAssembly) -> None:
    """cdk-nag AwsSolutions ran over the whole Aspect app (synth would have failed on a finding);
    the only acknowledged findings are on the test's own functions and roles."""
    from pathlib import Path
    import json

    report = json.loads((Path(aspect_assembly.directory) / "validation-report.json").read_text())
    (plugin,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert plugin["violations"] == []
    paths = {c["constructPath"] for v in plugin["suppressedViolations"] for c in v["violatingConstructs"]}
    assert paths, "nothing acknowledged: is cdk-nag running?"
    assert not [p for p in paths if "/Protection/" in p or "ProtectLambda" in p]
    assert {v["ruleName"].split("[")[0] for v in plugin["suppressedViolations"]} == {
        "AwsSolutions-IAM4", "AwsSolutions-L1"}


def test_aspect_app_snapshot(aspect_assembly: cx_api.CloudAssembly, snapshot: Any) -> None:
    from syrupy.extensions.json import JSONSnapshotExtension

    from .templates import normalised

    for stack in ("MixedStack", "OtherStack"):
        assert normalised(_template(aspect_assembly, stack)) == snapshot(
            name=stack, extension_class=JSONSnapshotExtension)
    warnings = {stack: _warnings(aspect_assembly, stack) for stack in ("MixedStack", "OtherStack")}
    assert warnings == snapshot(name="warnings", extension_class=JSONSnapshotExtension)


def test_include_by_path_and_tag() -> None:
    from aws_cdk import App, Aspects, Stack, Tags
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk.assertions import Template

    from protect_lambda_construct import ProtectLambdas

    from .apps import python_function_props

    app = App()
    stack = Stack(app, "IncludeStack")
    for name in ("PaymentsApi", "PaymentsWorker", "Reports"):
        lambda_.Function(stack, name, **python_function_props())
    Tags.of(stack.node.find_child("PaymentsWorker")).add("team", "payments")
    Tags.of(stack.node.find_child("Reports")).add("team", "payments")
    Aspects.of(app).add(ProtectLambdas(include=["*/Payments*"], include_tags={"team": "payments"}))
    functions = Template.from_stack(stack).find_resources("AWS::Lambda::Function")
    protected = sorted(key for key, value in functions.items()
                       if value["Properties"]["Handler"] == contract.WRAPPER_HANDLER)
    # both filters must hold: PaymentsApi has no tag, Reports does not match the path
    assert [key.rstrip("0123456789ABCDEF") for key in protected] == ["PaymentsWorker"]


def test_every_python_runtime_cdk_knows_is_covered() -> None:
    """Fails when aws-cdk-lib learns a new Python runtime: test it, then add it to the guard's list."""
    import re

    from aws_cdk import aws_lambda as lambda_

    from protect_lambda_construct.layer import SUPPORTED_PYTHON_RUNTIMES

    known = sorted((name for name in dir(lambda_.Runtime)
                    if re.fullmatch(r"PYTHON_3_\d+", name) and int(name.rsplit("_", 1)[1]) >= 10),
                   key=lambda name: int(name.rsplit("_", 1)[1]))
    assert tuple(known) == PYTHON_RUNTIMES
    assert [getattr(lambda_.Runtime, name).name for name in known] == list(SUPPORTED_PYTHON_RUNTIMES)
