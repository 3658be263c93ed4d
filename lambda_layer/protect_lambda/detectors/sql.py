"""SQL injection, decided on tokens: does the value break out of its place in a query and form SQL?

A value reaches a query in one of three places: as a number or bare expression
(``WHERE id = <value>``), or inside a single- or double-quoted string
(``WHERE name = '<value>'``). An injection must therefore *start* where the value
starts (a number, a closing parenthesis) or right after the value's first quote
(the breakout), and go on as SQL. The detector tokenises the value from each such
start (strings, numbers, comments, operators, keywords, functions, variables) and
judges the first tokens by the structure they form, the way libinjection judges a
value by the fingerprint of its first tokens:

* ``tautology``: a logical operator (``or``, ``and``, ``||``, ``&&``, ``xor``)
  followed by a comparison, a function call, a subquery or an always-true
  constant, ending where SQL could end (``' or '1'='1``, ``1 and sleep(5)``,
  ``") or ("a"="a``, ``' or 1=1--``); strong.
* ``boolean``: a logical operator between bare constants only (``1 or 2``); weak.
* ``string-operator``: the breakout, one operator and a short string that the
  query's own closing quote completes, and nothing more (``a' * 'b``,
  ``foo'or'oof``, ``a' rlike 'b``); strong.
* ``union``: ``union [all|distinct] select`` with a select list, anywhere in the
  value; strong.
* ``stacked``: ``;`` then a statement (``; drop table``, ``; exec xp_cmdshell``,
  ``; waitfor delay``), anywhere; strong.
* ``comment``: the breakout followed at once by a comment (``admin'--``,
  ``x')#``); strong.
* ``order-by``: the breakout followed by ``order by <n>`` / ``group by`` (column
  counting); medium.
* ``expression``: the breakout followed by an operator and a subquery or a SQL
  call (``' + ascii(substring(...))--``, ``1, (select ...)``); strong.
* ``fragment``: a condition cut where the query goes on (``xor 5-``,
  ``or 4975==``); ``function-probe``: a SQL function's name and ``(`` alone
  (``db_name(``); ``operator-probe``: a quoted operator alone (``'<=>'``,
  ``a '>' b``): what scanners send to see the query break; medium.
* ``statement``: the whole value is a statement with what only SQL has
  (``select * from users``, ``select 1,2 from t``, ``(select count(*) from ...)``,
  ``drop table x``); medium (a UI string may say "select a file from the list",
  which is not one).
* ``time-delay``: a delay function (``sleep(``, ``benchmark(``, ``pg_sleep(``,
  ``waitfor delay '``) anywhere, not as a member (``time.sleep(5)``); weak alone.
* ``error-function``: an error-based extraction function (``extractvalue(``,
  ``updatexml(``...) anywhere; weak alone.

A value may also be the payload alone (`` or 1=1--``, `` order by 3#``): it then
starts with the logical operator or clause itself. Prose ("either none, true or
false", "do you mean 'a' or 'b'?") does not start with a breakout followed by SQL,
which is what keeps false positives down. A value without spaces has its ``+`` read
as spaces too (``1+or+1=1``: a URL-encoded space the application decodes).
Keywords, statement words and function names are data (the sets below).

Example:
    >>> [kind for kind, _, _ in detect("1' or '1'='1")]
    ['tautology']
    >>> detect("do you mean 'bananas' or 'banana'?")
    []
"""

from __future__ import annotations

import re

from protect_lambda.detectors import compile_rx

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Final

# --- data ----------------------------------------------------------------------------------

#: Logical operators that join a condition to the query's own.
LOGICAL: Final = frozenset({"or", "and", "xor", "||", "&&", "div"})
#: Words that start a statement after ``;``.
STATEMENTS: Final = frozenset({
    "select", "insert", "update", "delete", "drop", "create", "alter", "truncate", "exec", "execute",
    "declare", "shutdown", "waitfor", "grant", "revoke", "merge", "call", "replace", "rename",
    "begin", "commit", "rollback", "load", "handler", "use", "show", "copy", "do", "set",
})
#: Statement words that must be followed by a matching word to be SQL (``drop table``).
STATEMENT_OBJECTS: Final = {
    "drop": frozenset({"table", "database", "schema", "user", "view", "procedure", "function", "index", "trigger"}),
    "create": frozenset({"table", "database", "schema", "user", "view", "procedure", "function", "index",
                         "trigger", "login", "or"}),
    "alter": frozenset({"table", "database", "schema", "user", "view", "login", "system"}),
    "truncate": frozenset({"table"}),
    "insert": frozenset({"into", "ignore"}),
    "delete": frozenset({"from"}),
    "load": frozenset({"data"}),
    "copy": frozenset(),
    "use": frozenset(),
    "show": frozenset({"tables", "databases", "grants", "variables", "columns"}),
    "do": frozenset(),
    "set": frozenset(),
    "handler": frozenset(),
    "call": frozenset(),
    "replace": frozenset({"into"}),
    "rename": frozenset({"table", "user"}),
    "merge": frozenset({"into"}),
    "grant": frozenset({"all", "select", "insert", "update", "delete", "execute"}),
    "revoke": frozenset({"all", "select", "insert", "update", "delete", "execute"}),
}
#: Comparison operators and keywords.
COMPARISONS: Final = frozenset({"=", "==", "<>", "!=", "<", ">", "<=", ">=", "<=>", "like", "ilike", "rlike", "regexp",
                                "between", "in", "is", "sounds", "glob", "match", "similar", "~", "!~", "notnull",
                                "isnull"})
#: Constants that make a condition true (or false) by themselves.
CONSTANTS: Final = frozenset({"true", "false", "null", "not", "current_user", "user", "version",
                              "database", "sysdate", "now"})
#: Functions that delay the answer (time-based blind injection).
DELAY_FUNCTIONS: Final = frozenset({"sleep", "benchmark", "pg_sleep", "pg_sleep_for", "dbms_lock.sleep",
                                    "dbms_pipe.receive_message", "randomblob", "sys.dbms_lock.sleep"})
