"""Slack's interaction payload (a button click on an alert) -> a Review. Pure: the signature is checked first.

Slack posts `application/x-www-form-urlencoded` with one field, `payload`, holding JSON
(https://api.slack.com/reference/interaction-payloads/block-actions): type "block_actions", the user, the clicked
action (our action id and the button's value: the ticket and alert ids), a `response_url` to update the message,
and the message itself (ts, text, blocks).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import bounded_json
from .errors import BadReview
from .models import VERDICTS, Review, Verdict, action_id, looks_like_email

MAX_PAYLOAD_BYTES = 100_000  # a message's blocks are at most 50; Slack's payloads stay far below this
_BY_ACTION: dict[str, Verdict] = {action_id(v): v for v in VERDICTS}


class _SlackUser(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9]+$")
    username: str | None = None
    name: str | None = None


class _SlackAction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action_id: str = Field(min_length=1, max_length=255)
    value: str | None = Field(default=None, max_length=2000)


class _SlackMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ts: str | None = None
    text: str | None = None
    blocks: list[dict[str, Any]] = Field(default_factory=list, max_length=100)


class _BlockActions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["block_actions"]
    user: _SlackUser
    actions: list[_SlackAction] = Field(min_length=1)
    response_url: str | None = None
    message: _SlackMessage | None = None


class _ButtonValue(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ticket_id: str
    alert_id: str


@dataclass(frozen=True)
class SlackInteraction:
    """A parsed click: the review to record, and what is needed to update the message in place."""

    review: Review
    reviewer_name: str
    response_url: str | None
    message_text: str | None
    message_blocks: list[dict[str, Any]] | None
    message_ts: str | None


def _fields(exc: ValidationError) -> str:
    return ", ".join(sorted({".".join(str(p) for p in e["loc"]) or "payload" for e in exc.errors()}))


def _payload_json(raw_body: bytes) -> dict[str, Any]:
    if len(raw_body) > MAX_PAYLOAD_BYTES:
        raise BadReview(f"body is larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        form = urllib.parse.parse_qs(
            raw_body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, max_num_fields=20
        )
    except (UnicodeDecodeError, ValueError):
        raise BadReview("body is not a URL-encoded form") from None
    values = form.get("payload", [])
    if len(values) != 1:
        raise BadReview("body must have exactly one payload field")
    try:
        data = bounded_json.loads(values[0])
    except bounded_json.JsonInputError as exc:  # bad JSON, nested too deep, or an integer past the bound
        raise BadReview(exc.reason("payload")) from None
    if not isinstance(data, dict):
        raise BadReview("payload must be a JSON object")
    return data


def _reviewer_name(user: _SlackUser) -> str:
    # Prefer the handle; an email-like or empty name falls back to the opaque user id (never store an email).
    for candidate in (user.username, user.name):
        if (
            candidate
            and candidate.strip()
            and not looks_like_email(candidate)
            and len(candidate.strip()) <= 80
            and candidate.isprintable()
        ):
            return candidate.strip()
    return user.id


def parse_interaction(raw_body: bytes, now: datetime) -> SlackInteraction:
    """The review a click means; BadReview (400) with a reason naming fields, never values."""
    data = _payload_json(raw_body)
    if data.get("type") != "block_actions":
        raise BadReview("payload type must be block_actions")
    try:
        payload = _BlockActions.model_validate(data)
    except ValidationError as exc:
        raise BadReview(f"invalid interaction payload: {_fields(exc)}") from None
    action = payload.actions[0]
    verdict = _BY_ACTION.get(action.action_id)
    if verdict is None:
        raise BadReview("unknown review action")
    if action.value is None:
        raise BadReview("review button has no value")
    try:
        ids = _ButtonValue.model_validate_json(action.value)
    except ValidationError:
        raise BadReview("review button value must be JSON with ticket_id and alert_id") from None
    name = _reviewer_name(payload.user)
    try:
        review = Review(
            ticket_id=ids.ticket_id,
            alert_id=ids.alert_id,
            verdict=verdict,
            reviewer=name,
            reviewer_id=payload.user.id,
            reviewed_at=now,
            source="slack",
        )
    except ValidationError as exc:
        raise BadReview(f"invalid review: {_fields(exc)}") from None
    message = payload.message
    return SlackInteraction(
        review=review,
        reviewer_name=name,
        response_url=payload.response_url,
        message_text=message.text if message else None,
        message_blocks=list(message.blocks) if message and message.blocks else None,
        message_ts=message.ts if message else None,
    )
