"""The Violation record: one JSON line on stdout per blocked (or flagged) inspection.

One record for the event (printed before the handler runs) and one for the
response, each holding all the findings of that inspection; for batch sources
one per blocked record. The record leads with the finding that decided
(blocking first, then the most severe): ``rule_id``, ``category``,
``severity``, ``location``, ``excerpt``; ``findings`` lists them all (at most
:data:`MAX_FINDINGS`, ``finding_count`` says how many there were). It carries
``level`` and an RFC 3339 ``timestamp`` (so that Lambda's JSON log format files
it at :data:`~protect_lambda.contract.RECORD_LEVEL` instead of INFO) and the
deployment's ``seal`` (the metric filter counts only sealed records of the
function's own name: see :func:`protect_lambda.contract.violation_filter_pattern`).

It never carries the matched secret or the raw payload:

* outbound findings (leaks): the matched span is replaced by
  ``[REDACTED <rule_id> <n> chars]``; at most 12 characters of context remain on
  each side, and every word-like token there that is longer than 16 characters
  or holds a digit is masked with ``*`` (so a neighbouring key fragment or card
  group cannot survive);
* inbound findings (attacks): a view of at most 80 characters around the match,
  with runs of 4+ digits masked with ``#`` and long tokens that mix letters and
  digits (keys, tokens, JWTs) masked with ``*``;
* the location: every key name in it that is not a plain, secret-free
  identifier is replaced by ``[redacted]`` (:func:`redact_location`), since a
  secret can be a key.

Attacker-controlled text cannot forge or split a log line: the line is
``json.dumps(..., ensure_ascii=True)`` (no raw newline, no U+2028/U+2029, quotes
escaped), and control, bidi and lone surrogate characters in the excerpt and
location are replaced by ``?`` so that a strict JSON reader and a terminal
showing a decoded record are safe too.

Example:
    >>> from types import SimpleNamespace as NS
    >>> m = NS(text='{"card": "4111111111111111"}', start=10, end=26)
    >>> f = NS(rule_id="leak_card", category="leak_card", direction="outbound", severity="high",
    ...        location="body.card", action="blocked", record_index=None, match=m)
    >>> redact_excerpt(f)
    '{"card": "[REDACTED leak_card 16 chars]"}'
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final, Optional, Protocol, TextIO
else:
    Protocol = object  # the protocols below are plain classes at run time

from protect_lambda import __version__, contract

#: Longest excerpt (characters), before JSON escaping.
MAX_EXCERPT: Final = 80
#: At most this many findings (distinct rule and location) are listed in one record.
MAX_FINDINGS: Final = 20
#: Longest location kept in a record (characters); longer ones are truncated.
MAX_LOCATION: Final = 200
#: What replaces a segment of a location (a key name) that may carry a secret or payload text.
LOCATION_PLACEHOLDER: Final = "[redacted]"
#: Longest key name shown as is in a location; longer ones are replaced.
MAX_LOCATION_SEGMENT: Final = 40
#: Suffixes the adapters give the location of a key (``#key``) or a ``name=value`` pair.
LOCATION_SUFFIXES: Final = ("#key", "#pair")
_MAX_INDEX_DIGITS = 6
#: Longest function name / request id / rule id kept in a record.
MAX_NAME: Final = 128
#: Context kept on each side of a redacted outbound match.
OUTBOUND_CONTEXT: Final = 12
#: Context kept on each side of an inbound match, and the longest part of the match shown.
INBOUND_CONTEXT: Final = 16
INBOUND_MATCH: Final = MAX_EXCERPT - 2 * INBOUND_CONTEXT - 6

# Extra fields of a GuardError record (not part of the metric contract).
FIELD_ERROR_TYPE: Final = "error_type"
FIELD_PHASE: Final = "phase"
FIELD_WHERE: Final = "where"
FIELD_FAIL_POLICY: Final = "fail_policy"
FIELD_OUTCOME: Final = "outcome"
FIELD_DETAIL: Final = "detail"
OUTCOME_PROCEEDED: Final = "proceeded"
OUTCOME_BLOCKED: Final = "blocked"

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
_TOKEN_SCAN_LIMIT = 64


class _Patterns:
    """The redaction regexes, compiled on first use (not in the cold start)."""

    def __init__(self) -> None:
        self.token = re.compile(r"[A-Za-z0-9+/=_-]+")
        self.plain_word = re.compile(r"[A-Za-z_-]{1,16}")
        self.digit_run = re.compile(r"[0-9]{4,}")
        self.plain_segment = re.compile(r"[$@]?[A-Za-z_][A-Za-z0-9_-]*")
        self.upper_run = re.compile(r"[A-Z0-9]{16,}")
        self.key_prefix = re.compile(
            r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA|A3T[A-Z0-9])"
            r"[A-Z0-9]{4,}|eyJ[A-Za-z0-9_-]{4,}"
        )
        self.secret_token = re.compile(r"[A-Za-z0-9+/=_-]{20,}")
        self.unsafe = re.compile(
            "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
            "\ud800-\udfff]"
        )


_compiled: Optional[_Patterns] = None


def _p() -> _Patterns:
    global _compiled
    if _compiled is None:
        _compiled = _Patterns()
    return _compiled


class MatchLike(Protocol):
    """What the record needs of ``engine.Match``."""

    @property
    def text(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class FindingLike(Protocol):
    """What the record needs of a Guard finding."""

    @property
    def rule_id(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def direction(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def record_index(self) -> Optional[int]: ...
    @property
    def match(self) -> Optional[MatchLike]: ...
    # ``score`` (an int) is read when present; a finding without one counts as blocking alone


def _safe(text: str, limit: int) -> str:
    """Replace control / line-separator / bidi characters and truncate to ``limit``."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return _p().unsafe.sub("?", text)


