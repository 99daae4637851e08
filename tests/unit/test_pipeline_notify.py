"""Slack message building, Retry-After parsing and the notify handler's DLQ path, with fakes (no network)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from ticket_sentiment.adapters.http.slack import SlackDeliveryError, SlackWebhook, allowed_url, parse_retry_after
from ticket_sentiment.events import Alert
from ticket_sentiment.handlers.notify import notify
from ticket_sentiment.models import EmotionScore
from ticket_sentiment.review.slack_message import build_message
from ticket_sentiment_tools.local_stack import lambda_sns_event

from .pipeline_fakes import T0


def alert(**overrides: Any) -> Alert:
    data: dict[str, Any] = {
        "alert_id": "e1:angry",
        "event_id": "e1",
        "ticket_id": "T-1",
        "source": "zendesk",
        "subject": "Refund <late>",
        "ticket_url": "https://example.zendesk.com/agent/tickets/1",
        "label": "negative",
        "score": -0.82,
        "intensity": 0.77,
        "thread_score": -0.5,
        "emotions": [EmotionScore(name="anger", probability=0.81), EmotionScore(name="annoyance", probability=0.6)],
        "excerpt": "Hi [NAME], still waiting for my refund & it's been 3 weeks",
        "rule": "angry",
        "customer_tier": "enterprise",
        "priority": "high",
        "product_area": "billing",
        "scorer": "onnx",
        "created_at": T0,
    }
    data.update(overrides)
    return Alert.model_validate(data)


@dataclass
class FakeSlack:
    fail: bool = False
    posted: list[dict[str, Any]] = field(default_factory=list)

    def post(self, message: dict[str, Any]) -> None:
        if self.fail:
            raise SlackDeliveryError("slack answered 500")
        self.posted.append(message)


@dataclass
class FakeDlq:
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, alert_json: str, reason: str) -> None:
        self.sent.append((alert_json, reason))


def sns(*messages: str) -> dict[str, Any]:
    records = [
        lambda_sns_event({"Message": m, "TopicArn": "arn:aws:sns:us-east-1:1:alerts"})["Records"][0] for m in messages
    ]
    return {"Records": records}


def test_block_kit_message_has_everything_the_issue_asks_for() -> None:
    message = build_message(alert())
    text = json.dumps(message)
    for part in (
        "<https://example.zendesk.com/agent/tickets/1|Refund &lt;late&gt;>",
        "negative",
        "-0.82",
        "anger 81%",
        "annoyance 60%",
        "angry",
        "enterprise",
        "still waiting for my refund &amp;",
    ):
        assert part in text, part
    assert message["blocks"][0]["type"] == "header"
    assert message["text"]  # the notification fallback
    # The review buttons close the message (test_review_payload.py covers them in detail).
    assert message["blocks"][-1]["type"] == "actions"
    assert {b["action_id"] for b in message["blocks"][-1]["elements"]} == {
        "review_right_call",
        "review_false_alarm",
        "review_wrong_emotion",
    }


def test_message_without_url_or_text() -> None:
    message = build_message(alert(ticket_url=None, excerpt="", emotions=[], thread_score=None, subject=""))
    assert "(no subject)" in json.dumps(message)
    assert "_no text_" in json.dumps(message)


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3", 20) == 3.0
    assert parse_retry_after("3600", 20) == 20.0
    assert parse_retry_after(None, 20) is None
    assert parse_retry_after("soon", 20) is None
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    wait = parse_retry_after(future, 20)
    assert wait is not None
    assert 0 <= wait <= 5


def test_only_https_or_local_webhooks() -> None:
    assert allowed_url("https://hooks.slack.com/services/x")
    assert allowed_url("http://127.0.0.1:8080/x")
    assert allowed_url("http://localhost/x")
    assert not allowed_url("http://hooks.slack.com/x")
    assert not allowed_url("http://127.0.0.1.evil.example/x")
    assert not allowed_url("file:///etc/passwd")
    webhook = SlackWebhook("file:///etc/passwd", attempts=3, sleep=lambda _s: None)
    try:
        webhook.post({"text": "x"})
    except SlackDeliveryError as exc:
        assert "https" in str(exc)
    assert webhook.tries == 1  # refused outright, never retried


def test_notify_delivers_and_dead_letters() -> None:
    slack, dlq = FakeSlack(), FakeDlq()
    counts = notify(sns(alert().model_dump_json(), "not json"), slack, dlq)
    assert counts == {"delivered": 1, "dead_lettered": 1}
    assert len(slack.posted) == 1
    assert dlq.sent[0][1] == "not an alert"


def test_notify_sends_what_slack_rejects_to_the_dlq() -> None:
    slack, dlq = FakeSlack(fail=True), FakeDlq()
    assert notify(sns(alert().model_dump_json()), slack, dlq) == {"delivered": 0, "dead_lettered": 1}
    assert Alert.model_validate_json(dlq.sent[0][0]).alert_id == "e1:angry"
    assert "500" in dlq.sent[0][1]
