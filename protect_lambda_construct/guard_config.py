"""The guard's configuration as the function's environment (and, when large, a layer).

This module turns ``GuardOptions`` into the guard's configuration document at
synth time. The document is validated by the guard itself (its
:func:`protect_lambda.config.validate_document`, run on the staged guard package
by :mod:`protect_lambda_construct.config_check` in a child interpreter), so a bad
custom rule or an override of an unknown rule fails ``cdk synth`` exactly when
the guard would refuse it at run time. Mode and fail policy travel as
environment variables; overrides and custom rules inline when small, otherwise
in a file shipped in a small per-function configuration layer (Lambda allows
4 KB of environment variables in all, shared with the user's own).

Example:
    >>> guard_document(GuardOptions())["mode"]
    'block'
    >>> config_environment(guard_document(GuardOptions()))
    {'PROTECT_LAMBDA_MODE': 'block', 'PROTECT_LAMBDA_FAIL_POLICY': 'open'}
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from protect_lambda import contract

from .layer import guard_package_dir
from .options import GuardOptions, ProtectionError

#: Where configuration files land inside Lambda (layers are mounted at /opt).
CONFIG_LAYER_DIR = "protect_lambda_config"
#: Largest inline configuration (bytes of JSON) put in an environment variable. Lambda allows
#: 4 KB for *all* variables of a function, so half of it is left to the user's own variables.
INLINE_CONFIG_LIMIT = 2048
#: The sections of the document that travel as JSON (mode, fail policy and the authorizer's
#: response have variables of their own).
JSON_SECTIONS = ("rule_overrides", "category_overrides", "custom_rules", "custom_resources", "sensitivity",
                 "exclusions", "proxy_patterns")
#: Values of sections that are the guard's defaults: not sent.
SECTION_DEFAULTS: dict[str, Any] = {"custom_resources": contract.CUSTOM_RESOURCES_SKIP,
                                    "sensitivity": contract.DEFAULT_SENSITIVITY}
#: Where the configuration file of a configuration layer lands, for sizing the environment
#: before the layer exists (the real path has the same length).
_CONFIG_FILE_PLACEHOLDER = f"/opt/{CONFIG_LAYER_DIR}/{'0' * 16}.json"
#: The script that validates a document with the staged guard's own validator.
CONFIG_CHECK_SCRIPT = Path(__file__).resolve().parent / "config_check.py"
#: Seconds the validating interpreter may take.
CHECK_TIMEOUT_S = 120


@functools.lru_cache(maxsize=256)
def _checked(document_json: str, proxy: bool = False) -> str:
    """The guard's normalised copy of a document (JSON), or :class:`ProtectionError` naming the field.

    ``proxy``: the document is for a function guarded by the proxy extension; its custom rules'
    patterns are translated for the proxy's regex engine (``proxy_patterns``), and a pattern the
    proxy cannot match as Python does fails here."""
    command = [sys.executable, "-I", "-S", str(CONFIG_CHECK_SCRIPT), str(guard_package_dir().parent)]
    if proxy:
        command.append("--proxy")
    try:
        done = subprocess.run(command, input=document_json, capture_output=True, text=True,
                              timeout=CHECK_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        raise RuntimeError(f"protect-lambda could not run {sys.executable} to validate the guard's "
                           f"configuration: {error}") from None
    try:
        answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("protect-lambda could not validate the guard's configuration:\n"
                           f"{done.stderr.strip()}") from None
    if "error" in answer:
        raise ProtectionError(f"guard: {answer['error']}")
    return json.dumps(answer["document"], sort_keys=True)


def guard_document(options: GuardOptions, *, proxy: bool = False) -> dict[str, Any]:
    """The configuration document of ``options``, as the guard validated it.

    Raises :class:`ProtectionError` naming the bad field. A document with only
    a mode and a fail policy (typed enums, valid by construction) is not sent to
    the guard. ``proxy``: for a function guarded by the proxy extension (non-Python
    runtimes): custom rules get their ``proxy_patterns``, and what only the Python
    guard does (answering custom resources itself) fails naming the prop.
    """
    if proxy and options.inspect_custom_resources:
        raise ProtectionError(
            "guard.inspect_custom_resources: only Python functions can answer CloudFormation's custom-resource "
            "requests themselves; for Node.js, Java, .NET, Ruby and OS-only functions (the proxy extension) "
            "leave it False")
    document: dict[str, Any] = {
        "mode": options.mode.value,
        "fail_policy": options.fail_policy.value,
        "rule_overrides": {key: action.value for key, action in options.rule_overrides.items()},
        "category_overrides": {key: action.value for key, action in options.category_overrides.items()},
        "custom_rules": [dict(rule) for rule in options.custom_rules],
        "authorizer_response": options.authorizer_response.value,
        "exclusions": [exclusion.to_document() for exclusion in options.exclusions],
    }
    if options.sensitivity != contract.DEFAULT_SENSITIVITY:
        document["sensitivity"] = options.sensitivity
    if options.inspect_custom_resources:
        document["custom_resources"] = contract.CUSTOM_RESOURCES_INSPECT
    if not any(document.get(section) for section in JSON_SECTIONS):
        return document
    try:
        document_json = json.dumps(document, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise ProtectionError(f"guard.custom_rules: must hold only JSON values (strings, numbers, "
                              f"booleans, lists, dicts): {error}") from None
    checked: dict[str, Any] = json.loads(_checked(document_json, proxy and bool(document["custom_rules"])))
    return checked


def config_json(document: Mapping[str, Any]) -> str:
    """The compact, deterministic JSON of the sections of ``document`` that are not empty (nor
    the guard's default).

    ``mode``, ``fail_policy`` and ``authorizer_response`` travel in their own
    environment variables, so they are left out.

    Example:
        >>> config_json({"mode": "block", "rule_overrides": {"b": "off", "a": "monitor"}})
        '{"rule_overrides":{"a":"monitor","b":"off"}}'
    """
    body = {key: document[key] for key in JSON_SECTIONS
            if document.get(key) and document.get(key) != SECTION_DEFAULTS.get(key)}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def config_environment(document: Mapping[str, Any], *, config_file_path: str | None = None,
                       inline_limit: int = INLINE_CONFIG_LIMIT) -> dict[str, str]:
    """The environment variables that carry ``document`` to the guard.

    The JSON goes inline (:data:`~protect_lambda.contract.CONFIG_ENV`) when it fits
    in ``inline_limit`` bytes; otherwise the caller ships :func:`config_json` as a
    file and passes its path in Lambda as ``config_file_path``
    (:data:`~protect_lambda.contract.CONFIG_FILE_ENV`).

    Example:
        >>> sorted(config_environment({"mode": "monitor", "rule_overrides": {"xss-001": "off"}}))
        ['PROTECT_LAMBDA_CONFIG', 'PROTECT_LAMBDA_FAIL_POLICY', 'PROTECT_LAMBDA_MODE']
    """
    env = {
        contract.MODE_ENV: str(document.get("mode", contract.MODE_BLOCK)),
        contract.FAIL_POLICY_ENV: str(document.get("fail_policy", contract.FAIL_OPEN)),
    }
    authorizer = str(document.get("authorizer_response") or contract.AUTHORIZER_AUTO)
    if authorizer != contract.AUTHORIZER_AUTO:
        env[contract.AUTHORIZER_RESPONSE_ENV] = authorizer
    body = config_json(document)
    if body == "{}":
        return env
    size = len(body.encode("utf-8"))
    if size <= inline_limit:
        env[contract.CONFIG_ENV] = body
    elif config_file_path:
        env[contract.CONFIG_FILE_ENV] = config_file_path
    else:
        raise ValueError(f"guard config: {size} bytes of JSON exceed the inline limit of {inline_limit} "
                         "bytes; pass config_file_path and ship config_json() in that file")
    return env


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


class GuardSettings:
    """What the guard's configuration will add to a function: variables, and maybe a layer.

    Worked out (and validated) before anything is changed, so that a function that
    has no room for them is left as it was.

    Example:
        >>> GuardSettings(GuardOptions()).layers_needed
        1
    """

    def __init__(self, options: GuardOptions, *, proxy: bool = False) -> None:
        self.proxy = proxy
        self.document = guard_document(options, proxy=proxy)  # validates the guard options first
        self.body = config_json(self.document)
        self.inline = len(self.body.encode("utf-8")) <= INLINE_CONFIG_LIMIT

    @property
    def layers_needed(self) -> int:
        """The guard (or proxy) layer, and the configuration layer when the configuration is not inline."""
        return 1 if self.inline else 2

    def environment(self, config_file_path: str | None = None) -> dict[str, str]:
        """The guard's configuration variables (a placeholder path when the layer does not exist yet)."""
        if self.inline:
            return config_environment(self.document)
        return config_environment(self.document, config_file_path=config_file_path or _CONFIG_FILE_PLACEHOLDER)


def apply_guard_config(scope: Construct, function: lambda_.Function, settings: GuardSettings) -> None:
    """Put the guard's configuration on ``function``: environment, and a layer when it is large."""
    path: str | None = None
    if not settings.inline:
        layer, path = config_layer(scope, "GuardConfigLayer", settings.body)
        function.add_layers(layer)
    for name, value in settings.environment(path).items():
        # marked so that CDK drops them, rather than fail, if the function is made Lambda@Edge after
        # it was protected: the EdgeCheck validation then names the problem
        function.add_environment(name, value, remove_in_edge=True)