def _mask_outbound_context(text: str, lo: int, hi: int) -> str:
    """Characters ``text[lo:hi]`` with secret-like tokens and non-ASCII masked by ``*``."""
    if lo >= hi:
        return ""
    # Widen to whole tokens (bounded: a token longer than the bound is masked anyway).
    left = lo
    while left > 0 and lo - left < _TOKEN_SCAN_LIMIT and text[left - 1] in _TOKEN_CHARS:
        left -= 1
    right = hi
    while right < len(text) and right - hi < _TOKEN_SCAN_LIMIT and text[right] in _TOKEN_CHARS:
        right += 1
    out = list(text[lo:hi])
    for index, char in enumerate(out):
        if not (" " <= char <= "~"):
            out[index] = "*"
    for token in _p().token.finditer(text, left, right):
        # A token cut by the scan bound is at least _TOKEN_SCAN_LIMIT long: never a plain word.
        if _p().plain_word.fullmatch(token.group()):
            continue
        for pos in range(max(token.start(), lo), min(token.end(), hi)):
            out[pos - lo] = "*"
    return "".join(out)


def _mask_inbound(text: str) -> str:
    text = _p().secret_token.sub(
        lambda m: (
            "*" * len(m.group())
            if any(c.isdigit() for c in m.group()) and any(c.isalpha() for c in m.group())
            else m.group()
        ),
        text,
    )
    return _p().digit_run.sub(lambda m: "#" * len(m.group()), text)


def redact_excerpt(finding: FindingLike) -> str:
    """The redacted excerpt of a finding (see the module docstring for the rules).

    Example:
        >>> from types import SimpleNamespace as NS
        >>> m = NS(text="q=1' OR '1'='1", start=3, end=14)
        >>> redact_excerpt(NS(rule_id="sqli-001", direction="inbound", match=m))
        "q=1' OR '1'='1"
    """
    match = finding.match
    if match is None:
        return ""
    text, start, end = match.text, max(0, match.start), min(len(match.text), match.end)
    if finding.direction == contract.DIRECTION_OUTBOUND:
        before = _mask_outbound_context(text, max(0, start - OUTBOUND_CONTEXT), start)
        after = _mask_outbound_context(text, end, min(len(text), end + OUTBOUND_CONTEXT))
        mask = f"[REDACTED {_safe(str(finding.rule_id), 48)} {end - start} chars]"
        return _safe(before, OUTBOUND_CONTEXT) + mask + _safe(after, OUTBOUND_CONTEXT)
    lo = max(0, start - INBOUND_CONTEXT)
    cut_end = min(end, start + INBOUND_MATCH)
    hi = cut_end if cut_end < end else min(len(text), end + INBOUND_CONTEXT)
    # Mask on a wider window (masks keep lengths) so a token cut by the view is judged whole.
    wide_lo, wide_hi = max(0, lo - _TOKEN_SCAN_LIMIT), min(len(text), hi + _TOKEN_SCAN_LIMIT)
    masked = _mask_inbound(text[wide_lo:wide_hi])[lo - wide_lo : hi - wide_lo]
    view = ("..." if lo > 0 else "") + masked + ("..." if hi < len(text) else "")
    return _safe(view, MAX_EXCERPT)


