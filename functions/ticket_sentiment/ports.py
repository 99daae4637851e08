"""Ports: every Protocol the domain needs from the outside world, defined once.

Adapters (adapters/) implement them for AWS, Slack and the helpdesks; tests implement them with fakes. Only the
Protocols and what their signatures name live here; the records they carry are domain models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    # Annotations only: importing a port loads no domain package (a handler's cold start pays for what it uses),
    # and the domain modules that take these ports can import this module without a cycle.
    from .audit.models import AuditRow
    from .events import Alert, EscalationState, Outcome, ProcessResult, QueuedEvent
    from .helpdesks.rotation import SecretVersions
    from .identity import TicketRef
    from .models import SentimentResult
    from .pipeline.history import ReviewRecord, ScoredRecord, TicketMeta
    from .pipeline.records import (
        ErasureCounts,
        ErasureReceipt,
        OutcomeClaim,
        PutStatus,
        StoredMessage,
        TicketView,
    )
    from .pipeline.shadow_records import ShadowRecord
    from .redaction.models import RedactionResult
    from .review.models import Review
    from .writeback.models import WritebackRequest


# A helpdesk's webhook secret by platform name: its JSON, or its versions (verified across a rotation:
# helpdesks.rotation), or None when there is none; raises SecretUnavailableError.
SecretLookup = Callable[[str], "str | SecretVersions | None"]


class SecretUnavailableError(RuntimeError):
    """The secret could not be read (an AWS error other than "no such secret"): the caller should retry."""


class EventQueue(Protocol):
    def send(self, event: QueuedEvent) -> None: ...


class WritebackSink(Protocol):
    """Where write-backs to the helpdesk go (the write-back queue); sending the same request twice is harmless."""

    def send(self, request: WritebackRequest) -> None: ...


class AlertPublisher(Protocol):
    def publish(self, alert: Alert) -> None: ...


class TextScorer(Protocol):
    def score_prepared(
        self,
        texts: Sequence[str],
        languages: Sequence[str] | None = None,
    ) -> list[SentimentResult]: ...


class ShadowStore(Protocol):
    """Where the shadow model's scores go (pipeline/shadow.py): apart from the scored messages, with their TTL."""

    def put_shadow(self, record: ShadowRecord, *, now: datetime) -> None:
        """Store (or replace: a redelivery scores the message again) the message's shadow record."""
        ...


class ShadowHistory(Protocol):
    def shadow_between(self, start: datetime, end: datetime) -> Iterator[ShadowRecord]:
        """Shadow records of the messages with start <= created_at < end."""
        ...


class PiiSecondPass(Protocol):
    """A second redaction pass over text the local pass has redacted (redaction.comprehend.ComprehendPiiRedactor):
    each field redacted further, or returned as it came when the pass fails."""

    def redact_fields(self, locals_: Sequence[RedactionResult], language: str) -> list[RedactionResult]: ...


class TicketStore(Protocol):
    def message_status(self, ticket: TicketRef, message_id: str) -> PutStatus | None: ...

    def put_message(
        self,
        ticket: TicketRef,
        message: StoredMessage,
        redacted_text: str | None,
        expires_at: datetime | None,
        *,
        now: datetime,
        lease_seconds: int,
    ) -> PutStatus:
        """Conditional insert that leases the message to this caller for `lease_seconds`.

        NEW: inserted. DONE: fully processed before. IN_FLIGHT: another caller holds an unexpired lease.
        PENDING: a caller's lease ran out before it finished; this caller now holds the lease (conditionally).
        """
        ...

    def list_messages(self, ticket: TicketRef) -> list[StoredMessage]: ...

    def save_ticket(self, view: TicketView, *, refresh_meta: bool, requester_hash: str | None = None) -> bool:
        """Write the aggregate unless a view built from more messages is already stored.

        Escalation fields are never touched; metadata (priority, tier, ...) only with `refresh_meta`; the
        requester's keyed hash, when given, indexes the ticket for erasure by requester (never read back).
        """
        ...

    def claim_alert(
        self,
        ticket: TicketRef,
        message_id: str,
        *,
        rule: str,
        state: EscalationState,
        now: datetime,
        cooldown_minutes: int,
    ) -> bool:
        """Conditional: True when no alert was claimed within the cooldown (or this message holds the claim)."""
        ...

    def mark_done(self, ticket: TicketRef, message_id: str, claim: OutcomeClaim | None = None) -> bool:
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

    def get_ticket(self, ticket: TicketRef) -> TicketView | None: ...

    def record_agent_reply(self, ticket: TicketRef, at: datetime) -> bool:
        """Keep the earliest agent reply time on the ticket (replays and later replies change nothing); True when
        `at` became the ticket's first reply time."""
        ...


