"""The rules' precompiled regexes: recorded once per Python version, replayed only when certain to be right."""

from __future__ import annotations

import marshal
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from protect_lambda import regex_cache
from protect_lambda.engine import RuleEngine, load_builtin_rules, rule_flags

RULES = load_builtin_rules()
PATTERNS = [(rule.pattern, rule_flags(rule)) for rule in RULES]


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
        assert compiled.pattern == pattern and compiled.flags & re.IGNORECASE == flags & re.IGNORECASE
        re_compile_calls.clear()
        assert compiled == re.compile(pattern, flags)  # Pattern equality compares the compiled code
    # the engine compiles every built-in rule from the recording
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
    assert re_compile_calls[-1] == pattern


@pytest.mark.parametrize("field, value", [
    ("cache_tag", "cpython-299"), ("sre_magic", 1), ("codesize", 2), ("maxgroups", 7), ("format", 0),
])
def test_recording_of_another_engine_is_ignored(cache_dir: Path, field: str, value: object,
                                                re_compile_calls: list[str]) -> None:
    path = Path(regex_cache.cache_path())
    data = marshal.loads(path.read_bytes())
    data["engine"][field] = value
    path.write_bytes(marshal.dumps(data))
    assert regex_cache.load() == {}
    pattern, flags = PATTERNS[0]
    assert regex_cache.compile_pattern(pattern, flags) == re.compile(pattern, flags)
    assert re_compile_calls[0] == pattern


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
    assert regex_cache.compile_pattern(pattern, flags) == re.compile(pattern, flags)
    assert re_compile_calls[0] == pattern


def test_recording_is_deterministic() -> None:
    assert regex_cache.record(PATTERNS) == regex_cache.record(PATTERNS)


def test_recording_holds_each_pattern_once() -> None:
    data = marshal.loads(regex_cache.record([*PATTERNS, *PATTERNS]))
    assert list(data["patterns"]) == list(dict.fromkeys(PATTERNS))
    assert data["engine"] == regex_cache.engine_signature()
