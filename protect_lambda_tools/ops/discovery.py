"""Find the functions protect-lambda protects in a deployed stack, and their monitoring.

A function is protected when its environment holds
:data:`~protect_lambda.contract.ORIGINAL_HANDLER_ENV` (the construct's handler
redirect). Its log group is ``LoggingConfig.LogGroup``, else
``/aws/lambda/<name>``; its metric filters are the log group's filters that
publish to :data:`~protect_lambda.contract.METRIC_NAMESPACE`; its alarms are the
alarms on the violations metric with dimension ``FunctionName=<name>``. Nested
stacks are searched too.

Example:
    >>> function_log_group({"FunctionName": "orders"})
    '/aws/lambda/orders'
    >>> function_log_group({"FunctionName": "o", "LoggingConfig": {"LogGroup": "/app/o"}})
    '/app/o'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from protect_lambda import contract
from protect_lambda_tools.ops.errors import EXIT_NOT_FOUND, OpsError

if TYPE_CHECKING:  # pragma: no cover
    from protect_lambda_tools.ops.session import Clients

LAMBDA_FUNCTION_TYPE = "AWS::Lambda::Function"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
#: How deep nested stacks are followed.
MAX_NESTING = 5


@dataclass(frozen=True)
class MetricFilterInfo:
    """A deployed metric filter that publishes to the violations namespace."""

    name: str
    pattern: str
    namespace: str
    metric_name: str
    metric_value: str
    dimensions: Mapping[str, str]


@dataclass(frozen=True)
class AlarmInfo:
    """An alarm on a function's violations metric."""

    name: str
    state: str
    actions_enabled: bool
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...]


@dataclass(frozen=True)
class ProtectedFunction:
    """A protected function and what monitors it."""

    name: str
    log_group: str
    mode: str
    metric_filters: tuple[MetricFilterInfo, ...] = ()
    alarms: tuple[AlarmInfo, ...] = ()
    #: The deployment's seal (``PROTECT_LAMBDA_SEAL``); empty for a function protected before seals.
    seal: str = ""
    #: The deployed ``LoggingConfig``: its log format and application log level.
    log_format: str = "Text"
    application_log_level: str = ""

    @property
    def violation_pattern(self) -> str:
        """The filter pattern of the records the metric counts for this function (any record, unsealed)."""
        if not self.seal:
            return contract.VIOLATION_EVENT_PATTERN
        return contract.violation_filter_pattern(self.name, self.seal)


def function_log_group(configuration: Mapping[str, Any]) -> str:
    """The log group a function writes to (its ``LoggingConfig``, else Lambda's default)."""
    logging_config = configuration.get("LoggingConfig") or {}
    group = logging_config.get("LogGroup")
    if group:
        return str(group)
    return f"/aws/lambda/{configuration['FunctionName']}"


def protection_mode(configuration: Mapping[str, Any]) -> str | None:
    """The guard mode of a protected function's configuration, None when it is not protected.

    Example:
        >>> protection_mode({"Environment": {"Variables": {contract.ORIGINAL_HANDLER_ENV: "app.h"}}})
        'block'
        >>> protection_mode({"Environment": {"Variables": {}}}) is None
        True
    """
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    if contract.ORIGINAL_HANDLER_ENV not in variables:
        return None
    return str(variables.get(contract.MODE_ENV) or contract.MODE_BLOCK)


def deployed_seal(configuration: Mapping[str, Any]) -> str:
    """The seal in a protected function's configuration (``""`` when it has none).

    Example:
        >>> deployed_seal({"Environment": {"Variables": {contract.SEAL_ENV: "0f1e"}}})
        '0f1e'
    """
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    return str(variables.get(contract.SEAL_ENV) or "")


def stack_function_names(clients: Clients, stack: str, _depth: int = 0) -> list[str]:
    """Physical names of the Lambda functions of ``stack`` and its nested stacks."""
    names: list[str] = []
    paginator = clients.cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack):
        for resource in page.get("StackResourceSummaries", []):
            physical = resource.get("PhysicalResourceId")
            if not physical:
                continue
            if resource["ResourceType"] == LAMBDA_FUNCTION_TYPE:
                names.append(physical)
            elif resource["ResourceType"] == NESTED_STACK_TYPE and _depth < MAX_NESTING:
                names.extend(stack_function_names(clients, physical, _depth + 1))
    return names


