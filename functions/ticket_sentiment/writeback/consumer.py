"""The write-back queue consumer: one SQS batch of WritebackRequests in, the records to redeliver out.

Each record is written on its own (Powertools BatchProcessor, partial batch failures):
- written, or superseded by a newer message of the ticket: done, SQS deletes it;
- retryable failure (429, 5xx, timeout, unreachable, a rate-limit wait too long to sleep in the function): a batch
  item failure; SQS redelivers it after the visibility timeout, and after maxReceiveCount it lands in the DLQ;
- permanent failure (400/401/403/404/422, a body that is not a request, missing credentials): also a batch item
  failure, logged as an error with its reason. Retrying cannot help, so the queue's short maxReceiveCount (3)
  moves it to the DLQ within minutes, where an operator fixes the cause (a field id, a token) and redrives it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from ..ports import EventLog, HelpdeskWriter
from ..ports import LogLevel as Level
from .models import CredentialsError, Platform, WritebackError, WritebackRequest

_stdlib_log = logging.getLogger("ticket_sentiment.writeback")

Writers: TypeAlias = Mapping[Platform, HelpdeskWriter] | Callable[[Platform], HelpdeskWriter]


def stdlib_log(level: Level, message: str, fields: Mapping[str, object]) -> None:
    getattr(_stdlib_log, level)(message, extra={"writeback": dict(fields)})


@dataclass(frozen=True)
class WritebackFailure:
    """One record to report back to SQS; `reason` is safe to log (status and platform error code only)."""

    message_id: str
    retryable: bool
    reason: str
    status: int | None = None
    platform: str | None = None
    ticket_id: str | None = None
    event_id: str | None = None
    retry_after: float | None = None


Outcome = Literal["written", "superseded"]


def _writer(writers: Writers, platform: Platform) -> HelpdeskWriter:
    if callable(writers):
        return writers(platform)
    if platform not in writers:
        raise CredentialsError(f"no write-back writer for {platform}")
    return writers[platform]


def parse_request(body: str) -> WritebackRequest:
    try:
        return WritebackRequest.model_validate_json(body)
    except ValidationError as exc:  # the message would quote the input: name the fields only
        fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors(include_input=False)})
        raise ValueError(f"not a write-back request: {', '.join(fields)}") from None


def process_writebacks(
    records: Sequence[Mapping[str, Any]],
    writers: Writers,
    *,
    still_current: Callable[[WritebackRequest], bool] | None = None,
    log: EventLog = stdlib_log,
) -> list[WritebackFailure]:
    """Write each record's request; return the failures (retryable and permanent), in record order.

    `still_current(request)` (optional) returns False when a newer customer message now drives the ticket, so an
    out-of-order delivery does not overwrite a newer score; such a record is done without a write.
    """
    failures: dict[str, WritebackFailure] = {}

    def handle(record: SQSRecord) -> Outcome:
        request: WritebackRequest | None = None
        try:
            request = parse_request(record.body)
            if still_current is not None and not still_current(request):
                log("info", "write-back superseded by a newer message", _fields(request))
                return "superseded"
            _writer(writers, request.platform).write(request)
        except WritebackError as exc:
            failures[record.message_id] = _failure(
                record, request, exc.retryable, exc.reason, status=exc.status, retry_after=exc.retry_after
            )
            raise
        except (ValueError, CredentialsError) as exc:  # CredentialsError is a ValueError; named for the reader
            failures[record.message_id] = _failure(record, request, False, str(exc))
            raise
        except Exception as exc:  # a bug or an AWS hiccup reading the secret: worth another delivery
            failures[record.message_id] = _failure(record, request, True, f"unexpected {type(exc).__name__}")
            raise
        log("info", "write-back done", _fields(request))
        return "written"

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor([dict(r) for r in records], handle):
        processor.process()
    ordered = [failures[r["messageId"]] for r in records if r.get("messageId") in failures]
    for failure in ordered:
        log(
            "warning" if failure.retryable else "error",
            "write-back failed, will retry" if failure.retryable else "write-back failed permanently",
            {
                "message_id": failure.message_id,
                "platform": failure.platform,
                "ticket_id": failure.ticket_id,
                "event_id": failure.event_id,
                "status": failure.status,
                "retryable": failure.retryable,
                "reason": failure.reason,
                "retry_after": failure.retry_after,
            },
        )
    return ordered


def _fields(request: WritebackRequest) -> dict[str, object]:
    return {
        "platform": request.platform.value,
        "ticket_id": request.ticket_id,
        "event_id": request.event_id,
        "label": request.label,
    }


def _failure(
    record: SQSRecord,
    request: WritebackRequest | None,
    retryable: bool,
    reason: str,
    *,
    status: int | None = None,
    retry_after: float | None = None,
) -> WritebackFailure:
    return WritebackFailure(
        message_id=record.message_id,
        retryable=retryable,
        reason=reason,
        status=status,
        platform=request.platform.value if request else None,
        ticket_id=request.ticket_id if request else None,
        event_id=request.event_id if request else None,
        retry_after=retry_after,
    )
