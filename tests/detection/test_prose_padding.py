"""benchmarks/prose_padding.py: the measurement of attacks wrapped in sentences.

These pin what the tool reports on a few cases written here, with the real guard: a separator
glued to its command stays an attack after a sentence; a ";" followed by a blank and a bare
command word is judged as a sentence's punctuation (the trade-off docs/detection.md reports).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from protect_lambda import Guard
from protect_lambda_tools.source_files import load_file

TOOL = Path(__file__).resolve().parents[2] / "benchmarks" / "prose_padding.py"


def _tool() -> ModuleType:
    return load_file("prose_padding", TOOL)


def _case(category: str, value: str, label: str = "attack") -> dict[str, Any]:
    return {"category": category, "label": label, "direction": "inbound",
            "event": {"queryStringParameters": {"q": value}}}


def test_each_variant_is_inspected_and_counted() -> None:
    tool = _tool()
    cases = [
        _case("cmdi", "a;id;"),                 # glued: still an attack after a sentence
        _case("cmdi", "; pwd"),                 # a bare word after "; ": punctuation in prose, either side
        _case("benign", "hello", "benign"),     # not an attack: not counted
        {"category": "cmdi", "label": "attack", "event": {"body": "x|id"}},  # no single parameter
    ]
    table = tool.measure(cases, Guard())
    assert list(table) == ["cmdi"]
    assert table["cmdi"] == {"as is": [2, 2], "sentence before": [1, 2], "sentence after": [1, 2],
                             "quoted in a sentence": [1, 2]}


def test_the_padded_values_keep_the_payload() -> None:
    as_is, before, after, quoted = _tool().padded("1' or '1'='1")
    assert as_is == "1' or '1'='1"
    assert before.endswith(" 1' or '1'='1") and after.startswith("1' or '1'='1 ")
    assert "\"1' or '1'='1\"" in quoted
