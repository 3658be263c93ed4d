"""What real CDK apps hold beyond the example: each case a small part of one app, synthesized once.

Lambda@Edge, full layer slots, a full environment, CDK's own handlers (BucketDeployment,
AwsCustomResource, the provider framework, auto-delete), log settings the user chose
(``log_retention``, a ``/aws/lambda/<name>`` group, roles that cannot write elsewhere),
HTTP API authorizers, nested stacks and shared resources (``shared_in``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Aspects, Aws, Environment, NestedStack, RemovalPolicy, Stack, cx_api
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import custom_resources as cr
from protect_lambda import contract

from protect_lambda_construct import ProtectedFunction, ProtectionError, ProtectLambdas, protect
from protect_lambda_construct.protection import LOGS_WARNING

from .apps import FUNCTIONS_DIR, python_function_props
from .templates import resources

ENV = Environment(account="123456789012", region="us-east-1")
CASES = "RealCasesStack"
OTHER = "RealOtherStack"
MONITORING = "RealMonitoringStack"


def _build(outdir: str, *, include_cdk_handlers: bool = False) -> cx_api.CloudAssembly:
    app = App(outdir=outdir)
    monitoring = Stack(app, MONITORING, env=ENV)
    stack = Stack(app, CASES, env=ENV)

    def function(scope: Any, name: str, **props: Any) -> lambda_.Function:
        return lambda_.Function(scope, name, **python_function_props(**props))

    # Lambda@Edge, by a distribution's association and by CloudFront's EdgeFunction
    bucket = s3.Bucket(stack, "Site", auto_delete_objects=True, removal_policy=RemovalPolicy.DESTROY)
    edge = function(stack, "Viewer")
    cloudfront.Distribution(stack, "Cdn", default_behavior=cloudfront.BehaviorOptions(
        origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
        edge_lambdas=[cloudfront.EdgeLambda(function_version=edge.current_version,
                                            event_type=cloudfront.LambdaEdgeEventType.VIEWER_REQUEST)]))
    cloudfront.experimental.EdgeFunction(stack, "EdgeFn", **python_function_props())
    # no room: five layers already, or an environment close to Lambda's 4 KB
    layers = [lambda_.LayerVersion(stack, f"Layer{i}", code=lambda_.Code.from_asset(str(FUNCTIONS_DIR)))
              for i in range(5)]
    function(stack, "FiveLayers", layers=layers)
    function(stack, "FullEnvironment", environment={"BLOB": "x" * 3990})
    # CDK's own handlers
    s3_deployment.BucketDeployment(stack, "Deploy", sources=[s3_deployment.Source.asset(str(FUNCTIONS_DIR))],
                                   destination_bucket=bucket)
    cr.AwsCustomResource(stack, "Sdk", on_create=cr.AwsSdkCall(
        service="S3", action="listBuckets", physical_resource_id=cr.PhysicalResourceId.of("buckets")),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE))
    on_event = function(stack, "SchemaOnEvent")  # the user's own custom-resource handler
    cr.Provider(stack, "SchemaProvider", on_event_handler=on_event)
    # log settings the user chose
    function(stack, "Retained", log_retention=logs.RetentionDays.ONE_DAY)
    own = function(stack, "OwnGroup")
    logs.LogGroup(stack, "OwnGroupLogs", log_group_name=f"/aws/lambda/{own.function_name}",
                  retention=logs.RetentionDays.ONE_WEEK)
    function(stack, "JsonLogs", logging_format=lambda_.LoggingFormat.JSON,
             application_log_level_v2=lambda_.ApplicationLogLevel.INFO)
    bare_role = iam.Role(stack, "BareRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    function(stack, "BareRoleFn", role=bare_role)
    function(stack, "ImportedRoleFn", role=iam.Role.from_role_arn(
        stack, "ImportedRole", "arn:aws:iam::123456789012:role/app-role"))
    function(stack, "FixedRoleFn", role=iam.Role.from_role_arn(
        stack, "FixedRole", "arn:aws:iam::123456789012:role/fixed-role", mutable=False))
    # HTTP API authorizers, simple and IAM responses
    api = apigwv2.HttpApi(stack, "Api")
    backend = integrations.HttpLambdaIntegration("Backend", function(stack, "Backend"))
    for name, kind in (("SimpleAuth", authorizers.HttpLambdaResponseType.SIMPLE),
                       ("IamAuth", authorizers.HttpLambdaResponseType.IAM)):  # CDK makes this one payload 1.0
        authorizer = authorizers.HttpLambdaAuthorizer(name, function(stack, name), response_types=[kind])
        api.add_routes(path=f"/{name.lower()}", integration=backend, authorizer=authorizer)
    iam_v2 = function(stack, "IamV2Auth")
    apigwv2.CfnAuthorizer(stack, "IamV2Authorizer", api_id=api.api_id, name="iam-v2", authorizer_type="REQUEST",
                          authorizer_payload_format_version="2.0", enable_simple_responses=False,
                          identity_source=["$request.header.Authorization"],
                          authorizer_uri=f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}:lambda:path/2015-03-31/"
                                         f"functions/{iam_v2.function_arn}/invocations")
    # a nested stack, and a sibling stack sharing the monitoring stack's topic and dashboard
    function(NestedStack(stack, "Nested"), "InNested")
    function(Stack(app, OTHER, env=ENV), "Sibling")
    Aspects.of(app).add(ProtectLambdas(shared_in=monitoring, log_removal_policy=RemovalPolicy.DESTROY,
                                       include_cdk_handlers=include_cdk_handlers))
    return app.synth()


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    return _build(str(tmp_path_factory.mktemp("real-cases")))


@pytest.fixture(scope="module")
def template(assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    found: dict[str, Any] = assembly.get_stack_by_name(CASES).template
    return found


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: value["Properties"] for key, value in resources(template, "AWS::Lambda::Function").items()}


def _protected(template: dict[str, Any], prefix: str) -> bool:
    [(_, properties)] = [(k, p) for k, p in _functions(template).items() if k.startswith(prefix)]
    return bool(properties["Handler"] == contract.WRAPPER_HANDLER)


def _warnings(assembly: cx_api.CloudAssembly, *stacks: str) -> dict[str, list[str]]:
    """protect-lambda's warning texts by the construct path they are on."""
    found: dict[str, list[str]] = {}
    for name in stacks:
        for message in assembly.get_stack_by_name(name).messages:
            text = str(message.entry.data)
            if message.level == cx_api.SynthesisMessageLevel.WARNING and "protect-lambda" in text:
                found.setdefault(message.id, []).append(text)
    return found