def metric_filters(clients: Clients, log_group: str) -> tuple[MetricFilterInfo, ...]:
    """The log group's metric filters that publish to the violations namespace (none if no group)."""
    found: list[MetricFilterInfo] = []
    paginator = clients.logs.get_paginator("describe_metric_filters")
    try:
        for page in paginator.paginate(logGroupName=log_group):
            for item in page.get("metricFilters", []):
                if item.get("logGroupName", log_group) != log_group:
                    continue
                for transformation in item.get("metricTransformations", []):
                    if transformation.get("metricNamespace") != contract.METRIC_NAMESPACE:
                        continue
                    found.append(
                        MetricFilterInfo(
                            name=item.get("filterName", ""),
                            pattern=item.get("filterPattern", ""),
                            namespace=transformation["metricNamespace"],
                            metric_name=transformation.get("metricName", ""),
                            metric_value=transformation.get("metricValue", ""),
                            dimensions=dict(transformation.get("dimensions") or {}),
                        )
                    )
    except clients.logs.exceptions.ResourceNotFoundException:
        return ()
    return tuple(found)


def alarms(clients: Clients, function_name: str) -> tuple[AlarmInfo, ...]:
    """Alarms on the violations metric of ``function_name``."""
    response = clients.cloudwatch.describe_alarms_for_metric(
        Namespace=contract.METRIC_NAMESPACE,
        MetricName=contract.METRIC_NAME,
        Dimensions=[{"Name": contract.METRIC_DIMENSION, "Value": function_name}],
    )
    return tuple(
        AlarmInfo(
            name=alarm["AlarmName"],
            state=alarm.get("StateValue", "INSUFFICIENT_DATA"),
            actions_enabled=bool(alarm.get("ActionsEnabled", True)),
            alarm_actions=tuple(alarm.get("AlarmActions", [])),
            ok_actions=tuple(alarm.get("OKActions", [])),
        )
        for alarm in response.get("MetricAlarms", [])
        if _watches(alarm, function_name)
    )


def _watches(alarm: Mapping[str, Any], function_name: str) -> bool:
    """Whether ``alarm`` is on the violations metric of ``function_name`` (checked again here,
    as some API emulators ignore DescribeAlarmsForMetric's dimensions)."""
    dimensions = {d.get("Name"): d.get("Value") for d in alarm.get("Dimensions", [])}
    return (
        alarm.get("Namespace", contract.METRIC_NAMESPACE) == contract.METRIC_NAMESPACE
        and alarm.get("MetricName", contract.METRIC_NAME) == contract.METRIC_NAME
        and dimensions == {contract.METRIC_DIMENSION: function_name}
    )


def describe_function(
    clients: Clients, name: str, *, monitoring: bool = True
) -> ProtectedFunction | None:
    """The protected function ``name`` (with filters and alarms if ``monitoring``), or None."""
    configuration = clients.lambda_.get_function_configuration(FunctionName=name)
    mode = protection_mode(configuration)
    if mode is None:
        return None
    function_name = configuration.get("FunctionName", name)
    log_group = function_log_group(configuration)
    seal = deployed_seal(configuration)
    logging_config = configuration.get("LoggingConfig") or {}
    log_format = str(logging_config.get("LogFormat") or "Text")
    application_log_level = str(logging_config.get("ApplicationLogLevel") or "")
    if not monitoring:
        return ProtectedFunction(function_name, log_group, mode, seal=seal, log_format=log_format,
                                 application_log_level=application_log_level)
    return ProtectedFunction(
        function_name,
        log_group,
        mode,
        metric_filters(clients, log_group),
        alarms(clients, function_name),
        seal=seal,
        log_format=log_format,
        application_log_level=application_log_level,
    )


def discover(
    clients: Clients,
    *,
    stack: str | None = None,
    function: str | None = None,
    monitoring: bool = True,
) -> list[ProtectedFunction]:
    """The protected functions of ``stack`` (optionally only ``function``), or of ``function`` alone.

    Raises :class:`OpsError` (exit code 4) when nothing protected is found.
    """
    if stack is None and function is None:
        raise ValueError("discover() needs a stack or a function")
    if stack is None:
        assert function is not None
        found = describe_function(clients, function, monitoring=monitoring)
        if found is None:
            raise OpsError(
                f"function {function!r} is not protected by protect-lambda "
                f"(no {contract.ORIGINAL_HANDLER_ENV} in its environment)",
                EXIT_NOT_FOUND,
            )
        return [found]
    names = stack_function_names(clients, stack)
    if function is not None:
        if function not in names:
            raise OpsError(f"stack {stack!r} has no Lambda function named {function!r}", EXIT_NOT_FOUND)
        names = [function]
    protected = [
        found
        for found in (describe_function(clients, name, monitoring=monitoring) for name in names)
        if found is not None
    ]
    if not protected:
        raise OpsError(
            f"stack {stack!r} has no function protected by protect-lambda "
            f"({len(names)} Lambda function(s) checked)",
            EXIT_NOT_FOUND,
        )
    return protected
