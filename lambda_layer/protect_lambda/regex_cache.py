"""Precompiled rule regexes: compiling the built-in rules without ``re``'s parser.

``re.compile`` parses and compiles a pattern in pure Python: for the built-in
rules that is about 45 ms at a cold start, more than twice the guard's whole
cold-start budget. What it hands to the C engine at the end, ``_sre.compile``'s
arguments (flags, the opcode list, group tables), depends only on the pattern
and the interpreter's regex engine, so the layer build records those arguments
for every built-in rule with an interpreter of the function's Python version
(:func:`record`, run by :mod:`protect_lambda.bytecode`) and the guard replays
them (:func:`compile_pattern`): the same ``Pattern`` object in microseconds.

What is checked: the file is named by the interpreter's cache tag
(``rules.cpython-313.marshal``) and carries the regex engine's version
(``_sre.MAGIC``, which changes whenever its code format does), code unit size
and limits, all compared when it is loaded; an entry is looked up by the exact
pattern text and flags; the build checks that each replayed pattern equals the
one ``re.compile`` makes (same compiled code, groups and group names); and an
entry the engine refuses is compiled by ``re.compile``. Anything else (no file,
another version, a pattern that is not recorded, custom rules) is compiled by
``re.compile`` as usual. What is assumed: a replayed pattern is compiled as the
*build* interpreter's ``re`` compiles it; a patch release of the same Python
version could compile some construct differently (3.11.5 changed possessive
quantifiers), which the built-in rules do not use.

Example:
    >>> compile_pattern(r"\\bunion\\s+select\\b", 0).search("1 union select 2") is not None
    True
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # re's C engine (no stub)
import marshal
import os
import re
import sys

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Final

#: Folder of the recordings (written into the layer at build time; absent from a source checkout).
CACHE_DIR: Final = os.path.join(os.path.dirname(os.path.abspath(__file__)), "precompiled")
#: Version of the file layout below (2: the patterns are recorded in their searchable form).
FORMAT: Final = 2

_loaded: dict[tuple[str, int], tuple[Any, ...]] | None = None


def engine_signature() -> dict[str, Any]:
    """What a recording must have been made with to be replayed by this interpreter."""
    return {
        "format": FORMAT,
        "cache_tag": sys.implementation.cache_tag,
        "sre_magic": _sre.MAGIC,
        "codesize": _sre.CODESIZE,
        "maxrepeat": int(_sre.MAXREPEAT),
        "maxgroups": int(_sre.MAXGROUPS),
    }


def cache_path(directory: str | None = None, cache_tag: str | None = None) -> str:
    """The recording file in ``directory`` (default :data:`CACHE_DIR`) for ``cache_tag`` (default: this interpreter's)."""
    return os.path.join(directory or CACHE_DIR, f"rules.{cache_tag or sys.implementation.cache_tag}.marshal")


def load(path: str | None = None) -> dict[tuple[str, int], tuple[Any, ...]]:
    """The recorded ``_sre.compile`` arguments by (pattern, flags); empty when unusable."""
    try:
        with open(path or cache_path(), "rb") as fh:
            data = marshal.loads(fh.read())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(data, dict) or data.get("engine") != engine_signature():
        return {}
    entries = data.get("patterns")
    return entries if isinstance(entries, dict) else {}


def compile_pattern(pattern: str, flags: int) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from the recording when it holds this pattern.

    The pattern compiled is :func:`protect_lambda.regex_start.searchable`'s form of ``pattern``:
    the same matches, found faster by ``search``.
    """
    global _loaded
    if _loaded is None:
        _loaded = load()
    args = _loaded.get((pattern, flags))
    if args is not None:
        try:
            compiled: re.Pattern[str] = _sre.compile(*args)
            return compiled
        except Exception:  # noqa: BLE001, S110 - a damaged entry: compile it the ordinary way
            pass
    from protect_lambda.regex_start import searchable  # not recorded: a parse more, no cold-start concern

    return re.compile(searchable(pattern, flags), flags)


def reset() -> None:
    """Forget the loaded recording (tests)."""
    global _loaded
    _loaded = None


def record(patterns: Iterable[tuple[str, int]]) -> bytes:
    """Record ``_sre.compile``'s arguments for each (pattern, flags); the file's bytes.

    Runs the interpreter's own ``re`` compiler with ``_sre.compile`` observed, so
    what is recorded is exactly what that version of ``re`` passes, and checks
    that replaying each recording gives a pattern equal to ``re.compile``'s.
    Raises ``ValueError`` if one does not.
    """
    import importlib

    from protect_lambda.regex_start import searchable

    try:
        compiler_module = importlib.import_module("re._compiler")  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        compiler_module = importlib.import_module("sre_compile")
    seen: list[tuple[Any, ...]] = []

    class _Observed:
        def __getattr__(self, name: str) -> Any:
            return getattr(_sre, name)

        @staticmethod
        def compile(*args: Any) -> Any:
            seen.append(tuple(_plain(a) for a in args))
            return _sre.compile(*args)

    entries: dict[tuple[str, int], tuple[Any, ...]] = {}
    compiled_as: dict[tuple[str, int], str] = {}  # each pattern's searchable form (one parse each)
    real = getattr(compiler_module, "_sre")  # noqa: B009 - the module re's compiler calls
    setattr(compiler_module, "_sre", _Observed())  # noqa: B010
    try:
        for pattern, flags in patterns:
            if (pattern, flags) in entries:
                continue
            seen.clear()
            compiled_as[(pattern, flags)] = searchable(pattern, flags)
            compiler_module.compile(compiled_as[(pattern, flags)], flags)
            if len(seen) != 1:
                raise ValueError(f"pattern {pattern[:60]!r}: expected one _sre.compile call, saw {len(seen)}")
            entries[(pattern, flags)] = seen[0]
    finally:
        setattr(compiler_module, "_sre", real)  # noqa: B010
    for (pattern, flags), args in entries.items():
        replayed, compiled = _sre.compile(*args), re.compile(compiled_as[(pattern, flags)], flags)
        # Pattern equality compares flags and code only: the group tables are compared too
        if (replayed != compiled or replayed.groups != compiled.groups
                or replayed.groupindex != compiled.groupindex):
            raise ValueError(f"pattern {pattern[:60]!r}: the replayed pattern differs from re.compile's")
    # marshal version 2 writes no back references, whose use depends on the objects' reference
    # counts in this process: the bytes depend on the patterns only (a stable layer asset hash)
    return marshal.dumps({"engine": engine_signature(), "built_by": sys.version, "patterns": entries}, 2)


def _plain(value: Any) -> Any:
    """``value`` with int subclasses (``re``'s named opcodes and flags) as plain ints, for marshal."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
