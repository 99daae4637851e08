"""SQS adapter for the EventQueue port."""

from __future__ import annotations

from typing import Any

import boto3

from ..pipeline.events import QueuedEvent


class SqsEventQueue:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.client = client or boto3.client("sqs")

    def send(self, event: QueuedEvent) -> None:
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=event.model_dump_json(),
                                 MessageAttributes={"event_id": {"DataType": "String", "StringValue": event.event_id}})


class SqsDeadLetters:
    """The notify DLQ: alerts Slack did not take after all retries, with the reason (no personal data)."""

    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.client = client or boto3.client("sqs")

    def send(self, alert_json: str, reason: str) -> None:
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=alert_json,
                                 MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:256]}})
