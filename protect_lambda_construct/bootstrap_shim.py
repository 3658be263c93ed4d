"""The bootstrap shim: the proxy extension for OS-only runtimes (``provided.al2023``, ``provided.al2``).

Lambda does not run ``AWS_LAMBDA_EXEC_WRAPPER`` scripts for OS-only runtimes: it starts the
function's own ``bootstrap`` directly. When the function's code is a local folder (a
``Code.from_asset`` directory holding ``bootstrap``), the constructs stage a copy of it in
which ``bootstrap`` is a small shell script that starts the original
(``bootstrap.protect-lambda-original``) through the proxy layer's wrapper, and point the
function at that copy. Any other code (a zip file, an S3 object, inline code) cannot be changed
at synth: the function is left unprotected with a warning that says why.

Example:
    >>> shim_reason(go_function) is None  # doctest: +SKIP
    True
    >>> apply_shim(protection, go_function)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import cast

from aws_cdk import Stage
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

#: The function's own bootstrap, renamed in the shimmed copy of its code.
ORIGINAL_BOOTSTRAP = "bootstrap.protect-lambda-original"
#: The shim: the original bootstrap, started by the proxy layer's wrapper (which points
#: AWS_LAMBDA_RUNTIME_API at the proxy). PROTECT_LAMBDA_WRAPPER is for tests outside Lambda.
SHIM = f"""#!/bin/sh
# protect-lambda: Lambda starts an OS-only runtime's bootstrap directly (no AWS_LAMBDA_EXEC_WRAPPER),
# so this bootstrap starts the function's own one ({ORIGINAL_BOOTSTRAP}) through the proxy
# extension's wrapper, which points the runtime at the proxy (docs/proxy.md).
exec "${{PROTECT_LAMBDA_WRAPPER:-/opt/protect-lambda/wrapper}}" \\
    "${{LAMBDA_TASK_ROOT:-/var/task}}/{ORIGINAL_BOOTSTRAP}" "$@"
"""


def _staged_code(function: lambda_.Function) -> Path | None:
    """The staged folder of the function's ``Code.from_asset`` directory, if it is one."""
    asset = function.node.try_find_child("Code")
    if not isinstance(asset, s3_assets.Asset):
        return None
    path = Path(asset.asset_path)
    if not path.is_absolute():
        path = Path(Stage.of(function).outdir if Stage.of(function) else ".") / path  # type: ignore[union-attr]
    return path if path.is_dir() else None


def shim_reason(function: lambda_.Function) -> str | None:
    """Why an OS-only function cannot get the shim (naming what to change), or None when it can."""
    staged = _staged_code(function)
    if staged is None:
        return (f"runtime: {function.runtime.name} (an OS-only runtime) does not run AWS_LAMBDA_EXEC_WRAPPER "
                "scripts, and the code is not a local folder (Code.from_asset of a directory) whose bootstrap "
                "the constructs could start through the proxy; use Code.from_asset('dir') with the bootstrap in "
                "it, or have your bootstrap export AWS_LAMBDA_RUNTIME_API=127.0.0.1:9140 and add the proxy "
                "layer (docs/proxy.md, 'OS-only runtimes')")
    if not (staged / "bootstrap").is_file():
        return (f"code: {function.runtime.name} needs a 'bootstrap' at the top of the code folder, and this "
                "one has none; the constructs start that bootstrap through the proxy")
    return None


def shimmed_dir(staged: Path) -> Path:
    """A copy of ``staged`` whose ``bootstrap`` is the shim (staged once per content)."""
    digest = hashlib.sha256(SHIM.encode())
    for path in sorted(staged.rglob("*")):  # names, modes and contents
        relative = path.relative_to(staged).as_posix()
        digest.update(f"{relative}\0{path.lstat().st_mode}\0".encode())
        if path.is_file() and not path.is_symlink():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        elif path.is_symlink():
            digest.update(os.readlink(path).encode())
    target = Path(tempfile.gettempdir()) / f"protect-lambda-shim-{digest.hexdigest()[:20]}"
    if (target / ORIGINAL_BOOTSTRAP).is_file():
        return target
    work = Path(tempfile.mkdtemp(prefix="protect-lambda-shim-", dir=target.parent))
    copy = work / "code"
    shutil.copytree(staged, copy, symlinks=True)
    (copy / "bootstrap").rename(copy / ORIGINAL_BOOTSTRAP)
    (copy / "bootstrap").write_text(SHIM)
    os.chmod(copy / "bootstrap", 0o755)
    try:
        copy.rename(target)
    except OSError:  # another synth staged it first
        pass
    shutil.rmtree(work, ignore_errors=True)
    return target


def apply_shim(scope: Construct, function: lambda_.Function) -> None:
    """Point ``function`` at the shimmed copy of its code (``shim_reason`` must be None)."""
    staged = cast(Path, _staged_code(function))
    asset = s3_assets.Asset(scope, "ShimmedCode", path=str(shimmed_dir(staged)))
    cfn = cast(lambda_.CfnFunction, function.node.default_child)
    cfn.code = lambda_.CfnFunction.CodeProperty(s3_bucket=asset.s3_bucket_name, s3_key=asset.s3_object_key)


def needs_shim(runtime: lambda_.Runtime) -> bool:
    """Whether functions of ``runtime`` get the proxy through the bootstrap shim: an OS-only runtime
    (``provided.*``), which runs no AWS_LAMBDA_EXEC_WRAPPER."""
    return runtime.name.startswith("provided")
