"""The ProtectLambdas Aspect over a multi-stack app with mixed runtimes."""

from __future__ import annotations

import json
import os
from pathlib import Path
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
    """Guarded by the Python guard layer, or by the proxy extension (other runtimes; OS-only ones
    through the bootstrap shim)."""
    return bool(properties.get("Handler") == contract.WRAPPER_HANDLER
                or properties.get("Environment", {}).get("Variables", {}).get("AWS_LAMBDA_EXEC_WRAPPER")
                == "/opt/protect-lambda/wrapper"
                or (str(properties.get("Runtime")).startswith("provided") and properties.get("Layers")))


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
                   for layer in mixed.values() if "CompatibleRuntimes" in layer["Properties"])
    protected = sorted({(f["Properties"]["Runtime"], f["Properties"].get("Architectures", ["x86_64"])[0])
                        for f in resources(template, "AWS::Lambda::Function").values()
                        if f["Properties"].get("Handler") == contract.WRAPPER_HANDLER})
    assert pairs == protected  # one layer each, shared by the functions of that runtime and architecture
    assert len(pairs) == len(PYTHON_RUNTIMES) * len(ARCHITECTURES)
    other = resources(_template(aspect_assembly, "OtherStack"), "AWS::Lambda::LayerVersion")
    assert len(other) == 1


@pytest.mark.parametrize("prefix, reason", [
    ("Old", "runtime: python3.9 is not supported"),
    ("Image", "COPY DIR/ /opt/"),
    ("Provided", "does not run AWS_LAMBDA_EXEC_WRAPPER scripts, and the code is not a local folder"),
    ("DatadogNode", "DD_SERVERLESS_APPSEC_ENABLED=true starts Datadog's Runtime API proxy"),
])
def test_ineligible_functions_are_untouched_with_a_warning(aspect_assembly: cx_api.CloudAssembly,
                                                           prefix: str, reason: str) -> None:
    template = _template(aspect_assembly, "MixedStack")
    function_id, properties = _function(template, prefix)
    assert not _is_protected(properties)
    assert "Layers" not in properties
    assert contract.ORIGINAL_HANDLER_ENV not in str(properties.get("Environment"))
    assert contract.SEAL_ENV not in str(properties.get("Environment"))
    assert not [k for k in resources(template, "AWS::CloudWatch::Alarm") if k.startswith(prefix)]
    warnings = _warnings(aspect_assembly, "MixedStack")
    (message,) = [text for path, text in warnings.items() if path == f"/MixedStack/{prefix}"]
    assert "/opt/protect-lambda/wrapper" in message if prefix == "Image" else True
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
    """Never half wired: redirected handler (Python) or runtime wrapper (other runtimes) <=> guard (or
    proxy) layer <=> original handler (or wrapper) variable <=> filter."""
    for stack in ("MixedStack", "OtherStack"):
        template = _template(aspect_assembly, stack)
        filters = {f["Properties"]["LogGroupName"]["Ref"] for f in resources(template, "AWS::Logs::MetricFilter").values()}
        guard_layers = {key for key in resources(template, "AWS::Lambda::LayerVersion")
                        if key.startswith("ProtectLambdaGuardLayer")}
        proxy_layers = {key for key in resources(template, "AWS::Lambda::LayerVersion")
                        if key.startswith("ProtectLambdaProxyLayer")}
        for function_id, properties in resources(template, "AWS::Lambda::Function").items():
            props = properties["Properties"]
            redirected = _is_protected(props)
            variables = props.get("Environment", {}).get("Variables", {})
            proxied = props.get("Runtime", "").startswith(("nodejs", "java", "dotnet", "ruby", "provided"))
            layers = proxy_layers if proxied else guard_layers
            has_layer = any(ref.get("Ref") in layers for ref in props.get("Layers", []))
            if props.get("Runtime", "").startswith("provided"):
                has_variable = contract.SEAL_ENV in variables  # the shim, no wrapper variable
            elif proxied:
                has_variable = variables.get("AWS_LAMBDA_EXEC_WRAPPER") == "/opt/protect-lambda/wrapper"
            else:
                has_variable = contract.ORIGINAL_HANDLER_ENV in variables
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


@pytest.mark.parametrize("prefix, runtime", [("Node", "nodejs22.x"), ("ArmNode", "nodejs20.x"), ("Java", "java21"),
                                             ("Dotnet", "dotnet8"), ("Ruby", "ruby3.3")])
