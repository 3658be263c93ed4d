"""``protect-lambda status``: per protected function, alarm states and the violation count over a window.

Example:
    $ protect-lambda status --stack ProtectLambdaExample --since 24h
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from protect_lambda_tools.ops.cli_support import (
    add_aws_arguments,
    add_target_arguments,
    connect,
    duration,
    run_safely,
)

HELP = "alarm state and violation count per protected function of a deployed stack"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``status``."""
    add_target_arguments(parser, function_alone=True)
    parser.add_argument("--since", type=duration, default=duration("24h"), help="time window (default 24h)")
    parser.add_argument("--output", "-o", choices=("table", "json"), default="table", help="table (default) or JSON")
    add_aws_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Print the status table; return the exit code."""

    def body() -> int:
        from protect_lambda_tools.ops import status

        clients, functions = connect(args, function_alone=True)
        end = datetime.now(timezone.utc)
        start = end - args.since
        statuses = status.collect(clients.cloudwatch, functions, start, end)
        if args.output == "json":
            sys.stdout.write(status.format_json(statuses, start, end) + "\n")
        else:
            window = _window_label(args.since.total_seconds())
            sys.stdout.write(status.format_table(statuses, window) + "\n")
        return 0

    return run_safely(body)


def _window_label(seconds: float) -> str:
    """``172800`` -> ``2d``, ``86400`` -> ``24h``, ``5400`` -> ``90m``."""
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        return f"{int(seconds // 86400)}d"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
