"""Alerts: the encrypted SNS topic the scorer publishes to, and its subscription by the Slack notifier, with a
dead-letter queue for deliveries that fail (Slack failures land in the same queue, from the function)."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from .functions import ServiceFunction
from .nag import acknowledge
from .queues import DLQ_RETENTION, encrypted_queue


class AlertTopic(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=f"{prefix}-alerts",
            master_key=key,
            enforce_ssl=True,
            display_name="ticket-sentiment escalation alerts",
        )
        self.dead_letters = encrypted_queue(self, "NotifyDeadLetters", key, retention_period=DLQ_RETENTION)
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: of the notifier's SNS subscription and of Slack "
            "posts that failed after retries. A DLQ of a DLQ would only move the problem.",
        )

    def subscribe(self, notifier: ServiceFunction, key: kms.IKey) -> None:
        self.topic.add_subscription(
            subscriptions.LambdaSubscription(notifier.function, dead_letter_queue=self.dead_letters)
        )
        notifier.allow(["sqs:SendMessage"], [self.dead_letters.queue_arn])
        notifier.allow(["kms:GenerateDataKey", "kms:Decrypt"], [key.key_arn])
