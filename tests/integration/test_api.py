"""GET /v1/tickets/{id} reading what the score handler wrote to DynamoDB (moto)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.handlers.api import build_app
from ticket_sentiment_tools.local_stack import LocalStack

from ..unit.pipeline_fakes import T0, api_event, event_payload
from .test_score_pipeline import ANGRY, RULES, post


def get(stack: LocalStack, ticket_id: str, source: str = "other") -> dict[str, Any]:
    event = api_event(None, method="GET", path=f"/v1/tickets/{ticket_id}", path_parameters={"ticket_id": ticket_id})
    event["resource"] = "/v1/tickets/{ticket_id}"
    event["queryStringParameters"] = {"source": source}  # the fixtures' producer posts as source other
    response: dict[str, Any] = build_app(stack.store).resolve(event, None)  # type: ignore[arg-type]
    return response


def test_ticket_history_from_dynamodb(stack: LocalStack, scorer: OnnxSentimentScorer) -> None:
    post(stack, event_payload(message_id="m-1", text="Thanks, the new dashboard looks great!"))
    post(stack, event_payload(message_id="m-2", text=ANGRY, created_at=(T0 + timedelta(days=1)).isoformat()))
    stack.pump_events(stack.scoring_service(scorer, RULES))
    response = get(stack, "T-1")
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert [m["message_id"] for m in body["history"]] == ["m-1", "m-2"]
    ticket = body["ticket"]
    assert ticket["current"]["message_id"] == "m-2"
    assert ticket["current"]["label"] == "negative"
    assert ticket["trend"] == "worsening"
    assert ticket["escalation_state"] == "alerted"
    assert ticket["first_seen"].startswith("2026-03-02T09:00")
    assert all(m["scorer"] == "onnx" for m in body["history"])
    assert "7946" not in response["body"]
    assert get(stack, "T-missing")["statusCode"] == 404


def test_a_language_the_model_does_not_cover_is_marked_in_the_ticket_view(
    stack: LocalStack, scorer: OnnxSentimentScorer
) -> None:
    """SCORER=onnx (or the local stack): no label from the model for Spanish, and the ticket says why."""
    text = "Llevo dos semanas esperando el reembolso y nadie me contesta. Es inaceptable."
    post(stack, event_payload(ticket_id="T-es", message_id="m-1", text=text))
    stack.pump_events(stack.scoring_service(scorer, RULES))
    body = json.loads(get(stack, "T-es")["body"])
    current = body["ticket"]["current"]
    assert current["needs_fallback"] is True
    assert current["language"] == "es"
    assert current["label"] == "neutral"
    assert current["score"] == 0.0
    assert body["ticket"]["escalation_state"] == "none"
    assert body["history"][0]["needs_fallback"] is True
