"""Builders for Slack interaction requests in the review tests: payloads, form bodies, signed API events."""

from __future__ import annotations

import json
import urllib.parse
from datetime import datetime
from typing import Any

from ticket_sentiment.review.signature import sign
from ticket_sentiment.review.slack_message import build_message

from .pipeline_fakes import api_event
from .test_pipeline_notify import alert

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's documentation example, not a real secret
RESPONSE_URL = "https://hooks.slack.com/actions/T000/1234/abcd"


def interaction(
    verdict: str = "false_alarm",
    *,
    ticket_id: str = "T-1",
    alert_id: str = "e1:angry",
    user: dict[str, Any] | None = None,
    response_url: str | None = RESPONSE_URL,
    **overrides: Any,
) -> dict[str, Any]:
    alerted = alert(ticket_id=ticket_id, alert_id=alert_id)
    message = build_message(alerted)
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user or {"id": "U0123ABC", "username": "anna", "name": "anna", "team_id": "T000"},
        "api_app_id": "A000",
        "team": {"id": "T000", "domain": "acme"},
        "channel": {"id": "C000", "name": "alerts"},
        "container": {"type": "message", "message_ts": "1700000000.000100"},
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "message": {"type": "message", "ts": "1700000000.000100", "text": message["text"], "blocks": message["blocks"]},
        "actions": [
            {
                "type": "button",
                "block_id": "ticket_sentiment_review",
                "action_id": f"review_{verdict}",
                "value": json.dumps({"ticket_id": alerted.ticket_key, "alert_id": alert_id}),
                "text": {"type": "plain_text", "text": "False alarm"},
                "action_ts": "1700000001.000200",
            }
        ],
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def form_body(payload: dict[str, Any] | str) -> bytes:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return urllib.parse.urlencode({"payload": raw}).encode()


def signed_headers(body: bytes, at: datetime, secret: str = SIGNING_SECRET) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    return {
        "X-Slack-Signature": sign(secret, timestamp, body),
        "X-Slack-Request-Timestamp": timestamp,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slack_event(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    event = api_event(body.decode(), path="/v1/slack/actions")
    event["headers"] = headers
    return event


def review_event(
    ticket_id: str, body: dict[str, Any] | str, *, source: str | None = "zendesk", brand: str | None = None
) -> dict[str, Any]:
    """POST /v1/tickets/{ticket_id}/review?source=...&brand=... (the fixtures' tickets are zendesk's)."""
    path = f"/v1/tickets/{ticket_id}/review"
    event = api_event(
        body if isinstance(body, str) else json.dumps(body), path=path, path_parameters={"ticket_id": ticket_id}
    )
    query = {k: v for k, v in {"source": source, "brand": brand}.items() if v is not None}
    event["queryStringParameters"] = query or None
    event["resource"] = "/v1/tickets/{ticket_id}/review"
    return event
