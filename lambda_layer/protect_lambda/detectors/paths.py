"""Path traversal, judged on the path itself: does it climb above its root, does it reach a file
that no request should name?

The value is read as a path after the guard's decoding (``%2e%2e%2f``, overlong
UTF-8, ``0x2e``... are already plain), with every filter-bypass spelling of a
separator or a parent folder made plain too: ``\\`` and ``/`` alike, doubled
separators, ``....//`` and ``..../`` (what is left after a filter strips
``../`` once), ``..;/`` (a Tomcat path parameter). Each path-like run of the
value (from a separator or a parent folder to the next space or quote) is then
resolved segment by segment, as a file system would from the folder the
application joins it to:

* ``climb``: ``..`` takes the path above where it started; by how many levels is
  the strength: three or more (``../../../``), or any climb that then names a
  sensitive file, is an attack; ``climb-2`` (two levels, a build log's
  ``../../lib/x.h``) and ``climb-1`` (a relative link) are weak;
* ``sensitive-file``: the path (climbing or absolute, ``file://`` included) ends
  in a file an attacker reads (``/etc/passwd``, ``win.ini``, ``.ssh/id_rsa``,
  ``.aws/credentials``, ``web.config``...): strong when the whole value is that
  path; ``sensitive-mention`` when prose mentions one ("edit /etc/hosts"), weak;
* ``system-path``: the whole value is an absolute file-system path under a system
  or server folder (``/usr/local/apache/logs/error.log``, ``c:\\xampp\\php\\php.ini``,
  ``/proc/self/fd/3``): what local-file-inclusion probes send. ``system-file``
  when it names a configuration, log, secret or backup file or sits under
  ``/etc``, ``/proc``, ``/var/log`` (strong); ``system-path`` otherwise (weak:
  ``/usr/local/lib/x.jar`` in a code-scanning alert). An API's own routes
  (``/api/v1/...``) start elsewhere.

The sensitive files are data (:data:`SENSITIVE`). Linear: one pass over the value.

Example:
    >>> [kind for kind, _, _ in detect("../../../../etc/passwd")]
    ['climb', 'sensitive-file']
    >>> detect("see ../README.md for details")
    [('climb-1', 4, 16)]
"""

from __future__ import annotations

import re

from protect_lambda.detectors import compile_rx

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Final

#: Files (as path endings, lower case, "/" separators) that requests have no business naming.
SENSITIVE: Final = (
    "etc/passwd", "etc/shadow", "etc/group", "etc/hosts", "etc/issue", "etc/hostname", "etc/sudoers",
    "etc/crontab", "etc/fstab", "etc/master.passwd", "etc/security/passwd", "etc/mysql/my.cnf",
    "etc/httpd/conf/httpd.conf", "etc/apache2/apache2.conf", "etc/nginx/nginx.conf", "etc/ssh/sshd_config",
    "proc/self/environ", "proc/self/cmdline", "proc/self/maps", "proc/self/status", "proc/version",
    "proc/self/fd", "proc/self/cwd", "proc/1/environ", "var/log/auth.log", "var/log/apache2/access.log",
    "var/log/apache/access.log", "var/log/httpd/access_log", "var/log/nginx/access.log", "var/log/syslog",
    "var/run/secrets/kubernetes.io/serviceaccount/token", "root/.bash_history", ".bash_history",
    ".ssh/id_rsa", ".ssh/id_dsa", ".ssh/id_ed25519", ".ssh/authorized_keys", ".ssh/known_hosts",
    ".aws/credentials", ".aws/config", ".docker/config.json", ".kube/config", ".git/config", ".git/head",
    ".git/index", ".env", ".htpasswd", ".htaccess", ".npmrc", ".pgpass", ".my.cnf", "wp-config.php",
    "web.config", "web-inf/web.xml", "meta-inf/manifest.mf", "config/database.yml", "boot.ini",
    "windows/win.ini", "winnt/win.ini", "win.ini", "system.ini", "windows/system32/drivers/etc/hosts",
    "windows/system32/config/sam", "windows/repair/sam", "windows/system32/cmd.exe", "autoexec.bat",
    "inetpub/wwwroot/web.config", "php.ini", "etc/php.ini", "usr/local/etc/php.ini", "application.properties",
    "appsettings.json", "server.xml", "tomcat-users.xml", "id_rsa",
)
#: Folders that only an absolute path under the system root names.
SYSTEM_ROOTS: Final = frozenset({
    "etc", "proc", "var", "usr", "opt", "root", "boot", "sys", "srv", "private", "volumes", "bin",
    "sbin", "lib", "windows", "winnt", "program files", "program files (x86)", "programfiles", "inetpub",
    "xampp", "wamp", "apache", "apache2", "php", "documents and settings", "users/administrator",
    "sysprep", "log", "logs", "mysql", "nginx", "httpd", "tomcat", "boot.ini",
})

