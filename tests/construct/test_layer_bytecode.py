"""The guard layer's bytecode: made at synth by an interpreter of the runtime's version, used by the guard.

The other test apps are built without a bytecode interpreter (tests/conftest.py); this
module builds one with the interpreter running the tests, for the runtime of its version.
"""

from __future__ import annotations

import filecmp
import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, cx_api
from aws_cdk import aws_lambda as lambda_
from protect_lambda import regex_cache
from protect_lambda.engine import DETECTORS, LEVELS, RuleEngine, load_builtin_rules, rule_flags
from protect_lambda.guard import Guard

from protect_lambda_construct import ProtectedFunction
from protect_lambda_construct import layer as layer_module
from protect_lambda_construct.layer import (
    NO_BYTECODE_WARNING,
    BytecodeError,
    bytecode_interpreter,
    interpreter_search,
    guard_package_dir,
    staged_layer_dir,
)
from protect_lambda_tools.report import summarise_template

from .apps import python_function_props
from .conftest import asset_dir, source_files
from .templates import resources

VERSION = "%d.%d" % sys.version_info[:2]
VARIABLE = "PROTECT_LAMBDA_PYTHON_" + VERSION.replace(".", "_")
TAG = sys.implementation.cache_tag
RUNTIME = getattr(lambda_.Runtime, "PYTHON_" + VERSION.replace(".", "_"), None)
pytestmark = pytest.mark.skipif(RUNTIME is None, reason=f"aws-cdk-lib has no Lambda runtime python{VERSION}")
GUARD_MODULES = ("__init__", "wrapper", "guard", "engine", "adapters", "normalize", "violation",
                 "responses", "config", "contract", "errors", "_record", "regex_cache")


@pytest.fixture(autouse=True)
def _fresh_interpreter_lookup() -> Iterator[None]:
    interpreter_search.cache_clear()
    yield
    interpreter_search.cache_clear()


@pytest.fixture(scope="module")
def bytecode_assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    """One stack: a function on this interpreter's runtime (bytecode made), one on another (none)."""
    other = "3.10" if VERSION != "3.10" else "3.12"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(VARIABLE)
        empty = tmp_path_factory.mktemp("no-installations")
        patch.setenv("PYENV_ROOT", str(empty))  # no interpreter of the other version to be found
        patch.setenv("UV_PYTHON_INSTALL_DIR", str(empty))
        interpreter_search.cache_clear()
        app = App(outdir=str(tmp_path_factory.mktemp("bytecode-cdk-out")))
        stack = Stack(app, "BytecodeStack")
        ProtectedFunction(stack, "Same", **python_function_props(runtime=RUNTIME))
        ProtectedFunction(stack, "SameToo", **python_function_props(runtime=RUNTIME))
        ProtectedFunction(stack, "Other", **python_function_props(
            runtime=getattr(lambda_.Runtime, "PYTHON_" + other.replace(".", "_"))))
        assembly = app.synth()
    interpreter_search.cache_clear()
    return assembly


