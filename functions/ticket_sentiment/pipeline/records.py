"""What the ticket store keeps: scored messages, the ticket aggregate, put statuses, delivery outcome claims, and
the lifecycle's retention policy and erasure receipts.

The ports that read and write them are in `ticket_sentiment.ports`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..events import CustomerTier, EscalationState, Outcome, Priority, Source
from ..identity import Brand, Origin, TicketRef
from ..models import EmotionScore, Label, Level, Trend, level_from_label


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

    ticket_id: str  # the helpdesk's id; the ticket's identity is `ref` (source, brand, id)
    source: Source
    brand: Brand | None = None
    # The route its first message arrived through (kept, never overwritten): write-back needs the helpdesk's own.
    origin: Origin | None = None
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

    @property
    def ref(self) -> TicketRef:
        return TicketRef.model_construct(source=self.source, brand=self.brand, ticket_id=self.ticket_id)


class PutStatus(StrEnum):
    NEW = "new"  # first time this message is stored
    PENDING = "pending"  # stored before, its processing never finished and its lease ran out: take it over
    IN_FLIGHT = "in_flight"  # stored before and still leased: a concurrent duplicate is processing it now
    DONE = "done"  # fully processed already: a replay, change nothing


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


# --- The data's lifecycle (pipeline/lifecycle.py): retention by policy, erasure receipts ---

# SQS keeps a message at most 14 days: a delivery's outcome must outlive every redelivery of it.
MIN_DELIVERY_DAYS = 14


class Retention(BaseModel):
    """Days each kind of item is kept after its last write (defaults and reasons: README, "Data retention")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticket: int = Field(396, ge=1, description="the ticket aggregate, its escalation state and alert claim")
    message: int = Field(396, ge=1, description="scored messages: 13 months, for year-on-year dashboards")
    text: int = Field(35, ge=1, description="redacted message text: a monthly audit and its review")
    review: int = Field(396, ge=1, description="review verdicts: a year of escalation precision")
    delivery: int = Field(MIN_DELIVERY_DAYS, ge=MIN_DELIVERY_DAYS, description="SQS delivery outcome claims")
    erasure_receipt: int = Field(1096, ge=1, description="erasure receipts: three years of proof of erasure")

    def expires_at(self, kind: str, now: datetime) -> int:
        """The TTL attribute's value (epoch seconds) for an item of `kind` written at `now`."""
        return int((now.astimezone(UTC) + timedelta(days=int(getattr(self, kind)))).timestamp())


class ErasureCounts(BaseModel):
    """How many items of each kind an erasure removed."""

    model_config = ConfigDict(frozen=True)

    ticket: int = 0
    message: int = 0
    text: int = 0
    review: int = 0
    other: int = 0
    queued: int = 0  # audit rows and dead-lettered alerts taken off the holding queues

    @property
    def total(self) -> int:
        return self.ticket + self.message + self.text + self.review + self.other + self.queued


class ErasureReceipt(BaseModel):
    """Proof that a ticket was erased, without its id or any content."""

    model_config = ConfigDict(frozen=True)

    ticket_hash: str
    erased_at: datetime
    counts: ErasureCounts
    erased: bool = Field(description="False when nothing of the ticket was stored (a repeat: no receipt written)")
