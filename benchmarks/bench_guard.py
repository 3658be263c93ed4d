"""Speed of the guard's detection: per-event inspection time, cold start, and linearity in input size.

Three measurements, all in this process except the cold start:

1. **Per event**: every case of CASES.jsonl is inspected (inbound cases with
   ``inspect_event``, outbound cases with ``inspect_response``); median, p90
   and p99 of the per-case time. When ``ddtrace`` is installed, the inbound
   events are also run through libddwaf (ddtrace's in-process WAF, with the
   default rule set shipped in ddtrace), the same events in the same process,
   and the ratios guard/libddwaf are reported on those events. Two methods, both
   reported, both engines treated alike:

   - ``once`` (the way traffic arrives): both engines are warmed on *other*
     events (``--warm FILE``, else the half of CASES.jsonl not timed, drawn by
     a hash of each case id), then every timed event goes through each engine
     exactly once, the two engines taking turns on who goes first. The guard's
     value cache keeps what the warm-up left in it, as a warm Lambda
     environment does; nothing is served from it because the same event went
     through before.
   - ``fastest``: one untimed warm-up pass over the very events then timed,
     then ``--rounds`` timed passes alternating guard and libddwaf, each
     event's time its fastest round, the guard's value cache emptied before
     each pass. It removes most of the noise of a shared machine, and flatters
     both engines (each has seen every event before).
2. **Cold start**: fresh subprocesses on the guard staged as a layer with its
   bytecode, as ``cdk synth`` builds it: import, compiling every rule, first
   inspection (``benchmarks/bench_cold_start.py``, which also measures the layer
   without bytecode).
3. **Linearity**: inspection time of one value of 64 KiB, 256 KiB and 1 MiB, for
   benign text and for adversarial runs crafted against the rules; the time per
   KiB should stay flat as the size grows.

Usage:
    PYTHONPATH=lambda_layer:. python benchmarks/bench_guard.py ../shared/eval/cases.jsonl [--json]
        [--no-ddwaf] [--method once|fastest|both] [--warm WARM.jsonl] [--rounds 3]
        [--cold-runs 15] [--skip-cold] [--skip-linear]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Sequence

from protect_lambda import Guard
from protect_lambda_tools.evaluation import read_cases

# --- statistics -----------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summary_ms(samples_ns: Sequence[int]) -> dict[str, float]:
    """Median, p90, p99 and mean in milliseconds."""
    ms = [s / 1e6 for s in samples_ns]
    return {
        "median_ms": round(statistics.median(ms), 4),
        "p90_ms": round(percentile(ms, 90), 4),
        "p99_ms": round(percentile(ms, 99), 4),
        "mean_ms": round(statistics.fmean(ms), 4),
        "n": len(ms),
    }


def time_pass(items: Sequence[Any], fn: Callable[[Any], Any]) -> list[int]:
    """Per-item wall time of ``fn(item)`` in nanoseconds, one pass."""
    out = []
    clock = time.perf_counter_ns
    for item in items:
        start = clock()
        fn(item)
        out.append(clock() - start)
    return out


def time_each(
    items: Sequence[Any],
    fn: Callable[[Any], Any],
    rounds: int = 1,
    before_pass: Callable[[], None] | None = None,
) -> list[int]:
    """Per-item fastest time over ``rounds`` timed passes, after one untimed warm-up pass.

    ``before_pass`` runs before every timed pass (the guard empties its value cache).
    """
    for item in items:
        fn(item)
    best: list[int] | None = None
    for _ in range(rounds):
        if before_pass is not None:
            before_pass()
        times = time_pass(items, fn)
        best = times if best is None else [min(a, b) for a, b in zip(best, times)]
    return best or []


# --- libddwaf ---------------------------------------------------------------------


class LibDDWaf:
    """ddtrace's in-process libddwaf with its default rules, fed one Lambda event as one request."""

    def __init__(self) -> None:
        from ddtrace.appsec._ddwaf import DDWaf  # type: ignore[import-not-found,unused-ignore]
        import ddtrace.appsec  # type: ignore[import-not-found,unused-ignore]

        rules_path = os.path.join(os.path.dirname(ddtrace.appsec.__file__), "rules.json")
        with open(rules_path, "rb") as fh:
            self.waf = DDWaf(fh.read(), b"", b"")
        import ddtrace

        self.version = f"ddtrace {ddtrace.__version__}"

    @staticmethod
    def addresses(event: Any) -> dict[str, Any]:
        """Map a Lambda event to the WAF's request addresses (HTTP shapes), or the whole event as body."""
        if isinstance(event, dict) and ("headers" in event or "rawPath" in event or "httpMethod" in event):
            data: dict[str, Any] = {}
            path = event.get("rawPath") or event.get("path") or "/"
            raw_qs = event.get("rawQueryString") or ""
            data["server.request.uri.raw"] = path + ("?" + raw_qs if raw_qs else "")
            query = event.get("multiValueQueryStringParameters") or event.get("queryStringParameters")
            if query:
                data["server.request.query"] = query
            headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
            cookie = headers.pop("cookie", None)
            data["server.request.headers.no_cookies"] = headers
            cookies = event.get("cookies") or ([cookie] if cookie else [])
            if cookies:
                data["server.request.cookies"] = dict(
                    c.strip().partition("=")[::2] for c in ";".join(cookies).split(";") if c.strip()
                )
            if event.get("pathParameters"):
                data["server.request.path_params"] = event["pathParameters"]
            body = event.get("body")
            if body:
                if isinstance(body, str):
                    try:
                        body = json.loads(body)
                    except ValueError:
                        from urllib.parse import parse_qs

                        parsed = parse_qs(body)
                        body = parsed if parsed else body
                data["server.request.body"] = body
            return data
        return {"server.request.body": event}

    def inspect(self, event: Any) -> bool:
        """True when a rule matched (new context per event, as per request)."""
        ctx = self.waf._at_request_start()
        if ctx is None:
            raise RuntimeError("libddwaf could not create a context")
        result = self.waf.run(ctx, self.addresses(event), timeout_ms=1000.0)
        return bool(result.data)


