"""``protect-lambda test-alert``: set the violations alarms to ALARM and back, to prove notifications go out.

Example:
    $ protect-lambda test-alert --stack ProtectLambdaExample --function orders
"""

from __future__ import annotations

import argparse
import sys

from protect_lambda_tools.ops.cli_support import (
    add_aws_arguments,
    add_target_arguments,
    connect,
    run_safely,
)
from protect_lambda_tools.ops.errors import EXIT_CHECK_FAILED, EXIT_NOT_FOUND, OpsError

HELP = "drive the violations alarms to ALARM (then back to OK) to test the notification path"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``test-alert``."""
    add_target_arguments(parser, function_alone=False)
    parser.add_argument(
        "--wait", type=float, default=60.0,
        help="seconds to wait for CloudWatch to record the alarm actions (default 60; 0: do not wait)",
    )
    parser.add_argument("--no-reset", action="store_true", help="leave the alarms in ALARM (default: back to OK)")
    add_aws_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Test the alarms; 0 when every alarm action was executed (or not waited for), 1 otherwise."""

    def body() -> int:
        from protect_lambda_tools.ops.alerts import run_test

        clients, functions = connect(args, function_alone=False)
        if not any(f.alarms for f in functions):
            names = ", ".join(f.name for f in functions)
            raise OpsError(f"no alarm on the violations metric of: {names}", EXIT_NOT_FOUND)
        tests = run_test(clients, functions, sys.stdout, wait=args.wait, reset=not args.no_reset)
        if args.wait <= 0:
            print(f"{len(tests)} alarm(s) set to ALARM; check that the subscribers were notified")
            return 0
        failed = [t.alarm.name for t in tests if not t.confirmed]
        if failed:
            print(f"NOT CONFIRMED: {', '.join(failed)}")
            return EXIT_CHECK_FAILED
        print(f"OK: CloudWatch executed every action of {len(tests)} alarm(s); "
              "the subscribers listed above should have received the message")
        return 0

    return run_safely(body)
