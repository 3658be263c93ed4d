"""XSS detector: decide cross-site scripting from the structure a value forms as HTML or script.

The value is read as the guard normalised it (decoded, NFKC, lower case). A small HTML
lexer reads it the way a browser would (tags, attributes, quoted and bare values) in the
contexts an injection starts in: as text, as the rest of a quoted attribute value (after a
closing quote), as the rest of an unquoted one, and as the rest of a JavaScript string.
What is reported is *structure* that can run script, never a payload from a list: a harmless
tag with harmless attributes (``<a href="...">``, ``<strong>``, ``<meta name=...>``) is not
XSS, a script-capable construct is.

Kinds, reported as ``(kind, start, end)`` spans of the text. *Strong* kinds are XSS on their
own; *weak* ones are suspicious only (rules should put them at higher sensitivity levels):

======================= ====== ==========================================================
kind                    weight structure
======================= ====== ==========================================================
``script-tag``          strong a ``<script`` element with attributes or script content
                               (also ``<x:script``, ``< script >``)
``active-tag``          strong an element that embeds, loads, navigates or binds active
                               content: iframe/frame/object/embed/applet loading something,
                               ``<base href>``, ``<meta http-equiv=refresh|set-cookie|link>``
                               or a charset switch, ``<link href>`` not inert, ``<?import>``,
                               ``<?xml-stylesheet>``, ``<xsl:stylesheet>``, ``<xi:include>``,
                               SVG ``<set>/<animate>`` of a handler or link, XML Events
                               handlers, IE data binding (``dataformatas=html``), DTD
                               external entities, server-side includes (``<!--#exec``)
``event-handler``       strong an ``on*=`` attribute inside a tag (also hidden in another
                               value, on a closing tag, as a DTD default), or a framework
                               event directive (``ng-click``, ``@click``) reaching a sink
``script-url``          strong a script-capable URL (javascript:, vbscript:, data:text/html,
                               ``&{...}``; control characters, spaces, comments inside the
                               scheme allowed) in an attribute, or in text at the start,
                               after ``= ( , :`` or a quote, or with a script body
``attribute-injection`` strong a handler, style or script-URL attribute outside any tag:
                               after a closing quote (``" onmouseover="...``), at the start
                               of the value (`` onfocus=...``), or ``onload=alert(1)`` in text
``style-script``        strong CSS that runs script: ``expression()``, ``behavior:``,
                               ``-moz-binding``, ``-o-link``, ``url(javascript:...)``,
                               ``<style type=text/javascript>``
``js-breakout``         strong leaving a JavaScript string or statement to reach a sink
                               (``';alert(1)//``, ``${alert(1)}``), closing ``</script>``
``template-injection``  strong a ``{{...}}`` expression reaching the Function constructor,
                               ``$eval`` or a sink (AngularJS sandbox escapes)
``js-sink``             weak   the value itself is a JavaScript expression reaching a sink:
                               ``alert(1)``, ``document.cookie``, ``top['alert']``, JSFuck,
                               a tagged-template call (``[].sort.call`...```)
``markup``              weak   markup that changes parsing or styling without running script:
                               ``<svg>``/``<math>`` alone or around a link, ``<style>`` with
                               an ``@import`` or tricks, ``<xmp>``, ``<plaintext>``, a bare
                               ``<script>``/``<iframe>`` before more markup, CSS breaking out
                               of a style attribute, obfuscated URL hosts, ``"><tag`` after a
                               closing quote, charset-encoded markup
``probe``               weak   the value is a lone ``<`` (an encoded-``<`` probe)
======================= ====== ==========================================================

Values disguised by a charset trick (UTF-7 ``+adw-script+ad4-``, high-bit-stripped
``1⁄4script3⁄4``, split by CDATA sections) are decoded and read again; what is found there is
reported as a span over the whole value.

Linear time: regexes are free of nested quantifiers and run with ``match`` at a position, a
bounded window or one left-to-right pass; tags are lexed without overlap (markup inside an
attribute value is lexed again, :data:`MAX_DEPTH` levels at most); a breakout context reads
at most :data:`MAX_BREAKOUT_ATTRIBUTES` attributes within :data:`WINDOW` characters, and a
quote that closed a value read from an earlier quote is not read again.

Example:
    >>> detect('<img src=x onerror=alert(1)>')
    [('event-handler', 11, 27)]
    >>> detect('<a href="%(link)s">docutils</a>')
    []
    >>> [kind for kind, _, _ in detect("';alert(1)//")]
    ['js-breakout']
"""

from __future__ import annotations

import re

from protect_lambda.detectors import compile_rx, stopped
from bisect import bisect_left

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Final

    Span = tuple[str, int, int]
    #: name, value without quotes (None: no ``=``), name start, value start, value end, end
    Attribute = tuple[str, str | None, int, int, int, int]

# --- data -----------------------------------------------------------------------------------

#: Kinds this detector reports, and their weight ("strong": XSS alone; "weak": suspicious).
KINDS: Final = {
    "script-tag": "strong",
    "active-tag": "strong",
    "event-handler": "strong",
    "script-url": "strong",
    "attribute-injection": "strong",
    "style-script": "strong",
    "js-breakout": "strong",
    "template-injection": "strong",
    "js-sink": "weak",
    "markup": "weak",
    "probe": "weak",
}

#: Elements that run script by being there (with a source or script content).
SCRIPT_TAGS: Final = frozenset({"script"})
#: Elements that embed documents or plug-ins (active when they load something).
EMBED_TAGS: Final = frozenset({
    "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "vmlframe",
    "fencedframe",
})
#: Attributes through which an embedding element loads something.
LOADING_ATTRIBUTES: Final = frozenset({
    "src", "data", "code", "codebase", "classid", "archive", "srcdoc", "object", "href",
    "xlink:href", "movie", "name", "implementation",
})
#: Elements that change how the rest of the page is tokenised or styled (mutation XSS,
#: parser differentials); weak, and only alone, with attributes or before more markup.
PARSER_TAGS: Final = frozenset({
    "svg", "math", "style", "template", "plaintext", "xmp", "noscript", "noembed", "noframes",
    "listing", "isindex",
})
#: Foreign-content roots: weak only alone or before an element that links, styles or scripts
#: (``<svg><path .../>`` is a drawing, ``<math><mi>x</mi>`` a formula).
FOREIGN_TAGS: Final = frozenset({"svg", "math"})
FOREIGN_ESCAPES: Final = frozenset({
    "a", "image", "use", "foreignobject", "animate", "set", "style", "script", "iframe", "img",
    "mtext", "mglyph", "annotation-xml", "handler", "listener", "maction", "discard", "feimage",
})
#: Names that still make a tag when spaces follow the ``<`` (``< script >``; ``a < b`` is text).
SPACED_TAGS: Final = SCRIPT_TAGS | EMBED_TAGS
#: Namespaced elements (full names) that transform or include documents.
NAMESPACED_ACTIVE: Final = frozenset({"xsl:stylesheet", "xsl:transform", "xi:include"})
#: Processing instructions that bind behaviours or style sheets (``<?import implementation=``).
ACTIVE_INSTRUCTIONS: Final = frozenset({"import", "xml-stylesheet"})
#: XML Events / SVG Tiny elements attaching script to an event (with one of these attributes).
XML_EVENT_TAGS: Final = frozenset({"handler", "listener"})
XML_EVENT_ATTRIBUTES: Final = ("event", "ev:event", "handler")
#: SVG animations, and the attributes whose animation injects script, a link or markup.
SVG_ANIMATIONS: Final = frozenset({
    "set", "animate", "animatemotion", "animatetransform", "animatecolor",
})
ANIMATED_TARGETS: Final = frozenset({
    "href", "xlink:href", "innerhtml", "outerhtml", "src", "style", "values",
})
#: ``<meta http-equiv=...>`` values that navigate, set cookies or load resources.
META_EQUIV: Final = frozenset({"refresh", "set-cookie", "link"})
#: Charsets whose switch turns ASCII-looking bytes into markup.
CHARSET_TRICKS: Final = ("utf-7", "utf7", "imap4", "iso-2022", "x-user-defined")
#: ``<link rel=...>`` values that load nothing active (any other ``<link href>`` is active).
INERT_LINK_RELS: Final = frozenset({
    "canonical", "icon", "shortcut", "alternate", "author", "license", "help", "next", "prev",
    "preconnect", "dns-prefetch", "apple-touch-icon", "me", "search", "manifest", "nofollow",
    "noopener", "noreferrer", "bookmark", "tag", "external", "shortlink", "opener",
    "privacy-policy", "terms-of-service", "webmention", "pingback", "first", "last", "up",
    "edit", "archives", "self", "enclosure", "related", "via", "hub", "replies", "edit-media",
    "payment", "service", "index", "start", "contents", "chapter", "section", "subsection",
    "appendix", "glossary", "copyright",
})
#: Server-side include directives (``<!--#exec cmd=...-->``).
SSI_DIRECTIVES: Final = ("exec", "include", "echo", "set", "config", "printenv", "fsize",
                         "flastmod")
