"""Alerts: the SNS topic that alarms notify, and its subscriptions.

One topic per stack is shared by all its protected functions (unless the user
passes a topic, or the options share one stack's topic across the app:
:mod:`protect_lambda_construct.sharing`). Publishing requires TLS. Subscriptions are keyed by topic and
endpoint, so two functions asking for the same email address create one
subscription.

Example:
    >>> topic = alert_topic(stack)  # doctest: +SKIP
    >>> subscribe(topic, AlertOptions(emails=["oncall@example.com"]))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib

from aws_cdk import Names, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct, IConstruct

from .options import AlertOptions

TOPIC_ID = "ProtectLambdaAlerts"


def alert_topic(scope: IConstruct, *, master_key: kms.IKey | None = None,
                topic_name: str | None = None) -> sns.Topic:
    """The stack's shared alert topic, created on first use (TLS enforced); ``topic_name`` fixes its
    name (a topic shared by several stacks, which name it by ARN)."""
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    existing = stack.node.try_find_child(TOPIC_ID)
    if isinstance(existing, sns.Topic):
        return existing
    topic = sns.Topic(
        stack,
        TOPIC_ID,
        display_name="protect-lambda violation alerts",
        topic_name=topic_name,
        enforce_ssl=True,
        master_key=master_key,
    )
    if master_key is not None:
        # CloudWatch alarms publish to an encrypted topic only if the key lets them use it
        # (an imported key's policy cannot be changed here: grant it yourself).
        master_key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
    return topic


def _subscription_scope(topic: sns.ITopic) -> Construct:
    """Where subscriptions of ``topic`` live: beside the topic if we own it, else in the stack."""
    if isinstance(topic, Construct) and isinstance(topic, sns.Topic):
        return topic
    stack = Stack.of(topic)
    holder_id = "ProtectLambdaSubscriptions" + Names.unique_id(topic)[-8:]
    existing = stack.node.try_find_child(holder_id)
    if isinstance(existing, Construct):
        return existing
    return Construct(stack, holder_id)


def _key(kind: str, endpoint: str) -> str:
    return kind + hashlib.sha256(endpoint.encode()).hexdigest()[:10]


def subscribe(topic: sns.ITopic, options: AlertOptions) -> None:
    """Subscribe the endpoints of ``options`` to ``topic``, each endpoint once."""
    holder = _subscription_scope(topic)

    def add_once(kind: str, endpoint: str, subscription: sns.ITopicSubscription) -> None:
        construct_id = _key(kind, endpoint)
        if holder.node.try_find_child(construct_id) is None:
            Construct(holder, construct_id)  # marks the endpoint as subscribed
            topic.add_subscription(subscription)

    for email in options.emails:
        add_once("Email", email, subscriptions.EmailSubscription(email))
    for number in options.sms:
        add_once("Sms", number, subscriptions.SmsSubscription(number))
    for url in options.https:
        add_once("Https", url, subscriptions.UrlSubscription(url, protocol=sns.SubscriptionProtocol.HTTPS))
    for queue in options.queues:
        add_once("Queue", queue.node.path, subscriptions.SqsSubscription(queue))
    for function in options.functions:
        add_once("Function", function.node.path, subscriptions.LambdaSubscription(function))
