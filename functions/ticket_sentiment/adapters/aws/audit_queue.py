"""The review queue for monthly audits (SQS): the audit job sends one JSON row per message, `audit export`
drains them into a CSV for labelling."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import boto3
from pydantic import ValidationError

from ...audit.models import AuditRow

log = logging.getLogger(__name__)
SQS_BATCH = 10


class SqsAuditQueue:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.client = client or boto3.client("sqs")

    def send_rows(self, rows: Sequence[AuditRow]) -> int:
        """SendMessageBatch in tens; entries SQS refused are retried once by themselves, then raise."""
        sent = 0
        for i in range(0, len(rows), SQS_BATCH):
            chunk = rows[i : i + SQS_BATCH]
            response = self.client.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(j), "MessageBody": row.model_dump_json()} for j, row in enumerate(chunk)],
            )
            for failed in response.get("Failed", []):
                row = chunk[int(failed["Id"])]
                self.client.send_message(QueueUrl=self.queue_url, MessageBody=row.model_dump_json())
            sent += len(chunk)
        return sent

    def drain(
        self,
        *,
        wait_seconds: int = 1,
        visibility_timeout: int = 300,
    ) -> tuple[list[AuditRow], list[str], int]:
        """Receive everything on the queue: (rows, receipt handles to delete once saved, bad message count).

        Messages stay invisible for `visibility_timeout` while the caller writes them out, so nothing is lost if
        it crashes; duplicates (SQS delivers at least once) are dropped by ticket and message id.
        """
        rows: dict[tuple[str, str], AuditRow] = {}
        handles: list[str] = []
        bad = 0
        while True:
            messages = self.client.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=SQS_BATCH,
                WaitTimeSeconds=wait_seconds,
                VisibilityTimeout=visibility_timeout,
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                handles.append(message["ReceiptHandle"])
                try:
                    row = AuditRow.model_validate_json(message["Body"])
                except ValidationError:
                    bad += 1  # left out of the CSV and deleted with the rest: it can never be labelled
                    log.warning("audit queue message is not an audit row")
                    continue
                rows.setdefault((row.ticket_id, row.message_id), row)
        return list(rows.values()), handles, bad

    def delete(self, receipt_handles: Sequence[str]) -> None:
        for i in range(0, len(receipt_handles), SQS_BATCH):
            self.client.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(j), "ReceiptHandle": h} for j, h in enumerate(receipt_handles[i : i + SQS_BATCH])],
            )
