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

from typing import Any, cast

import jsii
from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IValidation
from protect_lambda import contract

from .alerts import alert_topic, subscribe
from .batch_sources import check_batch_sources
from .dashboard import FunctionPanel, add_to_user_dashboard, stack_dashboard
from .eligibility import (
    cfn_function,
    edge_reason,
    environment_of,
    ineligibility,
    underlying_function,
)
from .guard_config import GuardSettings, apply_guard_config
from .layer import guard_layer
from .log_delivery import LogDeliveryCheck, record_drop_reason
from .log_groups import function_log_group, grant_writes
from .bootstrap_shim import apply_shim, needs_shim
from .proxy_layer import proxy_layer, uses_proxy, wrapper_environment
from .monitoring import violations_alarm, violations_metric, violations_metric_filter
from .options import ProtectionError, ProtectionOptions
from .seal import stack_seal
from .sharing import home_stack, layer_stack, shared_topic_name, topic_seen_from

PROTECTION_ID = "Protection"
#: Id of the warning annotation when the function's role cannot write to its log group.
LOGS_WARNING = "protect-lambda:logs-not-writable"
#: The option groups ``protect`` and ``ProtectLambdas`` accept one by one.
OPTION_GROUPS = ("guard", "alarm", "alerts", "dashboard", "log_retention", "log_removal_policy", "shared_in")


def _title(function: lambda_.Function, stack: Stack) -> str:
    """The function's construct path inside its stack, for titles and descriptions."""
    stack_path = stack.node.path
    path = function.node.path
    return path[len(stack_path) + 1:] if path.startswith(stack_path + "/") else path


