"""Review use cases: what the review routes do once the request is parsed. Pure Python over the ports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..identity import TicketRef
from ..ports import ReviewStore, TicketStore
from . import signature
from .errors import NotConfigured, ReviewTargetNotFound
from .message import reviewed_message
from .models import Review, ReviewRequest
from .slack_payload import SlackInteraction, parse_interaction
from .targets import alert_exists


def verified_click(
    headers: Mapping[str, str],
    body: bytes,
    secret: str | None,
    clock: Callable[[], datetime],
    replay_window: timedelta = signature.DEFAULT_REPLAY_WINDOW,
) -> SlackInteraction:
    """The click Slack signed: NotConfigured (503) while there is no signing secret, SignatureError (401) for a
    wrong, stale or missing signature, BadReview (400) for a payload that is not a review click."""
    if not secret:
        raise NotConfigured("the Slack secret has no signing_secret yet")
    signature.verify(headers, body, secret, clock(), replay_window)
    return parse_interaction(body, clock())


def updated_alert(click: SlackInteraction, stored: Review) -> dict[str, Any] | None:
    """The alert message with its buttons replaced by the verdict line, or None where Slack gave no response_url.
    The stored verdict: an older click arriving late shows what actually stands."""
    if not click.response_url:
        return None
    return reviewed_message(click.message_blocks, click.message_text, stored.reviewer, stored.verdict)


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
