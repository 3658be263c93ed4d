"""Normalisation of inbound text before rules see it.

An encoded attack must be caught like a plain one, so every inbound string goes
through :func:`normalize`:

1. repeated decoding, at most :data:`MAX_DECODE_ROUNDS` rounds, until nothing changes:
   URL decoding (``%xx``, IIS ``%uXXXX``, overlong UTF-8 such as ``%c0%ae``),
   HTML entities (named, decimal, hex, with or without ``;``), JavaScript/JSON
   escapes (``\\u003c``, ``\\x3c``);
2. null bytes and invisible format characters (zero-width space, soft hyphen...) removed;
3. SQL comment tricks: a ``/* comment */`` (up to 200 characters) becomes a space, and the
   markers of MySQL's executable comments ``/*!50000 ... */`` too (their content is kept);
4. Unicode NFKC (full-width and compatibility forms become ASCII) and case folding.

Pure ASCII text without ``% & \\ /*`` or NUL takes a fast path (one ``str.lower``).

Example:
    >>> normalize("%253Cscript%253E")
    '<script>'
    >>> normalize("UNION/**/SELECT/*!50000*/1")
    'union select  1'
    >>> normalize("\\uff1cSCRIPT\\uff1e")
    '<script>'
"""

from __future__ import annotations

import binascii
import codecs
import re
TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Final

#: Decoding rounds (URL, HTML, escapes) applied at most; attackers rarely go beyond 3.
MAX_DECODE_ROUNDS: Final = 4