def _plain_segment(name: str) -> bool:
    """True when a key name of a location can be shown: a plain identifier, not secret-like."""
    p = _p()
    if len(name) > MAX_LOCATION_SEGMENT or not p.plain_segment.fullmatch(name):
        return False  # long, or characters outside the safe set (spaces, quotes, '/', ...)
    digits = sum(c.isdigit() for c in name)
    if digits >= 5 or p.upper_run.search(name) or p.key_prefix.search(name):
        return False  # digit runs with separators (cards, SSNs), AWS key ids, JWTs
    letters = sum(c.isalpha() for c in name)
    if len(name) >= 16 and digits and letters:
        return False  # a random token: hex / base64 id, API key
    if len(name) >= 20:
        upper = sum(c.isupper() for c in name)
        if 10 * upper >= 3 * letters and 10 * (letters - upper) >= 3 * letters:
            return False  # mixed case throughout, as in base64, unlike camelCase names
    return True


def _split_indices(piece: str) -> tuple[str, str]:
    """``name[1][2]`` -> ``("name", "[1][2]")``; only short decimal indices count as indices."""
    end = len(piece)
    while end and piece[end - 1] == "]":
        start = piece.rfind("[", max(0, end - 2 - _MAX_INDEX_DIGITS), end - 1)
        inner = piece[start + 1 : end - 1]
        if start < 0 or not inner or not (inner.isascii() and inner.isdigit()):
            break
        end = start
    return piece[:end], piece[end:]


def redact_location(location: str) -> str:
    """``location`` with every segment that may carry a secret or payload text replaced.

    A location is key names joined by ``.``, with array indices ``[n]`` and an
    optional ``#key`` / ``#pair`` suffix. Key names come from the event or the
    response, so a secret used as a key (a card number, an SSN, an AWS key id,
    a token) would otherwise reach the log. A name is kept only when it is a plain
    identifier of at most :data:`MAX_LOCATION_SEGMENT` characters (letters,
    digits, ``_``, ``-``; an optional leading ``$`` or ``@``) that does not look
    like a secret (5+ digits, an upper-case run of 16+, an AWS key id or JWT
    prefix, a long mix of letters and digits or of upper and lower case);
    anything else becomes :data:`LOCATION_PLACEHOLDER` (consecutive ones merged).

    Example:
        >>> redact_location("Records[2].body.text")
        'Records[2].body.text'
        >>> redact_location("x[0].4111-1111-1111-1111#key")
        'x[0].[redacted]#key'
        >>> redact_location("queryStringParameters.AKIAIOSFODNN7EXAMPLE")
        'queryStringParameters.[redacted]'
    """
    text = str(location)
    suffix = ""
    for candidate in LOCATION_SUFFIXES:
        if text.endswith(candidate):
            text, suffix = text[: -len(candidate)], candidate
            break
    parts: list[str] = []
    size = len(suffix)
    for position, piece in enumerate(text.split(".")):
        name, indices = _split_indices(piece)
        if not piece and parts and parts[-1] == LOCATION_PLACEHOLDER:
            continue  # "..": part of the same key as the replaced name before it
        if _plain_segment(name) or (not name and (position == 0 or not indices)):
            part = name + indices
        elif parts and parts[-1] == LOCATION_PLACEHOLDER:
            continue  # merged with the previous placeholder ("10.0.0.1" -> one placeholder)
        else:
            # The brackets go too: after an odd name they may be part of the key ("[4111]").
            part = LOCATION_PLACEHOLDER
        parts.append(part)
        size += len(part) + 1
        if size > MAX_LOCATION:  # truncated by the caller; never judge a cut name
            break
    return ".".join(parts) + suffix


def _name(value: object) -> str:
    return _safe(str(value), MAX_NAME) if value is not None else ""


def rfc3339(now: Optional[float] = None) -> str:
    """``now`` (default: the current time) as an RFC 3339 UTC timestamp with milliseconds.

    Example:
        >>> rfc3339(0.25)
        '1970-01-01T00:00:00.250Z'
    """
    moment = time.time() if now is None else now
    whole = int(moment)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + ".%03dZ" % int((moment - whole) * 1000)


_SEVERITY_RANK: Final = {severity: rank for rank, severity in enumerate(contract.SEVERITIES)}


def _is_limit_note(finding: FindingLike) -> bool:
    """A finding about the inspection's limits that did not block (reported, never counted)."""
    return (_name(finding.category) in contract.LIMIT_CATEGORIES
            and _name(finding.action) != contract.ACTION_BLOCKED)


def _leading(findings: Sequence[FindingLike]) -> FindingLike:
    """The finding that decided: blocking first, then not a limit note, then the most severe, then the first."""
    return max(
        findings,  # max returns the first of equal keys: the earliest wins
        key=lambda f: (f.action == contract.ACTION_BLOCKED, not _is_limit_note(f),
                       _SEVERITY_RANK.get(f.severity, -1)),
    )


