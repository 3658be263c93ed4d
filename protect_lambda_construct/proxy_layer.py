"""The proxy extension layer: the guard for Node.js, Java, .NET, Ruby and OS-only functions.

Lambda starts every executable in a layer's ``extensions/`` folder before the runtime, and
runs a managed runtime's start command through the script named in ``AWS_LAMBDA_EXEC_WRAPPER``.
The layer built here holds both: ``/opt/extensions/protect-lambda-proxy`` (a static Go binary,
the same guard as the Python layer's, docs/proxy.md) and ``/opt/protect-lambda/wrapper``, which
points the runtime's ``AWS_LAMBDA_RUNTIME_API`` at the proxy. The binaries are prebuilt
(``make proxy``; the wheel carries them as package data): synth only stages them. One layer per
architecture per stack.

Example:
    >>> proxy_layer(stack, lambda_.Architecture.ARM_64)  # doctest: +SKIP
    >>> WRAPPER_PATH
    '/opt/protect-lambda/wrapper'
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct
from protect_lambda import contract

from .bootstrap_shim import needs_shim
from .options import ProtectionError

#: Where the wheel (and ``make proxy`` in a checkout) puts the prebuilt binaries and the wrapper.
PROXY_BIN_DIR = Path(__file__).resolve().parent / "proxy_bin"
BINARY = "protect-lambda-proxy"
#: Lambda's variable naming a script that starts the runtime.
EXEC_WRAPPER_ENV = "AWS_LAMBDA_EXEC_WRAPPER"
#: The proxy layer's wrapper inside Lambda.
WRAPPER_PATH = "/opt/protect-lambda/wrapper"
#: The wrapper that was there before ours, which ours runs next (proxy/layer/wrapper).
NEXT_WRAPPER_ENV = "PROTECT_LAMBDA_NEXT_WRAPPER"
#: Runtime families guarded through the proxy (their runtimes honour AWS_LAMBDA_EXEC_WRAPPER).
PROXY_FAMILIES = ("NODEJS", "JAVA", "DOTNET_CORE", "RUBY")


def _go_arch(architecture: lambda_.Architecture) -> str:
    return "arm64" if architecture.name == "arm64" else "amd64"


def proxy_files(architecture: lambda_.Architecture) -> tuple[Path, Path]:
    """The prebuilt binary for ``architecture`` and the wrapper; ProtectionError says how to
    build them when they are missing (a checkout without ``make proxy``)."""
    binary = PROXY_BIN_DIR / f"linux-{_go_arch(architecture)}" / BINARY
    wrapper = PROXY_BIN_DIR / "wrapper"
    if not (binary.is_file() and wrapper.is_file()):
        raise ProtectionError(
            f"runtime: the proxy extension that guards non-Python functions is not built ({binary}); "
            "run `make proxy` in the protect-lambda checkout (the wheel carries it prebuilt)")
    stale = _stale_in_checkout()
    if stale:
        raise ProtectionError(f"runtime: {stale}")
    return binary, wrapper


@functools.lru_cache(maxsize=1)
def _stale_in_checkout() -> str:
    """In a protect-lambda checkout (proxy/build.py beside the package), why the built binaries are not
    those of its sources ("" when they are, and in an installed wheel, which has no sources)."""
    build = PROXY_BIN_DIR.parent.parent / "proxy" / "build.py"
    if not build.is_file():
        return ""
    spec = importlib.util.spec_from_file_location("protect_lambda_proxy_build", build)
    if spec is None or spec.loader is None:
        return ""
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.stale(PROXY_BIN_DIR))


def staged_proxy_dir(architecture: lambda_.Architecture) -> Path:
    """A folder laid out as the layer: ``extensions/protect-lambda-proxy`` and
    ``protect-lambda/wrapper``, both executable; staged once per content."""
    binary, wrapper = proxy_files(architecture)
    digest = hashlib.sha256()
    for path in (binary, wrapper):
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    target = Path(tempfile.gettempdir()) / f"protect-lambda-proxy-layer-{digest.hexdigest()[:20]}"
    if (target / "extensions" / BINARY).is_file() and (target / "protect-lambda" / "wrapper").is_file():
        return target
    work = Path(tempfile.mkdtemp(prefix="protect-lambda-proxy-", dir=target.parent))
    for source, relative in ((binary, Path("extensions") / BINARY), (wrapper, Path("protect-lambda") / "wrapper")):
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, work / relative)
        os.chmod(work / relative, 0o755)
    try:
        work.rename(target)
    except OSError:  # another synth staged it first
        shutil.rmtree(work, ignore_errors=True)
    return target


def proxy_layer(scope: IConstruct, architecture: lambda_.Architecture) -> lambda_.ILayerVersion:
    """The proxy layer of ``scope``'s stack for ``architecture``, created on first use.

    Example:
        >>> proxy_layer(my_function, my_function.architecture)  # doctest: +SKIP
    """
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    suffix = "Arm64" if architecture.name == "arm64" else "X8664"
    layer_id = f"ProtectLambdaProxyLayer{suffix}"
    existing = stack.node.try_find_child(layer_id)
    if isinstance(existing, lambda_.LayerVersion):
        return existing
    return lambda_.LayerVersion(
        stack, layer_id,
        code=lambda_.Code.from_asset(str(staged_proxy_dir(architecture))),
        compatible_architectures=[architecture],
        description=f"protect-lambda runtime guard {contract.GUARD_VERSION}: proxy extension ({architecture.name})",
    )


#: Datadog settings that start its own Runtime API proxy, which would take AWS_LAMBDA_RUNTIME_API
#: from ours (its wrapper runs after ours and points the runtime at itself).
DATADOG_PROXY_SETTINGS = ("DD_SERVERLESS_APPSEC_ENABLED", "DD_EXPERIMENTAL_ENABLE_PROXY")


def wrapper_environment(path: str, environment: Mapping[str, Any]) -> dict[str, str]:
    """The variables that put the proxy in front of a function's runtime: ``AWS_LAMBDA_EXEC_WRAPPER``
    our wrapper, and the function's own wrapper (if any) chained after it. ProtectionError when
    another proxy would take the runtime from ours (Datadog's, with AppSec or its proxy on).

    Example:
        >>> wrapper_environment("S/F", {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-handler"})
        {'AWS_LAMBDA_EXEC_WRAPPER': '/opt/protect-lambda/wrapper', 'PROTECT_LAMBDA_NEXT_WRAPPER': '/opt/otel-handler'}
    """
    for name in DATADOG_PROXY_SETTINGS:
        if str(environment.get(name, "")).strip().lower() in ("true", "1", "yes", "on"):
            raise ProtectionError(
                f"{path}: environment: {name}={environment[name]} starts Datadog's Runtime API proxy, whose "
                f"wrapper points the runtime at itself: protect-lambda's proxy (which blocks, in both directions) "
                f"would be bypassed. Set {name}=false on this function, or do not protect it")
    env = {EXEC_WRAPPER_ENV: WRAPPER_PATH}
    existing = environment.get(EXEC_WRAPPER_ENV)
    if isinstance(existing, str) and existing.strip() and existing != WRAPPER_PATH:
        env[NEXT_WRAPPER_ENV] = existing
    elif existing == WRAPPER_PATH and isinstance(environment.get(NEXT_WRAPPER_ENV), str):
        env[NEXT_WRAPPER_ENV] = str(environment[NEXT_WRAPPER_ENV])
    return env


def uses_proxy(runtime: lambda_.Runtime) -> bool:
    """Whether functions of ``runtime`` are guarded by the proxy: a managed non-Python runtime (through
    AWS_LAMBDA_EXEC_WRAPPER) or an OS-only one (through the bootstrap shim)."""
    family = runtime.family
    return (family is not None and family.name in PROXY_FAMILIES) or needs_shim(runtime)
