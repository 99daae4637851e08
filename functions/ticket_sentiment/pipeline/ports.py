"""Ports: what the domain needs from the outside world. Adapters implement them for AWS, fakes for tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..models import EmotionScore, Label, Level, SentimentResult, Trend, level_from_label
from .events import (
    Alert,
    CustomerTier,
    EscalationState,
    Outcome,
    Priority,
    ProcessResult,
    QueuedEvent,
    Source,
)

if TYPE_CHECKING:
    from ..writeback.models import WritebackRequest


class StoredMessage(BaseModel):
    """A scored customer message as the ticket store keeps it: scores only, never raw text."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    event_id: str
    created_at: datetime
    label: Label
    level: Level
    score: float
    intensity: float
    confidence: float
    emotions: list[EmotionScore] = Field(default_factory=list)
    low_signal: bool
    language: str
    needs_fallback: bool = False  # the model does not cover its language and Comprehend did not score it
    scorer: str
    model_version: str

    _level_from_label = model_validator(mode="before")(level_from_label)


class TicketView(BaseModel):
    """The ticket item: a pure function of its scored messages plus the ticket's metadata and escalation."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    source: Source
    subject: str  # redacted
    ticket_url: str | None = None
    current: StoredMessage | None
    thread_score: float | None
    trend: Trend
    trend_delta: float | None = None
    message_count: int
    product_area: str | None
    priority: Priority
    customer_tier: CustomerTier
    first_seen: datetime
    model_version: str
    escalation_state: EscalationState = EscalationState.NONE
    last_alert_at: datetime | None = None
    last_alert_rule: str | None = None
    first_agent_reply_at: datetime | None = None  # response time of negative tickets is measured from here


class PutStatus(StrEnum):
    NEW = "new"          # first time this message is stored
    PENDING = "pending"  # stored before, its processing never finished and its lease ran out: take it over
    IN_FLIGHT = "in_flight"  # stored before and still leased: a concurrent duplicate is processing it now
    DONE = "done"        # fully processed already: a replay, change nothing


class OutcomeClaim(BaseModel):
    """The terminal outcome of one delivery: an SQS message, whose id stays the same across its redeliveries.

    Claimed with a conditional write, so whichever receive of the message claims first decides its outcome and
    every other receive of it (a batch that outlived the visibility timeout, a replay after a crash) records
    nothing. Two posts of the same event are two SQS messages, two deliveries, two outcomes (scored, duplicate).
    """

    model_config = ConfigDict(frozen=True)

    delivery_id: str
    event_id: str
    outcome: Outcome
    expires_at: datetime  # kept at least as long as SQS can redeliver the message
    # Tells this caller's own write, retried by the SDK after a lost response, from another caller's claim.
    token: str = Field(default_factory=lambda: uuid.uuid4().hex)

    @field_validator("outcome")
    @classmethod
    def _terminal(cls, outcome: Outcome) -> Outcome:
        if not outcome.terminal:
            raise ValueError(f"{outcome.value} is not a terminal outcome")
        return outcome


class EventQueue(Protocol):
    def send(self, event: QueuedEvent) -> None: ...


class WritebackSink(Protocol):
    """Where write-backs to the helpdesk go (the write-back queue); sending the same request twice is harmless."""

    def send(self, request: WritebackRequest) -> None: ...


class AlertPublisher(Protocol):
    def publish(self, alert: Alert) -> None: ...


class TextScorer(Protocol):
    def score_prepared(self, texts: Sequence[str], languages: Sequence[str] | None = None,
                       ) -> list[SentimentResult]: ...


class TicketStore(Protocol):
    def message_status(self, ticket_id: str, message_id: str) -> PutStatus | None: ...

    def put_message(self, ticket_id: str, message: StoredMessage, redacted_text: str | None,
                    expires_at: datetime | None, *, now: datetime, lease_seconds: int) -> PutStatus:
        """Conditional insert that leases the message to this caller for `lease_seconds`.

        NEW: inserted. DONE: fully processed before. IN_FLIGHT: another caller holds an unexpired lease.
        PENDING: a caller's lease ran out before it finished; this caller now holds the lease (conditionally).
        """
        ...

    def list_messages(self, ticket_id: str) -> list[StoredMessage]: ...

    def save_ticket(self, view: TicketView, *, refresh_meta: bool) -> bool:
        """Write the aggregate unless a view built from more messages is already stored.

        Escalation fields are never touched; metadata (priority, tier, ...) only with `refresh_meta`.
        """
        ...

    def claim_alert(self, ticket_id: str, message_id: str, *, rule: str, state: EscalationState, now: datetime,
                    cooldown_minutes: int) -> bool:
        """Conditional: True when no alert was claimed within the cooldown (or this message holds the claim)."""
        ...

    def mark_done(self, ticket_id: str, message_id: str, claim: OutcomeClaim | None = None) -> bool:
        """Mark the message fully processed. With `claim`, atomically with claiming the delivery's outcome (one
        transaction): False, and nothing written, when that delivery's outcome is already claimed by another
        caller. So no receive of the delivery ever sees the message done before its outcome is claimed."""
        ...

    def delivery_outcome(self, delivery_id: str) -> Outcome | None:
        """The outcome claimed for this delivery, if any (a consistent read)."""
        ...

    def claim_outcome(self, claim: OutcomeClaim) -> bool:
        """Conditional insert of the delivery's outcome: True when this caller holds the claim (it was free, or
        this very claim, same token, is already stored), False when another caller claimed the delivery."""
        ...

    def get_ticket(self, ticket_id: str) -> TicketView | None: ...

    def record_agent_reply(self, ticket_id: str, at: datetime) -> bool:
        """Keep the earliest agent reply time on the ticket (replays and later replies change nothing); True when
        `at` became the ticket's first reply time."""
        ...


class SlackPoster(Protocol):
    def post(self, message: dict[str, Any]) -> None:
        """Deliver or raise (after the adapter's own retries)."""
        ...


class FailedAlertSink(Protocol):
    def send(self, alert_json: str, reason: str) -> None: ...


class EventProcessor(Protocol):
    def prescore(self, batch: Sequence[QueuedEvent]) -> None: ...

    def process(self, queued: QueuedEvent, *, delivery_id: str | None = None) -> ProcessResult:
        """`delivery_id`: the SQS message id of the record (see OutcomeClaim)."""
        ...


# --- Human review of escalations (review/, adapters/reviews.py, handlers/review.py) ---
if TYPE_CHECKING:
    from ..review.models import Review


class ReviewStore(Protocol):
    def record(self, review: Review) -> Review:
        """Upsert the alert's one verdict (latest review wins, the first review time is kept) and stamp the ticket;
        returns the review as stored."""
        ...

    def reviews_since(self, since: datetime) -> list[Review]:
        """Every alert's latest verdict reviewed at or after `since`."""
        ...


class SlackResponder(Protocol):
    def post(self, url: str, message: dict[str, Any]) -> None:
        """Update the message behind an interaction's response_url, or raise."""
        ...
