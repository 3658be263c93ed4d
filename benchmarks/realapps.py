"""The Aspect on real CDK apps: synthesize each app plain and with ``ProtectLambdas``, and compare.

``make realapps APPS=../shared/realapps`` (or ``python benchmarks/realapps.py APPS_DIR``) takes every
folder of ``APPS_DIR`` holding an ``app.py`` (a CDK app as ``cdk init`` makes it), and for each:

1. installs what the app's ``requirements.txt`` asks for beyond this project's environment
   (aws-cdk-lib, constructs and jsii come from this project's pins) into a private folder
   put first on its path, once (cached in ``--work``);
2. runs the app twice as the CDK CLI would (its ``cdk.json`` context in ``CDK_CONTEXT_JSON``, a
   fresh process each time): plain, and with ``Aspects.of(app).add(ProtectLambdas())`` added just
   before ``app.synth()`` (nothing in the app is edited);
3. reads both cloud assemblies and prints, per app: Lambda functions, protected / left unprotected
   (with the reasons the warnings give) / CDK's own handlers (skipped), resources added, the
   warnings protect-lambda gave, cfn-lint errors of the plain and the protected templates (and
   the new ones), synth time of each run.

Exit status: 0 when every app synthesized with the Aspect whenever it did without, and no
template gained a cfn-lint error; 1 otherwise (a crash, or a new error), 2 on bad arguments.
An app that does not synthesize even plain (a missing Docker, say) is reported, not counted.

Example:
    $ python benchmarks/realapps.py ../shared/realapps --work /tmp/realapps
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from protect_lambda_tools.local_template import protected_functions  # noqa: E402
#: Requirements this project's environment provides (its pinned versions are used).
PROVIDED = {"aws-cdk-lib", "constructs", "jsii", "boto3", "botocore", "pytest", "types-setuptools",
            "types-boto3", "cattrs", "setuptools"}
SYNTH_TIMEOUT_S = 600
#: What the Aspect did to each function (written by the protected run, beside its assembly).
OUTCOMES_FILE = "protect-lambda-outcomes.json"
#: Run by the child process: the app, with the Aspect added before synth when asked.
_CHILD = r'''
import json, os, runpy, sys
os.environ.setdefault("CDK_DISABLE_STACK_TRACE", "1")
import aws_cdk
protected = sys.argv[1] == "protected"
outcomes_file = sys.argv[2]
apps = []
original = aws_cdk.App.synth
def synth(self, *args, **kwargs):
    if protected and self not in apps:
        from protect_lambda_construct import ProtectLambdas
        aws_cdk.Aspects.of(self).add(ProtectLambdas())
    apps.append(self)
    return original(self, *args, **kwargs)
aws_cdk.App.synth = synth
sys.argv = ["app.py"]
sys.path.insert(0, os.getcwd())
runpy.run_path("app.py", run_name="__main__")
if protected:  # what the Aspect did to each function, read off the synthesized tree
    from aws_cdk import aws_lambda as lambda_
    from protect_lambda_construct.eligibility import is_cdk_handler
    outcomes = []
    for app in apps:
        for node in app.node.find_all():
            if not isinstance(node, lambda_.Function):
                continue
            warnings = [str(m.data) for m in node.node.metadata if m.type == "aws:cdk:warning"
                        and "protect-lambda" in str(m.data)]
            if node.node.try_find_child("Protection") is not None:
                status = "protected"
            elif is_cdk_handler(node):
                status = "cdk-handler"
            else:
                status = "skipped"
            outcomes.append({"path": node.node.path, "runtime": node.runtime.name, "status": status,
                             "warnings": warnings})
    with open(outcomes_file, "w") as handle:
        json.dump(outcomes, handle)
'''


@dataclass
class Run:
    """One synthesis of an app."""

    ok: bool
    seconds: float
    outdir: Path
    error: str = ""


@dataclass
class AppReport:
    """What the Aspect did to one app."""

    name: str
    plain: Run
    protected: Run | None = None
    functions: int = 0
    protected_count: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    internal: int = 0
    resources_added: int = 0
    warnings: dict[str, int] = field(default_factory=dict)
    lint_plain: int = 0
    lint_protected: int = 0
    new_lint: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """A crash with the Aspect where the plain app synthesized, or a new cfn-lint error."""
        return (self.plain.ok and (self.protected is None or not self.protected.ok)) or bool(self.new_lint)


def _requirements(app: Path) -> list[str]:
    file = app / "requirements.txt"
    if not file.is_file():
        return []
    wanted = []
    for line in file.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        name = re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].strip().lower().replace("_", "-")
        if name not in PROVIDED:
            wanted.append(line)
    return wanted


def _site(app: Path, work: Path) -> Path | None:
    """A folder with the app's own extra requirements (installed once), or None when it needs none."""
    wanted = _requirements(app)
    if not wanted:
        return None
    site = work / "site" / app.name
    marker = site / ".installed"
    if marker.is_file() and marker.read_text() == json.dumps(wanted):
        return site
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(site), "--no-deps", *wanted],
                   check=True, capture_output=True, text=True)
    marker.write_text(json.dumps(wanted))
    return site


