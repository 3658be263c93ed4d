"""Validate a guard configuration document with the guard's own validator, at synth.

The constructs import nothing of the guard but its contract, yet a custom rule
or an override must fail ``cdk synth`` exactly when the guard would refuse it at
run time. :mod:`protect_lambda_construct.guard_config` therefore runs this
script in a child interpreter on the guard package it stages into the layer:
the script puts that package first on ``sys.path``, validates the document read
from stdin with :func:`protect_lambda.config.validate_document` against the
built-in rules, and prints one JSON line: ``{"document": {...}}`` (the
normalised document) or ``{"error": "<field>: <what is wrong>"}``.

Like :mod:`protect_lambda_construct.bytecode`, it imports nothing of
``protect_lambda_construct`` (nor aws-cdk-lib).

Usage:
    python -I -S path/to/protect_lambda_construct/config_check.py GUARD_PARENT_DIR < document.json
"""

from __future__ import annotations

import json
import sys


def check(document: object, guard_parent: str) -> dict[str, object]:
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
    except ValueError as error:  # GuardConfigError, engine.RuleError: the message names the field
        return {"error": str(error)}
    return {"document": valid}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    try:
        document = json.loads(sys.stdin.read())
    except ValueError as error:
        print(json.dumps({"error": f"guard: not valid JSON ({error})"}))
        return 0
    print(json.dumps(check(document, args[0]), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
