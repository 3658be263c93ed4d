"""Batch event sources of protected functions: a blocked record must neither be lost, nor loop, nor stall.

The guard reports a blocked SQS, Kinesis, DynamoDB Streams or Kafka (Amazon MSK,
self-managed) record as a batch item failure (and, for an ordered source, the
records behind it too: the rest of the shard's batch, the rest of the partition). What Lambda
then does with it depends on the event source mapping, so at synth every mapping
of a protected function (wherever it was created: ``add_event_source``, or an
``EventSourceMapping`` naming the function elsewhere in the app) gets a warning
naming the fix when:

* it lacks ``ReportBatchItemFailures``: Lambda ignores batch item failures and a
  batch the handler "succeeds" is deleted whole, the blocked record with it (SQS),
  or the whole batch is retried (streams);
* an SQS queue has no redrive policy: a blocked message comes back after every
  visibility timeout until the retention period ends (4 days by default), each
  time a new Violation and a new alert, instead of moving to a dead-letter queue
  after ``max_receive_count`` receives;
* a Kinesis or DynamoDB stream mapping does not bound the retries of a blocked
  record and send it somewhere: without ``retry_attempts`` (or ``max_record_age``)
  it is retried until it expires and holds up its shard for that time (a day by
  default for Kinesis and DynamoDB, up to a year for Kinesis); without
  ``on_failure`` it is then dropped with no trace; without ``bisect_batch_on_error``
  the clean records around it share its fate;
* a Kafka mapping has the same three gaps, and also needs provisioned mode
  (``provisioned_poller_config``): Lambda honours batch item failures, retry
  limits, bisecting and on-failure destinations of Kafka mappings only there, so
  without it one blocked record fails its whole batch and stalls the partition.

How often a blocked record comes back: SQS, ``max_receive_count`` deliveries, then
the dead-letter queue; a stream, at most ``retry_attempts + 1`` deliveries of each
batch holding it (bisecting does not count against the retries), then its metadata
goes to the on-failure destination. Queues imported from an ARN cannot be read at
synth and are not checked.

Example:
    >>> fn.add_event_source(SqsEventSource(queue, report_batch_item_failures=True))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import jsii
from aws_cdk import Annotations, CfnResource, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import IConstruct, IValidation

#: Id of the warning on a mapping that does not report batch item failures.
BATCH_FAILURES_WARNING = "protect-lambda:batch-item-failures"
#: Id of the warning on an SQS source without a dead-letter queue.
SQS_REDRIVE_WARNING = "protect-lambda:sqs-redrive"
#: Id of the warning on a stream source that does not bound and keep a blocked record's retries.
STREAM_RETRIES_WARNING = "protect-lambda:stream-retries"
#: Id of the warning on a Kafka source that cannot honour batch item failures (not provisioned).
KAFKA_MODE_WARNING = "protect-lambda:kafka-provisioned-mode"
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"

_EVENT_SOURCE_FIXES = ("SqsEventSource, KinesisEventSource, DynamoEventSource, ManagedKafkaEventSource, "
                       "SelfManagedKafkaEventSource")


def source_kind(arn: Any, resources: dict[str, CfnResource]) -> str | None:
    """``sqs``, ``kinesis``, ``dynamodb``, ``kafka``, or None for the event source ARN of a mapping (resolved).

    Example:
        >>> source_kind("arn:aws:sqs:us-east-1:123456789012:orders", {})
        'sqs'
        >>> source_kind({"Fn::GetAtt": ["Table", "StreamArn"]}, {}) is None
        True
    """
    if isinstance(arn, str):
        for kind, marker in (("sqs", ":sqs:"), ("kinesis", ":kinesis:"), ("dynamodb", ":dynamodb:"),
                             ("kafka", ":kafka:")):
            if marker in arn:
                return kind
        return None
    target = _referenced(arn)
    resource = resources.get(target or "")
    if resource is None:
        return None
    return {"AWS::SQS::Queue": "sqs", "AWS::Kinesis::Stream": "kinesis", "AWS::Kinesis::StreamConsumer": "kinesis",
            "AWS::DynamoDB::Table": "dynamodb", "AWS::DynamoDB::GlobalTable": "dynamodb",
            "AWS::MSK::Cluster": "kafka", "AWS::MSK::ServerlessCluster": "kafka"}.get(resource.cfn_resource_type)


def _referenced(value: Any) -> str | None:
    """The logical id a resolved ``Ref`` / ``Fn::GetAtt`` points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
    return None


