"""The guard layer: one ``LayerVersion`` per stack and architecture.

The layer's content is the installed ``protect_lambda`` package (from this
repository or from the wheel) less its developer tools, staged as
``python/protect_lambda`` so that Lambda mounts it at ``/opt/python``. The staging directory is named by a hash
of the content, so synthesizing twice reuses it and the asset hash only
changes when the guard does.

Example:
    >>> layer = guard_layer(stack, aws_lambda.Architecture.ARM_64)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from aws_cdk import Stack
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
DEV_ONLY = frozenset({"commands", "ops", "cli.py", "evaluation.py", "filter_pattern.py", "local_invoke.py",
                      "local_template.py"})


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


def staged_layer_dir() -> Path:
    """A directory ``<dir>/python/protect_lambda`` holding the guard, ready for ``Code.from_asset``."""
    source = guard_package_dir()
    files = _package_files(source)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(source).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    target = Path(tempfile.gettempdir()) / f"protect-lambda-layer-{digest.hexdigest()[:16]}"
    if not (target / "python" / "protect_lambda").is_dir():
        staging = Path(tempfile.mkdtemp(prefix="protect-lambda-layer-staging-"))
        for path in files:
            destination = staging / "python" / "protect_lambda" / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
        try:
            staging.rename(target)
        except OSError:  # another process staged it first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _compatible_runtimes() -> list[lambda_.Runtime]:
    runtimes = []
    for name in SUPPORTED_PYTHON_RUNTIMES:
        attribute = "PYTHON_" + name.removeprefix("python").replace(".", "_")
        runtime = getattr(lambda_.Runtime, attribute, None)
        if runtime is not None:
            runtimes.append(runtime)
    return runtimes


def _architecture_suffix(architecture: lambda_.Architecture) -> str:
    return "Arm64" if architecture.name == "arm64" else "X8664"


def guard_layer(scope: IConstruct, architecture: lambda_.Architecture) -> lambda_.ILayerVersion:
    """The guard layer of ``scope``'s stack for ``architecture``, created on first use.

    Example:
        >>> guard_layer(my_function, my_function.architecture)  # doctest: +SKIP
    """
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    layer_id = f"ProtectLambdaGuardLayer{_architecture_suffix(architecture)}"
    existing = stack.node.try_find_child(layer_id)
    if isinstance(existing, lambda_.LayerVersion):
        return existing
    return lambda_.LayerVersion(
        stack,
        layer_id,
        code=lambda_.Code.from_asset(str(staged_layer_dir())),
        compatible_runtimes=_compatible_runtimes(),
        compatible_architectures=[architecture],
        description=f"protect-lambda runtime guard {protect_lambda.__version__} ({architecture.name})",
    )
