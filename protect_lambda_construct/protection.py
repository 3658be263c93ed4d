"""Protect a Lambda function: attach the guard and wire its alerting chain.

:func:`protect` is the one way a function gets protected; ``ProtectedFunction``
is built on it. It checks eligibility first and changes nothing unless the
function can be fully wired: the handler redirect and the guard layer always
come together.

Example:
    >>> protection = protect(my_function, options=ProtectionOptions())  # doctest: +SKIP
    >>> protection.alarm  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Optional, cast

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from protect_lambda import contract

from .alerts import alert_topic, subscribe
from .batch_sources import check_batch_sources
from .dashboard import FunctionPanel, add_to_user_dashboard, stack_dashboard
from .guard_config import apply_guard_config
from .layer import SUPPORTED_PYTHON_RUNTIMES, guard_layer
from .log_delivery import LogDeliveryCheck, record_drop_reason
from .monitoring import violations_alarm, violations_metric, violations_metric_filter
from .options import ProtectionError, ProtectionOptions
from .seal import stack_seal

PROTECTION_ID = "Protection"


def _is_token(value: str) -> bool:
    """Whether ``value`` is (or holds) a CDK token, i.e. is only known at deploy time."""
    return "${Token[" in value or Token.is_unresolved(value)


def runtime_ineligibility(runtime: lambda_.Runtime) -> Optional[str]:
    """Why a function of ``runtime`` cannot be protected, or ``None`` when it can."""
    name = runtime.name
    if name in SUPPORTED_PYTHON_RUNTIMES:
        return None
    if name == lambda_.Runtime.FROM_IMAGE.name:
        return ("code: container image functions are not supported yet (the guard is a layer, "
                "and images do not load layers); use a zip-packaged Python function")
    if _is_token(name):
        return "runtime: the runtime is unknown at synth time; use a Runtime.PYTHON_3_x constant"
    if runtime.family != lambda_.RuntimeFamily.PYTHON:
        return (f"runtime: {name} is not supported; the guard runs on Python runtimes "
                f"({', '.join(SUPPORTED_PYTHON_RUNTIMES)})")
    return f"runtime: {name} is not supported; use one of {', '.join(SUPPORTED_PYTHON_RUNTIMES)}"


def ineligibility(function: lambda_.Function) -> Optional[str]:
    """Why ``function`` cannot be protected, or ``None`` when it can.

    Example:
        >>> ineligibility(python_function) is None  # doctest: +SKIP
        True
    """
    reason = runtime_ineligibility(function.runtime)
    if reason is not None:
        return reason
    cfn = _cfn_function(function)
    if cfn is None:
        return "the function has no AWS::Lambda::Function resource to configure"
    handler = cfn.handler
    if handler is None or "${Token[" in handler:
        return "handler: the handler is unknown at synth time; give it as a string 'module.function'"
    return None


def _cfn_function(function: lambda_.Function) -> Optional[lambda_.CfnFunction]:
    child = function.node.default_child
    return child if isinstance(child, lambda_.CfnFunction) else None


def _environment(cfn: lambda_.CfnFunction) -> dict[str, Any]:
    """The function's environment variables as far as they are known at synth time.

    Read from the resource's rendered properties: the ``environment`` property itself
    is a lazy value that the Python binding cannot resolve on its own.
    """
    properties: Any = Stack.of(cfn).resolve(cfn._cfn_properties)
    environment = properties.get("environment") if isinstance(properties, dict) else None
    variables = environment.get("variables") if isinstance(environment, dict) else None
    return dict(variables) if isinstance(variables, dict) else {}


def underlying_function(function: lambda_.IFunction) -> Optional[lambda_.Function]:
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


def _title(function: lambda_.Function, stack: Stack) -> str:
    """The function's construct path inside its stack, for titles and descriptions."""
    stack_path = stack.node.path
    path = function.node.path
    return path[len(stack_path) + 1:] if path.startswith(stack_path + "/") else path


def _configured_log_group_name(cfn: lambda_.CfnFunction) -> Optional[str]:
    config = cfn.logging_config
    if config is None or Token.is_unresolved(config):
        return None
    name = getattr(config, "log_group", None)
    return cast(Optional[str], name)


