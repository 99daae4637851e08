"""The data's lifecycle: how long each kind of stored item is kept (retention by policy) and erasure on request.

Retention is enforced by the table's TTL attribute, set on every item the service writes; erasure removes every
item of one ticket and leaves a receipt that names the ticket only by a hash and holds counts, never content.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from ..identity import Source, TicketRef
from ..models import Trend
from .records import MIN_DELIVERY_DAYS, ErasureCounts, ErasureReceipt, Retention, StoredMessage

if TYPE_CHECKING:
    from ..ports import ErasableStore, ParkedQueue, TicketAdminStore

__all__ = [
    "MIN_DELIVERY_DAYS",
    "Eraser",
    "Erasure",
    "ErasureCounts",
    "ErasureKind",
    "ErasureReceipt",
    "RequesterKeyMissingError",
    "Retention",
    "drop_message",
    "erase_ticket",
    "requester_hash",
    "ticket_hash",
]

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def ticket_hash(ticket: TicketRef) -> str:
    """The receipt's name for the ticket (its canonical key, hashed): lets an auditor holding the key check it
    was erased, stores no id."""
    return hashlib.sha256(f"ticket-sentiment:{ticket.key}".encode()).hexdigest()


def erase_ticket(
    store: ErasableStore, ticket: TicketRef, *, parked: Sequence[ParkedQueue] = (), clock: Clock = _now
) -> ErasureReceipt:
    """Remove every stored item of the ticket, and its messages waiting on the parked queues (audit rows,
    dead-lettered alerts), and record a receipt; erasing again removes nothing and records nothing (idempotent)."""
    counts = store.erase_ticket(ticket)
    queued = sum(queue.purge_ticket(ticket) for queue in parked)
    return _receipt(store, ticket, counts.model_copy(update={"queued": queued}), clock)


def drop_message(
    store: TicketAdminStore,
    ticket: TicketRef,
    message_id: str,
    *,
    parked: Sequence[ParkedQueue] = (),
    clock: Clock = _now,
) -> ErasureReceipt:
    """A message redacted in the helpdesk: drop its score and text (and its audit row or alert waiting on a
    parked queue) and restate the ticket from the messages left, as if it had never been scored; a ticket left
    without messages is erased whole. Dropping it again removes nothing and records nothing."""
    stored = store.list_messages(ticket)
    # Audit rows name the message, alerts its event: either id marks what the message left on a parked queue.
    only = frozenset({message_id, *(m.event_id for m in stored if m.message_id == message_id)})
    counts = store.drop_message(ticket, message_id)
    counts = counts.model_copy(update={"queued": sum(q.purge_ticket(ticket, only) for q in parked)})
    if counts.message:
        remaining = [m for m in stored if m.message_id != message_id]
        if not remaining:
            whole = store.erase_ticket(ticket)
            counts = counts.model_copy(update={"ticket": whole.ticket, "review": whole.review, "other": whole.other})
        elif (view := store.get_ticket(ticket)) is not None:
            current, thread_score, trend, delta = aggregate(remaining)
            store.restate_ticket(
                view.model_copy(
                    update={
                        "current": current,
                        "thread_score": thread_score,
                        "trend": trend,
                        "trend_delta": delta,
                        "message_count": len(remaining),
                        "first_seen": min(m.created_at for m in remaining),
                    }
                )
            )
    return _receipt(store, ticket, counts, clock)


# thread.summarise's constants: the scorer's aggregate needs numpy, which the ingest function does not ship, so
# the restatement after a dropped message is computed here in plain Python (exactly rounded sums, where numpy's
# summation order can move a stored 4-decimal score by 0.0001 at a tie); tests/unit/test_lifecycle_eraser.py holds
# it to pipeline.service.aggregate on random threads, and the ticket's next message restates it with numpy anyway.
_HALF_LIFE, _TREND_MIN_DELTA = 3.0, 0.25


def aggregate(messages: list[StoredMessage]) -> tuple[StoredMessage | None, float | None, Trend, float | None]:
    """pipeline.service.aggregate without numpy: current message, thread score, trend and its delta."""
    if not messages:
        return None, None, Trend.UNKNOWN, None
    ordered = sorted(messages, key=lambda m: (m.created_at, m.message_id))
    low = [m.low_signal for m in ordered]
    signal = [i for i, is_low in enumerate(low) if not is_low] or list(range(len(ordered)))
    values = [ordered[i].score for i in signal]
    weights = [0.5 ** ((len(values) - 1 - k) / _HALF_LIFE) for k in range(len(values))]
    mean = math.fsum([v * w for v, w in zip(values, weights, strict=True)]) / math.fsum(weights)
    thread_score = round(min(1.0, max(-1.0, mean)), 4)
    trend, delta = Trend.UNKNOWN, None
    if len(values) >= 2:
        delta = values[-1] - math.fsum(values[:-1]) / (len(values) - 1)
        trend = (
            Trend.IMPROVING
            if delta >= _TREND_MIN_DELTA
            else Trend.WORSENING
            if delta <= -_TREND_MIN_DELTA
            else Trend.STABLE
        )
    current = len(ordered) - 1 if not low[-1] else signal[-1]
    return ordered[current], thread_score, trend, None if delta is None else round(delta, 4)


def _receipt(store: ErasableStore, ticket: TicketRef, counts: ErasureCounts, clock: Clock) -> ErasureReceipt:
    receipt = ErasureReceipt(ticket_hash=ticket_hash(ticket), erased_at=clock(), counts=counts, erased=counts.total > 0)
    if receipt.erased:
        store.record_erasure(receipt)
    return receipt


def requester_hash(key: bytes, source: str, requester_id: str) -> str:
    """The requester as stored: an HMAC under the stack's secret key, so the table alone cannot be matched against
    a list of known helpdesk ids; the same id on two helpdesks is two requesters."""
    return hmac.new(key, f"{source}\x1f{requester_id}".encode(), hashlib.sha256).hexdigest()


class ErasureKind(StrEnum):
    TICKET = "ticket"  # the helpdesk deleted the ticket: erase everything of it
    MESSAGE = "message"  # a comment was redacted: drop that message, restate the ticket
    REQUESTER = "requester"  # the customer was deleted: erase every ticket they requested


@dataclass(frozen=True)
class Erasure:
    """A deletion or redaction the helpdesk reported (ids only). `subject` is the ticket id, or the requester's
    id for REQUESTER (hashed with the stack's key before it is looked up or logged, never stored)."""

    kind: ErasureKind
    source: Source
    subject: str
    message_id: str | None = None
    brand: str | None = None  # the helpdesk's verified brand (its secret), set after the signature check

    @property
    def ticket(self) -> TicketRef:
        """The ticket a TICKET or MESSAGE deletion names; raises BadTicketRefError for an id no ticket can have."""
        return TicketRef.of(self.source, self.subject, self.brand)


@dataclass(frozen=True)
class Eraser:
    """Erasure on request, by ticket, message or requester: what the read API, the CLI and the helpdesk deletion
    webhooks all call, so each erases exactly the same items."""

    store: TicketAdminStore
    parked: Sequence[ParkedQueue] = ()
    requester_key: Callable[[], bytes] | None = None  # the HMAC key (Secrets Manager), read when first needed
    clock: Clock = _now

    def ticket(self, ticket: TicketRef) -> ErasureReceipt:
        return erase_ticket(self.store, ticket, parked=self.parked, clock=self.clock)

    def message(self, ticket: TicketRef, message_id: str) -> ErasureReceipt:
        return drop_message(self.store, ticket, message_id, parked=self.parked, clock=self.clock)

    def requester(self, source: str, requester_id: str) -> list[ErasureReceipt]:
        """Every ticket the requester's hash was stored on; an empty list when none (or already erased)."""
        if self.requester_key is None:
            raise RequesterKeyMissingError("no requester key: erasure by requester is not configured")
        hashed = requester_hash(self.requester_key(), source, requester_id)
        return [self.ticket(ticket) for ticket in self.store.tickets_of_requester(hashed)]

    def hashing_key(self) -> bytes | None:
        """The requester key, read now; None where none is configured (events are then queued without a
        requester)."""
        return self.requester_key() if self.requester_key is not None else None

    def carry_out(self, erasure: Erasure) -> list[ErasureReceipt]:
        """One deletion a helpdesk reported, through the same use cases as DELETE /v1/tickets and `forget`."""
        if erasure.kind is ErasureKind.TICKET:
            return [self.ticket(erasure.ticket)]
        if erasure.kind is ErasureKind.MESSAGE and erasure.message_id is not None:
            return [self.message(erasure.ticket, erasure.message_id)]
        return self.requester(str(erasure.source), erasure.subject)


class RequesterKeyMissingError(RuntimeError):
    """Erasure by requester was asked for where no requester key is configured."""
