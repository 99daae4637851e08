"""The score function's composition root: the ScoringService and its adapters, built from its settings."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from .. import metric_names as names
from ..pipeline.routing import RoutingScorer, ScorerMode
from ..pipeline.rules import RuleConfig, rules_from
from ..pipeline.service import ScoringService
from ..pipeline.shadow import ShadowScoring
from ..ports import TextScorer
from ..settings import WRITEBACK_QUEUE_URL, ScorerSettings, ScoreSettings
from .observability import logger, metrics

if TYPE_CHECKING:
    from ..redaction.comprehend import ComprehendPiiRedactor


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
