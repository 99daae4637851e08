"""GET /v1/tickets/{id} against the fake store."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from ticket_sentiment.handlers.api import build_app
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, api_event, queued


def get(store: FakeStore, ticket_id: str, source: str | None = "zendesk", brand: str | None = None) -> dict[str, Any]:
    path = f"/v1/tickets/{ticket_id}"
    event = api_event(None, method="GET", path=path, path_parameters={"ticket_id": ticket_id})
    event["resource"] = "/v1/tickets/{ticket_id}"
    event["queryStringParameters"] = {k: v for k, v in {"source": source, "brand": brand}.items() if v} or None
    response: dict[str, Any] = build_app(lambda: store).resolve(event, None)  # type: ignore[arg-type]
    return response


def test_ticket_with_history_trend_and_escalation() -> None:
    store = FakeStore()
    service = ScoringService(
        store, FakePublisher(), KeywordScorer(), RuleConfig(rules=(EscalationRule(name="angry", max_score=-0.5),))
    )
    service.process(
        queued(
            message_id="m-2", text="This is unacceptable, cancelling", created_at=(T0 + timedelta(hours=1)).isoformat()
        )
    )
    service.process(queued(message_id="m-1", text="thanks for the quick reply"))
    response = get(store, "T-1")
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert [m["message_id"] for m in body["history"]] == ["m-1", "m-2"]
    assert body["ticket"]["current"]["message_id"] == "m-2"
    assert body["ticket"]["trend"] == "worsening"
    assert body["ticket"]["escalation_state"] == "alerted"
    assert body["ticket"]["last_alert_rule"] == "angry"
    assert body["history_truncated"] is False


def test_unknown_and_invalid_tickets() -> None:
    assert get(FakeStore(), "T-404")["statusCode"] == 404
    assert get(FakeStore(), "bad id!")["statusCode"] == 400
    unnamed = get(FakeStore(), "T-1", source=None)
    assert unnamed["statusCode"] == 400
    assert "source is required" in json.loads(unnamed["body"])["error"]
    assert get(FakeStore(), "T-1", source="jira")["statusCode"] == 400
    assert get(FakeStore(), "T-1", brand="not a brand")["statusCode"] == 400


def test_two_helpdesks_with_the_same_ticket_id_are_two_tickets() -> None:
    """The attack: Freshdesk's ticket 1 and Zendesk's ticket 1 merged into one ticket (one key, TICKET#1)."""
    store = FakeStore()
    service = ScoringService(store, FakePublisher(), KeywordScorer(), RuleConfig(rules=()))
    service.process(queued(source="zendesk", text="This is unacceptable, cancelling"))
    service.process(queued(source="freshdesk", text="thanks for the quick reply"))
    service.process(queued(source="zendesk", brand="acme", text="thanks for the quick reply"))
    zendesk, freshdesk, acme = get(store, "T-1"), get(store, "T-1", "freshdesk"), get(store, "T-1", brand="acme")
    assert [r["statusCode"] for r in (zendesk, freshdesk, acme)] == [200, 200, 200]
    bodies = [json.loads(r["body"]) for r in (zendesk, freshdesk, acme)]
    assert [b["ticket"]["current"]["label"] for b in bodies] == ["negative", "positive", "positive"]
    assert [(b["ticket"]["source"], b["ticket"]["brand"]) for b in bodies] == [
        ("zendesk", None),
        ("freshdesk", None),
        ("zendesk", "acme"),
    ]
    assert all(b["ticket"]["message_count"] == 1 for b in bodies)
    assert get(store, "T-1", "intercom")["statusCode"] == 404