#: Attributes holding a URL (a script scheme there runs; a ``data:`` URL may).
URL_ATTRIBUTES: Final = frozenset({
    "href", "src", "action", "formaction", "xlink:href", "data", "background", "dynsrc",
    "lowsrc", "poster", "code", "codebase", "archive", "classid", "cite", "longdesc", "profile",
    "manifest", "icon", "ping", "from", "to", "values", "by", "folder", "datasrc", "content",
    "srcset", "srcdoc", "xml:base", "implementation", "usemap", "pluginspage", "filter", "value",
})
#: URL schemes that run script.
SCRIPT_SCHEMES: Final = frozenset({
    "javascript", "vbscript", "livescript", "mocha", "jscript", "ecmascript",
})
#: ``data:`` media types a browser renders as a document or runs.
ACTIVE_MEDIA_TYPES: Final = (
    "text/html", "application/xhtml", "image/svg", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "application/x-javascript", "text/ecmascript",
    "text/vbscript", "text/xsl", "application/x-shockwave-flash", "text/x-scriptlet",
)
#: ``data:`` media types that are inert wherever they are used; any other ``data:`` URL in a
#: URL attribute is taken as a document.
INERT_MEDIA_TYPES: Final = (
    "image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/bmp", "image/avif",
    "image/x-icon", "image/vnd.microsoft.icon", "image/apng", "audio/", "video/", "font/",
    "application/font", "application/x-font", "text/plain", "text/css", "text/csv",
    "application/json", "application/pdf", "application/octet-stream",
)
#: Elements for which any ``data:`` URL in a URL attribute is active content.
DATA_EXEC_TAGS: Final = frozenset({
    "script", "iframe", "frame", "object", "embed", "applet", "base", "link", "portal", "meta",
    "import",
})
#: Bodies of a ``javascript:`` URL that do nothing (``<a href="javascript:void(0)">``).
NOOP_SCRIPT_BODIES: Final = frozenset({"", ";", "void(0)", "void(0);", "void0", "void0;"})
#: Event names: ``on`` + name is a handler attribute. Names not listed count inside a tag, or
#: outside one when short (:data:`MAX_UNKNOWN_EVENT`) and the value is script-like.
_EVENT_NAMES: Final = """
abort activate afterprint afterscriptexecute afterupdate animationcancel animationend
animationiteration animationstart auxclick beforeactivate beforecopy beforecut
beforedeactivate beforeeditfocus beforeinput beforematch beforepaste beforeprint
beforescriptexecute beforetoggle beforeunload beforeupdate begin blur bounce cancel canplay
canplaythrough cellchange change click close command contentvisibilityautostatechange
contextlost contextmenu contextrestored controlselect copy cuechange cut dataavailable
datasetchanged datasetcomplete dblclick deactivate devicemotion deviceorientation drag dragend
dragenter dragexit dragleave dragover dragstart drop durationchange emptied encrypted end ended
error errorupdate filterchange finish focus focusin focusout formchange formdata forminput
fullscreenchange fullscreenerror gesturechange gestureend gesturestart hashchange help input
invalid keydown keypress keyup languagechange layoutcomplete load loadeddata loadedmetadata
loadend loadstart losecapture message messageerror mousedown mouseenter mouseleave mousemove
mouseout mouseover mouseup mousewheel move moveend movestart mozfullscreenchange
mozpointerlockchange offline online orientationchange pagehide pagereveal pageshow pageswap
paste pause play playing pointercancel pointerdown pointerenter pointerleave pointerlockchange
pointerlockerror pointermove pointerout pointerover pointerrawupdate pointerup popstate progress
propertychange ratechange readystatechange rejectionhandled repeat reset resize rowenter rowexit
rowsdelete rowsinserted scroll scrollend scrollsnapchange scrollsnapchanging search
securitypolicyviolation seeked seeking select selectionchange selectstart show slotchange
stalled start storage submit suspend svgabort svgerror svgload svgresize svgscroll svgunload
svgzoom timer timeupdate toggle touchcancel touchend touchmove touchstart transitioncancel
transitionend transitionrun transitionstart unhandledrejection unload visibilitychange
volumechange waiting webkitanimationend webkitanimationiteration webkitanimationstart
webkitmouseforcechanged webkitmouseforcedown webkitmouseforceup webkitmouseforcewillbegin
webkitplaybacktargetavailabilitychanged webkitpresentationmodechanged webkittransitionend
webkitwillrevealbottom wheel zoom
"""
EVENTS: Final = frozenset(_EVENT_NAMES.split())
#: Longest handler name (after ``on``) accepted outside a tag when it is not in :data:`EVENTS`.
MAX_UNKNOWN_EVENT: Final = 25
#: Attribute prefixes of framework event directives, and directives that evaluate their value.
FRAMEWORK_EVENT_PREFIXES: Final = ("data-ng-", "x-ng-", "ng-", "v-on:", "x-on:", "@", "on:")
FRAMEWORK_DIRECTIVES: Final = frozenset({"init", "bind-html-unsafe"})
#: Functions whose call is a script sink.
SINK_CALLS: Final = (
    "alert", "prompt", "confirm", "eval", "settimeout", "setinterval", "setimmediate",
    "execscript", "msgbox", "showmodaldialog", "showmodelessdialog",
)
#: Further calls that count once a JavaScript string or statement has been left.
BREAKOUT_SINKS: Final = SINK_CALLS + ("function", "import", "fetch", "open", "atob", "write",
                                      "print")