#: Functions used to leak data through error messages or build conditions.
ERROR_FUNCTIONS: Final = frozenset({
    "extractvalue", "updatexml", "exp", "geometrycollection", "multipoint", "polygon", "linestring",
    "multilinestring", "multipolygon", "gtid_subset", "gtid_subtract", "json_keys", "st_latfromgeohash",
    "st_longfromgeohash", "st_pointfromgeohash", "name_const", "convert", "cast", "ctxsys.drithsx.sn",
    "utl_inaddr.get_host_name", "utl_inaddr.get_host_address", "dbms_xmlgen.getxml", "xmltype",
    "dbms_utility.sqlid_to_sqlhash", "ordsys.ord_dicom.getmappingxpath", "upper", "rand", "floor",
})
#: Functions that only make sense inside SQL (a call to one counts as SQL after a breakout).
_BASE_SQL_FUNCTIONS: Final = frozenset({
    *DELAY_FUNCTIONS, *ERROR_FUNCTIONS, "char", "chr", "concat", "concat_ws", "group_concat", "ascii",
    "ord", "substring", "substr", "mid", "length", "len", "if", "iif", "ifnull", "isnull", "coalesce",
    "nullif", "case", "count", "hex", "unhex", "md5", "sha1", "version", "database", "schema", "user",
    "current_user", "system_user", "session_user", "load_file", "make_set", "elt", "field", "instr",
    "locate", "position", "strcmp", "left", "right", "lower", "reverse", "char_length",
    "conv", "bin", "oct", "abs", "sign", "generate_series", "string_agg", "array_agg", "to_char",
    "current_database", "pg_read_file", "lo_import", "db_name", "host_name", "suser_name",
    "is_srvrolemember", "openrowset", "opendatasource", "xp_cmdshell", "unicode", "nchar",
    "quotename", "tochar", "json_extract", "regexp_substr", "sqlite_version", "typeof", "zeroblob",
    "randomblob", "last_insert_rowid", "@@version",
})
#: Functions whose name and "(" alone make a probe (beyond SQL_FUNCTIONS).
PROBE_FUNCTIONS: Final = frozenset({
    "now", "date", "sysdate", "curdate", "curtime", "localtime", "localtimestamp", "current_date",
    "current_time", "current_timestamp", "utc_date", "utc_time", "minute", "hour", "second", "year",
    "month", "day", "week", "round", "log", "ln", "exp", "pow", "power", "sqrt", "decode", "encode",
    "compress", "uncompress", "db_name", "values", "in", "found_rows", "row_count", "last_insert_id",
    "connection_id", "benchmark", "sleep", "extractvalue", "updatexml", "load_file", "char", "ascii",
    "cast", "convert", "concat", "group_concat", "substring", "substr", "mid", "version", "user",
    "database", "schema", "current_user", "system_user", "session_user", "base64_decode", "from_base64",
    "to_base64", "unhex", "hex", "md5", "sha1", "sha2", "aes_decrypt", "aes_encrypt", "des_decrypt",
    "bit_length", "octet_length", "soundex", "elt", "field", "instr", "locate", "lpad", "rpad",
})
#: Functions that only make sense inside SQL (a call to one counts as SQL after a breakout).
SQL_FUNCTIONS: Final = _BASE_SQL_FUNCTIONS | (PROBE_FUNCTIONS - {"in", "values"}) | {
    "sqlite_version", "sqlite_compileoption_used", "sqlite_source_id", "load_extension", "find_in_set",
    "lpad", "rpad", "sin", "cos", "tan", "pi", "floor", "ceil", "ceiling", "mod", "truncate", "utc_date",
    "glob", "like", "regexp", "match"}
#: Operators that are an injection probe when a value is nothing but one of them in quotes.
_QUOTED_OPERATORS: Final = frozenset({
    "<=>", "||", "&&", "<<", ">>", "<", ">", "<=", ">=", "=", "!=", "<>", "+", "-", "*", "%", "^", "&", "|",
    "div", "mod", "xor", "regexp", "rlike", "like", "not like", "not regexp", "not rlike", "sounds like",
    "is", "is not", "in", "not in", "between", "/",
})
#: Words that continue a condition into more SQL (after a complete tautology).
CONTINUATIONS: Final = frozenset({"and", "or", "xor", "union", "order", "group", "limit", "having", "procedure",
                                  "into", "from", "where", "offset", "select", "waitfor", "then", "else", "end"})
#: Words that may stand as an operand before an operator.
OPERAND_WORDS: Final = frozenset({"true", "false", "null", "not", "exists", "select", "case", "if"})

#: How many tokens after a start are judged (injections are short; prose goes on).
WINDOW_TOKENS: Final = 24
#: How many characters after a start are tokenised.
WINDOW_CHARS: Final = 400

_TOKEN: Final = compile_rx(  # whitespace before a token is skipped by the match itself
    r"\s*(?:"
    r"(?P<cmt>--(?![a-z0-9])[^\n]{0,400}|#(?![a-z0-9])[^\n]{0,400}|(?<=[)\d])#[^\n]{0,400}|/\*[\s\S]{0,400})"
    r"|(?P<str>'(?:[^'\\]|\\.|'')*'?|\"(?:[^\"\\]|\\.|\"\")*\"?|`[^`]{0,200}`?)"
    r"|(?P<num>0x[0-9a-f]+|0b[01]+|\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+)"
    r"|(?P<var>@@?[\w.$]{0,64})"
    r"|(?P<word>[^\W\d][\w$]{0,63}(?:\.[^\W\d][\w$]{0,63}){0,2})"
    r"|(?P<op>:=|<=>|<>|!=|<=|>=|<<|>>|==|\|\||&&|!~|[=<>!+\-*/%^~|&])"
    r"|(?P<punct>\S))",
    re.DOTALL,
)
#: Token kinds by the number of their group in :data:`_TOKEN`.
_KINDS: Final = ("", "cmt", "str", "num", "var", "word", "op", "punct")
#: A statement after ``;`` (where a stacked query may start); searched over the whole value.
_STACKED: Final = compile_rx(r";\s{0,20}(?=[a-z])")
#: A number literal that ends right before a keyword (``1dunion``, ``0.e3union``, ``\\n/0.e3union``):
#: MySQL and Oracle end the number at its suffix, so the keyword stands on its own.
_NUMBER_BEFORE: Final = compile_rx(r"(?<![\w.])(?:\d+|\d*\.\d*)(?:[df]|e\d*)\Z")
#: The word token of :data:`_TOKEN` (what a token starting with a letter is).
_WORD_AT: Final = compile_rx(r"[^\W\d][\w$]{0,63}(?:\.[^\W\d][\w$]{0,63}){0,2}")
#: Places where ``union`` or a delay/error function occur (searched over the whole value).
_ANYWHERE: Final = compile_rx(r"(?:(?<![\w.$])|(?<=\d[dfe])|(?<=[\d.]e\d))"  # 1dunion, 1.e3union: number literals end there
                              r"(?:union|except|intersect|sleep|pg_sleep|benchmark|waitfor|extractvalue|updatexml"
                              r"|dbms_pipe\.receive_message|dbms_lock\.sleep)(?![\w$])")