def _nested_template(assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    from pathlib import Path

    [path] = Path(assembly.directory).glob(f"{CASES}Nested*.nested.template.json")
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_edge_functions_are_left_as_they_were_with_a_warning(assembly: cx_api.CloudAssembly,
                                                             template: dict[str, Any]) -> None:
    """The synth that crashed with LambdaEdgeEnvironmentVariablesNotAllowed now succeeds."""
    assert not _protected(template, "Viewer")
    assert not any(p["Handler"] == contract.WRAPPER_HANDLER for k, p in _functions(template).items()
                   if k.startswith("EdgeFn"))
    warnings = _warnings(assembly, CASES)
    assert any("Lambda@Edge" in text for text in warnings[f"/{CASES}/Viewer"])
    assert any("Lambda@Edge" in text for path, texts in warnings.items() if "EdgeFn" in path for text in texts)
    [edge] = [p for k, p in _functions(template).items() if k.startswith("Viewer")]
    assert "Environment" not in edge and "Layers" not in edge


def test_no_room_for_the_guard_leaves_the_function_alone_naming_the_prop(assembly: cx_api.CloudAssembly,
                                                                         template: dict[str, Any]) -> None:
    assert not _protected(template, "FiveLayers") and not _protected(template, "FullEnvironment")
    warnings = _warnings(assembly, CASES)
    assert "layers: the function has 5 layers" in warnings[f"/{CASES}/FiveLayers"][0]
    assert "environment:" in warnings[f"/{CASES}/FullEnvironment"][0]


def test_cdk_handlers_are_skipped_silently(assembly: cx_api.CloudAssembly, template: dict[str, Any]) -> None:
    functions = _functions(template)
    cdk_own = [key for key in functions if key.startswith(("CustomCDKBucketDeployment", "AWS679f53fac",
                                                           "SchemaProviderframework"))]
    assert len(cdk_own) == 3
    assert all(functions[key]["Handler"] != contract.WRAPPER_HANDLER for key in cdk_own)
    warnings = _warnings(assembly, CASES)
    assert not [path for path in warnings if "Deploy" in path or "Sdk" in path or "SchemaProvider" in path
                or "CustomCDK" in path or "AWS679f53fac" in path]
    # the user's own custom-resource handler is theirs: protected (its requests pass uninspected)
    assert _protected(template, "SchemaOnEvent")


def test_include_cdk_handlers_protects_the_python_ones(tmp_path_factory: pytest.TempPathFactory) -> None:
    template = _build(str(tmp_path_factory.mktemp("cdk-handlers")),
                      include_cdk_handlers=True).get_stack_by_name(CASES).template
    functions = _functions(template)
    [deployment] = [p for k, p in functions.items() if k.startswith("CustomCDKBucketDeployment")]
    assert deployment["Handler"] == contract.WRAPPER_HANDLER


def test_log_retention_keeps_the_users_group(template: dict[str, Any]) -> None:
    """``log_retention``: the function keeps logging to /aws/lambda/<name>; the filter waits for the group."""
    [(key, properties)] = [(k, p) for k, p in _functions(template).items() if k.startswith("Retained")]
    assert "LoggingConfig" not in properties
    [(_, metric_filter)] = [(k, v) for k, v in resources(template, "AWS::Logs::MetricFilter").items()
                            if k.startswith("RetainedProtection")]
    assert metric_filter["Properties"]["LogGroupName"] == {"Fn::Join": ["", ["/aws/lambda/", {"Ref": key}]]}
    [retention] = [k for k, v in template["Resources"].items() if v["Type"] == "Custom::LogRetention"
                   and k.startswith("RetainedLogRetention")]
    assert retention in metric_filter["DependsOn"]
    assert not [k for k in resources(template, "AWS::Logs::LogGroup") if k.startswith("RetainedProtection")]


def test_a_group_named_after_the_function_is_adopted(template: dict[str, Any]) -> None:
    [(key, properties)] = [(k, p) for k, p in _functions(template).items() if k.startswith("OwnGroup")]
    assert "LoggingConfig" not in properties
    [own] = [k for k in resources(template, "AWS::Logs::LogGroup") if k.startswith("OwnGroupLogs")]
    [metric_filter] = [v for k, v in resources(template, "AWS::Logs::MetricFilter").items()
                       if k.startswith("OwnGroupProtection")]
    assert metric_filter["Properties"]["LogGroupName"] == {"Ref": own}
    assert not [k for k in resources(template, "AWS::Logs::LogGroup") if k.startswith("OwnGroupProtection")]


def test_existing_logging_config_is_kept(template: dict[str, Any]) -> None:
    [properties] = [p for k, p in _functions(template).items() if k.startswith("JsonLogs")]
    config = properties["LoggingConfig"]
    assert config["LogFormat"] == "JSON" and config["ApplicationLogLevel"] == "INFO"
    assert "Ref" in config["LogGroup"]


def test_created_groups_follow_the_removal_policy(template: dict[str, Any]) -> None:
    created = {k: v for k, v in resources(template, "AWS::Logs::LogGroup").items() if "Protection" in k}
    assert created and all(v["DeletionPolicy"] == "Delete" for v in created.values())


def _policy_statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        roles = json.dumps(policy["Properties"].get("Roles", []))
        if role_prefix in roles:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def test_a_role_without_log_permissions_is_granted_them(template: dict[str, Any]) -> None:
    [group] = [k for k in resources(template, "AWS::Logs::LogGroup") if k.startswith("BareRoleFnProtection")]
    statements = _policy_statements(template, "BareRole")
    assert {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [group, "Arn"]}} in statements
    # functions whose role allows writing anywhere (the basic execution policy) get no extra policy
    assert not _policy_statements(template, "BackendServiceRole")


