"""A user's handler behind the guard: one invocation, from the event to the answer.

:class:`ProtectedHandler` inspects the event (:mod:`protect_lambda.inspection`),
answers a blocked one itself (:mod:`protect_lambda.blocking`), calls the
handler with the event (or a batch's clean records), inspects what it returned
and withholds a leak. The handler's own exceptions and results pass through
untouched. CloudFormation custom-resource requests are handed on uninspected
unless the configuration says ``custom_resources: inspect``
(:mod:`protect_lambda.custom_resources` says how a blocked one is answered).
When the guard itself fails, a GuardError record is printed and the fail
policy decides: ``open`` proceeds as if nothing matched, ``closed``
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
    from typing import Any, TextIO

    from protect_lambda.handler_loader import Handler

from protect_lambda import blocking, contract, custom_resources
from protect_lambda.adapters import is_custom_resource_request
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
        guard: GuardLike | None,
        config: GuardConfig,
        *,
        guard_error: Exception | None = None,
        stream: TextIO | None = None,
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
        custom_resource = is_custom_resource_request(event)
        if custom_resource:
            if self.config.custom_resources != contract.CUSTOM_RESOURCES_INSPECT:
                return self.handler(event, context)
            if custom_resources.never_created(event) and custom_resources.answers_directly(event):
                # the rollback of a Create the guard failed: there is nothing to delete
                custom_resources.answer(event, success=True, reason="never created: protect-lambda "
                                        "blocked its Create")
                return None
        call = Invocation.of_context(context)
        source = "generic"
        plan: blocking.InboundPlan | None = None
        failure: Exception | None = self.guard_error
        # a stack must always be able to roll back and be deleted: a Delete is recorded, never blocked
        never_block = custom_resource and custom_resources.is_delete(event)
        if self.guard is not None:
            try:
                verdict = self.guard.inspect_event(event)
                source = verdict.source
                self.reporter.report(verdict, source, call, event, allowed=never_block)
                if not never_block:
                    plan = blocking.plan_inbound(verdict, source, event, call.request_id,
                                                 self.config.authorizer_response)
            except Exception as exc:
                failure, plan = exc, None
        if failure is not None:
            source = source_of(event)
            phase = PHASE_CONFIG if failure is self.guard_error else contract.DIRECTION_INBOUND
            if self.reporter.guard_failed(failure, phase, source, call, may_block=not never_block):
                if custom_resource:
                    self._fail_custom_resource(event, [], call, source)
                    return None
                return blocking.refuse(
                    failure, contract.DIRECTION_INBOUND, source, event, call.request_id,
                    self.config.authorizer_response,
                )
        if plan is None:  # fail open: the event goes to the handler untouched
            plan = blocking.InboundPlan(handler_event=event)
        if plan.blocked_rules is not None:
            if custom_resource:
                self._fail_custom_resource(event, plan.blocked_rules, call, source)
                return None
            plan.raise_blocked(source)
        if plan.respond:
            return plan.response

        result = self.handler(plan.handler_event, context)

        if self.guard is None:  # the guard could not be built; its failure was reported above
            return result
        try:
            out = self.guard.inspect_response(result, event=plan.handler_event)
            self.reporter.report(out, source, call, allowed=never_block)
            if out.blocked and not never_block:
                return blocking.withhold(out, source, event, call.request_id, result, plan.held,
                                         self.config.authorizer_response)
            return plan.with_held_failures(result, source)
        except GuardBlockedError:
            raise
        except Exception as exc:
            out_failure = exc
        if self.reporter.guard_failed(out_failure, contract.DIRECTION_OUTBOUND, source, call,
                                      may_block=not never_block):
            return blocking.refuse(
                out_failure, contract.DIRECTION_OUTBOUND, source, event, call.request_id,
                self.config.authorizer_response,
            )
        return plan.with_held_failures(result, source)  # still report the records blocked inbound

    def _fail_custom_resource(self, event: Any, rule_ids: list[str], call: Invocation, source: str) -> None:
        """Answer a blocked custom-resource request FAILED: at its response URL when CloudFormation
        called directly, else by raising (CDK's provider framework answers for the handler)."""
        error = GuardBlockedError(rule_ids or ("guard-failure",), direction=contract.DIRECTION_INBOUND,
                                  source=source)
        if not custom_resources.answers_directly(event):
            raise error
        try:
            custom_resources.answer(event, success=False,
                                    reason=custom_resources.blocked_reason(list(error.rule_ids),
                                                                           call.request_id))
        except OSError:
            raise error from None  # not delivered: fail the invocation (CloudFormation times out)
