"""Where a protection's shared resources live: its own stack (the default), or one stack for the app.

By default every stack (nested stacks included) gets its own alert topic,
dashboard and guard layer. With ``ProtectionOptions(shared_in=stack)`` (or
``ProtectLambdas(shared_in=stack)``), the protected functions of every stack in
the same account and region as ``stack`` share its alert topic (one set of
subscriptions, one confirmation email) and its dashboards; nested stacks also
use the guard layer of the top-level stack they belong to. Stacks in another
account or region keep their own.

References run one way only, from the shared stack to the others, as
cdk-monitoring-constructs' monitoring stacks do: the shared dashboards read the
functions' names, log groups and alarms, while an alarm names the shared topic
by its ARN, built from the topic's fixed name and the alarm's own account and
region (no reference back). So ``shared_in`` must be a stack the others do not
depend on, usually one made for monitoring; a stack they depend on (a base stack
holding the VPC, say) would make CloudFormation references both ways, which CDK
refuses as a cycle.

Example:
    >>> monitoring = Stack(app, "Monitoring")  # doctest: +SKIP
    >>> Aspects.of(app).add(ProtectLambdas(shared_in=monitoring))  # doctest: +SKIP
"""

from __future__ import annotations

import re
from typing import cast

from aws_cdk import ArnFormat, NestedStack, Stack, Token
from aws_cdk import aws_sns as sns
from constructs import IConstruct

#: Suffix of the shared topic's fixed name (``<shared stack name>-<suffix>``).
SHARED_TOPIC_SUFFIX = "protect-lambda-alerts"


def same_environment(one: Stack, other: Stack) -> bool:
    """Whether two stacks deploy to the same account and region (as far as synth can tell)."""
    return one.account == other.account and one.region == other.region


def home_stack(stack: Stack, shared_in: Stack | None) -> Stack:
    """The stack holding the topic and dashboards of ``stack``'s protected functions."""
    if shared_in is None or not same_environment(stack, shared_in):
        return stack
    return shared_in


def top_level(stack: Stack) -> Stack:
    """The top-level stack a (nested) stack belongs to."""
    while isinstance(stack, NestedStack) and stack.nested_stack_parent is not None:
        stack = stack.nested_stack_parent
    return stack


def layer_stack(stack: Stack, shared_in: Stack | None) -> Stack:
    """The stack holding the guard layer of ``stack``'s functions: with sharing, a nested stack
    uses its top-level stack's (passed down as a parameter); top-level stacks keep their own
    (a layer version's ARN is only known once deployed, so sharing it across top-level stacks
    would need a reference back to the shared stack)."""
    if shared_in is None:
        return stack
    return top_level(stack)


def shared_topic_name(shared_in: Stack) -> str | None:
    """The fixed name of the shared topic, or None when the shared stack's name is only known at deploy."""
    name = shared_in.stack_name
    if Token.is_unresolved(name):
        return None
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{name}-{SHARED_TOPIC_SUFFIX}")[:256]


def topic_seen_from(scope: IConstruct, topic: sns.Topic) -> sns.ITopic:
    """``topic`` as an alarm in ``scope``'s stack names it: itself in its own stack, else by its ARN
    built in ``scope``'s stack (same account and region), so that no reference points back."""
    stack = Stack.of(scope)
    if Stack.of(topic) is stack:
        return topic
    name = shared_topic_name(Stack.of(topic))
    if name is None:
        return topic  # a plain reference: CDK exports it
    arn = stack.format_arn(service="sns", resource=name, arn_format=ArnFormat.NO_RESOURCE_NAME)
    construct_id = "ProtectLambdaSharedAlerts"
    existing = stack.node.try_find_child(construct_id)
    if existing is not None:
        return cast(sns.ITopic, existing)
    return sns.Topic.from_topic_arn(stack, construct_id, arn)
