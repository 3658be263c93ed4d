"""Template assertions on the example app: every resource and property the construct adds."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import cx_api
from aws_cdk.assertions import Match, Template

from example.stack import STACK_NAME
from protect_lambda import contract
from protect_lambda_construct.layer import NO_BYTECODE_WARNING, guard_package_dir
from protect_lambda_tools.local_template import pseudo_parameters, resolve_value

from .conftest import asset_dir, source_files
from .templates import one, resources


def test_resource_counts(example_template: dict[str, Any]) -> None:
    template = Template.from_json(example_template)
    template.resource_count_is("AWS::Lambda::Function", 3)
    # shared: one guard layer per stack, runtime and architecture; one proxy layer per stack and architecture
    template.resource_count_is("AWS::Lambda::LayerVersion", 2)
    template.resource_count_is("AWS::Logs::LogGroup", 3)
    template.resource_count_is("AWS::Logs::MetricFilter", 3)
    template.resource_count_is("AWS::CloudWatch::Alarm", 3)
    template.resource_count_is("AWS::SNS::Topic", 1)  # shared by the stack's functions
    template.resource_count_is("AWS::SNS::Subscription", 2)  # email + queue, once each
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_functions_are_redirected_into_the_guard(example_template: dict[str, Any]) -> None:
    layer_id, _ = one(example_template, "AWS::Lambda::LayerVersion", CompatibleRuntimes=["python3.14"])
    for original in ("orders_api.handler", "orders_worker.handler"):
        Template.from_json(example_template).has_resource_properties("AWS::Lambda::Function", {
            "Handler": contract.WRAPPER_HANDLER,
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Layers": [{"Ref": layer_id}],
            "Environment": {"Variables": {
                contract.ORIGINAL_HANDLER_ENV: original,
                contract.MODE_ENV: contract.MODE_BLOCK,
                contract.FAIL_POLICY_ENV: contract.FAIL_OPEN,
            }},
            "LoggingConfig": {"LogGroup": {"Ref": Match.string_like_regexp("LogGroup")}},
        })


def test_guard_layer(example_template: dict[str, Any], example_assembly: cx_api.CloudAssembly) -> None:
    _, layer = one(example_template, "AWS::Lambda::LayerVersion", CompatibleRuntimes=["python3.14"])
    properties = layer["Properties"]
    assert properties["CompatibleArchitectures"] == ["arm64"]
    assert properties["CompatibleRuntimes"] == ["python3.14"]  # one layer per runtime: its bytecode is per version
    # the layer's asset holds the guard where Lambda mounts it: /opt/python/protect_lambda
    staged = asset_dir(example_assembly, properties["Content"]["S3Key"]) / "python" / "protect_lambda"
    for name in ("wrapper.py", "contract.py", "guard.py", "engine.py"):
        assert (staged / name).is_file(), name
    assert list((staged / "rules").glob("*.json")), "rules data missing from the layer"
    # the layer is the guard package as it is: every file of it, and nothing else (no exclusion list)
    assert source_files(staged) == source_files(guard_package_dir())
    # the test apps are built without a bytecode interpreter (tests/conftest.py): sources only, and a warning
    assert not list(staged.rglob("__pycache__")) and not (staged / "precompiled").exists()
    warnings = [m for m in example_assembly.get_stack_by_name(STACK_NAME).messages
                if m.level == cx_api.SynthesisMessageLevel.WARNING and NO_BYTECODE_WARNING in str(m.entry.data)]
    assert len(warnings) == 1 and "PROTECT_LAMBDA_PYTHON_3_14" in str(warnings[0].entry.data)


def test_the_node_function_is_behind_the_proxy_extension(example_template: dict[str, Any],
                                                          example_assembly: cx_api.CloudAssembly) -> None:
    """OrdersApiNode: its own handler, started through the proxy layer's wrapper; the layer holds the
    x86_64 extension and the wrapper, executable."""
    layer_id, layer = one(example_template, "AWS::Lambda::LayerVersion", CompatibleArchitectures=["x86_64"])
    assert "CompatibleRuntimes" not in layer["Properties"]
    Template.from_json(example_template).has_resource_properties("AWS::Lambda::Function", {
        "Handler": "orders_api.handler",
        "Runtime": "nodejs24.x",
        "Layers": [{"Ref": layer_id}],
        "Environment": {"Variables": {
            "AWS_LAMBDA_EXEC_WRAPPER": "/opt/protect-lambda/wrapper",
            contract.MODE_ENV: contract.MODE_BLOCK,
            contract.FAIL_POLICY_ENV: contract.FAIL_OPEN,
            contract.SEAL_ENV: Match.any_value(),
        }},
        "LoggingConfig": {"LogGroup": {"Ref": Match.string_like_regexp("OrdersApiNodeLogGroup")}},
    })
    staged = asset_dir(example_assembly, layer["Properties"]["Content"]["S3Key"])
    binary, wrapper = staged / "extensions" / "protect-lambda-proxy", staged / "protect-lambda" / "wrapper"
    assert binary.read_bytes()[:4] == b"\x7fELF" and int.from_bytes(binary.read_bytes()[18:20], "little") == 0x3E
    assert binary.stat().st_mode & 0o111 and wrapper.stat().st_mode & 0o111


def test_log_groups_have_retention(example_template: dict[str, Any]) -> None:
    for group in resources(example_template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == 30


STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/ProtectLambdaExample/6f3c1d20-d2a1-11f1-b0c4-0a1b2c3d4e5f"


def test_metric_filters_count_only_sealed_records_of_their_own_function(example_template: dict[str, Any]) -> None:
    """Each function's filter names that function and the stack's seal, which the function gets in its
    environment: both resolve, as CloudFormation would, to the same uuid of the stack's id."""
    functions = resources(example_template, "AWS::Lambda::Function")
    log_groups = {fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]: fid for fid, fn in functions.items()}
    filters = resources(example_template, "AWS::Logs::MetricFilter")
    assert {f["Properties"]["LogGroupName"]["Ref"] for f in filters.values()} == set(log_groups)
    for metric_filter in filters.values():
        properties = metric_filter["Properties"]
        function_id = log_groups[properties["LogGroupName"]["Ref"]]
        refs = {**pseudo_parameters(STACK_ID, "eu-west-1", "123456789012"), function_id: f"deployed-{function_id}"}
        seal = resolve_value(functions[function_id]["Properties"]["Environment"]["Variables"][contract.SEAL_ENV], refs)
        assert seal == "6f3c1d20-d2a1-11f1-b0c4-0a1b2c3d4e5f"
        assert resolve_value(properties["FilterPattern"], refs) == contract.violation_filter_pattern(
            f"deployed-{function_id}", seal)
        assert properties["MetricTransformations"] == [{
            "MetricNamespace": contract.METRIC_NAMESPACE,
            "MetricName": contract.METRIC_NAME,
            "MetricValue": "1",
            "Unit": "Count",
            "Dimensions": [{"Key": contract.METRIC_DIMENSION, "Value": f"$.{contract.FIELD_FUNCTION_NAME}"}],
        }]


