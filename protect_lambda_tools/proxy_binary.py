"""Where the proxy extension's binary is, for ``protect-lambda scan --engine proxy``.

The binary (``proxy/``, Go) is built by ``make proxy`` (and ``make install``) into
``protect_lambda_construct/proxy_bin/linux-<arch>/``, which the wheel carries;
``PROTECT_LAMBDA_PROXY`` names another one.

Example:
    >>> machine_arch() in ("amd64", "arm64", "")
    True
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

ENV = "PROTECT_LAMBDA_PROXY"
BINARY = "protect-lambda-proxy"


def machine_arch() -> str:
    """This machine's architecture as Go names it ("" when neither)."""
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, "")


def bundled_dir() -> Path:
    """Where the prebuilt binaries (``linux-<arch>/``) and the wrapper are: the construct
    package's ``proxy_bin/`` (found by path: the tools do not import the constructs)."""
    return Path(__file__).resolve().parent.parent / "protect_lambda_construct" / "proxy_bin"


def find_binary() -> Path:
    """The proxy binary for this machine; FileNotFoundError says how to build one."""
    named = os.environ.get(ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"{ENV}={named}: no such file")
        return path
    path = bundled_dir() / f"linux-{machine_arch()}" / BINARY
    if path.is_file():
        build = bundled_dir().parent.parent / "proxy" / "build.py"
        if build.is_file():  # a checkout: the binary must be of its sources
            from protect_lambda_tools.source_files import load_file

            why = str(load_file("protect_lambda_proxy_build", build).stale(bundled_dir()))
            if why:
                raise FileNotFoundError(why)
        return path
    raise FileNotFoundError(f"the proxy binary is not built ({path}): run `make proxy`, or set {ENV}")
