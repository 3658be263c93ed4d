"""The Lambda handler the construct redirects a protected function to.

``protect_lambda.wrapper.handler`` (:data:`~protect_lambda.contract.WRAPPER_HANDLER`)
loads the user's handler named in
:data:`~protect_lambda.contract.ORIGINAL_HANDLER_ENV` and the guard
configuration once per cold start (at import, i.e. in Lambda's init phase, which
fails like an unwrapped function's when the handler cannot be loaded; the rules
compile on their first triggered use, or all at init with provisioned
concurrency and SnapStart), then on each invocation:

1. inspects the event; one Violation record holds its findings (for a batch, one
   per blocked record), printed before the handler runs; a blocked
   event gets the source's block response (HTTP 403; batch item failures for
   the offending records, the handler getting only the clean ones; else a
   :class:`~protect_lambda.errors.GuardBlockedError`);
2. calls the handler (its exceptions pass through untouched);
3. inspects the result (one more record if it leaks); a leaking result is
   withheld (HTTP 500; for a batch, only its valid ``batchItemFailures``; else
   ``GuardBlockedError``); otherwise it is returned as is.

If the guard itself fails, one GuardError record is printed and the fail policy
decides: ``open`` (default) proceeds as if nothing matched, ``closed`` blocks as
for a violation. Monitor mode never blocks, whatever the fail policy.

The pieces: :mod:`protect_lambda.handler_loader` (loading the user's handler),
:mod:`protect_lambda.inspection` (the guard and its records),
:mod:`protect_lambda.blocking` (the answer to a block) and
:mod:`protect_lambda.protected_handler` (one invocation). This module is the
cold start and the entry point.

Example (what the Lambda runtime does):
    >>> import os, protect_lambda.wrapper as wrapper
    >>> wrapper.reset({"PROTECT_LAMBDA_ORIGINAL_HANDLER": "operator.is_not"})
    >>> wrapper.handler({"hello": "world"}, None)  # the handler's own result: event is not context
    True
    >>> try:  # doctest: +ELLIPSIS
    ...     wrapper.handler({"q": "<script>alert(1)</script>"}, None)
    ... except Exception as error:
    ...     print(type(error).__name__)
    {"event":"Violation","action":"blocked",...}
    ...
    GuardBlockedError
"""

from __future__ import annotations

import os
from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final, Optional

from protect_lambda import contract
from protect_lambda.config import GuardConfig, load_config, read_fail_policy, read_seal
from protect_lambda.handler_loader import load_handler
from protect_lambda.inspection import GuardLike, build_guard
from protect_lambda.protected_handler import ProtectedHandler
from protect_lambda.violation import track_stdout


# --- the cold start ------------------------------------------------------------


class _ColdStart:
    """What one execution environment builds once: configuration, guard, loaded handler."""

    __slots__ = ("config", "environ", "guard", "guard_error", "protected")

    def __init__(
        self,
        config: GuardConfig,
        guard: Optional[GuardLike],
        guard_error: Optional[Exception],
        environ: Mapping[str, str],
    ) -> None:
        self.config = config
        self.guard = guard
        self.guard_error = guard_error
        self.environ = environ
        self.protected: Optional[ProtectedHandler] = None


def _build(environ: Mapping[str, str]) -> _ColdStart:
    try:
        config = load_config(environ)
        return _ColdStart(config, build_guard(config), None, environ)
    except Exception as exc:  # the guard cannot run: the fail policy decides, per invocation
        mode = (environ.get(contract.MODE_ENV) or "").strip().lower()
        fallback = GuardConfig(
            mode=mode if mode in contract.MODES else contract.MODE_BLOCK,
            fail_policy=read_fail_policy(environ),
            seal=read_seal(environ),
        )
        return _ColdStart(fallback, None, exc, environ)


def _load_into(state: _ColdStart, environ: Mapping[str, str]) -> ProtectedHandler:
    original = load_handler(environ.get(contract.ORIGINAL_HANDLER_ENV, ""))
    state.protected = ProtectedHandler(
        original, state.guard, state.config, guard_error=state.guard_error
    )
    return state.protected


#: Set in every Lambda execution environment: the address of the Runtime API.
RUNTIME_API_ENV: Final = "AWS_LAMBDA_RUNTIME_API"


def _cold_start(environ: Mapping[str, str]) -> _ColdStart:
    """Configuration, guard and the user's handler, built in the init phase.

    The user's handler is loaded here, like an unwrapped function's: if it cannot be
    loaded the import of this module fails, so the runtime client posts an init error
    naming the handler and its module (SnapStart publishing and provisioned concurrency
    fail too, instead of every invocation later). Outside Lambda (no Runtime API
    address) a missing ``PROTECT_LAMBDA_ORIGINAL_HANDLER`` is only reported by the
    first invocation, so that tools and tests can import this module.

    The seal is read into the configuration and taken out of ``os.environ`` before the
    user's module loads, so a handler that logs its environment does not print it.
    """
    state = _build(environ)
    if environ is os.environ:
        os.environ.pop(contract.SEAL_ENV, None)
        track_stdout()
    if environ.get(contract.ORIGINAL_HANDLER_ENV) or environ.get(RUNTIME_API_ENV):
        _load_into(state, environ)
    return state


_state: _ColdStart = _cold_start(os.environ)


def reset(environ: Optional[Mapping[str, str]] = None) -> None:
    """Forget the cold-start state and build it again from ``environ`` (default ``os.environ``),
    as a new Lambda execution environment would.

    For tests and local invocation tools; Lambda itself never needs it.

    Example:
        >>> reset({"PROTECT_LAMBDA_MODE": "monitor"}); current_config().mode
        'monitor'
    """
    global _state
    _state = _cold_start(os.environ if environ is None else environ)


def current_config() -> GuardConfig:
    """The configuration of the current cold start.

    Example:
        >>> reset({}); current_config().fail_policy
        'open'
    """
    return _state.config


def handler(event: Any, context: Any) -> Any:
    """The Lambda entry point of a protected function (``protect_lambda.wrapper.handler``).

    Raises whatever the original handler raises; outside Lambda, :class:`HandlerLoadError`
    when no original handler was named (in Lambda that fails the init phase instead).
    """
    state = _state
    protected = state.protected or _load_into(state, state.environ)
    return protected(event, context)