def test_other_runtimes_get_the_proxy_extension_and_the_same_alerting(aspect_assembly: cx_api.CloudAssembly,
                                                                      prefix: str, runtime: str) -> None:
    """Node.js, Java, .NET and Ruby functions: handler untouched, the runtime started through the
    proxy layer's wrapper, the guard's variables and seal, and the same alerting chain as Python's."""
    template = _template(aspect_assembly, "MixedStack")
    function_id, properties = _function(template, prefix)
    assert properties["Runtime"] == runtime and _is_protected(properties)
    assert properties["Handler"] != contract.WRAPPER_HANDLER
    variables = properties["Environment"]["Variables"]
    assert contract.ORIGINAL_HANDLER_ENV not in variables and variables[contract.SEAL_ENV]
    assert variables[contract.MODE_ENV] == "block"
    arch = properties.get("Architectures", ["x86_64"])[0]
    (layer_ref,) = [ref["Ref"] for ref in properties["Layers"]]
    layer = resources(template, "AWS::Lambda::LayerVersion")[layer_ref]["Properties"]
    assert layer["CompatibleArchitectures"] == [arch] and "CompatibleRuntimes" not in layer
    assert layer_ref.startswith("ProtectLambdaProxyLayer" + ("Arm64" if arch == "arm64" else "X8664"))
    log_group = properties["LoggingConfig"]["LogGroup"]["Ref"]
    assert [f for f in resources(template, "AWS::Logs::MetricFilter").values()
            if f["Properties"]["LogGroupName"] == {"Ref": log_group}]
    assert [k for k in resources(template, "AWS::CloudWatch::Alarm") if k.startswith(prefix)]


def test_a_wrapper_the_function_had_is_chained_after_the_proxys(aspect_assembly: cx_api.CloudAssembly) -> None:
    _, properties = _function(_template(aspect_assembly, "MixedStack"), "ArmNode")
    variables = properties["Environment"]["Variables"]
    assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/protect-lambda/wrapper"
    assert variables["PROTECT_LAMBDA_NEXT_WRAPPER"] == "/opt/otel-instrument"


def test_one_proxy_layer_per_architecture_holding_the_extension_and_the_wrapper(
        aspect_assembly: cx_api.CloudAssembly) -> None:
    template = _template(aspect_assembly, "MixedStack")
    layers = {key: value for key, value in resources(template, "AWS::Lambda::LayerVersion").items()
              if key.startswith("ProtectLambdaProxyLayer")}
    assert sorted(layer["Properties"]["CompatibleArchitectures"][0] for layer in layers.values()) == ["arm64", "x86_64"]
    machines = {"x86_64": 0x3E, "arm64": 0xB7}
    for layer in layers.values():
        asset = Path(aspect_assembly.directory) / ("asset." + layer["Properties"]["Content"]["S3Key"].removesuffix(".zip"))
        binary = asset / "extensions" / "protect-lambda-proxy"
        wrapper = asset / "protect-lambda" / "wrapper"
        assert os.access(binary, os.X_OK) and os.access(wrapper, os.X_OK)
        data = binary.read_bytes()
        assert data[:4] == b"\x7fELF"
        assert int.from_bytes(data[18:20], "little") == machines[layer["Properties"]["CompatibleArchitectures"][0]]
        assert "unset PROTECT_LAMBDA_SEAL" in wrapper.read_text()


def test_an_os_only_function_with_a_local_bootstrap_gets_the_shim(aspect_assembly: cx_api.CloudAssembly) -> None:
    """provided.al2023 from a local folder: its code is a copy whose bootstrap starts the original
    through the proxy layer's wrapper; no AWS_LAMBDA_EXEC_WRAPPER (Lambda ignores it there)."""
    from protect_lambda_construct.bootstrap_shim import ORIGINAL_BOOTSTRAP, SHIM

    template = _template(aspect_assembly, "MixedStack")
    _, properties = _function(template, "LocalBootstrap")
    variables = properties["Environment"]["Variables"]
    assert "AWS_LAMBDA_EXEC_WRAPPER" not in variables and variables[contract.SEAL_ENV]
    (layer_ref,) = [ref["Ref"] for ref in properties["Layers"]]
    assert layer_ref.startswith("ProtectLambdaProxyLayerArm64")
    code = Path(aspect_assembly.directory) / ("asset." + properties["Code"]["S3Key"].removesuffix(".zip"))
    assert (code / "bootstrap").read_text() == SHIM and os.access(code / "bootstrap", os.X_OK)
    assert (code / ORIGINAL_BOOTSTRAP).read_text() == "#!/bin/sh\nexec ./server\n"
    assert [k for k in resources(template, "AWS::CloudWatch::Alarm") if k.startswith("LocalBootstrap")]
