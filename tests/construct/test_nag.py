"""cdk-nag AwsSolutions checks on the example app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import cx_api

import example.stack as example_stack


def _report(assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((Path(assembly.directory) / "validation-report.json").read_text())
    return report


def test_example_app_has_no_unacknowledged_findings(example_assembly: cx_api.CloudAssembly) -> None:
    # the session fixture synthesizes with AwsSolutionsChecks on: a finding would have failed synth
    (plugin,) = _report(example_assembly)["pluginReports"]
    assert plugin["pluginName"] == "AwsSolutions"
    assert plugin["conclusion"] == "success"
    assert plugin["violations"] == []


def test_acknowledgements_carry_reasons(example_assembly: cx_api.CloudAssembly) -> None:
    (plugin,) = _report(example_assembly)["pluginReports"]
    acknowledged = plugin["suppressedViolations"]
    assert {a["ruleName"].split("[")[0] for a in acknowledged} == {"AwsSolutions-IAM4"}
    roles = {c["constructPath"] for a in acknowledged for c in a["violatingConstructs"]}
    assert roles == {"ProtectLambdaExample/OrdersApi/ServiceRole/Resource",
                     "ProtectLambdaExample/OrdersApiNode/ServiceRole/Resource",
                     "ProtectLambdaExample/OrdersWorker/ServiceRole/Resource"}
    for acknowledgement in acknowledged:
        assert "PutLogEvents" in acknowledgement["reason"]  # a reason a reviewer can check, not a shrug


def test_nag_is_active_and_the_acknowledgements_are_needed(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(example_stack.ExampleStack, "_acknowledge_nag_findings", lambda self: None)
    app = example_stack.build_app(outdir=str(tmp_path))
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"].split("[")[0] for r in report["pluginReports"] for v in r["violations"]}
    assert rules == {"AwsSolutions-IAM4"}
