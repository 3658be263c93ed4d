"""Validate a guard configuration document with the guard's own validator, at synth.

The constructs import nothing of the guard but its contract, yet a custom rule
or an override must fail ``cdk synth`` exactly when the guard would refuse it at
run time. :mod:`protect_lambda_construct.guard_config` therefore runs this
script in a child interpreter on the guard package it stages into the layer:
the script puts that package first on ``sys.path``, validates the document read
from stdin with :func:`protect_lambda.config.validate_document` against the
built-in rules, and prints one JSON line: ``{"document": {...}}`` (the
normalised document) or ``{"error": "<field>: <what is wrong>"}``. With ``--proxy`` (a
function guarded by the proxy extension) the document gets ``proxy_patterns``: each custom
rule's pattern translated for the proxy's regex engine by
:mod:`protect_lambda_construct.regex_translation` (loaded from this script's folder), and a
pattern it cannot translate is an error naming the rule.

Like :mod:`protect_lambda_construct.bytecode`, it imports nothing of
``protect_lambda_construct`` (nor aws-cdk-lib).

Usage:
    python -I -S path/to/protect_lambda_construct/config_check.py GUARD_PARENT_DIR [--proxy] < document.json
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any


def _proxy_patterns(rules: list[dict[str, Any]]) -> dict[str, str]:
    """Each custom rule's pattern translated for the proxy (rule id -> regexp2 pattern)."""
    from protect_lambda import engine

    source = Path(__file__).resolve().parent / "regex_translation.py"
    spec = importlib.util.spec_from_file_location("regex_translation", source)
    assert spec is not None and spec.loader is not None
    translation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(translation)
    out: dict[str, str] = {}
    for index, item in enumerate(rules):
        rule = engine.Rule.from_dict(item)
        if not rule.pattern:
            continue
        try:
            out[rule.id] = translation.translate(rule.pattern, engine.rule_flags(rule))
        except ValueError as error:  # Unsupported, or a pattern re refuses
            raise ValueError(f"custom_rules[{index}]: rule {rule.id!r}: the proxy extension (non-Python runtimes) "
                             f"cannot match this pattern exactly as Python does ({error}); rewrite it without "
                             "that construct") from None
    return out


def check(document: object, guard_parent: str, proxy: bool = False) -> dict[str, object]:
    """``{"document": normalised}`` or ``{"error": message}`` for ``document``."""
    sys.path.insert(0, guard_parent)
    from protect_lambda import config, engine

    rules = engine.load_builtin_rules()
    try:
        valid = config.validate_document(
            document,
            origin="guard",
            known_rule_ids={rule.id for rule in rules},
            known_categories={rule.category for rule in rules},
        )
        if proxy and valid["custom_rules"]:
            valid["proxy_patterns"] = _proxy_patterns(valid["custom_rules"])
    except ValueError as error:  # GuardConfigError, engine.RuleError: the message names the field
        return {"error": str(error)}
    return {"document": valid}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    proxy = "--proxy" in args
    args = [arg for arg in args if arg != "--proxy"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    try:
        document = json.loads(sys.stdin.read())
    except ValueError as error:
        print(json.dumps({"error": f"guard: not valid JSON ({error})"}))
        return 0
    print(json.dumps(check(document, args[0], proxy), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
