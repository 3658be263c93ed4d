"""Inspecting an invocation: the guard that inspects, and the records it leaves in the log.

:func:`build_guard` makes the :class:`~protect_lambda.Guard` of a configuration
once per cold start. A :class:`Reporter` prints what an inspection found: one
Violation record (:mod:`protect_lambda.violation`) per blocked or flagged
inspection, holding all its findings, and for batch sources one per blocked
record; and a failure of the guard itself as a GuardError record, saying
whether the fail policy blocks the invocation. :class:`Invocation` is what a
record names of the invocation.

Example:
    >>> from protect_lambda.config import GuardConfig
    >>> guard = build_guard(GuardConfig())
    >>> verdict = guard.inspect_event({"q": "<script>alert(1)</script>"})
    >>> Reporter(GuardConfig()).report(verdict, "generic", Invocation("fn", "req-1"))  # doctest: +ELLIPSIS
    {"event":"Violation","action":"blocked",...,"function_name":"fn","request_id":"req-1",...}
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final, Protocol, TextIO
else:
    Protocol = object  # the protocols below are plain classes at run time

from protect_lambda import contract, responses, violation
from protect_lambda.config import GuardConfig

if TYPE_CHECKING:
    from protect_lambda.violation import FindingLike

#: ``phase`` of a GuardError record when the guard could not be built at cold start
#: (otherwise the phase is the direction being inspected: inbound / outbound).
PHASE_CONFIG: Final = "config"

#: Lambda's variable telling how the execution environment was initialised.
INITIALIZATION_TYPE_ENV: Final = "AWS_LAMBDA_INITIALIZATION_TYPE"
#: Initialisations that happen ahead of traffic, where compiling every rule costs no request anything.
PREWARMED_INITIALIZATIONS: Final = ("provisioned-concurrency", "snap-start")


class VerdictLike(Protocol):
    """What the wrapper needs of ``guard.Verdict``."""

    @property
    def blocked(self) -> bool: ...
    @property
    def source(self) -> str: ...
    @property
    def findings(self) -> Sequence[FindingLike]: ...


class GuardLike(Protocol):
    """What the wrapper needs of ``protect_lambda.Guard``."""

    def inspect_event(self, event: Any) -> VerdictLike: ...
    def inspect_response(self, response: Any, event: Any = None) -> VerdictLike: ...


def build_guard(config: GuardConfig) -> GuardLike:
    """The :class:`~protect_lambda.Guard` for ``config``.

    Rules compile on their first triggered use; with provisioned concurrency or
    SnapStart (init ahead of traffic) they are all compiled here.

    Example:
        >>> guard = build_guard(GuardConfig(mode="monitor"))
        >>> guard.inspect_event({"q": "<script>alert(1)</script>"}).blocked
        False
    """
    from protect_lambda.guard import Guard

    built = Guard(
        mode=config.mode,
        custom_rules=list(config.custom_rules),
        rule_overrides=dict(config.rule_overrides),
        category_overrides=dict(config.category_overrides),
        sensitivity=config.sensitivity,
        exclusions=list(config.exclusions),
    )
    if os.environ.get(INITIALIZATION_TYPE_ENV) in PREWARMED_INITIALIZATIONS:
        # Provisioned concurrency and SnapStart run the init phase ahead of traffic:
        # compile every rule there instead of on first use during a request.
        built.engine.compile_all()
    guard: GuardLike = built
    return guard


class Invocation:
    """What a record names of one invocation: the function and the request id.

    Example:
        >>> Invocation.of_context(None).function_name in ("unknown", os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
        True
    """

    __slots__ = ("function_name", "request_id")

    def __init__(self, function_name: str, request_id: str) -> None:
        self.function_name = function_name
        self.request_id = request_id

    @classmethod
    def of_context(cls, context: object) -> Invocation:
        """The invocation of a Lambda context object (an odd or missing one gives empty names)."""

        def attribute(name: str) -> str:
            try:
                value = getattr(context, name, None)
            except Exception:  # an odd context object must not break the guard
                value = None
            return value if isinstance(value, str) else ""

        function_name = attribute("function_name") or os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        return cls(function_name or "unknown", attribute("aws_request_id"))


class _Allowed:
    """A finding reported as ``detected``: the invocation it was found in proceeds anyway."""

    __slots__ = ("_finding",)

    def __init__(self, finding: FindingLike) -> None:
        self._finding = finding

    def __getattr__(self, name: str) -> Any:
        return contract.ACTION_DETECTED if name == "action" else getattr(self._finding, name)


def source_of(event: object) -> str:
    """The event's source when the guard failed before naming it (``generic`` if even that fails)."""
    try:
        return responses.fallback_source(event)
    except Exception:
        return "generic"


class Reporter:
    """Prints an inspection's records to ``stream`` (default: the current ``sys.stdout``).

    A record that cannot be written (stdout gone) is dropped silently: there is
    nothing left to report to, and the invocation must not fail for it.
    """

    def __init__(self, config: GuardConfig, stream: TextIO | None = None) -> None:
        self.config = config
        self.stream = stream
        self._mode = config.mode

    def emit(self, record: Mapping[str, Any]) -> None:
        """Print one record."""
        try:
            violation.emit(record, self.stream)
        except Exception:  # stdout gone: nothing left to report to, never fail the invocation
            pass

    def report(self, verdict: VerdictLike, source: str, call: Invocation, event: Any = None, *,
               allowed: bool = False) -> None:
        """Print the records of one inspection: nothing when it found nothing; else one record
        holding all its findings, or, for a batch event (``event``), one per record with findings
        (and one for the findings tied to no record). ``allowed``: the invocation proceeds whatever
        was found (a custom resource's Delete): recorded as in monitor mode."""
        findings: Sequence[FindingLike] = verdict.findings
        if not findings:
            return
        if allowed:
            findings = [_Allowed(finding) for finding in findings]
            self._mode = contract.MODE_MONITOR
        else:
            self._mode = self.config.mode
        records = responses.records_of(event, source) if responses.is_batch(source) else None
        if records is None:
            self.emit(self._record(findings, source, call))
            return
        by_record: dict[int | None, list[FindingLike]] = {}
        for finding in findings:
            index = finding.record_index
            by_record.setdefault(index if index is not None and 0 <= index < len(records) else None,
                                 []).append(finding)
        for index, group in sorted(by_record.items(), key=lambda item: -1 if item[0] is None else item[0]):
            item_id = None if index is None else responses.item_label(source, records[index])
            self.emit(self._record(group, source, call, record_index=index, item_id=item_id))

    def _record(self, findings: Sequence[FindingLike], source: str, call: Invocation, *,
                record_index: int | None = None, item_id: str | None = None) -> dict[str, Any]:
        return violation.violation_record(
            findings,
            source=source,
            mode=self._mode,
            function_name=call.function_name,
            request_id=call.request_id,
            seal=self.config.seal,
            record_index=record_index,
            item_id=item_id,
        )

    def guard_failed(self, error: Exception, phase: str, source: str, call: Invocation, *,
                     may_block: bool = True) -> bool:
        """Print the GuardError record of ``error``; True when the fail policy blocks the invocation
        (never when ``may_block`` is false: a custom resource's Delete)."""
        block = (
            may_block
            and self.config.fail_policy == contract.FAIL_CLOSED
            and self.config.mode == contract.MODE_BLOCK
        )
        self.emit(
            violation.guard_error_record(
                error,
                phase=phase,
                outcome=violation.OUTCOME_BLOCKED if block else violation.OUTCOME_PROCEEDED,
                source=source,
                mode=self.config.mode,
                fail_policy=self.config.fail_policy,
                function_name=call.function_name,
                request_id=call.request_id,
            )
        )
        return block
