"""Does the alert a review names exist on its ticket? Alerts are not stored as items of their own.

An alert id is "<event id>:<rule>" (ScoringService.process), the alert's message is stored with that event id,
and claiming an alert stamps `last_alert_at` on the ticket. So an alert exists when the ticket was escalated and
one of its stored messages carries the event id. (Only the latest alert's rule is kept on the ticket, so the
rule of an earlier alert cannot be checked; the rule of the latest one is.)
"""

from __future__ import annotations

from collections.abc import Iterable

from ..pipeline.records import StoredMessage, TicketView


def alert_exists(ticket: TicketView, messages: Iterable[StoredMessage], alert_id: str) -> bool:
    event_id, sep, rule = alert_id.rpartition(":")
    if not sep or not event_id or not rule or ticket.last_alert_at is None:
        return False
    return any(m.event_id == event_id for m in messages)
