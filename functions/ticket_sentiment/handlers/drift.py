"""Daily drift job (EventBridge schedule): last 7 days of scores against the 28 days before, as metrics.

Emits ScoreDrift (PSI; only with enough data) and ShareNegative7d, MeanConfidence7d, FallbackRate7d,
LowSignalRate7d. The alarm (PSI > 0.25 on 2 consecutive days) lives in the stack's monitoring construct.
Environment: TABLE_NAME; optional DRIFT_MIN_CURRENT / DRIFT_MIN_BASELINE (default 200 / 400) for a helpdesk
too small for the defaults, knowing that PSI on fewer messages is noisier.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import metric_names as names
from ..drift import DEFAULT_CONFIG, DriftConfig, DriftReport
from ..drift.job import run_drift
from ..ports import ScoredHistory
from ..settings import DriftSettings
from .observability import logger, metrics
from .schedule import scheduled_time

__all__ = ["drift_job", "handler", "scheduled_time"]


def emit_drift_metrics(report: DriftReport) -> None:
    """What is defined is emitted; nothing is emitted as 0 for lack of data, so the alarm never sees a fake 0."""
    if report.psi is not None:
        metrics.add_metric(name=names.SCORE_DRIFT, unit=MetricUnit.NoUnit, value=report.psi)
    cur = report.current
    for name, value in (
        (names.SHARE_NEGATIVE_7D, cur.share_negative),
        (names.MEAN_CONFIDENCE_7D, cur.mean_confidence),
        (names.FALLBACK_RATE_7D, cur.fallback_rate),
        (names.LOW_SIGNAL_RATE_7D, cur.low_signal_rate),
    ):
        if value is not None:
            metrics.add_metric(name=name, unit=MetricUnit.NoUnit, value=value)


def drift_job(history: ScoredHistory, now: datetime, config: DriftConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    report = run_drift(history, now, config)
    emit_drift_metrics(report)
    # Numbers only: no text, no ticket ids.
    logger.info(
        "score drift",
        extra={
            "psi": report.psi,
            "level": report.level,
            "reason": report.reason,
            "current_messages": report.current.messages,
            "baseline_messages": report.baseline.messages,
            "deltas": report.deltas,
        },
    )
    return report.model_dump(mode="json", exclude={"current_histogram", "baseline_histogram"})


def drift_config(settings: DriftSettings) -> DriftConfig:
    overrides = {"min_current": settings.min_current, "min_baseline": settings.min_baseline}
    return DriftConfig(**{field: value for field, value in overrides.items() if value is not None})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from ..adapters.aws.history import DynamoHistory

    settings = DriftSettings.from_env()
    return drift_job(DynamoHistory(settings.table_name), scheduled_time(event), drift_config(settings))
