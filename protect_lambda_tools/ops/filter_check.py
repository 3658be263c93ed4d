"""Check deployed metric filters with CloudWatch Logs' own evaluator (``protect-lambda check-filter``).

For every protected function and each of its metric filters on the violations
namespace, TestMetricFilter runs the deployed pattern on :mod:`.samples`: all
Violation records must match, every other line must not. The local evaluator
(:mod:`protect_lambda_tools.filter_pattern`) runs on the same lines, so a
disagreement between it and AWS shows up too. The filter's metric
transformation is checked against the contract (namespace, metric name, value
``1``, dimension ``FunctionName`` from ``$.function_name``), and a function
without an alarm on its metric is reported.

Example:
    >>> expected_dimensions()
    {'FunctionName': '$.function_name'}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from protect_lambda import contract
from protect_lambda_tools.filter_pattern import FilterPattern, FilterPatternError
from protect_lambda_tools.ops.discovery import MetricFilterInfo, ProtectedFunction
from protect_lambda_tools.ops.samples import Sample, sample_messages

if TYPE_CHECKING:  # pragma: no cover
    from protect_lambda_tools.ops.session import Clients


def expected_dimensions() -> dict[str, str]:
    """The metric dimensions the contract asks of the filter."""
    return {contract.METRIC_DIMENSION: f"$.{contract.METRIC_DIMENSION_FIELD}"}


@dataclass(frozen=True)
class SampleResult:
    """One sample line against one filter."""

    sample: Sample
    aws_match: bool
    local_match: bool | None  # None: the local evaluator does not support the pattern

    @property
    def ok(self) -> bool:
        """Whether CloudWatch Logs matched the sample exactly when it should."""
        return self.aws_match == self.sample.should_match


@dataclass
class FilterResult:
    """One deployed filter of one function."""

    function: str
    metric_filter: MetricFilterInfo
    results: list[SampleResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the filter is wired as the contract says and every sample came out right."""
        return not self.problems and all(r.ok for r in self.results)


def wiring_problems(function: ProtectedFunction, mf: MetricFilterInfo) -> list[str]:
    """Differences between a deployed metric transformation and the contract."""
    problems: list[str] = []
    if mf.metric_name != contract.METRIC_NAME:
        problems.append(f"metric name is {mf.metric_name!r}, expected {contract.METRIC_NAME!r}")
    if mf.metric_value != "1":
        problems.append(f"metric value is {mf.metric_value!r}, expected '1'")
    if dict(mf.dimensions) != expected_dimensions():
        problems.append(f"dimensions are {dict(mf.dimensions)}, expected {expected_dimensions()}")
    if not function.alarms:
        problems.append("no alarm watches this function's violations metric")
    if contract.drops_records(function.log_format, function.application_log_level):
        problems.append(f"the function's log format {function.log_format} with application log level "
                        f"{function.application_log_level} drops the guard's {contract.RECORD_LEVEL} records "
                        "before they reach the log: set the level to WARN or lower")
    return problems


def check_filter(clients: Clients, function: ProtectedFunction, mf: MetricFilterInfo) -> FilterResult:
    """Run TestMetricFilter with ``mf``'s pattern on the samples for ``function``."""
    samples = sample_messages(function.name, function.seal)
    response = clients.logs.test_metric_filter(
        filterPattern=mf.pattern, logEventMessages=[s.message for s in samples]
    )
    matches = response.get("matches", [])
    matched = {m["eventMessage"] for m in matches if "eventMessage" in m}
    numbers = {m["eventNumber"] for m in matches if "eventNumber" in m}  # 1-based
    try:
        local: FilterPattern | None = FilterPattern.parse(mf.pattern)
    except FilterPatternError:
        local = None
    result = FilterResult(function.name, mf, problems=wiring_problems(function, mf))
    for index, sample in enumerate(samples, start=1):
        aws_match = sample.message in matched if matched else index in numbers
        result.results.append(
            SampleResult(sample, aws_match, None if local is None else local.matches(sample.message))
        )
    return result


def run_checks(clients: Clients, functions: Sequence[ProtectedFunction]) -> list[FilterResult]:
    """Every violations filter of every function (a function without one gets a problem entry)."""
    results: list[FilterResult] = []
    for function in functions:
        if not function.metric_filters:
            missing = MetricFilterInfo("(none)", "", contract.METRIC_NAMESPACE, "", "", {})
            results.append(
                FilterResult(
                    function.name,
                    missing,
                    problems=[
                        (
                            f"no metric filter on {function.log_group} publishes to "
                            f"namespace {contract.METRIC_NAMESPACE!r}"
                        )
                    ],
                )
            )
            continue
        for mf in function.metric_filters:
            results.append(check_filter(clients, function, mf))
    return results


def _verdict(flag: bool | None) -> str:
    return {True: "match", False: "no match", None: "n/a"}[flag]


def report(results: Sequence[FilterResult], out: TextIO) -> None:
    """Print each filter's results: AWS's answer, the expectation, the local evaluator's answer."""
    for result in results:
        mf = result.metric_filter
        out.write(f"function {result.function}: filter {mf.name} {mf.pattern}\n")
        for item in result.results:
            status = "ok  " if item.ok else "FAIL"
            expected = "match" if item.sample.should_match else "no match"
            agree = "" if item.local_match is None or item.local_match == item.aws_match else "  (local evaluator disagrees)"
            out.write(
                f"  {status} AWS: {_verdict(item.aws_match):8} expected: {expected:8} "
                f"local: {_verdict(item.local_match):8} {item.sample.label} [{item.sample.origin}]{agree}\n"
            )
        out.writelines(f"  FAIL {problem}\n" for problem in result.problems)
        out.write(f"  => {'OK' if result.ok else 'FAILED'}\n")