#: Global objects through which script reaches the page, and their sensitive members.
JS_GLOBALS: Final = ("document", "window", "self", "top", "parent", "globalthis", "frames")
DOM_MEMBERS: Final = (
    "cookie", "domain", "location", "write", "writeln", "queryselector", "queryselectorall",
    "getelementbyid", "getelementsbytagname", "getelementsbyclassname", "getelementsbyname",
    "createelement", "body", "documentelement", "execcommand", "open", "eval", "alert",
)
#: What a template expression (``{{...}}``) uses to escape its sandbox.
TEMPLATE_ESCAPES: Final = ("constructor", "$eval(", "__proto__", "fromcharcode", "$event.view")
#: CSS properties and functions that run script or bind behaviours (checked after CSS escapes,
#: comments and spaces are removed).
CSS_ACTIVE_PROPERTIES: Final = ("behavior", "behaviour", "binding", "-moz-binding", "-o-link")
CSS_ACTIVE_FUNCTIONS: Final = ("expression",)
#: UTF-7 forms (case folded) of ``< > " ' / = ( )``.
UTF7_MARKUP: Final = {
    "+adw-": "<", "+ad4-": ">", "+aci-": '"', "+acc-": "'", "+ac8-": "/", "+ad0-": "=",
    "+acg-": "(", "+ack-": ")", "+ad4apa-": "><", "+adwalw-": "</",
}
#: A breakout context reads at most this many attributes after a quote...
MAX_BREAKOUT_ATTRIBUTES: Final = 6
#: ... within this many characters (also the window of URL, style and script checks).
WINDOW: Final = 400
#: Markup inside attribute values is lexed again, this many levels deep at most.
MAX_DEPTH: Final = 2

# --- patterns -------------------------------------------------------------------------------

_SP: Final = r"\s\x00-\x20"  # body of a character class: spaces and control characters
_G: Final = rf"[{_SP}]{{0,20}}"  # what may split the letters of a scheme
_SINKS: Final = "|".join(SINK_CALLS)
_BREAKOUT_SINKS: Final = "|".join(BREAKOUT_SINKS)
_GLOBALS: Final = "|".join(JS_GLOBALS)
_MEMBERS: Final = "|".join(DOM_MEMBERS)

#: Prefilter: a value with none of these (and not starting as script) forms nothing reported.
_PREFILTER: Final = compile_rx(r"[<'\"`;(\[{:=]|\+ad|\u2044")

# markup
#: A tag opening: 1 slash, 2 spaces, 3 name | 4 ``!--`` | 5 ``?`` + name | 6 ``!``.
_TAG_OPEN: Final = compile_rx(
    rf"<([{_SP}]{{0,3}}/)?([{_SP}]{{0,3}})([a-z][a-z0-9_.:-]{{0,60}})"
    rf"|<(!--)|<\?([a-z][a-z0-9_.:-]{{0,60}})|<(!)"
)
_SEPARATORS: Final = compile_rx(rf"[{_SP}/]*")
#: One attribute: 1 name, 2 value (quoted, maybe unclosed, or bare).
_ATTR: Final = compile_rx(
    rf"[{_SP}/]*([^{_SP}/>=<\"'`][^{_SP}/>=<\"'`]*)"
    rf"(?:[{_SP}]*=[{_SP}]*(\"[^\"]*\"?|'[^']*'?|`[^`]*`?|[^{_SP}>\"'`<]*))?"
)
_HANDLER_NAME: Final = compile_rx(r"on([a-z]{3,60})")
#: A handler written as text (outside a tag, or hidden in a value): ``onload=``.
_HANDLER_TEXT: Final = compile_rx(rf"(?<![a-z0-9_$.-])on([a-z]{{3,60}})[{_SP}]{{0,10}}=")
_DECLARED_HANDLER: Final = compile_rx(r"(?<![a-z0-9_$.:-])on([a-z]{3,60})(?![a-z0-9_$.:-])")
_EXTERNAL_ENTITY: Final = compile_rx(rf"[{_SP}](?:system|public)[{_SP}'\"]")
#: The end of a ``<script>`` (also JS-escaped: ``<\\/script>``).
_SCRIPT_CLOSE: Final = compile_rx(r"<[\\\s/]{1,4}script")
#: Content of a ``<script>`` that is script, not prose (``<script> tags are escaped``, ``in a
#: <script> tag. Then``: a member access has a name right after its dot).
_SCRIPT_CONTENT: Final = compile_rx(
    r"\s{0,20}(?:[a-z_$][a-z0-9_$]{0,40}\s{0,3}(?:[(=\[;:`]|\.[a-z_$]|\.\s{1,3}[a-z_$][a-z0-9_$]{0,40}\s{0,3}[(=\[.`])"
    r"|(?:var|let|const)\s{1,3}[a-z_$]"
    r"|[({\[~!/'\"]|[0-9]{1,20}\s{0,3}[<;+*/),-])"
)
#: A URL whose scheme is cut by control characters or whose host is written in hex, octal or
#: as one number (filter evasion): ``htt\\tp://``, ``http://0x42.0x66.0x7.0x93/``.
_OBFUSCATED_URL: Final = compile_rx(
    rf"[{_SP}]{{0,5}}(?:[a-z]{{1,10}}[{_SP}][a-z{_SP}]{{0,10}}://"
    rf"|[a-z][a-z0-9+.-]{{0,20}}://(?:[^/@{_SP}]{{0,64}}@)?"
    rf"(?:(?:0x[0-9a-f]{{1,8}}|0[0-7]{{1,11}})[./:?#]"
    rf"|(?:0x[0-9a-f]{{1,8}}|0[0-7]{{1,11}}|[0-9]{{8,10}})(?:[/:?#]|$)))"
)

# URLs
#: The scheme at the start of a URL value (after control characters are removed).
_URL_SCHEME: Final = compile_rx(r"[^a-z0-9]{0,12}([a-z][a-z0-9+.-]{0,20}):")
#: A script scheme in text (letters may be split by spaces or control characters); ``data:``.
_TEXT_SCHEME: Final = compile_rx(
    rf"(?:j{_G}a{_G}v{_G}a|v{_G}b|l{_G}i{_G}v{_G}e|e{_G}c{_G}m{_G}a|j)"
    rf"{_G}s{_G}c{_G}r{_G}i{_G}p{_G}t{_G}:|mocha:|data[{_SP}]{{0,5}}:"
)
#: The start of a script body: a comment, an operator, a string, a call, an index...
_SCRIPT_BODY: Final = compile_rx(r"(?:[/!~+'\"`({\[;-]|[a-z_$][a-z0-9_$.]{0,40}\s{0,3}[(`\[=;])")
#: A URL in text runs to a space, a quote or an angle bracket.
_URL_BODY: Final = compile_rx(r"[^\s'\"`<>]*")
#: ``data:`` followed by markup: ``data:,<svg onload=...>``.
_DATA_MARKUP: Final = compile_rx(r"[^,]{0,60},\s{0,5}<[a-z]")
_CONTROL: Final = compile_rx(rf"[{_SP}]+|\\0")
_CDATA_MARK: Final = compile_rx(r"<!\[cdata\[|\]\]>?")
_HTML_COMMENT: Final = compile_rx(r"<!--[^>]{0,100}-->")

# CSS
_CSS_ESCAPE: Final = compile_rx(r"\\([0-9a-f]{1,6})[ \t]?")
_CSS_HEX: Final = compile_rx(r"\\0{0,4}[0-9a-f]{2}")
_CSS_NOISE: Final = compile_rx(rf"/\*[^*]{{0,200}}\*/|[\\{_SP}]+")
_CSS_ACTIVE: Final = compile_rx(
    rf"(?<![a-z-])(?:{'|'.join(CSS_ACTIVE_PROPERTIES)}):|(?:{'|'.join(CSS_ACTIVE_FUNCTIONS)})\("
    r"|(?:java|vb|live)script:|url\(['\"]?(?:java|vb|live)script"
)
#: CSS tricks in text (outside any style attribute).
_CSS_TEXT: Final = compile_rx(
    rf"[:=][{_SP}]{{0,5}}expression[{_SP}]{{0,5}}\(|behaviou?r[{_SP}]{{0,5}}:[{_SP}]{{0,5}}url"
    rf"|-moz-binding[{_SP}]{{0,5}}:|-o-link[{_SP}]{{0,5}}:"
    rf"|url[{_SP}]{{0,5}}\([{_SP}'\"]{{0,5}}(?:java|vb|live)script"
)
_CSS_BLOCK: Final = compile_rx(r"\{([^{}]{0,400})\}")
#: CSS strings and ``url()`` (a declaration must not hide in them).
_CSS_STRING: Final = compile_rx(r"'[^']{0,300}'|\"[^\"]{0,300}\"|url\([^)]{0,300}\)")
_CSS_DECLARATION: Final = compile_rx(r";\s{0,5}[a-z-]{2,30}\s{0,5}:")

