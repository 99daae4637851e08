"""notify: Slack webhook from Secrets Manager (moto), retries against a local HTTP server, the DLQ on moto."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.adapters.aws.secrets import WebhookSecret
from ticket_sentiment.adapters.http.slack import SlackDeliveryError, SlackWebhook
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment_tools.local_stack import LocalStack

from ..unit.pipeline_fakes import event_payload
from ..unit.test_pipeline_notify import alert
from .slack_sink import SlackSink
from .test_score_pipeline import ANGRY, post

RULES = RuleConfig(rules=(EscalationRule(name="negative", max_score=-0.3, min_intensity=0.2),))


@pytest.fixture
def sink() -> Iterator[SlackSink]:
    sink = SlackSink()
    yield sink
    sink.close()


def webhook(stack: LocalStack, sink: SlackSink, attempts: int = 4) -> SlackWebhook:
    secrets = stack.client("secretsmanager")
    secrets.put_secret_value(SecretId=stack.res.slack_secret_arn, SecretString=json.dumps({"webhook_url": sink.url}))
    return SlackWebhook(
        WebhookSecret(stack.res.slack_secret_arn, secrets, max_age=0), attempts=attempts, base_wait=0.01, max_wait=0.05
    )


def test_retries_429_honouring_retry_after_then_delivers(sink: SlackSink) -> None:
    sink.statuses, sink.retry_after = [429, 503], "1"
    client = SlackWebhook(sink.url, attempts=4, base_wait=0.01, max_wait=1.0)
    start = time.monotonic()
    client.post({"text": "hello"})
    assert sink.attempts == 3
    assert sink.received == [{"text": "hello"}]
    assert time.monotonic() - start >= 0.9  # waited the second Slack asked for


def test_gives_up_after_the_attempts_and_does_not_retry_4xx(sink: SlackSink) -> None:
    sink.statuses = [500] * 10
    with pytest.raises(SlackDeliveryError):
        SlackWebhook(sink.url, attempts=3, base_wait=0.01, max_wait=0.02).post({"text": "x"})
    assert sink.attempts == 3
    sink.statuses, sink.attempts = [400], 0
    with pytest.raises(SlackDeliveryError):
        SlackWebhook(sink.url, attempts=3, base_wait=0.01).post({"text": "x"})
    assert sink.attempts == 1


def test_unreachable_webhook_is_retried_then_fails() -> None:
    sink = SlackSink()
    url = sink.url
    sink.close()
    client = SlackWebhook(url, attempts=2, base_wait=0.01, max_wait=0.02, timeout=1)
    with pytest.raises(SlackDeliveryError):
        client.post({"text": "x"})
    assert client.tries == 2


def test_alert_flows_from_score_through_sns_to_slack(
    stack: LocalStack, sink: SlackSink, scorer: OnnxSentimentScorer
) -> None:
    post(stack, event_payload(text=ANGRY))
    stack.pump_events(stack.scoring_service(scorer, RULES))
    assert stack.pump_alerts(webhook(stack, sink)) == {"delivered": 1, "dead_lettered": 0}
    [message] = sink.received
    text = json.dumps(message)
    assert "T-1" in text
    assert "enterprise" in text
    assert "negative" in text
    assert "Anna Smith" not in text
    assert "7946" not in text


def test_slack_500s_end_in_the_notify_dlq(stack: LocalStack, sink: SlackSink) -> None:
    sink.statuses = [500] * 10
    stack.client("sns").publish(TopicArn=stack.res.alerts_topic_arn, Message=alert().model_dump_json())
    assert stack.pump_alerts(webhook(stack, sink, attempts=3)) == {"delivered": 0, "dead_lettered": 1}
    assert sink.attempts == 3
    dlq = stack.client("sqs").receive_message(QueueUrl=stack.res.notify_dlq_url, MessageAttributeNames=["All"])
    [message] = dlq["Messages"]
    assert json.loads(message["Body"])["alert_id"] == "e1:angry"
    assert "500" in message["MessageAttributes"]["reason"]["StringValue"]