class _Tok:
    """One token: its kind (``str num var word op punct cmt``), its text and where it starts."""

    __slots__ = ("end", "kind", "start", "text")

    def __init__(self, kind: str, text: str, start: int, end: int) -> None:
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"{self.kind}:{self.text!r}"


#: Tokens read so far from each start of the value being judged (the same window is read from
#: several starts and to several lengths): (value, start) -> [tokens, where reading goes on, or -1
#: when the window or a comment ended it]. Emptied by :func:`detect` for every value.
_MEMO: Final[dict[tuple[str, int], "_Read"]] = {}


class _Read:
    """The tokens read from one start, and where reading goes on (-1: the window or a comment ended it)."""

    __slots__ = ("at", "toks")

    def __init__(self, at: int) -> None:
        self.toks: list[_Tok] = []
        self.at = at


def tokens(text: str, start: int = 0, limit: int = WINDOW_TOKENS) -> list[_Tok]:
    """The first ``limit`` significant tokens of ``text`` from ``start`` (whitespace dropped; a
    comment is one token and ends the list, as it ends the query's own text, unless more SQL
    follows on the next line).

    Example:
        >>> [t.text for t in tokens("1 or 1=1-- x")]
        ['1', 'or', '1', '=', '1', '-- x']
    """
    memo = _MEMO.get((text, start))
    if memo is None:
        memo = _MEMO[(text, start)] = _Read(start)
    found = memo.toks
    if len(found) >= limit or memo.at < 0:
        return found[:limit] if len(found) > limit else found
    end = min(len(text), start + WINDOW_CHARS)
    at = -1  # unless the limit stops the reading below
    for m in _TOKEN.finditer(text, memo.at, end):
        group = m.lastindex or 7
        kind = _KINDS[group]
        if group == 1 and found and m.end() < end and text[m.end():m.end() + 1] == "\n" \
                and text[m.end():end].strip():
            continue  # a line comment with more SQL on the next line: it only hides text
        found.append(_Tok(kind, m.group(group), m.start(group), m.end()))
        if kind == "cmt":
            break
        if len(found) >= limit:
            at = m.end()
            break
    memo.at = at
    return found[:limit] if len(found) > limit else found


# --- judging a token list ------------------------------------------------------------------


class _Expr:
    """What an expression parsed from the tokens holds."""

    __slots__ = ("call", "comparison", "constant", "end", "logical", "operands", "select", "sql_call", "symbolic",
                 "words")

    def __init__(self, end: int) -> None:
        self.end = end
        self.comparison = self.call = self.sql_call = self.select = self.logical = self.symbolic = False
        self.constant = False
        self.operands = 0
        self.words = 0


_UNARY: Final = frozenset({"-", "+", "!", "~", "not", "binary", "distinct"})
#: What SQL's IS is followed by (anything else is English).
_AFTER_IS: Final = frozenset({"null", "not", "true", "false", "unknown", "distinct"})
_BINARY_WORDS: Final = frozenset({"like", "ilike", "rlike", "regexp", "between", "in", "is", "sounds", "glob",
                                  "match", "similar", "to", "div", "mod", "and", "or", "xor", "escape", "collate",
                                  "notnull", "isnull"})


def _close(toks: list[_Tok], i: int) -> int:
    """Index after the ``)`` that closes the ``(`` at ``i`` (or the window's end)."""
    depth = 0
    j = i
    while j < len(toks):
        text = toks[j].text
        if text in ("(", "{"):
            depth += 1
        elif text in (")", "}"):
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return j


def _primary(toks: list[_Tok], i: int, expr: _Expr) -> int:
    """Index after one operand at ``i`` (``i`` when there is none), noting what it holds."""
    if i >= len(toks):
        return i
    t = toks[i]
    if t.kind == "cmt":
        return i
    if t.text in ("(", "{"):  # { } : ODBC escapes ({fn ...}, {if ...}) group like parentheses
        end = _close(toks, i)
        inner = toks[i + 1:end]
        if any(x.text == "select" for x in inner):
            expr.select = True
        if any(x.text in COMPARISONS for x in inner):
            expr.comparison = True
        if any(x.kind == "word" and x.text in SQL_FUNCTIONS and k + 1 < len(inner) and inner[k + 1].text == "("
               for k, x in enumerate(inner)):
            expr.sql_call = True
        expr.operands += 1
        return end
    if t.kind == "word" and i + 1 < len(toks) and toks[i + 1].text == "(" and (
            toks[i + 1].start == t.end or t.text in SQL_FUNCTIONS):
        expr.call = True
        if t.text in SQL_FUNCTIONS:
            expr.sql_call = True
        end = _close(toks, i + 1)
        if any(x.text == "select" for x in toks[i + 2:end]):
            expr.select = True
        expr.operands += 1
        return end
    if t.kind == "word" and t.text == "case":
        j = i + 1
        while j < len(toks) and toks[j].text != "end":
            j += 1
        expr.call = expr.sql_call = True
        expr.operands += 1
        return min(j + 1, len(toks))
    if t.kind == "word" and t.text == "select":
        expr.select = True
        expr.operands += 1
        return len(toks)
    if t.kind in ("num", "str", "var") or t.text == "?":  # ? : a prepared statement's parameter
        expr.operands += 1
        if t.kind == "var":
            expr.sql_call = True
        return i + 1
    if t.kind == "word" and t.text not in LOGICAL and t.text not in CONTINUATIONS and t.text not in _BINARY_WORDS:
        expr.operands += 1
        if t.text in CONSTANTS:
            expr.constant = True
        else:
            expr.words += 1
        return i + 1
    return i


