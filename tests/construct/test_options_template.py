"""Template assertions for the options: guard config, alarm tuning, alerts, dashboards, sharing."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import cx_api

from protect_lambda import config as guard_config
from protect_lambda import contract

from .apps import EMAIL, PHONE, WEBHOOK, big_custom_rules
from .conftest import asset_dir
from .templates import resources


def _function(template: dict[str, Any], prefix: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(key, value) for key, value in resources(template, "AWS::Lambda::Function").items()
                if key.startswith(prefix)]
    return found


def _env(function: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return variables


def _alarm_of(template: dict[str, Any], function_id: str) -> dict[str, Any] | None:
    found = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
             if a["Properties"]["Dimensions"][0]["Value"] == {"Ref": function_id}]
    return found[0] if found else None


def test_one_layer_per_architecture(options_template: dict[str, Any]) -> None:
    layers = {key: value for key, value in resources(options_template, "AWS::Lambda::LayerVersion").items()
              if key.startswith("ProtectLambdaGuardLayer")}
    assert sorted(layer["Properties"]["CompatibleArchitectures"][0] for layer in layers.values()) == [
        "arm64", "x86_64"]
    by_architecture = {layer["Properties"]["CompatibleArchitectures"][0]: key for key, layer in layers.items()}
    for prefix, architecture in (("Tuned", "x86_64"), ("Quiet", "x86_64"), ("BigConfig", "arm64")):
        _, function = _function(options_template, prefix)
        assert {"Ref": by_architecture[architecture]} in function["Properties"]["Layers"]


def test_monitor_mode_overrides_and_user_environment(options_template: dict[str, Any]) -> None:
    _, function = _function(options_template, "Tuned")
    env = _env(function)
    assert env[contract.MODE_ENV] == contract.MODE_MONITOR
    assert env[contract.FAIL_POLICY_ENV] == contract.FAIL_CLOSED
    assert json.loads(env[contract.CONFIG_ENV]) == {
        "rule_overrides": {"sqli-001": "off"},
        "category_overrides": {"leak_stacktrace": "monitor"},
    }
    assert env["APP_SETTING"] == "kept"
    assert env[contract.ORIGINAL_HANDLER_ENV] == "orders_api.handler"
    assert function["Properties"]["Handler"] == contract.WRAPPER_HANDLER


def test_large_config_travels_in_a_layer(options_template: dict[str, Any],
                                         options_assembly: cx_api.CloudAssembly) -> None:
    _, function = _function(options_template, "BigConfig")
    env = _env(function)
    assert contract.CONFIG_ENV not in env
    path = env[contract.CONFIG_FILE_ENV]
    assert path.startswith("/opt/protect_lambda_config/")
    assert sum(len(name) + len(value) for name, value in env.items()) < 4096
    config_layers = [(key, value) for key, value in resources(options_template, "AWS::Lambda::LayerVersion").items()
                     if not key.startswith("ProtectLambdaGuardLayer")]
    (layer_id, layer), = config_layers
    assert layer_id.startswith("BigConfigProtectionGuardConfigLayer")
    assert {"Ref": layer_id} in function["Properties"]["Layers"]
    shipped = asset_dir(options_assembly, layer["Properties"]["Content"]["S3Key"]) / path.removeprefix("/opt/")
    document = json.loads(shipped.read_text())
    assert [rule["id"] for rule in document["custom_rules"]] == [r["id"] for r in big_custom_rules(40)]
    # the guard reads the shipped file back exactly as the construct wrote it
    loaded = guard_config.load_config({contract.CONFIG_FILE_ENV: str(shipped)})
    assert len(loaded.custom_rules) == 40


def test_tuned_alarm(options_template: dict[str, Any]) -> None:
    function_id, _ = _function(options_template, "Tuned")
    alarm = _alarm_of(options_template, function_id)
    assert alarm is not None
    assert alarm["Threshold"] == 3
    assert alarm["Period"] == 600
    assert alarm["EvaluationPeriods"] == 2
    assert alarm["DatapointsToAlarm"] == 2
    assert "OKActions" not in alarm
    assert len(alarm["AlarmActions"]) == 1


def test_disabled_alarm_and_dashboard(options_template: dict[str, Any]) -> None:
    function_id, _ = _function(options_template, "Quiet")
    assert _alarm_of(options_template, function_id) is None
    # the metric filter is still there: violations stay countable
    filters = resources(options_template, "AWS::Logs::MetricFilter")
    assert len(filters) == 3
    (dashboard,) = resources(options_template, "AWS::CloudWatch::Dashboard").values()
    assert function_id not in json.dumps(dashboard)


def test_every_subscription_type_once(options_template: dict[str, Any]) -> None:
    subscriptions = [s["Properties"] for s in resources(options_template, "AWS::SNS::Subscription").values()]
    protocols = sorted(s["Protocol"] for s in subscriptions)
    assert protocols == ["email", "https", "sms", "sqs"], "two functions asked for the same endpoints"
    endpoints = {s["Protocol"]: s["Endpoint"] for s in subscriptions}
    assert endpoints["email"] == EMAIL
    assert endpoints["sms"] == PHONE
    assert endpoints["https"] == WEBHOOK


def test_log_retention_prop(options_template: dict[str, Any]) -> None:
    retention = sorted(g["Properties"]["RetentionInDays"]
                       for g in resources(options_template, "AWS::Logs::LogGroup").values())
    assert retention == [7, 30, 30]


def test_user_topic_and_dashboard_are_used(own_resources_template: dict[str, Any]) -> None:
    topics = resources(own_resources_template, "AWS::SNS::Topic")
    assert list(topics) and all(key.startswith("OwnTopic") for key in topics)
    (topic_id,) = topics
    (alarm,) = [a["Properties"] for a in resources(own_resources_template, "AWS::CloudWatch::Alarm").values()]
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    (subscription,) = [s["Properties"] for s in resources(own_resources_template, "AWS::SNS::Subscription").values()]
    assert subscription["TopicArn"] == {"Ref": topic_id}
    dashboards = resources(own_resources_template, "AWS::CloudWatch::Dashboard")
    assert list(dashboards) and all(key.startswith("OwnDashboard") for key in dashboards)
    body = json.dumps(next(iter(dashboards.values())))
    assert "Violations: WithOwn" in body


def test_encrypted_topic_lets_cloudwatch_use_the_key(encrypted_template: dict[str, Any]) -> None:
    (topic_id, topic), = resources(encrypted_template, "AWS::SNS::Topic").items()
    (key_id, key), = resources(encrypted_template, "AWS::KMS::Key").items()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    granted = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert granted, "CloudWatch cannot publish to the encrypted topic"
    actions = {a for s in granted for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= actions


def test_lambda_subscription_and_dashboard_name(encrypted_template: dict[str, Any]) -> None:
    (subscription,) = [s["Properties"] for s in resources(encrypted_template, "AWS::SNS::Subscription").values()]
    assert subscription["Protocol"] == "lambda"
    pager = [key for key in resources(encrypted_template, "AWS::Lambda::Function") if key.startswith("Pager")]
    assert subscription["Endpoint"] == {"Fn::GetAtt": [pager[0], "Arn"]}
    permissions = [p["Properties"] for p in resources(encrypted_template, "AWS::Lambda::Permission").values()]
    assert any(p["Principal"] == "sns.amazonaws.com" for p in permissions)
    (dashboard,) = resources(encrypted_template, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "orders-security"
