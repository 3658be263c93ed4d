"""HTTP API Lambda authorizers: tell the guard which answer API Gateway reads.

An HTTP API authorizer with payload format 2.0 reads ``{"isAuthorized": false}``
when it has simple responses enabled, an IAM policy otherwise. The guard answers
in both forms unless told (``GuardOptions(authorizer_response=...)``); the
``ProtectLambdas`` Aspect tells it, through
:data:`~protect_lambda.contract.AUTHORIZER_RESPONSE_ENV`, for every protected
function that an ``AWS::ApiGatewayV2::Authorizer`` of the same stack calls.
REST API, WebSocket and payload 1.0 authorizers always read an IAM policy, which
the guard sends without being told.

Example:
    >>> formats = AuthorizerFormats()  # doctest: +SKIP
    >>> formats.visit(node)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct
from protect_lambda import contract

_HTTP_AUTHORIZER = "aws-cdk-lib.aws_apigatewayv2.CfnAuthorizer"

#: (stack path, logical id) of a function.
FunctionKey = tuple[str, str]


def function_key(function: lambda_.Function) -> FunctionKey | None:
    """Where a template names ``function``: its stack and logical id."""
    cfn = function.node.default_child
    if not isinstance(cfn, CfnResource):
        return None
    stack = Stack.of(function)
    return stack.node.path, str(stack.resolve(cfn.logical_id))


def _function_logical_id(value: Any) -> str | None:
    """The logical id of the first ``Fn::GetAtt [<id>, "Arn"]`` inside a resolved value."""
    if isinstance(value, dict):
        target = value.get("Fn::GetAtt")
        if isinstance(target, list) and len(target) == 2 and target[1] == "Arn":
            return str(target[0])
        values: Any = value.values()
    elif isinstance(value, list):
        values = value
    else:
        return None
    for item in values:
        found = _function_logical_id(item)
        if found is not None:
            return found
    return None


def authorizer_format(node: IConstruct) -> tuple[FunctionKey, str] | None:
    """For an HTTP API REQUEST authorizer of payload 2.0: the function it calls and the answer it reads."""
    if str(getattr(type(node), "__jsii_type__", "")) != _HTTP_AUTHORIZER or not isinstance(node, CfnResource):
        return None
    stack = Stack.of(node)
    properties: Any = stack.resolve(node._cfn_properties)
    if not isinstance(properties, dict) or properties.get("authorizerType") != "REQUEST":
        return None
    if properties.get("authorizerPayloadFormatVersion") != "2.0":
        return None  # payload 1.0 carries a methodArn: the guard answers with a policy by itself
    logical_id = _function_logical_id(properties.get("authorizerUri"))
    if logical_id is None:
        return None  # a function of another stack, an alias: left to AUTO
    style = contract.AUTHORIZER_SIMPLE if properties.get("enableSimpleResponses") is True else contract.AUTHORIZER_IAM
    return (stack.node.path, logical_id), style


class AuthorizerFormats:
    """Matches protected functions with the HTTP API authorizers that call them, in either visit order."""

    def __init__(self) -> None:
        self.styles: dict[FunctionKey, str] = {}
        self.waiting: dict[FunctionKey, lambda_.Function] = {}

    def saw_authorizer(self, node: IConstruct) -> None:
        """Note an authorizer; tell a function protected earlier how to answer."""
        found = authorizer_format(node)
        if found is None:
            return
        key, style = found
        self.styles[key] = style
        function = self.waiting.pop(key, None)
        if function is not None:
            function.add_environment(contract.AUTHORIZER_RESPONSE_ENV, style, remove_in_edge=True)

    def protected(self, function: lambda_.Function) -> None:
        """Note a function protected with ``AuthorizerResponse.AUTO``; tell it now if its authorizer was seen."""
        key = function_key(function)
        if key is None:
            return
        style = self.styles.get(key)
        if style is not None:
            function.add_environment(contract.AUTHORIZER_RESPONSE_ENV, style, remove_in_edge=True)
        else:
            self.waiting[key] = function
