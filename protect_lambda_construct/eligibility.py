"""Which functions can be protected, and which are CDK's own.

A function is protected by redirecting its handler into the guard layer, which
needs a Python runtime known at synth, a handler string, room for one or two more
layers (Lambda allows five) and for a few environment variables (4 KB in all),
and a function that is not Lambda@Edge (Edge allows neither layers nor
environment variables). :func:`ineligibility` names the first thing that is
missing, so that the ``ProtectLambdas`` Aspect can leave the function exactly as
it was with a warning, and ``protect`` / ``ProtectedFunction`` can fail synth
naming the prop.

CDK's own handlers (custom-resource providers, BucketDeployment, EKS kubectl,
log retention, auto-delete, the provider framework, ...) are not the user's
code and receive only CloudFormation's requests: :func:`is_cdk_handler` tells
them apart (CDK marks them in construct metadata), and the Aspect skips them
silently.

Example:
    >>> ineligibility(python_function) is None  # doctest: +SKIP
    True
    >>> is_cdk_handler(bucket_deployment_handler)  # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct
from protect_lambda import contract

from .bootstrap_shim import needs_shim, shim_reason
from .layer import SUPPORTED_PYTHON_RUNTIMES
from .proxy_layer import EXEC_WRAPPER_ENV, NEXT_WRAPPER_ENV, WRAPPER_PATH, uses_proxy

#: Layers Lambda allows on one function.
MAX_LAYERS = 5
#: Bytes Lambda allows for all of a function's environment variables (names and values).
MAX_ENVIRONMENT_BYTES = 4096
#: The seal's length once deployed (a stack id's UUID), for the environment budget.
SEAL_BYTES = 36
#: Metadata types CDK puts on the functions that are its own handlers.
CDK_HANDLER_METADATA_PREFIX = "aws:cdk:is-custom-resource-handler"
#: The service principal Lambda@Edge functions must trust.
EDGE_PRINCIPAL = "edgelambda.amazonaws.com"
#: jsii type names of the constructs whose functions are CDK's or Edge.
_PROVIDER_FRAMEWORK = "aws-cdk-lib.custom_resources.Provider"
_EDGE_FUNCTION = "aws-cdk-lib.aws_cloudfront.experimental.EdgeFunction"


def is_token(value: str) -> bool:
    """Whether ``value`` is (or holds) a CDK token, i.e. is only known at deploy time."""
    return "${Token[" in value or Token.is_unresolved(value)


def cfn_function(function: lambda_.Function) -> lambda_.CfnFunction | None:
    """The function's ``AWS::Lambda::Function`` resource, if it has one."""
    child = function.node.default_child
    return child if isinstance(child, lambda_.CfnFunction) else None


def rendered_properties(cfn: lambda_.CfnFunction) -> dict[str, Any]:
    """The resource's properties as far as they are known now (lazy values resolved)."""
    properties: Any = Stack.of(cfn).resolve(cfn._cfn_properties)
    return properties if isinstance(properties, dict) else {}


def environment_of(cfn: lambda_.CfnFunction) -> dict[str, Any]:
    """The function's environment variables as far as they are known at synth time.

    Read from the resource's rendered properties: the ``environment`` property itself
    is a lazy value that the Python binding cannot resolve on its own.
    """
    environment = rendered_properties(cfn).get("environment")
    variables = environment.get("variables") if isinstance(environment, dict) else None
    return dict(variables) if isinstance(variables, dict) else {}


def runtime_ineligibility(runtime: lambda_.Runtime) -> str | None:
    """Why a function of ``runtime`` cannot be protected, or ``None`` when it can."""
    name = runtime.name
    if name in SUPPORTED_PYTHON_RUNTIMES or uses_proxy(runtime):
        return None
    if name == lambda_.Runtime.FROM_IMAGE.name:
        return ("code: container images do not load layers, so neither guard can be attached at synth. "
                "Add the proxy extension to the image with these two Dockerfile lines (files from "
                "`protect-lambda proxy-layer DIR`, built for the image's architecture):\n"
                "  COPY DIR/ /opt/\n"
                f"  ENV {EXEC_WRAPPER_ENV}={WRAPPER_PATH}\n"
                "then set the guard's variables on the function (docs/proxy.md, 'Container images')")
    if is_token(name):
        return "runtime: the runtime is unknown at synth time; use a Runtime constant"
    if runtime.family != lambda_.RuntimeFamily.PYTHON:
        return (f"runtime: {name} is not supported; the guard runs on Python ({', '.join(SUPPORTED_PYTHON_RUNTIMES)}), "
                "Node.js, Java, .NET and Ruby runtimes")
    return f"runtime: {name} is not supported; use one of {', '.join(SUPPORTED_PYTHON_RUNTIMES)}"


def _jsii_type(node: object) -> str:
    return str(getattr(type(node), "__jsii_type__", ""))