# attribute contexts
#: A quote that may close an attribute value (not an apostrophe inside a word: ``it's on``).
_QUOTE_ANCHOR: Final = compile_rx(
    rf"(?<![a-z])'(?=[{_SP}/]{{0,20}}[a-z])|'(?=[{_SP}/]{{1,20}}[a-z])|\"(?=[{_SP}/]{{0,20}}[a-z])"
)
#: ``"><tag`` : a quote, the end of the tag, a new tag.
_BREAKOUT_TAG: Final = compile_rx(rf"['\"`][{_SP}/]{{0,5}}>[{_SP}]{{0,5}}<[a-z]")
_JS_LIKE: Final = compile_rx(r"[(`]|script:")
_IDENT_START: Final = compile_rx(r"[a-z_$]")

# JavaScript contexts
#: A value that starts as a JavaScript expression reaching a sink.
_JS_START: Final = compile_rx(
    rf"(?:[a-z_$][a-z0-9_$]{{0,20}}[{_SP}]{{0,3}}=[{_SP}]{{0,3}}['\"`]?|\$\{{)?"
    rf"[{_SP};,(!~+-]{{0,6}}(?:"
    rf"(?:{_SINKS})\s{{0,5}}(?:\(|`)"
    rf"|(?:{_GLOBALS})\s{{0,5}}(?:\[\s{{0,5}}['\"`]"
    rf"|\.\s{{0,5}}(?:{_MEMBERS})(?![a-z0-9_$])(?=\s{{0,5}}(?:$|[.(\[=;,)+`-])))"
    rf"|[a-z0-9_$.\[\]\s]{{0,40}}\.\s{{0,5}}(?:call|apply|bind)\s{{0,5}}`"
    rf"|reflect\s{{0,5}}\.\s{{0,5}}(?:apply|construct|get|set)\s{{0,5}}\("
    rf")"
)
#: A value reaching a sink: a sink call, a global object, a script URL.
_JS_SINKY: Final = compile_rx(
    rf"(?:{_BREAKOUT_SINKS})\s{{0,5}}(?:\(|`)|(?:{_GLOBALS}|location)\s{{0,5}}[.\[]|script:"
)
_SINK_CALL: Final = compile_rx(rf"(?<![a-z0-9_$])(?:{_BREAKOUT_SINKS})\s{{0,5}}(?:\(|`)")
#: JSFuck: a run of ``[]()!+`` (``+`` may have become a space).
_JSFUCK: Final = compile_rx(r"[\[\]()!+\s]{4,}")
#: Leaving a string (a quote and an operator), a statement (``;``) or a template literal
#: (``${``), then a sink.
_JS_BREAK: Final = compile_rx(
    rf"(?:\\?['\"`][\s)\]}}]{{0,5}}[;,+*/%&|^~!?:<>-]|;|\$\{{)"
    rf"[\s!~+(-]{{0,5}}(?:(?:{_BREAKOUT_SINKS})\s{{0,5}}(?:\(|`)"
    rf"|(?:{_GLOBALS}|location)\s{{0,5}}(?:\.\s{{0,5}}[a-z]|\[))"
)
#: What follows a sink call when the rest of the original script is neutralised.
_JS_TAIL: Final = compile_rx(
    r"[^()]{0,80}\)[\s;]{0,5}(?://|<!--|[+-]\s{0,5}\\?['\"`]|[a-z_$]{1,20}\s{0,5}=\s{0,5}\\?['\"`])"
)

# charset tricks
_UTF7_TOKEN: Final = compile_rx(r"\+a[a-z0-9]{1,6}-")
_STRIPPED: Final = compile_rx(r"[13]\u20444")

#: Every compiled pattern (the tests check that none has nested quantifiers).
PATTERNS: Final = (
    _PREFILTER, _TAG_OPEN, _SEPARATORS, _ATTR, _HANDLER_NAME, _HANDLER_TEXT, _DECLARED_HANDLER,
    _EXTERNAL_ENTITY, _SCRIPT_CLOSE, _SCRIPT_CONTENT, _OBFUSCATED_URL, _URL_SCHEME, _TEXT_SCHEME,
    _SCRIPT_BODY, _URL_BODY, _DATA_MARKUP, _CONTROL, _CDATA_MARK, _HTML_COMMENT, _CSS_ESCAPE,
    _CSS_HEX, _CSS_NOISE, _CSS_ACTIVE, _CSS_TEXT, _CSS_BLOCK, _CSS_STRING, _CSS_DECLARATION, _QUOTE_ANCHOR,
    _BREAKOUT_TAG, _JS_LIKE, _IDENT_START, _JS_START, _JS_SINKY, _SINK_CALL, _JSFUCK, _JS_BREAK, _JS_TAIL,
    _UTF7_TOKEN, _STRIPPED,
)

_BARE_NAMES: Final = SCRIPT_TAGS | EMBED_TAGS | PARSER_TAGS  # judged even without attributes
_HIDDEN_HANDLER_AFTER: Final = frozenset(" \t\n\r\x0b\x0c\"'`/;]")
_URL_ANCHORS: Final = ("=", "(", ",", "'", '"', "`", ":", ">", "{")
_AFTER_EXPRESSION: Final = frozenset(";/>.)+-`<,&|?]}'\"#*=!")


# --- detector -------------------------------------------------------------------------------


def detect(text: str, stop: frozenset[str] = frozenset()) -> list[Span]:
    """Return the XSS structures that ``text`` (a normalised value) forms; reading ends after the
    context in which a kind of ``stop`` was found (it decides the value: the guard's engine passes
    the kinds of its blocking rules).

    Example:
        >>> detect('" onmouseover="alert(1)')
        [('attribute-injection', 2, 23)]
        >>> detect("a < b and c > d")
        []
    """
    if not text or (_PREFILTER.search(text) is None and _JS_START.match(text) is None):
        return []
    found: list[Span] = []
    if _scan(text, found, stop):
        return _dedupe(found)
    decoded = _decode_tricks(text)
    if decoded != text:
        inner: list[Span] = []
        _scan(decoded, inner)
        if not inner and _TAG_OPEN.search(decoded) and "<" not in text.replace("<![cdata[", ""):
            inner.append(("markup", 0, 0))  # markup written in a charset trick
        found.extend((kind, 0, len(text)) for kind, _, _ in inner)
    return _dedupe(found)


def _scan(text: str, out: list[Span], stop: frozenset[str] = frozenset()) -> bool:
    """Read ``text`` in every context and append what is found to ``out``; return True as soon as
    a context found a kind of ``stop`` (the contexts after it are not read)."""
    tags: list[tuple[int, int]] = []  # (start, end) of the tags read at the top level
    if "<" in text:
        _scan_markup(text, 0, len(text), 0, out, tags)
        if text.strip() == "<":
            out.append(("probe", 0, len(text)))
        if stopped(out, stop):
            return True
    if "'" in text or '"' in text or "`" in text:
        done = len(out)
        _scan_quote_breakouts(text, tags, out)
        if stopped(out, stop, done):
            return True
    if "=" in text:
        done = len(out)
        _scan_value_start(text, out)
        _scan_handler_text(text, tags, out)
        if stopped(out, stop, done):
            return True
    if ":" in text:
        done = len(out)
        _scan_text_schemes(text, out)
        if stopped(out, stop, done):
            return True
    if "(" in text or ":" in text:
        out.extend(("style-script", m.start(), m.end()) for m in _CSS_TEXT.finditer(text))
    _scan_js(text, out)
    if "{{" in text:
        _scan_templates(text, out)
    return False


