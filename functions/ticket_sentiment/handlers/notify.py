"""SNS subscriber: each alert becomes a Slack Block Kit message through the incoming webhook.

The webhook adapter retries 429 and 5xx with backoff (honouring Retry-After). An alert that still cannot be
delivered goes to the notify DLQ with the reason, and the invocation succeeds, so Lambda does not retry it again;
if even the DLQ cannot be reached the error propagates and Lambda's own async retries and DLQ take over.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from .. import metric_names as names
from ..events import Alert
from ..ports import FailedAlertSink, SlackPoster
from ..review.slack_message import build_message
from ..settings import NotifySettings
from .observability import logger, metrics


def notify(event: dict[str, Any], slack: SlackPoster, dead_letters: FailedAlertSink) -> dict[str, int]:
    counts = {"delivered": 0, "dead_lettered": 0}
    for record in SNSEvent(event).records:
        raw = record.sns.message
        try:
            alert = Alert.model_validate_json(raw)
        except ValidationError:
            dead_letters.send(raw, "not an alert")
            counts["dead_lettered"] += 1
            continue
        try:
            slack.post(build_message(alert))
        except Exception as exc:
            logger.warning("slack delivery failed", extra={"alert_id": alert.alert_id, "error": str(exc)})
            dead_letters.send(raw, f"slack: {exc}")
            counts["dead_lettered"] += 1
            metrics.add_metric(name=names.SLACK_FAILED, unit=MetricUnit.Count, value=1)
            continue
        counts["delivered"] += 1
        metrics.add_metric(name=names.SLACK_DELIVERED, unit=MetricUnit.Count, value=1)
        logger.info("alert delivered", extra={"alert_id": alert.alert_id, "rule": alert.rule})
    return counts


@cache
def _adapters() -> tuple[SlackPoster, FailedAlertSink]:
    from ..adapters.aws.secrets import WebhookSecret
    from ..adapters.aws.sqs import SqsDeadLetters
    from ..adapters.http.slack import SlackWebhook

    settings = NotifySettings.from_env()
    return SlackWebhook(WebhookSecret(settings.slack_secret_id)), SqsDeadLetters(settings.notify_dlq_url)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    slack, dead_letters = _adapters()
    return notify(event, slack, dead_letters)
