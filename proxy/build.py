#!/usr/bin/env python3
"""Build the proxy extension: static Linux binaries for x86_64 and arm64, byte-reproducible.

    python3 proxy/build.py [--out protect_lambda_construct/proxy_bin] [--arch amd64 --arch arm64]

writes ``OUT/linux-<arch>/protect-lambda-proxy`` for each architecture and ``OUT/wrapper`` (the
layer's ``AWS_LAMBDA_EXEC_WRAPPER`` script, ``proxy/layer/wrapper``) and prints the binaries'
sha256. The default ``OUT`` is where the constructs stage the proxy layer from, and what the
wheel carries (package data): a user's ``cdk synth`` needs no compiler. The same source gives the same bytes: one pinned Go release (:data:`GO_VERSION`),
``CGO_ENABLED=0``, ``-trimpath``, no build id, no VCS stamp.

Before building, ``proxy/gen/generate.py`` writes the Go tables derived from the Python guard
(regex translations); it needs the Python whose Unicode tables the guard's figures are for (3.11).

The Go toolchain comes from the package registries only: ``go`` on ``PATH`` when it is exactly
:data:`GO_VERSION`, else the Go module proxy's ``golang.org/toolchain`` module of that release
(the archive the ``go`` command itself downloads for ``GOTOOLCHAIN``), checked against the
sha256 pinned below and unpacked under ``~/.cache/protect-lambda/``. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
GO_VERSION = "go1.26.8"
#: sha256 of proxy.golang.org/golang.org/toolchain/@v/v0.0.1-<GO_VERSION>.linux-<arch>.zip
TOOLCHAIN_SHA256 = {
    "amd64": "30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7",
    "arm64": "02b36b6787b3ac767668f630e2998df45a3b1f9ffee08d1bf3ef6487cd658d99",
}
GOPROXY = os.environ.get("GOPROXY", "https://proxy.golang.org").split(",")[0].split("|")[0]
ARCHES = ("amd64", "arm64")
BINARY = "protect-lambda-proxy"
PACKAGE = "./cmd/protect-lambda-proxy"
WRAPPER = HERE / "layer" / "wrapper"
DEFAULT_OUT = HERE.parent / "protect_lambda_construct" / "proxy_bin"


def _host_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


def _version_of(go: str) -> str:
    try:
        out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=True,
                             env={**os.environ, "GOTOOLCHAIN": "local"}).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.strip()


def go_binary(cache: Path | None = None) -> str:
    """Path of a ``go`` command of exactly :data:`GO_VERSION`, downloading it when needed."""
    found = shutil.which("go")
    if found and _version_of(found) == GO_VERSION:
        return found
    arch = _host_arch()
    if sys.platform != "linux" or arch not in TOOLCHAIN_SHA256:
        raise SystemExit(f"proxy/build.py: install {GO_VERSION} (no pinned toolchain for {sys.platform}/{arch})")
    cache = cache or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "protect-lambda"
    module = f"v0.0.1-{GO_VERSION}.linux-{arch}"
    root = cache / f"golang.org/toolchain@{module}"
    go = root / "bin" / "go"
    if go.exists():
        return str(go)
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"{module}.zip"
    url = f"{GOPROXY}/golang.org/toolchain/@v/{module}.zip"
    print(f"proxy/build.py: downloading {url}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=300) as response, open(archive, "wb") as out:
        shutil.copyfileobj(response, out)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != TOOLCHAIN_SHA256[arch]:
        archive.unlink()
        raise SystemExit(f"proxy/build.py: {url} has sha256 {digest}, expected {TOOLCHAIN_SHA256[arch]}")
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            target = cache / info.filename
            zf.extract(info, cache)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode)
    archive.unlink()
    return str(go)


def generate(source: Path = HERE, vectors: Path | None = None) -> None:
    """Write what the Go code needs from the Python guard (proxy/gen/generate.py), and the
    differential vectors of the Go tests when ``vectors`` is given."""
    command = [sys.executable, str(source / "gen" / "generate.py")]
    if vectors is not None:
        command += ["--vectors", str(vectors)]
    subprocess.run(command, check=True)


def build(out: Path, arches: tuple[str, ...] = ARCHES, version: str | None = None,
          source: Path = HERE, gocache: Path | None = None) -> dict[str, Path]:
    """Build the binary for each architecture under ``out``; returns arch -> path. ``version`` (stamped
    into the binary) defaults to the guard's.

    Example:
        >>> paths = build(Path("build/proxy"), ("amd64",))  # doctest: +SKIP
        >>> paths["amd64"].name
        'protect-lambda-proxy'
    """
    go = go_binary()
    version = version or guard_version()
    generate(source)
    env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOTOOLCHAIN": "local",
           "GOFLAGS": "-trimpath -buildvcs=false -mod=readonly", "GOWORK": "off"}
    if gocache is not None:
        env["GOCACHE"] = str(gocache)
    built = {}
    for arch in arches:
        target = out.resolve() / f"linux-{arch}" / BINARY
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([go, "build", "-ldflags", f"-s -w -buildid= -X main.version={version}", "-o",
                        str(target), PACKAGE], cwd=source, env={**env, "GOARCH": arch}, check=True)
        built[arch] = target
    wrapper = out.resolve() / WRAPPER.name
    shutil.copyfile(WRAPPER, wrapper)
    wrapper.chmod(0o755)
    if source == HERE:
        (out.resolve() / SOURCE_FILE).write_text(source_digest() + "\n")
    return built


#: The file under ``OUT`` that names the sources a build was made from (see :func:`source_digest`).
SOURCE_FILE = "SOURCE"


def source_files(root: Path = HERE.parent) -> list[Path]:
    """What the binaries are built from: the Go sources and module files, the generators, the
    wrapper, and the Python guard they are generated from (rules included)."""
    proxy, guard = root / "proxy", root / "lambda_layer" / "protect_lambda"
    files = [p for p in proxy.rglob("*") if p.is_file() and (
        p.suffix == ".go" and not p.name.endswith("_gen.go") or p.name in ("go.mod", "go.sum", "wrapper")
        or p.suffix == ".py") and "engine/rules" not in p.as_posix()]
    files += [p for p in guard.rglob("*") if p.is_file() and p.suffix in (".py", ".json")]
    return sorted(files)


def source_digest(root: Path = HERE.parent) -> str:
    """sha256 over the names and contents of :func:`source_files`: a build whose ``SOURCE`` differs
    was made from other sources (``make proxy`` builds it again)."""
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def stale(out: Path) -> str:
    """Why the build under ``out`` is not one of this checkout's sources ("" when it is).

    Example:
        >>> stale(DEFAULT_OUT)  # doctest: +SKIP
        ''
    """
    recorded = out / SOURCE_FILE
    built = recorded.read_text().strip() if recorded.is_file() else ""
    if built != source_digest():
        return (f"the proxy binaries in {out} were built from other sources than this checkout's "
                "(the guard or the proxy changed since): run `make proxy`")
    return ""


def guard_version() -> str:
    """The guard's GUARD_VERSION (lambda_layer/protect_lambda/contract.py)."""
    text = (HERE.parent / "lambda_layer" / "protect_lambda" / "contract.py").read_text(encoding="utf-8")
    match = re.search(r'^GUARD_VERSION: Final = "([^"]+)"', text, re.M)
    return match.group(1) if match else "dev"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="default: protect_lambda_construct/proxy_bin, where the constructs stage them from")
    parser.add_argument("--arch", action="append", choices=ARCHES, help="default: both")
    parser.add_argument("--version", default=guard_version(),
                        help="stamped into the binary (protect-lambda-proxy version); default: the guard's")
    args = parser.parse_args()
    for path in build(args.out, tuple(args.arch or ARCHES), args.version).values():
        print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path}")


if __name__ == "__main__":
    main()