def _dedupe(found: list[Span]) -> list[Span]:
    """Sort spans, dropping a span that lies inside an earlier span of the same kind.

    Example:
        >>> _dedupe([("script-url", 9, 20), ("script-url", 9, 34), ("markup", 0, 5)])
        [('markup', 0, 5), ('script-url', 9, 34)]
    """
    reach: dict[str, int] = {}
    kept: list[Span] = []
    for span in sorted(set(found), key=lambda s: (s[1], -s[2], s[0])):
        if span[2] > reach.get(span[0], -1):
            kept.append(span)
            reach[span[0]] = span[2]
    return kept


def _inside(tags: list[tuple[int, int]], pos: int) -> bool:
    """True when ``pos`` lies in one of ``tags`` (sorted, non-overlapping ``(start, end)``).

    Example:
        >>> _inside([(0, 5), (9, 12)], 10), _inside([(0, 5), (9, 12)], 6)
        (True, False)
    """
    i = bisect_left(tags, (pos + 1, -1)) - 1
    return i >= 0 and tags[i][0] <= pos < tags[i][1]


# --- markup ---------------------------------------------------------------------------------


def _scan_markup(text: str, start: int, end: int, depth: int, out: list[Span],
                 tags: list[tuple[int, int]] | None = None) -> None:
    """Lex ``text[start:end]`` as HTML, left to right, tags not overlapping.

    Markup inside attribute values (``<img alt="<svg onload=...>">``) is lexed again.

    Example:
        >>> found: list[tuple[str, int, int]] = []
        >>> _scan_markup("<b>x</b><iframe src=x>", 0, 22, 0, found)
        >>> found
        [('active-tag', 8, 22)]
    """
    m = _TAG_OPEN.search(text, start, end)
    while m is not None:
        pos = m.start()
        if m.group(4) or m.group(6):  # comment (its content is read too), doctype, declaration
            m = _TAG_OPEN.search(text, _judge_declaration(text, pos, end, out), end)
            continue
        closing = m.group(1) is not None
        instruction = m.group(5) is not None
        name = m.group(3) or m.group(5)
        local = name.rsplit(":", 1)[-1]
        spaced = m.group(2) or (closing and m.group(1) != "/")
        if spaced and local not in SPACED_TAGS:  # "a < b": text, not a tag
            m = _TAG_OPEN.search(text, pos + 1, end)
            continue
        attrs, tag_end = _lex_attributes(text, m.end(), end)
        if tags is not None:
            tags.append((pos, tag_end))
        if closing:
            if local in SCRIPT_TAGS:
                out.append(("js-breakout", pos, tag_end))
            _judge_attributes(local, attrs, out)
        elif attrs or instruction or local in _BARE_NAMES or name in NAMESPACED_ACTIVE:
            _judge_tag(text, name, instruction, attrs, pos, tag_end, end, depth > 0, out)
        if attrs:
            _scan_hidden_handlers(text, m.end(), tag_end, attrs, out)
            if not closing and depth < MAX_DEPTH:
                for _, value, _, vstart, vend, _ in attrs:
                    if value is not None and "<" in value:
                        _scan_markup(text, vstart, vend, depth + 1, out)
        m = _TAG_OPEN.search(text, max(tag_end, pos + 1), end)


def _lex_attributes(text: str, pos: int, end: int) -> tuple[list[Attribute], int]:
    """Lex attributes from ``pos`` to the tag's ``>`` (or a ``<``): the attributes, the tag's end.

    Example:
        >>> _lex_attributes('<a href="x" b>', 2, 14)
        ([('href', 'x', 3, 9, 10, 11), ('b', None, 12, 13, 13, 13)], 14)
    """
    attrs: list[Attribute] = []
    while pos < end:
        sep = _SEPARATORS.match(text, pos, end)
        pos = sep.end() if sep is not None else pos
        if pos >= end:
            break
        c = text[pos]
        if c == ">":
            return attrs, pos + 1
        if c == "<":
            return attrs, pos
        m = _ATTR.match(text, pos, end)
        if m is None:
            pos += 1  # a stray '=' or quote
            continue
        raw = m.group(2)
        if raw is None:
            attrs.append((m.group(1), None, m.start(1), m.end(), m.end(), m.end()))
        else:
            vstart, vend = m.start(2), m.end(2)
            if raw[:1] in ("'", '"', "`"):
                vstart += 1
                if len(raw) > 1 and raw[-1] == raw[0]:
                    vend -= 1
            attrs.append((m.group(1), text[vstart:vend], m.start(1), vstart, vend, m.end()))
        pos = m.end()
    return attrs, end


def _judge_declaration(text: str, start: int, end: int, out: list[Span]) -> int:
    """Judge ``<!...`` at ``start``; return where lexing goes on.

    ``<!attlist>`` giving elements a handler by default, ``<!entity ... system>`` loading a
    document and ``<!--#exec ...-->`` server-side includes are reported; a declaration is
    skipped, a comment or doctype is entered (its content is lexed).

    Example:
        >>> found: list[tuple[str, int, int]] = []
        >>> _judge_declaration('<!attlist img onerror cdata "alert(1)">', 0, 39, found)
        39
        >>> found
        [('event-handler', 14, 21)]
    """
    pos = start + 2
    if not text.startswith(("attlist", "entity", "--#"), pos, end):
        return pos
    close = text.find(">", pos, min(end, pos + WINDOW))
    stop = close + 1 if close != -1 else min(end, pos + WINDOW)  # after the declaration
    if text.startswith("attlist", pos, end):
        for h in _DECLARED_HANDLER.finditer(text, pos, stop):
            if h.group(1) in EVENTS:
                out.append(("event-handler", h.start(), h.end()))
        return stop
    if text.startswith("entity", pos, end):
        if _EXTERNAL_ENTITY.search(text, pos, stop):
            out.append(("active-tag", start, stop))
        return stop
    if text.startswith("--#", pos, end) and text.startswith(SSI_DIRECTIVES, pos + 3, end):
        out.append(("active-tag", start, stop))
    return pos


def _judge_tag(text: str, full_name: str, instruction: bool, attrs: list[Attribute],
               start: int, tag_end: int, end: int, nested: bool, out: list[Span]) -> None:
    """Report what one start tag (or ``<?instruction``) and its attributes can run; ``nested``:
    the tag was read inside an attribute value (ending there is not ending the value)."""
    kind = _element_kind(text, full_name, instruction, attrs, tag_end, end, nested)
    if kind is not None:
        out.append((kind[0], start, kind[1]))
    _judge_attributes(full_name.rsplit(":", 1)[-1], attrs, out)