def test_alarm_watches_exactly_the_metric_the_filter_emits(example_template: dict[str, Any]) -> None:
    """Each alarm's namespace, name, unit and dimensions are those its function's filter emits.

    The filter takes the dimension's value from the record's ``function_name``, which the
    guard fills from the Lambda context: the deployed function's name, i.e. ``Ref`` of the
    function. An alarm on another dimension set (or none) would never see a datapoint.
    """
    functions = resources(example_template, "AWS::Lambda::Function")
    filters = resources(example_template, "AWS::Logs::MetricFilter")
    alarms = resources(example_template, "AWS::CloudWatch::Alarm")
    assert len(alarms) == len(functions)
    for function_id, function in functions.items():
        log_group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        (transformation,) = [f["Properties"]["MetricTransformations"][0] for f in filters.values()
                             if f["Properties"]["LogGroupName"]["Ref"] == log_group]
        emitted_dimensions = {d["Key"]: d["Value"] for d in transformation["Dimensions"]}
        watching = [a["Properties"] for a in alarms.values()
                    if a["Properties"]["Dimensions"] == [{"Name": contract.METRIC_DIMENSION,
                                                           "Value": {"Ref": function_id}}]]
        assert len(watching) == 1, f"no alarm watches {function_id}'s metric"
        alarm = watching[0]
        assert alarm["Namespace"] == transformation["MetricNamespace"]
        assert alarm["MetricName"] == transformation["MetricName"]
        assert alarm["Unit"] == transformation["Unit"]
        assert {d["Name"] for d in alarm["Dimensions"]} == set(emitted_dimensions)
        assert emitted_dimensions[contract.METRIC_DIMENSION] == f"$.{contract.FIELD_FUNCTION_NAME}"


def test_alarm_defaults(example_template: dict[str, Any]) -> None:
    topic_id, _ = one(example_template, "AWS::SNS::Topic")
    for alarm in resources(example_template, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        assert properties["Statistic"] == "Sum"
        assert properties["Period"] == 300
        assert properties["Threshold"] == 1
        assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert properties["EvaluationPeriods"] == 1
        assert properties["DatapointsToAlarm"] == 1
        assert properties["TreatMissingData"] == "notBreaching"
        assert properties["AlarmActions"] == [{"Ref": topic_id}]
        assert properties["OKActions"] == [{"Ref": topic_id}]


def test_topic_enforces_tls(example_template: dict[str, Any]) -> None:
    topic_id, _ = one(example_template, "AWS::SNS::Topic")
    _, policy = one(example_template, "AWS::SNS::TopicPolicy")
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)


def test_subscriptions(example_template: dict[str, Any]) -> None:
    topic_id, _ = one(example_template, "AWS::SNS::Topic")
    subscriptions = [s["Properties"] for s in resources(example_template, "AWS::SNS::Subscription").values()]
    assert {s["Protocol"] for s in subscriptions} == {"email", "sqs"}
    assert all(s["TopicArn"] == {"Ref": topic_id} for s in subscriptions)
    (email,) = [s for s in subscriptions if s["Protocol"] == "email"]
    assert email["Endpoint"] == "security-oncall@example.com"


def test_dashboard_graphs_each_function_and_alarm(example_template: dict[str, Any]) -> None:
    _, dashboard = one(example_template, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    functions = resources(example_template, "AWS::Lambda::Function")
    alarms = resources(example_template, "AWS::CloudWatch::Alarm")
    assert "Violations: all protected functions" in body
    for function_id in functions:
        assert body.count(f'\\"Ref\\": \\"{function_id}\\"') + body.count(f'"Ref": "{function_id}"') >= 2
    for alarm_id in alarms:
        assert alarm_id in body
    assert '\\"type\\":\\"alarm\\"' in body or '"type":"alarm"' in body


def test_queue_worker_reports_batch_item_failures(example_template: dict[str, Any]) -> None:
    Template.from_json(example_template).has_resource_properties("AWS::Lambda::EventSourceMapping", {
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    })
