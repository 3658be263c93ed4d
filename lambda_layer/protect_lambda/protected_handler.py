"""A user's handler behind the guard: one invocation, from the event to the answer.

:class:`ProtectedHandler` inspects the event (:mod:`protect_lambda.inspection`),
answers a blocked one itself (:mod:`protect_lambda.blocking`), calls the
handler with the event (or a batch's clean records), inspects what it returned
and withholds a leak. The handler's own exceptions and results pass through
untouched. When the guard itself fails, a GuardError record is printed and
the fail policy decides: ``open`` proceeds as if nothing matched, ``closed``
blocks as for a violation (never in monitor mode).

Example:
    >>> from protect_lambda.config import GuardConfig
    >>> from protect_lambda.inspection import build_guard
    >>> protected = ProtectedHandler(lambda event, context: {"ok": True},
    ...                              build_guard(GuardConfig()), GuardConfig())
    >>> protected({"q": "hello"}, None)
    {'ok': True}
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Optional, TextIO

    from protect_lambda.handler_loader import Handler

from protect_lambda import blocking, contract
from protect_lambda.config import GuardConfig
from protect_lambda.errors import GuardBlockedError
from protect_lambda.inspection import PHASE_CONFIG, GuardLike, Invocation, Reporter, source_of


class ProtectedHandler:
    """A user handler behind the guard; the object :func:`protect_lambda.wrapper.handler` calls.

    ``guard`` is None when the guard could not be built (``guard_error`` says why);
    the fail policy then applies to every invocation. ``stream`` is where records
    go (default: the current ``sys.stdout``).
    """

    def __init__(
        self,
        handler: Handler,
        guard: Optional[GuardLike],
        config: GuardConfig,
        *,
        guard_error: Optional[Exception] = None,
        stream: Optional[TextIO] = None,
    ) -> None:
        if guard is None and guard_error is None:
            raise ValueError(
                "ProtectedHandler needs a guard or the error that prevented building it"
            )
        self.handler = handler
        self.guard = guard
        self.config = config
        self.guard_error = guard_error
        self.reporter = Reporter(config, stream)

    def __call__(self, event: Any, context: Any) -> Any:
        call = Invocation.of_context(context)
        source = "generic"
        plan: Optional[blocking.InboundPlan] = None
        failure: Optional[Exception] = self.guard_error
        if self.guard is not None:
            try:
                verdict = self.guard.inspect_event(event)
                source = verdict.source
                self.reporter.report(verdict, source, call, event)
                plan = blocking.plan_inbound(verdict, source, event, call.request_id)
            except Exception as exc:
                failure, plan = exc, None
        if failure is not None:
            source = source_of(event)
            phase = PHASE_CONFIG if failure is self.guard_error else contract.DIRECTION_INBOUND
            if self.reporter.guard_failed(failure, phase, source, call):
                return blocking.refuse(
                    failure, contract.DIRECTION_INBOUND, source, event, call.request_id
                )
        if plan is None:  # fail open: the event goes to the handler untouched
            plan = blocking.InboundPlan(handler_event=event)
        if plan.blocked_rules is not None:
            plan.raise_blocked(source)
        if plan.respond:
            return plan.response

        result = self.handler(plan.handler_event, context)

        if self.guard is None:  # the guard could not be built; its failure was reported above
            return result
        try:
            out = self.guard.inspect_response(result, event=plan.handler_event)
            self.reporter.report(out, source, call)
            if out.blocked:
                return blocking.withhold(out, source, event, call.request_id, result, plan.held)
            return plan.with_held_failures(result, source)
        except GuardBlockedError:
            raise
        except Exception as exc:
            out_failure = exc
        if self.reporter.guard_failed(out_failure, contract.DIRECTION_OUTBOUND, source, call):
            return blocking.refuse(
                out_failure, contract.DIRECTION_OUTBOUND, source, event, call.request_id
            )
        return plan.with_held_failures(result, source)  # still report the records blocked inbound