def _expression(toks: list[_Tok], i: int) -> _Expr:
    """Parse ``[binop] operand (binop operand)*`` from ``i``: the expression's end and content."""
    expr = _Expr(i)
    j = i
    expect_operand = False
    while j < len(toks):
        t = toks[j]
        if t.kind == "cmt":
            break
        if expect_operand or j == i:
            k = j
            while k < len(toks) and (toks[k].text in _UNARY):
                k += 1
            end = _primary(toks, k, expr)
            if end == k:
                if j == i and not expect_operand:
                    pass  # the expression starts with an operator: handled below
                else:
                    break
            else:
                j = end
                expect_operand = False
                expr.end = j
                continue
        if t.text == "not" and j + 1 < len(toks) and toks[j + 1].text in _BINARY_WORDS and not expect_operand:
            j += 1  # NOT LIKE, NOT REGEXP, NOT IN ...
            t = toks[j]
        if t.text in ("notnull", "isnull") and not expect_operand:  # postfix: x NOTNULL
            expr.comparison = True
            j += 1
            expr.end = j
            continue
        if t.kind == "op" or (t.kind == "word" and t.text in _BINARY_WORDS) or t.text == ",":
            if t.text == "is" and (j + 1 >= len(toks) or toks[j + 1].text not in _AFTER_IS):
                break  # English "is" ("where is my parcel"), not IS NULL / IS NOT
            if t.text == "to" and (j == 0 or toks[j - 1].text != "similar"):
                break
            if t.text in LOGICAL:
                expr.logical = True
            elif t.text in COMPARISONS:
                expr.comparison = True
                expr.symbolic = expr.symbolic or t.kind == "op"
            j += 1
            if t.text in ("similar", "sounds") and j < len(toks) and toks[j].text in ("to", "like"):
                j += 1  # SIMILAR TO, SOUNDS LIKE
            if j < len(toks) and toks[j].text in ("not", "like", "null", "similar"):
                if toks[j].text == "null":
                    expr.constant = True
                    expr.operands += 1
                    j += 1
                    expr.end = j
                    continue
                j += 1
            expect_operand = True
            continue
        break
    return expr


def _ends_sql(toks: list[_Tok], i: int, quoted: str) -> bool:
    """Whether SQL may end (or go on) at token ``i``: the end, a comment, ``)``, ``;``, a continuation,
    or a dangling quote that the query's own closing quote completes."""
    if i >= len(toks):
        return True
    t = toks[i]
    if t.kind == "cmt" or t.text in (")", ";") or (t.kind == "word" and t.text in CONTINUATIONS):
        return True
    return bool(quoted) and t.kind == "str" and t.text[:1] == quoted and t.text[-1:] != quoted \
        and len(toks) == i + 1 and not _PROSE_TAIL.search(t.text)


#: A dangling string the query's quote would complete that holds a blank then a word: the value
#: goes on in prose (resulting in an additional "and null" clause.), not into a string operand.
_PROSE_TAIL: Final = compile_rx(r"\s[^\W\d_]{2,}")


def _judge(toks: list[_Tok], quoted: str) -> tuple[str, int] | None:
    """The injection the tokens form from a start (after any ``)`` that closes the query's own
    parentheses): the kind and the index of its last token, or None."""
    i = 0
    while i < len(toks) and toks[i].text == ")":
        i += 1
    if i >= len(toks):
        return None
    t = toks[i]
    if quoted and t.kind == "cmt" and (i + 1 >= len(toks)) and quoted not in t.text:
        return "comment", i  # (not "--" nor '#...' written in quotes)
    if quoted and t.text == ";" and all(x.kind == "cmt" for x in toks[i + 1:]):
        return "comment", i  # x'; : the statement ended at the breakout (a probe for an SQL error)
    if t.text == "not" and i + 1 < len(toks) and toks[i + 1].text in _BINARY_WORDS:
        i += 1
        t = toks[i]
    if t.kind == "word" and t.text in ("order", "group") and i + 2 < len(toks) and toks[i + 1].text == "by" \
            and toks[i + 2].kind == "num":
        return "order-by", i + 2
    if t.kind == "word" and t.text == "union":
        if i + 1 == len(toks) and not quoted and i > 0:
            return "fragment", i  # 1/1 union : the keyword after the value, cut (comment-split tests)
        return ("union", i + 1) if _union_select(toks, i) else None
    if t.kind == "word" and t.text == "from" and i + 2 < len(toks) and toks[i + 1].kind in ("word", "str") \
            and toks[i + 2].text in ("where", "limit", "order", "group", "union", ";"):
        return "fragment", i + 2  # 1) from users where ... : the rest of a query after the breakout
    if t.text == ";":
        return ("stacked", i + 1) if i + 1 < len(toks) and _statement(toks, i + 1) else None
    if t.kind == "word" and t.text in ("having", "where") and i + 1 < len(toks):
        if toks[i + 1].kind == "op" and toks[i + 1].text not in _UNARY:
            return None  # where <type> and <subtype>: an operator with no left operand is no condition
        expr = _expression(toks, i + 1)
        if expr.symbolic or expr.sql_call or expr.select:  # "where x is not y" is English
            return "tautology", max(expr.end - 1, i)
        return None
    if t.kind == "word" and t.text == "into" and i + 1 < len(toks) and toks[i + 1].text in ("outfile", "dumpfile"):
        return "stacked", i + 1
    # after a closed string only an operator or a keyword can follow (x'len(s) is not SQL); a
    # number may be followed by a parenthesis or a call only where + was a space (handled above)
    if not (t.kind == "op" or t.text == "," or (t.kind == "word" and t.text in LOGICAL | _BINARY_WORDS)
            or (not quoted and (t.text == "(" or (t.kind == "word" and i + 1 < len(toks)
                                                  and toks[i + 1].text == "(")))):
        return None
    expr = _expression(toks, i)
    if expr.end <= i:
        return None
    last = max(expr.end - 1, i)
    if expr.end == len(toks) - 1 and (toks[-1].kind == "op" or toks[-1].text in ("'", '"')) and expr.logical \
            and expr.operands and not expr.words and t.text in LOGICAL:
        return "fragment", len(toks) - 1  # xor 5-  /  or 1==1'  : a condition cut where the query goes on
    if not _ends_sql(toks, expr.end, quoted):
        # after a breakout, a condition with a comparison is an injection whatever trails it
        if quoted and expr.logical and expr.comparison and expr.operands >= 2:
            return "tautology", last
        return None
    if quoted and expr.end < len(toks) and toks[expr.end].kind == "cmt" and expr.operands and (
            expr.sql_call or expr.comparison or expr.logical or expr.select or expr.words < expr.operands):
        return ("tautology" if expr.logical or expr.comparison else "expression"), last
    if expr.select or expr.sql_call:
        return "tautology" if expr.logical or expr.comparison else "expression", last
    if expr.logical and (expr.comparison or expr.constant):
        return "tautology", last
    if expr.comparison and quoted and expr.operands >= 2 and not expr.words and (
            expr.logical or (expr.end < len(toks) and toks[expr.end].kind == "cmt")):
        return "tautology", last
    if quoted and _string_operator(toks, i, expr):
        return "string-operator", last
    if expr.logical and expr.operands and not expr.words and t.text in LOGICAL:
        dangling = toks[-1]
        if quoted and dangling.kind == "str" and len(dangling.text) <= 3 and (
                len(dangling.text) == 1 or dangling.text[-1:] != dangling.text[:1] and dangling.text[1:].isalnum()):
            return "fragment", last  # " or ""-"  /  ' or "  : the query's own quote completes it
        return "boolean", last
    if expr.call and expr.symbolic and expr.end < len(toks):
        return "expression", last
    return None


