"""``ProtectLambdas``: an Aspect that protects every eligible function under a scope.

Add it to an app, a stage or a stack. It visits every ``aws_lambda.Function``
(including those created inside other constructs, and the function behind a
``SingletonFunction``) and protects the eligible ones with the same options.
Ineligible functions (non-Python runtimes, Python before 3.10, container images,
runtimes unknown at synth, bare ``CfnFunction`` resources) are left exactly as
they were, with a warning annotation naming the function and the reason.
It adds no Aspect of its own while it runs, so it works at the app level, and
protecting a function twice is the same as protecting it once.

Example:
    >>> Aspects.of(app).add(ProtectLambdas(  # doctest: +SKIP
    ...     alerts=AlertOptions(emails=["oncall@example.com"]),
    ...     exclude=["*/Legacy*"], exclude_tags={"protect-lambda": "off"}))
"""

from __future__ import annotations

import fnmatch
from typing import Any, Mapping, Optional, Sequence

import jsii
from aws_cdk import Annotations, Aspects, IAspect, RemoveTag, Stack, Tag
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import IConstruct

from .options import (
    AlarmOptions,
    AlertOptions,
    DashboardOptions,
    GuardOptions,
    ProtectionError,
    ProtectionOptions,
)
from .protection import PROTECTION_ID, Protection, ineligibility

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
    :param include: construct path patterns (``fnmatch``, e.g. ``"Prod/*"``); when given, only
        functions whose path matches one are protected. Default: all.
    :param exclude: construct path patterns of functions to leave alone. Default: none.
    :param include_tags: only functions carrying all these tags (key: value). Default: all.
    :param exclude_tags: functions carrying any of these tags are left alone. Default: none.
    """

    def __init__(
        self,
        *,
        options: Optional[ProtectionOptions] = None,
        guard: Optional[GuardOptions] = None,
        alarm: Optional[AlarmOptions] = None,
        alerts: Optional[AlertOptions] = None,
        dashboard: Optional[DashboardOptions] = None,
        log_retention: Optional[logs.RetentionDays] = None,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        include_tags: Optional[Mapping[str, str]] = None,
        exclude_tags: Optional[Mapping[str, str]] = None,
    ) -> None:
        groups: dict[str, Any] = {"guard": guard, "alarm": alarm, "alerts": alerts,
                                  "dashboard": dashboard, "log_retention": log_retention}
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

    def visit(self, node: IConstruct) -> None:
        """Protect ``node`` if it is an eligible, selected function; warn if it cannot be."""
        if isinstance(node, lambda_.CfnFunction):
            if not isinstance(node.node.scope, lambda_.Function) and self._selected(node):
                _warn(node, "it is a bare CfnFunction; define it with aws_lambda.Function to protect it")
            return
        if not isinstance(node, lambda_.Function):
            return
        if node.node.try_find_child(PROTECTION_ID) is not None or not self._selected(node):
            return
        reason = ineligibility(node)
        if reason is not None:
            _warn(node, reason)
            return
        # protected even when its log settings would drop the records (blocking works; a warning
        # at synth names the fix for the alerting)
        Protection(node, PROTECTION_ID, options=self.options, strict=False)

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