# --- measurements -------------------------------------------------------------------


def per_event(cases: list[dict[str, Any]], use_ddwaf: bool, rounds: int = 3) -> dict[str, Any]:
    guard = Guard()
    clear = guard.engine.clear_cache
    inbound = [c for c in cases if c.get("direction") != "outbound"]
    outbound = [c for c in cases if c.get("direction") == "outbound"]
    waf, waf_error = _libddwaf(use_ddwaf)
    # warm-up, untimed, both engines alike
    for c in inbound:
        guard.inspect_event(c["event"])
        if waf is not None:
            waf.inspect(c["event"])
    for c in outbound:
        guard.inspect_response(c.get("response"), c.get("event"))
    best_in: list[int] = []
    best_waf: list[int] = []
    waf_inspect = waf.inspect if waf is not None else None
    for _ in range(max(1, rounds)):  # alternate the engines, keep each event's fastest round
        clear()
        times = time_pass(inbound, lambda c: guard.inspect_event(c["event"]))
        best_in = times if not best_in else [min(a, b) for a, b in zip(best_in, times)]
        if waf_inspect is not None:
            times = time_pass(inbound, lambda c: waf_inspect(c["event"]))
            best_waf = times if not best_waf else [min(a, b) for a, b in zip(best_waf, times)]
    guard_in = best_in
    guard_out = time_each(outbound, lambda c: guard.inspect_response(c.get("response"), c.get("event")),
                          rounds, clear)
    report: dict[str, Any] = {
        "method": f"1 warm-up pass, then fastest of {max(1, rounds)} timed passes per event, "
                  "value cache emptied before each guard pass",
        "guard_all_cases": summary_ms(guard_in + guard_out),
        "guard_inbound_events": summary_ms(guard_in),
        "guard_outbound_responses": summary_ms(guard_out) if guard_out else None,
    }
    if waf_error:
        report["libddwaf"] = waf_error
    if waf is not None:
        _add_libddwaf(report, summary_ms(best_waf), waf.version)
        report["libddwaf_detection_on_these_events"] = {
            "attacks_matched": sum(waf.inspect(c["event"]) for c in inbound if c.get("label") == "attack"),
            "attacks": sum(1 for c in inbound if c.get("label") == "attack"),
        }
    return report


def _libddwaf(wanted: bool) -> tuple[LibDDWaf | None, str]:
    """libddwaf when ``wanted`` and ddtrace works here, else None and why not ("" when not wanted)."""
    if not wanted:
        return None, ""
    try:
        return LibDDWaf(), ""
    except Exception as exc:  # ddtrace missing or incompatible
        return None, f"unavailable: {exc.__class__.__name__}: {exc}"


def _add_libddwaf(report: dict[str, Any], waf: dict[str, float], version: str) -> None:
    """Add libddwaf's figures to ``report`` and the guard/libddwaf ratios of median, p99 and mean."""
    guard = report["guard_inbound_events"]
    report["libddwaf_inbound_events"] = {**waf, "version": version}
    report["ratio_guard_over_libddwaf"] = {
        key: round(guard[f"{key}_ms"] / waf[f"{key}_ms"], 3) for key in ("median", "p99", "mean")
    }


def _timed_half(case: dict[str, Any]) -> bool:
    """True for the half of the cases timed by ``once`` when no warm-up file is given (stable draw)."""
    return hashlib.sha256(str(case.get("id", json.dumps(case, sort_keys=True))).encode()).digest()[0] % 2 == 0


