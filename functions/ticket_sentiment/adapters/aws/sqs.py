"""SQS adapter for the EventQueue port."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3

from ...events import QueuedEvent
from ...identity import TicketRef
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


class SqsParkedQueue:
    """The ParkedQueue port over a queue no function polls (the audit queue, the notify DLQ): erasure receives
    everything, deletes what names the ticket and makes the rest visible again at once.

    SQS deletes only by receipt handle, so a message must be received to be removed; on a parked queue nobody
    else is receiving, so holding its messages for `hold_seconds` delays no consumer.
    """

    def __init__(
        self, queue_url: str, client: Any | None = None, *, wait_seconds: int = 1, hold_seconds: int = 60
    ) -> None:
        self.queue_url = queue_url
        self.client = client or boto3.client("sqs")
        self.wait_seconds = wait_seconds  # long polling: a short poll may miss messages on some SQS servers
        self.hold_seconds = hold_seconds

    def purge_ticket(self, ticket: TicketRef, only: frozenset[str] | None = None) -> int:
        purged, kept = 0, []
        while messages := self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self.wait_seconds,
            VisibilityTimeout=self.hold_seconds,
        ).get("Messages", []):
            for message in messages:
                if names_ticket(message.get("Body", ""), ticket, only):
                    self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                    purged += 1
                else:
                    kept.append(message["ReceiptHandle"])
        for i in range(0, len(kept), 10):
            self.client.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(j), "ReceiptHandle": h, "VisibilityTimeout": 0} for j, h in enumerate(kept[i : i + 10])
                ],
            )
        return purged


def names_ticket(body: str, ticket: TicketRef, only: frozenset[str] | None = None, depth: int = 8) -> bool:
    """Whether a queued body (an audit row, an alert, or the SNS event a failed invocation left, whose alert is a
    JSON string inside) names the ticket, and with `only` one of those message or event ids."""
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return _names(value, ticket, only, depth)


def _names(value: Any, ticket: TicketRef, only: frozenset[str] | None, depth: int) -> bool:
    if depth < 0:
        return False
    if isinstance(value, str):
        return value.lstrip().startswith("{") and names_ticket(value, ticket, only, depth - 1)
    if isinstance(value, list):
        return any(_names(v, ticket, only, depth - 1) for v in value)
    if not isinstance(value, dict):
        return False
    if _is_ticket(value, ticket) and (only is None or value.get("message_id") in only or value.get("event_id") in only):
        return True
    return any(_names(v, ticket, only, depth - 1) for v in value.values())


def _is_ticket(value: dict[str, Any], ticket: TicketRef) -> bool:
    """Audit rows name a ticket by its key; alerts by its parts (ticket id, source, brand)."""
    if value.get("ticket_id") == ticket.key:
        return True
    return (
        value.get("ticket_id") == ticket.ticket_id
        and value.get("source") == ticket.source.value
        and (value.get("brand") or None) == ticket.brand
    )
