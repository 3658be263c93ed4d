"""Batch event sources of a protected function must report batch item failures.

The guard reports a blocked SQS, Kinesis or DynamoDB Streams record as a batch
item failure, so that it is retried and lands in the dead-letter queue (or the
on-failure destination) instead of being lost. Lambda reads those failures only
when the event source mapping has ``ReportBatchItemFailures``; without it, a
batch the handler "succeeds" is deleted whole, the blocked record with it. At
synth, every event source mapping of a protected function that lacks it gets a
warning naming the fix.

Example:
    >>> fn.add_event_source(SqsEventSource(queue, report_batch_item_failures=True))  # doctest: +SKIP
"""

from __future__ import annotations

import jsii
from aws_cdk import Annotations
from aws_cdk import aws_lambda as lambda_
from constructs import IValidation

#: Id of the warning on a mapping that does not report batch item failures.
BATCH_FAILURES_WARNING = "protect-lambda:batch-item-failures"
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


def _is_batch_source(mapping: lambda_.CfnEventSourceMapping) -> bool:
    """SQS, Kinesis and DynamoDB Streams mappings (not Kafka or MQ, which have no batch item failures)."""
    return (mapping.self_managed_event_source is None
            and mapping.amazon_managed_kafka_event_source_config is None
            and mapping.self_managed_kafka_event_source_config is None
            and mapping.queues is None
            and mapping.event_source_arn is not None)


@jsii.implements(IValidation)
class BatchFailureReportingCheck:
    """Warns, at synth, on the function's batch event source mappings without batch item failures."""

    def __init__(self, function: lambda_.Function) -> None:
        self.function = function

    def validate(self) -> list[str]:
        """Add one warning per mapping that needs ``ReportBatchItemFailures``; never an error."""
        for child in self.function.node.children:
            if not isinstance(child, lambda_.EventSourceMapping):
                continue
            mapping = child.node.default_child
            if not isinstance(mapping, lambda_.CfnEventSourceMapping) or not _is_batch_source(mapping):
                continue
            types = mapping.function_response_types or []
            if REPORT_BATCH_ITEM_FAILURES not in types:
                Annotations.of(child).add_warning_v2(
                    BATCH_FAILURES_WARNING,
                    f"{child.node.path}: the guard reports blocked records as batch item failures, "
                    "which Lambda ignores without ReportBatchItemFailures: a batch holding a blocked "
                    "record would be deleted whole. Set report_batch_item_failures=True on the event "
                    "source (SqsEventSource, KinesisEventSource, DynamoEventSource).")
        return []
