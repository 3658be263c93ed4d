"""benchmarks/technical_text.py: false positives on Python's own documentation.

The tool builds its cases from the running interpreter's standard library; these check the
extraction (paragraphs, doctest blocks dropped, a stable split in halves) and what it reports,
with the real guard, on a few cases written here.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from protect_lambda_tools.source_files import load_file

TOOL = Path(__file__).resolve().parents[2] / "benchmarks" / "technical_text.py"


def _tool() -> ModuleType:
    return load_file("technical_text", TOOL)


def test_docstrings_become_prose_paragraphs() -> None:
    tool = _tool()
    doc = "Return the sum.\n\n>>> add(1, 2)\n3\n\nThe values may be\n    ints or floats, never strings."
    assert list(tool.paragraphs(doc, 10)) == ["Return the sum.", "The values may be ints or floats, never strings."]
    assert list(tool.paragraphs("short", 10)) == []


def test_both_sources_and_both_halves_are_built_from_the_standard_library() -> None:
    pytest.importorskip("pydoc_data", reason="this interpreter ships no pydoc_data (Pyodide)")
    tool = _tool()
    cases = tool.cases()
    keys = {(c["source"], c["half"]) for c in cases}
    assert keys == {(s, h) for s in ("stdlib-docstrings", "pydoc-topics") for h in ("read", "unread")}
    assert len(cases) > 5000
    assert len({c["text"] for c in cases}) == len(cases)  # each text once
    # the split is by module or topic, so a module's paragraphs all fall in one half
    by_module: dict[str, set[str]] = {}
    for c in cases:
        by_module.setdefault(c["id"].split(".")[1], set()).add(c["half"])
    assert all(len(halves) == 1 for halves in by_module.values())


def test_blocked_texts_are_counted_per_half_and_listed_for_the_read_half_only() -> None:
    tool = _tool()

    def case(text: str, which: str) -> dict[str, object]:
        return {"source": "stdlib-docstrings", "half": which, "text": text, "event": tool.event(text)}

    report = tool.measure([case("Return the sum of the values.", "read"), case("x' or '1'='1", "read"),
                           case("1; drop table users--", "unread")], 1)
    rows = report["results"]
    assert rows["stdlib-docstrings read"]["cases"] == 2 and rows["stdlib-docstrings read"]["blocked"] == 1
    assert rows["stdlib-docstrings read"]["texts"][0][0] == "x' or '1'='1"
    assert rows["stdlib-docstrings unread"]["blocked"] == 1 and rows["stdlib-docstrings unread"]["texts"] == []
    assert rows["all read"]["rate_percent"] == 50.0


def test_debian_descriptions_are_split_into_paragraphs_and_halved_by_their_first(tmp_path: Path) -> None:
    pytest.importorskip("pydoc_data", reason="this interpreter ships no pydoc_data (Pyodide)")
    lzma = pytest.importorskip("lzma")
    tool = _tool()
    index = (
        "Package: shell-a\nDescription-md5: 0\nDescription-en: A shell\n"
        " A small shell that reads commands from a terminal.\n .\n"
        " Run it with sudo when it must change system files.\n\n"
        "Package: shell-a-doc\nDescription-en: A shell (docs)\n"
        " A small shell that reads commands from a terminal.\n .\n"
        " This package holds the manual pages of the shell.\n\n"
        "Package: no-description\nVersion: 1\n"
    )
    path = tmp_path / "Translation-en.xz"
    with lzma.open(path, "wt", encoding="utf-8") as fh:
        fh.write(index)
    texts = list(tool.debian_texts(str(path)))
    first = "A small shell that reads commands from a terminal."
    assert texts == [(first, first), (first, "Run it with sudo when it must change system files."),
                     (first, first), (first, "This package holds the manual pages of the shell.")]
    cases = [c for c in tool.cases(str(path)) if c["source"] == "debian-descriptions"]
    assert [c["text"] for c in cases] == [first, "Run it with sudo when it must change system files.",
                                          "This package holds the manual pages of the shell."]
    assert {c["half"] for c in cases} == {tool.half(first)}  # related packages share a half
