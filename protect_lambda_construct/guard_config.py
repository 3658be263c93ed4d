"""The guard's configuration as the function's environment (and, when large, a layer).

The document format and its validation live in :mod:`protect_lambda.config`,
which the guard reads at run time; this module turns ``GuardOptions`` into that
document at synth time, so a bad custom rule or an override of an unknown rule
fails ``cdk synth``. Mode and fail policy travel as environment variables;
overrides and custom rules inline when small, otherwise in a file shipped in a
small per-function configuration layer (Lambda allows 4 KB of environment
variables in all, shared with the user's own).

Example:
    >>> guard_document(GuardOptions())["mode"]
    'block'
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from protect_lambda import config as guard_config
from protect_lambda.engine import RuleError, load_builtin_rules
from protect_lambda.errors import GuardConfigError

from .options import GuardOptions, ProtectionError

#: Where configuration files land inside Lambda (layers are mounted at /opt).
CONFIG_LAYER_DIR = "protect_lambda_config"


@functools.lru_cache(maxsize=1)
def builtin_rule_names() -> tuple[frozenset[str], frozenset[str]]:
    """Ids and categories of the guard's built-in rules (read once per process)."""
    rules = load_builtin_rules()
    return frozenset(rule.id for rule in rules), frozenset(rule.category for rule in rules)


def guard_document(options: GuardOptions) -> dict[str, Any]:
    """The validated configuration document of ``options``.

    Raises :class:`ProtectionError` naming the bad field.
    """
    rule_ids, categories = builtin_rule_names()
    try:
        return guard_config.build_config(
            mode=options.mode.value,
            fail_policy=options.fail_policy.value,
            rule_overrides={key: action.value for key, action in options.rule_overrides.items()},
            category_overrides={key: action.value for key, action in options.category_overrides.items()},
            custom_rules=[dict(rule) for rule in options.custom_rules],
            known_rule_ids=rule_ids,
            known_categories=categories,
        )
    except (GuardConfigError, RuleError, ValueError) as error:
        raise ProtectionError(f"guard: {error}") from error


def config_layer(scope: Construct, construct_id: str, document_json: str) -> tuple[lambda_.LayerVersion, str]:
    """A layer holding ``document_json`` as a file, and the file's path inside Lambda."""
    digest = hashlib.sha256(document_json.encode()).hexdigest()[:16]
    directory = Path(tempfile.gettempdir()) / f"protect-lambda-config-{digest}"
    relative = f"{CONFIG_LAYER_DIR}/{digest}.json"
    path = directory / relative
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(document_json, encoding="utf-8")
        temporary.replace(path)
    layer = lambda_.LayerVersion(
        scope, construct_id,
        code=lambda_.Code.from_asset(str(directory)),
        description="protect-lambda guard configuration",
    )
    return layer, f"/opt/{relative}"


def apply_guard_config(scope: Construct, function: lambda_.Function, options: GuardOptions) -> None:
    """Put the guard's configuration on ``function``: environment, and a layer when it is large."""
    document = guard_document(options)
    body = guard_config.config_json(document)
    if len(body.encode("utf-8")) <= guard_config.INLINE_CONFIG_LIMIT:
        environment = guard_config.config_environment(document)
    else:
        layer, path = config_layer(scope, "GuardConfigLayer", body)
        function.add_layers(layer)
        environment = guard_config.config_environment(document, config_file_path=path)
    for name, value in environment.items():
        function.add_environment(name, value)