def edge_reason(function: lambda_.Function) -> str | None:
    """Why ``function`` is (or is made to be) a Lambda@Edge function, or ``None``.

    CloudFront's ``EdgeFunction`` and every distribution that associates a function
    make its role trust ``edgelambda.amazonaws.com``; that trust is what is looked for.
    """
    if any(_jsii_type(scope) == _EDGE_FUNCTION for scope in function.node.scopes):
        return "it is a cloudfront.experimental.EdgeFunction"
    role = function.role
    if isinstance(role, iam.Role) and role.assume_role_policy is not None:
        try:
            document = json.dumps(Stack.of(role).resolve(role.assume_role_policy.to_json()))
        except Exception:  # an unresolvable trust policy says nothing about Edge
            return None
        if EDGE_PRINCIPAL in document:
            return f"its role trusts {EDGE_PRINCIPAL} (a Lambda@Edge function)"
    return None


def layer_count(cfn: lambda_.CfnFunction) -> int:
    """How many layers the function has now."""
    layers = rendered_properties(cfn).get("layers")
    return len(layers) if isinstance(layers, list) else 0


def environment_bytes(variables: dict[str, Any]) -> int:
    """The bytes Lambda counts for ``variables`` (names and values; a value known only at deploy
    time counts as nothing, so the figure is a lower bound)."""
    total = 0
    for name, value in variables.items():
        total += len(str(name).encode())
        if isinstance(value, str) and not is_token(value):
            total += len(value.encode())
    return total


def ineligibility(function: lambda_.Function, *, layers_needed: int = 1,
                  guard_environment: dict[str, str] | None = None) -> str | None:
    """Why ``function`` cannot be protected (naming the prop), or ``None`` when it can.

    ``layers_needed`` and ``guard_environment`` are what the protection would add:
    the guard layer (and a configuration layer), and the guard's variables.

    Example:
        >>> ineligibility(python_function) is None  # doctest: +SKIP
        True
    """
    reason = runtime_ineligibility(function.runtime)
    if reason is not None:
        return reason
    cfn = cfn_function(function)
    if cfn is None:
        return "the function has no AWS::Lambda::Function resource to configure"
    handler = cfn.handler
    proxied = uses_proxy(function.runtime)
    if not proxied and (handler is None or is_token(handler)):
        return "handler: the handler is unknown at synth time; give it as a string 'module.function'"
    edge = edge_reason(function)
    if edge is not None:
        return (f"{edge}: Lambda@Edge allows neither layers nor environment variables, which the "
                "guard needs; protect the origin behind the distribution instead")
    present = layer_count(cfn)
    if present + layers_needed > MAX_LAYERS:
        return (f"layers: the function has {present} layers and the guard needs {layers_needed} more; "
                f"Lambda allows {MAX_LAYERS}. Merge two of its layers into one to make room")
    shimmed = proxied and needs_shim(function.runtime)
    if shimmed:
        shim = shim_reason(function)
        if shim is not None:
            return shim
    own = environment_of(cfn)
    if shimmed:
        added = {contract.SEAL_ENV: "x" * SEAL_BYTES, **(guard_environment or {})}
    elif proxied:
        wrapper = own.get(EXEC_WRAPPER_ENV)
        if isinstance(wrapper, str) and is_token(wrapper):
            return (f"environment: {EXEC_WRAPPER_ENV} is unknown at synth time; the guard's wrapper must chain "
                    "it: give it as a string")
        added = {EXEC_WRAPPER_ENV: WRAPPER_PATH, contract.SEAL_ENV: "x" * SEAL_BYTES, **(guard_environment or {})}
        if isinstance(wrapper, str) and wrapper != WRAPPER_PATH:
            added[NEXT_WRAPPER_ENV] = wrapper
    else:
        added = {contract.ORIGINAL_HANDLER_ENV: str(handler), contract.SEAL_ENV: "x" * SEAL_BYTES,
                 **(guard_environment or {})}
    size = environment_bytes({**own, **added})
    if size > MAX_ENVIRONMENT_BYTES:
        return (f"environment: its variables and the guard's would take {size} bytes; Lambda allows "
                f"{MAX_ENVIRONMENT_BYTES}. Move large values to SSM Parameter Store or a config file, "
                "or shorten the guard's inline configuration (fewer overrides, custom rules)")
    return None


def is_cdk_handler(function: lambda_.Function) -> bool:
    """True for a function CDK creates as its own handler (custom resources, BucketDeployment,
    EKS, log retention, auto-delete, the provider framework's functions, ...).

    CDK marks them with ``aws:cdk:is-custom-resource-handler-*`` metadata (a
    ``SingletonFunction`` puts it on the function behind it); the provider
    framework's ``framework-*`` functions are children of a ``custom_resources.Provider``.
    """
    if any(str(entry.type).startswith(CDK_HANDLER_METADATA_PREFIX) for entry in function.node.metadata):
        return True
    scope: IConstruct | None = function.node.scope
    return (scope is not None and _jsii_type(scope) == _PROVIDER_FRAMEWORK
            and function.node.id.startswith("framework-"))


def underlying_function(function: lambda_.IFunction) -> lambda_.Function | None:
    """The ``Function`` to configure: itself, or the one behind a ``SingletonFunction``."""
    if isinstance(function, lambda_.Function):
        return function
    if isinstance(function, lambda_.SingletonFunction):
        stack = Stack.of(function)
        name = stack.resolve(function.function_name)
        for child in stack.node.children:
            if isinstance(child, lambda_.Function) and stack.resolve(child.function_name) == name:
                return child
    return None
