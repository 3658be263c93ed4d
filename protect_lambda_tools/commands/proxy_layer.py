"""``protect-lambda proxy-layer DIR``: the proxy extension's files, laid out as its layer, for a container image.

Container images do not load layers, so a construct cannot attach the proxy to an image
function: the image carries it. This writes ``DIR/extensions/protect-lambda-proxy`` (the
prebuilt static binary for ``--arch``) and ``DIR/protect-lambda/wrapper``, both executable;
two Dockerfile lines put them in place::

    COPY DIR/ /opt/
    ENV AWS_LAMBDA_EXEC_WRAPPER=/opt/protect-lambda/wrapper

Example:
    $ protect-lambda proxy-layer proxy-layer --arch arm64
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

HELP = "write the proxy extension's layer files (binary and wrapper) to a folder, for a container image"
ARCHES = ("amd64", "arm64")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``proxy-layer``."""
    parser.add_argument("dir", type=Path, help="the folder to write (created; existing files are replaced)")
    parser.add_argument("--arch", choices=ARCHES, default="amd64",
                        help="the image's architecture: amd64 (x86_64, default) or arm64")


def run(args: argparse.Namespace) -> int:
    """0 when both files were written; 2 when the binaries are not built (names the fix)."""
    from protect_lambda_tools.proxy_binary import bundled_dir

    source = bundled_dir()
    binary = source / f"linux-{args.arch}" / "protect-lambda-proxy"
    wrapper = source / "wrapper"
    if not (binary.is_file() and wrapper.is_file()):
        print(f"protect-lambda proxy-layer: the proxy is not built ({binary}): run `make proxy` in the "
              "protect-lambda checkout (the wheel carries it prebuilt)")
        return 2
    for src, relative in ((binary, Path("extensions") / "protect-lambda-proxy"),
                          (wrapper, Path("protect-lambda") / "wrapper")):
        target = args.dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        target.chmod(0o755)
    print(f"wrote {args.dir}/extensions/protect-lambda-proxy ({args.arch}) and {args.dir}/protect-lambda/wrapper; "
          "in the Dockerfile:")
    print(f"  COPY {args.dir}/ /opt/")
    print("  ENV AWS_LAMBDA_EXEC_WRAPPER=/opt/protect-lambda/wrapper")
    return 0