def _string_operator(toks: list[_Tok], i: int, expr: _Expr) -> bool:
    """``x' <op> 'y``: after the breakout, one operator and a short operand whose string the query's
    own closing quote completes, and nothing else (``a' * 'b``, ``a' rlike 'b``, ``foo'or'oof``)."""
    last = toks[-1]
    if expr.end != len(toks) or last.kind != "str" or last.text[-1:] == last.text[:1] or len(last.text) > 25:
        return False
    if any(c.isspace() for c in last.text) or not last.text[1:].isalnum():
        return False  # 'b, 'oof, '0 complete the query's string; '/events/search/'. is a quoted path
    middle = toks[i:-1]
    operators = [t for t in middle if t.kind == "op" or (t.kind == "word" and t.text in _BINARY_WORDS)]
    if all(t.text == "/" for t in operators):
        return False
    return bool(operators) and len(middle) <= 6 and not any(t.kind == "str" for t in middle)


def _union_select(toks: list[_Tok], i: int) -> bool:
    j = i + 1
    if j < len(toks) and toks[j].text in ("all", "distinct"):
        j += 1
    while j < len(toks) and toks[j].text == "(":
        j += 1
    if not (j < len(toks) and toks[j].text == "select"):
        return False
    j += 1
    if j >= len(toks):
        return True
    nxt = toks[j]
    if nxt.text == "(" and j + 1 < len(toks) and toks[j + 1].text == ")":
        return False  # select(): an API's method named in prose; SQL has no empty ( )
    # a select list: constants, null, *, calls, columns followed by , or from, a variable
    if nxt.kind in ("num", "str", "var") or nxt.text in ("*", "null", "distinct", "all", "(") or (
            nxt.kind == "word" and j + 1 < len(toks) and toks[j + 1].text == "("):
        return True
    if nxt.kind == "word" and j + 1 < len(toks) and toks[j + 1].text in (",", "from", "(", "||", "+"):
        return True
    return False


#: Functions an injection calls that the lists above do not hold: user-defined command
#: execution (lib_mysqludf_sys, sqlmap's --os-cmd), out-of-band and lock-based channels.
OUT_OF_BAND_FUNCTIONS: Final = frozenset({
    "sys_eval", "sys_exec", "dblink", "dblink_connect", "dblink_exec", "fn_xe_file_target_read_file",
    "fn_get_audit_file", "fn_trace_gettable", "get_lock", "xp_dirtree", "xp_fileexist", "xp_subdirs",
})


def _names_calls(toks: list[_Tok]) -> bool:
    """Whether tokens holding calls are calls of plain names only: no number operand before the
    first call, and no SQL or out-of-band function anywhere among them, nested ones too
    (``- shutdown() - handle_request() #`` in a docstring, not ``1-sys_eval('id')--``)."""
    called = False
    for k, t in enumerate(toks):
        if t.kind == "num" and not called:
            return False
        if t.kind == "word" and k + 1 < len(toks) and toks[k + 1].text == "(":
            if t.text in SQL_FUNCTIONS or t.text in OUT_OF_BAND_FUNCTIONS:
                return False
            called = True
    return True


#: What may follow ``delete from <table> [alias]`` in SQL.
_AFTER_DELETE: Final = frozenset({"where", "using", "returning", "limit", "order", "output", "from", "with", "option",
                                  ";", ")", ","})


