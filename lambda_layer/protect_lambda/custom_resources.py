"""CloudFormation custom-resource requests: never hold a stack, never fail a rollback.

A custom resource's handler gets ``{"RequestType": "Create" | "Update" | "Delete",
"ResponseURL": ..., "StackId": ..., "LogicalResourceId": ..., "ResourceProperties": ...}``
and the stack waits until someone answers the response URL. By default
(``custom_resources: skip``) the guard hands such a request to the handler
uninspected: the properties come from the template, not from a client. With
``custom_resources: inspect`` it is inspected like any event, and a blocked one
is answered so that CloudFormation is never left waiting:

* through CDK's provider framework (``ResponseURL`` is ``"..."``: the framework
  answers for the handler), the guard raises
  :class:`~protect_lambda.errors.GuardBlockedError` and the framework reports the
  resource FAILED with that message;
* called by CloudFormation directly (``ResponseURL`` is a pre-signed S3 URL), the
  guard itself PUTs a FAILED response naming the rules (:func:`answer`); the
  Delete that CloudFormation sends when it rolls back a resource the guard
  failed is answered SUCCESS without calling the handler (nothing was created);
* a Delete is never blocked (a stack must always be able to roll back and be
  deleted): its findings are recorded as in monitor mode and the handler runs.

Example:
    >>> answers_directly({"ResponseURL": "https://bucket.s3.amazonaws.com/x?X-Amz-Signature=1"})
    True
    >>> answers_directly({"ResponseURL": "..."})
    False
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Final

#: Physical id the guard gives a resource whose Create it failed: the rollback's Delete names it.
BLOCKED_PHYSICAL_ID_PREFIX: Final = "protect-lambda-blocked:"
#: Seconds the guard waits for the response URL to take its answer.
RESPONSE_TIMEOUT_S: Final = 10.0


def answers_directly(event: Mapping[str, Any]) -> bool:
    """True when the request came from CloudFormation itself (a real response URL to answer)."""
    url = event.get("ResponseURL")
    return isinstance(url, str) and url.startswith(("https://", "http://"))


def is_delete(event: Mapping[str, Any]) -> bool:
    """True for a Delete request (never blocked)."""
    return event.get("RequestType") == "Delete"


def never_created(event: Mapping[str, Any]) -> bool:
    """True for the Delete of a resource whose Create the guard failed (its physical id says so)."""
    physical = event.get("PhysicalResourceId")
    return is_delete(event) and isinstance(physical, str) and physical.startswith(BLOCKED_PHYSICAL_ID_PREFIX)


def response_body(event: Mapping[str, Any], *, success: bool, reason: str) -> bytes:
    """The JSON CloudFormation expects at the response URL.

    Example:
        >>> body = response_body({"RequestId": "r", "StackId": "s", "LogicalResourceId": "Db"},
        ...                      success=False, reason="blocked")
        >>> json.loads(body)["Status"], json.loads(body)["PhysicalResourceId"]
        ('FAILED', 'protect-lambda-blocked:r')
    """
    physical = event.get("PhysicalResourceId")
    if not isinstance(physical, str) or not physical:
        physical = f"{BLOCKED_PHYSICAL_ID_PREFIX}{event.get('RequestId', '')}"
    body = {
        "Status": "SUCCESS" if success else "FAILED",
        "Reason": reason[:1000],
        "PhysicalResourceId": physical,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
        "NoEcho": False,
        "Data": {},
    }
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def answer(event: Mapping[str, Any], *, success: bool, reason: str, timeout: float = RESPONSE_TIMEOUT_S) -> None:
    """PUT the answer to the request's response URL; raises ``OSError`` when it cannot be delivered."""
    from urllib.request import Request, urlopen  # imported on use: a custom resource is rare

    body = response_body(event, success=success, reason=reason)
    # a pre-signed S3 URL is signed for an empty content type
    request = Request(str(event["ResponseURL"]), data=body, method="PUT",
                      headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urlopen(request, timeout=timeout) as reply:
        reply.read()


def blocked_reason(rule_ids: list[str], request_id: str) -> str:
    """What CloudFormation shows for a resource the guard failed (rule ids, never the matched text).

    Example:
        >>> blocked_reason(["sqli-001"], "req-1")
        "protect-lambda blocked this request (rule sqli-001); see the function's log, request id req-1"
    """
    label = "rule" if len(rule_ids) == 1 else "rules"
    return (f"protect-lambda blocked this request ({label} {', '.join(rule_ids)}); "
            f"see the function's log, request id {request_id}")
