"""The log group a protected function writes to: adopted when the user set one, else created.

The metric filter must exist from the first deploy, so it needs a log group that
exists then too. What the user already decided wins, in this order:

1. a log group given to the protection (``ProtectedFunction`` creates its own);
2. the function's ``logging_config`` / ``log_group`` prop: that group;
3. the function's ``log_retention`` prop: ``/aws/lambda/<name>``, which CDK's
   LogRetention resource creates with the user's retention (the filter waits for it);
4. a ``LogGroup`` of the same stack named ``/aws/lambda/<name>``: that group;
5. otherwise a new group (``log_retention`` and ``log_removal_policy`` of the
   options) that the function's ``LoggingConfig`` points at.

Whenever the function is pointed at a group other than ``/aws/lambda/<name>``,
its role must be allowed to write there, or every line (the Violation records
with them) is dropped: :func:`grant_writes` grants it, and says so when it cannot
(an imported role that this app cannot change).

Example:
    >>> group, waits_for = function_log_group(protection, function, options)  # doctest: +SKIP
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Fn, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from .options import ProtectionOptions

#: Managed policies that already allow writing to any log group.
LOG_WRITING_MANAGED_POLICIES = (
    "AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole", "AWSLambdaExecute",
    "AWSLambdaKinesisExecutionRole", "AWSLambdaDynamoDBExecutionRole", "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaMSKExecutionRole", "AWSLambdaENIManagementAccess",
)
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


def default_log_group_name(function: lambda_.Function) -> str:
    """``/aws/lambda/<function name>``, where Lambda writes unless told otherwise."""
    return Fn.join("", ["/aws/lambda/", function.function_name])


def configured_log_group_name(cfn: lambda_.CfnFunction) -> str | None:
    """The log group of the function's ``LoggingConfig`` (its ``log_group`` prop), when it names one."""
    config = cfn.logging_config
    if config is None or Token.is_unresolved(config):
        return None
    name = getattr(config, "log_group", None)
    return name if isinstance(name, str) else None


def _resolved(scope: IConstruct, value: Any) -> str:
    return json.dumps(Stack.of(scope).resolve(value), sort_keys=True)


def user_default_log_group(function: lambda_.Function) -> logs.LogGroup | None:
    """A ``LogGroup`` the user created in the function's stack named ``/aws/lambda/<name>``."""
    stack = Stack.of(function)
    wanted = _resolved(function, default_log_group_name(function))
    literal = _resolved(function, f"/aws/lambda/{function.function_name}")
    for node in stack.node.find_all():
        if not isinstance(node, logs.LogGroup) or Stack.of(node) is not stack:
            continue
        cfn = node.node.default_child
        if isinstance(cfn, logs.CfnLogGroup) and cfn.log_group_name is not None:
            name = _resolved(node, cfn.log_group_name)
            if name in (wanted, literal):
                return node
    return None


def log_retention_of(function: lambda_.Function) -> logs.LogRetention | None:
    """The LogRetention CDK made for the function's ``log_retention`` prop, if any."""
    child = function.node.try_find_child("LogRetention")
    return child if isinstance(child, logs.LogRetention) else None


def function_log_group(scope: Construct, function: lambda_.Function, cfn: lambda_.CfnFunction,
                       options: ProtectionOptions, given: logs.ILogGroup | None = None,
                       ) -> tuple[logs.ILogGroup, IConstruct | None, bool]:
    """The log group the function writes to, what must exist before a filter on it, and whether
    it is a group other than ``/aws/lambda/<name>`` (so the role must be allowed to write there)."""
    if given is not None:
        return given, None, True
    configured = configured_log_group_name(cfn)
    if configured is not None:
        return logs.LogGroup.from_log_group_name(scope, "LogGroup", configured), None, True
    retention = log_retention_of(function)
    if retention is not None:
        adopted = logs.LogGroup.from_log_group_name(scope, "LogGroup", default_log_group_name(function))
        return adopted, retention, False
    own = user_default_log_group(function)
    if own is not None:
        return own, None, False
    created = logs.LogGroup(scope, "LogGroup", retention=options.log_retention,
                            removal_policy=options.log_removal_policy)
    cfn.add_property_override("LoggingConfig.LogGroup", created.log_group_name)
    return created, None, True


def _writes_logs_anywhere(role: iam.Role) -> bool:
    cfn = role.node.default_child
    if not isinstance(cfn, iam.CfnRole):
        return False
    arns = _resolved(role, cfn.managed_policy_arns or [])
    return any(f"/{name}" in arns for name in LOG_WRITING_MANAGED_POLICIES)


def grant_writes(function: lambda_.Function, cfn: lambda_.CfnFunction, log_group: logs.ILogGroup) -> str | None:
    """Let the function's role write to ``log_group``; the reason it could not, or ``None``."""
    role = function.role
    if role is None:
        return None
    if isinstance(role, iam.Role):
        if not _writes_logs_anywhere(role):
            log_group.grant_write(role).apply_before(cfn)
        return None
    grant = log_group.grant_write(role)
    policy = role.node.try_find_child("Policy")
    if isinstance(policy, iam.Policy):  # an imported role this app may attach a policy to
        grant.apply_before(cfn)
        return None
    return (f"role: the function's role is imported and cannot be changed by this app, so it may not "
            f"write to the log group protect-lambda points the function at (every log line and "
            f"Violation record would be dropped); allow {' and '.join(LOG_WRITE_ACTIONS)} on that "
            "group in the role, import it with mutable=True, or give the function a role this app creates")
