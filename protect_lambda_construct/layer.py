"""The guard layer: one ``LayerVersion`` per stack, Python runtime and architecture.

The layer's content is the installed guard package ``protect_lambda`` (from this
repository or from the wheel) as it is, staged as ``python/protect_lambda`` so
that Lambda mounts it at ``/opt/python``. The package holds only what runs in
Lambda: the developer tools live in ``protect_lambda_tools`` and the bytecode
builder in this package (:mod:`protect_lambda_construct.bytecode`).

Lambda mounts layers read-only, so Python cannot cache bytecode there: the
layer carries it, made at synth by an interpreter of the runtime's Python
version (:func:`bytecode_interpreter`; :mod:`protect_lambda_construct.bytecode`): the
modules' ``.pyc`` files and the rules' compiled regexes, which take the guard's
cold start (import plus every rule compiled) from 80 – 130 ms to about 15 ms (docs/guard.md). Without such an
interpreter the layer holds the sources only, works the same, and synth warns
(``protect-lambda:no-bytecode``).

The staging directory (in a folder only this user can write to) is named by a
hash of the content and the building interpreter's exact version, so
synthesizing twice reuses it, and the asset hash only changes when the guard or
that interpreter does. Which interpreters a machine has decides whether a layer
gets bytecode: pin ``PROTECT_LAMBDA_PYTHON_3_X`` (or ``none``) in CI so every
machine builds the same layers.

Example:
    >>> layer = guard_layer(stack, aws_lambda.Architecture.ARM_64, aws_lambda.Runtime.PYTHON_3_13)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct
from protect_lambda import contract

#: Python runtimes the guard supports (it uses nothing newer than 3.10).
SUPPORTED_PYTHON_RUNTIMES: tuple[str, ...] = (
    "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
)

_IGNORED_DIRS = {"__pycache__"}
_IGNORED_SUFFIXES = (".pyc", ".pyo")
#: The script that makes a staged layer's bytecode, run by an interpreter of the runtime's version.
BYTECODE_SCRIPT = Path(__file__).resolve().parent / "bytecode.py"
#: Set ``PROTECT_LAMBDA_PYTHON_3_13`` (and so on) to the interpreter that makes the bytecode
#: for that runtime, or to ``none`` for a layer without bytecode.
INTERPRETER_ENV_PREFIX = "PROTECT_LAMBDA_PYTHON_"
#: Warning id when a layer has to go without bytecode (acknowledge it with ``Annotations``).
NO_BYTECODE_WARNING = "protect-lambda:no-bytecode"


class BytecodeError(RuntimeError):
    """The interpreter named for a runtime cannot make the layer's bytecode."""