def _element_kind(text: str, full_name: str, instruction: bool, attrs: list[Attribute],
                  tag_end: int, end: int, nested: bool = False) -> tuple[str, int] | None:
    """Kind of an element (and the end of its span), or None when the element is harmless.

    Example:
        >>> _element_kind("<base href=//x>", "base", False, [("href", "//x", 6, 11, 14, 14)], 15, 15)
        ('active-tag', 15)
    """
    end_is_value_end = not nested
    name = full_name.rsplit(":", 1)[-1]
    values = {a[0]: (a[1] or "") for a in attrs}
    if instruction:
        return ("active-tag", tag_end) if name in ACTIVE_INSTRUCTIONS else None
    if name in SCRIPT_TAGS:
        nxt = text.find("<", tag_end, end)
        content = text[tag_end:min(nxt if nxt != -1 else end, tag_end + WINDOW)]
        if (attrs or _SCRIPT_CONTENT.match(content) or _SINK_CALL.search(content)
                or _SCRIPT_CLOSE.match(text, max(nxt, 0), end)):
            return ("script-tag", tag_end)
        return ("markup", tag_end) if _before_markup(text, tag_end, end, end_is_value_end) else None
    if full_name in NAMESPACED_ACTIVE:
        return ("active-tag", tag_end)
    if name in EMBED_TAGS:
        loads = any(a in values for a in LOADING_ATTRIBUTES)
        if loads and not values.get("type", "").startswith(INERT_MEDIA_TYPES):
            return ("active-tag", tag_end)
        bare = not attrs and _before_markup(text, tag_end, end, end_is_value_end)
        return ("markup", tag_end) if bare else None
    if (
        (name == "base" and "href" in values)
        or (name == "meta" and _active_meta(values))
        or (name == "link" and "href" in values and _active_link(values.get("rel", "")))
        or (name == "import" and "implementation" in values)
        or (name in SVG_ANIMATIONS and _animates_active(values.get("attributename", "")))
        or (name in XML_EVENT_TAGS and any(a in values for a in XML_EVENT_ATTRIBUTES))
        or values.get("dataformatas", "").strip() == "html"
    ):
        return ("active-tag", tag_end)
    if name in PARSER_TAGS:
        return _parser_tag_kind(text, name, attrs, values, tag_end, end, end_is_value_end)
    return None


def _parser_tag_kind(text: str, name: str, attrs: list[Attribute], values: dict[str, str],
                     tag_end: int, end: int, end_is_value_end: bool) -> tuple[str, int] | None:
    """Kind of a parser-switching element, judged with what follows it up to the next tag."""
    limit = min(end, tag_end + WINDOW)
    nxt = text.find("<", tag_end, limit)  # regions of successive tags do not overlap
    after = text[tag_end:nxt if nxt != -1 else limit]
    alone = end_is_value_end and nxt == -1 and limit == end and not after.strip()
    if name == "style":
        if _css_active(after) or "javascript" in values.get("type", ""):
            return ("style-script", tag_end + len(after))
        if "@import" in after:  # a remote sheet: CSS injection, not script
            return ("markup", tag_end + len(after))
        if alone or _sheet_suspicious(after) or (nxt != -1 and text.startswith("<!--", nxt)):
            return ("markup", tag_end)  # <style>, <style>@\\, <style>*{x:y[z}</style>
        return None
    if name in FOREIGN_TAGS:
        child = _TAG_OPEN.match(text, nxt, end) if nxt != -1 and not after.strip() else None
        if alone or (child is not None and (child.group(3) or "") in FOREIGN_ESCAPES):
            return ("markup", tag_end)  # <svg>, <svg:svg>, <math><a xlink:href=...>
        return None
    if attrs or _before_markup(text, tag_end, end, end_is_value_end):
        return ("markup", tag_end)
    return None


def _before_markup(text: str, tag_end: int, end: int, end_is_value_end: bool = True) -> bool:
    """True when a tag ends the value or more markup follows it (``"><script>``, ``<xmp><x>``),
    not prose (``the <iframe> element``).

    Example:
        >>> _before_markup("<svg><x>", 5, 8), _before_markup("<svg> icons", 5, 11)
        (True, False)
    """
    i = tag_end
    while i < end and text[i] in " \t\r\n":
        i += 1
    return (i >= end and end_is_value_end) or (i < end and text[i] == "<")


def _judge_attributes(element: str, attrs: list[Attribute], out: list[Span]) -> None:
    """Report the attributes of one tag that run script (or, weak, that look injected).

    Example:
        >>> found: list[tuple[str, int, int]] = []
        >>> _judge_attributes("img", [("onerror", "alert(1)", 5, 13, 21, 21)], found)
        >>> found
        [('event-handler', 5, 21)]
    """
    for attr, value, nstart, vstart, vend, aend in attrs:
        if value is None:
            if _HANDLER_NAME.match(attr) and not attr.isalpha():
                out.append(("event-handler", nstart, aend))  # <body onload!#$%&()*~+=alert(1)>
            continue
        kind = _judge_attribute(element, attr, value)
        if kind == "event-handler":
            if value.startswith("{") and aend == vend and not _JS_SINKY.search(value):
                continue  # JSX: <button onClick={() => save()}>
            if value.strip() or aend == vend:  # onload="" runs nothing; "<x onend=" is a probe
                out.append((kind, nstart, aend))
        elif kind is not None:
            out.append((kind, vstart, vend))
        elif (attr == "style" and _css_injected(value)) or (
            attr in URL_ATTRIBUTES and _OBFUSCATED_URL.match(value)
        ):
            out.append(("markup", vstart, vend))  # CSS breaking out, obfuscated URL host
        elif _JS_START.match(value):
            out.append(("js-sink", vstart, vend))


def _judge_attribute(element: str, attr: str, value: str, in_tag: bool = True) -> str | None:
    """Kind of one attribute with a value (inside a tag, or outside one), or None.

    Example:
        >>> _judge_attribute("img", "onerror", "alert(1)")
        'event-handler'
        >>> _judge_attribute("a", "href", "https://example.com/") is None
        True
    """
    local = attr.rsplit(":", 1)[-1] if ":" in attr and not attr.startswith("xlink:") else attr
    h = _HANDLER_NAME.match(local)
    if h is not None and (in_tag or _known_event(h.group(1), local)
                          or _JS_LIKE.search(value[:WINDOW])):
        return "event-handler"
    if _framework_handler(attr) and (_JS_SINKY.search(value) or "constructor" in value
                                     or "$event.view" in value):
        return "event-handler"  # ng-click="$event.view.alert(1)"; @click="save()" is an app
    if attr in ("style", "filter") or attr.endswith(":style"):
        return "style-script" if _css_active(value[:WINDOW]) else None
    return "script-url" if _script_url(element, attr, value) else None


def _scan_hidden_handlers(text: str, pos: int, tag_end: int, attrs: list[Attribute],
                          out: list[Span]) -> None:
    """A listed handler written inside another attribute's value (``<img src=x[e]onerror=...``,
    ``<a xmlns="x:img onerror=alert(1)">``): browsers that re-parse or mutate markup run it."""
    if text.find("on", pos, tag_end) == -1:
        return
    judged = {a[2] for a in attrs}
    for h in _HANDLER_TEXT.finditer(text, pos, tag_end):
        if (h.group(1) in EVENTS and text[h.start() - 1] in _HIDDEN_HANDLER_AFTER
                and h.start() not in judged):
            out.append(("event-handler", h.start(), h.end()))


def _framework_handler(attr: str) -> bool:
    """An event directive of a client-side framework (``ng-click``, ``v-on:click``, ``@click``,
    ``x-on:click``, ``ng-init``): its value runs as script (reported when it reaches a sink).

    Example:
        >>> _framework_handler("ng-focus"), _framework_handler("ng-app")
        (True, False)
    """
    for prefix in FRAMEWORK_EVENT_PREFIXES:
        if attr.startswith(prefix):
            event = attr[len(prefix):].split(".", 1)[0]
            return event in EVENTS or event in FRAMEWORK_DIRECTIVES
    return False