def once_after_warmup(cases: list[dict[str, Any]], warm: list[dict[str, Any]] | None,
                      use_ddwaf: bool) -> dict[str, Any]:
    """Every inbound event timed once per engine, after both engines were warmed on other events."""
    if warm is None:
        warm = [c for c in cases if not _timed_half(c)]
        cases = [c for c in cases if _timed_half(c)]
    inbound = [c["event"] for c in cases if c.get("direction") != "outbound"]
    warm_events = [c["event"] for c in warm if c.get("direction") != "outbound"]
    guard = Guard()
    waf, waf_error = _libddwaf(use_ddwaf)
    for event in warm_events:
        guard.inspect_event(event)
        if waf is not None:
            waf.inspect(event)
    clock = time.perf_counter_ns
    guard_times: list[int] = []
    waf_times: list[int] = []
    for index, event in enumerate(inbound):
        order = ("guard", "waf") if index % 2 == 0 else ("waf", "guard")
        for engine in order:
            if engine == "guard":
                start = clock()
                guard.inspect_event(event)
                guard_times.append(clock() - start)
            elif waf is not None:
                start = clock()
                waf.inspect(event)
                waf_times.append(clock() - start)
    report: dict[str, Any] = {
        "method": f"warmed on {len(warm_events)} other events, then each of {len(inbound)} events "
                  "timed once per engine, engines taking turns going first",
        "guard_inbound_events": summary_ms(guard_times),
    }
    if waf_error:
        report["libddwaf"] = waf_error
    if waf is not None:
        _add_libddwaf(report, summary_ms(waf_times), waf.version)
    return report


def cold_start(runs: int) -> dict[str, Any]:
    """Cold start from a staged layer with its bytecode: ``bench_cold_start.measure`` (see there)."""
    from bench_cold_start import measure

    return measure(runs, bytecode=True)


ADVERSARIAL_UNITS = (
    # pattern rules
    "' or 1=1 ", "<a href=", "${${", "[[", "../", "%25", "select ", "1=1 ", "http://", "cast(",
    "if ", "\\x", "4111 1111 ", "at a.b(", "Exception: ",
    # the SQL lexer: quotes, comments, nesting
    "'", "\"", "/*", "-- ", "((", "' union ", "1e1union ",
    # the shell lexer: substitutions, quotes, escapes, braces, separators
    "$(", "`", "${", "\\", "{a,", "; ", "| id ", "| a | b |\nx | id\n", "x(a|",
    # the HTML lexer: comments, entities, unclosed tags and attributes
    "<!--", "&#x", "<<", "<img src=x ", "javascript:",
    # the path resolver (a run of dots was quadratic until the bypass pattern started at a run's first dot)
    "..\\", "..;/", "/etc", ".", ".;",
)


def linearity() -> dict[str, Any]:
    """Time per KiB of one big value as the size grows (benign text and adversarial runs)."""
    guard = Guard()
    words = "the quick brown fox jumps over the lazy dog while order 42 ships to Main Street, "
    sizes = (64 * 1024, 256 * 1024, 1024 * 1024)
    out: dict[str, Any] = {}
    inputs = {"benign_text": words, **{f"adversarial {u!r}": u for u in ADVERSARIAL_UNITS}}
    for name, unit in inputs.items():
        row = {}
        for size in sizes:
            value = (unit * (size // len(unit) + 1))[:size]
            event = {"version": "2.0", "rawPath": "/", "requestContext": {"http": {}}, "body": value}
            start = time.perf_counter()
            guard.inspect_event(event)
            guard.inspect_response({"statusCode": 200, "body": value})
            elapsed = time.perf_counter() - start
            row[f"{size // 1024}KiB_ms"] = round(elapsed * 1000, 1)
            row[f"{size // 1024}KiB_us_per_KiB"] = round(elapsed * 1e6 / (size / 1024), 1)
        row["growth_1MiB_over_64KiB_per_KiB"] = round(row["1024KiB_us_per_KiB"] / row["64KiB_us_per_KiB"], 2)
        out[name] = row
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", help="JSON-lines cases (format of ../shared/eval/cases.jsonl)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--no-ddwaf", action="store_true", help="do not compare with libddwaf")
    parser.add_argument("--cold-runs", type=int, default=15)
    parser.add_argument("--method", choices=("once", "fastest", "both"), default="both",
                        help="per-event timing: once after warm-up on other events, fastest of --rounds, or both")
    parser.add_argument("--warm", help="cases to warm both engines on for --method once (default: the untimed half)")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per engine (fastest kept)")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-linear", action="store_true")
    args = parser.parse_args(argv)
    with open(args.cases, encoding="utf-8") as fh:
        cases = list(read_cases(fh))
    report: dict[str, Any] = {"python": sys.version.split()[0], "cases": len(cases)}
    if args.method in ("once", "both"):
        warm = None
        if args.warm:
            with open(args.warm, encoding="utf-8") as fh:
                warm = list(read_cases(fh))
        report["per_event_once"] = once_after_warmup(cases, warm, not args.no_ddwaf)
    if args.method in ("fastest", "both"):
        report["per_event"] = per_event(cases, not args.no_ddwaf, args.rounds)
    if not args.skip_cold:
        report["cold_start"] = cold_start(args.cold_runs)
    if not args.skip_linear:
        report["linearity"] = linearity()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
