"""GET /v1/tickets/{id} against the fake store."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from ticket_sentiment.handlers.api import build_app
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, api_event, queued


def get(store: FakeStore, ticket_id: str) -> dict[str, Any]:
    path = f"/v1/tickets/{ticket_id}"
    event = api_event(None, method="GET", path=path, path_parameters={"ticket_id": ticket_id})
    event["resource"] = "/v1/tickets/{ticket_id}"
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
