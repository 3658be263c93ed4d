"""The Lambda handler the construct redirects a protected function to.

``protect_lambda.wrapper.handler`` (:data:`~protect_lambda.contract.WRAPPER_HANDLER`)
loads the user's handler named in
:data:`~protect_lambda.contract.ORIGINAL_HANDLER_ENV` and the guard
configuration once per cold start (at import, i.e. in Lambda's init phase; the
rules compile on their first triggered use, or all at init with provisioned
concurrency and SnapStart), then on each invocation:

1. inspects the event; a Violation record is printed per finding; a blocked
   event gets the source's block response (HTTP 403; batch item failures for
   the offending records, the handler getting only the clean ones; else a
   :class:`~protect_lambda.errors.GuardBlockedError`);
2. calls the handler (its exceptions pass through untouched);
3. inspects the result; a leaking result is withheld (HTTP 500; for a batch,
   only its valid ``batchItemFailures``; else ``GuardBlockedError``); otherwise
   it is returned as is.

If the guard itself fails, one GuardError record is printed and the fail policy
decides: ``open`` (default) proceeds as if nothing matched, ``closed`` blocks as
for a violation. Monitor mode never blocks, whatever the fail policy.

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

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final, Optional, Protocol, TextIO
else:
    Protocol = object  # the protocols below are plain classes at run time

from protect_lambda import contract, responses, violation
from protect_lambda.config import GuardConfig, load_config, read_fail_policy
from protect_lambda.errors import GuardBlockedError, GuardFailedClosedError, HandlerLoadError
from protect_lambda.violation import FindingLike

#: At most this many Violation records per invocation and direction (distinct
#: rule / location / record); a flood of findings must not become a flood of logs.
MAX_RECORDS_PER_DIRECTION: Final = 20

#: ``phase`` of a GuardError record when the guard could not be built at cold start
#: (otherwise the phase is the direction being inspected: inbound / outbound).
PHASE_CONFIG: Final = "config"

Handler = Callable[["Any", "Any"], "Any"]


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


# --- loading the user's handler -------------------------------------------------


def load_handler(name: str) -> Handler:
    """Import the handler named ``module.function`` (or ``pkg/sub/module.function``).

    Resolution follows the Lambda Python runtime: split at the last dot, ``/`` in
    the module part becomes ``.``. Raises :class:`HandlerLoadError` naming the
    environment variable and the handler string when it cannot be loaded.

    Example:
        >>> load_handler("json.dumps")([1])
        '[1]'
        >>> load_handler("json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        protect_lambda.errors.HandlerLoadError: ...='json' is not of the form module.function
    """
    var = contract.ORIGINAL_HANDLER_ENV
    spec = name.strip()
    if not spec:
        raise HandlerLoadError(
            f"{var} is not set: it must name the original handler (module.function); "
            f"the construct sets it when it redirects the handler to {contract.WRAPPER_HANDLER}"
        )
    module_name, _, function_name = spec.rpartition(".")
    module_name = module_name.replace("/", ".").strip(".")
    if not module_name or not function_name:
        raise HandlerLoadError(f"{var}={name!r} is not of the form module.function")
    if (
        spec == contract.WRAPPER_HANDLER
        or f"{module_name}.{function_name}" == contract.WRAPPER_HANDLER
    ):
        raise HandlerLoadError(
            f"{var}={name!r} names the guard wrapper itself, not the original handler"
        )
    try:
        module = importlib.import_module(module_name)
    except (ImportError, SyntaxError) as exc:
        raise HandlerLoadError(
            f"{var}={name!r}: cannot import module {module_name!r} ({type(exc).__name__}: {exc})"
        ) from exc
    target = getattr(module, function_name, None)
    if target is None:
        raise HandlerLoadError(
            f"{var}={name!r}: module {module_name!r} has no attribute {function_name!r}"
        )
    if not callable(target):
        raise HandlerLoadError(f"{var}={name!r}: {module_name}.{function_name} is not callable")
    handler: Handler = target
    return handler


#: Lambda's variable telling how the execution environment was initialised.
INITIALIZATION_TYPE_ENV = "AWS_LAMBDA_INITIALIZATION_TYPE"
#: Initialisations that happen ahead of traffic, where compiling every rule costs no request anything.
PREWARMED_INITIALIZATIONS = ("provisioned-concurrency", "snap-start")


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
    )
    if os.environ.get(INITIALIZATION_TYPE_ENV) in PREWARMED_INITIALIZATIONS:
        # Provisioned concurrency and SnapStart run the init phase ahead of traffic:
        # compile every rule there instead of on first use during a request.
        built.engine.compile_all()
    guard: GuardLike = built
    return guard


# --- one invocation --------------------------------------------------------------


class _Invocation:
    __slots__ = ("function_name", "request_id")

    def __init__(self, function_name: str, request_id: str) -> None:
        self.function_name = function_name
        self.request_id = request_id


def _invocation(context: object) -> _Invocation:
    def attribute(name: str) -> str:
        try:
            value = getattr(context, name, None)
        except Exception:  # an odd context object must not break the guard
            value = None
        return value if isinstance(value, str) else ""

    function_name = attribute("function_name") or os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    return _Invocation(function_name or "unknown", attribute("aws_request_id"))


class _Plan:
    """The inbound decision: hand ``handler_event`` on, answer ``response``, or raise."""

    __slots__ = ("blocked_rules", "handler_event", "held", "records", "respond", "response")

    def __init__(
        self,
        handler_event: Any = None,
        *,
        respond: bool = False,
        response: Any = None,
        blocked_rules: Optional[list[str]] = None,
        records: Optional[list[Any]] = None,
        held: Optional[set[int]] = None,
    ) -> None:
        self.handler_event = handler_event
        self.respond = respond
        self.response = response
        self.blocked_rules = blocked_rules
        self.records: list[Any] = records if records is not None else []
        self.held: set[int] = held if held is not None else set()


def _blocking_rule_ids(findings: Sequence[FindingLike]) -> list[str]:
    blocking = [f.rule_id for f in findings if f.action == contract.ACTION_BLOCKED]
    return blocking or [f.rule_id for f in findings]


def _sanitised_batch_failures(
    source: str, records: Sequence[Any], result: Any, held: set[int]
) -> list[dict[str, str]]:
    """The failures of a batch whose result is withheld: the handler's own
    ``batchItemFailures`` entries that name a record of the batch (as new entries
    holding the event's identifier, in the handler's order; anything else it
    returned is dropped), then the records ``held`` back inbound, without duplicates.

    Example:
        >>> records = [{"messageId": "a"}, {"messageId": "b"}, {"messageId": "c"}]
        >>> own = {"batchItemFailures": [{"itemIdentifier": "c"}, {"itemIdentifier": "4111"}],
        ...        "note": "leak"}
        >>> _sanitised_batch_failures("sqs", records, own, {0})
        [{'itemIdentifier': 'c'}, {'itemIdentifier': 'a'}]
    """
    known = {
        responses.item_identifier(source, record): index for index, record in enumerate(records)
    }
    chosen: list[int] = []
    own = result.get("batchItemFailures") if isinstance(result, Mapping) else None
    if isinstance(own, (list, tuple)):
        for entry in own:
            identifier = entry.get("itemIdentifier") if isinstance(entry, Mapping) else None
            index = known.get(identifier) if isinstance(identifier, str) else None
            if index is not None:
                chosen.append(index)
    failures: list[dict[str, str]] = []
    seen: set[str] = set()
    for index in [*chosen, *sorted(held)]:
        if 0 <= index < len(records):
            identifier = responses.item_identifier(source, records[index])
            if identifier not in seen:
                seen.add(identifier)
                failures.append({"itemIdentifier": identifier})
    return failures


class ProtectedHandler:
    """A user handler behind the guard; the object :func:`handler` calls.

    ``guard`` is None when the guard could not be built (``guard_error`` says why);
    the fail policy then applies to every invocation. ``stream`` is where records
    go (default: the current ``sys.stdout``).

    Example:
        >>> from protect_lambda.config import GuardConfig
        >>> protected = ProtectedHandler(lambda event, context: {"ok": True},
        ...                              build_guard(GuardConfig()), GuardConfig())
        >>> protected({"q": "hello"}, None)
        {'ok': True}
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
        self.stream = stream

    # records ---------------------------------------------------------------

    def _emit(self, record: Mapping[str, str]) -> None:
        try:
            violation.emit(record, self.stream)
        except Exception:  # stdout gone: nothing left to report to, never fail the invocation
            pass

    def _report(self, verdict: VerdictLike, source: str, call: _Invocation) -> None:
        seen: set[tuple[str, str, Optional[int]]] = set()
        for finding in verdict.findings:
            key = (finding.rule_id, finding.location, finding.record_index)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > MAX_RECORDS_PER_DIRECTION:
                break
            self._emit(
                violation.violation_record(
                    finding,
                    source=source,
                    mode=self.config.mode,
                    function_name=call.function_name,
                    request_id=call.request_id,
                )
            )

    def _guard_failed(self, error: Exception, phase: str, source: str, call: _Invocation) -> bool:
        """Print the GuardError record; True when the invocation must be blocked."""
        block = (
            self.config.fail_policy == contract.FAIL_CLOSED
            and self.config.mode == contract.MODE_BLOCK
        )
        self._emit(
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

    @staticmethod
    def _source_of(event: object) -> str:
        try:
            return responses.fallback_source(event)
        except Exception:
            return "generic"

    # the invocation ----------------------------------------------------------

    def __call__(self, event: Any, context: Any) -> Any:
        call = _invocation(context)
        source = "generic"
        plan: Optional[_Plan] = None
        failure: Optional[Exception] = self.guard_error
        if self.guard is not None:
            try:
                verdict = self.guard.inspect_event(event)
                source = verdict.source
                self._report(verdict, source, call)
                plan = self._plan(verdict, source, event, call)
            except Exception as exc:
                failure, plan = exc, None
        if failure is not None:
            source = self._source_of(event)
            phase = PHASE_CONFIG if failure is self.guard_error else contract.DIRECTION_INBOUND
            if self._guard_failed(failure, phase, source, call):
                return self._refuse(failure, contract.DIRECTION_INBOUND, source, event, call)
        if plan is None:  # fail open: the event goes to the handler untouched
            plan = _Plan(handler_event=event)
        if plan.blocked_rules is not None:
            raise GuardBlockedError(
                plan.blocked_rules, direction=contract.DIRECTION_INBOUND, source=source
            )
        if plan.respond:
            return plan.response

        result = self.handler(plan.handler_event, context)

        if self.guard is None:  # the guard could not be built; its failure was reported above
            return result
        try:
            out = self.guard.inspect_response(result, event=plan.handler_event)
            self._report(out, source, call)
            if out.blocked:
                return self._withhold(out, source, event, call, result, plan.held)
            if plan.held:
                return responses.merge_batch_failures(
                    result, responses.batch_failures(source, plan.records, plan.held)
                )
            return result
        except GuardBlockedError:
            raise
        except Exception as exc:
            out_failure = exc
        if self._guard_failed(out_failure, contract.DIRECTION_OUTBOUND, source, call):
            return self._refuse(out_failure, contract.DIRECTION_OUTBOUND, source, event, call)
        if plan.held:  # still report the records blocked inbound
            return responses.merge_batch_failures(
                result, responses.batch_failures(source, plan.records, plan.held)
            )
        return result

    def _plan(self, verdict: VerdictLike, source: str, event: Any, call: _Invocation) -> _Plan:
        """What to do with an inspected event: hand it (or its clean records) on, answer, raise."""
        if not verdict.blocked:
            return _Plan(handler_event=event)
        if responses.is_http(source):
            return _Plan(respond=True, response=responses.forbidden(source, event, call.request_id))
        records = responses.records_of(event) if responses.is_batch(source) else None
        if records is None:
            return _Plan(blocked_rules=_blocking_rule_ids(verdict.findings))
        held = self._held_back(verdict, source, records)
        if len(held) == len(records):
            failures = responses.batch_failures(source, records)
            return _Plan(respond=True, response=responses.batch_response(failures))
        clean = dict(event)
        clean["Records"] = [record for index, record in enumerate(records) if index not in held]
        return _Plan(handler_event=clean, records=records, held=held)

    def _withhold(
        self,
        out: VerdictLike,
        source: str,
        event: Any,
        call: _Invocation,
        result: Any = None,
        held: Optional[set[int]] = None,
    ) -> Any:
        """The answer instead of a leaking result.

        HTTP sources get the generic 500. A batch's result only goes to the Lambda
        service, which reads nothing but ``batchItemFailures``: the answer is
        ``{"batchItemFailures": [...]}`` holding only the handler's own entries that
        name a record of ``event`` and the records ``held`` back inbound, never the
        rest of the result; clean records the handler processed are not retried.
        """
        if responses.is_http(source):
            return responses.withheld(source, event, call.request_id)
        records = responses.records_of(event) if responses.is_batch(source) else None
        if records is not None:
            try:
                failures = _sanitised_batch_failures(source, records, result, held or set())
            except Exception:  # never let the leaking result through: fail every record
                failures = responses.batch_failures(source, records)
            return responses.batch_response(failures)
        raise GuardBlockedError(
            _blocking_rule_ids(out.findings), direction=contract.DIRECTION_OUTBOUND, source=source
        )

    @staticmethod
    def _held_back(verdict: VerdictLike, source: str, records: list[Any]) -> set[int]:
        blocking = [f for f in verdict.findings if f.action == contract.ACTION_BLOCKED]
        if not blocking or any(
            f.record_index is None or not 0 <= f.record_index < len(records) for f in blocking
        ):
            return set(range(len(records)))  # not tied to one record: the whole batch
        return responses.held_back(
            source, records, {f.record_index for f in blocking if f.record_index is not None}
        )

    @staticmethod
    def _refuse(
        error: Exception, direction: str, source: str, event: Any, call: _Invocation
    ) -> Any:
        """The block of a fail-closed guard failure."""
        if responses.is_http(source):
            if direction == contract.DIRECTION_INBOUND:
                return responses.forbidden(source, event, call.request_id)
            return responses.withheld(source, event, call.request_id)
        records = responses.records_of(event) if responses.is_batch(source) else None
        if records is not None:
            return responses.batch_response(responses.batch_failures(source, records))
        raise GuardFailedClosedError(type(error).__name__, direction=direction, source=source)


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
        )
        return _ColdStart(fallback, None, exc, environ)


def _load_into(state: _ColdStart, environ: Mapping[str, str]) -> ProtectedHandler:
    original = load_handler(environ.get(contract.ORIGINAL_HANDLER_ENV, ""))
    state.protected = ProtectedHandler(
        original, state.guard, state.config, guard_error=state.guard_error
    )
    return state.protected


def _cold_start(environ: Mapping[str, str]) -> _ColdStart:
    state = _build(environ)
    if environ.get(contract.ORIGINAL_HANDLER_ENV):
        try:  # load in the init phase, like an unwrapped function
            _load_into(state, environ)
        except Exception:  # raised again, with its message, by the first invocation
            pass
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

    Raises :class:`HandlerLoadError` when the original handler cannot be loaded
    (retried on the next invocation), and whatever the original handler raises.
    """
    state = _state
    protected = state.protected or _load_into(state, state.environ)
    return protected(event, context)
