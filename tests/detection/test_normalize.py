"""Normalisation: encoded attacks must look like plain ones."""

from __future__ import annotations

import pytest

from protect_lambda.normalize import MAX_DECODE_ROUNDS, base64_text, decode, normalize, shell_squash, url_decode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("%3Cscript%3E", "<script>"),
        ("%253Cscript%253E", "<script>"),  # double encoding
        ("%25253Cb%25253E", "<b>"),  # triple
        ("&lt;b&gt;", "<b>"),
        ("&#60;b&#x3e;", "<b>"),
        ("&#0000060b&#62", "<b>"),  # padded, no semicolon
        ("\\u003cb\\x3e", "<b>"),  # JS escapes
        ("%u003Cb%u003E", "<b>"),  # IIS %u
        ("%c0%ae%c0%ae%c0%af", "../"),  # overlong UTF-8
        ("\uff1cSCRIPT\uff1e", "<script>"),  # full-width forms (NFKC)
        ("SeL\x00eCt", "select"),  # null byte
        ("un\u200bion", "union"),  # zero-width space
        ("UNION/**/SELECT", "union select"),
        ("1 OR/* any comment */1=1", "1 or 1=1"),
        ("/*!50000UNION*/ SELECT", " union  select"),
        ("\u2019 or \u20181\u2019=\u20191", "' or '1'='1"),  # curly quotes
        ("..\u2215..\u2215etc", "../../etc"),  # division slash
        ("0x2e0x2e0x2fwindows", "../windows"),  # hex spelled out
        ("Stra\u00dfe", "strasse"),  # case folding beyond lower()
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_plain_ascii_fast_path_only_lowercases() -> None:
    assert normalize("Hello World 42") == "hello world 42"


def test_decoding_is_bounded() -> None:
    deep = "<"
    for _ in range(MAX_DECODE_ROUNDS + 3):
        deep = deep.replace("%", "%25").replace("<", "%3C")
    assert "<" not in decode(deep)
    assert "%" in decode(deep)


def test_plus_is_kept() -> None:
    assert url_decode("1+1%3D2") == "1+1=2"


def test_invalid_percent_sequences_survive() -> None:
    assert normalize("100% sure %zz") == "100% sure %zz"


def test_base64_text() -> None:
    assert base64_text("PHNjcmlwdD4=") == "<script>"
    assert base64_text("not base64 at all!") is None
    assert base64_text("AAECAwQFBgcICQoL") is None  # binary, not text
    assert base64_text("abc") is None


def test_shell_squash() -> None:
    assert shell_squash("w'h'o\"a\"m\\i") == "whoami"
    assert shell_squash("c$@at /e$!tc/pa[s]swd") == "cat /etc/passwd"
    assert shell_squash("cat+/etc/passwd") == "cat /etc/passwd"


@pytest.mark.parametrize("text", ["%\ud800", "a%41\udfff%3cscript", "%uD800%41"])
def test_lone_surrogates_decode_without_error(text: str) -> None:
    """A JSON string may carry a lone surrogate next to a percent sign: decoding must not raise."""
    decoded = decode(text)
    assert "A" in decoded or text == "%\ud800"
    assert normalize(text) is not None