class ErasableStore(Protocol):
    """Erasure on request (pipeline/lifecycle.py): the ticket store's one destructive use."""

    def erase_ticket(self, ticket: TicketRef) -> ErasureCounts:
        """Delete every item of the ticket (ticket, messages, text, reviews); counts by kind, all zero when none."""
        ...

    def record_erasure(self, receipt: ErasureReceipt) -> None:
        """Store the receipt (hash, time, counts: no content), itself kept for its retention."""
        ...

    def tickets_of_requester(self, requester_hash: str) -> list[TicketRef]:
        """The ids of the stored tickets whose requester has this keyed hash (pipeline.lifecycle.requester_hash)."""
        ...

    def drop_message(self, ticket: TicketRef, message_id: str) -> ErasureCounts:
        """Delete one message's items (its score and its text); counts, all zero when it was not stored."""
        ...

    def restate_ticket(self, view: TicketView) -> bool:
        """Replace the ticket's scores with `view`'s after a message was dropped (the count may go down; metadata
        and escalation are kept); False when the ticket is not stored."""
        ...


class ParkedQueue(Protocol):
    """A queue no function polls, whose messages wait for a person or a redrive (the audit queue, the notify
    dead-letter queue): erasure takes a ticket's messages off it."""

    def purge_ticket(self, ticket: TicketRef, only: frozenset[str] | None = None) -> int:
        """Delete the messages naming the ticket (with `only`, those whose message or event id is in it); how
        many."""
        ...


class TicketAdminStore(TicketStore, ErasableStore, Protocol):
    """The read/admin API's store: read a ticket, erase it."""


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


# --- Reading the scored history back: drift, the monthly audit, the leads' report (adapters/history.py) ---


class ScoredHistory(Protocol):
    def scored_between(
        self,
        start: datetime,
        end: datetime,
        *,
        with_ticket_meta: bool = False,
    ) -> Iterator[ScoredRecord]:
        """Scored messages with start <= created_at < end (UTC days of GSI3); with_ticket_meta fills in the
        ticket's product area and tier."""
        ...

    def redacted_text(self, ticket_id: str, message_id: str, *, now: datetime | None = None) -> str | None:
        """The stored redacted text, or None when it never was stored or its TTL has passed. `ticket_id` is the
        record's: the ticket's canonical key (identity.TicketRef.key)."""
        ...


class ReportHistory(ScoredHistory, Protocol):
    def tickets(self, ticket_ids: Iterable[str]) -> dict[str, TicketMeta]: ...

    def reviewed_between(self, start: datetime, end: datetime) -> Iterator[ReviewRecord]: ...


class AuditSink(Protocol):
    """Where the monthly audit's rows go (the audit queue); returns how many were queued."""

    def send_rows(self, rows: Sequence[AuditRow]) -> int: ...


# --- Write-back to the helpdesks (writeback/, handlers/writeback.py) ---


class HelpdeskWriter(Protocol):
    def write(self, request: WritebackRequest) -> None:
        """Write the score back or raise WritebackError (after the transport's own retries)."""
        ...


LogLevel = Literal["info", "warning", "error"]


class EventLog(Protocol):
    def __call__(self, level: LogLevel, message: str, fields: Mapping[str, object]) -> None: ...


class Scored(Protocol):
    """What the write-back decision reads from a score: SentimentResult, StoredMessage and ProcessResult all fit."""

    @property
    def label(self) -> str | None: ...

    @property
    def score(self) -> float | None: ...

    @property
    def low_signal(self) -> bool: ...
