"""Loading the user's handler, the one the construct moved out of the function's Handler property.

The construct redirects a protected function to
:data:`~protect_lambda.contract.WRAPPER_HANDLER` and keeps the original handler
string in :data:`~protect_lambda.contract.ORIGINAL_HANDLER_ENV`;
:func:`load_handler` imports it the way the Lambda Python runtime imports a
Handler property.

Example:
    >>> load_handler("json.dumps")({"a": 1})
    '{"a": 1}'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any

from protect_lambda import contract
from protect_lambda.errors import HandlerLoadError

Handler = Callable[["Any", "Any"], "Any"]


def load_handler(name: str) -> Handler:
    """Import the handler named ``module.function`` (or ``pkg/sub/module.function``).

    Resolution follows the Lambda Python runtime: split at the last dot, ``/`` in
    the module part becomes ``.``. Raises :class:`HandlerLoadError` (an
    ``ImportError``) naming the environment variable and the handler string when
    it cannot be found; an error raised by the module itself (a ``SyntaxError``,
    a ``KeyError`` of its top-level code) propagates unchanged.

    Example:
        >>> load_handler("json.dumps")([1])
        '[1]'
        >>> load_handler("json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        protect_lambda.errors.HandlerLoadError: ...='json' is not of the form module.function
    """
    var = contract.ORIGINAL_HANDLER_ENV
    spec = name.strip()
    if not spec:
        raise HandlerLoadError(
            f"{var} is not set: it must name the original handler (module.function); "
            f"the construct sets it when it redirects the handler to {contract.WRAPPER_HANDLER}"
        )
    module_name, _, function_name = spec.rpartition(".")
    module_name = module_name.replace("/", ".").strip(".")
    if not module_name or not function_name:
        raise HandlerLoadError(f"{var}={name!r} is not of the form module.function")
    if (
        spec == contract.WRAPPER_HANDLER
        or f"{module_name}.{function_name}" == contract.WRAPPER_HANDLER
    ):
        raise HandlerLoadError(
            f"{var}={name!r} names the guard wrapper itself, not the original handler"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HandlerLoadError(
            f"{var}={name!r}: cannot import module {module_name!r} ({type(exc).__name__}: {exc})"
        ) from exc
    # A SyntaxError, or anything the module raises as it loads, propagates unchanged: the
    # runtime reports it as it would for the unwrapped handler (Runtime.UserCodeSyntaxError...).
    target = getattr(module, function_name, None)
    if target is None:
        raise HandlerLoadError(
            f"{var}={name!r}: module {module_name!r} has no attribute {function_name!r}"
        )
    if not callable(target):
        raise HandlerLoadError(f"{var}={name!r}: {module_name}.{function_name} is not callable")
    handler: Handler = target
    return handler
