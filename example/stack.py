"""The example stack: an orders API (Python, and the same on Node.js) and an orders queue worker, all protected.

Everything the library adds (guard layer, log groups, metric filters, alarms,
alert topic with an email and a queue subscription, dashboard) is visible in
``cdk synth`` of this app, and checked by cdk-nag's AwsSolutions rules.

Example:
    >>> app = build_app()  # doctest: +SKIP
    >>> app.synth()  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, App, Duration, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from protect_lambda_construct import AlertOptions, ProtectedFunction

FUNCTIONS_DIR = Path(__file__).parent / "functions"
NODE_FUNCTIONS_DIR = Path(__file__).parent / "functions_node"
STACK_NAME = "ProtectLambdaExample"
ONCALL_EMAIL = "security-oncall@example.com"


def _queue(scope: Construct, construct_id: str, **props: Any) -> sqs.Queue:
    """An SQS queue with TLS enforced and SQS-managed encryption."""
    return sqs.Queue(scope, construct_id, enforce_ssl=True,
                     encryption=sqs.QueueEncryption.SQS_MANAGED, **props)


class ExampleStack(Stack):
    """Three protected functions sharing one alert topic and dashboard: two Python ones behind the
    guard layer, one Node.js one behind the proxy extension layer."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        code = lambda_.Code.from_asset(str(FUNCTIONS_DIR))

        # Alarm notifications also land in a queue: an audit trail, and what the
        # end-to-end test reads to prove the chain reaches a subscriber.
        self.alerts_queue = _queue(self, "AlertsQueue", retention_period=Duration.days(14),
                                   dead_letter_queue=sqs.DeadLetterQueue(
                                       max_receive_count=5, queue=_queue(self, "AlertsDeadLetterQueue")))
        alerts = AlertOptions(emails=[ONCALL_EMAIL], queues=[self.alerts_queue])

        self.orders_api = ProtectedFunction(
            self, "OrdersApi",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="orders_api.handler",
            code=code,
            memory_size=256,
            timeout=Duration.seconds(10),
            alerts=alerts,
        )

        # The same API on Node.js: guarded by the proxy extension (docs/proxy.md), same records and alarm.
        # x86_64, so that `make demo` runs the very binary of its layer on these x86_64 machines.
        self.orders_api_node = ProtectedFunction(
            self, "OrdersApiNode",
            runtime=lambda_.Runtime.NODEJS_24_X,
            architecture=lambda_.Architecture.X86_64,
            handler="orders_api.handler",
            code=lambda_.Code.from_asset(str(NODE_FUNCTIONS_DIR)),
            memory_size=256,
            timeout=Duration.seconds(10),
            alerts=alerts,
        )

        # Blocked messages become batch item failures and end in the dead-letter queue.
        self.orders_dead_letters = _queue(self, "OrdersDeadLetterQueue", retention_period=Duration.days(14))
        self.orders_queue = _queue(self, "OrdersQueue", visibility_timeout=Duration.seconds(60),
                                   dead_letter_queue=sqs.DeadLetterQueue(
                                       max_receive_count=3, queue=self.orders_dead_letters))
        self.orders_worker = ProtectedFunction(
            self, "OrdersWorker",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="orders_worker.handler",
            code=code,
            timeout=Duration.seconds(10),
            alerts=alerts,
        )
        self.orders_worker.add_event_source(
            event_sources.SqsEventSource(self.orders_queue, batch_size=10, report_batch_item_failures=True))

        self._acknowledge_nag_findings()

    def _acknowledge_nag_findings(self) -> None:
        """cdk-nag AwsSolutions findings this example accepts, each with its reason."""
        for function in (self.orders_api, self.orders_api_node, self.orders_worker):
            role = function.role
            assert role is not None
            Validations.of(role).acknowledge(Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                   "AWSLambdaBasicExecutionRole]",
                reason="The AWS managed basic execution role grants only logs:CreateLogGroup, "
                       "CreateLogStream and PutLogEvents, which the function and its guard need to "
                       "write Violation records; a hand-written copy would add nothing.",
            ))


def build_app(*, nag: bool = True, **app_props: Any) -> App:
    """The example app, with cdk-nag's AwsSolutions checks unless ``nag`` is false."""
    app = App(**app_props)
    ExampleStack(app, STACK_NAME, description="protect-lambda example: protected orders API and worker")
    if nag:
        from cdk_nag import AwsSolutionsChecks

        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
