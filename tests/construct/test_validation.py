"""Bad props fail at synth with a message naming the prop, and never leave a function half wired."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from protect_lambda import contract
from protect_lambda_construct import (
    AlarmOptions,
    AlertOptions,
    GuardOptions,
    ProtectedFunction,
    ProtectionError,
    RuleAction,
    protect,
)

from protect_lambda_construct import regex_translation
from protect_lambda_construct.eligibility import environment_of

from .apps import code, python_function_props


@pytest.fixture
def stack() -> Stack:
    return Stack(App(), "ValidationStack")


@pytest.mark.parametrize("make, prop", [
    (lambda: AlarmOptions(threshold=0), "alarm.threshold"),
    (lambda: AlarmOptions(threshold=-3), "alarm.threshold"),
    (lambda: AlarmOptions(period=Duration.seconds(90)), "alarm.period"),
    (lambda: AlarmOptions(period=Duration.seconds(30)), "alarm.period"),
    (lambda: AlarmOptions(evaluation_periods=0), "alarm.evaluation_periods"),
    (lambda: AlertOptions(emails=["not-an-address"]), "alerts.emails[0]"),
    (lambda: AlertOptions(emails=["ok@example.com", "two@@example.com"]), "alerts.emails[1]"),
    (lambda: AlertOptions(emails="oncall@example.com"), "alerts.emails"),
    (lambda: AlertOptions(sms=["5555550100"]), "alerts.sms[0]"),
    (lambda: AlertOptions(sms=["+1 555 555 0100"]), "alerts.sms[0]"),
    (lambda: AlertOptions(https=["http://hooks.example.com/x"]), "alerts.https[0]"),
    (lambda: GuardOptions(mode="block"), "guard.mode"),
    (lambda: GuardOptions(rule_overrides={"sqli-001": "off"}), "guard.rule_overrides"),
])
def test_bad_options_name_the_prop(make: Callable[[], Any], prop: str) -> None:
    with pytest.raises(ProtectionError, match=re.escape(prop) + r"(\[.*\])?:"):
        make()


def test_good_options_are_accepted() -> None:
    assert AlarmOptions(threshold=1, period=Duration.minutes(1)).period_minutes == 1
    assert AlertOptions(emails=["a.b+tag@sub.example.co.uk"], sms=["+447700900123"],
                        https=["https://example.com/hook?x=1"]).sms == ["+447700900123"]


@pytest.mark.parametrize("props, prop", [
    (dict(runtime=lambda_.Runtime("go1.x", lambda_.RuntimeFamily.GO), handler="main"), "runtime"),
    (dict(runtime=lambda_.Runtime.PYTHON_3_9, handler="app.handler"), "runtime"),
    (dict(runtime=lambda_.Runtime.FROM_IMAGE, handler=lambda_.Handler.FROM_IMAGE), "code"),
])
def test_unsupported_functions_fail_before_anything_is_created(stack: Stack, props: dict[str, Any],
                                                              prop: str) -> None:
    with pytest.raises(ProtectionError, match=f"Bad: {prop}:"):
        ProtectedFunction(stack, "Bad", code=code(), **props)
    assert stack.node.try_find_child("Bad") is None
    assert stack.node.try_find_child("BadLogGroup") is None


def test_log_retention_with_own_log_group_is_refused(stack: Stack) -> None:
    group = logs.LogGroup(stack, "Mine")
    with pytest.raises(ProtectionError, match="log_retention: cannot be combined with log_group"):
        ProtectedFunction(stack, "Fn", **python_function_props(log_group=group),
                          log_retention=logs.RetentionDays.ONE_DAY)


@pytest.mark.parametrize("guard, message", [
    (GuardOptions(custom_rules=[{"id": "custom-1", "category": "custom", "direction": "inbound",
                                 "severity": "high", "description": "broken", "pattern": "(unclosed"}]),
     "pattern"),
    (GuardOptions(custom_rules=[{"id": "custom-2", "category": "custom", "direction": "sideways",
                                 "severity": "high", "description": "x", "pattern": "x"}]),
     "direction"),
    (GuardOptions(custom_rules=[{"id": "custom-3", "category": "custom", "direction": "inbound",
                                 "severity": "high", "description": "catastrophic", "pattern": "(a+)+$"}]),
     "pattern"),
    (GuardOptions(rule_overrides={"sqli-999-typo": RuleAction.OFF}), "rule_overrides"),
    (GuardOptions(category_overrides={"sqlinjection": RuleAction.OFF}), "category_overrides"),
])
def test_bad_guard_config_fails_synth_and_leaves_function_untouched(
        stack: Stack, guard: GuardOptions, message: str) -> None:
    function = lambda_.Function(stack, "Existing", **python_function_props())
    with pytest.raises(ProtectionError, match=message):
        protect(function, guard=guard)
    cfn = function.node.default_child
    assert isinstance(cfn, lambda_.CfnFunction)
    assert cfn.handler == "orders_api.handler", "handler redirected although protection failed"
    resolved = stack.resolve(cfn.layers) if cfn.layers is not None else None
    assert not resolved, "guard layer attached although protection failed"


def test_protect_twice_is_protect_once(stack: Stack) -> None:
    function = lambda_.Function(stack, "Existing", **python_function_props())
    first = protect(function)
    assert protect(function) is first
    cfn = function.node.default_child
    assert isinstance(cfn, lambda_.CfnFunction)
    assert cfn.handler == contract.WRAPPER_HANDLER


def test_protect_refuses_an_os_only_function_it_cannot_shim_and_changes_nothing(stack: Stack) -> None:
    """provided.* needs a local code folder with a bootstrap (the shim starts it through the proxy)."""
    function = lambda_.Function(stack, "Custom", runtime=lambda_.Runtime.PROVIDED_AL2023,
                                handler="bootstrap", code=code())
    with pytest.raises(ProtectionError, match="code: provided.al2023 needs a 'bootstrap' at the top of the code folder"):
        protect(function)
    cfn = function.node.default_child
    assert isinstance(cfn, lambda_.CfnFunction)
    assert cfn.handler == "bootstrap"
    assert function.node.try_find_child("Protection") is None


def test_proxy_functions_refuse_what_only_the_python_guard_does(stack: Stack) -> None:
    """A Node.js function: answering custom resources itself, another Runtime API proxy, and a custom
    rule the proxy's regex engine cannot match as Python does fail synth naming the prop."""
    def node(name: str, **environment: str) -> lambda_.Function:
        return lambda_.Function(stack, name, runtime=lambda_.Runtime.NODEJS_22_X, handler="index.handler",
                                code=lambda_.Code.from_inline("exports.handler = async () => 1"),
                                environment=environment or None)
    with pytest.raises(ProtectionError, match="guard.inspect_custom_resources: only Python functions"):
        protect(node("A"), guard=GuardOptions(inspect_custom_resources=True))
    with pytest.raises(ProtectionError, match="DD_SERVERLESS_APPSEC_ENABLED=true starts Datadog's Runtime API proxy"):
        protect(node("B", DD_SERVERLESS_APPSEC_ENABLED="true"))
    for name in "AB":
        assert stack.node.find_child(name).node.try_find_child("Protection") is None
    assert "Layers" not in json.dumps(Stack.of(stack).resolve(stack.node.find_child("A").node.default_child._cfn_properties))