def _score(finding: FindingLike) -> int:
    score = getattr(finding, "score", contract.BLOCK_SCORE)
    return score if isinstance(score, int) and not isinstance(score, bool) else contract.BLOCK_SCORE


def _total(findings: Sequence[FindingLike]) -> int:
    """The findings' scores added up, each rule once at its highest."""
    best: dict[str, int] = {}
    for finding in findings:
        rule = _name(finding.rule_id)
        best[rule] = max(best.get(rule, 0), _score(finding))
    return sum(best.values())


def finding_entry(finding: FindingLike) -> dict[str, Any]:
    """One entry of a record's ``findings``: rule, category, severity, action, redacted location and excerpt.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> f = NS(rule_id="xss-001", category="xss", direction="inbound", severity="high",
        ...        location="queryStringParameters.q", action="blocked", match=None)
        >>> finding_entry(f)["location"]
        'queryStringParameters.q'
    """
    return {
        contract.FIELD_RULE_ID: _name(finding.rule_id),
        contract.FIELD_CATEGORY: _name(finding.category),
        contract.FIELD_SEVERITY: _name(finding.severity),
        contract.FIELD_ACTION: _name(finding.action),
        contract.FIELD_SCORE: _score(finding),
        contract.FIELD_LOCATION: _safe(redact_location(str(finding.location)), MAX_LOCATION),
        contract.FIELD_EXCERPT: redact_excerpt(finding),
    }


def violation_record(
    findings: Sequence[FindingLike],
    *,
    source: str,
    mode: str,
    function_name: str,
    request_id: str,
    seal: str = "",
    record_index: Optional[int] = None,
    item_id: Optional[str] = None,
    now: Optional[float] = None,
) -> dict[str, Any]:
    """The Violation record of one inspection (or one batch record): all of ``findings``, one line.

    Findings repeating a rule at the same location count once. When every finding
    is a limit note that did not block (input beyond the guard's limits, reported
    only), the record is an ``InspectionLimit`` record instead; when nothing blocked
    in a blocking function (only rules set to ``monitor`` flagged it), a
    ``Detection`` record: both logged, never counted by the violations metric,
    which counts blocked requests (and, in monitor mode, flagged ones).

    Example:
        >>> from types import SimpleNamespace as NS
        >>> f = NS(rule_id="xss-001", category="xss", direction="inbound", severity="high",
        ...        location="queryStringParameters.q", action="blocked", match=None)
        >>> r = violation_record([f, f], source="apigw-http", mode="block", function_name="fn",
        ...                      request_id="req-1", seal="s")
        >>> tuple(r) == contract.VIOLATION_FIELDS, r["event"], r["level"], r["finding_count"]
        (True, 'Violation', 'WARN', 1)
    """
    if not findings:
        raise ValueError("a Violation record needs at least one finding")
    distinct: list[FindingLike] = []
    seen: set[tuple[str, str]] = set()
    for finding in findings:
        key = (finding.rule_id, finding.location)
        if key not in seen:
            seen.add(key)
            distinct.append(finding)
    lead = _leading(distinct)
    entries = [finding_entry(f) for f in distinct[:MAX_FINDINGS]]
    lead_entry = entries[distinct.index(lead)] if distinct.index(lead) < MAX_FINDINGS else finding_entry(lead)
    blocked = any(_name(f.action) == contract.ACTION_BLOCKED for f in distinct)
    if all(_is_limit_note(f) for f in distinct):
        event = contract.INSPECTION_LIMIT_MARKER
    elif not blocked and _name(mode) == contract.MODE_BLOCK:
        event = contract.DETECTION_MARKER  # only rules set to monitor, in a blocking function
    else:
        event = contract.VIOLATION_MARKER
    record: dict[str, Any] = {
        contract.FIELD_EVENT: event,
        contract.FIELD_LEVEL: contract.RECORD_LEVEL,
        contract.FIELD_TIMESTAMP: rfc3339(now),
        contract.FIELD_SEAL: _name(seal),
        contract.FIELD_FUNCTION_NAME: _name(function_name),
        contract.FIELD_REQUEST_ID: _name(request_id),
        contract.FIELD_ACTION: contract.ACTION_BLOCKED if blocked else contract.ACTION_DETECTED,
        contract.FIELD_DIRECTION: _name(lead.direction),
        contract.FIELD_SOURCE: _name(source),
        contract.FIELD_MODE: _name(mode),
        **{field: lead_entry[field] for field in (contract.FIELD_RULE_ID, contract.FIELD_CATEGORY,
                                                   contract.FIELD_SEVERITY, contract.FIELD_LOCATION,
                                                   contract.FIELD_EXCERPT)},
        contract.FIELD_FINDING_COUNT: len(distinct),
        contract.FIELD_TOTAL_SCORE: _total(distinct),
        contract.FIELD_FINDINGS: entries,
    }
    if record_index is not None:
        record[contract.FIELD_RECORD_INDEX] = record_index
        record[contract.FIELD_ITEM_ID] = _name(item_id)
    record[contract.FIELD_GUARD_VERSION] = __version__
    return record


