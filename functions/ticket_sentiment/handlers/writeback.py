"""SQS batch of write-back requests -> each helpdesk's REST API, with partial batch failures.

Thin: credentials come from Secrets Manager (`$WRITEBACK_SECRET_PREFIX<platform>`, cached 300 s by Powertools),
the work is `writeback.consumer.process_writebacks`, and the reply lists the records SQS must redeliver.
A retryable failure comes back after the visibility timeout; a permanent one is logged as an error with its
reason and reaches the DLQ after the queue's (short) maxReceiveCount. See docs/writeback.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache, partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import metric_names as names
from ..adapters.aws.helpdesk_writers import SecretWriters
from ..ports import HelpdeskWriter
from ..ports import LogLevel as Level
from ..settings import WritebackSettings
from ..writeback.consumer import process_writebacks
from ..writeback.models import Platform, WritebackRequest
from ..writeback.policy import is_still_current
from .observability import logger, metrics

__all__ = ["SecretWriters", "current_message_check", "handler", "process_batch"]


def _log(level: Level, message: str, fields: Mapping[str, object]) -> None:
    getattr(logger, level)(message, extra=dict(fields))


def process_batch(
    event: dict[str, Any],
    writers: Callable[[Platform], HelpdeskWriter],
    still_current: Callable[[WritebackRequest], bool] | None = None,
) -> dict[str, Any]:
    records = event.get("Records", [])
    failures = process_writebacks(records, writers, still_current=still_current, log=_log)
    permanent = sum(not f.retryable for f in failures)
    metrics.add_metric(name=names.WRITEBACKS_DONE, unit=MetricUnit.Count, value=len(records) - len(failures))
    if failures:
        metrics.add_metric(name=names.WRITEBACKS_RETRYABLE, unit=MetricUnit.Count, value=len(failures) - permanent)
        metrics.add_metric(name=names.WRITEBACKS_PERMANENT, unit=MetricUnit.Count, value=permanent)
    return {"batchItemFailures": [{"itemIdentifier": f.message_id} for f in failures]}


def current_message_check(table_name: str) -> Callable[[WritebackRequest], bool]:
    """With the ticket table at hand: skip a write whose message no longer drives the ticket (a newer one does)."""
    from ..adapters.aws.dynamodb import DynamoTicketStore

    return partial(is_still_current, DynamoTicketStore(table_name))


@cache
def _dependencies() -> tuple[SecretWriters, Callable[[WritebackRequest], bool] | None]:
    settings = WritebackSettings.from_env()
    return (
        SecretWriters(settings.writeback_secret_prefix),
        current_message_check(settings.table_name) if settings.table_name else None,
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    writers, still_current = _dependencies()
    return process_batch(event, writers, still_current)