class Protection(Construct):
    """The guard and the alerting chain of one protected function.

    Created by :func:`protect` (or the ``ProtectLambdas`` Aspect) as the child
    ``Protection`` of the function, once eligibility was checked.

    Attributes: ``function``, ``log_group``, ``metric_filter``, ``alarm`` (``None``
    when disabled), ``topic``. ``strict``: settings found wrong at synth (a log level that
    would drop the records, a role that cannot write to the log group) fail it; otherwise
    (the Aspect) they are warnings. ``settings``: the guard's configuration, when the
    caller worked it out already (to check that it fits).
    """

    def __init__(
        self,
        function: lambda_.Function,
        construct_id: str,
        *,
        options: ProtectionOptions,
        log_group: logs.ILogGroup | None = None,
        strict: bool = True,
        settings: GuardSettings | None = None,
    ) -> None:
        cfn = cast(lambda_.CfnFunction, cfn_function(function))
        proxied = uses_proxy(function.runtime)
        preset = environment_of(cfn).get(contract.ORIGINAL_HANDLER_ENV)
        original_handler = preset if isinstance(preset, str) else cast(str, cfn.handler)
        if original_handler == contract.WRAPPER_HANDLER and not proxied:
            raise ProtectionError(
                f"{function.node.path}: handler: already {contract.WRAPPER_HANDLER} but "
                f"{contract.ORIGINAL_HANDLER_ENV} is not set; set it to your handler")
        shimmed = proxied and needs_shim(function.runtime)
        wrapper_env = wrapper_environment(function.node.path, environment_of(cfn)) if proxied and not shimmed else {}
        # validates the guard options first
        settings = settings or GuardSettings(options.guard, proxy=proxied)
        super().__init__(function, construct_id)
        self.function = function
        self.options = options
        stack = Stack.of(function)
        self.title = _title(function, stack)
        self.function_name = function.function_name

        # 1. the guard: layer, handler redirect (Python) or runtime wrapper (the proxy extension, other
        # runtimes) and configuration, together.
        self.proxied = proxied
        apply_guard_config(self, function, settings)
        if proxied:
            function.add_layers(proxy_layer(layer_stack(stack, options.shared_in), function.architecture))
            if shimmed:  # OS-only runtime: its bootstrap is started through the wrapper by a shim
                apply_shim(self, function)
            for name, value in wrapper_env.items():
                function.add_environment(name, value, remove_in_edge=True)
        else:
            function.add_layers(guard_layer(layer_stack(stack, options.shared_in), function.architecture,
                                            function.runtime))
            if preset is None:  # a handler variable the user set is respected, not overwritten
                function.add_environment(contract.ORIGINAL_HANDLER_ENV, original_handler, remove_in_edge=True)
            cfn.handler = contract.WRAPPER_HANDLER
        self.seal = stack_seal(stack)
        function.add_environment(contract.SEAL_ENV, self.seal, remove_in_edge=True)
        self.original_handler = original_handler

        check_batch_sources(function)
        function.node.add_validation(LogDeliveryCheck(function, strict=strict))
        function.node.add_validation(EdgeCheck(function))

        # 2. the log group (the user's, else a new one), which the function's role may write to.
        self.log_group, waits_for, elsewhere = function_log_group(self, function, cfn, options, log_group)
        if elsewhere:
            problem = grant_writes(function, cfn, self.log_group)
            if problem is not None and strict:
                raise ProtectionError(f"{function.node.path}: {problem}")
            if problem is not None:
                Annotations.of(function).add_warning_v2(LOGS_WARNING, f"protect-lambda: {problem}")

        # 3. sealed records of this function -> metric -> alarm -> topic.
        self.metric_filter = violations_metric_filter(
            self, "ViolationsFilter", self.log_group, function_name=self.function_name, seal=self.seal)
        if waits_for is not None:  # the group is created by CDK's LogRetention resource
            self.metric_filter.node.add_dependency(waits_for)
        home = home_stack(stack, options.shared_in)
        self.topic: sns.ITopic = options.alerts.topic or alert_topic(
            home, master_key=options.alerts.master_key,
            topic_name=shared_topic_name(home) if home is options.shared_in else None)
        subscribe(self.topic, options.alerts)
        notified = self.topic if options.alerts.topic else topic_seen_from(self, cast(sns.Topic, self.topic))
        self.alarm: cloudwatch.Alarm | None = None
        if options.alarm.enabled:
            self.alarm = violations_alarm(
                self, "ViolationsAlarm",
                function_name=self.function_name,
                display_name=self.title,
                options=options.alarm,
            )
            action = cloudwatch_actions.SnsAction(notified)
            self.alarm.add_alarm_action(action)
            if options.alarm.notify_ok:
                self.alarm.add_ok_action(action)

        # 4. the dashboard.
        if options.dashboard.enabled:
            self._add_to_dashboard()

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
            home = home_stack(Stack.of(self), self.options.shared_in)
            stack_dashboard(home, dashboard_name=self.options.dashboard.dashboard_name).add_function(panel)

    def metric_violations(
        self, *, period: Duration | None = None, statistic: str = "Sum", label: str | None = None
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
    options: ProtectionOptions | None = None,
    log_group: logs.ILogGroup | None = None,
    **option_groups: Any,
) -> Protection:
    """Protect an existing function; protecting it twice returns the first protection.

    :param function: an ``aws_lambda.Function`` or ``SingletonFunction``: Python (the guard layer)
        or Node.js, Java, .NET, Ruby (the proxy extension layer).
    :param options: all options together. Default: ``ProtectionOptions()``.
    :param log_group: the function's log group when it was given one outside the
        function's props. Default: the configured one, else a new one.
    :param option_groups: or the groups one by one: ``guard``, ``alarm``, ``alerts``,
        ``dashboard``, ``log_retention``, ``log_removal_policy``, ``shared_in`` (see
        :class:`ProtectionOptions`).

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
    if options is not None and option_groups:
        raise ProtectionError(
            f"options: give either options=ProtectionOptions(...) or the groups "
            f"({', '.join(sorted(option_groups))}), not both")
    if options is None:
        unknown = set(option_groups) - set(OPTION_GROUPS)
        if unknown:
            raise ProtectionError(f"{', '.join(sorted(unknown))}: unknown option(s); expected "
                                  f"{', '.join(OPTION_GROUPS)}")
        groups = {key: value for key, value in option_groups.items() if value is not None}
        options = ProtectionOptions(**groups)
    settings = GuardSettings(options.guard, proxy=uses_proxy(target.runtime))
    reason = ineligibility(target, layers_needed=settings.layers_needed,
                           guard_environment=settings.environment())
    if reason is not None:
        raise ProtectionError(f"{target.node.path}: cannot protect this function: {reason}")
    dropped = record_drop_reason(target)
    if dropped is not None:
        raise ProtectionError(f"{target.node.path}: {dropped}")
    return Protection(target, PROTECTION_ID, options=options, log_group=log_group, settings=settings)


@jsii.implements(IValidation)
class EdgeCheck:
    """Fails synth when a protected function is used as Lambda@Edge after it was protected
    (a CloudFront distribution associates it): Edge allows neither the guard's layer nor its
    environment variables, and CloudFront would refuse the function at deploy."""

    def __init__(self, function: lambda_.Function) -> None:
        self.function = function

    def validate(self) -> list[str]:
        """One error naming the fix when the function became Lambda@Edge."""
        reason = edge_reason(self.function)
        if reason is None:
            return []
        return [f"protect-lambda: {self.function.node.path}: {reason}: Lambda@Edge allows neither "
                "layers nor environment variables, which the guard needs; use a plain "
                "aws_lambda.Function for the Edge function and protect the origin behind the distribution"]
