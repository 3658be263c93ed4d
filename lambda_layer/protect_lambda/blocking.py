"""Answering a blocked inspection: what the protected function returns (or raises) instead.

* inbound (:func:`plan_inbound`): an HTTP request gets the source's 403, a
  Lambda authorizer's request a denial; a batch hands only its clean records to
  the handler and reports the blocked ones as batch item failures (all of them
  blocked: the handler is not called), except an ordered batch (a stream, a
  Kafka partition) that starts with a blocked record, which fails the invocation
  so that Lambda can bisect it; any other source raises
  :class:`~protect_lambda.errors.GuardBlockedError`;
* outbound (:func:`withhold`): a leaking HTTP response becomes a generic 500, an
  authorizer's answer a denial, a batch result only its valid ``batchItemFailures``;
  else ``GuardBlockedError``;
* a failure of the guard under the ``closed`` fail policy (:func:`refuse`): as a
  block, with :class:`~protect_lambda.errors.GuardFailedClosedError`.

The shapes themselves (403, 500, batch responses) are in :mod:`protect_lambda.responses`.

Example:
    >>> from types import SimpleNamespace as NS
    >>> f = NS(rule_id="sqli-001", action="blocked", record_index=None)
    >>> plan = plan_inbound(NS(blocked=True, findings=[f]), "apigw-http", {}, "req-1")
    >>> plan.respond, plan.response["statusCode"]
    (True, 403)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from protect_lambda.inspection import VerdictLike

from protect_lambda import contract, responses
from protect_lambda.errors import GuardBlockedError, GuardFailedClosedError
from protect_lambda.violation import FindingLike


class InboundPlan:
    """The inbound decision: hand ``handler_event`` on, answer ``response``, or raise.

    ``records`` and ``held`` are set for a batch of which some records were held back.
    """

    __slots__ = ("blocked_rules", "handler_event", "held", "records", "respond", "response")

    def __init__(
        self,
        handler_event: Any = None,
        *,
        respond: bool = False,
        response: Any = None,
        blocked_rules: list[str] | None = None,
        records: list[Any] | None = None,
        held: set[int] | None = None,
    ) -> None:
        self.handler_event = handler_event
        self.respond = respond
        self.response = response
        self.blocked_rules = blocked_rules
        self.records: list[Any] = records if records is not None else []
        self.held: set[int] = held if held is not None else set()

    def raise_blocked(self, source: str) -> NoReturn:
        """Raise the :class:`GuardBlockedError` of a blocked event that has no block response."""
        raise GuardBlockedError(
            self.blocked_rules or (), direction=contract.DIRECTION_INBOUND, source=source
        )

    def with_held_failures(self, result: Any, source: str) -> Any:
        """The handler's ``result`` with the records held back added to its batch item failures."""
        if not self.held:
            return result
        return responses.merge_batch_failures(
            result, responses.batch_failures(source, self.records, self.held)
        )


def blocking_rule_ids(findings: Sequence[FindingLike]) -> list[str]:
    """The ids of the blocking findings (of all findings when none blocks)."""
    blocking = [f.rule_id for f in findings if f.action == contract.ACTION_BLOCKED]
    return blocking or [f.rule_id for f in findings]


def plan_inbound(verdict: VerdictLike, source: str, event: Any, request_id: str,
                 authorizer_response: str = contract.AUTHORIZER_AUTO) -> InboundPlan:
    """What to do with an inspected event: hand it (or its clean records) on, answer, raise."""
    if not verdict.blocked:
        return InboundPlan(handler_event=event)
    if responses.is_http(source):
        return InboundPlan(respond=True, response=responses.forbidden(source, event, request_id))
    if responses.is_authorizer(source):
        return InboundPlan(respond=True,
                           response=responses.authorizer_denial(source, event, authorizer_response))
    records = responses.records_of(event, source) if responses.is_batch(source) else None
    if records is None:
        return InboundPlan(blocked_rules=blocking_rule_ids(verdict.findings))
    held = held_back(verdict, source, records)
    if responses.first_of_an_ordered_run(source, records, held):
        # Lambda retries an ordered batch (a stream, a Kafka partition) from its lowest reported
        # record, and bisects it (when the mapping says so) only on a function error: reporting the
        # first record would make no progress, and the clean records behind it would be discarded
        # with it once the retries run out. Failing the invocation lets Lambda split the batch and
        # isolate the blocked record.
        return InboundPlan(blocked_rules=blocking_rule_ids(verdict.findings))
    if len(held) == len(records):
        failures = responses.batch_failures(source, records)
        return InboundPlan(respond=True, response=responses.batch_response(failures))
    clean = responses.without_records(event, source, held)
    return InboundPlan(handler_event=clean, records=records, held=held)


