"""Errors of the ops commands: one line for the user and a distinct exit code per kind.

Exit codes (also in docs/operations.md):

====  =========================================================
0     success
1     the check ran and failed (a filter did not match, an alarm action was not confirmed)
2     bad command line (argparse)
3     no AWS credentials or region, or expired / invalid credentials
4     not found: unknown stack or function, nothing protected, no alarm or metric filter
5     access denied
6     throttled by AWS even after retries
7     any other AWS error (service error, endpoint unreachable)
70    unexpected internal error (a bug: please report it)
130   interrupted (Ctrl-C)
====  =========================================================

Example:
    >>> OpsError("stack 'x' does not exist", EXIT_NOT_FOUND).exit_code
    4
"""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
EXIT_CHECK_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_CREDENTIALS: Final = 3
EXIT_NOT_FOUND: Final = 4
EXIT_ACCESS_DENIED: Final = 5
EXIT_THROTTLED: Final = 6
EXIT_AWS: Final = 7
EXIT_INTERNAL: Final = 70
EXIT_INTERRUPTED: Final = 130

_THROTTLING_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "LimitExceededException",
    }
)
_ACCESS_DENIED_CODES: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
_CREDENTIAL_CODES: Final = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "IncompleteSignature",
    }
)
_NOT_FOUND_CODES: Final = frozenset(
    {"ResourceNotFoundException", "ResourceNotFound", "NotFoundException", "NotFound"}
)


class OpsError(Exception):
    """An error to show the user as one line, with the process exit code to return.

    Example:
        >>> str(OpsError("no credentials", EXIT_CREDENTIALS))
        'no credentials'
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _one_line(text: str) -> str:
    return " ".join(text.split())


def translate_error(error: BaseException) -> OpsError | None:
    """The :class:`OpsError` for a boto3 / botocore error, or None if ``error`` is not one.

    Example:
        >>> from botocore.exceptions import NoRegionError
        >>> translate_error(NoRegionError()).exit_code
        3
    """
    if isinstance(error, OpsError):
        return error
    try:
        from botocore import exceptions as bx
    except ImportError:
        if isinstance(error, ImportError):
            return OpsError("boto3 is not installed: pip install boto3", EXIT_AWS)
        return None
    if isinstance(error, bx.NoRegionError):
        return OpsError(
            "no AWS region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION "
            "or a region in your AWS profile",
            EXIT_CREDENTIALS,
        )
    if isinstance(error, bx.ProfileNotFound):
        return OpsError(f"AWS profile not found: {_one_line(str(error))}", EXIT_CREDENTIALS)
    if isinstance(error, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return OpsError(
            "no AWS credentials found: configure them (aws configure, AWS_PROFILE, "
            "environment variables or an instance role) and retry",
            EXIT_CREDENTIALS,
        )
    if isinstance(error, (bx.CredentialRetrievalError, bx.TokenRetrievalError)):
        return OpsError(f"could not get AWS credentials: {_one_line(str(error))}", EXIT_CREDENTIALS)
    if isinstance(error, bx.ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        message = _one_line(str(details.get("Message", "")))
        operation = error.operation_name
        if code in _THROTTLING_CODES:
            return OpsError(
                f"AWS throttled {operation} ({code}) even after retries: wait a moment and retry",
                EXIT_THROTTLED,
            )
        if code in _ACCESS_DENIED_CODES:
            return OpsError(f"access denied to {operation}: {message}", EXIT_ACCESS_DENIED)
        if code in _CREDENTIAL_CODES:
            return OpsError(
                f"AWS rejected the credentials ({code}): {message}", EXIT_CREDENTIALS
            )
        if code in _NOT_FOUND_CODES or (code == "ValidationError" and "does not exist" in message):
            return OpsError(f"not found ({operation}): {message}", EXIT_NOT_FOUND)
        return OpsError(f"AWS error in {operation} ({code}): {message}", EXIT_AWS)
    if isinstance(error, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return OpsError(f"cannot reach AWS: {_one_line(str(error))}", EXIT_AWS)
    if isinstance(error, bx.BotoCoreError):
        return OpsError(f"AWS SDK error: {_one_line(str(error))}", EXIT_AWS)
    return None
