"""Precompile a staged guard layer for one Python version: module bytecode and rule regexes.

Lambda mounts a layer read-only, so Python cannot cache the bytecode of the
guard's modules there: without ``.pyc`` files in the layer it compiles every
module at every cold start, and ``re`` parses every rule pattern it uses. The
layer build (:mod:`protect_lambda_construct.layer`) therefore runs this script
with an interpreter of the function's Python version on the staged layer:

* ``__pycache__/<module>.<cache tag>.pyc`` for every module, in checked-hash
  mode (valid whatever the files' modification times in the layer zip), with
  the paths they will have in Lambda (``/opt/python/protect_lambda/...``) so
  tracebacks point there and the output does not depend on the staging folder;
* ``precompiled/rules.<cache tag>.marshal``: the built-in rules' regexes, their pattern groups'
  trigger regexes at each sensitivity level and the detectors' regexes, see
  :mod:`protect_lambda.regex_cache`.

The output is deterministic for a given interpreter version (the caller runs it
with ``PYTHONHASHSEED=0``). It is part of the layer build (synth time), not of
the guard: it runs in a separate interpreter, imports nothing of
``protect_lambda_construct`` (nor aws-cdk-lib), and imports the *staged* guard
(its ``engine`` and ``regex_cache``) from the folder it is given.

Usage:
    python3.13 -S path/to/protect_lambda_construct/bytecode.py STAGED_LAYER/python
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # run as a script: its own folder (protect_lambda_construct) must not shadow modules below
    del sys.path[0]

import compileall  # noqa: E402
import os  # noqa: E402
import py_compile  # noqa: E402

#: Where Lambda mounts a layer's ``python`` folder.
LAMBDA_SITE_DIR = "/opt/python"


def precompile(site_dir: str) -> list[str]:
    """Write the bytecode and the regex recording into ``site_dir/protect_lambda``; the files written."""
    package_dir = os.path.join(site_dir, "protect_lambda")
    if not os.path.isfile(os.path.join(package_dir, "__init__.py")):
        raise FileNotFoundError(f"{package_dir}: no protect_lambda package to precompile")
    sys.dont_write_bytecode = True  # importing the package below must not add timestamp-based .pyc files
    ok = compileall.compile_dir(
        package_dir, ddir=f"{LAMBDA_SITE_DIR}/protect_lambda", quiet=1, workers=1,
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )
    if not ok:
        raise RuntimeError(f"{package_dir}: a module failed to compile")
    sys.path.insert(0, site_dir)  # the staged layer's rules, not those of an installed package
    from protect_lambda import engine, regex_cache

    if not os.path.abspath(engine.__file__ or "").startswith(os.path.abspath(package_dir)):
        raise RuntimeError(f"imported {engine.__file__}, not the staged layer in {package_dir}")
    rules = engine.load_builtin_rules()
    import importlib

    detectors = importlib.import_module("protect_lambda.detectors")
    for name in engine.DETECTORS:  # importing a detector lists its patterns in detectors.PATTERNS
        importlib.import_module(f"protect_lambda.detectors.{name}")
    guard = importlib.import_module("protect_lambda.guard")
    # each sensitivity level keeps other rules, so its pattern groups have other trigger regexes
    triggers = [p for level in engine.LEVELS for p in guard.Guard(sensitivity=level).engine.trigger_patterns()]
    data = regex_cache.record([*((rule.pattern, engine.rule_flags(rule)) for rule in rules if rule.pattern),
                               *triggers, *detectors.PATTERNS])
    cache_dir = os.path.join(package_dir, "precompiled")
    os.makedirs(cache_dir, exist_ok=True)
    path = regex_cache.cache_path(cache_dir)
    with open(path, "wb") as fh:
        fh.write(data)
    written = [os.path.join(dirpath, name) for dirpath, _, names in os.walk(package_dir)
               for name in names if name.endswith(f".{sys.implementation.cache_tag}.pyc")]
    return sorted([*written, path])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    written = precompile(args[0])
    print(f"{sys.implementation.cache_tag}: {len(written)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
