"""The ``protect-lambda`` console script.

Each sub-command lives in its own module under :mod:`protect_lambda_tools.commands`
and exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Command modules import heavy dependencies (boto3)
inside ``run`` so that ``protect-lambda scan`` does not pay for them.

Example:
    $ protect-lambda scan ../shared/eval/cases.jsonl --mode monitor
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

#: command name -> module under protect_lambda_tools.commands
COMMANDS: dict[str, str] = {
    "scan": "scan",
    "eval": "evaluate",
    "violations": "violations",
    "status": "status",
    "test-alert": "test_alert",
    "check-filter": "check_filter",
    "invoke": "invoke",
    "proxy-layer": "proxy_layer",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(prog="protect-lambda", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"protect_lambda_tools.commands.{module_name}")
        command = sub.add_parser(name, help=getattr(module, "HELP", None))
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    code: int = args._module.run(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