def held_back(verdict: VerdictLike, source: str, records: list[Any]) -> set[int]:
    """Indexes of the batch records not handed to the handler (all when a block is not tied to one)."""
    blocking = [f for f in verdict.findings if f.action == contract.ACTION_BLOCKED]
    if not blocking or any(
        f.record_index is None or not 0 <= f.record_index < len(records) for f in blocking
    ):
        return set(range(len(records)))  # not tied to one record: the whole batch
    return responses.held_back(
        source, records, {f.record_index for f in blocking if f.record_index is not None}
    )


def sanitised_batch_failures(
    source: str, records: Sequence[Any], result: Any, held: set[int]
) -> list[dict[str, Any]]:
    """The failures of a batch whose result is withheld: the handler's own
    ``batchItemFailures`` entries that name a record of the batch (as new entries
    holding the event's identifier, in the handler's order; anything else it
    returned is dropped), then the records ``held`` back inbound, without duplicates.

    Example:
        >>> records = [{"messageId": "a"}, {"messageId": "b"}, {"messageId": "c"}]
        >>> own = {"batchItemFailures": [{"itemIdentifier": "c"}, {"itemIdentifier": "4111"}],
        ...        "note": "leak"}
        >>> sanitised_batch_failures("sqs", records, own, {0})
        [{'itemIdentifier': 'c'}, {'itemIdentifier': 'a'}]
    """
    known = {
        responses.identifier_key(responses.item_identifier(source, record)): index
        for index, record in enumerate(records)
    }
    chosen: list[int] = []
    own = result.get("batchItemFailures") if isinstance(result, Mapping) else None
    if isinstance(own, (list, tuple)):
        for entry in own:
            identifier = entry.get("itemIdentifier") if isinstance(entry, Mapping) else None
            try:
                index = known.get(responses.identifier_key(identifier))
            except TypeError:  # an unhashable part (a list for an offset): names no record
                index = None
            if index is not None:
                chosen.append(index)
    failures: list[dict[str, Any]] = []
    seen: set[object] = set()
    for index in [*chosen, *sorted(held)]:
        if 0 <= index < len(records):
            identifier = responses.item_identifier(source, records[index])
            key = responses.identifier_key(identifier)
            if key not in seen:
                seen.add(key)
                failures.append({"itemIdentifier": identifier})
    return failures


def withhold(
    out: VerdictLike,
    source: str,
    event: Any,
    request_id: str,
    result: Any = None,
    held: set[int] | None = None,
    authorizer_response: str = contract.AUTHORIZER_AUTO,
) -> Any:
    """The answer instead of a leaking result.

    HTTP sources get the generic 500. A batch's result only goes to the Lambda
    service, which reads nothing but ``batchItemFailures``: the answer is
    ``{"batchItemFailures": [...]}`` holding only the handler's own entries that
    name a record of ``event`` and the records ``held`` back inbound, never the
    rest of the result; clean records the handler processed are not retried.
    An authorizer's answer becomes a denial (``authorizer_response`` says which form).
    Any other source raises :class:`GuardBlockedError`.
    """
    if responses.is_http(source):
        return responses.withheld(source, event, request_id)
    if responses.is_authorizer(source):
        return responses.authorizer_denial(source, event, authorizer_response)
    records = responses.records_of(event, source) if responses.is_batch(source) else None
    if records is not None:
        try:
            failures = sanitised_batch_failures(source, records, result, held or set())
        except Exception:  # never let the leaking result through: fail every record
            failures = responses.batch_failures(source, records)
        return responses.batch_response(failures)
    raise GuardBlockedError(
        blocking_rule_ids(out.findings), direction=contract.DIRECTION_OUTBOUND, source=source
    )


def refuse(error: Exception, direction: str, source: str, event: Any, request_id: str,
           authorizer_response: str = contract.AUTHORIZER_AUTO) -> Any:
    """The block of a fail-closed guard failure."""
    if responses.is_http(source):
        if direction == contract.DIRECTION_INBOUND:
            return responses.forbidden(source, event, request_id)
        return responses.withheld(source, event, request_id)
    if responses.is_authorizer(source):
        return responses.authorizer_denial(source, event, authorizer_response)
    records = responses.records_of(event, source) if responses.is_batch(source) else None
    if records is not None:
        return responses.batch_response(responses.batch_failures(source, records))
    raise GuardFailedClosedError(type(error).__name__, direction=direction, source=source)
