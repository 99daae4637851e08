"""The review routes with fakes: Slack clicks (signed, recorded, message replaced) and the JSON API."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from ticket_sentiment import metric_names as names
from ticket_sentiment.adapters.http.slack_interactivity import SlackResponder, SlackSigningSecret, allowed_response_url
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.handlers.review import build_app
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService

from .pipeline_fakes import T0, FakePublisher, FakeReviewStore, FakeSlackResponder, FakeStore, KeywordScorer, queued
from .review_support import (
    RESPONSE_URL,
    SIGNING_SECRET,
    form_body,
    interaction,
    review_event,
    signed_headers,
    slack_event,
)

NOW = T0 + timedelta(hours=2)


class Setup:
    def __init__(self, secret: str | None = SIGNING_SECRET, clock: Callable[[], datetime] = lambda: NOW) -> None:
        self.tickets = FakeStore()
        self.publisher = FakePublisher()
        self.reviews = FakeReviewStore()
        self.slack = FakeSlackResponder()
        self.secret = secret
        self.app = build_app(
            lambda: self.reviews, lambda: self.tickets, lambda: self.secret, lambda: self.slack, clock=clock
        )

    def escalate(self, ticket_id: str = "T-1") -> str:
        service = ScoringService(
            self.tickets,
            self.publisher,
            KeywordScorer(),
            RuleConfig(rules=(EscalationRule(name="angry", max_score=-0.5),)),
        )
        service.process(queued(ticket_id=ticket_id, text="This is unacceptable, cancelling"))
        return self.publisher.alerts[-1].alert_id

    def call(self, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self.app.resolve(event, None)  # type: ignore[arg-type]
        return response

    def click(self, verdict: str = "false_alarm", at: datetime = NOW, **kwargs: Any) -> dict[str, Any]:
        body = form_body(interaction(verdict, **kwargs))
        return self.call(slack_event(body, signed_headers(body, at)))


@pytest.fixture(autouse=True)
def _metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()


def _counted() -> dict[str, float]:
    return {name: sum(v["Value"]) for name, v in metrics.metric_set.items()}


def test_slack_click_is_recorded_and_the_message_replaced() -> None:
    setup = Setup()
    response = setup.click("false_alarm")
    assert response["statusCode"] == 200
    assert response["body"] == ""
    [stored] = setup.reviews.reviews.values()
    assert (
        stored.ticket_id,
        stored.alert_id,
        stored.verdict,
        stored.reviewer,
        stored.reviewer_id,
        stored.source,
        stored.reviewed_at,
    ) == ("zendesk:T-1", "e1:angry", "false_alarm", "anna", "U0123ABC", "slack", NOW)
    [(url, message)] = setup.slack.posted
    assert url == RESPONSE_URL
    assert message["replace_original"] is True
    assert message["blocks"][-1]["elements"][0]["text"] == "Reviewed by @anna: False alarm"
    assert _counted() == {names.REVIEWS_RECORDED: 1, "Review_false_alarm": 1}


def test_second_click_updates_the_verdict_and_keeps_the_first_time() -> None:
    times = iter([NOW, NOW, NOW + timedelta(minutes=1), NOW + timedelta(minutes=1)])
    setup = Setup(clock=lambda: next(times))
    setup.click("false_alarm")
    setup.click("right_call", at=NOW + timedelta(minutes=1))
    [stored] = setup.reviews.reviews.values()
    assert stored.verdict == "right_call"
    assert stored.first_reviewed_at == NOW
    assert stored.reviewed_at == NOW + timedelta(minutes=1)
    assert setup.slack.posted[-1][1]["blocks"][-1]["elements"][0]["text"] == "Reviewed by @anna: Right call"


def test_slack_update_failure_is_not_fatal() -> None:
    setup = Setup()
    setup.slack.fail = True
    assert setup.click("right_call")["statusCode"] == 200
    assert len(setup.reviews.reviews) == 1
    assert _counted()["ReviewMessageUpdateFailed"] == 1


def test_no_response_url_still_records() -> None:
    setup = Setup()
    assert setup.click("wrong_emotion", response_url=None)["statusCode"] == 200
    assert setup.slack.posted == []
    assert len(setup.reviews.reviews) == 1


@pytest.mark.parametrize(
    ("tamper", "status", "reason"),
    [
        ("forged", 401, "does not match"),
        ("other-secret", 401, "does not match"),
        ("stale", 401, "replay window"),
        ("future", 401, "replay window"),
        ("no-headers", 401, "missing"),
        ("bad-payload", 400, "unknown review action"),
    ],
)
def test_slack_route_refuses(tamper: str, status: int, reason: str) -> None:
    setup = Setup()
    body = form_body(interaction())
    headers = signed_headers(body, NOW)
    if tamper == "forged":
        body = form_body(interaction("right_call"))
    elif tamper == "other-secret":
        headers = signed_headers(body, NOW, secret="not-our-app")
    elif tamper == "stale":
        headers = signed_headers(body, NOW - timedelta(minutes=6))
    elif tamper == "future":
        headers = signed_headers(body, NOW + timedelta(minutes=6))
    elif tamper == "no-headers":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        payload = interaction()
        payload["actions"][0]["action_id"] = "delete_everything"
        body = form_body(payload)
        headers = signed_headers(body, NOW)
    response = setup.call(slack_event(body, headers))
    assert response["statusCode"] == status
    assert reason in json.loads(response["body"])["error"]
    assert setup.reviews.reviews == {}
    assert setup.slack.posted == []
    assert _counted() == {names.REVIEWS_REJECTED: 1}


def test_slack_route_without_signing_secret_or_with_base64_body() -> None:
    setup = Setup(secret=None)
    response = setup.click()
    assert response["statusCode"] == 503
    assert "signing_secret" in json.loads(response["body"])["error"]

    def broken() -> str | None:
        raise ConnectionError("secrets manager down")

    setup = Setup()
    setup.app = build_app(lambda: setup.reviews, lambda: setup.tickets, broken, lambda: setup.slack, clock=lambda: NOW)
    assert setup.click()["statusCode"] == 503

    setup = Setup()
    body = form_body(interaction())
    event = slack_event(body, signed_headers(body, NOW))
    event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    assert setup.call(event)["statusCode"] == 200
    assert len(setup.reviews.reviews) == 1


def test_api_review_of_an_existing_alert() -> None:
    setup = Setup()
    alert_id = setup.escalate()
    response = setup.call(review_event("T-1", {"alert_id": alert_id, "verdict": "right_call", "reviewer": "Bo"}))
    assert response["statusCode"] == 200
    body = json.loads(response["body"])["review"]
    assert body["verdict"] == "right_call"
    assert body["source"] == "api"
    assert body["reviewer"] == "Bo"
    assert body["reviewed_at"].startswith("2026-03-02T11:00")
    assert setup.reviews.ticket_verdicts["zendesk:T-1"].verdict == "right_call"
    assert _counted() == {names.REVIEWS_RECORDED: 1, "Review_right_call": 1}


def test_api_review_404s() -> None:
    setup = Setup()
    alert_id = setup.escalate()
    missing_ticket = setup.call(
        review_event("T-404", {"alert_id": alert_id, "verdict": "right_call", "reviewer": "Bo"})
    )
    assert missing_ticket["statusCode"] == 404
    assert json.loads(missing_ticket["body"])["error"] == "ticket not found"
    missing_alert = setup.call(
        review_event("T-1", {"alert_id": "0123abcd:angry", "verdict": "right_call", "reviewer": "Bo"})
    )
    assert missing_alert["statusCode"] == 404
    assert "alert not found" in missing_alert["body"]
    # A ticket that was never escalated has no alerts at all.
    ScoringService(setup.tickets, setup.publisher, KeywordScorer(), RuleConfig()).process(
        queued(ticket_id="T-2", text="thanks, all good")
    )
    calm = setup.call(review_event("T-2", {"alert_id": alert_id, "verdict": "right_call", "reviewer": "Bo"}))
    assert calm["statusCode"] == 404
    assert setup.reviews.reviews == {}


@pytest.mark.parametrize(
    ("ticket_id", "body", "reason"),
    [
        ("bad id!", {"alert_id": "e:r", "verdict": "right_call", "reviewer": "Bo"}, "ticket id must be"),
        ("T-1", "{nope", "not valid JSON"),
        ("T-1", "[]", "JSON object"),
        ("T-1", {"alert_id": "e:r", "verdict": "maybe", "reviewer": "Bo"}, "invalid review"),
        ("T-1", {"alert_id": "e:r", "verdict": "right_call", "reviewer": "bo@example.com"}, "invalid review"),
        ("T-1", {"alert_id": "e:r", "verdict": "right_call"}, "invalid review"),
        ("T-1", "x" * 10_001, "larger than"),
    ],
)
def test_api_review_400s(ticket_id: str, body: dict[str, Any] | str, reason: str) -> None:
    setup = Setup()
    setup.escalate()
    response = setup.call(review_event(ticket_id, body))
    assert response["statusCode"] == 400
    assert reason in json.loads(response["body"])["error"]
    assert "example.com" not in response["body"]  # never echo values
    assert setup.reviews.reviews == {}


def test_api_review_details_name_fields() -> None:
    setup = Setup()
    setup.escalate()
    response = setup.call(review_event("T-1", {"alert_id": "e:r", "verdict": "maybe", "reviewer": "a@b.io"}))
    fields = {d["field"] for d in json.loads(response["body"])["details"]}
    assert fields == {"verdict", "reviewer"}
    assert "a@b.io" not in response["body"]


def test_response_url_is_only_followed_to_slack() -> None:
    assert allowed_response_url("https://hooks.slack.com/actions/T/1/x")
    for url in (
        "http://hooks.slack.com/actions/x",
        "https://hooks.slack.com.evil.example/x",
        "https://hooks.slack.com@evil.example/x",
        "https://evil.example/hooks.slack.com",
        "https://user:pw@hooks.slack.com/x",
        "file:///etc/passwd",
        "https://127.0.0.1/x",
        "not a url",
    ):
        assert not allowed_response_url(url), url
    local = frozenset({"127.0.0.1"})
    assert allowed_response_url("http://127.0.0.1:8080/x", local, frozenset({"http"}))
    responder = SlackResponder(sleep=lambda _s: None)
    with pytest.raises(Exception, match="allowed Slack host"):
        responder.post("https://evil.example/x", {"text": "x"})  # refused before any socket is opened


class _Provider:
    def __init__(self, value: str) -> None:
        self.value = value

    def get(self, name: str, max_age: int) -> str:
        return self.value


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (json.dumps({"webhook_url": "https://hooks.slack.com/x", "signing_secret": " s3cret "}), "s3cret"),
        (json.dumps({"webhook_url": "https://hooks.slack.com/x"}), None),
        (json.dumps({"webhook_url": "https://hooks.slack.com/x", "signing_secret": ""}), None),
        ("https://hooks.slack.com/services/x", None),
        ("{broken", None),
    ],
)
def test_signing_secret_from_the_slack_secret_json(stored: str, expected: str | None) -> None:
    secret = SlackSigningSecret("slack", client=object())
    secret.provider = _Provider(stored)  # type: ignore[assignment]
    assert secret() == expected


def test_api_review_names_the_ticket_by_source_and_brand() -> None:
    """The same id in another helpdesk or brand is another ticket: no review lands on the alerted one."""
    setup = Setup()
    alert_id = setup.escalate()
    body = {"alert_id": alert_id, "verdict": "right_call", "reviewer": "Bo"}
    unnamed = setup.call(review_event("T-1", body, source=None))
    assert unnamed["statusCode"] == 400
    assert "source is required" in json.loads(unnamed["body"])["error"]
    assert setup.call(review_event("T-1", body, source="nope"))["statusCode"] == 400
    assert setup.call(review_event("T-1", body, source="freshdesk"))["statusCode"] == 404
    assert setup.call(review_event("T-1", body, brand="other-brand"))["statusCode"] == 404
    assert setup.reviews.reviews == {}
    assert setup.call(review_event("T-1", body))["statusCode"] == 200