def _context(app: Path) -> dict[str, Any]:
    try:
        data = json.loads((app / "cdk.json").read_text())
    except (OSError, ValueError):
        return {}
    context = data.get("context", {})
    return context if isinstance(context, dict) else {}


def synthesize(app: Path, mode: str, outdir: Path, site: Path | None) -> Run:
    """One synthesis of ``app`` (``plain`` or ``protected``) into ``outdir``, in a fresh process."""
    env = dict(os.environ)
    paths = [str(site)] if site else []
    paths.append(str(REPO))
    env["PYTHONPATH"] = os.pathsep.join(paths + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["CDK_OUTDIR"] = str(outdir)
    env["CDK_CONTEXT_JSON"] = json.dumps(_context(app))
    node = REPO / "node_modules" / ".bin" / "node"
    if node.exists():
        env.setdefault("JSII_NODE", str(node))
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, mode, str(outdir / OUTCOMES_FILE)], cwd=app,
                              env=env, capture_output=True, text=True, timeout=SYNTH_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return Run(False, time.perf_counter() - started, outdir, f"timed out after {SYNTH_TIMEOUT_S} s")
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return Run(False, seconds, outdir, " / ".join(lines[-3:])[-500:])
    return Run(True, seconds, outdir)


def _templates(outdir: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(outdir.rglob("*.template.json")):
        try:
            found[path.relative_to(outdir).as_posix()] = json.loads(path.read_text())
        except ValueError:
            continue
    return found


def _messages(outdir: Path) -> list[tuple[str, str, Any]]:
    """(path, type, data) of every metadata entry of every stack artifact, nested assemblies included."""
    entries = []
    for manifest in sorted(outdir.rglob("manifest.json")):
        data = json.loads(manifest.read_text())
        for artifact in data.get("artifacts", {}).values():
            metadata = dict(artifact.get("metadata") or {})
            extra = artifact.get("additionalMetadataFile")
            if extra and (manifest.parent / extra).is_file():  # newer assemblies keep it in a file of its own
                metadata.update(json.loads((manifest.parent / extra).read_text()))
            for path, items in metadata.items():
                for item in items:
                    entries.append((path, str(item.get("type")), item.get("data")))
    return entries


def _lint(templates: dict[str, dict[str, Any]], root: Path) -> list[str]:
    """cfn-lint errors (E... rules) of each template, as ``template: rule: message`` lines."""
    if not templates:
        return []
    paths = [str(root / name) for name in templates]
    done = subprocess.run([sys.executable, "-m", "cfnlint", "--format", "json", "--", *paths], capture_output=True,
                          text=True, check=False)
    try:
        matches = json.loads(done.stdout or "[]")
    except ValueError:
        return [f"cfn-lint failed: {done.stderr.strip()[-300:]}"]
    return sorted({f"{Path(m['Filename']).name}: {m['Rule']['Id']}: {m['Message']}" for m in matches
                   if m.get("Level") == "Error"})


def _without_asset_paths(line: str) -> str:
    return re.sub(r"[0-9a-f]{64}", "<hash>", line)


def report_app(app: Path, work: Path) -> AppReport:
    """Both syntheses of ``app`` and what changed."""
    site = _site(app, work)
    plain = synthesize(app, "plain", work / "out" / app.name / "plain", site)
    report = AppReport(app.name, plain)
    if not plain.ok:
        return report
    report.protected = synthesize(app, "protected", work / "out" / app.name / "protected", site)
    before, after = _templates(plain.outdir), _templates(report.protected.outdir)
    functions = [r for t in before.values() for r in t.get("Resources", {}).values()
                 if r.get("Type") == "AWS::Lambda::Function"]
    report.functions = len(functions)
    report.lint_plain = len(_lint(before, plain.outdir))
    if not report.protected.ok:
        return report
    report.resources_added = (sum(len(t.get("Resources", {})) for t in after.values())
                              - sum(len(t.get("Resources", {})) for t in before.values()))
    # the guard wrapper (Python) or the proxy extension (other runtimes)
    report.protected_count = sum(len(protected_functions(t)) for t in after.values())
    for path, kind, data in _messages(report.protected.outdir):
        text = str(data)
        if kind == "aws:cdk:warning" and "protect-lambda" in text:
            warning_id = text.rsplit("[ack: ", 1)[-1].rstrip("]") if "[ack: " in text else "protect-lambda"
            report.warnings[warning_id] = report.warnings.get(warning_id, 0) + 1
    outcomes_file = report.protected.outdir / OUTCOMES_FILE
    outcomes = json.loads(outcomes_file.read_text()) if outcomes_file.is_file() else []
    for outcome in outcomes:
        if outcome["status"] == "cdk-handler":
            report.internal += 1
        elif outcome["status"] == "skipped":
            texts = [t for t in outcome["warnings"] if "unprotected:" in t]
            reason = (texts[0].split("unprotected: ", 1)[1].split(";")[0].split(" [ack")[0][:110] if texts
                      else "excluded, no warning")
            report.skipped[reason] = report.skipped.get(reason, 0) + 1
    lint_after = _lint(after, report.protected.outdir)
    report.lint_protected = len(lint_after)
    plain_lint = {_without_asset_paths(line) for line in _lint(before, plain.outdir)}
    report.new_lint = [line for line in lint_after if _without_asset_paths(line) not in plain_lint]
    return report


def render(reports: list[AppReport]) -> str:
    """The table (Markdown) and the details."""
    rows = ["| app | functions | protected | left unprotected | CDK's own (skipped) | resources added "
            "| cfn-lint errors plain → protected (new) | synth s plain / protected | result |",
            "|---|---|---|---|---|---|---|---|---|"]
    details = []
    for r in reports:
        if not r.plain.ok:
            rows.append(f"| {r.name} | | | | | | | {r.plain.seconds:.1f} / | plain synth fails |")
            details.append(f"{r.name}: the app does not synthesize without protect-lambda: {r.plain.error}")
            continue
        assert r.protected is not None
        unprotected = sum(r.skipped.values())
        result = "CRASH" if not r.protected.ok else ("NEW LINT ERROR" if r.new_lint else "ok")
        rows.append(f"| {r.name} | {r.functions} | {r.protected_count} | {unprotected} | {r.internal} "
                    f"| {r.resources_added} | {r.lint_plain} → {r.lint_protected} ({len(r.new_lint)}) "
                    f"| {r.plain.seconds:.1f} / {r.protected.seconds:.1f} | {result} |")
        if not r.protected.ok:
            details.append(f"{r.name}: synth with the Aspect failed: {r.protected.error}")
        for reason, count in sorted(r.skipped.items()):
            details.append(f"{r.name}: {count} left unprotected: {reason}")
        for warning, count in sorted(r.warnings.items()):
            details.append(f"{r.name}: warning {warning} x{count}")
        details.extend(f"{r.name}: new cfn-lint error: {line}" for line in r.new_lint)
    return "\n".join(rows + [""] + details)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="realapps", description=__doc__.splitlines()[0])
    parser.add_argument("apps", type=Path, help="folder of CDK apps (each a folder with app.py)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/protect-lambda-realapps"),
                        help="where the apps' extra packages and cloud assemblies go")
    parser.add_argument("--only", nargs="*", default=[], help="only these apps (folder names)")
    parser.add_argument("--json", type=Path, help="also write the reports as JSON to this file")
    args = parser.parse_args(argv)
    if not args.apps.is_dir():
        print(f"realapps: {args.apps}: no such folder", file=sys.stderr)
        return 2
    apps = [p for p in sorted(args.apps.iterdir()) if (p / "app.py").is_file()
            and (not args.only or p.name in args.only)]
    reports = []
    for app in apps:
        print(f"... {app.name}", file=sys.stderr, flush=True)
        reports.append(report_app(app.resolve(), args.work.resolve()))
    print(render(reports))
    if args.json:
        args.json.write_text(json.dumps([{**r.__dict__, "plain": r.plain.__dict__ | {"outdir": str(r.plain.outdir)},
                                          "protected": None if r.protected is None else
                                          r.protected.__dict__ | {"outdir": str(r.protected.outdir)}}
                                         for r in reports], indent=1, default=str))
    return 1 if any(r.failed for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
