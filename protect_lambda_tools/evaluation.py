"""Scoring of labelled cases (the format of ``cases.jsonl``): detection and false-positive rates.

A line holds ``id``, ``category``, ``label`` (``attack``/``benign``),
``direction`` and ``event`` (plus ``response`` for outbound cases). An inbound
case is inspected with ``inspect_event(event)``, an outbound one with
``inspect_response(response, event)``. An attack counts as caught when the
verdict blocks; a benign case is a false positive when the verdict blocks
(:func:`scored_verdict`). ``protect-lambda scan`` judges a line as the wrapper
would instead (:func:`inspect_case`): the event first, then the response.

Example:
    >>> from protect_lambda import Guard
    >>> cases = [{"id": "a", "category": "xss", "label": "attack", "direction": "inbound",
    ...           "event": {"body": "<script>alert(1)</script>"}}]
    >>> score(Guard(), cases).categories["xss"].rate
    1.0
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, Any, Final, Iterable, Iterator, Mapping

from protect_lambda import contract
from protect_lambda.guard import Guard, Verdict

INBOUND_CATEGORIES: Final = ("sqli", "xss", "cmdi", "path_traversal", "ssrf", "nosqli", "ssti", "xxe", "jndi")
LEAK_CATEGORIES: Final = ("leak_card", "leak_aws_key", "leak_private_key", "leak_ssn", "leak_stacktrace")
BENIGN_CATEGORIES: Final = ("benign", "benign_response")


def read_cases(stream: IO[str]) -> Iterator[dict[str, Any]]:
    """JSON objects of a JSON-lines stream (blank lines skipped)."""
    for number, line in enumerate(stream, 1):
        if line.strip():
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError(f"line {number}: expected a JSON object")
            yield data


def inspect_case(guard: Guard, case: Mapping[str, Any]) -> Verdict:
    """The verdict for one line as the wrapper reaches it (``protect-lambda scan``).

    The event is inspected first: when it is blocked, that is the verdict (the
    handler would not run, or not on the blocked records). Otherwise, when the
    line has a ``response``, the verdict is the response's, with the event's own
    findings (monitor mode, ``monitor`` overrides) listed first.

    Example:
        >>> from protect_lambda import Guard
        >>> line = {"event": {"queryStringParameters": {"q": "<script>alert(1)</script>"}},
        ...         "response": {"body": "ok"}}
        >>> verdict = inspect_case(Guard(), line)
        >>> verdict.blocked, {f.direction for f in verdict.findings}
        (True, {'inbound'})
    """
    event = case.get("event")
    inbound = guard.inspect_event(event)
    if inbound.blocked or "response" not in case:
        return inbound
    outbound = guard.inspect_response(case.get("response"), event)
    if not inbound.findings:
        return outbound
    return Verdict(outbound.blocked, outbound.source, [*inbound.findings, *outbound.findings])


def scored_verdict(guard: Guard, case: Mapping[str, Any]) -> Verdict:
    """The verdict a labelled case is scored on (``protect-lambda eval``): per the eval
    README, an outbound case on its response, an inbound one on its event."""
    if case.get("direction") == contract.DIRECTION_OUTBOUND or (
        "response" in case and case.get("direction") != contract.DIRECTION_INBOUND
    ):
        return guard.inspect_response(case.get("response"), case.get("event"))
    return guard.inspect_event(case.get("event"))


@dataclass
class CategoryScore:
    """Counts for one category: ``blocked`` out of ``total``."""

    total: int = 0
    blocked: int = 0
    missed_ids: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Fraction of cases blocked (detection rate, or false-positive rate for benign)."""
        return self.blocked / self.total if self.total else 0.0


@dataclass
class Family:
    """A source family of a corpus: tuned on, or held out (never looked at while tuning)."""

    id: str
    status: str = "unlisted"
    since: str = ""


def read_families(path: str) -> dict[str, Family]:
    """The families of a ``families.json`` (``{"families": [{"id", "status", "since", ...}]}``).

    Example:
        >>> read_families("corpus/families.json")["github-webhooks"].status  # doctest: +SKIP
        'tuned'
    """
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    items = data.get("families") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected an object with a 'families' list")
    return {str(f["id"]): Family(str(f["id"]), str(f.get("status", "unlisted")), str(f.get("since", "")))
            for f in items if isinstance(f, dict) and "id" in f}