def _where(error: BaseException) -> str:
    """``file.py:line in function`` of the innermost guard frame of ``error`` (no payload)."""
    import traceback  # only when the guard failed

    package_dir = os.path.dirname(os.path.abspath(__file__))
    frames = traceback.extract_tb(error.__traceback__)
    chosen = None
    for frame in frames:
        if os.path.abspath(frame.filename).startswith(package_dir):
            chosen = frame
    if chosen is None and frames:
        chosen = frames[-1]
    if chosen is None:
        return ""
    return _safe(f"{os.path.basename(chosen.filename)}:{chosen.lineno} in {chosen.name}", MAX_NAME)


def guard_error_record(
    error: BaseException,
    *,
    phase: str,
    outcome: str,
    source: str,
    mode: str,
    fail_policy: str,
    function_name: str,
    request_id: str,
    now: Optional[float] = None,
) -> dict[str, str]:
    """The GuardError record of a failure of the guard itself: the error type and where, no payload.

    The exception message is left out (it may quote the event), except for
    configuration errors, whose messages the guard writes from the deployer's
    configuration.

    Example:
        >>> r = guard_error_record(KeyError("<script>"), phase="inbound", outcome="proceeded",
        ...                        source="generic", mode="block", fail_policy="open",
        ...                        function_name="fn", request_id="r")
        >>> r["event"], r["error_type"], "<script>" in json.dumps(r)
        ('GuardError', 'KeyError', False)
    """
    from protect_lambda.errors import GuardConfigError

    record = {
        contract.FIELD_EVENT: contract.GUARD_ERROR_MARKER,
        contract.FIELD_LEVEL: contract.GUARD_ERROR_LEVEL,
        contract.FIELD_TIMESTAMP: rfc3339(now),
        FIELD_ERROR_TYPE: _name(type(error).__name__),
        FIELD_PHASE: _name(phase),
        FIELD_OUTCOME: _name(outcome),
        FIELD_WHERE: _where(error),
        contract.FIELD_SOURCE: _name(source),
        contract.FIELD_FUNCTION_NAME: _name(function_name),
        contract.FIELD_REQUEST_ID: _name(request_id),
        contract.FIELD_MODE: _name(mode),
        FIELD_FAIL_POLICY: _name(fail_policy),
        contract.FIELD_GUARD_VERSION: __version__,
    }
    if isinstance(error, GuardConfigError):
        record[FIELD_DETAIL] = _safe(str(error), 400)
    return record


def format_record(record: Mapping[str, Any]) -> str:
    """One line of ASCII JSON (no newline, no U+2028, quotes escaped).

    Example:
        >>> format_record({"event": "Violation", "location": 'x"\\n{"event":"Violation"}'})
        '{"event":"Violation","location":"x\\\\"\\\\n{\\\\"event\\\\":\\\\"Violation\\\\"}"}'
    """
    return json.dumps(record, ensure_ascii=True, separators=(",", ":"), default=str)


class LineTracker:
    """A text stream that remembers whether what was last written to it ended a line.

    The wrapper puts one around ``sys.stdout`` at cold start, so that a record never
    lands at the end of a line the handler left unfinished (``print(x, end="")``):
    Lambda would file that line as the handler's text, and no filter would count the
    record in it. Everything else is the wrapped stream's (``__getattr__``).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.at_line_start = True

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        if text:
            self.at_line_start = text.endswith("\n")
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def track_stdout() -> None:
    """Put a :class:`LineTracker` around ``sys.stdout`` (once)."""
    if not isinstance(sys.stdout, LineTracker):
        sys.stdout = LineTracker(sys.stdout)


def emit(record: Mapping[str, Any], stream: TextIO | None = None) -> None:
    """Write ``record`` as one line to ``stream`` (default: the current ``sys.stdout``) and flush;
    after a line the handler left unfinished, on a line of its own.

    Example:
        >>> emit({"event": "Violation"})
        {"event":"Violation"}
    """
    out = sys.stdout if stream is None else stream
    start = "" if getattr(out, "at_line_start", True) else "\n"
    out.write(start + format_record(record) + "\n")
    out.flush()
