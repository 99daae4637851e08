"""Slack interaction payloads -> reviews (malformed -> a typed 400), the review buttons on alerts, and the
message that replaces an alert once reviewed."""

from __future__ import annotations

import json
import urllib.parse
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from ticket_sentiment.review.errors import BadReview
from ticket_sentiment.review.message import reviewed_message
from ticket_sentiment.review.models import REVIEWED_BLOCK_ID, Review, ReviewRequest
from ticket_sentiment.review.slack_message import build_message
from ticket_sentiment.review.slack_payload import parse_interaction

from .pipeline_fakes import T0
from .review_support import RESPONSE_URL, form_body, interaction
from .test_pipeline_notify import alert


@pytest.mark.parametrize("verdict", ["right_call", "false_alarm", "wrong_emotion"])
def test_a_click_becomes_a_review(verdict: str) -> None:
    click = parse_interaction(form_body(interaction(verdict)), T0)
    assert click.review == Review.model_validate(
        dict(
            ticket_id="zendesk:T-1",
            alert_id="e1:angry",
            verdict=verdict,
            reviewer="anna",
            reviewer_id="U0123ABC",
            reviewed_at=T0,
            source="slack",
        )
    )
    assert click.response_url == RESPONSE_URL
    assert click.message_ts == "1700000000.000100"
    assert click.message_blocks is not None
    assert click.message_blocks[-1]["type"] == "actions"


def test_reviewer_name_never_an_email() -> None:
    user = {"id": "U0123ABC", "username": "anna.smith@example.com", "name": "anna.smith@example.com"}
    click = parse_interaction(form_body(interaction(user=user)), T0)
    assert click.review.reviewer == "U0123ABC"  # the opaque id instead
    assert "example.com" not in click.review.model_dump_json()
    click = parse_interaction(form_body(interaction(user={"id": "U0123ABC", "name": "anna"})), T0)
    assert click.review.reviewer == "anna"


def test_message_and_response_url_are_optional() -> None:
    click = parse_interaction(form_body(interaction(message=None, response_url=None)), T0)
    assert click.response_url is None
    assert click.message_blocks is None
    assert click.review.verdict == "false_alarm"


def _action(**changes: Any) -> dict[str, Any]:
    payload = interaction()
    payload["actions"][0].update(changes)
    return payload


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "exactly one payload"),
        (b"payload=%7B&payload=%7B", "exactly one payload"),
        (b"\xff\xfe", "URL-encoded form"),
        (b"just some text", "URL-encoded form"),
        (form_body("{not json"), "not valid JSON"),
        (form_body("[1, 2]"), "JSON object"),
        (form_body(interaction() | {"type": "view_submission"}), "block_actions"),
        (form_body({"type": "block_actions"}), "invalid interaction payload: actions, user"),
        (form_body(interaction(actions=[])), "invalid interaction payload: actions"),
        (form_body(interaction(user={"id": "not a slack id"})), "user.id"),
        (form_body(_action(action_id="approve_refund")), "unknown review action"),
        (form_body(_action(value=None)), "no value"),
        (form_body(_action(value="T-1:e1:angry")), "ticket_id and alert_id"),
        (form_body(_action(value=json.dumps({"ticket_id": "T-1"}))), "ticket_id and alert_id"),
        (
            form_body(_action(value=json.dumps({"ticket_id": "bad id!", "alert_id": "e1:angry"}))),
            "invalid review: ticket_id",
        ),
        (
            form_body(_action(value=json.dumps({"ticket_id": "zendesk:T-1", "alert_id": "no-colon"}))),
            "invalid review: alert_id",
        ),
        (  # a bare helpdesk id names no ticket: the same id in two helpdesks is two tickets
            form_body(_action(value=json.dumps({"ticket_id": "T-1", "alert_id": "e1:angry"}))),
            "invalid review: ticket_id",
        ),
        (
            form_body(_action(value=json.dumps({"ticket_id": "acme:T-1", "alert_id": "e1:angry"}))),
            "invalid review: ticket_id",
        ),
        (b"payload=" + b"x" * 100_001, "larger than"),
    ],
)
def test_malformed_payloads_are_typed_400s(body: bytes, reason: str) -> None:
    with pytest.raises(BadReview) as info:
        parse_interaction(body, T0)
    assert info.value.status == 400, info.value.reason
    assert reason in info.value.reason, info.value.reason
    # Reasons name fields, never the values sent.
    assert "not a slack id" not in info.value.reason
    assert "approve_refund" not in info.value.reason


