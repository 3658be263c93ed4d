"""The rules' precompiled regexes: recorded once per Python version, replayed only where they match."""

from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from protect_lambda import regex_cache
from protect_lambda.engine import RuleEngine, load_builtin_rules, rule_flags
from protect_lambda.regex_start import searchable
from tests.detection.rule_examples import EXAMPLES

LAYER = Path(__file__).resolve().parents[2] / "lambda_layer"

RULES = load_builtin_rules()
PATTERNS = [*((rule.pattern, rule_flags(rule)) for rule in RULES), *RuleEngine(RULES).trigger_patterns()]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A recording of the built-in rules where the guard looks for it."""
    monkeypatch.setattr(regex_cache, "CACHE_DIR", str(tmp_path))
    Path(regex_cache.cache_path()).write_bytes(regex_cache.record(PATTERNS))
    regex_cache.reset()
    yield tmp_path
    regex_cache.reset()


@pytest.fixture
def re_compile_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = re.compile

    def counting(pattern: str, flags: int = 0) -> re.Pattern[str]:
        calls.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr(regex_cache.re, "compile", counting)
    return calls


def test_replayed_patterns_equal_re_compiles(cache_dir: Path, re_compile_calls: list[str]) -> None:
    for pattern, flags in PATTERNS:
        compiled = regex_cache.compile_pattern(pattern, flags)
        # what is recorded is the searchable form (regex_start): same matches, faster search
        assert compiled.pattern == searchable(pattern, flags)
        assert compiled.flags & re.IGNORECASE == flags & re.IGNORECASE
        re_compile_calls.clear()
        assert compiled == re.compile(searchable(pattern, flags), flags)  # equality compares the compiled code
    # the engine compiles every built-in rule from the recording (the detectors, imported once per
    # process with their own regexes, are imported first: run alone, this test imports them here)
    RuleEngine(RULES)._detector_functions()
    re_compile_calls.clear()
    RuleEngine(RULES).compile_all()
    assert re_compile_calls == []


def test_replayed_patterns_match_like_compiled_ones(cache_dir: Path) -> None:
    engine = RuleEngine(RULES)
    found = {m.rule.id for m in engine.scan("1' UNION SELECT password FROM users--", "inbound")}
    assert any(rule_id.startswith("sqli-") for rule_id in found)
    assert [m.rule.id for m in engine.scan("card 4111 1111 1111 1111", "outbound")] == ["leak-card-001"]


def test_unrecorded_pattern_is_compiled_by_re(cache_dir: Path, re_compile_calls: list[str]) -> None:
    assert regex_cache.compile_pattern("zz[0-9]+zz", 0).search("a zz42zz b")
    assert re_compile_calls == ["zz[0-9]+zz"]
    # the same text with other flags is another pattern
    pattern = next(p for p, f in PATTERNS if f == 0)
    regex_cache.compile_pattern(pattern, int(re.IGNORECASE))
    assert re_compile_calls[-1] == searchable(pattern, int(re.IGNORECASE))


@pytest.mark.parametrize("field, value", [
    ("cache_tag", "cpython-299"), ("sre_magic", 1), ("codesize", 2), ("maxrepeat", 65535), ("maxgroups", 7),
    ("format", 0),
])
def test_recording_of_another_engine_is_ignored(cache_dir: Path, field: str, value: object,
                                                re_compile_calls: list[str]) -> None:
    path = Path(regex_cache.cache_path())
    data = marshal.loads(path.read_bytes())
    data["engine"][field] = value
    path.write_bytes(marshal.dumps(data))
    assert regex_cache.load() == {}
    pattern, flags = PATTERNS[0]
    assert regex_cache.compile_pattern(pattern, flags) == re.compile(searchable(pattern, flags), flags)
    assert re_compile_calls[0] == searchable(pattern, flags)


@pytest.mark.parametrize("content", [b"", b"not marshal", marshal.dumps([1, 2]), marshal.dumps({"engine": 1})])
def test_unreadable_recording_is_ignored(cache_dir: Path, content: bytes) -> None:
    Path(regex_cache.cache_path()).write_bytes(content)
    assert regex_cache.load() == {}


def test_missing_recording_is_ignored(tmp_path: Path) -> None:
    assert regex_cache.load(str(tmp_path / "absent.marshal")) == {}


def test_damaged_entry_falls_back_to_re(cache_dir: Path, re_compile_calls: list[str]) -> None:
    path = Path(regex_cache.cache_path())
    data = marshal.loads(path.read_bytes())
    pattern, flags = PATTERNS[0]
    entry = list(data["patterns"][(pattern, flags)])
    entry[2] = [9999, 1, 2]  # not valid regex engine code: _sre refuses it
    data["patterns"][(pattern, flags)] = tuple(entry)
    path.write_bytes(marshal.dumps(data))
    regex_cache.reset()
    assert regex_cache.compile_pattern(pattern, flags) == re.compile(searchable(pattern, flags), flags)
    assert re_compile_calls[0] == searchable(pattern, flags)


@pytest.mark.skipif(sys.platform == "emscripten", reason="starts a process (Pyodide has none)")
def test_recording_is_deterministic_across_processes() -> None:
    """Another process (another hash seed) records the same bytes, the triggers' trie patterns too:
    the layer's asset hash is stable."""
    code = ("import sys\n"
            "from protect_lambda import regex_cache\n"
            "from protect_lambda.engine import RuleEngine, load_builtin_rules, rule_flags\n"
            "rules = load_builtin_rules()\n"
            "data = regex_cache.record([*((r.pattern, rule_flags(r)) for r in rules),\n"
            "                           *RuleEngine(rules).trigger_patterns()])\n"
            "sys.stdout.buffer.write(data)\n")
    env = {**os.environ, "PYTHONPATH": str(LAYER), "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
    assert done.stdout == regex_cache.record(PATTERNS)


def test_a_replay_with_other_group_names_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pattern equality ignores group tables; the build compares them as well."""
    real = regex_cache._plain

    def renaming(value: object) -> object:
        plain = real(value)
        return {"renamed": index for index in plain.values()} if isinstance(plain, dict) and plain else plain

    monkeypatch.setattr(regex_cache, "_plain", renaming)
    with pytest.raises(ValueError, match="differs from re.compile's"):
        regex_cache.record([("(?P<word>select)\\s+1", 0)])


def test_rule_examples_give_the_same_findings_from_the_recording(cache_dir: Path) -> None:
    """Every rule's positive and negative examples: same rules, same spans, replayed or compiled by re."""
    replayed = RuleEngine(RULES)
    replayed.compile_all()
    regex_cache.reset()
    regex_cache._loaded = {}  # nothing recorded: re.compile for every rule
    compiled = RuleEngine(RULES)
    compiled.compile_all()
    directions = {rule.id: rule.direction for rule in RULES}
    checked = 0
    for rule_id, (positives, negatives) in EXAMPLES.items():
        for text in (*positives, *negatives):
            a = [(m.rule.id, m.start, m.end) for m in replayed.scan(text, directions[rule_id])]
            b = [(m.rule.id, m.start, m.end) for m in compiled.scan(text, directions[rule_id])]
            assert a == b, (rule_id, text)
            checked += 1
    assert checked > 2 * len(RULES)


def test_recording_holds_each_pattern_once() -> None:
    data = marshal.loads(regex_cache.record([*PATTERNS, *PATTERNS]))
    assert list(data["patterns"]) == list(dict.fromkeys(PATTERNS))
    assert data["engine"] == regex_cache.engine_signature()
