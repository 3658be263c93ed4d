"""Batch sources of protected functions: no blocked record lost, looping or stalling a shard.

One app holds every case (synthesized once); each mapping's warnings are read off its messages.
"""

from __future__ import annotations



import pytest
from aws_cdk import App, Duration, Fn, Stack, cx_api
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs

from protect_lambda_construct import ProtectedFunction, ProtectLambdas
from protect_lambda_construct.batch_sources import (
    BATCH_FAILURES_WARNING,
    KAFKA_MODE_WARNING,
    SQS_REDRIVE_WARNING,
    STREAM_RETRIES_WARNING,
)

WARNINGS = (BATCH_FAILURES_WARNING, SQS_REDRIVE_WARNING, STREAM_RETRIES_WARNING, KAFKA_MODE_WARNING)
MSK_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0-1"

from .apps import python_function_props

STACK = "BatchSourcesStack"


def _build(outdir: str) -> cx_api.CloudAssembly:
    app = App(outdir=outdir)
    stack = Stack(app, STACK)
    dlq = sqs.Queue(stack, "Dlq")
    redriven = sqs.Queue(stack, "Redriven", dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=3, queue=dlq))
    bare = sqs.Queue(stack, "Bare")
    stream = kinesis.Stream(stack, "Stream")
    table = dynamodb.Table(stack, "Table", partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
                           stream=dynamodb.StreamViewType.NEW_IMAGE)

    def function(name: str) -> lambda_.Function:
        return ProtectedFunction(stack, name, **python_function_props())

    function("SqsGood").add_event_source(sources.SqsEventSource(redriven, report_batch_item_failures=True))
    function("SqsNoDlq").add_event_source(sources.SqsEventSource(bare, report_batch_item_failures=True))
    function("SqsNoReport").add_event_source(sources.SqsEventSource(redriven))
    imported = sqs.Queue.from_queue_arn(stack, "Imported", "arn:aws:sqs:us-east-1:123456789012:elsewhere")
    function("SqsImported").add_event_source(sources.SqsEventSource(imported, report_batch_item_failures=True))
    kept = sources.SqsDlq(sqs.Queue(stack, "StreamFailures"))
    function("KinesisGood").add_event_source(sources.KinesisEventSource(
        stream, starting_position=lambda_.StartingPosition.LATEST, report_batch_item_failures=True,
        retry_attempts=3, on_failure=kept, bisect_batch_on_error=True))
    function("KinesisDefaults").add_event_source(sources.KinesisEventSource(
        stream, starting_position=lambda_.StartingPosition.LATEST, report_batch_item_failures=True))
    function("DynamoAged").add_event_source(sources.DynamoEventSource(
        table, starting_position=lambda_.StartingPosition.LATEST, report_batch_item_failures=True,
        max_record_age=Duration.hours(1), on_failure=kept, bisect_batch_on_error=True))
    function("DynamoNoBisect").add_event_source(sources.DynamoEventSource(
        table, starting_position=lambda_.StartingPosition.LATEST, report_batch_item_failures=True,
        retry_attempts=2, on_failure=kept))
    # a mapping made outside the function, naming it as its target
    elsewhere = function("Elsewhere")
    lambda_.EventSourceMapping(stack, "StackLevelMapping", target=elsewhere, event_source_arn=bare.queue_arn)
    # mappings on a version and an alias of a protected function
    versioned = function("Versioned")
    versioned.current_version.add_event_source(sources.SqsEventSource(bare, report_batch_item_failures=True))
    aliased = function("Aliased")
    lambda_.Alias(stack, "Live", alias_name="live", version=aliased.current_version).add_event_source(
        sources.SqsEventSource(redriven))
    # a mapping in another stack, and one whose source ARN cannot be read at synth
    other = Stack(app, "OtherMappingsStack")
    lambda_.EventSourceMapping(other, "CrossStackMapping", target=function("CrossStack"),
                               event_source_arn=sqs.Queue(other, "OtherQueue").queue_arn)
    lambda_.EventSourceMapping(stack, "UnreadableArn", target=function("Unreadable"),
                               event_source_arn=Fn.import_value("SharedQueueArn"))
    # Kafka: Amazon MSK and self-managed, with and without what a blocked record needs
    function("KafkaDefaults").add_event_source(sources.ManagedKafkaEventSource(
        cluster_arn=MSK_ARN, topic="orders", starting_position=lambda_.StartingPosition.TRIM_HORIZON))
    function("KafkaGood").add_event_source(sources.ManagedKafkaEventSource(
        cluster_arn=MSK_ARN, topic="orders", starting_position=lambda_.StartingPosition.TRIM_HORIZON,
        report_batch_item_failures=True, retry_attempts=3, bisect_batch_on_error=True,
        on_failure=sources.S3OnFailureDestination(s3.Bucket(stack, "KafkaFailures")),
        provisioned_poller_config=sources.ProvisionedPollerConfig(minimum_pollers=1, maximum_pollers=3)))
    function("KafkaSelfManaged").add_event_source(sources.SelfManagedKafkaEventSource(
        bootstrap_servers=["b-1.example.com:9092"], topic="orders",
        secret=secretsmanager.Secret(stack, "KafkaSecret"),
        starting_position=lambda_.StartingPosition.TRIM_HORIZON, report_batch_item_failures=True))
    # not protected: never checked
    lambda_.Function(stack, "Plain", **python_function_props()).add_event_source(sources.SqsEventSource(bare))
    # protected by the Aspect, mapping made before the Aspect runs
    aspect_target = lambda_.Function(stack, "ByAspect", **python_function_props())
    aspect_target.add_event_source(sources.SqsEventSource(bare))
    from aws_cdk import Aspects
    Aspects.of(stack).add(ProtectLambdas(exclude=["*/Plain/*", "*/Plain"]))
    return app.synth()


