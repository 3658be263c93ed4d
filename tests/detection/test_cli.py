"""``protect-lambda scan`` and ``protect-lambda eval`` on a small labelled file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protect_lambda_tools.cli import main

from . import events

CASES = [
    {"id": "a1", "category": "xss", "label": "attack", "direction": "inbound",
     "event": events.apigw_http("<svg onload=alert(1)>")},
    {"id": "a2", "category": "sqli", "label": "attack", "direction": "inbound",
     "event": events.sqs("fine", "1' or '1'='1")},
    {"id": "a3", "category": "sqli", "label": "attack", "direction": "inbound", "event": events.apigw_http("hello")},
    {"id": "b1", "category": "benign", "label": "benign", "direction": "inbound", "event": events.apigw_http("shoes")},
    {"id": "l1", "category": "leak_card", "label": "attack", "direction": "outbound", "event": events.apigw_http(),
     "response": {"statusCode": 200, "body": "card 4111-1111-1111-1111"}},
    {"id": "r1", "category": "benign_response", "label": "benign", "direction": "outbound",
     "event": events.apigw_http(), "response": {"statusCode": 200, "body": "{\"ok\": true}"}},
]


@pytest.fixture()
def cases_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CASES) + "\n", encoding="utf-8")
    return path


def test_scan_prints_one_verdict_per_line(cases_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(cases_file)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(v["id"], v["blocked"]) for v in lines] == [
        ("a1", True), ("a2", True), ("a3", False), ("b1", False), ("l1", True), ("r1", False)]
    a2 = lines[1]
    assert {f["record_index"] for f in a2["findings"]} == {1}
    assert all(set(f) == {"rule_id", "category", "direction", "severity", "location", "action", "record_index"}
               for v in lines for f in v["findings"])
    assert "4111" not in json.dumps(lines)  # no matched text in the output


def test_scan_monitor_mode(cases_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(cases_file), "--mode", "monitor"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert not any(v["blocked"] for v in lines)
    assert lines[0]["findings"][0]["action"] == "detected"


def test_scan_custom_rules(cases_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [{"id": "custom-001", "category": "custom", "direction": "inbound",
                                            "severity": "low", "description": "greeting", "pattern": "hello"}]}))
    assert main(["scan", str(cases_file), "--rules", str(rules)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[2]["blocked"] and lines[2]["findings"][0]["rule_id"] == "custom-001"


def test_bad_custom_rules_exit_2(cases_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"id": "custom-002", "category": "c", "direction": "inbound", "severity": "low",
                                  "description": "d", "pattern": "(a+)+"}]))
    assert main(["scan", str(cases_file), "--rules", str(rules)]) == 2
    assert "custom-002" in capsys.readouterr().err


def test_missing_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "nope.jsonl")]) == 2


def test_eval_table(cases_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(cases_file)]) == 0
    out = capsys.readouterr().out
    assert "inbound macro" in out and "false positives" in out


def test_eval_json(cases_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(cases_file), "--json", "--show-misses"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["categories"]["xss"] == {"total": 1, "blocked": 1, "rate": 1.0}
    assert data["categories"]["sqli"] == {"total": 2, "blocked": 1, "rate": 0.5}
    assert data["inbound_macro"] == 0.75  # mean over the categories present (xss 1.0, sqli 0.5)
    assert data["benign_fp_rate"] == 0.0 and data["benign_response_fp_rate"] == 0.0
    assert data["categories"]["leak_card"]["rate"] == 1.0
    assert data["misses"] == {"sqli": ["a3"]}