def _statement(toks: list[_Tok], i: int) -> bool:
    t = toks[i]
    if t.kind != "word" or t.text not in STATEMENTS:
        return False
    if t.text == "select":
        return _union_select([_Tok("word", "union", 0, 0), *toks[i:]], 0)
    if t.text in ("shutdown", "commit", "rollback", "begin"):
        if t.text == "begin" and i + 1 < len(toks) and toks[i + 1].text != "begin" and _statement(toks, i + 1):
            return True  # ; begin declare @x ...: a block of statements
        return i + 1 >= len(toks) or toks[i + 1].kind == "cmt" or toks[i + 1].text == ";"
    if t.text == "waitfor":
        return i + 1 < len(toks) and toks[i + 1].text in ("delay", "time")
    if t.text in ("exec", "execute"):
        if i + 2 < len(toks) and toks[i + 1].text == "(" and toks[i + 1].start == t.end and toks[i + 2].text == ")":
            return False  # exec() named in prose: SQL has no empty ( ) (exec/**/() still counts)
        return i + 1 < len(toks) and (toks[i + 1].text.startswith(("xp_", "sp_", "master.", "(")) or
                                      toks[i + 1].kind == "var")
    if t.text == "declare":
        return i + 1 < len(toks) and toks[i + 1].kind == "var"
    if t.text == "update":
        return i + 2 < len(toks) and toks[i + 1].kind == "word" and toks[i + 2].text == "set"
    if t.text in ("drop", "truncate", "create", "alter") and i + 2 < len(toks) and toks[i + 1].kind == "word" \
            and "." not in toks[i + 1].text and (toks[i + 2].text == ";" or toks[i + 2].kind == "cmt") \
            and all(x.kind == "cmt" for x in toks[i + 3:]):
        return True  # drop sampletable;--  (not "drop foo.patch; not needed")
    if t.text == "delete" and i + 2 < len(toks) and toks[i + 1].text == "from" and toks[i + 2].kind == "word":
        j = i + 3  # delete from <table> [[as] alias], then the end or a clause ("delete from my account all ...": English)
        if j < len(toks) and toks[j].text == "as":
            j += 1
        if j < len(toks) and toks[j].kind == "word" and toks[j].text not in _AFTER_DELETE:
            j += 1
        return j >= len(toks) or toks[j].kind in ("cmt", "str") or toks[j].text in _AFTER_DELETE or (
            toks[j].text == "-" and j + 1 < len(toks) and toks[j + 1].text == "-")  # --x: a comment but in MySQL
    objects = STATEMENT_OBJECTS.get(t.text)
    if objects is None:
        return False
    if not objects:
        return t.text in ("set",) and i + 2 < len(toks) and toks[i + 1].kind == "var" and toks[i + 2].text in ("=", ":=")
    return i + 1 < len(toks) and toks[i + 1].text in objects


#: Words a value may start with when it is the tail of an injection (the payload only, as many
#: tools send it: `` or 1=1--``, `` order by 3#``).
_TAIL_STARTS: Final = frozenset({"or", "and", "xor", "||", "&&", "order", "group", "having", "union", "where",
                                 "procedure", "limit", "into"})
#: Statements a value may be, whole.
_STATEMENT_STARTS: Final = frozenset({"select", "insert", "update", "delete", "drop", "create", "alter",
                                      "exec", "execute", "declare", "truncate", "waitfor", "shutdown", "grant"})


def _starts(text: str) -> list[tuple[int, str]]:
    """Where an injection may start: the value itself (``""``: a number, a sign, a parenthesis, a
    call, a quote, a logical operator or clause, a statement), and right after its first single and
    first double quote (the breakout)."""
    starts: list[tuple[int, str]] = [(0, "")]
    for quote in ("'", '"'):
        at = text.find(quote)
        if at >= 0:
            starts.append((at + 1, quote))
    return starts


def _statement_value(toks: list[_Tok]) -> bool:
    """A whole statement with what only SQL has: ``select * from x``, ``select 1,2 from``, a call,
    a variable, ``;`` or a comment after it (not "select a file from the list", nor "select all
    %(count)s items")."""
    if not toks or toks[0].kind != "word":
        return False
    if toks[0].text != "select":
        return _statement(toks, 0)

    def call(i: int) -> bool:
        return (toks[i].kind == "word" and i + 1 < len(toks) and toks[i + 1].text == "("
                and toks[i + 1].start == toks[i].end)

    marks = 0
    for i, t in enumerate(toks[1:], start=1):
        if t.kind in ("num", "var", "cmt") or t.text in ("*", ";") or call(i) or (
                t.kind == "str" and t.text.startswith("`")) or t.text.startswith(
                ("information_schema", "sys", "pg_", "mysql.", "master.", "dual")):
            marks += 1
        elif t.text == "," and i + 1 < len(toks) and toks[i + 1].text != "%":
            marks += 1
    if not marks or len(toks) < 2:
        return False
    second = toks[1]
    if second.text == "(" and len(toks) > 2 and toks[2].text == ")":
        return False  # select() ...: an API's method named in prose; SQL has no empty ( )
    if second.kind == "word" and second.text in SQL_FUNCTIONS | CONSTANTS and (
            len(toks) == 2 or toks[2].text in (";", ",", "from") or toks[2].kind == "cmt"):
        return True  # select current_user;
    return (second.kind in ("num", "var") or second.text in ("*", "(", "-") or call(1)
            or any(t.text == "from" for t in toks[2:6]) or (marks >= 2 and any(t.text == "from" for t in toks)))


#: A form key glued to its value (``pay=and 1=1``: a form field whose name the parser kept).
_KEY_PREFIX: Final = compile_rx(r"[\w.\[\]-]{1,30}=(?!=)")


def _probe(toks: list[_Tok]) -> str | None:
    """Probes that are SQL fragments by themselves: a SQL function's name and ``(`` alone
    (``db_name(``, ``now (``), or a quoted operator alone (``'<=>'``, ``a '>' b``, ``' not rlike '``)."""
    if len(toks) == 2 and toks[0].kind == "word" and toks[1].text == "(" and (
            toks[0].text in SQL_FUNCTIONS or toks[0].text in PROBE_FUNCTIONS):
        return "function-probe"
    inner = [t for t in toks if t.kind != "word" or t.text not in ("a", "b")]
    if 1 <= len(inner) <= 2 and all(t.kind == "str" and t.text[:1] == "'" for t in inner) and len(toks) <= 4:
        body = " ".join(t.text.strip("'").strip() for t in inner).strip()
        words = body.split()
        if body and (body in _QUOTED_OPERATORS or " ".join(words) in _QUOTED_OPERATORS):
            return "operator-probe"
    return None


#: First words from which the value may be judged as SQL as it stands (see :func:`_as_is`).
_AS_IS_WORDS: Final = frozenset({"case", "from", "a", "b"}) | _STATEMENT_STARTS | _TAIL_STARTS | CONSTANTS \
    | SQL_FUNCTIONS | PROBE_FUNCTIONS | LOGICAL
#: Second tokens that make any first word a possible start (``id) and``, ``x, (select``, ``f(``).
_AS_IS_NEXT: Final = frozenset({",", ")", "(", "like", "rlike", "regexp"}) | LOGICAL


