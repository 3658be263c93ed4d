"""The guard layer: one ``LayerVersion`` per stack, Python runtime and architecture.

The layer's content is the installed ``protect_lambda`` package (from this
repository or from the wheel) less its developer tools, staged as
``python/protect_lambda`` so that Lambda mounts it at ``/opt/python``.

Lambda mounts layers read-only, so Python cannot cache bytecode there: the
layer carries it, made at synth by an interpreter of the runtime's Python
version (:func:`bytecode_interpreter`; :mod:`protect_lambda.bytecode`): the
modules' ``.pyc`` files and the rules' compiled regexes, which take the guard's
cold start from about 60 ms to about 12 ms (docs/guard.md). Without such an
interpreter the layer holds the sources only, works the same, and synth warns
(``protect-lambda:no-bytecode``).

The staging directory is named by a hash of the content and the Python
version, so synthesizing twice reuses it and the asset hash only changes when
the guard (or the bytecode's Python version) does.

Example:
    >>> layer = guard_layer(stack, aws_lambda.Architecture.ARM_64, aws_lambda.Runtime.PYTHON_3_13)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

from aws_cdk import Annotations, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

import protect_lambda

#: Python runtimes the guard supports (it uses nothing newer than 3.10).
SUPPORTED_PYTHON_RUNTIMES: tuple[str, ...] = (
    "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
)

_IGNORED_DIRS = {"__pycache__"}
_IGNORED_SUFFIXES = (".pyc", ".pyo")
#: Parts of the package that run on a developer's machine (CLI, boto3 operations,
#: evaluation), never inside Lambda: left out of the layer.
DEV_ONLY = frozenset({"bytecode.py", "commands", "ops", "cli.py", "evaluation.py", "filter_pattern.py",
                      "local_invoke.py", "local_template.py"})
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
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        top = Path(dirpath) == root
        dirnames[:] = sorted(d for d in dirnames
                             if d not in _IGNORED_DIRS and not (top and d in DEV_ONLY))
        for name in sorted(filenames):
            if not name.endswith(_IGNORED_SUFFIXES) and not (top and name in DEV_ONLY):
                files.append(Path(dirpath, name))
    return files


def _python_version(interpreter: str) -> Optional[str]:
    """``"3.13"`` for an interpreter that runs, else ``None``."""
    try:
        done = subprocess.run(
            [interpreter, "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.lru_cache(maxsize=None)
def bytecode_interpreter(version: str) -> Optional[str]:
    """The interpreter that makes the bytecode for Python ``version`` (``"3.13"``), or ``None``.

    In order: the variable ``PROTECT_LAMBDA_PYTHON_3_13`` (a path, or ``none``),
    the interpreter running the synth if it is that version, ``python3.13`` on
    ``PATH`` (if it runs and is that version).

    Example:
        >>> bytecode_interpreter("%d.%d" % sys.version_info[:2]) == sys.executable
        True
    """
    variable = INTERPRETER_ENV_PREFIX + version.replace(".", "_")
    configured = os.environ.get(variable)
    if configured is not None:
        if configured.strip().lower() in ("", "none"):
            return None
        found_version = _python_version(configured)
        if found_version != version:
            raise BytecodeError(
                f"{variable}={configured}: " + (f"that is Python {found_version}, not {version}"
                                                if found_version else "cannot be run")
                + f"; set it to a Python {version} interpreter, or to 'none' for a layer without bytecode")
        return configured
    if "%d.%d" % sys.version_info[:2] == version:
        return sys.executable
    on_path = shutil.which(f"python{version}")
    if on_path is not None and _python_version(on_path) == version:
        return on_path
    return None


def _precompile(site_dir: Path, interpreter: str) -> None:
    script = guard_package_dir() / "bytecode.py"
    done = subprocess.run(
        [interpreter, "-S", str(script), str(site_dir)],
        env={"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"},  # deterministic output
        capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise BytecodeError(f"{interpreter} could not precompile the guard layer:\n{done.stderr.strip()}")


def staged_layer_dir(interpreter: Optional[str] = None) -> Path:
    """A directory ``<dir>/python/protect_lambda`` holding the guard, ready for ``Code.from_asset``.

    With ``interpreter``, the guard's bytecode for that interpreter's version is included.
    """
    source = guard_package_dir()
    files = _package_files(source)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(source).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    version = _python_version(interpreter) if interpreter else None
    if interpreter and version is None:
        raise BytecodeError(f"{interpreter}: cannot be run to precompile the guard layer")
    suffix = f"-py{version.replace('.', '')}" if version else ""  # no dot: the asset would keep it as an extension
    target = Path(tempfile.gettempdir()) / f"protect-lambda-layer-{digest.hexdigest()[:16]}{suffix}"
    if not (target / "python" / "protect_lambda").is_dir():
        staging = Path(tempfile.mkdtemp(prefix="protect-lambda-layer-staging-"))
        for path in files:
            destination = staging / "python" / "protect_lambda" / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
        if interpreter:
            try:
                _precompile(staging / "python", interpreter)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        try:
            staging.rename(target)
        except OSError:  # another process staged it first
            shutil.rmtree(staging, ignore_errors=True)
    return target


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
    interpreter = bytecode_interpreter(version)
    variable = INTERPRETER_ENV_PREFIX + version.replace(".", "_")
    why = (f"{variable} is 'none'" if variable in os.environ
           else f"no Python {version} interpreter was found at synth")
    try:
        staged = staged_layer_dir(interpreter)
    except BytecodeError as error:  # an optimisation failed: the layer still works with sources only
        why = f"{interpreter} could not build it: {str(error).splitlines()[-1][:300]}"
        interpreter = None
        staged = staged_layer_dir(None)
    layer = lambda_.LayerVersion(
        stack,
        layer_id,
        code=lambda_.Code.from_asset(str(staged)),
        compatible_runtimes=[runtime],
        compatible_architectures=[architecture],
        description=(f"protect-lambda runtime guard {protect_lambda.__version__} ({runtime.name}, "
                     f"{architecture.name}{', with bytecode' if interpreter else ''})"),
    )
    if interpreter is None:
        Annotations.of(layer).add_warning_v2(
            NO_BYTECODE_WARNING,
            f"This guard layer carries no bytecode ({why}): every cold start of its {runtime.name} functions "
            f"compiles the guard's modules and then its rules as they are first used (up to about 100 ms "
            f"instead of about 15 ms; docs/guard.md). Put python{version} on PATH or set {variable} to "
            f"a Python {version} interpreter, and synthesize again.")
    return layer
