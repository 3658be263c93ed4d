"""protect-lambda: CDK constructs that put a runtime guard in front of Lambda functions.

The public names load on first use, so that ``python -m protect_lambda_tools.report``
(which only reads templates) does not start aws-cdk-lib's jsii runtime.

Example:
    >>> from protect_lambda_construct import ProtectedFunction, AlertOptions
    >>> ProtectedFunction(stack, "Orders", runtime=lambda_.Runtime.PYTHON_3_13,  # doctest: +SKIP
    ...                   handler="app.handler", code=lambda_.Code.from_asset("src"),
    ...                   alerts=AlertOptions(emails=["oncall@example.com"]))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .aspect import ProtectLambdas
    from .monitoring import violations_metric
    from .options import (
        AlarmOptions,
        AlertOptions,
        AuthorizerResponse,
        DashboardOptions,
        Exclusion,
        FailPolicy,
        GuardMode,
        GuardOptions,
        ProtectionError,
        ProtectionOptions,
        RuleAction,
    )
    from .protected_function import ProtectedFunction
    from .protection import Protection, protect

#: public name -> module that defines it
_EXPORTS = {
    "AlarmOptions": ".options",
    "AlertOptions": ".options",
    "AuthorizerResponse": ".options",
    "DashboardOptions": ".options",
    "Exclusion": ".options",
    "FailPolicy": ".options",
    "GuardMode": ".options",
    "GuardOptions": ".options",
    "ProtectionError": ".options",
    "ProtectionOptions": ".options",
    "RuleAction": ".options",
    "ProtectLambdas": ".aspect",
    "ProtectedFunction": ".protected_function",
    "Protection": ".protection",
    "protect": ".protection",
    "violations_metric": ".monitoring",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value
