"""Human review on moto's server: the review store (upsert, ticket stamp, reviews by day on GSI3) and the review
routes end to end, with the signing secret from Secrets Manager and a local HTTP server standing in for Slack's
response_url."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.reviews import DynamoReviewStore
from ticket_sentiment.adapters.http.slack_interactivity import SlackResponder, SlackSigningSecret
from ticket_sentiment.handlers.precision import run
from ticket_sentiment.handlers.review import build_app
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.review.models import Review, Verdict
from ticket_sentiment_tools.local_stack import LocalStack

from ..lambda_runtime import Context, forget_wiring, function_env, set_env
from ..unit.pipeline_fakes import T0, FakePublisher, KeywordScorer, queued, ref
from ..unit.review_support import SIGNING_SECRET, form_body, interaction, review_event, signed_headers, slack_event
from .slack_sink import SlackSink

NOW = T0 + timedelta(days=3, hours=5)
RULES = RuleConfig(rules=(EscalationRule(name="angry", max_score=-0.5),))


def reviews(stack: LocalStack, now: datetime = NOW) -> DynamoReviewStore:
    return DynamoReviewStore(stack.res.table_name, stack.resource("dynamodb"), clock=lambda: now)


def review(
    verdict: Verdict, at: datetime, *, ticket_id: str = "T-1", alert_id: str = "e1:angry", reviewer: str = "anna"
) -> Review:
    return Review(
        ticket_id=ref(ticket_id).key,  # the canonical key: zendesk:<id>, as the Slack buttons carry it
        alert_id=alert_id,
        verdict=verdict,
        reviewer=reviewer,
        reviewer_id="U0123ABC",
        reviewed_at=at,
        source="slack",
    )


def raw_item(stack: LocalStack, sk: str, ticket_id: str = "T-1") -> dict[str, Any]:
    table = stack.resource("dynamodb").Table(stack.res.table_name)
    item: dict[str, Any] = table.get_item(Key={"PK": f"TICKET#{ref(ticket_id).key}", "SK": sk}).get("Item") or {}
    return item


def escalate(stack: LocalStack, ticket_id: str = "T-1") -> str:
    publisher = FakePublisher()
    ScoringService(stack.store(), publisher, KeywordScorer(), RULES).process(
        queued(ticket_id=ticket_id, text="This is unacceptable, cancelling")
    )
    return publisher.alerts[-1].alert_id


def test_record_then_update_keeps_one_verdict_per_alert(stack: LocalStack) -> None:
    store = reviews(stack)
    escalate(stack)
    first = store.record(review("false_alarm", T0 + timedelta(hours=1)))
    assert first.first_reviewed_at == T0 + timedelta(hours=1)
    second = store.record(review("right_call", T0 + timedelta(days=1), reviewer="bo"))
    assert second.verdict == "right_call"
    assert second.reviewer == "bo"
    assert second.first_reviewed_at == T0 + timedelta(hours=1)  # kept across updates
    # A delayed write of an older click does not undo the newer one.
    late = store.record(review("wrong_emotion", T0 + timedelta(hours=2)))
    assert late.verdict == "right_call"

    item = raw_item(stack, "REVIEW#e1:angry")
    assert item["GSI3PK"] == "REVIEWED#2026-03-03"
    assert item["GSI3SK"] == "2026-03-03T09:00:00.000000+00:00#zendesk:T-1#e1:angry"
    assert item["verdict"] == "right_call"
    assert item["reviewer_id"] == "U0123ABC"
    assert item["type"] == "review"
    assert not any("@" in str(v) for k, v in item.items() if k not in ("PK", "SK", "GSI3SK", "alert_id"))
    ticket = raw_item(stack, "TICKET")
    assert (ticket["review_verdict"], ticket["reviewed_by"], ticket["reviewed_alert_id"]) == (
        "right_call",
        "bo",
        "e1:angry",
    )
    assert ticket["reviewed_at"] == "2026-03-03T09:00:00.000000+00:00"
    # The ticket aggregate still reads as before: the review fields sit beside it.
    view = stack.store().get_ticket(ref("T-1"))
    assert view is not None
    assert view.last_alert_rule == "angry"


def test_review_of_an_unknown_ticket_creates_no_ticket_item(stack: LocalStack) -> None:
    reviews(stack).record(review("right_call", T0, ticket_id="T-ghost"))
    assert raw_item(stack, "TICKET", "T-ghost") == {}
    assert raw_item(stack, "REVIEW#e1:angry", "T-ghost")["verdict"] == "right_call"


def test_reviews_since_reads_the_day_buckets(stack: LocalStack) -> None:
    store = reviews(stack)
    times = [
        T0 - timedelta(days=1),
        T0 + timedelta(hours=1),
        T0 + timedelta(days=1, hours=23, minutes=59),
        T0 + timedelta(days=2),
        NOW,
    ]
    for i, at in enumerate(times):
        store.record(review("right_call" if i % 2 else "false_alarm", at, ticket_id=f"T-{i}", alert_id=f"e{i}:r"))
    # Another kind of item on the overloaded index must not be read as a review.
    stack.resource("dynamodb").Table(stack.res.table_name).put_item(
        Item={"PK": "TICKET#T-9", "SK": "MSG#m", "GSI3PK": f"SCORED#{T0:%Y-%m-%d}", "GSI3SK": f"{T0.isoformat()}#T-9#m"}
    )
    since = store.reviews_since(T0 + timedelta(minutes=30))
    assert sorted(r.ticket_id for r in since) == ["zendesk:T-1", "zendesk:T-2", "zendesk:T-3", "zendesk:T-4"]
    assert [r.ticket_id for r in store.reviews_since(NOW)] == ["zendesk:T-4"]
    assert len(store.reviews_since(T0 - timedelta(days=10))) == 5
    assert store.reviews_since(NOW + timedelta(minutes=1)) == []
    # A verdict changed on a later day moves to that day's bucket (no stale copy left behind).
    store.record(review("right_call", NOW, ticket_id="T-0", alert_id="e0:r"))
    assert sorted(r.ticket_id for r in store.reviews_since(NOW - timedelta(hours=1))) == ["zendesk:T-0", "zendesk:T-4"]
    assert len(store.reviews_since(T0 - timedelta(days=10))) == 5


def test_precision_job_over_dynamodb(stack: LocalStack) -> None:
    store = reviews(stack)
    verdicts: list[tuple[Verdict, int]] = [
        ("right_call", 1),
        ("false_alarm", 2),
        ("wrong_emotion", 3),
        ("false_alarm", 20),
    ]
    for i, (verdict, days_ago) in enumerate(verdicts):
        store.record(review(verdict, NOW - timedelta(days=days_ago), ticket_id=f"T-{i}", alert_id=f"e{i}:r"))
    report = run(store, NOW)
    assert report.window(7).precision == pytest.approx(2 / 3)
    assert report.window(30).precision == 0.5


@pytest.fixture
def sink() -> Iterator[SlackSink]:
    sink = SlackSink()
    yield sink
    sink.close()


def route_app(stack: LocalStack, now: datetime) -> Any:
    secrets = stack.client("secretsmanager")
    secrets.put_secret_value(
        SecretId=stack.res.slack_secret_arn,
        SecretString=json.dumps(
            {"webhook_url": "https://hooks.slack.com/services/T/B/X", "signing_secret": SIGNING_SECRET}
        ),
    )
    signing = SlackSigningSecret(stack.res.slack_secret_arn, secrets, max_age=0)
    # Production follows response_url to hooks.slack.com only; here the stand-in listens on 127.0.0.1.
    responder = SlackResponder(frozenset({"127.0.0.1"}), frozenset({"http"}), base_wait=0.01, max_wait=0.02)
    return build_app(lambda: reviews(stack, now), stack.store, signing, lambda: responder, clock=lambda: now)


def test_slack_click_end_to_end(stack: LocalStack, sink: SlackSink) -> None:
    alert_id = escalate(stack)
    now = T0 + timedelta(minutes=10)
    app = route_app(stack, now)
    body = form_body(interaction("false_alarm", alert_id=alert_id, response_url=sink.url))
    response = app.resolve(slack_event(body, signed_headers(body, now)), None)
    assert response["statusCode"] == 200
    assert response["body"] == ""
    stored = reviews(stack).reviews_since(T0)
    assert [(r.alert_id, r.verdict, r.reviewer, r.source) for r in stored] == [
        (alert_id, "false_alarm", "anna", "slack")
    ]
    assert raw_item(stack, "TICKET")["review_verdict"] == "false_alarm"
    [update] = sink.received
    assert update["replace_original"] is True
    assert update["blocks"][-1]["elements"][0]["text"] == "Reviewed by @anna: False alarm"
    assert not any(b["type"] == "actions" for b in update["blocks"])

    # Forged: refused before anything is written or sent.
    forged = form_body(interaction("right_call", alert_id=alert_id, response_url=sink.url))
    response = app.resolve(slack_event(forged, signed_headers(body, now)), None)
    assert response["statusCode"] == 401
    assert reviews(stack).reviews_since(T0)[0].verdict == "false_alarm"
    assert len(sink.received) == 1


def test_slack_update_refused_or_failing_is_not_fatal(stack: LocalStack, sink: SlackSink) -> None:
    alert_id = escalate(stack)
    app = route_app(stack, T0)
    sink.statuses = [500, 500, 500]
    body = form_body(interaction("right_call", alert_id=alert_id, response_url=sink.url))
    assert app.resolve(slack_event(body, signed_headers(body, T0)), None)["statusCode"] == 200
    assert sink.attempts == 2
    assert sink.received == []  # two short tries, then given up
    # A response_url off the allowed hosts is never contacted.
    body = form_body(
        interaction("right_call", alert_id=alert_id, response_url="http://169.254.169.254/latest/meta-data")
    )
    assert app.resolve(slack_event(body, signed_headers(body, T0)), None)["statusCode"] == 200
    assert [r.verdict for r in reviews(stack).reviews_since(T0 - timedelta(days=1))] == ["right_call"]


def test_api_review_end_to_end(stack: LocalStack) -> None:
    alert_id = escalate(stack)
    app = route_app(stack, T0 + timedelta(hours=1))
    ok = app.resolve(review_event("T-1", {"alert_id": alert_id, "verdict": "wrong_emotion", "reviewer": "Bo"}), None)
    assert ok["statusCode"] == 200
    assert json.loads(ok["body"])["review"]["source"] == "api"
    assert raw_item(stack, "TICKET")["reviewed_by"] == "Bo"
    missing = app.resolve(
        review_event("T-1", {"alert_id": "ffff:angry", "verdict": "right_call", "reviewer": "Bo"}), None
    )
    assert missing["statusCode"] == 404
    assert (
        app.resolve(review_event("T-nope", {"alert_id": alert_id, "verdict": "right_call", "reviewer": "Bo"}), None)[
            "statusCode"
        ]
        == 404
    )
    assert raw_item(stack, "REVIEW#ffff:angry") == {}


def test_lambda_entry_points_from_the_environment(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    from ticket_sentiment.handlers import precision
    from ticket_sentiment.handlers import review as review_handler

    set_env(monkeypatch, function_env(stack))
    forget_wiring()
    try:
        stack.client("secretsmanager").put_secret_value(
            SecretId=stack.res.slack_secret_arn,
            SecretString=json.dumps(
                {"webhook_url": "https://hooks.slack.com/services/T/B/X", "signing_secret": SIGNING_SECRET}
            ),
        )
        alert_id = escalate(stack)
        now = datetime.now(UTC)
        body = form_body(interaction("right_call", alert_id=alert_id, response_url=None))  # no call out to Slack
        response = review_handler.handler(slack_event(body, signed_headers(body, now)), Context())
        assert response["statusCode"] == 200
        result = precision.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, Context())
        assert result["windows"] == [
            {"days": 7, "reviews": 1, "precision": 1.0},
            {"days": 30, "reviews": 1, "precision": 1.0},
        ]
    finally:
        forget_wiring()
