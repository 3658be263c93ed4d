"""protect_lambda: the runtime guard that protect-lambda's constructs put in front of a Lambda function.

``Guard`` is imported lazily, so that ``import protect_lambda.contract`` (the
construct, at synth time) does not compile the rules.

Example:
    >>> from protect_lambda import Guard
    >>> Guard().inspect_event({"queryStringParameters": {"q": "hello"}}).blocked
    False
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any

from protect_lambda.contract import GUARD_VERSION as __version__

__all__ = ["Guard", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from protect_lambda.guard import Guard


def __getattr__(name: str) -> Any:
    if name == "Guard":
        from protect_lambda.guard import Guard

        return Guard
    raise AttributeError(f"module 'protect_lambda' has no attribute {name!r}")
