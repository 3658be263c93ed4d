"""protect-lambda: CDK constructs that put a runtime guard in front of Lambda functions.

Example:
    >>> from protect_lambda_construct import ProtectedFunction, AlertOptions
    >>> ProtectedFunction(stack, "Orders", runtime=lambda_.Runtime.PYTHON_3_13,  # doctest: +SKIP
    ...                   handler="app.handler", code=lambda_.Code.from_asset("src"),
    ...                   alerts=AlertOptions(emails=["oncall@example.com"]))
"""

from .options import (
    AlarmOptions,
    AlertOptions,
    DashboardOptions,
    FailPolicy,
    GuardMode,
    GuardOptions,
    ProtectionError,
    ProtectionOptions,
    RuleAction,
)
from .aspect import ProtectLambdas
from .protected_function import ProtectedFunction
from .protection import Protection, protect
from .monitoring import violations_metric

__all__ = [
    "AlarmOptions",
    "AlertOptions",
    "DashboardOptions",
    "FailPolicy",
    "GuardMode",
    "GuardOptions",
    "Protection",
    "ProtectLambdas",
    "ProtectedFunction",
    "ProtectionError",
    "ProtectionOptions",
    "RuleAction",
    "protect",
    "violations_metric",
]
