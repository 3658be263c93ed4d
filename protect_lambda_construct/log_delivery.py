"""Whether the guard's records reach the function's log: its log format and application log level.

Under the JSON log format, Lambda files each JSON object a function prints by its
``level`` and drops those below the function's application log level. The guard's
records carry :data:`~protect_lambda.contract.RECORD_LEVEL` (WARN), so a function
whose application log level is ERROR or FATAL would drop every one of them and its
alarm could never fire: ``protect()`` and ``ProtectedFunction`` refuse it, the
``ProtectLambdas`` Aspect protects it and warns. The check runs again when the app
is synthesized (:class:`LogDeliveryCheck`), so a logging configuration set after
protection is caught too; one set with ``add_property_override`` cannot be read at
synth (``protect-lambda check-filter`` checks the deployed configuration).

Example:
    >>> record_drop_reason(function) is None  # doctest: +SKIP
    True
"""

from __future__ import annotations

from typing import Any, Optional

import jsii
from aws_cdk import Annotations, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import IValidation

from protect_lambda import contract

#: Id of the warning the Aspect puts on a function whose logging settings drop the records.
RECORDS_DROPPED_WARNING = "protect-lambda:records-dropped"


def logging_config(function: lambda_.Function) -> dict[str, Any]:
    """The function's ``LoggingConfig`` as it will be synthesized (``{}`` when it has none)."""
    cfn = function.node.default_child
    if not isinstance(cfn, lambda_.CfnFunction):
        return {}
    rendered: Any = Stack.of(function).resolve(cfn._cfn_properties)
    config = rendered.get("loggingConfig") if isinstance(rendered, dict) else None
    return dict(config) if isinstance(config, dict) else {}


def record_drop_reason(function: lambda_.Function) -> Optional[str]:
    """Why Lambda would drop the guard's records of ``function``, naming the props and the fix; else None."""
    config = logging_config(function)
    log_format = config.get("logFormat")
    level = config.get("applicationLogLevel")
    if not isinstance(log_format, str) or not isinstance(level, str):
        return None  # unset (Text, or JSON at INFO), or only known at deploy time
    if not contract.drops_records(log_format, level):
        return None
    return (f"logging_format=JSON with application_log_level_v2={level} makes Lambda drop the guard's "
            f"Violation records (level {contract.RECORD_LEVEL}), so the violations alarm could never fire; "
            f"set application_log_level_v2=ApplicationLogLevel.{contract.RECORD_LEVEL} (or lower), or "
            "logging_format=LoggingFormat.TEXT")


@jsii.implements(IValidation)
class LogDeliveryCheck:
    """At synth, the function's final logging configuration must keep the guard's records.

    ``strict`` (``protect()``, ``ProtectedFunction``): an error that fails synth; otherwise
    (the Aspect) a warning.
    """

    def __init__(self, function: lambda_.Function, *, strict: bool) -> None:
        self.function = function
        self.strict = strict

    def validate(self) -> list[str]:
        """The error, or nothing (a warning is added instead when not strict)."""
        reason = record_drop_reason(self.function)
        if reason is None:
            return []
        if self.strict:
            return [f"protect-lambda: {reason}"]
        Annotations.of(self.function).add_warning_v2(
            RECORDS_DROPPED_WARNING, f"protect-lambda protected {self.function.node.path}, but {reason}")
        return []
