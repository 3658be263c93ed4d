"""Typed errors raised by the guard's Lambda side (wrapper and configuration).

Lambda reports a raised exception's class name as ``errorType``, so each failure
mode has its own class and a message that says what to fix.

Example:
    >>> err = GuardBlockedError(["sqli-001"], direction="inbound", source="s3")
    >>> str(err)
    'protect-lambda blocked the invocation (inbound, source s3): rule sqli-001'
    >>> err.rule_ids
    ('sqli-001',)
"""

from __future__ import annotations

from collections.abc import Iterable


class HandlerLoadError(ImportError):
    """The original handler named by the redirect environment variable cannot be loaded.

    Example:
        >>> raise HandlerLoadError("PROTECT_LAMBDA_ORIGINAL_HANDLER is not set")
        Traceback (most recent call last):
        ...
        protect_lambda.errors.HandlerLoadError: PROTECT_LAMBDA_ORIGINAL_HANDLER is not set
    """


class GuardConfigError(ValueError):
    """The guard configuration (environment or config file) is invalid; names the field.

    Example:
        >>> str(GuardConfigError("mode: must be one of block, monitor (got 'blok')"))
        "mode: must be one of block, monitor (got 'blok')"
    """


class GuardBlockedError(Exception):
    """The guard blocked an invocation of a source that has no block response of its own.

    Raised for sources other than HTTP and record batches (SNS, EventBridge, S3,
    direct invocations, ...): the invocation fails, so the event goes to the
    function's retry / on-failure handling. The message names the rule ids and
    never the matched text.

    Example:
        >>> str(GuardBlockedError(["leak_card"], direction="outbound", source="generic"))
        'protect-lambda withheld the response (outbound, source generic): rule leak_card'
    """

    def __init__(self, rule_ids: Iterable[str], *, direction: str, source: str) -> None:
        self.rule_ids: tuple[str, ...] = tuple(dict.fromkeys(rule_ids))
        self.direction = direction
        self.source = source
        what = "withheld the response" if direction == "outbound" else "blocked the invocation"
        label = "rule" if len(self.rule_ids) == 1 else "rules"
        super().__init__(
            f"protect-lambda {what} ({direction}, source {source}): "
            f"{label} {', '.join(self.rule_ids)}"
        )

    def __reduce__(self) -> tuple[object, ...]:  # keep picklable despite keyword-only args
        return (_rebuild_blocked, (self.rule_ids, self.direction, self.source))


class GuardFailedClosedError(GuardBlockedError):
    """The guard itself failed and the fail policy is ``closed``: the invocation is refused.

    Example:
        >>> str(GuardFailedClosedError("RecursionError", direction="inbound", source="generic"))
        'protect-lambda failed closed (inbound, source generic): the guard raised RecursionError'
    """

    def __init__(self, error_type: str, *, direction: str, source: str) -> None:
        self.error_type = error_type
        self.rule_ids = ()
        self.direction = direction
        self.source = source
        Exception.__init__(
            self,
            f"protect-lambda failed closed ({direction}, source {source}): "
            f"the guard raised {error_type}",
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_failed_closed, (self.error_type, self.direction, self.source))


def _rebuild_blocked(rule_ids: tuple[str, ...], direction: str, source: str) -> GuardBlockedError:
    return GuardBlockedError(rule_ids, direction=direction, source=source)


def _rebuild_failed_closed(error_type: str, direction: str, source: str) -> GuardFailedClosedError:
    return GuardFailedClosedError(error_type, direction=direction, source=source)
