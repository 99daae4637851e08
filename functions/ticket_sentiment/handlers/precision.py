"""Scheduled (EventBridge, hourly): precision of automated escalations from the last 30 days of reviews.

Emits EscalationPrecision7d / EscalationPrecision30d (0..1) with the review counts behind them. A window without
reviews emits nothing, so the precision alarm sees missing data (treated as not breaching), never a made-up 0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import metric_names as names
from ..ports import ReviewStore
from ..review.precision import PrecisionReport, PrecisionWindow, precision_since
from .observability import logger, metrics
from .wiring import review_store

WINDOWS = (7, 30)
_NAMES = {
    7: (names.ESCALATION_PRECISION, names.REVIEWS_7D, names.FALSE_ALARMS_7D, names.WRONG_EMOTION_7D),
    30: (names.ESCALATION_PRECISION_30D, names.REVIEWS_30D, names.FALSE_ALARMS_30D, names.WRONG_EMOTION_30D),
}


def emit(window: PrecisionWindow) -> bool:
    """Metrics of one window; False (nothing emitted) when it has no reviews."""
    if window.precision is None:
        return False
    precision, reviews, false_alarms, wrong_emotion = _NAMES[window.days]
    metrics.add_metric(name=precision, unit=MetricUnit.NoUnit, value=window.precision)
    metrics.add_metric(name=reviews, unit=MetricUnit.Count, value=window.reviews)
    metrics.add_metric(name=false_alarms, unit=MetricUnit.Count, value=window.false_alarm)
    metrics.add_metric(name=wrong_emotion, unit=MetricUnit.Count, value=window.wrong_emotion)
    return True


def run(store: ReviewStore, now: datetime) -> PrecisionReport:
    report = precision_since(store, now, WINDOWS)
    for window in report.windows:
        emitted = emit(window)
        logger.info(
            "escalation precision",
            extra={
                "days": window.days,
                "reviews": window.reviews,
                "precision": window.precision,
                "right_call": window.right_call,
                "false_alarm": window.false_alarm,
                "wrong_emotion": window.wrong_emotion,
                "emitted": emitted,
            },
        )
    for version, windows in report.by_model.items():
        logger.info(
            "escalation precision by model",
            extra={
                "model_version": version,
                **{f"precision_{w.days}d": w.precision for w in windows},
                **{f"reviews_{w.days}d": w.reviews for w in windows},
            },
        )
    return report


def job(
    store: Callable[[], ReviewStore] = review_store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> dict[str, Any]:
    return run(store(), clock()).summary()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return job()