def test_proxy_functions_get_their_custom_rules_translated(stack: Stack) -> None:
    """The proxy's regex engine gets each custom rule's pattern translated at synth (proxy_patterns):
    too large for the environment, so the configuration goes in a file of a configuration layer."""
    rule = {"id": "custom-ticket", "category": "custom", "direction": "outbound", "severity": "high",
            "description": "ticket numbers", "pattern": r"\bTICKET-\d{6}\b"}
    function = lambda_.Function(stack, "Node", runtime=lambda_.Runtime.NODEJS_22_X, handler="index.handler",
                                code=lambda_.Code.from_inline("exports.handler = async () => 1"))
    protect(function, guard=GuardOptions(custom_rules=[rule]))
    python = lambda_.Function(stack, "Py", **python_function_props())
    protect(python, guard=GuardOptions(custom_rules=[rule]))
    variables = environment_of(function.node.default_child)
    path = variables[contract.CONFIG_FILE_ENV]
    digest = Path(path).stem
    document = json.loads((Path(tempfile.gettempdir()) / f"protect-lambda-config-{digest}" /
                           "protect_lambda_config" / f"{digest}.json").read_text())
    assert document["custom_rules"][0]["id"] == "custom-ticket"
    # outbound rules ignore case unless case-sensitive (engine.rule_flags)
    assert document["proxy_patterns"] == {"custom-ticket": regex_translation.translate(rule["pattern"], re.IGNORECASE)}
    python_variables = environment_of(python.node.default_child)
    assert "proxy_patterns" not in python_variables.get(contract.CONFIG_ENV, "")  # the Python guard needs none



def test_protect_rejects_unknown_option_names(stack: Stack) -> None:
    function = lambda_.Function(stack, "Existing", **python_function_props())
    with pytest.raises(ProtectionError, match="alarms: unknown option"):
        protect(function, alarms=AlarmOptions())


