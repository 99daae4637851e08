"""The review of one escalation: what a human said about an alert, from Slack buttons or the API.

No email is ever stored: a reviewer is a display name or handle (and, from Slack, the opaque user id).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..identity import IDENTIFIER_PATTERN, BadTicketRefError, TicketRef

Verdict = Literal["right_call", "false_alarm", "wrong_emotion"]
ReviewSource = Literal["slack", "api"]
VERDICTS: tuple[Verdict, ...] = ("right_call", "false_alarm", "wrong_emotion")

# What the buttons and the reviewed line say.
VERDICT_LABELS: dict[Verdict, str] = {
    "right_call": "Right call",
    "false_alarm": "False alarm",
    "wrong_emotion": "Wrong emotion",
}
ACTION_PREFIX = "review_"
REVIEW_BLOCK_ID = "ticket_sentiment_review"  # the actions block with the buttons
REVIEWED_BLOCK_ID = "ticket_sentiment_reviewed"  # the context line that replaces it


def action_id(verdict: Verdict) -> str:
    return f"{ACTION_PREFIX}{verdict}"


def button_value(ticket_key: str, alert_id: str) -> str:
    """What a review button carries: ids only, never text (the value comes back with every click). `ticket_id`
    holds the ticket's canonical key (identity.TicketRef: source, brand and id)."""
    return json.dumps({"ticket_id": ticket_key, "alert_id": alert_id}, separators=(",", ":"))


def _ticket_key(value: str) -> str:
    try:
        return TicketRef.parse(value).key
    except BadTicketRefError as exc:
        raise ValueError(str(exc)) from None


# The ticket's canonical key, `<source>[/<brand>]:<ticket id>`: a bare helpdesk id names no ticket.
TicketId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=210, pattern=IDENTIFIER_PATTERN),
    AfterValidator(_ticket_key),
]
# An alert id is "<event id>:<rule name>" (see ScoringService.process).
AlertId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=200, pattern=r"^[A-Za-z0-9._-]+:[A-Za-z0-9._-]+$"
    ),
]
SlackUserId = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Z0-9]+$")]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL.search(value))


def _check_reviewer(value: str) -> str:
    # Reviews outlive staff turnover and feed dashboards: a display name is enough, an email is personal data.
    if looks_like_email(value):
        raise ValueError("reviewer must be a name or handle, not an email address")
    if _CONTROL.search(value):
        raise ValueError("reviewer must not contain control characters")
    return value


ReviewerName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), AfterValidator(_check_reviewer)
]


class Review(BaseModel):
    """One verdict on one alert. A later verdict on the same alert replaces it (the store keeps the first time)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket_id: TicketId
    alert_id: AlertId
    verdict: Verdict
    reviewer: ReviewerName
    reviewer_id: SlackUserId | None = None  # Slack's user id (opaque); None from the API
    reviewed_at: AwareDatetime
    source: ReviewSource
    first_reviewed_at: AwareDatetime | None = None  # the alert's first review, as the store keeps it
    # The model that scored the alerted message, as the store found it: precision is reported per version.
    model_version: str | None = None

    @field_validator("reviewed_at", "first_reviewed_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @property
    def key(self) -> tuple[str, str]:
        return self.ticket_id, self.alert_id

    @property
    def ref(self) -> TicketRef:
        return TicketRef.parse(self.ticket_id)


class ReviewRequest(BaseModel):
    """Body of POST /v1/tickets/{ticket_id}/review (teams without Slack)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_id: AlertId
    verdict: Verdict
    reviewer: ReviewerName = Field(description="a name or handle, never an email address")
