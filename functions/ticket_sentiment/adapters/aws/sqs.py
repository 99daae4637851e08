"""SQS adapter for the EventQueue port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3

from ...pipeline.events import QueuedEvent
from ...writeback.models import WritebackRequest


class SqsEventQueue:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.client = client or boto3.client("sqs")

    def send(self, event: QueuedEvent) -> None:
        self.client.send_message(
            QueueUrl=self.queue_url,
            MessageBody=event.model_dump_json(),
            MessageAttributes={"event_id": {"DataType": "String", "StringValue": event.event_id}},
        )

    def send_batch(self, events: Sequence[QueuedEvent]) -> list[str]:
        """SendMessageBatch (up to 10); returns the ids of events SQS did not accept, for the caller to retry."""
        if not events:
            return []
        response = self.client.send_message_batch(
            QueueUrl=self.queue_url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": e.model_dump_json(),
                    "MessageAttributes": {"event_id": {"DataType": "String", "StringValue": e.event_id}},
                }
                for i, e in enumerate(events)
            ],
        )
        return [events[int(f["Id"])].event_id for f in response.get("Failed", [])]


class SqsWritebackQueue:
    """The WritebackSink port: write-back requests for the helpdesk APIs, consumed by the write-back function."""

    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.client = client or boto3.client("sqs")

    def send(self, request: WritebackRequest) -> None:
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=request.model_dump_json())


class SqsDeadLetters:
    """The notify DLQ: alerts Slack did not take after all retries, with the reason (no personal data)."""

    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.client = client or boto3.client("sqs")

    def send(self, alert_json: str, reason: str) -> None:
        self.client.send_message(
            QueueUrl=self.queue_url,
            MessageBody=alert_json,
            MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:256]}},
        )
