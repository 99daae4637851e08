"""The score function's CloudWatch metrics (EMF through Powertools) for one processed record."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from .. import metric_names as names
from ..events import Outcome, ProcessResult
from ..pipeline.dimensions import area_dimension, model_version_dimension
from ..settings import MetricSettings
from .observability import logger, metrics

# REDELIVERED is no outcome of the event: counted apart, so the three terminal counts add up to the events done.
OUTCOME_METRICS = {
    Outcome.SCORED: names.EVENTS_SCORED,
    Outcome.SKIPPED: names.EVENTS_SKIPPED,
    Outcome.DUPLICATE: names.EVENTS_DUPLICATE,
    Outcome.REDELIVERED: names.EVENTS_REDELIVERED,
}


def emit_result_metrics(result: ProcessResult) -> None:
    """Every metric one processed record adds: its outcome, scorer, model versions, alert and the dashboard's."""
    metrics.add_metric(name=OUTCOME_METRICS[result.outcome], unit=MetricUnit.Count, value=1)
    if result.outcome == Outcome.SCORED:
        metrics.add_metric(name=f"{names.SCORED_BY_PREFIX}{result.scorer}", unit=MetricUnit.Count, value=1)
        emit_model_versions(result)
    if result.alert is not None:
        metrics.add_metric(name=f"{names.ALERTS_PREFIX}{result.alert.capitalize()}", unit=MetricUnit.Count, value=1)
    emit_dashboard_metrics(result)
    if result.writeback_refused is not None:
        # Says why without naming the ticket: the event id is a hash, the reason names routes only.
        metrics.add_metric(name=names.WRITEBACKS_REFUSED, unit=MetricUnit.Count, value=1)
        logger.warning("write-back refused", extra={"event_id": result.event_id, "reason": result.writeback_refused})


def _emit_sentiment(result: ProcessResult, score: float) -> None:
    metrics.add_metric(name=names.SENTIMENT_SCORE, unit=MetricUnit.NoUnit, value=score)
    if result.level == "very_negative":  # the dashboard's weekly share: this over SentimentScore's count
        metrics.add_metric(name=names.VERY_NEGATIVE_MESSAGES, unit=MetricUnit.Count, value=1)
    if result.label == "negative" and not is_metrics_disabled():  # single_metric ignores the switch
        area = area_dimension(result.product_area, MetricSettings.from_env().metric_product_areas)
        with single_metric(
            name=names.NEGATIVE_MESSAGES,
            unit=MetricUnit.Count,
            value=1,
            namespace=metrics.namespace,
            default_dimensions={
                **metrics.default_dimensions,
                "service": metrics.service or "",
                names.PRODUCT_AREA_DIMENSION: area,
            },
        ):
            pass


def _count_by_model_version(name: str, version: str | None) -> None:
    if is_metrics_disabled():  # single_metric ignores the switch
        return
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=1,
        namespace=metrics.namespace,
        default_dimensions={
            **metrics.default_dimensions,
            "service": metrics.service or "",
            names.MODEL_VERSION_DIMENSION: model_version_dimension(version),
        },
    ):
        pass


def emit_model_versions(result: ProcessResult) -> None:
    """Scored messages per live model version (the dashboard marks version changes) and per shadow version."""
    _count_by_model_version(names.SCORED_BY_MODEL_VERSION, result.model_version)
    if result.shadow_model_version is not None:
        _count_by_model_version(names.SHADOW_SCORED, result.shadow_model_version)


def emit_dashboard_metrics(result: ProcessResult) -> None:
    """The numbers behind the support leads' widgets: sentiment by week, negatives by area, response time."""
    if result.outcome == Outcome.SCORED and result.score is not None and not result.low_signal:
        _emit_sentiment(result, result.score)
    # Ingest's counts travel in the queued event and the scorer adds only its second pass's: each entity once.
    for entity, count in result.pii_entities.items():  # a dozen fixed types: low cardinality by construction
        metrics.add_metric(name=f"{names.PII_REDACTED}_{entity}", unit=MetricUnit.Count, value=count)
    if result.pii_entities:
        metrics.add_metric(name=names.PII_REDACTED, unit=MetricUnit.Count, value=sum(result.pii_entities.values()))
    if result.truncated:
        metrics.add_metric(name=names.TEXTS_TRUNCATED, unit=MetricUnit.Count, value=1)
    if result.first_response_seconds is not None:
        metrics.add_metric(
            name=names.NEGATIVE_FIRST_RESPONSE, unit=MetricUnit.Seconds, value=result.first_response_seconds
        )
