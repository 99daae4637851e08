"""The data's lifecycle: how long each kind of stored item is kept (retention by policy) and erasure on request.

Retention is enforced by the table's TTL attribute, set on every item the service writes; erasure removes every
item of one ticket and leaves a receipt that names the ticket only by a hash and holds counts, never content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .identity import TicketRef
from .records import MIN_DELIVERY_DAYS, ErasureCounts, ErasureReceipt, Retention

if TYPE_CHECKING:
    from ..ports import ErasableStore

__all__ = ["MIN_DELIVERY_DAYS", "ErasureCounts", "ErasureReceipt", "Retention", "erase_ticket", "ticket_hash"]


def ticket_hash(ticket: TicketRef) -> str:
    """The receipt's name for the ticket (its canonical key, hashed): lets an auditor holding the key check it
    was erased, stores no id."""
    return hashlib.sha256(f"ticket-sentiment:{ticket.key}".encode()).hexdigest()


def erase_ticket(
    store: ErasableStore, ticket: TicketRef, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> ErasureReceipt:
    """Remove every stored item of the ticket and record a receipt; erasing again removes nothing and records
    nothing (idempotent)."""
    counts = store.erase_ticket(ticket)
    receipt = ErasureReceipt(ticket_hash=ticket_hash(ticket), erased_at=clock(), counts=counts, erased=counts.total > 0)
    if receipt.erased:
        store.record_erasure(receipt)
    return receipt