def _property(mapping: CfnResource, stack: Stack, name: str) -> Any:
    """A property of the mapping as rendered in the template (``None`` when absent)."""
    rendered: Any = stack.resolve(mapping._cfn_properties)  # the properties as synthesized
    return rendered.get(name) if isinstance(rendered, dict) else None


def stream_gaps(mapping: lambda_.CfnEventSourceMapping, stack: Stack) -> list[str]:
    """What a stream mapping lacks to bound and keep a blocked record's retries (empty: nothing)."""
    gaps = []
    retries = _property(mapping, stack, "maximumRetryAttempts")
    age = _property(mapping, stack, "maximumRecordAgeInSeconds")
    if retries in (None, -1) and age in (None, -1):
        gaps.append("retry_attempts (bound the retries, e.g. 3; or max_record_age)")
    destination = _property(mapping, stack, "destinationConfig")
    if not (isinstance(destination, dict) and destination.get("onFailure")):
        gaps.append("on_failure (an SqsDlq / SnsDlq / S3OnFailureDestination that keeps what is discarded)")
    if _property(mapping, stack, "bisectBatchOnFunctionError") is not True:
        gaps.append("bisect_batch_on_error=True (so the clean records around a blocked one get through)")
    return gaps


def _queue_without_redrive(arn: Any, resources: dict[str, CfnResource]) -> bool:
    queue = resources.get(_referenced(arn) or "")
    if not isinstance(queue, sqs.CfnQueue):
        return False  # imported, or in another stack: cannot be read here
    return queue.redrive_policy is None


def _warn(scope: IConstruct, warning_id: str, message: str) -> None:
    Annotations.of(scope).add_warning_v2(warning_id, message)