def _plain_start(text: str) -> bool:
    """Whether the value starts with a plain word not followed by what could make it SQL (a user
    agent, a sentence): no branch of :func:`_as_is` can then find a structure, and the window is
    not tokenised.

    Example:
        >>> _plain_start("mozilla/5.0 (x11; linux x86_64)"), _plain_start("id) and 1=1")
        (True, False)
    """
    head = tokens(text, 0, 2)
    return bool(head) and head[0].kind == "word" and head[0].text not in _AS_IS_WORDS and (
        len(head) < 2 or head[1].text not in _AS_IS_NEXT) and _KEY_PREFIX.match(text) is None


#: Chained ``key=`` prefixes (``a=b=c=...``) judged one by one; past this many, the rest of the
#: chain is skipped at once and what follows it is judged (one level per key would exhaust
#: Python's recursion on a few thousand keys, and the guard would fail open).
_KEY_DEPTH: Final = 8


def _as_is(text: str, depth: int = 0) -> tuple[str, int] | None:
    """The value judged as it stands (a number or expression in the query, or the payload alone)."""
    if _plain_start(text):
        return None
    toks = tokens(text, 0)
    if not toks:
        return None
    probe = _probe(toks)
    if probe is not None:
        return probe, len(toks) - 1
    if len(toks) == 3 and toks[0].kind == "word" and toks[1].text in ("like", "rlike", "regexp") \
            and toks[2].text in ("'", '"'):
        return "fragment", 2  # something like '
    if len(toks) == 1 and toks[0].text == "<=>":
        return "operator-probe", 0  # MySQL's null-safe equality: SQL and nothing else
    key = _KEY_PREFIX.match(text)
    if key is not None and key.end() < len(text):
        end = key.end()
        if depth >= _KEY_DEPTH:
            while (more := _KEY_PREFIX.match(text, end)) is not None and more.end() < len(text):
                end = more.end()
        found = _as_is(text[end:], depth + 1)
        if found is not None and found[0] != "statement":
            return found[0], len(toks) - 1
        rest = tokens(text, key.end())
        if len(rest) >= 2 and rest[-1].text in LOGICAL | {"("} and rest[-2].text in LOGICAL | {"(", ")"} or (
                len(rest) >= 2 and rest[-1].text in LOGICAL):
            return "fragment", len(toks) - 1  # pay=/3 and(  /  pay=x or : a condition left open
    found = _as_is_tokens(toks)
    if found is not None:
        return found
    if len(toks) >= 2 and toks[-1].kind == "cmt" and (toks[0].text in ("(", "-") or toks[0].kind == "num"):
        body = _expression(toks, 0)
        if body.end == len(toks) - 1 and body.operands and not body.words and (
                body.sql_call or not body.call or not _names_calls(toks)):
            return "comment", len(toks) - 1  # ( cos ( 1 or 'b') ) --   /   1 * 1--   /   1/*  (not - f(x) - g() #)
    return None


def _as_is_tokens(toks: list[_Tok]) -> tuple[str, int] | None:
    first = toks[0]
    last = len(toks) - 1
    if first.kind == "word" and first.text == "case" and any(t.text == "when" for t in toks[1:3]) \
            and any(t.text == "then" for t in toks):
        return "expression", last  # case when ... then
    if first.kind == "word" and first.text == "from" and len(toks) > 2 and (
            toks[1].text == "(" and toks[2].text == "select"
            or toks[1].kind in ("word", "str") and any(t.text in ("where", "limit", "order", "group") for t in toks[2:5])):
        return "fragment", last  # from information_schema.tables where 1=2 limit / from(select ...
    i = 0
    while i < len(toks) and toks[i].text == ")":
        i += 1
    if 0 < i < len(toks) - 2 and toks[i].text == "as" and any(t.text == "from" for t in toks[i + 1:i + 4]):
        return "fragment", last  # ) as day1 from
    if first.text in ("(", "{"):
        inner = _Expr(0)
        if _primary(toks, 0, inner) == len(toks) and any(t.text in ("case", "select") for t in toks[1:3]) \
                and (inner.comparison or inner.select):
            return "expression", last  # (case when 4518=5617 then 1 else null end)
    if first.kind == "word" and len(toks) > 2 and toks[1].text in (",", ")") and first.text not in LOGICAL:
        rest = _judge(toks[1:], "")
        if rest is not None:
            return rest[0], rest[1] + 1  # foo,iif(2510=9436,foo,1/0)  /  id) and 1=1
    if first.text == "," and len(toks) > 2:
        called = _Expr(0)
        if _primary(toks, 1, called) > 1 and (called.sql_call or called.select):
            return "expression", last  # , find_in_set('22', category )
    if first.kind == "word" and len(toks) > 2 and first.text not in LOGICAL and first.text not in _BINARY_WORDS \
            and toks[1].text in LOGICAL:
        tail = _expression(toks, 1)
        if tail.symbolic and not tail.words and tail.end >= len(toks) - 1:
            return "tautology", last  # hope and (8)=3
    if first.kind == "word" and len(toks) > 1 and toks[1].text == "(" and first.text in SQL_FUNCTIONS:
        whole_call = _Expr(0)
        if _primary(toks, 0, whole_call) == len(toks) and (
                whole_call.select or any(t.kind == "num" and t.text.startswith("0x") for t in toks)
                or sum(1 for t in toks if t.kind == "word" and t.text in SQL_FUNCTIONS) >= 2):
            return "expression", last  # length(version()), concat(0x22,version())
    if first.kind in ("num", "str") and len(toks) >= 3:
        cmp = _expression(toks, 0)
        words = [t.text for t in toks[1:cmp.end] if t.kind == "word"]
        if cmp.end == len(toks) and cmp.comparison and not cmp.words and cmp.operands == 2 and (
                words or (toks[1].text in ("=", "<=>") and toks[0].text == toks[-1].text)):
            return "tautology", last  # 42 like 42, 1 is not 2, 1=1
    if first.kind == "word" and first.text in _STATEMENT_STARTS:
        return ("statement", len(toks) - 1) if _statement_value(toks) else None
    if (first.kind == "op" and first.text in LOGICAL) or (first.kind == "word" and first.text in _TAIL_STARTS):
        return _judge(toks, "")
    if first.text == "(" and len(toks) > 1 and toks[1].text == "select":
        inner = _Expr(0)
        _primary(toks, 0, inner)
        return ("statement", len(toks) - 1) if _statement_value(toks[1:]) else None
    operand_like = first.kind in ("num", "var", "str") or first.text in ("(", "-", "+", "~", "!", ")") or (
        first.kind == "word" and (first.text in CONSTANTS or (len(toks) > 1 and toks[1].text == "(")))
    if not operand_like:
        return None
    # the value's own operand, then the injection: 1 or 1=1, -1 union select, 1) and (1=1
    expr = _Expr(0)
    k = 0
    while k < len(toks) and toks[k].text in _UNARY:
        k += 1
    after = _primary(toks, k, expr)
    if after > 0:
        rest = _judge(toks[after:], "")
        if rest is not None:
            return rest[0], rest[1] + after
    # or an expression that is the injection by itself: floor(pi()) and sin(pi())=0, ~9-(2) or 1 = ~1
    whole = _expression(toks, 0)
    if whole.end > 0 and _ends_sql(toks, whole.end, "") and whole.logical and (whole.comparison or whole.select):
        return "tautology", max(whole.end - 1, 0)
    if whole.end > 0 and _ends_sql(toks, whole.end, "") and first.kind == "str" and whole.comparison \
            and whole.operands >= 2 and not whole.words:
        return "tautology", max(whole.end - 1, 0)
    return None