#: Filter-bypass spellings of a parent folder followed by a separator, made plain: ``....//``,
#: ``..;/``, ``..//``, and ``..`` followed by the remains of a broken encoding (``..%2%f``, ``..2f``,
#: ``..0x5c``, ``..%c0%af``) or one to three junk characters. The run of dots is taken from its
#: first dot only (``(?<!\.)``): tried from every dot of a long run, it cost time quadratic in the
#: run (20 000 dots: 4.6 s), and a run that matches from a later dot matches from its first.
_BYPASS: Final = compile_rx(
    r"(?<!\.)\.{3,}/+|\.\.;/|\.\./{2,}|\.\.(?:%[0-9a-z%]{1,6}|0x(?:2f|5c)|2f|5c|[^\w\s./]{1,3})(?=[\w.])")
#: Characters that stand for a separator when they sit inside a path (decoding debris, controls,
#: private-use and replacement characters).
_DEBRIS: Final = compile_rx(r"[\x00-\x1f\x7f\ue000-\uf8ff\ufffd]+")
#: A path-like run: from a separator, a parent folder or a drive / file:// prefix to a space,
#: a quote, an angle bracket or the end.
_RUN: Final = compile_rx(r"(?:file:/{1,3}|[a-z]:/|\.\.|/)[^\s'\"<>|;&,()]{0,400}")
_SEGMENTS: Final = compile_rx(r"/+")


def _plain(text: str) -> str:
    """``\\`` as ``/``, and the filter-bypass spellings of ``../`` as ``../``."""
    if "\\" in text:
        text = text.replace("\\", "/")
    if _DEBRIS.search(text) is not None:
        text = _DEBRIS.sub("/", text)
    if ".." in text:
        text = _BYPASS.sub("../", text)
    return text


def _resolve(run: str) -> tuple[int, str]:
    """How many levels ``run`` climbs above its start, and the path it ends at (lower case)."""
    depth = 0
    lowest = 0
    parts: list[str] = []
    for segment in _SEGMENTS.split(run):
        if segment in ("", "."):
            continue
        if segment == "..":
            depth -= 1
            if parts:
                parts.pop()
            lowest = min(lowest, depth)
        else:
            depth += 1
            parts.append(segment)
    return -lowest, "/".join(parts)