def test_an_imported_role_gets_a_policy_or_a_warning(assembly: cx_api.CloudAssembly, template: dict[str, Any]) -> None:
    [imported] = [p for p in resources(template, "AWS::IAM::Policy").values()
                  if p["Properties"].get("Roles") == ["app-role"]]
    actions = imported["Properties"]["PolicyDocument"]["Statement"][0]["Action"]
    assert actions == ["logs:CreateLogStream", "logs:PutLogEvents"]
    warnings = _warnings(assembly, CASES)
    assert any(LOGS_WARNING in text and "role: the function's role is imported" in text
               for text in warnings[f"/{CASES}/FixedRoleFn"])
    assert f"/{CASES}/ImportedRoleFn" not in warnings


def test_http_authorizers_tell_the_guard_their_response_format(template: dict[str, Any]) -> None:
    """Payload 2.0 with simple responses: ``isAuthorized``; without: the IAM policy. Payload 1.0
    (CDK's IAM response type) carries a methodArn, and the guard answers it with a policy untold."""
    for name, style in (("SimpleAuth", "simple"), ("IamV2Auth", "iam")):
        [properties] = [p for k, p in _functions(template).items() if k.startswith(name)]
        assert properties["Handler"] == contract.WRAPPER_HANDLER
        assert properties["Environment"]["Variables"][contract.AUTHORIZER_RESPONSE_ENV] == style
    for name in ("Backend", "IamAuth"):
        [properties] = [p for k, p in _functions(template).items() if k.startswith(name)]
        assert contract.AUTHORIZER_RESPONSE_ENV not in properties["Environment"]["Variables"]


