"""Review use cases: what the review routes do once the request is parsed. Pure Python over the ports."""

from __future__ import annotations

from datetime import datetime

from ..identity import TicketRef
from ..ports import ReviewStore, TicketStore
from .errors import ReviewTargetNotFound
from .models import Review, ReviewRequest
from .targets import alert_exists


def record_api_review(
    reviews: ReviewStore, tickets: TicketStore, ticket: TicketRef, request: ReviewRequest, now: datetime
) -> Review:
    """Store a verdict given through the API; ReviewTargetNotFound when the ticket or its alert does not exist."""
    view = tickets.get_ticket(ticket)
    if view is None:
        raise ReviewTargetNotFound("ticket not found")
    if not alert_exists(view, tickets.list_messages(ticket), request.alert_id):
        raise ReviewTargetNotFound("alert not found on this ticket")
    review = Review(
        ticket_id=ticket.key,
        alert_id=request.alert_id,
        verdict=request.verdict,
        reviewer=request.reviewer,
        reviewed_at=now,
        source="api",
    )
    return reviews.record(review)
