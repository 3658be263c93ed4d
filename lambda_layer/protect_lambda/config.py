"""Guard configuration: read at run time by the wrapper, validated by the same code at synth.

The configuration is one JSON document::

    {"mode": "block", "fail_policy": "open",
     "rule_overrides": {"sqli-001": "monitor"}, "category_overrides": {"xss": "off"},
     "custom_rules": [{"id": "custom-001", "category": "custom", ...}],
     "custom_resources": "skip", "authorizer_response": "auto"}

The construct (``protect_lambda_construct.guard_config``) writes it into the
function's environment: ``mode`` and ``fail_policy`` in their own variables, the
rest inline in :data:`~protect_lambda.contract.CONFIG_ENV`, or, when it is too
large for Lambda's 4 KB environment, in a file named by
:data:`~protect_lambda.contract.CONFIG_FILE_ENV`. :func:`load_config` reads it
back at run time; :func:`validate_document` is what both use, so a document
that synthesizes is one the guard accepts (the construct runs it on the staged
guard package at synth). Pure standard library.

Example:
    >>> env = {"PROTECT_LAMBDA_MODE": "monitor",
    ...        "PROTECT_LAMBDA_CONFIG": '{"rule_overrides": {"sqli-001": "off"}}'}
    >>> load_config(env).rule_overrides
    {'sqli-001': 'off'}
    >>> load_config(env).mode
    'monitor'
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Mapping

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, Final

from protect_lambda import contract
from protect_lambda._record import FrozenRecord, _init
from protect_lambda.errors import GuardConfigError

#: Values a rule or category override may take.
OVERRIDE_ACTIONS: Final = contract.OVERRIDE_ACTIONS
#: Keys a configuration document may hold.
DOCUMENT_KEYS: Final = (
    "mode",
    "fail_policy",
    "rule_overrides",
    "category_overrides",
    "custom_rules",
    "custom_resources",
    "authorizer_response",
    "sensitivity",
    "exclusions",
    "proxy_patterns",
)
#: Upper bound on a configuration file, to fail clearly rather than slowly.
MAX_CONFIG_FILE_BYTES: Final = 1 << 20
_MAX_NAME = 128


class GuardConfig(FrozenRecord):
    """The guard configuration of one function, as the wrapper uses it.

    Example:
        >>> GuardConfig().mode, GuardConfig().fail_policy
        ('block', 'open')
    """

    __slots__ = _fields = (
        "mode", "fail_policy", "rule_overrides", "category_overrides", "custom_rules", "seal",
        "custom_resources", "authorizer_response", "sensitivity", "exclusions",
    )
    mode: str
    fail_policy: str
    rule_overrides: Mapping[str, str]
    category_overrides: Mapping[str, str]
    #: Custom rule definitions, validated with ``engine.Rule.from_dict``.
    custom_rules: tuple[Mapping[str, Any], ...]
    #: The deployment's seal (:data:`~protect_lambda.contract.SEAL_ENV`), carried by every record.
    seal: str
    #: Custom-resource requests: ``skip`` (handed on uninspected) or ``inspect``.
    custom_resources: str
    #: How an HTTP API (payload 2.0) authorizer says no: ``auto``, ``simple`` or ``iam``.
    authorizer_response: str
    #: Sensitivity level 1-4: the rules of levels up to it are on.
    sensitivity: int
    #: Exclusions: a rule or category off (or monitor) at one location (plain JSON objects).
    exclusions: tuple[Mapping[str, str], ...]

    def __init__(
        self,
        mode: str = contract.MODE_BLOCK,
        fail_policy: str = contract.FAIL_OPEN,
        rule_overrides: Mapping[str, str] | None = None,
        category_overrides: Mapping[str, str] | None = None,
        custom_rules: tuple[Mapping[str, Any], ...] = (),
        seal: str = "",
        custom_resources: str = contract.CUSTOM_RESOURCES_SKIP,
        authorizer_response: str = contract.AUTHORIZER_AUTO,
        sensitivity: int = contract.DEFAULT_SENSITIVITY,
        exclusions: tuple[Mapping[str, str], ...] = (),
    ) -> None:
        _init(
            self,
            mode,
            fail_policy,
            {} if rule_overrides is None else rule_overrides,
            {} if category_overrides is None else category_overrides,
            custom_rules,
            seal,
            custom_resources,
            authorizer_response,
            sensitivity,
            exclusions,
        )


# --- validation (run time, and at synth through the staged guard) ----------------


def _choice(name: str, value: object, choices: Collection[str]) -> str:
    if not isinstance(value, str) or value.strip().lower() not in choices:
        raise GuardConfigError(f"{name}: must be one of {', '.join(choices)} (got {value!r})")
    return value.strip().lower()


def _overrides(name: str, value: object, known: Collection[str] | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise GuardConfigError(
            f"{name}: must be an object mapping names to actions (got {type(value).__name__})"
        )
    result: dict[str, str] = {}
    for key, action in value.items():
        if not isinstance(key, str) or not key.strip() or len(key) > _MAX_NAME:
            raise GuardConfigError(
                f"{name}: keys must be non-empty strings of at most {_MAX_NAME} characters "
                f"(got {key!r})"
            )
        if known is not None and key not in known:
            raise GuardConfigError(
                f"{name}[{key!r}]: unknown name; known: {', '.join(sorted(known))}"
            )
        result[key] = _choice(f"{name}[{key!r}]", action, OVERRIDE_ACTIONS)
    return result


def _custom_rules(value: object, known_rule_ids: Collection[str] | None) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise GuardConfigError(
            f"custom_rules: must be a list of rule objects (got {type(value).__name__})"
        )
    from protect_lambda.engine import Rule  # imported here: the engine validates patterns

    rules: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise GuardConfigError(
                f"custom_rules[{index}]: must be an object (got {type(item).__name__})"
            )
        rule = Rule.from_dict(item)  # raises engine.RuleError naming the rule and the field
        if rule.id in seen:
            raise GuardConfigError(f"custom_rules[{index}]: duplicate rule id {rule.id!r}")
        if known_rule_ids is not None and rule.id in known_rule_ids:
            raise GuardConfigError(
                f"custom_rules[{index}]: rule id {rule.id!r} is already a built-in rule"
            )
        seen.add(rule.id)
        rules.append(json.loads(json.dumps(dict(item))))  # a plain JSON copy
    return rules


def _sensitivity(value: object) -> int:
    if isinstance(value, bool) or value not in contract.SENSITIVITY_LEVELS:
        raise GuardConfigError(
            f"sensitivity: must be one of {', '.join(map(str, contract.SENSITIVITY_LEVELS))} "
            f"(1 blocks the least benign traffic), got {value!r}")
    return int(value)


def _exclusions(value: object, rule_ids: Collection[str] | None,
                categories: Collection[str] | None) -> list[dict[str, str]]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise GuardConfigError(f"exclusions: must be a list of exclusion objects (got {type(value).__name__})")
    from protect_lambda.locations import Exclusion, LocationError  # imported here: only when configured

    out: list[dict[str, str]] = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise GuardConfigError(f"exclusions[{index}]: must be an object (got {type(item).__name__})")
        try:
            exclusion = Exclusion.from_dict(item)
        except LocationError as error:
            raise GuardConfigError(f"exclusions[{index}]: {error}") from None
        if exclusion.rule and rule_ids is not None and exclusion.rule not in rule_ids:
            raise GuardConfigError(f"exclusions[{index}]: unknown rule {exclusion.rule!r}")
        if exclusion.category and categories is not None and exclusion.category not in categories:
            raise GuardConfigError(f"exclusions[{index}]: unknown category {exclusion.category!r}; known: "
                                   f"{', '.join(sorted(categories))}")
        out.append(exclusion.to_dict())
    return out


def validate_document(
    document: object,
    *,
    origin: str = "config",
    known_rule_ids: Collection[str] | None = None,
    known_categories: Collection[str] | None = None,
) -> dict[str, Any]:
    """Validate a configuration document and return its normalised copy.

    Missing keys take their defaults; an unknown key, a bad value or an invalid
    custom rule raises :class:`GuardConfigError` (or ``engine.RuleError``) whose
    message starts with the offending field.

    Example:
        >>> validate_document({"category_overrides": {"xss": "MONITOR"}})["category_overrides"]
        {'xss': 'monitor'}
    """
    if not isinstance(document, Mapping):
        raise GuardConfigError(f"{origin}: must be a JSON object (got {type(document).__name__})")
    unknown = [key for key in document if key not in DOCUMENT_KEYS]
    if unknown:
        raise GuardConfigError(
            f"{origin}: unknown key {unknown[0]!r}; allowed: {', '.join(DOCUMENT_KEYS)}"
        )
    rules = _custom_rules(document.get("custom_rules"), known_rule_ids)
    rule_ids: Collection[str] | None = None
    if known_rule_ids is not None:
        rule_ids = set(known_rule_ids) | {str(rule["id"]) for rule in rules}
    categories: Collection[str] | None = None
    if known_categories is not None:
        categories = set(known_categories) | {str(rule["category"]) for rule in rules}
    valid: dict[str, Any] = {
        "mode": _choice("mode", document.get("mode", contract.MODE_BLOCK), contract.MODES),
        "fail_policy": _choice(
            "fail_policy", document.get("fail_policy", contract.FAIL_OPEN), contract.FAIL_POLICIES
        ),
        "rule_overrides": _overrides("rule_overrides", document.get("rule_overrides"), rule_ids),
        "category_overrides": _overrides(
            "category_overrides", document.get("category_overrides"), categories
        ),
        "custom_rules": rules,
        "custom_resources": _choice("custom_resources",
                                    document.get("custom_resources", contract.CUSTOM_RESOURCES_SKIP),
                                    contract.CUSTOM_RESOURCE_POLICIES),
        "authorizer_response": _choice("authorizer_response",
                                       document.get("authorizer_response", contract.AUTHORIZER_AUTO),
                                       contract.AUTHORIZER_RESPONSES),
        "sensitivity": _sensitivity(document.get("sensitivity", contract.DEFAULT_SENSITIVITY)),
        "exclusions": _exclusions(document.get("exclusions"), rule_ids, categories),
    }
    if "proxy_patterns" in document:
        valid["proxy_patterns"] = _proxy_patterns(document["proxy_patterns"], rules)
    return valid


def _proxy_patterns(value: object, rules: list[dict[str, Any]]) -> dict[str, str]:
    """``proxy_patterns``: the custom rules' patterns translated for the proxy's regex engine
    (rule id -> pattern), written by the constructs for non-Python functions; this guard ignores it."""
    if not isinstance(value, Mapping) or not all(
            isinstance(key, str) and isinstance(pattern, str) for key, pattern in value.items()):
        raise GuardConfigError("proxy_patterns: must be an object mapping custom rule ids to patterns")
    ids = {str(rule["id"]) for rule in rules}
    stray = sorted(set(value) - ids)
    if stray:
        raise GuardConfigError(f"proxy_patterns: {stray[0]!r} is not a custom rule")
    return dict(value)


# --- run time -----------------------------------------------------------------


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value if value and value.strip() else None


def read_fail_policy(environ: Mapping[str, str] | None = None) -> str:
    """The fail policy from the environment, falling back to ``open`` when unset or invalid.

    Used to decide what to do when the configuration itself cannot be loaded.

    Example:
        >>> read_fail_policy({"PROTECT_LAMBDA_FAIL_POLICY": "Closed"})
        'closed'
    """
    env = os.environ if environ is None else environ
    value = (_env(env, contract.FAIL_POLICY_ENV) or "").strip().lower()
    return value if value in contract.FAIL_POLICIES else contract.FAIL_OPEN


def _read_file(path: str, environ: Mapping[str, str]) -> object:
    if not os.path.isabs(path):
        path = os.path.join(environ.get("LAMBDA_TASK_ROOT") or os.getcwd(), path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_FILE_BYTES + 1)
    except OSError as exc:
        raise GuardConfigError(
            f"{contract.CONFIG_FILE_ENV}: cannot read {path!r} "
            f"({type(exc).__name__}: {exc.strerror})"
        ) from None
    if len(raw) > MAX_CONFIG_FILE_BYTES:
        raise GuardConfigError(
            f"{contract.CONFIG_FILE_ENV}: {path!r} is larger than {MAX_CONFIG_FILE_BYTES} bytes"
        )
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GuardConfigError(
            f"{contract.CONFIG_FILE_ENV}: {path!r} is not valid JSON ({exc})"
        ) from None


#: Keys of the document that a variable of their own overrides.
_VARIABLE_KEYS: Final = (
    ("mode", contract.MODE_ENV),
    ("fail_policy", contract.FAIL_POLICY_ENV),
    ("authorizer_response", contract.AUTHORIZER_RESPONSE_ENV),
)


def load_config(environ: Mapping[str, str] | None = None) -> GuardConfig:
    """Read the guard configuration from the environment (and config file, if named).

    ``MODE_ENV``, ``FAIL_POLICY_ENV`` and ``AUTHORIZER_RESPONSE_ENV`` take precedence
    over ``mode``, ``fail_policy`` and ``authorizer_response`` inside the document.
    Setting both ``CONFIG_ENV`` and ``CONFIG_FILE_ENV`` is an error (which one would
    win is not obvious).

    Example:
        >>> load_config({}).mode
        'block'
        >>> env = {"PROTECT_LAMBDA_CONFIG": '{"category_overrides": {"xss": "off"}}'}
        >>> load_config(env).category_overrides
        {'xss': 'off'}
    """
    env = os.environ if environ is None else environ
    inline = _env(env, contract.CONFIG_ENV)
    path = _env(env, contract.CONFIG_FILE_ENV)
    document: object = {}
    if inline is not None and path is not None:
        raise GuardConfigError(
            f"{contract.CONFIG_ENV} and {contract.CONFIG_FILE_ENV} are both set; set only one"
        )
    if inline is not None:
        try:
            document = json.loads(inline)
        except ValueError as exc:
            raise GuardConfigError(f"{contract.CONFIG_ENV}: not valid JSON ({exc})") from None
        origin = contract.CONFIG_ENV
    elif path is not None:
        document = _read_file(path.strip(), env)
        origin = f"{contract.CONFIG_FILE_ENV} ({path.strip()})"
    else:
        origin = "config"
    if isinstance(document, Mapping):
        document = dict(document)
        for key, name in _VARIABLE_KEYS:
            value = _env(env, name)
            if value is not None:
                document[key] = value
    try:
        valid = validate_document(document, origin=origin)
    except ValueError as exc:  # GuardConfigError, engine.RuleError
        # Name the variable the bad field came from.
        message = str(exc)
        for key, name in _VARIABLE_KEYS:
            if message.startswith(f"{key}:") and _env(env, name) is not None:
                raise GuardConfigError(f"{name}: {message[len(key) + 2 :]}") from None
        if not message.startswith(origin):
            message = f"{origin}: {message}"
        raise GuardConfigError(message) from None
    return GuardConfig(
        mode=valid["mode"],
        fail_policy=valid["fail_policy"],
        rule_overrides=valid["rule_overrides"],
        category_overrides=valid["category_overrides"],
        custom_rules=tuple(valid["custom_rules"]),
        seal=read_seal(env),
        custom_resources=valid["custom_resources"],
        authorizer_response=valid["authorizer_response"],
        sensitivity=valid["sensitivity"],
        exclusions=tuple(valid["exclusions"]),
    )


def read_seal(environ: Mapping[str, str] | None = None) -> str:
    """The deployment's seal from the environment (``""`` when the construct did not set one).

    Example:
        >>> read_seal({"PROTECT_LAMBDA_SEAL": " 9f2c "})
        '9f2c'
    """
    env = os.environ if environ is None else environ
    return (env.get(contract.SEAL_ENV) or "").strip()