def _known_event(event: str, attr: str) -> bool:
    """True when ``on`` + ``event`` is a handler name (listed, or short and plain)."""
    return event in EVENTS or (len(event) <= MAX_UNKNOWN_EVENT and attr.isalpha())


def _active_meta(values: dict[str, str]) -> bool:
    """A ``<meta>`` that navigates, sets a cookie, loads a resource or switches the charset."""
    equiv = values.get("http-equiv", "").strip()
    if equiv in META_EQUIV:
        return True
    charset = values.get("charset", "")
    if equiv == "content-type" or "charset" in values.get("content", ""):
        charset += values.get("content", "")
    return any(c in charset for c in CHARSET_TRICKS)


def _active_link(rel: str) -> bool:
    """A ``<link href>`` whose ``rel`` is missing or loads something (import, stylesheet...)."""
    rels = set(rel.split())
    return not rels or not rels <= INERT_LINK_RELS


def _animates_active(target: str) -> bool:
    """An SVG animation of a handler, a link or the markup itself."""
    target = target.strip()
    return target in ANIMATED_TARGETS or target.startswith("on")


def _script_url(element: str, attr: str, value: str) -> bool:
    """True when ``value`` of ``attr`` on ``element`` is a script-capable URL.

    Control characters and spaces are removed (``java\\tscript:``), as are comments and CDATA
    markers (``javas<!-- -->cript:``); an attribute that takes no URL needs a script body
    (``alt="javascript:alert(1)"`` counts, ``title="javascript: tips"`` does not).

    Example:
        >>> _script_url("a", "href", "java\\tscript:alert(1)")
        True
        >>> _script_url("img", "src", "data:image/png;base64,aaaa")
        False
    """
    v = value[:WINDOW].lstrip()
    if v.startswith("&{"):  # Netscape JavaScript entity
        return True
    if "<!" in v:
        v = _HTML_COMMENT.sub("", _CDATA_MARK.sub("", v))
    plain = _CONTROL.sub("", v)
    m = _URL_SCHEME.match(plain)
    if m is None:
        return False
    scheme, body = m.group(1), plain[m.end():]
    url_attr = attr in URL_ATTRIBUTES or attr.endswith(":href")
    if scheme in SCRIPT_SCHEMES:
        if _URL_SCHEME.match(v) is None:  # spaces, control characters or comments in the scheme
            return True
        after = v[v.find(":") + 1:]
        words = after.lstrip()
        if (not url_attr and len(words) != len(after) and words[:1].isalpha()
                and not _SCRIPT_BODY.match(words)):
            return False  # title="javascript: tips"
        body = body.lstrip(":")
        if body.startswith(("javascript:", "vbscript:")):
            return True
        return body not in NOOP_SCRIPT_BODIES and (
            url_attr or body[:1].isalnum() or body[:1] in "_$/(["
        )
    if scheme == "data":
        if body.startswith(ACTIVE_MEDIA_TYPES):
            return True
        return url_attr and (element in DATA_EXEC_TAGS or not body.startswith(INERT_MEDIA_TYPES))
    return False


def _css_active(css: str) -> bool:
    """True when CSS (a style value or sheet) runs script or binds a behaviour.

    Example:
        >>> _css_active("x:exp\\\\ression(alert(1))")
        True
        >>> _css_active("color: red; background: url(https://example.com/a.png)")
        False
    """
    if "\\" in css:
        css = _CSS_ESCAPE.sub(lambda m: chr(min(int(m.group(1), 16), 0x10FFFF)), css)
    return _CSS_ACTIVE.search(_CSS_NOISE.sub("", css)) is not None


def _css_injected(css: str) -> bool:
    """True when an inline style breaks out of its declaration list (``}``, ``{``, an unclosed
    comment, bracket or quote, a declaration hidden in a string or ``url()``) or hides names
    behind CSS escapes.

    Example:
        >>> _css_injected("font-family:foo}color=red;"), _css_injected("color: red; width: 50%")
        (True, False)
    """
    if "{" in css or "}" in css or ("/*" in css and "*/" not in css) or _CSS_HEX.search(css):
        return True
    if css.count("[") != css.count("]") or css.count("(") != css.count(")"):
        return True
    if css.count("'") % 2 or css.count('"') % 2:
        return True
    return any(_CSS_DECLARATION.search(m.group()) for m in _CSS_STRING.finditer(css[:WINDOW]))


def _sheet_suspicious(css: str) -> bool:
    """True when a style sheet holds CSS escapes, unbalanced brackets or an injected block.

    Example:
        >>> _sheet_suspicious("#x{font-family:foo[bar;color:green;}"), _sheet_suspicious("a{b:c}")
        (True, False)
    """
    if "\\" in css:
        return True
    if len(css) < WINDOW and any(css.count(o) != css.count(c) for o, c in ("{}", "[]", "()")):
        return True
    return any(_css_injected(block.group(1)) for block in _CSS_BLOCK.finditer(css))


# --- attribute contexts (outside tags) ------------------------------------------------------


def _scan_quote_breakouts(text: str, tags: list[tuple[int, int]], out: list[Span]) -> None:
    """Read what follows each quote outside a tag as the rest of a tag's attributes, and report
    ``"><tag`` (weak) where the ``>`` closes no tag the lexer read."""
    t = 0
    closing: set[int] = set()  # quotes that closed a value read from an earlier quote
    for m in _QUOTE_ANCHOR.finditer(text):
        q = m.start()
        while t < len(tags) and tags[t][1] <= q:
            t += 1
        if (t < len(tags) and tags[t][0] <= q) or q in closing:
            continue  # inside a tag (judged there), or read already from an earlier quote
        _breakout_attributes(text, q + 1, out, anchored=True, closing=closing)
    if ">" in text:
        for m in _BREAKOUT_TAG.finditer(text):
            if not _inside(tags, text.find(">", m.start())):
                out.append(("markup", m.start(), m.end()))


def _scan_value_start(text: str, out: list[Span]) -> None:
    """A value that starts with attributes (written into an unquoted attribute value)."""
    stripped = text.lstrip()
    if stripped[:1].isalpha():
        _breakout_attributes(text, 0, out, anchored=len(stripped) != len(text))


def _breakout_attributes(text: str, pos: int, out: list[Span], anchored: bool,
                         closing: set[int] | None = None) -> None:
    """Lex a few attributes from ``pos`` (outside any tag) and report a dangerous one.

    ``anchored``: the context is surely an attribute list (after a quote, or after spaces at
    the start of the value): a listed handler counts with any value but a quoted phrase
    (``grep "onload=" src``). Otherwise a handler needs a script-like value if it opens the
    value (``onload=go()``), a sink later (``we call onload=init() from``). ``closing``
    collects the quotes that closed values (reading from them again would read the same).

    Example:
        >>> found: list[tuple[str, int, int]] = []
        >>> _breakout_attributes("x' autofocus onfocus=alert(1)", 2, found, anchored=True)
        >>> found
        [('attribute-injection', 13, 29)]
    """
    limit = min(len(text), pos + WINDOW)
    for i in range(MAX_BREAKOUT_ATTRIBUTES):
        m = _ATTR.match(text, pos, limit)
        if m is None:
            return
        attr, raw = m.group(1), m.group(2)
        if raw is not None:
            if closing is not None and len(raw) > 1 and raw[0] == raw[-1] and raw[0] in "'\"`":
                closing.add(m.end() - 1)
            value = raw.strip("'\"`")
            h = _HANDLER_NAME.match(attr)
            if h is not None:
                listed = h.group(1) in EVENTS
                # "onload=go()" opening the value is an injection; later in prose, a sink is needed
                script = (_JS_LIKE if anchored or i == 0 else _JS_SINKY).search(value) is not None
                anchored = anchored or (i == 0 and pos == 0)
                ident = _IDENT_START.match(value) is not None
                probe = (value == "" and len(text) - m.end() < WINDOW
                         and not text[m.end():].strip())  # '"onzoom=' : nothing after
                if (listed and (script or (anchored and (ident or probe)))) or (
                    _known_event(h.group(1), attr) and (script or (anchored and probe))
                ):
                    out.append(("attribute-injection", m.start(1), m.end()))
                    return
            elif _judge_attribute("", attr, value, in_tag=False) is not None:
                out.append(("attribute-injection", m.start(1), m.end()))
                return
        pos = m.end()
        if pos >= limit or text[pos] in "<>":
            return


