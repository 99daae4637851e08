"""SQS batch -> ScoringService, one record at a time, with partial batch failures (Powertools BatchProcessor).

A record that fails (bad body, store or SNS error) is reported back as a batch item failure: SQS redelivers it
and, after maxReceiveCount, moves it to the DLQ. The others in the batch are not retried.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from .. import metric_names as names
from ..pipeline.dimensions import area_dimension, model_version_dimension
from ..pipeline.events import Outcome, ProcessResult, QueuedEvent
from ..pipeline.routing import RoutingScorer, ScorerMode
from ..pipeline.rules import RuleConfig, rules_from
from ..pipeline.service import ScoringService
from ..pipeline.shadow import ShadowScoring
from ..ports import EventProcessor, TextScorer
from ..settings import WRITEBACK_QUEUE_URL, MetricSettings, ScorerSettings, ScoreSettings
from .observability import logger, metrics

if TYPE_CHECKING:
    from ..redaction.comprehend import ComprehendPiiRedactor

__all__ = ["area_dimension", "emit_dashboard_metrics", "handler", "model_unavailable", "process_batch"]

# REDELIVERED is no outcome of the event: counted apart, so the three terminal counts add up to the events done.
OUTCOME_METRICS = {
    Outcome.SCORED: names.EVENTS_SCORED,
    Outcome.SKIPPED: names.EVENTS_SKIPPED,
    Outcome.DUPLICATE: names.EVENTS_DUPLICATE,
    Outcome.REDELIVERED: names.EVENTS_REDELIVERED,
}


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


@cache
def default_service() -> ScoringService:
    """Built once per Lambda container: the model loads at init, the clients are reused."""
    from ..adapters.aws.dynamodb import DynamoTicketStore
    from ..adapters.aws.sns import SnsAlertPublisher
    from ..adapters.aws.sqs import SqsWritebackQueue
    from ..adapters.aws.ssm import parameter

    settings = ScoreSettings.from_env()
    name = settings.escalation_rules_param
    rules = rules_from(settings.escalation_rules, (lambda: parameter(name)) if name else None)
    platforms = settings.writeback_platforms
    if platforms and settings.writeback_queue_url is None:
        raise KeyError(WRITEBACK_QUEUE_URL)
    writeback = SqsWritebackQueue(settings.writeback_queue_url) if platforms and settings.writeback_queue_url else None
    store = DynamoTicketStore(settings.table_name, retention=settings.retention)
    return ScoringService(
        store,
        SnsAlertPublisher(settings.alerts_topic_arn),
        build_scorer(),
        rules,
        keep_text_days=settings.text_retention_days,
        writeback=writeback,
        writeback_platforms=platforms,
        shadow=build_shadow(settings, rules),
        pii_second_pass=configured_pii_pass(settings),
    )


def build_shadow(settings: ScoreSettings, rules: RuleConfig) -> ShadowScoring | None:
    """The shadow model beside the live one when SHADOW_MODEL_DIR names one; without it nothing is loaded. It loads
    on the first message: a candidate that cannot load is counted as shadow failures, the live path goes on."""
    if not settings.shadow_model_dir:
        return None
    from pathlib import Path

    from ..adapters.aws.onnx_scorer import OnnxSentimentScorer
    from ..adapters.aws.shadow import DynamoShadowStore

    model_dir = Path(settings.shadow_model_dir)
    return ShadowScoring(
        cache(lambda: OnnxSentimentScorer(model_dir)),
        DynamoShadowStore(settings.table_name, retention=settings.retention),
        rules,
        on_failure=shadow_failed,
    )


def shadow_failed(exc: Exception) -> None:
    """The live result stands; the exception's type only (its message could quote the text)."""
    logger.warning("shadow model failed; the live result stands", extra={"error": type(exc).__name__})
    metrics.add_metric(name=names.SHADOW_FAILED, unit=MetricUnit.Count, value=1)


def configured_pii_pass(settings: ScoreSettings) -> ComprehendPiiRedactor | None:
    return pii_second_pass() if settings.pii_second_pass == "comprehend" else None


def pii_second_pass(client: Any | None = None) -> ComprehendPiiRedactor:
    """Comprehend DetectPiiEntities after the local pass (the stack's `comprehend_pii` flag); a pass given up after
    its retries keeps the local result and counts a PiiSecondPassFailed."""
    import boto3

    from ..redaction.comprehend import ComprehendPiiRedactor

    return ComprehendPiiRedactor(client or boto3.client("comprehend"), on_failure=pii_pass_failed)


def pii_pass_failed(exc: Exception) -> None:
    """Counted (the redactor has logged the error's class): an alarm-worthy rate means names and addresses that
    only Comprehend finds are being stored as the local pass left them."""
    metrics.add_metric(name=names.PII_SECOND_PASS_FAILED, unit=MetricUnit.Count, value=1)


def build_scorer(mode: str | None = None) -> RoutingScorer:
    """$SCORER (onnx, comprehend or auto, the default); the model and the Comprehend client load on first use."""
    from ..adapters.aws.comprehend import ComprehendScorer
    from ..adapters.aws.onnx_scorer import get_scorer

    chosen = ScorerMode(mode or ScorerSettings.from_env().scorer or ScorerMode.AUTO)
    comprehend: Callable[[], TextScorer] = cache(ComprehendScorer)
    return RoutingScorer(
        chosen,
        None if chosen == ScorerMode.COMPREHEND else get_scorer,
        None if chosen == ScorerMode.ONNX else comprehend,
        on_model_failure=model_unavailable,
    )


def model_unavailable(exc: Exception) -> None:
    """Loud on purpose: the bundled model failed, Comprehend scores everything (cost, and no emotions)."""
    logger.error("bundled model unavailable; scoring with Comprehend", extra={"error": type(exc).__name__})
    metrics.add_metric(name=names.MODEL_UNAVAILABLE, unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(default_service(), event, context)