def _from_start(text: str, start: int, quoted: str) -> tuple[str, int, int] | None:
    if not quoted:
        found = _as_is(text)
        if found is None:
            return None
        toks = tokens(text, 0)
    else:
        toks = tokens(text, start)
        found = _judge(toks, quoted)
    if found is None:
        return None
    kind, last = found
    return kind, start, toks[last].end if 0 <= last < len(toks) else len(text)


def _statement_word_at(text: str, at: int) -> bool:
    """Whether the word token at ``at`` (a letter: a word token starts there) is a statement's."""
    word = _WORD_AT.match(text, at)
    return word is not None and word.group() in STATEMENTS


def _anywhere(text: str) -> list[tuple[str, int, int]]:
    """Structures that are SQL wherever they are: ``union select``, stacked statements, delay and
    error-based functions."""
    found: list[tuple[str, int, int]] = []
    if ";" in text:
        for m in _STACKED.finditer(text):
            if not _statement_word_at(text, m.end()):
                continue  # "; linux x86_64)": no statement starts after this ;
            toks = tokens(text, m.end(), 8)
            if toks and _statement(toks, 0):
                found.append(("stacked", m.start(), toks[min(1, len(toks) - 1)].end))
                break
    for m in _ANYWHERE.finditer(text):
        word = m.group()
        at = m.start()
        if at and (text[at - 1].isalnum() or text[at - 1] in "_.") \
                and not _NUMBER_BEFORE.search(text, max(0, at - 40), at):
            continue  # part of another word, or a member (time.sleep); not after a number literal
        toks = tokens(text, at, 12)
        if not toks or toks[0].kind != "word":
            continue
        if word in ("union", "except", "intersect"):
            if toks[0].text == word and (_union_select(toks, 0) or (
                    word != "union" and len(toks) > 2 and toks[1].text == "values" and toks[2].text == "(")):
                found.append(("union", at, toks[min(2, len(toks) - 1)].end))
        elif word == "waitfor":
            if len(toks) > 2 and toks[1].text in ("delay", "time") and toks[2].kind == "str":
                found.append(("time-delay", at, toks[2].end))
        elif len(toks) > 2 and toks[1].text == "(" and toks[0].text in DELAY_FUNCTIONS | ERROR_FUNCTIONS:
            if toks[2].kind in ("num", "str", "var", "word") or toks[2].text in ("(", "-"):
                kind = "time-delay" if toks[0].text in DELAY_FUNCTIONS else "error-function"
                found.append((kind, at, toks[1].end))
    return found


#: Characters or words without which no structure above can form (the prefilter).
_NEEDED: Final = ("'", '"', ";", "union", "or", "and", "||", "&&", "sleep", "benchmark", "waitfor", "like",
                  " is ", "regexp", "case", "from", "<=>", "in (",
                  "extractvalue", "updatexml", "xor", "order", "group", "receive_message", "#", "--", "select",
                  "having", "where", "exec", "drop", "insert", "update", "delete", "create", "declare", "div")


_NEEDED_RX: Final = compile_rx("|".join(re.escape(n) for n in _NEEDED))


def detect(text: str, stop: frozenset[str] = frozenset()) -> list[tuple[str, int, int]]:
    """The SQL-injection structures of a normalised value (see the module docstring); reading ends
    at the first structure of a kind in ``stop`` (it decides the value: the guard's engine passes
    the kinds of its blocking rules).

    Example:
        >>> detect("-1 union select 1,2,version()")[0][0]
        'union'
        >>> detect("value must be either none, true or false.")
        []
    """
    _MEMO.clear()
    if _NEEDED_RX.search(text) is None and text.count("(") < 2 and "0x" not in text:  # f(g(x)), 0x41: calls
        if len(text) < 40 and text.rstrip().endswith("("):  # a function probe: db_name(
            probe = _probe(tokens(text))
            return [(probe, 0, len(text))] if probe else []
        return []
    found = _structures(text, stop)
    if "+" in text and " " not in text:  # + may be a URL-encoded space the application decodes (1+or+1=1)
        seen = {kind for kind, _, _ in found}
        if not (stop and not stop.isdisjoint(seen)):
            found.extend(hit for hit in _structures(text.replace("+", " "), stop) if hit[0] not in seen)
    return found


#: GNU-style quotation (```word'``), which prose uses: its closing ``'`` opens no SQL string.
_GNU_QUOTE: Final = compile_rx(r"(?<!`)`([^`'\n]{1,80})'")


def _structures(text: str, stop: frozenset[str] = frozenset()) -> list[tuple[str, int, int]]:
    if "`" in text:
        text = _GNU_QUOTE.sub(r"`\1`", text)  # same length: the spans still fit the value
    found: list[tuple[str, int, int]] = []
    for start, quoted in _starts(text):
        hit = _from_start(text, start, quoted)
        if hit is not None:
            found.append(hit)
            if hit[0] in stop:
                return found
    seen = {kind for kind, _, _ in found}
    found.extend(hit for hit in _anywhere(text) if hit[0] not in seen)
    return found