def _scan_handler_text(text: str, tags: list[tuple[int, int]], out: list[Span]) -> None:
    """``onload=alert(1)`` in text: a listed handler whose value reaches a sink
    (``onload=init()`` in prose is not reported)."""
    if "on" not in text:
        return
    done = 0  # end of the last value read: a handler inside it was read with it
    for m in _HANDLER_TEXT.finditer(text):
        if m.start() < done or m.group(1) not in EVENTS or _inside(tags, m.start()):
            continue
        attr = _ATTR.match(text, m.start(), min(len(text), m.start() + WINDOW))
        if attr is not None and attr.group(2) is not None:
            done = attr.end()
            if _JS_SINKY.search(attr.group(2).strip("'\"`")):
                out.append(("attribute-injection", m.start(), attr.end()))


def _scan_text_schemes(text: str, out: list[Span]) -> None:
    """A script-capable URL in text: at the start, after ``= ( , :`` or a quote, or followed by
    a script body (``javascript:alert(1)``); ``javascript: the good parts`` is prose.

    Example:
        >>> found: list[tuple[str, int, int]] = []
        >>> _scan_text_schemes("?next=java\\nscript:alert(1)", found)
        >>> found
        [('script-url', 6, 18)]
    """
    for m in _TEXT_SCHEME.finditer(text):
        s, e = m.start(), m.end()
        at_start = s <= 12 and not any(c.isalnum() for c in text[:s])
        before = text[max(0, s - 12):s].rstrip(" \t\r\n\x0b\x0c")
        anchor = at_start or before[-1:] in _URL_ANCHORS or before.endswith("url(")
        rest = text[e:e + 80]
        if m.group().startswith("data"):
            url = _URL_BODY.match(rest)
            media = _CONTROL.sub("", url.group() if url else "")
            active = media.startswith(ACTIVE_MEDIA_TYPES) and ("," in media or at_start)
            if active or (anchor and _DATA_MARKUP.match(rest)):  # "`data:text/html` URLs": prose
                out.append(("script-url", s, e))
            continue
        body = rest.lstrip(":")
        if body[:1] in (" ", "+"):  # "javascript: ...": a script body after the space
            words = body.lstrip(" +")
            first = _URL_BODY.match(words)
            token = first.group().split("+", 1)[0] if first is not None else ""
            if token and token in NOOP_SCRIPT_BODIES:
                continue  # "javascript: void(0) meaning"
            if _SCRIPT_BODY.match(words) or (anchor and not words[:1].isalpha()):
                out.append(("script-url", s, e))
            continue
        url = _URL_BODY.match(body)
        tight = _CONTROL.sub("", url.group() if url else "")
        if tight in NOOP_SCRIPT_BODIES and not (at_start and not text[e:].strip(": ")):
            continue
        obfuscated = _CONTROL.search(m.group()) is not None
        probe = anchor and tight == "" and not any(c.isalpha() for c in text[e:e + 80])
        if obfuscated or _SCRIPT_BODY.match(tight) or probe:  # "`javascript:` URLs": prose
            out.append(("script-url", s, e))


# --- JavaScript contexts --------------------------------------------------------------------


def _scan_js(text: str, out: list[Span]) -> None:
    """The value as JavaScript: an expression reaching a sink (weak), JSFuck (weak), or a
    breakout from a string, statement or template literal (strong)."""
    m = _JS_START.match(text)
    if m is not None and _expression_ends(text, m.end()):
        out.append(("js-sink", m.start(), m.end()))
    stripped = text.strip()
    if "[" in stripped and "!" in stripped:
        compact = stripped.replace(" ", "")
        if _JSFUCK.fullmatch(stripped) and ("![]" in compact or "[][" in compact):
            out.append(("js-sink", 0, len(text)))
        elif "[]" in text:
            for run in _JSFUCK.finditer(text):
                r = run.group().replace(" ", "")
                if len(r) >= 12 and r.count("[]") >= 3 and "!" in r:
                    out.append(("js-sink", run.start(), run.end()))
    if ";" in text or "'" in text or '"' in text or "`" in text or "${" in text:
        for b in _JS_BREAK.finditer(text):
            # at the start of the value (after one token), or followed by a neutralising tail
            starts = b.start() <= 64 and not any(c.isspace() for c in text[:b.start()])
            if starts or _JS_TAIL.match(text, b.end(), min(len(text), b.end() + 100)):
                out.append(("js-breakout", b.start(), b.end()))


def _expression_ends(text: str, pos: int) -> bool:
    """After ``alert(`` at ``pos``: False when the call closes and prose follows it
    (``setTimeout(() => f(), 9) is used to poll``); punctuation, the end or no ``)`` is script.

    Example:
        >>> _expression_ends("alert(1)>//x", 6), _expression_ends("alert(s) are shown", 6)
        (True, False)
    """
    if text[pos - 1:pos] != "(":
        return True
    depth = 1
    for i in range(pos, min(len(text), pos + WINDOW)):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                rest = text[i + 1:i + 41].lstrip()
                return not rest or rest[0] in _AFTER_EXPRESSION
    return True


def _scan_templates(text: str, out: list[Span]) -> None:
    """``{{...}}`` expressions reaching the Function constructor or a sink; ``{{ user.name }}``
    and ``{{ formatDate(x) }}`` are templates.

    Example:
        >>> found: list[tuple[str, int, int]] = []
        >>> _scan_templates("{{constructor.constructor('alert(1)')()}}", found)
        >>> found
        [('template-injection', 0, 41)]
    """
    pos = text.find("{{")
    while pos != -1:
        close = text.find("}}", pos + 2, pos + 2 + WINDOW)
        stop = close if close != -1 else min(len(text), pos + 2 + WINDOW)
        body = _CONTROL.sub("", text[pos + 2:stop])
        if (any(e in body for e in TEMPLATE_ESCAPES) or _JS_START.match(body)
                or any(f"{s}(" in body for s in SINK_CALLS)):
            out.append(("template-injection", pos, stop + (2 if close != -1 else 0)))
        pos = text.find("{{", stop)


# --- charset tricks -------------------------------------------------------------------------


def _decode_tricks(text: str) -> str:
    """Undo encodings that hide markup characters: UTF-7 (``+adw-`` = ``<``), high-bit
    stripping (``¼`` = ``1⁄4`` after NFKC = ``<``), CDATA splitting.

    Example:
        >>> _decode_tricks("+adw-script+ad4-")
        '<script>'
    """
    if "+a" in text:
        text = _UTF7_TOKEN.sub(lambda m: UTF7_MARKUP.get(m.group(), m.group()), text)
    if "\u2044" in text:
        text = _STRIPPED.sub(lambda m: "<" if m.group()[0] == "1" else ">", text)
    if "<![cdata[" in text:  # <![cdata[<]]>script<![cdata[>]]>
        text = text.replace("<![cdata[", "").replace("]]>", "")
    return text