def test_form_with_other_fields_still_parses() -> None:
    body = urllib.parse.urlencode({"payload": json.dumps(interaction()), "extra": "1"}).encode()
    assert parse_interaction(body, T0).review.alert_id == "e1:angry"


def test_review_model_rejects_emails_and_naive_times() -> None:
    base = {
        "ticket_id": "zendesk:T-1",
        "alert_id": "e1:angry",
        "verdict": "right_call",
        "reviewed_at": T0,
        "source": "api",
    }
    with pytest.raises(ValidationError, match="not an email"):
        Review.model_validate(base | {"reviewer": "Anna <anna@example.com>"})
    with pytest.raises(ValidationError):
        Review.model_validate(base | {"reviewer": "anna", "reviewed_at": T0.replace(tzinfo=None)})
    with pytest.raises(ValidationError):
        Review.model_validate(base | {"reviewer": "anna", "verdict": "maybe"})
    with pytest.raises(ValidationError):
        ReviewRequest.model_validate({"alert_id": "e1:angry", "verdict": "right_call", "reviewer": "a@b.io"})
    with pytest.raises(ValidationError):
        ReviewRequest.model_validate(
            {"alert_id": "e1:angry", "verdict": "right_call", "reviewer": "anna", "email": "x"}
        )
    utc = Review.model_validate(base | {"reviewer": "anna", "reviewed_at": "2026-03-02T10:00:00+01:00"}).reviewed_at
    assert utc == T0
    assert utc.utcoffset() == timedelta(0)


def test_alert_message_has_review_buttons_with_ids_only() -> None:
    message = build_message(alert())
    actions = message["blocks"][-1]
    assert actions["type"] == "actions"
    assert [b["action_id"] for b in actions["elements"]] == [
        "review_right_call",
        "review_false_alarm",
        "review_wrong_emotion",
    ]
    assert [b["text"]["text"] for b in actions["elements"]] == ["Right call", "False alarm", "Wrong emotion"]
    for button in actions["elements"]:
        assert json.loads(button["value"]) == {"ticket_id": "zendesk:T-1", "alert_id": "e1:angry"}
        assert len(button["value"]) <= 2000  # Slack's limit on a button value
    assert [b["type"] for b in message["blocks"]] == ["header", "section", "section", "section", "context", "actions"]


def test_reviewed_message_replaces_the_buttons_with_the_verdict() -> None:
    original = build_message(alert())
    updated = reviewed_message(original["blocks"], original["text"], "anna", "false_alarm")
    assert updated["replace_original"] is True
    assert updated["text"] == original["text"]
    assert updated["blocks"][:-1] == original["blocks"][:-1]
    assert updated["blocks"][-1] == {
        "type": "context",
        "block_id": REVIEWED_BLOCK_ID,
        "elements": [{"type": "mrkdwn", "text": "Reviewed by @anna: False alarm"}],
    }
    assert not any(b["type"] == "actions" for b in updated["blocks"])
    # Reviewed again (e.g. from an older copy of the message): the line is replaced, not stacked.
    again = reviewed_message(updated["blocks"], None, "<b>", "wrong_emotion")
    assert [b["type"] for b in again["blocks"]] == [b["type"] for b in updated["blocks"]]
    assert again["blocks"][-1]["elements"][0]["text"] == "Reviewed by @&lt;b&gt;: Wrong emotion"
    assert "text" not in again


def test_reviewed_message_finds_the_buttons_by_action_id_and_copes_without_blocks() -> None:
    blocks = build_message(alert())["blocks"]
    blocks[-1] = {k: v for k, v in blocks[-1].items() if k != "block_id"} | {"block_id": "rewritten"}
    updated = reviewed_message(blocks, "t", "anna", "right_call")
    assert updated["blocks"][-1]["elements"][0]["text"] == "Reviewed by @anna: Right call"
    assert len(updated["blocks"]) == len(blocks)
    assert reviewed_message(None, None, "anna", "right_call")["blocks"] == [
        {
            "type": "context",
            "block_id": REVIEWED_BLOCK_ID,
            "elements": [{"type": "mrkdwn", "text": "Reviewed by @anna: Right call"}],
        }
    ]
