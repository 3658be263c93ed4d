"""What the ops commands share: AWS and target arguments, and error handling without tracebacks.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_aws_arguments(parser)
    >>> parser.parse_args(["--region", "eu-west-1"]).region
    'eu-west-1'
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TextIO

from protect_lambda_tools.ops.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    OpsError,
    translate_error,
)
from protect_lambda_tools.ops.window import parse_duration

if TYPE_CHECKING:
    from protect_lambda_tools.ops.discovery import ProtectedFunction
    from protect_lambda_tools.ops.session import Clients


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    """``--region`` and ``--profile`` (default: the standard AWS resolution)."""
    group = parser.add_argument_group("AWS")
    group.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
    group.add_argument("--profile", help="AWS named profile (default: AWS_PROFILE or 'default')")


def add_target_arguments(parser: argparse.ArgumentParser, *, function_alone: bool) -> None:
    """``--stack`` and ``--function``: both together narrow the stack to one function.

    With ``function_alone``, ``--function`` may be given without ``--stack``.
    """
    parser.add_argument("--stack", help="CloudFormation stack whose protected functions to use")
    parser.add_argument(
        "--function",
        help="one protected function (its name)"
        + (" instead of, or within, the stack" if function_alone else " within the stack"),
    )


def check_target(stack: str | None, function: str | None, *, function_alone: bool) -> None:
    """Raise a usage :class:`OpsError` (exit code 2) when the target arguments are incomplete.

    Example:
        >>> check_target(None, "orders", function_alone=True)
        >>> check_target(None, "orders", function_alone=False)
        Traceback (most recent call last):
        ...
        protect_lambda_tools.ops.errors.OpsError: --stack NAME is required
    """
    if stack is None and (function is None or not function_alone):
        raise OpsError(
            "--stack NAME is required" + (" (or --function NAME)" if function_alone else ""),
            EXIT_USAGE,
        )


def connect(args: argparse.Namespace, *, function_alone: bool,
            monitoring: bool = True) -> tuple[Clients, list[ProtectedFunction]]:
    """Check ``--stack``/``--function``, make the AWS clients and find the protected functions they name.

    What every ops command starts with; boto3 is imported only now (``--help`` stays fast).
    """
    from protect_lambda_tools.ops.discovery import discover
    from protect_lambda_tools.ops.session import make_clients

    check_target(args.stack, args.function, function_alone=function_alone)
    clients = make_clients(region=args.region, profile=args.profile)
    return clients, discover(clients, stack=args.stack, function=args.function, monitoring=monitoring)


def duration(text: str) -> timedelta:
    """argparse ``type`` for ``--since``."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run_safely(body: Callable[[], int], err: TextIO | None = None) -> int:
    """Run ``body``; turn AWS/credential errors into one line on stderr and an exit code.

    Example:
        >>> import io
        >>> buf = io.StringIO()
        >>> def boom() -> int:
        ...     raise OpsError("stack 'x' not found", 4)
        >>> run_safely(boom, buf), buf.getvalue()
        (4, "protect-lambda: error: stack 'x' not found\\n")
    """
    stream = sys.stderr if err is None else err
    try:
        return body()
    except KeyboardInterrupt:
        stream.write("protect-lambda: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - one line, never a traceback
        translated = translate_error(error)
        if translated is None:
            stream.write(
                f"protect-lambda: internal error: {type(error).__name__}: "
                f"{' '.join(str(error).split())} (please report it)\n"
            )
            return EXIT_INTERNAL
        stream.write(f"protect-lambda: error: {translated}\n")
        return translated.exit_code
