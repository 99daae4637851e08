"""Records for reading the scored history back: drift, the monthly audit and the leads' report.

Read-only views over what the pipeline stored; `ports.ScoredHistory`/`ReportHistory` read them, `adapters/history.py`
implements those on DynamoDB, tests use in-memory lists.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from ..models import Label

VERDICTS = ("right_call", "false_alarm", "wrong_emotion")


class ScoredRecord(BaseModel):
    """One scored customer message (the MSG item found through GSI3 `SCORED#<day>`): scores, never text."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str  # the ticket's canonical key (identity.TicketRef: `<source>[/<brand>]:<id>`), as in the table
    message_id: str
    created_at: datetime
    label: Label
    score: float
    intensity: float
    confidence: float
    low_signal: bool
    language: str
    scorer: str
    model_version: str
    # From the ticket item when the caller asked for them (low-cardinality, not personal data).
    product_area: str | None = None
    customer_tier: str | None = None


class TicketMeta(BaseModel):
    """What the report needs from a ticket item."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str  # the ticket's canonical key
    product_area: str | None = None
    customer_tier: str | None = None
    first_seen: datetime | None = None
    first_agent_reply_at: datetime | None = None


class ReviewRecord(BaseModel):
    """A human verdict on an escalation (review items, GSI3 `REVIEWED#<day>`); written by the review flow."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str  # the ticket's canonical key
    verdict: str  # one of VERDICTS; anything else is kept and ignored by the precision maths
    reviewed_at: datetime | None = None
