"""Ports and records for reading the scored history back: drift, the monthly audit and the leads' report.

Kept apart from `ports.py` (the write path's ports) because these are read-only views over what the pipeline
stored; `adapters/history.py` implements them on DynamoDB, tests use in-memory lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from ..models import Label

VERDICTS = ("right_call", "false_alarm", "wrong_emotion")


class ScoredRecord(BaseModel):
    """One scored customer message (the MSG item found through GSI3 `SCORED#<day>`): scores, never text."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
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

    ticket_id: str
    product_area: str | None = None
    customer_tier: str | None = None
    first_seen: datetime | None = None
    first_agent_reply_at: datetime | None = None


class ReviewRecord(BaseModel):
    """A human verdict on an escalation (review items, GSI3 `REVIEWED#<day>`); written by the review flow."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    verdict: str  # one of VERDICTS; anything else is kept and ignored by the precision maths
    reviewed_at: datetime | None = None


class ScoredHistory(Protocol):
    def scored_between(self, start: datetime, end: datetime, *, with_ticket_meta: bool = False,
                       ) -> Iterator[ScoredRecord]:
        """Scored messages with start <= created_at < end (UTC days of GSI3); with_ticket_meta fills in the
        ticket's product area and tier."""
        ...

    def redacted_text(self, ticket_id: str, message_id: str, *, now: datetime | None = None) -> str | None:
        """The stored redacted text, or None when it never was stored or its TTL has passed."""
        ...


class ReportHistory(ScoredHistory, Protocol):
    def tickets(self, ticket_ids: Iterable[str]) -> dict[str, TicketMeta]: ...

    def reviewed_between(self, start: datetime, end: datetime) -> Iterator[ReviewRecord]: ...