def guard_package_dir() -> Path:
    """Directory of the installed ``protect_lambda`` package."""
    spec = importlib.util.find_spec("protect_lambda")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - import above
        raise RuntimeError("the protect_lambda package is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def _package_files(root: Path) -> list[Path]:
    """Every file of the guard package, less bytecode a local Python may have cached in it."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORED_DIRS)
        files.extend(Path(dirpath, name) for name in sorted(filenames) if not name.endswith(_IGNORED_SUFFIXES))
    return files


#: Run by a candidate interpreter: what it is (the bytecode is only for 64-bit CPython, as Lambda runs).
_DESCRIBE = ("import json, sys; print(json.dumps({'version': '%d.%d' % sys.version_info[:2], "
             "'full_version': sys.version, 'implementation': sys.implementation.name, "
             "'bits64': sys.maxsize > 2**32, 'executable': sys.executable}))")
#: Seconds one interpreter may take to precompile the layer before synth goes on without bytecode.
PRECOMPILE_TIMEOUT_S = 300
#: Written last into a staged layer: a staging without it (interrupted, emptied by a temp cleaner) is not
#: reused. Not part of the layer's content (excluded from the asset).
_STAGED_MARKER = ".protect-lambda-staged"


def _child_env() -> dict[str, str]:
    """The environment of the interpreters run at synth: the user's (pyenv, Nix, conda need theirs),
    without ``PYTHON*`` variables, with a fixed hash seed and no bytecode written on import."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    return env


@functools.cache
def _describe(interpreter: str) -> dict[str, Any] | None:
    """What ``interpreter`` reports about itself (version, implementation, executable), or ``None`` if it cannot run."""
    try:
        done = subprocess.run([interpreter, "-S", "-c", _DESCRIBE], env=_child_env(),
                              capture_output=True, text=True, timeout=60, check=False)
        described: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
    return described if done.returncode == 0 else None


def _unusable(described: dict[str, Any] | None, version: str) -> str | None:
    """Why an interpreter cannot make the bytecode for Python ``version``, or ``None`` if it can."""
    if described is None:
        return "cannot be run"
    if described.get("implementation") != "cpython" or not described.get("bits64"):
        return (f"that is {described.get('implementation')} "
                f"({'64' if described.get('bits64') else '32'}-bit), not 64-bit CPython as in Lambda")
    if described.get("version") != version:
        return f"that is Python {described.get('version')}, not {version}"
    return None


def interpreter_variable(version: str) -> str:
    """The environment variable naming the interpreter for Python ``version``: ``PROTECT_LAMBDA_PYTHON_3_13``."""
    return INTERPRETER_ENV_PREFIX + version.replace(".", "_")


def _installed(version: str) -> list[tuple[str, str]]:
    """Interpreters of ``version`` that version managers installed (pyenv, uv), newest first:
    a pyenv shim only runs the version selected for the directory, the installation always does."""
    found: list[tuple[str, str]] = []
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for prefix in sorted(pyenv_root.glob(f"versions/{version}.*"), reverse=True):
        found.append((f"pyenv {prefix.name}", str(prefix / "bin" / f"python{version}")))
    uv_root = Path(os.environ.get("UV_PYTHON_INSTALL_DIR") or Path.home() / ".local" / "share" / "uv" / "python")
    for prefix in sorted(uv_root.glob(f"cpython-{version}.*"), reverse=True):
        found.append((f"uv {prefix.name}", str(prefix / "bin" / f"python{version}")))
    return found


@functools.cache
def interpreter_search(version: str) -> tuple[str | None, tuple[str, ...]]:
    """The interpreter that makes the bytecode for Python ``version`` (or ``None``), and what was tried.

    In order: the variable ``PROTECT_LAMBDA_PYTHON_3_13`` (a path, or ``none``),
    the interpreter running the synth if it is that version, ``python3.13`` on
    ``PATH``, then the installations of pyenv and uv; each must run, and be 64-bit
    CPython of that version (as Lambda runs). The path returned is the interpreter's
    own executable (a pyenv shim resolved).
    """
    variable = interpreter_variable(version)
    configured = os.environ.get(variable)
    if configured is not None:
        if configured.strip().lower() in ("", "none"):
            return None, (f"{variable} is 'none'",)
        described = _describe(configured)
        problem = _unusable(described, version)
        if problem is not None or described is None:
            raise BytecodeError(
                f"{variable}={configured}: {problem}; set it to a 64-bit CPython {version} interpreter, "
                f"or to 'none' for a layer without bytecode")
        return str(described["executable"] or configured), ()
    tried: list[str] = [f"{variable} (unset)"]
    candidates: list[tuple[str, str]] = []
    if "%d.%d" % sys.version_info[:2] == version:
        candidates.append(("the synth's own Python", sys.executable))
    else:
        tried.append(f"the synth's own Python (it is {sys.version_info[0]}.{sys.version_info[1]})")
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append((f"python{version} on PATH", on_path))
    else:
        tried.append(f"python{version} on PATH (none)")
    candidates += _installed(version)
    for label, candidate in candidates:
        described = _describe(candidate)
        problem = _unusable(described, version)
        if described is not None and problem is None:
            return str(described["executable"] or candidate), tuple(tried)
        tried.append(f"{label} ({candidate}: {problem})")
    if not _installed(version):
        tried.append(f"pyenv and uv installations of {version} (none)")
    return None, tuple(tried)


def bytecode_interpreter(version: str) -> str | None:
    """The interpreter that makes the bytecode for Python ``version`` (``"3.13"``), or ``None``
    (see :func:`interpreter_search`).

    Example:
        >>> bytecode_interpreter("%d.%d" % sys.version_info[:2]) == sys.executable
        True
    """
    return interpreter_search(version)[0]


def _precompile(site_dir: Path, interpreter: str) -> None:
    try:
        done = subprocess.run([interpreter, "-S", str(BYTECODE_SCRIPT), str(site_dir)], env=_child_env(),
                              capture_output=True, text=True, timeout=PRECOMPILE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise BytecodeError(f"{interpreter} did not precompile the guard layer within "
                            f"{PRECOMPILE_TIMEOUT_S} s") from None
    except (OSError, subprocess.SubprocessError) as error:
        raise BytecodeError(f"{interpreter} could not be run to precompile the guard layer: {error}") from None
    if done.returncode != 0:
        raise BytecodeError(f"{interpreter} could not precompile the guard layer:\n{done.stderr.strip()}")


def _staging_root() -> Path | None:
    """This user's folder of staged layers (created private), or ``None`` if it cannot be trusted for reuse."""
    getuid = getattr(os, "getuid", None)
    root = Path(tempfile.gettempdir()) / f"protect-lambda-{getuid() if getuid else 'user'}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        info = root.stat()
    except OSError:
        return None
    if getuid is not None and (info.st_uid != getuid() or info.st_mode & 0o022):
        return None  # not ours, or others may write into it: stage afresh, never reuse
    return root


def staged_layer_dir(interpreter: str | None = None) -> Path:
    """A directory ``<dir>/python/protect_lambda`` holding the guard, ready for ``Code.from_asset``.

    With ``interpreter``, the guard's bytecode for that interpreter's version is
    included. The directory is reused by later synths while its content key (the
    guard's files, the bytecode builder and the interpreter's exact version)
    matches, in a folder only this user can write to.
    """
    source = guard_package_dir()
    files = _package_files(source)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(source).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    suffix = ""
    if interpreter:
        described = _describe(interpreter)
        if described is None:
            raise BytecodeError(f"{interpreter}: cannot be run to precompile the guard layer")
        digest.update(b"\0bytecode\0" + BYTECODE_SCRIPT.read_bytes())
        digest.update(f"\0{described['implementation']} {described['full_version']}".encode())
        suffix = f"-py{str(described['version']).replace('.', '')}"  # no dot: the asset would keep it as an extension
    key = digest.hexdigest()
    root = _staging_root()
    target = root / f"layer-{key[:16]}{suffix}" if root else None
    if target is not None and _is_staged(target, key):
        return target
    staging = Path(tempfile.mkdtemp(prefix="protect-lambda-layer-staging-", dir=root))
    try:
        for path in files:
            destination = staging / "python" / "protect_lambda" / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
        if interpreter:
            _precompile(staging / "python", interpreter)
        (staging / _STAGED_MARKER).write_text(key)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target is None:
        return staging  # nowhere safe to keep it for reuse: this synth's own copy
    if target.exists() and not _is_staged(target, key):
        shutil.rmtree(target, ignore_errors=True)  # an interrupted or emptied staging: replace it
    try:
        staging.rename(target)
    except OSError:  # another synth staged it first
        shutil.rmtree(staging, ignore_errors=True)
        if not _is_staged(target, key):
            raise BytecodeError(f"{target}: could not stage the guard layer there") from None
    return target


def _is_staged(target: Path, key: str) -> bool:
    marker = target / _STAGED_MARKER
    try:
        return marker.read_text() == key and (target / "python" / "protect_lambda" / "wrapper.py").is_file()
    except OSError:
        return False


def _architecture_suffix(architecture: lambda_.Architecture) -> str:
    return "Arm64" if architecture.name == "arm64" else "X8664"


def guard_layer(scope: IConstruct, architecture: lambda_.Architecture,
                runtime: lambda_.Runtime) -> lambda_.ILayerVersion:
    """The guard layer of ``scope``'s stack for ``runtime`` and ``architecture``, created on first use.

    Example:
        >>> guard_layer(my_function, my_function.architecture, my_function.runtime)  # doctest: +SKIP
    """
    if runtime.name not in SUPPORTED_PYTHON_RUNTIMES:
        raise ValueError(f"runtime: {runtime.name} is not one of {', '.join(SUPPORTED_PYTHON_RUNTIMES)}")
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    version = runtime.name.removeprefix("python")
    layer_id = f"ProtectLambdaGuardLayerPy{version.replace('.', '')}{_architecture_suffix(architecture)}"
    existing = stack.node.try_find_child(layer_id)
    if isinstance(existing, lambda_.LayerVersion):
        return existing
    interpreter, tried = interpreter_search(version)
    variable = interpreter_variable(version)
    why = (f"{variable} is 'none'" if variable in os.environ
           else f"no usable Python {version} interpreter at synth; tried: {'; '.join(tried)}")
    try:
        staged = staged_layer_dir(interpreter)
    except BytecodeError as error:  # an optimisation failed: the layer still works with sources only
        why = f"{interpreter} could not build it: {' / '.join(str(error).splitlines()[-3:])[:600]}"
        interpreter = None
        staged = staged_layer_dir(None)
    layer = lambda_.LayerVersion(
        stack,
        layer_id,
        code=lambda_.Code.from_asset(str(staged), exclude=[_STAGED_MARKER]),
        compatible_runtimes=[runtime],
        compatible_architectures=[architecture],
        description=(f"protect-lambda runtime guard {contract.GUARD_VERSION} ({runtime.name}, "
                     f"{architecture.name}{', with bytecode' if interpreter else ''})"),
    )
    if interpreter is None:
        Annotations.of(layer).add_warning_v2(
            NO_BYTECODE_WARNING,
            f"This guard layer carries no bytecode ({why}): every cold start of its {runtime.name} functions "
            f"compiles the guard's modules and then its rules as they are first used (80 – 130 ms once every "
            f"rule is compiled, instead of about 15 ms; docs/guard.md). Install Python {version} (python{version} on "
            f"PATH, or pyenv / uv), or set {variable} to a Python {version} interpreter, and synthesize again; "
            "or acknowledge this warning.")
    return layer