@jsii.implements(IValidation)
class BatchSourceCheck:
    """Warns, at synth, on the event source mappings of a stack's protected functions (see the module).

    A mapping is the function's when it names the function, one of its versions or one of its
    aliases (as ``add_event_source`` on any of them does), wherever in the app it was created.
    """

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.functions: list[lambda_.Function] = []

    def validate(self) -> list[str]:
        """One warning per problem found; never an error (the app may have reasons the check cannot see)."""
        if not self.functions:
            return []
        nodes = self.stack.node.root.node.find_all()
        names = self._names(nodes)
        checked: dict[int, dict[str, CfnResource]] = {}
        for mapping in _mappings(nodes):
            target = mapping.function_name
            if not (isinstance(target, str) and target in names) and not _scope_is_one_of(mapping, self.functions):
                continue
            stack = Stack.of(mapping)
            resources = checked.get(id(stack))
            if resources is None:
                resources = {stack.get_logical_id(r): r for r in stack.node.find_all()
                             if isinstance(r, CfnResource) and Stack.of(r) is stack}
                checked[id(stack)] = resources
            self._check(mapping, stack, resources)
        return []

    def _names(self, nodes: Iterable[IConstruct]) -> set[str]:
        """What a mapping's FunctionName holds when it targets one of the functions: the token strings
        of their names and ARNs, and of their versions' and aliases'."""
        names: set[str] = set()
        versions: list[lambda_.IFunction] = []
        for node in nodes:
            if isinstance(node, lambda_.Version) and any(node.lambda_ is f for f in self.functions) or isinstance(node, lambda_.Alias) and any(node.version.lambda_ is f for f in self.functions):
                versions.append(node)
        for target in (*self.functions, *versions):
            names.update((target.function_name, target.function_arn))
        return names

    def _check(self, mapping: lambda_.CfnEventSourceMapping, stack: Stack, resources: dict[str, CfnResource]) -> None:
        where = mapping.node.scope if isinstance(mapping.node.scope, lambda_.EventSourceMapping) else mapping
        assert where is not None
        path = where.node.path
        arn = _property(mapping, stack, "eventSourceArn")
        if mapping.queues is not None:
            return  # Amazon MQ / RabbitMQ: no batch item failures; the guard fails the invocation
        kind = "kafka" if _is_kafka(mapping, arn) else source_kind(arn, resources)
        if kind is None and arn is None:
            return
        types = _property(mapping, stack, "functionResponseTypes") or []
        if REPORT_BATCH_ITEM_FAILURES not in types:
            _warn(where, BATCH_FAILURES_WARNING,
                  f"{path}: the guard reports blocked records as batch item failures, which Lambda ignores "
                  "without ReportBatchItemFailures: a batch holding a blocked record would be deleted whole "
                  "(SQS) or retried whole (streams, Kafka). Set report_batch_item_failures=True on the event source "
                  f"({_EVENT_SOURCE_FIXES}).")
        if kind == "sqs" and _queue_without_redrive(arn, resources):
            _warn(where, SQS_REDRIVE_WARNING,
                  f"{path}: the queue has no redrive policy, so a message the guard blocks comes back after "
                  "every visibility timeout until the queue's retention period ends (4 days by default), each "
                  "time a new Violation and a new alert. Give the queue a dead-letter queue: "
                  "sqs.Queue(..., dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=3, queue=dlq)).")
        if kind == "kafka" and _property(mapping, stack, "provisionedPollerConfig") is None:
            _warn(where, KAFKA_MODE_WARNING,
                  f"{path}: Lambda honours batch item failures, retry limits, bisecting and on-failure "
                  "destinations of a Kafka mapping only in provisioned mode: without it a record the guard "
                  "blocks fails its whole batch, which is retried until the record expires and stalls its "
                  "partition. Set provisioned_poller_config=ProvisionedPollerConfig(minimum_pollers=1, "
                  "maximum_pollers=...) on the event source.")
        if kind in ("kinesis", "dynamodb", "kafka"):
            gaps = stream_gaps(mapping, stack)
            if gaps:
                _warn(where, STREAM_RETRIES_WARNING,
                      f"{path}: a record the guard blocks is retried with every record behind it; without "
                      "bounded retries it holds up its shard until it expires, and without an on-failure "
                      f"destination it is then dropped with no trace. Set on the event source: {'; '.join(gaps)}.")


def _is_kafka(mapping: lambda_.CfnEventSourceMapping, arn: Any) -> bool:
    """Kafka mappings: an MSK cluster ARN, or a self-managed cluster's bootstrap servers."""
    return ((isinstance(arn, str) and ":kafka:" in arn)
            or mapping.self_managed_event_source is not None
            or mapping.amazon_managed_kafka_event_source_config is not None
            or mapping.self_managed_kafka_event_source_config is not None)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _scope_is_one_of(mapping: IConstruct, functions: list[lambda_.Function]) -> bool:
    scope = mapping.node.scope
    owner = scope.node.scope if isinstance(scope, lambda_.EventSourceMapping) else scope
    return any(owner is function for function in functions)


def _mappings(nodes: Iterable[IConstruct]) -> list[lambda_.CfnEventSourceMapping]:
    return [node for node in nodes if isinstance(node, lambda_.CfnEventSourceMapping)]


def check_batch_sources(function: lambda_.Function) -> None:
    """Have ``function``'s event source mappings checked when its stack is synthesized."""
    stack = Stack.of(function)
    check: BatchSourceCheck | None = getattr(stack, "_protect_lambda_batch_check", None)
    if check is None:
        check = BatchSourceCheck(stack)
        stack.node.add_validation(check)
        setattr(stack, "_protect_lambda_batch_check", check)  # noqa: B010 (an attribute jsii's Stack does not declare)
    check.functions.append(function)
