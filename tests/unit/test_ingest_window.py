"""A created_at outside [now - 30 days, now + 10 minutes] is refused at ingest with a 400 naming the field, before
anything is queued (issue #16): a future-dated "Thanks" would stay the ticket's current message and silence later
alerts, and 9999-12-31T23:59:59-14:00 used to be accepted, overflow in the scorer and land in the DLQ."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ticket_sentiment.handlers.ingest import build_app
from ticket_sentiment.helpdesks import BadPayload, handle_webhook
from ticket_sentiment.pipeline.window import CreatedAtWindow

from .helpdesk_support import GENERIC_TOKEN, NOW, SECRETS, fixture, token_headers, zendesk_headers
from .pipeline_fakes import FakeQueue, api_event, body_of, event_payload

CLOCK = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def post(queue: FakeQueue, created_at: str, window: CreatedAtWindow | None = None) -> dict[str, Any]:
    app = build_app(lambda: queue, clock=lambda: CLOCK, window=window)
    body = json.dumps(event_payload(created_at=created_at))
    response: dict[str, Any] = app.resolve(api_event(body), None)  # type: ignore[arg-type]
    return response


@pytest.mark.parametrize(
    "created_at",
    [
        "9999-12-31T23:59:59-14:00",  # the overflow that used to reach the DLQ
        "2099-01-01T00:00:00Z",  # the alert-suppressing future "Thanks"
        (CLOCK + timedelta(minutes=11)).isoformat(),
        (CLOCK - timedelta(days=30, seconds=1)).isoformat(),
        "0001-01-01T00:00:00+14:00",
    ],
)
def test_out_of_window_created_at_is_400_naming_the_field_and_nothing_is_queued(created_at: str) -> None:
    queue = FakeQueue()
    response = post(queue, created_at)
    assert response["statusCode"] == 400
    assert queue.sent == []
    assert [d["field"] for d in body_of(response)["details"]] == ["created_at"]


@pytest.mark.parametrize(
    "created_at",
    [(CLOCK + timedelta(minutes=9)).isoformat(), (CLOCK - timedelta(days=29)).isoformat(), CLOCK.isoformat()],
)
def test_in_window_created_at_is_accepted(created_at: str) -> None:
    queue = FakeQueue()
    assert post(queue, created_at)["statusCode"] == 202
    assert len(queue.sent) == 1


def test_the_window_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    old = (CLOCK - timedelta(days=45)).isoformat()
    assert post(FakeQueue(), old)["statusCode"] == 400
    assert post(FakeQueue(), old, CreatedAtWindow(max_age=timedelta(days=60)))["statusCode"] == 202
    monkeypatch.setenv("INGEST_MAX_AGE_DAYS", "60")
    monkeypatch.setenv("INGEST_MAX_AHEAD_MINUTES", "1")
    assert post(FakeQueue(), old)["statusCode"] == 202
    assert post(FakeQueue(), (CLOCK + timedelta(minutes=2)).isoformat())["statusCode"] == 400


def test_generic_webhook_refuses_a_future_event_naming_the_field() -> None:
    body = json.dumps(event_payload(created_at="9999-12-31T23:59:59-14:00")).encode()
    with pytest.raises(BadPayload) as info:
        handle_webhook("generic", token_headers(GENERIC_TOKEN), body, SECRETS["generic"], NOW)
    assert [d["field"] for d in info.value.details] == ["created_at"]


def test_a_signed_helpdesk_message_outside_the_window_is_skipped_with_its_reason() -> None:
    """From a helpdesk's own signed payload the message is skipped (named in the reply), not the whole batch
    refused: the platform would otherwise retry it forever."""
    body = fixture("zendesk_comment_created.json")
    result = handle_webhook(
        "zendesk",
        zendesk_headers(body),
        body,
        SECRETS["zendesk"],
        NOW,
        window=CreatedAtWindow(max_age=timedelta(seconds=1), max_ahead=timedelta(0)),
    )
    assert result.events == ()
    assert any("created_at" in s.reason for s in result.skipped)
    assert "created_at" in result.response.body