_ERRORS: Final = "protect_lambda_overlong"
_NEEDS_WORK: Final = re.compile(r"[%&\\\x00]|/\*|\*/|0[xX]")
# Patterns of the rarer decodings are compiled on first use (re caches them): cold start.
_IIS_U: Final = r"%u([0-9a-fA-F]{4})"
_JS_ESCAPE: Final = r"\\(?:u\{?([0-9a-fA-F]{4})\}?|x([0-9a-fA-F]{2}))"
_SQL_COMMENT: Final = r"/\*(?!!)[^*]{0,200}\*/|/\*![0-9]{0,6}|\*/"
_INVISIBLE: Final[dict[int, str | None]] = {
    **dict.fromkeys(
        map(ord, "\x00\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e"
            "\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"),
        None,
    ),
    # look-alikes NFKC keeps: quotes, slashes and backslashes
    **{ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032\u02bc\u02b9\u0060\u00b4"},
    **{ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033\u02ba"},
    **{ord(c): "/" for c in "\u2215\u2044\u29f8\u2571"},
    **{ord(c): "\\" for c in "\u2216\u29f5\u29f9\u2572"},
    # ideographic and halfwidth full stops, which some URL parsers take as dots in host names
    **{ord(c): "." for c in "\u3002\uff61"},
}
#: Hex spelled out in text ("0x2e0x2e0x2f"): only the path characters, not followed by more hex.
_TEXT_HEX: Final = r"(?i)0x(2e|2f|5c)(?:(?![0-9a-f])|(?=0x))"


def _overlong(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: overlong UTF-8 forms decode to their character, other bytes to U+FFFD."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data, i = exc.object, exc.start
    b0 = data[i]
    cont = [b for b in data[i + 1 : i + 4]]
    if 0xC0 <= b0 <= 0xC1 and cont and 0x80 <= cont[0] <= 0xBF:
        return chr(((b0 & 0x1F) << 6) | (cont[0] & 0x3F)), i + 2
    if b0 == 0xE0 and len(cont) >= 2 and 0x80 <= cont[0] <= 0x9F and 0x80 <= cont[1] <= 0xBF:
        return chr(((cont[0] & 0x3F) << 6) | (cont[1] & 0x3F)), i + 3
    if (b0 == 0xF0 and len(cont) >= 3 and 0x80 <= cont[0] <= 0x8F
            and all(0x80 <= b <= 0xBF for b in cont[1:3])):
        return chr(((cont[1] & 0x3F) << 6) | (cont[2] & 0x3F)), i + 4
    return "\ufffd", i + 1


codecs.register_error(_ERRORS, _overlong)


def url_decode(text: str) -> str:
    """One round of URL decoding (``+`` is kept: API Gateway already decoded query strings).

    Example:
        >>> url_decode("%2e%2e%c0%af%u002e")
        '../.'
    """
    if "%" not in text:
        return text
    from urllib.parse import unquote_to_bytes  # imported on first use: cold start

    if "%u" in text or "%U" in text:
        text = re.sub(_IIS_U, lambda m: chr(int(m.group(1), 16)), text)
    # A JSON string may hold lone surrogates ("\\ud800"), which strict UTF-8 cannot encode:
    # they pass through as bytes and come back as U+FFFD like any other invalid sequence.
    return unquote_to_bytes(text.encode("utf-8", "surrogatepass")).decode("utf-8", _ERRORS)


def _js_unescape(text: str) -> str:
    return re.sub(_JS_ESCAPE, lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


_CASELESS_ENTITY: Final = re.compile(r"&(tab|newline|colon);", re.IGNORECASE)
_CASELESS_ENTITY_TEXT: Final = {"tab": "\t", "newline": "\n", "colon": ":"}


def _caseless_entity(m: re.Match[str]) -> str:
    return _CASELESS_ENTITY_TEXT[m.group(1).lower()]


def decode(text: str) -> str:
    """Apply URL, HTML-entity and JS-escape decoding until a fixpoint (bounded).

    Example:
        >>> decode("&amp;lt;img&#x20;src=x&gt;")
        '<img src=x>'
    """
    for _ in range(MAX_DECODE_ROUNDS):
        before = text
        if "%" in text:
            text = url_decode(text)
        if "&" in text:
            from html import unescape  # imported on first use: html.entities is large

            # &Tab; &NewLine; &colon; in any letter case (filters that fold case decode them so)
            text = unescape(_CASELESS_ENTITY.sub(_caseless_entity, text))
        if "\\" in text:
            text = _js_unescape(text)
        if text == before:
            break
    return text


def normalize(text: str) -> str:
    """The canonical form inbound rules match against (see the module docstring).

    Example:
        >>> normalize("SeLeCt%0A1")
        'select\\n1'
    """
    if text.isascii() and _NEEDS_WORK.search(text) is None:
        return text.lower()
    text = decode(text)
    if "/*" in text or "*/" in text:
        text = re.sub(_SQL_COMMENT, " ", text)
    if "0x" in text or "0X" in text:
        text = re.sub(_TEXT_HEX, lambda m: chr(int(m.group(1), 16)), text)
    if text.isascii():
        return text.replace("\x00", "").lower()
    from unicodedata import normalize as unicode_normalize  # first non-ASCII text only

    text = unicode_normalize("NFKC", text.translate(_INVISIBLE))
    return text.casefold()


#: The URL-safe base64 alphabet's two characters mapped to the standard ones.
_URLSAFE_TO_STANDARD: Final = {ord("-"): "+", ord("_"): "/"}
_B64_VALUE: Final = re.compile(r"[A-Za-z0-9+/]{10,}={0,2}|[A-Za-z0-9_-]{10,}={0,2}")


def base64_text(text: str) -> str | None:
    """The decoded text when ``text`` is entirely base64 of printable ASCII, else None.

    Example:
        >>> base64_text("Li4vLi4vZXRjL3Bhc3N3ZA=="), base64_text("hello world")
        ('../../etc/passwd', None)
    """
    if len(text) % 4 or len(text) > 1 << 16 or not _B64_VALUE.fullmatch(text):
        return None
    if "-" in text or "_" in text:
        text = text.translate(_URLSAFE_TO_STANDARD)
    try:  # what base64.b64decode does, without importing the base64 module
        raw = binascii.a2b_base64(text)
    except ValueError:  # binascii.Error is a ValueError
        return None
    if not raw or any(b < 9 or 13 < b < 32 or b > 126 for b in raw):
        return None
    return raw.decode("ascii")


_SHELL_NOISE: Final = re.compile(r"``|\$\(\)|['\"\\^]|\$(?:[@*!_?$-]|\{[a-z_]{0,10}\}|[a-z](?![a-z0-9_{]))|\[([a-z])\]|(\+)")


#: Every match of _SHELL_NOISE contains one of these characters.
_SHELL_NOISE_CHARS: Final = frozenset("`$'\"\\^[+")


def shell_squash(text: str) -> str:
    """Remove shell quoting and globbing tricks from normalised text (``w'h'o$@ami`` -> ``whoami``).

    ``+`` (a form-encoded space) becomes a space.

    Example:
        >>> shell_squash("c$@at /e't'c/pa[s]swd")
        'cat /etc/passwd'
    """
    if _SHELL_NOISE_CHARS.isdisjoint(text):  # nothing to remove (most values): skip the regex
        return text
    return _SHELL_NOISE.sub(lambda m: m.group(1) or (" " if m.group(2) else ""), text)


#: One Log4j lookup that only yields a literal: ${lower:j}, ${upper:J}, ${::-j}, ${env:X:-j}, ${date:'j'}.
_LOG4J_LITERAL: Final = r"\$\{(?!\s{0,5}jndi)(?:[a-z0-9_]{0,20}:){1,3}-?'?([^${}':]{0,20})'?\}"
#: Rounds of resolution (nesting depth handled).
MAX_LOG4J_ROUNDS: Final = 4


def log4j_resolve(text: str) -> str:
    """Resolve Log4j lookups that only produce literal text, so obfuscated ``${jndi:`` shows.

    Example:
        >>> log4j_resolve("${${lower:j}${upper:n}${::-d}i:ldap://x}")
        '${jndi:ldap://x}'
    """
    if "${" not in text:
        return text
    for _ in range(MAX_LOG4J_ROUNDS):
        resolved = re.sub(_LOG4J_LITERAL, lambda m: m.group(1), text)
        if resolved == text:
            break
        text = resolved
    return text.lower()