def _by_last_segment(names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for name in names:
        table.setdefault(name.rsplit("/", 1)[-1], []).append(name)
    return {last: tuple(found) for last, found in table.items()}


#: :data:`SENSITIVE` by last segment: a path is looked up by its own last segment, then compared.
_SENSITIVE_BY_LAST: Final = _by_last_segment(SENSITIVE)


def _sensitive(path: str) -> bool:
    path = path.rstrip("/")
    names = _SENSITIVE_BY_LAST.get(path[path.rfind("/") + 1:])
    if names is None:
        return False
    return any(path == name or path.endswith("/" + name) for name in names)


#: What a system path ends in when it names a configuration, log, secret or backup file, or sits
#: where only the system's own state lives.
_SYSTEM_FILE: Final = compile_rx(
    r"(?:\.(?:conf|cnf|cfg|ini|log|inf|xml|php|env|bak|sav|dat|old|pwd|passwd|key|pem|db|sql|htaccess|"
    r"htpasswd|properties|yml|yaml|json|txt)|_log|/logs?|/passwd|/shadow|/environ|/cmdline|/hosts|/issue|"
    r"/hostname[^/]*|/fd/\d+|/sam|/system|/software|/security|/default)\Z"
    r"|\A(?:etc|proc|var/log|var/adm|root|windows/system32/config|windows/repair|boot\.ini)(?:/|\Z)"
)


_SPACE: Final = compile_rx(r"\s")
#: Folder names with spaces in them (Windows), which a path may hold without being prose.
_SPACED_FOLDERS: Final = ("documents and settings", "program files (x86)", "program files", "apache group",
                          "apache software foundation", "application data", "local settings", "all users")


def _one_path(value: str) -> bool:
    """Whether the value is a single path, not prose that mentions one ("/x is y", "/a to /b.")."""
    value = value.rstrip(". ")
    if _SPACE.search(value) is None:
        return True
    for folder in _SPACED_FOLDERS:
        value = value.replace(folder, folder.replace(" ", "_"))
    return all("/" in word for word in value.split())


def _system_path(value: str) -> str:
    """``system-file`` / ``system-path`` when the whole value is an absolute path under a system or
    server folder (naming a configuration, log or secret file, or not), else ``""``."""
    if value.startswith("file:"):
        value = value[5:].lstrip("/")
    elif len(value) > 2 and value[1] == ":" and value[2] == "/" and value[0].isalpha():
        value = value[3:]
    elif value.startswith("/"):
        value = value.lstrip("/")
    else:
        return ""
    if "fakepath" in value:  # browsers send C:\\fakepath\\<name> for uploads
        return ""
    segments = [s for s in value.split("/") if s]
    if not segments or (len(segments) < 2 and "." not in segments[0]):
        return ""
    if not (segments[0] in SYSTEM_ROOTS or "/".join(segments[:2]) in SYSTEM_ROOTS):
        return ""
    return "system-file" if _SYSTEM_FILE.search("/".join(segments).rstrip()) else "system-path"


def detect(text: str, stop: frozenset[str] = frozenset()) -> list[tuple[str, int, int]]:
    """The path-traversal structures of a normalised value (see the module docstring). Reading
    already ends at the first climb above the root or sensitive file, so ``stop`` (the kinds that
    decide the value, passed by the guard's engine) changes nothing here.

    Example:
        >>> [kind for kind, _, _ in detect("/etc/passwd")]
        ['system-file', 'sensitive-file']
        >>> detect("/api/v1/users/42/orders")
        []
    """
    if "/" not in text and "\\" not in text:
        return []
    plain = _plain(text)
    found: list[tuple[str, int, int]] = []
    whole = plain.strip()
    if whole and ("/" in whole) and (whole[:1] == "/" or whole[1:3] == ":/" or whole.startswith("file:")) \
            and _one_path(whole):
        kind = _system_path(whole)
        if kind:
            at = plain.find(whole)
            found.append((kind, at, at + len(whole)))
    for m in _RUN.finditer(plain):
        run = m.group()
        body = run
        if run.startswith("file:"):
            body = run[5:]
        elif len(run) > 2 and run[1] == ":":
            body = run[2:]
        if ".." not in body and "/." not in body:  # climbs nowhere: only a sensitive last segment counts
            tail = body.rstrip("/")
            if tail[tail.rfind("/") + 1:] not in _SENSITIVE_BY_LAST:
                continue
        climbed, path = _resolve(body)
        sensitive = _sensitive(path)
        start, end = m.start(), m.end()
        if climbed >= 3 or (climbed and sensitive):
            found.append(("climb", start, end))
        elif climbed == 2:
            found.append(("climb-2", start, end))
        elif climbed == 1:
            found.append(("climb-1", start, end))
        if sensitive and (climbed or run.startswith(("/", "file:")) or run[1:2] == ":"):
            # a whole value that is the path (or a file:// URL) is a request for the file
            kind = "sensitive-file" if (climbed or run.strip() == whole or whole.startswith(("file:", "/")))\
                else "sensitive-mention"
            found.append((kind, start, end))
        if found and found[-1][0] in ("climb", "sensitive-file"):
            break
    return found
