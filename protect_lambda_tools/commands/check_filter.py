"""``protect-lambda check-filter``: TestMetricFilter with each deployed filter on records of the local guard.

Example:
    $ protect-lambda check-filter --stack ProtectLambdaExample
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
from protect_lambda_tools.ops.errors import EXIT_CHECK_FAILED

HELP = "test each deployed metric filter with CloudWatch Logs against Violation records of the local guard"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``check-filter``."""
    add_target_arguments(parser, function_alone=True)
    add_aws_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """0 when every filter matches every Violation record and nothing else; 1 otherwise."""

    def body() -> int:
        from protect_lambda_tools.ops.filter_check import report, run_checks

        clients, functions = connect(args, function_alone=True)
        results = run_checks(clients, functions)
        report(results, sys.stdout)
        failed = [r for r in results if not r.ok]
        if failed:
            print(f"FAILED: {len(failed)} of {len(results)} filter check(s)")
            return EXIT_CHECK_FAILED
        print(f"OK: {len(results)} filter(s) match every Violation record and nothing else")
        return 0

    return run_safely(body)
