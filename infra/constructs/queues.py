"""The ingest queue and its dead-letter queue: KMS-encrypted, TLS only, redrive after a few receives."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

DLQ_RETENTION = Duration.days(14)  # the SQS maximum: two weeks to notice, fix and redrive


def encrypted_queue(scope: Construct, construct_id: str, key: kms.IKey, **kwargs: object) -> sqs.Queue:
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        data_key_reuse=Duration.minutes(5),
        enforce_ssl=True,
        **kwargs,
    )


class EventQueues(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, key: kms.IKey, visibility_timeout_s: int, max_receive_count: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = encrypted_queue(self, "DeadLetters", key, retention_period=DLQ_RETENTION)
        self.events = encrypted_queue(
            self,
            "Events",
            key,
            visibility_timeout=Duration.seconds(visibility_timeout_s),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=max_receive_count),
        )