@dataclass
class Report:
    """Per-category scores and the summary figures of the eval README; per source family too when
    the cases name their ``family``."""

    categories: dict[str, CategoryScore]
    families: dict[tuple[str, str], CategoryScore] = field(default_factory=dict)
    family_info: dict[str, Family] = field(default_factory=dict)

    @property
    def inbound_macro(self) -> float:
        """Mean detection rate over the nine inbound categories present."""
        rates = [self.categories[c].rate for c in INBOUND_CATEGORIES if c in self.categories]
        return sum(rates) / len(rates) if rates else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "categories": {
                name: {"total": s.total, "blocked": s.blocked, "rate": round(s.rate, 4)}
                for name, s in sorted(self.categories.items())
            },
            "inbound_macro": round(self.inbound_macro, 4),
            "benign_fp_rate": round(self.categories.get("benign", CategoryScore()).rate, 4),
            "benign_response_fp_rate": round(self.categories.get("benign_response", CategoryScore()).rate, 4),
            "families": [
                {"family": family, "status": self._info(family).status, "since": self._info(family).since,
                 "category": category, "total": s.total, "blocked": s.blocked, "rate": round(s.rate, 5)}
                for (family, category), s in sorted(self.families.items())
            ],
        }

    def _info(self, family: str) -> Family:
        return self.family_info.get(family, Family(family))

    def family_table(self) -> str:
        """Per source family and category: held-out families first (the figures that predict traffic
        never seen), then tuned ones."""
        if not self.families:
            return ""
        order = {"held_out": 0, "tuned": 1}
        lines = [f"{'family':<30} {'status':<18} {'category':<16} {'cases':>6} {'blocked':>8} {'rate':>8}  kind"]
        for (family, category), s in sorted(self.families.items(), key=lambda item: (
                order.get(self._info(item[0][0]).status, 2), item[0])):
            info = self._info(family)
            status = info.status.replace("_", " ") + (f" {info.since}" if info.since and info.status != "held_out" else "")
            kind = "false positives" if category in BENIGN_CATEGORIES else "detection"
            lines.append(f"{family:<30} {status:<18} {category:<16} {s.total:>6} {s.blocked:>8} {s.rate:>8.3%}  {kind}")
        for status in ("held_out", "tuned"):
            for category in BENIGN_CATEGORIES:
                picked = [s for (family, c), s in self.families.items()
                          if c == category and self._info(family).status == status]
                if picked:
                    total, blocked = sum(s.total for s in picked), sum(s.blocked for s in picked)
                    lines.append(f"{'all ' + status.replace('_', ' '):<30} {'':<18} {category:<16} {total:>6} "
                                 f"{blocked:>8} {blocked / total:>8.3%}  false positives")
        return "\n".join(lines)

    def table(self) -> str:
        """A plain-text table: category, cases, blocked, rate (detection or false positives)."""
        lines = [f"{'category':<18} {'cases':>6} {'blocked':>8} {'rate':>8}  kind"]
        order = [*INBOUND_CATEGORIES, "other", *LEAK_CATEGORIES, *BENIGN_CATEGORIES]
        names = [c for c in order if c in self.categories] + sorted(set(self.categories) - set(order))
        for name in names:
            s = self.categories[name]
            kind = "false positives" if name in BENIGN_CATEGORIES else "detection"
            lines.append(f"{name:<18} {s.total:>6} {s.blocked:>8} {s.rate:>8.2%}  {kind}")
        lines.append(f"{'inbound macro':<18} {'':>6} {'':>8} {self.inbound_macro:>8.2%}  (nine inbound categories)")
        return "\n".join(lines)


def score(guard: Guard, cases: Iterable[Mapping[str, Any]], families: Mapping[str, Family] | None = None) -> Report:
    """Inspect every case and count blocks per category (and per ``family``, when cases name one)."""
    categories: dict[str, CategoryScore] = {}
    per_family: dict[tuple[str, str], CategoryScore] = {}
    for case in cases:
        name = str(case.get("category", "unknown"))
        s = categories.setdefault(name, CategoryScore())
        s.total += 1
        blocked = scored_verdict(guard, case).blocked
        family = case.get("family")
        f = per_family.setdefault((str(family), name), CategoryScore()) if family else None
        if f is not None:
            f.total += 1
        if blocked:
            s.blocked += 1
            if f is not None:
                f.blocked += 1
        if blocked != (case.get("label") == "attack"):
            s.missed_ids.append(str(case.get("id")))
    return Report(categories, per_family, dict(families or {}))