def test_protected_function_is_a_drop_in_function(stack: Stack) -> None:
    """Grants, aliases, versions and event sources work as on any Function."""
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda_event_sources as sources
    from aws_cdk import aws_sqs as sqs
    from aws_cdk.assertions import Template

    function = ProtectedFunction(stack, "DropIn", **python_function_props())
    assert isinstance(function, lambda_.Function)
    function.grant_invoke(iam.ServicePrincipal("events.amazonaws.com"))
    lambda_.Alias(stack, "Live", alias_name="live", version=function.current_version)
    function.add_event_source(sources.SqsEventSource(sqs.Queue(stack, "Queue"), report_batch_item_failures=True))
    assert function.log_group is not None
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Lambda::Permission", {"Principal": "events.amazonaws.com"})
    template.has_resource_properties("AWS::Lambda::Alias", {"Name": "live"})
    template.has_resource_properties("AWS::Lambda::Version", {})
    template.has_resource_properties("AWS::Lambda::Function", {"Handler": contract.WRAPPER_HANDLER})
    template.resource_count_is("AWS::Lambda::EventSourceMapping", 1)


def test_batch_sources_without_batch_item_failures_are_flagged(stack: Stack) -> None:
    from aws_cdk import aws_lambda_event_sources as sources
    from aws_cdk import aws_sqs as sqs
    from aws_cdk.assertions import Annotations, Match

    reporting = ProtectedFunction(stack, "Reporting", **python_function_props())
    reporting.add_event_source(sources.SqsEventSource(sqs.Queue(stack, "Good"), report_batch_item_failures=True))
    silent = ProtectedFunction(stack, "Silent", **python_function_props())
    silent.add_event_source(sources.SqsEventSource(sqs.Queue(stack, "Bad")))
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("ReportBatchItemFailures"))
    assert len(warnings) == 1
    assert warnings[0].id.startswith("/ValidationStack/Silent/SqsEventSource")
    assert "report_batch_item_failures=True" in str(warnings[0].entry.data)


# --- logging settings that would drop the guard's records -------------------------------------


@pytest.mark.parametrize("level", [lambda_.ApplicationLogLevel.ERROR, lambda_.ApplicationLogLevel.FATAL])
def test_a_json_log_level_above_warn_fails_synth_naming_the_props(stack: Stack, level: Any) -> None:
    props = python_function_props(logging_format=lambda_.LoggingFormat.JSON, application_log_level_v2=level)
    with pytest.raises(ProtectionError, match=r"application_log_level_v2=(ERROR|FATAL).*ApplicationLogLevel.WARN"):
        ProtectedFunction(stack, "Quiet", **props)
    function = lambda_.Function(stack, "Existing", **props)
    with pytest.raises(ProtectionError, match="logging_format=JSON"):
        protect(function)
    cfn = function.node.default_child
    assert isinstance(cfn, lambda_.CfnFunction) and cfn.handler == "orders_api.handler"  # untouched


@pytest.mark.parametrize("props", [
    dict(logging_format=lambda_.LoggingFormat.JSON, application_log_level_v2=lambda_.ApplicationLogLevel.WARN),
    dict(logging_format=lambda_.LoggingFormat.JSON, application_log_level_v2=lambda_.ApplicationLogLevel.DEBUG),
    dict(logging_format=lambda_.LoggingFormat.JSON),
    dict(logging_format=lambda_.LoggingFormat.TEXT),
])
def test_log_settings_that_keep_the_records_are_accepted(stack: Stack, props: dict[str, Any]) -> None:
    function = ProtectedFunction(stack, "Kept", **python_function_props(**props))
    assert function.protection.metric_filter is not None


def test_the_aspect_protects_such_a_function_and_warns_the_same(stack: Stack) -> None:
    from aws_cdk import Aspects
    from aws_cdk.assertions import Annotations, Match

    from protect_lambda_construct import ProtectLambdas
    from protect_lambda_construct.log_delivery import RECORDS_DROPPED_WARNING

    lambda_.Function(stack, "Quiet", **python_function_props(
        logging_format=lambda_.LoggingFormat.JSON, application_log_level_v2=lambda_.ApplicationLogLevel.ERROR))
    lambda_.Function(stack, "Loud", **python_function_props())
    Aspects.of(stack).add(ProtectLambdas())
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(RECORDS_DROPPED_WARNING))
    assert [w.id for w in warnings] == ["/ValidationStack/Quiet"]
    assert "application_log_level_v2=ERROR" in str(warnings[0].entry.data)
    from aws_cdk.assertions import Template
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Logs::MetricFilter", 2)  # both protected
