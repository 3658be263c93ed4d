"""``ProtectLambdas``: an Aspect that protects every eligible function under a scope.

Add it to an app, a stage or a stack. It visits every ``aws_lambda.Function``
(including those created inside other constructs, and the function behind a
``SingletonFunction``) and protects the eligible ones with the same options.
Python 3.10+ functions get the guard layer; Node.js, Java, .NET and Ruby functions the
proxy extension layer (the same guard, docs/proxy.md). Ineligible functions (OS-only
``provided.*`` runtimes, Python before 3.10, container images, runtimes unknown at
synth, Lambda@Edge, no room for another layer or for the guard's variables, bare
``CfnFunction`` resources, another Runtime API proxy on the function) are left exactly as they were,
with a warning annotation naming the function and the reason. CDK's own handlers
(custom-resource providers, BucketDeployment, EKS, log retention, auto-delete, the
provider framework) are skipped silently unless ``include_cdk_handlers`` is set.
It adds no Aspect of its own while it runs, so it works at the app level, and
protecting a function twice is the same as protecting it once.

Example:
    >>> Aspects.of(app).add(ProtectLambdas(  # doctest: +SKIP
    ...     alerts=AlertOptions(emails=["oncall@example.com"]),
    ...     exclude=["*/Legacy*"], exclude_tags={"protect-lambda": "off"}))
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any, cast

import jsii
from aws_cdk import Annotations, Aspects, IAspect, RemovalPolicy, RemoveTag, Stack, Tag
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import IConstruct

from .authorizers import AuthorizerFormats
from .eligibility import environment_of, ineligibility, is_cdk_handler
from .bootstrap_shim import needs_shim
from .proxy_layer import uses_proxy, wrapper_environment
from .guard_config import GuardSettings
from .options import (
    AlarmOptions,
    AlertOptions,
    AuthorizerResponse,
    DashboardOptions,
    GuardOptions,
    ProtectionError,
    ProtectionOptions,
)
from .protection import PROTECTION_ID, Protection

#: Id of the warning annotation on a function the Aspect leaves unprotected.
SKIPPED_WARNING = "protect-lambda:skipped"


@jsii.implements(IAspect)
class ProtectLambdas:
    """Protect every eligible Lambda function under the scope the Aspect is added to.

    :param options: all protection options together. Default: ``ProtectionOptions()``.
    :param guard: or the groups one by one (see :class:`ProtectionOptions`).
    :param alarm: see ``guard``.
    :param alerts: see ``guard``.
    :param dashboard: see ``guard``.
    :param log_retention: see ``guard``.
    :param log_removal_policy: see ``guard``.
    :param include: construct path patterns (``fnmatch``, e.g. ``"Prod/*"``); when given, only
        functions whose path matches one are protected. Default: all.
    :param exclude: construct path patterns of functions to leave alone. Default: none.
    :param include_tags: only functions carrying all these tags (key: value). Default: all.
    :param exclude_tags: functions carrying any of these tags are left alone. Default: none.
    :param shared_in: see ``guard``: one alert topic and one set of dashboards for the stacks of
        the app that share this stack's account and region.
    :param include_cdk_handlers: also protect CDK's own handlers (custom-resource providers,
        BucketDeployment, EKS kubectl, ...). Default: ``False``: they only ever receive
        CloudFormation's requests, and are skipped without a warning.
    """

    def __init__(
        self,
        *,
        options: ProtectionOptions | None = None,
        guard: GuardOptions | None = None,
        alarm: AlarmOptions | None = None,
        alerts: AlertOptions | None = None,
        dashboard: DashboardOptions | None = None,
        log_retention: logs.RetentionDays | None = None,
        log_removal_policy: RemovalPolicy | None = None,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        include_tags: Mapping[str, str] | None = None,
        exclude_tags: Mapping[str, str] | None = None,
        include_cdk_handlers: bool = False,
        shared_in: Stack | None = None,
    ) -> None:
        groups: dict[str, Any] = {"guard": guard, "alarm": alarm, "alerts": alerts,
                                  "dashboard": dashboard, "log_retention": log_retention,
                                  "log_removal_policy": log_removal_policy, "shared_in": shared_in}
        given = {key: value for key, value in groups.items() if value is not None}
        if options is not None and given:
            raise ProtectionError(f"options: give either options=ProtectionOptions(...) or the groups "
                                  f"({', '.join(sorted(given))}), not both")
        for prop, patterns in (("include", include), ("exclude", exclude)):
            if isinstance(patterns, str):
                raise ProtectionError(f"{prop}: expected a list of path patterns, got a single string; "
                                      "wrap it in [...]")
        self.options = options or ProtectionOptions(**given)
        self.include = tuple(include)
        self.exclude = tuple(exclude)
        self.include_tags = dict(include_tags or {})
        self.exclude_tags = dict(exclude_tags or {})
        self.include_cdk_handlers = include_cdk_handlers
        self._settings: dict[bool, GuardSettings] = {}
        self._authorizers = AuthorizerFormats()

    @property
    def settings(self) -> GuardSettings:
        """The guard's configuration, worked out (and validated) once for all Python functions."""
        return self.settings_for(proxy=False)

    def settings_for(self, *, proxy: bool) -> GuardSettings:
        """The configuration for Python functions, or for those the proxy extension guards (with
        the custom rules' translations), worked out once each."""
        if proxy not in self._settings:
            self._settings[proxy] = GuardSettings(self.options.guard, proxy=proxy)
        return self._settings[proxy]

    def visit(self, node: IConstruct) -> None:
        """Protect ``node`` if it is an eligible, selected function; warn if it cannot be."""
        self._authorizers.saw_authorizer(node)
        if isinstance(node, lambda_.CfnFunction):
            if not isinstance(node.node.scope, lambda_.Function) and self._selected(node):
                _warn(node, "it is a bare CfnFunction; define it with aws_lambda.Function to protect it")
            return
        if not isinstance(node, lambda_.Function):
            return
        if node.node.try_find_child(PROTECTION_ID) is not None or not self._selected(node):
            return
        if not self.include_cdk_handlers and is_cdk_handler(node):
            return  # CDK's own handler: nothing the user could act on, so no warning either
        proxied = uses_proxy(node.runtime)
        settings = self.settings  # the options are validated (and fail synth) even without Python functions
        try:
            if proxied:
                settings = self.settings_for(proxy=True)
            if proxied and not needs_shim(node.runtime):
                wrapper_environment(node.node.path, environment_of(cast(lambda_.CfnFunction, node.node.default_child)))
        except ProtectionError as error:  # an option or setting only the proxy cannot honour
            _warn(node, str(error))
            return
        reason = ineligibility(node, layers_needed=settings.layers_needed,
                               guard_environment=settings.environment())
        if reason is not None:
            _warn(node, reason)
            return
        # protected even when its log settings would drop the records (blocking works; a warning
        # at synth names the fix for the alerting)
        Protection(node, PROTECTION_ID, options=self.options, strict=False, settings=settings)
        if self.options.guard.authorizer_response == AuthorizerResponse.AUTO:
            self._authorizers.protected(node)

    def _selected(self, node: IConstruct) -> bool:
        path = node.node.path
        if self.include and not any(fnmatch.fnmatchcase(path, pattern) for pattern in self.include):
            return False
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in self.exclude):
            return False
        if self.include_tags or self.exclude_tags:
            tags = _tags(node)
            if any(tags.get(key) != value for key, value in self.include_tags.items()):
                return False
            if any(tags.get(key) == value for key, value in self.exclude_tags.items()):
                return False
        return True


def _tags(node: IConstruct) -> dict[str, str]:
    """The tags the function will carry: those already on it, then ``Tags.of(...)`` of its scopes.

    Tags added with ``Tags.of(scope).add`` are Aspects themselves and may run after
    this one, so their declarations are read from the scopes, outermost first.
    """
    resource = node if isinstance(node, lambda_.CfnFunction) else node.node.default_child
    tags: dict[str, str] = {}
    if isinstance(resource, lambda_.CfnFunction):
        rendered: Any = Stack.of(node).resolve(resource.tags.render_tags())
        tags.update({str(tag["Key"]): str(tag["Value"]) for tag in rendered or []})
    for scope in node.node.scopes:
        for aspect in Aspects.of(scope).all:
            if isinstance(aspect, Tag):
                tags[aspect.key] = aspect.value
            elif isinstance(aspect, RemoveTag):
                tags.pop(aspect.key, None)
    return tags


def _warn(node: IConstruct, reason: str) -> None:
    Annotations.of(node).add_warning_v2(
        SKIPPED_WARNING, f"protect-lambda left {node.node.path} unprotected: {reason}")