class Protection(Construct):
    """The guard and the alerting chain of one protected function.

    Created by :func:`protect` (or the ``ProtectLambdas`` Aspect) as the child
    ``Protection`` of the function, once eligibility was checked.

    Attributes: ``function``, ``log_group``, ``metric_filter``, ``alarm`` (``None``
    when disabled), ``topic``. ``strict``: settings found wrong at synth (a log level that
    would drop the records) fail it; otherwise (the Aspect) they are warnings.
    """

    def __init__(
        self,
        function: lambda_.Function,
        construct_id: str,
        *,
        options: ProtectionOptions,
        log_group: Optional[logs.ILogGroup] = None,
        strict: bool = True,
    ) -> None:
        super().__init__(function, construct_id)
        self.function = function
        self.options = options
        stack = Stack.of(function)
        self.title = _title(function, stack)
        self.function_name = function.function_name
        cfn = cast(lambda_.CfnFunction, _cfn_function(function))

        # 1. the guard: layer, handler redirect and configuration, together.
        preset = _environment(cfn).get(contract.ORIGINAL_HANDLER_ENV)
        original_handler = preset if isinstance(preset, str) else cast(str, cfn.handler)
        if original_handler == contract.WRAPPER_HANDLER:
            raise ProtectionError(
                f"{function.node.path}: handler: already {contract.WRAPPER_HANDLER} but "
                f"{contract.ORIGINAL_HANDLER_ENV} is not set; set it to your handler")
        apply_guard_config(self, function, options.guard)  # validates the guard options first
        function.add_layers(guard_layer(stack, function.architecture, function.runtime))
        if preset is None:  # a handler variable the user set is respected, not overwritten
            function.add_environment(contract.ORIGINAL_HANDLER_ENV, original_handler)
        self.seal = stack_seal(stack)
        function.add_environment(contract.SEAL_ENV, self.seal)
        cfn.handler = contract.WRAPPER_HANDLER
        self.original_handler = original_handler

        check_batch_sources(function)
        function.node.add_validation(LogDeliveryCheck(function, strict=strict))

        # 2. an explicit log group, so that the metric filter exists from the first deploy.
        self.log_group = self._log_group(cfn, log_group)

        # 3. sealed records of this function -> metric -> alarm -> topic.
        self.metric_filter = violations_metric_filter(
            self, "ViolationsFilter", self.log_group, function_name=self.function_name, seal=self.seal)
        self.topic: sns.ITopic = options.alerts.topic or alert_topic(
            stack, master_key=options.alerts.master_key)
        subscribe(self.topic, options.alerts)
        self.alarm: Optional[cloudwatch.Alarm] = None
        if options.alarm.enabled:
            self.alarm = violations_alarm(
                self, "ViolationsAlarm",
                function_name=self.function_name,
                display_name=self.title,
                options=options.alarm,
            )
            action = cloudwatch_actions.SnsAction(self.topic)
            self.alarm.add_alarm_action(action)
            if options.alarm.notify_ok:
                self.alarm.add_ok_action(action)

        # 4. the dashboard.
        if options.dashboard.enabled:
            self._add_to_dashboard()

    def _log_group(self, cfn: lambda_.CfnFunction, given: Optional[logs.ILogGroup]) -> logs.ILogGroup:
        if given is not None:
            return given
        configured = _configured_log_group_name(cfn)
        if configured is not None:
            return logs.LogGroup.from_log_group_name(self, "LogGroup", configured)
        created = logs.LogGroup(self, "LogGroup", retention=self.options.log_retention)
        cfn.add_property_override("LoggingConfig.LogGroup", created.log_group_name)
        return created

    def _add_to_dashboard(self) -> None:
        panel = FunctionPanel(
            title=self.title,
            function_name=self.function_name,
            log_group_name=self.log_group.log_group_name,
            period_seconds=self.options.alarm.period_minutes * 60,
            alarm_arn=self.alarm.alarm_arn if self.alarm is not None else None,
            threshold=float(self.options.alarm.threshold) if self.alarm is not None else None,
        )
        given = self.options.dashboard.dashboard
        if given is not None:
            add_to_user_dashboard(given, panel)
        else:
            stack_dashboard(Stack.of(self), dashboard_name=self.options.dashboard.dashboard_name).add_function(panel)

    def metric_violations(
        self, *, period: Optional[Duration] = None, statistic: str = "Sum", label: Optional[str] = None
    ) -> cloudwatch.Metric:
        """The function's violations metric (Sum over the alarm period by default).

        Example:
            >>> protection.metric_violations(period=Duration.hours(1))  # doctest: +SKIP
        """
        return violations_metric(
            self.function_name,
            period=period or self.options.alarm.period,
            statistic=statistic,
            label=label,
        )


def protect(
    function: lambda_.IFunction,
    *,
    options: Optional[ProtectionOptions] = None,
    log_group: Optional[logs.ILogGroup] = None,
    **option_groups: Any,
) -> Protection:
    """Protect an existing function; protecting it twice returns the first protection.

    :param function: a Python ``aws_lambda.Function`` or ``SingletonFunction``.
    :param options: all options together. Default: ``ProtectionOptions()``.
    :param log_group: the function's log group when it was given one outside the
        function's props. Default: the configured one, else a new one.
    :param option_groups: or the groups one by one: ``guard``, ``alarm``, ``alerts``,
        ``dashboard``, ``log_retention`` (see :class:`ProtectionOptions`).

    Example:
        >>> protect(fn, alarm=AlarmOptions(threshold=3))  # doctest: +SKIP
    """
    target = underlying_function(function)
    if target is None:
        raise ProtectionError(
            f"{function.node.path}: function: expected an aws_lambda.Function or SingletonFunction "
            f"defined in this app, got {type(function).__name__} (imported functions cannot be changed)")
    existing = target.node.try_find_child(PROTECTION_ID)
    if isinstance(existing, Protection):
        return existing
    reason = ineligibility(target)
    if reason is not None:
        raise ProtectionError(f"{target.node.path}: cannot protect this function: {reason}")
    dropped = record_drop_reason(target)
    if dropped is not None:
        raise ProtectionError(f"{target.node.path}: {dropped}")
    if options is not None and option_groups:
        raise ProtectionError(
            f"options: give either options=ProtectionOptions(...) or the groups "
            f"({', '.join(sorted(option_groups))}), not both")
    if options is None:
        unknown = set(option_groups) - {"guard", "alarm", "alerts", "dashboard", "log_retention"}
        if unknown:
            raise ProtectionError(f"{', '.join(sorted(unknown))}: unknown option(s); expected guard, "
                                  "alarm, alerts, dashboard or log_retention")
        groups = {key: value for key, value in option_groups.items() if value is not None}
        options = ProtectionOptions(**groups)
    return Protection(target, PROTECTION_ID, options=options, log_group=log_group)