@pytest.fixture(scope="module")
def warnings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Warning texts by warning id, each prefixed with the construct path it is on."""
    assembly = _build(str(tmp_path_factory.mktemp("batch-sources")))
    found: dict[str, list[str]] = {}
    messages = [*assembly.get_stack_by_name(STACK).messages, *assembly.get_stack_by_name("OtherMappingsStack").messages]
    for message in messages:
        if message.level != cx_api.SynthesisMessageLevel.WARNING:
            continue
        text = str(message.entry.data)
        for warning_id in WARNINGS:
            if warning_id in text:
                found.setdefault(warning_id, []).append(f"{message.id} {text}")
    return found


def _on(found: dict[str, list[str]], warning_id: str) -> set[str]:
    """The construct ids (first path element under the stack) a warning is on."""
    return {text.split()[0].split("/")[2] for text in found.get(warning_id, [])}


def test_an_sqs_queue_without_redrive_is_named_with_the_fix(warnings: dict[str, list[str]]) -> None:
    assert _on(warnings, SQS_REDRIVE_WARNING) == {"SqsNoDlq", "StackLevelMapping", "ByAspect", "Versioned",
                                                  "CrossStackMapping"}
    text = next(t for t in warnings[SQS_REDRIVE_WARNING] if "SqsNoDlq" in t)
    assert "dead_letter_queue=sqs.DeadLetterQueue(max_receive_count" in text and "4 days" in text


def test_batch_item_failures_are_required_wherever_the_mapping_is_made(warnings: dict[str, list[str]]) -> None:
    """Made with add_event_source on the function, a version or an alias, or as an EventSourceMapping
    in the function's stack or another one; a source whose ARN is only known at deploy is checked too."""
    assert _on(warnings, BATCH_FAILURES_WARNING) == {"SqsNoReport", "StackLevelMapping", "ByAspect", "Live",
                                                     "CrossStackMapping", "UnreadableArn", "KafkaDefaults"}


def test_streams_must_bound_retries_keep_failures_and_bisect(warnings: dict[str, list[str]]) -> None:
    assert _on(warnings, STREAM_RETRIES_WARNING) == {"KinesisDefaults", "DynamoNoBisect", "KafkaDefaults",
                                                     "KafkaSelfManaged"}
    defaults = next(t for t in warnings[STREAM_RETRIES_WARNING] if "KinesisDefaults" in t)
    assert "retry_attempts" in defaults and "on_failure" in defaults and "bisect_batch_on_error=True" in defaults
    no_bisect = next(t for t in warnings[STREAM_RETRIES_WARNING] if "DynamoNoBisect" in t)
    assert "bisect_batch_on_error=True" in no_bisect and "retry_attempts" not in no_bisect


def test_well_configured_imported_and_unprotected_sources_are_quiet(warnings: dict[str, list[str]]) -> None:
    everywhere: set[str] = set().union(*(_on(warnings, w) for w in warnings))
    assert not everywhere & {"SqsGood", "SqsImported", "KinesisGood", "DynamoAged", "Plain", "KafkaGood"}


def test_kafka_needs_provisioned_mode_to_honour_batch_item_failures(warnings: dict[str, list[str]]) -> None:
    """MSK and self-managed Kafka: partial batch responses, retries and bisecting only in provisioned mode."""
    assert _on(warnings, KAFKA_MODE_WARNING) == {"KafkaDefaults", "KafkaSelfManaged"}
    text = next(t for t in warnings[KAFKA_MODE_WARNING] if "KafkaSelfManaged" in t)
    assert "provisioned_poller_config=ProvisionedPollerConfig(" in text and "partition" in text


def test_each_problem_is_reported_once(warnings: dict[str, list[str]]) -> None:
    for texts in warnings.values():
        assert len(texts) == len(set(texts))