def test_shared_in_puts_one_topic_and_dashboard_in_the_monitoring_stack(assembly: cx_api.CloudAssembly,
                                                                        template: dict[str, Any]) -> None:
    monitoring = assembly.get_stack_by_name(MONITORING).template
    [topic] = resources(monitoring, "AWS::SNS::Topic").values()
    assert topic["Properties"]["TopicName"] == f"{MONITORING}-protect-lambda-alerts"
    assert len(resources(monitoring, "AWS::CloudWatch::Dashboard")) == 1
    other = assembly.get_stack_by_name(OTHER).template
    nested = _nested_template(assembly)
    for stack_template in (template, other, nested):
        assert not resources(stack_template, "AWS::SNS::Topic")
        assert not resources(stack_template, "AWS::CloudWatch::Dashboard")
        alarms = resources(stack_template, "AWS::CloudWatch::Alarm")
        assert alarms
        for alarm in alarms.values():  # the topic by its ARN, built in the alarm's stack: no reference back
            [action] = alarm["Properties"]["AlarmActions"]
            assert f":sns:us-east-1:123456789012:{MONITORING}-protect-lambda-alerts" in json.dumps(action)
            assert "ImportValue" not in json.dumps(action)
    # the nested stack's functions use their top-level stack's guard layer, passed as a parameter
    [in_nested] = resources(nested, "AWS::Lambda::Function").values()
    assert in_nested["Properties"]["Handler"] == contract.WRAPPER_HANDLER
    assert not resources(nested, "AWS::Lambda::LayerVersion")
    assert list(in_nested["Properties"]["Layers"][0]) == ["Ref"]
    # the monitoring stack reads the others; they never read it
    def depends_on(name: str) -> set[str]:
        return {artifact.id for artifact in assembly.get_stack_by_name(name).dependencies}

    assert {CASES, OTHER} <= depends_on(MONITORING)
    assert MONITORING not in depends_on(CASES) | depends_on(OTHER)


# --- the same cases through ProtectedFunction / protect(): synth fails naming the prop ------------------


def test_protected_function_used_as_edge_fails_synth(tmp_path_factory: pytest.TempPathFactory) -> None:
    app = App(outdir=str(tmp_path_factory.mktemp("edge-fails")))
    stack = Stack(app, "EdgeFails", env=ENV)
    fn = ProtectedFunction(stack, "Viewer", **python_function_props())
    cloudfront.Distribution(stack, "Cdn", default_behavior=cloudfront.BehaviorOptions(
        origin=origins.S3BucketOrigin.with_origin_access_control(s3.Bucket(stack, "Site")),
        edge_lambdas=[cloudfront.EdgeLambda(function_version=fn.current_version,
                                            event_type=cloudfront.LambdaEdgeEventType.VIEWER_REQUEST)]))
    with pytest.raises(Exception, match="Lambda@Edge allows neither layers nor environment variables"):
        app.synth()


def test_protect_fails_on_full_layers_and_unwritable_logs() -> None:
    stack = Stack(App(), "Direct", env=ENV)
    layers = [lambda_.LayerVersion(stack, f"L{i}", code=lambda_.Code.from_asset(str(FUNCTIONS_DIR)))
              for i in range(5)]
    full = lambda_.Function(stack, "Full", **python_function_props(layers=layers))
    with pytest.raises(ProtectionError, match="layers: the function has 5 layers"):
        protect(full)
    assert full.node.try_find_child("Protection") is None
    fixed = iam.Role.from_role_arn(stack, "Fixed", "arn:aws:iam::123456789012:role/fixed", mutable=False)
    with pytest.raises(ProtectionError, match="role: the function's role is imported"):
        ProtectedFunction(stack, "FixedRole", role=fixed, **python_function_props())
