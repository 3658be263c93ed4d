"""`make demo`'s summary, read from the synthesized example (no jsii needed to read it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aws_cdk import cx_api

from example.stack import STACK_NAME
from protect_lambda import contract
from protect_lambda_tools.report import SEAL_SHOWN, load_assembly, main, render, summarise_template


def test_summary_of_the_example(example_assembly: cx_api.CloudAssembly) -> None:
    templates = load_assembly(Path(example_assembly.directory))
    summaries = summarise_template(STACK_NAME, templates[STACK_NAME])
    assert sorted(s.original_handler for s in summaries) == ["orders_api.handler", "orders_api.handler",
                                                             "orders_worker.handler"]
    assert sorted(s.proxied for s in summaries) == [False, False, True]  # OrdersApiNode: the proxy extension
    for summary in summaries:
        assert summary.filter_pattern == contract.violation_filter_pattern(summary.logical_id, SEAL_SHOWN)
        assert summary.metric == "ProtectLambda/Violations {FunctionName=$.function_name}"
        assert summary.alarm is not None and "Sum >= 1 over 5 min" in summary.alarm
        assert summary.retention_days == 30
        assert summary.alarm_targets == [
            next(t for t in summary.alarm_targets if "email:security-oncall@example.com" in t)]
        assert "sqs:AlertsQueue" in summary.alarm_targets[0]
        assert len(summary.layers) == 1 and summary.dashboards
        # the test apps are built without a bytecode interpreter (tests/conftest.py)
        assert summary.layers[0].endswith("(proxy extension)" if summary.proxied else "(no bytecode: see the warning)")
    text = render(summaries)
    assert text.count(contract.WRAPPER_HANDLER) == 2 and "MISSING" not in text
    assert text.count("behind the proxy extension") == 1


def test_report_command(example_assembly: cx_api.CloudAssembly, tmp_path: Path) -> None:
    assert main([example_assembly.directory]) == 0
    assert main([str(tmp_path)]) == 2  # no cloud assembly there


def test_report_does_not_start_jsii() -> None:
    probe = "import sys, protect_lambda_tools.report; print('aws_cdk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
