"""The trust loop's functions: human review (Slack buttons and the review API), and the scheduled jobs that turn
reviews, scores and audits into numbers: escalation precision (hourly), score drift (daily), the monthly audit
sample on its review queue."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from ticket_sentiment import settings as names
from ticket_sentiment.adapters.aws.keys import DAY_INDEX

from ..config import StackConfig
from .functions import ServiceFunction
from .layers import ServiceLayers
from .nag import acknowledge
from .queues import DLQ_RETENTION, encrypted_queue

HANDLERS = "ticket_sentiment.handlers"
TABLE_WRITE_KMS = ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"]


class TrustLoop(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        key: kms.IKey,
        table: dynamodb.ITable,
        slack_secret: secretsmanager.ISecret,
        layers: ServiceLayers,
    ) -> None:
        super().__init__(scope, construct_id)
        by_day = f"{table.table_arn}/index/{DAY_INDEX}"  # items by day: reviews, scored messages
        env = {names.TABLE_NAME: table.table_name, names.RETENTION_POLICY: config.retention_policy}

        self.review = ServiceFunction(
            self,
            "Review",
            config=config,
            handler=f"{HANDLERS}.review.handler",
            layers=layers.for_function("review"),
            timeout_s=10,
            description="record human reviews of escalations (Slack buttons, review API)",
            environment={**env, names.SLACK_SECRET_ID: slack_secret.secret_name},
        )
        self.review.allow(["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"], [table.table_arn, by_day])
        self.review.allow(["secretsmanager:GetSecretValue"], [slack_secret.secret_arn])
        self.review.allow(TABLE_WRITE_KMS, [key.key_arn])

        self.precision = ServiceFunction(
            self,
            "Precision",
            config=config,
            handler=f"{HANDLERS}.precision.handler",
            layers=layers.for_function("precision"),
            timeout_s=60,
            description="escalation precision over 7 and 30 days, from reviews",
            environment=env,
        )
        self.precision.allow(["dynamodb:Query"], [by_day])
        self.precision.allow(["kms:Decrypt"], [key.key_arn])

        self.drift = ServiceFunction(
            self,
            "Drift",
            config=config,
            handler=f"{HANDLERS}.drift.handler",
            layers=layers.for_function("drift"),
            timeout_s=300,
            memory_mb=1024,
            description="score drift: last 7 days against the 28-day baseline",
            environment=env,
        )
        self.drift.allow(["dynamodb:Query"], [by_day])
        self.drift.allow(["kms:Decrypt"], [key.key_arn])

        # The monthly audit sample waits here for `ticket-sentiment audit export` (labelling happens offline).
        self.audit_queue = encrypted_queue(self, "AuditQueue", key, retention_period=DLQ_RETENTION)
        acknowledge(
            self.audit_queue,
            "AwsSolutions-SQS3",
            "A hand-off queue drained by people through `audit export`, not by a consumer that can fail: "
            "there is nothing to dead-letter. Messages stay 14 days, the monthly job refills it.",
        )
        self.audit = ServiceFunction(
            self,
            "Audit",
            config=config,
            handler=f"{HANDLERS}.audit.handler",
            layers=layers.for_function("audit"),
            timeout_s=300,
            memory_mb=1024,
            description="monthly stratified audit sample of scored tickets (redacted)",
            environment={**env, names.AUDIT_QUEUE_URL: self.audit_queue.queue_url},
        )
        self.audit.allow(["dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem"], [table.table_arn, by_day])
        self.audit.allow(["sqs:SendMessage"], [self.audit_queue.queue_arn])
        self.audit.allow(["kms:GenerateDataKey", "kms:Decrypt"], [key.key_arn])

        for name, function, schedule in (
            ("PrecisionHourly", self.precision, events.Schedule.cron(minute="7")),
            ("DriftDaily", self.drift, events.Schedule.cron(minute="17", hour="3")),
            ("AuditMonthly", self.audit, events.Schedule.cron(minute="27", hour="4", day="1")),
        ):
            events.Rule(
                self,
                name,
                schedule=schedule,
                description=f"{config.prefix}: {name}",
                targets=[targets.LambdaFunction(function.function, retry_attempts=2)],
            )

    @property
    def functions(self) -> dict[str, lambda_.IFunction]:
        return {
            "Review": self.review.function,
            "Precision": self.precision.function,
            "Drift": self.drift.function,
            "Audit": self.audit.function,
        }
