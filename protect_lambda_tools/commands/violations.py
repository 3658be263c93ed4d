"""``protect-lambda violations``: recent Violation records of a stack's or a function's protected log groups.

Example:
    $ protect-lambda violations --stack ProtectLambdaExample --since 2h
    $ protect-lambda violations --function orders --follow --output json
"""

from __future__ import annotations

import argparse
import sys
import time

from protect_lambda_tools.ops.cli_support import (
    add_aws_arguments,
    add_target_arguments,
    connect,
    duration,
    run_safely,
)

HELP = "list recent Violation records of a deployed stack or function (CloudWatch Logs)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``violations``."""
    add_target_arguments(parser, function_alone=True)
    parser.add_argument("--since", type=duration, default=duration("1h"), help="time window (default 1h): 90s, 15m, 1h, 2d")
    parser.add_argument("--follow", "-f", action="store_true", help="keep polling for new records (Ctrl-C to stop)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls with --follow (default 5)")
    parser.add_argument("--output", "-o", choices=("table", "json"), default="table", help="table (default) or JSON lines")
    add_aws_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """List (or follow) the records; return the exit code."""

    def body() -> int:
        from protect_lambda_tools.ops import violations

        clients, functions = connect(args, function_alone=True, monitoring=False)
        sources = sorted({(f.log_group, f.violation_pattern) for f in functions})
        groups = {group for group, _ in sources}
        start_ms = int((time.time() - args.since.total_seconds()) * 1000)
        out = sys.stdout
        if args.output == "table":
            out.write(violations.table_header() + "\n")
        if args.follow:
            events = violations.follow(clients.logs, sources, start_ms, interval=args.interval)
        else:
            events = iter(violations.fetch(clients.logs, sources, start_ms))
        shown = 0
        for event in events:
            line = violations.format_row(event) if args.output == "table" else violations.format_json(event)
            out.write(line + "\n")
            out.flush()
            shown += 1
        if args.output == "table":
            sys.stderr.write(f"{shown} violation(s) in {len(groups)} log group(s)\n")
        return 0

    return run_safely(body)
