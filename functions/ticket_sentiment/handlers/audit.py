"""Monthly audit job (EventBridge schedule, early on the 1st): a stratified sample of last month's scored
messages, one JSON row per message on the review queue, for `ticket-sentiment audit export`.

Environment: TABLE_NAME, AUDIT_QUEUE_URL, optional AUDIT_SAMPLE_SIZE (default 200).
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import metric_names as names
from ..audit.job import sample_month
from ..audit.sampler import DEFAULT_SAMPLE_SIZE
from ..ports import AuditSink, ScoredHistory
from ..settings import AuditSettings
from .observability import logger, metrics
from .schedule import scheduled_time


def audit_job(
    history: ScoredHistory,
    sink: AuditSink,
    now: datetime,
    *,
    size: int = DEFAULT_SAMPLE_SIZE,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    sample = sample_month(history, now, size=size, rng=rng)
    sent = sink.send_rows(sample.rows)
    metrics.add_metric(name=names.AUDIT_ROWS_QUEUED, unit=MetricUnit.Count, value=sent)
    expired = sum(s.expired for s in sample.strata)
    summary: dict[str, Any] = {
        "audit_month": sample.audit_month,
        "population": sample.population,
        "rows": sent,
        "strata": len(sample.strata),
        "expired_skipped": expired,
        "shortfall": sample.shortfall,
    }
    # Counts only: the rows themselves hold redacted text and stay out of the logs.
    logger.info("audit sample queued", extra=summary)
    return summary


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from ..adapters.aws.audit_queue import SqsAuditQueue
    from ..adapters.aws.history import DynamoHistory

    settings = AuditSettings.from_env()
    return audit_job(
        DynamoHistory(settings.table_name),
        SqsAuditQueue(settings.audit_queue_url),
        scheduled_time(event),
        size=settings.sample_size or DEFAULT_SAMPLE_SIZE,
    )
