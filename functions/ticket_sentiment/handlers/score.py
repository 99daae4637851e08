"""SQS batch -> ScoringService, one record at a time, with partial batch failures (Powertools BatchProcessor).

A record that fails (bad body, store or SNS error) is reported back as a batch item failure: SQS redelivers it
and, after maxReceiveCount, moves it to the DLQ. The others in the batch are not retried. The service is built in
score_wiring, the metrics emitted in score_metrics.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from .. import metric_names as names
from ..events import ProcessResult, QueuedEvent
from ..ports import EventProcessor
from .observability import logger, metrics
from .score_metrics import emit_result_metrics
from .score_wiring import default_service

__all__ = ["InvalidRecordError", "handle_record", "handler", "process_batch"]


class InvalidRecordError(ValueError):
    """A record whose body is not a queued event; it fails until SQS moves it to the DLQ."""


def handle_record(service: EventProcessor, record: SQSRecord) -> ProcessResult:
    try:
        queued = QueuedEvent.model_validate_json(record.body)
    except ValidationError as exc:  # pydantic's message quotes the input: keep the body out of the logs
        fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors(include_input=False)})
        raise InvalidRecordError(f"record {record.message_id} is not a queued event: {', '.join(fields)}") from None
    # The SQS message id is the same on every receive of this message: its outcome is claimed once.
    result = service.process(queued, delivery_id=record.message_id)
    emit_result_metrics(result)
    logger.info(
        "event processed",
        extra={
            "event_id": result.event_id,
            "outcome": result.outcome.value,
            "alert": result.alert,
            "rule": result.rule,
            "sqs_message_id": record.message_id,
        },
    )
    return result


def process_batch(
    service: EventProcessor,
    event: dict[str, Any],
    context: LambdaContext | None,
) -> dict[str, Any]:
    _prescore(service, event)
    # A batch where every record fails is reported like any other (same effect as raising: all are retried).
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=event, record_handler=lambda record: handle_record(service, record), processor=processor, context=context
    )
    failures = len(response.get("batchItemFailures", []))
    if failures:
        metrics.add_metric(name=names.EVENTS_FAILED, unit=MetricUnit.Count, value=failures)
    return dict(response)


def _prescore(service: EventProcessor, event: dict[str, Any]) -> None:
    """Score the batch's valid events together; on failure each record is scored (and fails) on its own."""
    batch = []
    for record in event.get("Records", []):
        try:
            batch.append(QueuedEvent.model_validate_json(record.get("body", "")))
        except ValidationError:
            continue  # reported by its own record handler
    try:
        service.prescore(batch)
    except Exception:
        logger.warning("batch scoring failed; scoring record by record", exc_info=True)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(default_service(), event, context)