def _layers(assembly: cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    template = assembly.get_stack_by_name("BytecodeStack").template
    return {layer["Properties"]["CompatibleRuntimes"][0]: layer["Properties"]
            for layer in resources(template, "AWS::Lambda::LayerVersion").values()}


def _staged(assembly: cx_api.CloudAssembly, runtime: str) -> Path:
    return asset_dir(assembly, _layers(assembly)[runtime]["Content"]["S3Key"]) / "python" / "protect_lambda"


def test_layer_of_the_synth_interpreters_version_carries_its_bytecode(
        bytecode_assembly: cx_api.CloudAssembly) -> None:
    layers = _layers(bytecode_assembly)
    assert len(layers) == 2  # the two functions on the same runtime share one
    staged = _staged(bytecode_assembly, f"python{VERSION}")
    for module in GUARD_MODULES:
        assert (staged / "__pycache__" / f"{module}.{TAG}.pyc").is_file(), module
    assert {p.name.split(".")[-2] for p in staged.rglob("*.pyc")} == {TAG}  # no other version's
    assert [p.name for p in (staged / "precompiled").iterdir()] == [f"rules.{TAG}.marshal"]
    recorded = regex_cache.load(str(staged / "precompiled" / f"rules.{TAG}.marshal"))
    import protect_lambda.detectors as detectors  # importing every detector lists its patterns
    for name in DETECTORS:
        importlib.import_module(f"protect_lambda.detectors.{name}")
    rules = load_builtin_rules()
    triggers = {p for level in LEVELS for p in Guard(sensitivity=level).engine.trigger_patterns()}
    assert set(RuleEngine(rules).trigger_patterns()) <= triggers  # level 4 keeps every rule
    assert set(recorded) == {(rule.pattern, rule_flags(rule)) for rule in rules if rule.pattern} | set(
        detectors.PATTERNS) | triggers
    assert source_files(staged) == source_files(guard_package_dir())  # the guard as it is, no more
    assert {p.name.split(".")[0] for p in (staged / "__pycache__").iterdir()} == {
        p.stem for p in staged.glob("*.py")}  # bytecode of the guard's modules, and of nothing else
    assert "with bytecode" in layers[f"python{VERSION}"]["Description"]
    # make demo's summary says which layers carry it
    summaries = summarise_template("BytecodeStack", bytecode_assembly.get_stack_by_name("BytecodeStack").template)
    assert {s.runtime: s.layers[0].rsplit(" (", 1)[1] for s in summaries} == {
        f"python{VERSION}": "with bytecode)", **{r: "no bytecode: see the warning)" for r in layers
                                                if r != f"python{VERSION}"}}


def test_layer_of_a_version_without_interpreter_is_sources_only_with_a_warning(
        bytecode_assembly: cx_api.CloudAssembly) -> None:
    (other,) = [runtime for runtime in _layers(bytecode_assembly) if runtime != f"python{VERSION}"]
    staged = _staged(bytecode_assembly, other)
    assert (staged / "wrapper.py").is_file()
    assert not list(staged.rglob("*.pyc")) and not (staged / "precompiled").exists()
    messages = [str(m.entry.data) for m in bytecode_assembly.get_stack_by_name("BytecodeStack").messages
                if m.level == cx_api.SynthesisMessageLevel.WARNING and NO_BYTECODE_WARNING in str(m.entry.data)]
    assert len(messages) == 1 and other.removeprefix("python") in messages[0]


def test_search_says_what_it_tried_and_skips_what_cannot_run(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A pyenv shim or installation that fails to run, or runs another version, is not "found"."""
    wanted = "3.10" if VERSION != "3.10" else "3.12"
    variable = "PROTECT_LAMBDA_PYTHON_" + wanted.replace(".", "_")
    monkeypatch.delenv(variable, raising=False)
    broken = tmp_path / "pyenv" / "versions" / f"{wanted}.9" / "bin"
    wrong = tmp_path / "pyenv" / "versions" / f"{wanted}.8" / "bin"
    for folder, script in ((broken, "#!/bin/sh\nexit 127\n"), (wrong, f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')):
        folder.mkdir(parents=True)
        (folder / f"python{wanted}").write_text(script)
        (folder / f"python{wanted}").chmod(0o755)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "uv"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    found, tried = interpreter_search(wanted)
    assert found is None
    assert f"{variable} (unset)" in tried and f"python{wanted} on PATH (none)" in tried
    assert any(f"pyenv {wanted}.9" in t and "cannot be run" in t for t in tried)
    assert any(f"pyenv {wanted}.8" in t and f"that is Python {VERSION}, not {wanted}" in t for t in tried)


def _run_guard(site_dir: Path, code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh ``python -S`` whose only path to the guard is the layer, as in Lambda."""
    env = {"PYTHONPATH": str(site_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-S", *flags, "-c", code], env=env, capture_output=True,
                          text=True, check=True, timeout=120)


def test_the_guard_loads_its_modules_from_the_bytecode(bytecode_assembly: cx_api.CloudAssembly) -> None:
    site_dir = _staged(bytecode_assembly, f"python{VERSION}").parent
    done = _run_guard(site_dir, "import protect_lambda.wrapper", "-v")
    for module in GUARD_MODULES:
        assert f"code object from '{site_dir}/protect_lambda/__pycache__/{module}.{TAG}.pyc'" in done.stderr, module


def test_the_guard_compiles_every_rule_from_the_recording(bytecode_assembly: cx_api.CloudAssembly) -> None:
    site_dir = _staged(bytecode_assembly, f"python{VERSION}").parent
    # re.compile refuses the rules' patterns: only the recording can compile them
    code = (
        "import json, re\n"
        "from protect_lambda import engine, regex_cache\n"
        "patterns = {r.pattern for r in engine.load_builtin_rules() if r.pattern}\n"
        "recorded = {p for p, _ in regex_cache.load()}\n"
        "assert not recorded or patterns < recorded, 'the detectors are recorded too'\n"
        "patterns = recorded or patterns\n"
        "real = re.compile\n"
        "def refuse(pattern, flags=0):\n"
        "    assert pattern not in patterns, 'compiled by re: ' + pattern[:40]\n"
        "    return real(pattern, flags)\n"
        "re.compile = refuse\n"
        "from protect_lambda.guard import Guard\n"
        "for level in engine.LEVELS:  # every level's trigger regexes are recorded too\n"
        "    assert not recorded or {p for p, _ in Guard(sensitivity=level).engine.trigger_patterns()} <= recorded\n"
        "g = Guard(); g.engine.compile_all()\n"
        "v = g.inspect_event({'queryStringParameters': {'q': \"1' OR '1'='1\"}})\n"
        "print(json.dumps([f.rule_id for f in v.findings]))\n"
    )
    assert "sqli-" in _run_guard(site_dir, code).stdout
    # and a source-only layer compiles them with re, like any other pattern
    other_site = [_staged(bytecode_assembly, r).parent for r in _layers(bytecode_assembly) if r != f"python{VERSION}"]
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _run_guard(other_site[0], code)
    assert "compiled by re" in refused.value.stderr


def test_bytecode_is_deterministic(tmp_path: Path) -> None:
    """Two builds of the same guard with the same Python give the same bytes (stable asset hash)."""
    first = staged_layer_dir(sys.executable)
    copy = tmp_path / "again"
    shutil.copytree(first, copy, ignore=shutil.ignore_patterns("__pycache__", "precompiled"))
    layer_module._precompile(copy / "python", sys.executable)
    comparison = filecmp.dircmp(first, copy)
    differences: list[str] = []

    def collect(cmp: filecmp.dircmp[str]) -> None:
        differences.extend(cmp.left_only + cmp.right_only)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        differences.extend(mismatch + errors)
        for sub in cmp.subdirs.values():
            collect(sub)

    collect(comparison)
    assert differences == []
    assert list(first.rglob(f"*.{TAG}.pyc"))


def test_bytecode_paths_are_lambdas(bytecode_assembly: cx_api.CloudAssembly) -> None:
    """Tracebacks name /opt/python/..., where Lambda mounts the layer, not the synth machine's folders."""
    site_dir = _staged(bytecode_assembly, f"python{VERSION}").parent
    code = ("import marshal, importlib.util\n"
            f"data = open({str(site_dir / 'protect_lambda' / '__pycache__' / f'engine.{TAG}.pyc')!r}, 'rb').read()\n"
            "print(marshal.loads(data[16:]).co_filename)\n")
    assert _run_guard(site_dir, code).stdout.strip() == "/opt/python/protect_lambda/engine.py"


def _fake_python(directory: Path, name: str, *, precompile: str = "exit 0", **describe: Any) -> Path:
    """A stand-in interpreter: answers the lookup's question as this Python would (or with ``describe``'s
    overrides), with itself as executable, and runs the shell ``precompile`` when asked to precompile."""
    script = directory / name
    info = {"version": VERSION, "full_version": sys.version, "implementation": "cpython", "bits64": True,
            "executable": str(script), **describe}
    script.write_text("#!/bin/sh\nif [ \"$1\" = -S ] && [ \"$2\" = -c ]; then\n  cat <<'JSON'\n"
                      f"{json.dumps(info)}\nJSON\n  exit 0\nfi\n{precompile}\n")
    script.chmod(0o755)
    return script


def test_interpreter_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE)
    assert bytecode_interpreter(VERSION) == sys.executable
    interpreter_search.cache_clear()
    monkeypatch.setenv(VARIABLE, "none")
    assert bytecode_interpreter(VERSION) is None
    interpreter_search.cache_clear()
    # a launcher (a pyenv shim, say) is resolved to the interpreter it runs
    monkeypatch.setenv(VARIABLE, str(_fake_python(tmp_path, "shim", executable=sys.executable)))
    assert bytecode_interpreter(VERSION) == sys.executable
    # a variable naming the wrong Python, or nothing that runs, fails synth naming the variable and the fix
    other = "3.10" if VERSION != "3.10" else "3.12"
    monkeypatch.setenv("PROTECT_LAMBDA_PYTHON_" + other.replace(".", "_"), sys.executable)
    with pytest.raises(BytecodeError, match=rf"PROTECT_LAMBDA_PYTHON_{other.replace('.', '_')}=.*Python {VERSION}, "
                                            rf"not {other}.*'none'"):
        bytecode_interpreter(other)
    for name, overrides, expected in (("pypy", {"implementation": "pypy"}, "pypy .64-bit., not 64-bit CPython"),
                                      ("py32", {"bits64": False}, "cpython .32-bit., not 64-bit CPython")):
        monkeypatch.setenv(VARIABLE, str(_fake_python(tmp_path, name, **overrides)))
        interpreter_search.cache_clear()
        with pytest.raises(BytecodeError, match=rf"{VARIABLE}=.*{expected}"):
            bytecode_interpreter(VERSION)
    monkeypatch.setenv(VARIABLE, os.devnull)
    interpreter_search.cache_clear()
    with pytest.raises(BytecodeError, match="cannot be run"):
        bytecode_interpreter(VERSION)


@pytest.fixture
def staging_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Layers are staged under ``tmp_path`` (the user's private folder there)."""
    monkeypatch.setattr(layer_module.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp" / f"protect-lambda-{os.getuid()}"


def test_a_failing_precompile_leaves_no_staged_layer_and_the_layer_falls_back_to_sources(
        tmp_path: Path, staging_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = _fake_python(tmp_path, "python-that-fails", precompile="echo 'boom' >&2; exit 3")
    with pytest.raises(BytecodeError, match="could not precompile the guard layer:\nboom"):
        staged_layer_dir(str(failing))
    assert list(staging_root.iterdir()) == []
    # in an app, the layer falls back to sources only, and the warning says why
    monkeypatch.setenv(VARIABLE, str(failing))
    app = App(outdir=str(tmp_path / "cdk.out"))
    stack = Stack(app, "FallbackStack")
    ProtectedFunction(stack, "Fn", **python_function_props(runtime=RUNTIME))
    assembly = app.synth()
    (layer,) = resources(assembly.get_stack_by_name("FallbackStack").template, "AWS::Lambda::LayerVersion").values()
    staged = asset_dir(assembly, layer["Properties"]["Content"]["S3Key"])
    assert (staged / "python" / "protect_lambda" / "wrapper.py").is_file() and not list(staged.rglob("*.pyc"))
    assert not (staged / ".protect-lambda-staged").exists()  # the staging marker is not part of the layer
    (message,) = [str(m.entry.data) for m in assembly.get_stack_by_name("FallbackStack").messages
                  if NO_BYTECODE_WARNING in str(m.entry.data)]
    assert f"{failing} could not build it:" in message and "boom" in message


def test_a_precompile_that_hangs_is_stopped(tmp_path: Path, staging_root: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layer_module, "PRECOMPILE_TIMEOUT_S", 1)
    hanging = _fake_python(tmp_path, "python-that-hangs", precompile="exec sleep 30")
    with pytest.raises(BytecodeError, match="did not precompile the guard layer within 1 s"):
        staged_layer_dir(str(hanging))
    assert list(staging_root.iterdir()) == []


def test_an_incomplete_staging_is_not_reused(staging_root: Path) -> None:
    first = staged_layer_dir(None)
    assert first.parent == staging_root
    (first / "python" / "protect_lambda" / "engine.py").unlink()  # a temp cleaner took files, say
    (first / ".protect-lambda-staged").unlink()
    again = staged_layer_dir(None)
    assert again == first and (again / "python" / "protect_lambda" / "engine.py").is_file()
    assert staged_layer_dir(None) == first  # complete now: reused


def test_a_staging_folder_others_can_write_is_not_reused(staging_root: Path) -> None:
    staging_root.mkdir(mode=0o700)
    staging_root.chmod(0o777)
    first, second = staged_layer_dir(None), staged_layer_dir(None)
    assert first != second and first.parent != staging_root
    assert (first / "python" / "protect_lambda" / "wrapper.py").is_file()
