"""GET /v1/tickets/{id}'s use case: the ticket's current state with its scored history, oldest first and capped.
Pure Python over the TicketStore port."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..identity import TicketRef
from ..ports import TicketStore
from .records import StoredMessage, TicketView

MAX_HISTORY = 200


class TicketResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticket: TicketView
    history: list[StoredMessage]
    history_truncated: bool


def ticket_with_history(store: TicketStore, ref: TicketRef, limit: int = MAX_HISTORY) -> TicketResponse | None:
    """None when the ticket does not exist; otherwise its latest `limit` messages, in (created_at, message_id)
    order, and whether older ones were left out."""
    ticket = store.get_ticket(ref)
    if ticket is None:
        return None
    messages = sorted(store.list_messages(ref), key=lambda m: (m.created_at, m.message_id))
    return TicketResponse(ticket=ticket, history=messages[-limit:], history_truncated=len(messages) > limit)
