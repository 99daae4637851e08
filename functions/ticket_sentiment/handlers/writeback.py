"""SQS batch of write-back requests -> each helpdesk's REST API, with partial batch failures.

Thin: credentials come from Secrets Manager (`$WRITEBACK_SECRET_PREFIX<platform>`, cached 300 s by Powertools),
the work is `writeback.consumer.process_writebacks`, and the reply lists the records SQS must redeliver.
A retryable failure comes back after the visibility timeout; a permanent one is logged as an error with its
reason and reaches the DLQ after the queue's (short) maxReceiveCount. See docs/writeback.md.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..writeback.clients import HelpdeskWriter, build_writer
from ..writeback.consumer import Level, process_writebacks
from ..writeback.models import Platform, WritebackRequest, load_credentials
from ..writeback.transport import RetrySettings
from .observability import logger, metrics

SECRET_MAX_AGE = 300


class SecretWriters:
    """Platform -> writer, built from the platform's secret. The writer (and Salesforce's cached token, and the
    rate-limit window it has seen) lives as long as the secret's value: a rotated secret builds a new one."""

    def __init__(self, prefix: str, provider: SecretsProvider | None = None, *, max_age: int = SECRET_MAX_AGE,
                 settings: RetrySettings | None = None) -> None:
        self.prefix = prefix
        self.provider = provider or SecretsProvider()
        self.max_age = max_age
        self.settings = settings
        self._writers: dict[Platform, tuple[str, HelpdeskWriter]] = {}
        self._lock = threading.Lock()

    def __call__(self, platform: Platform) -> HelpdeskWriter:
        secret = str(self.provider.get(f"{self.prefix}{platform.value}", max_age=self.max_age))
        digest = hashlib.sha256(secret.encode()).hexdigest()  # compare versions without keeping a second copy
        with self._lock:
            held = self._writers.get(platform)
            if held is None or held[0] != digest:
                held = (digest, build_writer(load_credentials(platform, secret), self.settings))
                self._writers[platform] = held
            return held[1]


def _log(level: Level, message: str, fields: Mapping[str, object]) -> None:
    getattr(logger, level)(message, extra=dict(fields))


def process_batch(event: dict[str, Any], writers: Callable[[Platform], HelpdeskWriter],
                  still_current: Callable[[WritebackRequest], bool] | None = None) -> dict[str, Any]:
    records = event.get("Records", [])
    failures = process_writebacks(records, writers, still_current=still_current, log=_log)
    permanent = sum(not f.retryable for f in failures)
    metrics.add_metric(name="WritebacksDone", unit=MetricUnit.Count, value=len(records) - len(failures))
    if failures:
        metrics.add_metric(name="WritebacksRetryable", unit=MetricUnit.Count, value=len(failures) - permanent)
        metrics.add_metric(name="WritebacksPermanent", unit=MetricUnit.Count, value=permanent)
    return {"batchItemFailures": [{"itemIdentifier": f.message_id} for f in failures]}


def current_message_check(table_name: str) -> Callable[[WritebackRequest], bool]:
    """With the ticket table at hand: skip a write whose message no longer drives the ticket (a newer one does)."""
    from ..adapters.dynamodb import DynamoTicketStore

    store = DynamoTicketStore(table_name)

    def still_current(request: WritebackRequest) -> bool:
        if request.message_id is None:
            return True
        ticket = store.get_ticket(request.ticket_id)
        return ticket is None or ticket.current is None or ticket.current.message_id == request.message_id

    return still_current


@cache
def _dependencies() -> tuple[SecretWriters, Callable[[WritebackRequest], bool] | None]:
    table = os.environ.get("TABLE_NAME")
    return (SecretWriters(os.environ["WRITEBACK_SECRET_PREFIX"]),
            current_message_check(table) if table else None)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    writers, still_current = _dependencies()
    return process_batch(event, writers, still_current)
