"""Whether and what to write back for a scored message, and how to recognise the echo of our own update.

The loop: our write-back is a ticket update, and a helpdesk trigger on "ticket updated" would post it back to the
ingest API, which could score and write again. Three guards stop it:
1. the helpdesk trigger is configured to fire only on a new customer message (docs/writeback.md, per platform),
   so an update whose only change is ours never leaves the helpdesk;
2. `writeback_request` writes only for a new customer message that is the ticket's latest: an event that carries
   no new customer message (an agent reply, a system update, a re-post of a message already scored, which the
   scorer reports as a duplicate) produces no write-back;
3. `is_own_update` lets an inbound parser that sees a tag diff drop an update whose only changes are our tags.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ..events import TicketEvent
from ..identity import Origin
from ..models import AuthorRole
from ..ports import Scored, TicketStore
from .models import LABEL_TAGS, MARKER_TAG, OWN_TAGS, Platform, WritebackRequest

ALL_PLATFORMS: frozenset[Platform] = frozenset(Platform)


def tags_for(label: str) -> tuple[str, ...]:
    return (LABEL_TAGS[label], MARKER_TAG)


def writeback_request(
    event: TicketEvent,
    event_id: str,
    scored: Scored,
    *,
    current_message_id: str | None,
    enabled: Collection[Platform | str] = ALL_PLATFORMS,
) -> WritebackRequest | None:
    """The write-back for a freshly scored message, or None when nothing should be written.

    `current_message_id` is the message that drives the ticket's sentiment after this one was stored (the
    latest customer message with content, `aggregate`'s `current`): a late, older message or a low-signal "ok,
    thanks" after an angry one must not overwrite the ticket's label. `enabled` names the platforms that have
    write-back credentials; a source outside it (or "other") is not written to.
    """
    if event.author_role != AuthorRole.CUSTOMER or event.message_id != current_message_id:
        return None
    if scored.low_signal or scored.label not in LABEL_TAGS or scored.score is None:
        return None
    try:
        platform = Platform(event.source.value)
    except ValueError:
        return None
    if platform not in {Platform(p) for p in enabled}:
        return None
    return WritebackRequest(
        platform=platform,
        brand=event.brand,
        ticket_id=event.ticket_id,
        score=round(scored.score, 2),
        label=scored.label,
        tags=tags_for(scored.label),
        event_id=event_id,
        message_id=event.message_id,
    )


def unverified_origin(request: WritebackRequest, message: Origin | None, ticket: Origin | None) -> str | None:
    """Why a write-back must not happen, or None: the message, and the ticket's first message, must both have come
    through the helpdesk's own verified webhook route. A canonical producer allowed to name the helpdesk (or a
    backfill) may be scored under its source, but never edits the helpdesk's ticket. Reasons hold no ids."""
    for what, origin in (("message", message), ("ticket", ticket)):
        if origin is None or not origin.verified_for(request.platform.value):
            route = origin.value if origin is not None else "an unrecorded route"
            return f"the {what} arrived through {route}, not the {request.platform.value} webhook"
    return None


def is_own_update(
    tags: Iterable[str], previous_tags: Iterable[str] | None = None, *, new_customer_message: bool = False
) -> bool:
    """True when a "ticket updated" event looks like the echo of our own write-back, so it can be dropped.

    Never for an event that carries a new customer message (that must be scored, marker or not). Otherwise: with
    the tags before the update known, it is ours when every tag that changed is one of ours (a change to the
    score field alone changes no tag); without them, when the ticket carries our marker tag.
    """
    if new_customer_message:
        return False
    now = {t.strip().lower() for t in tags}
    if previous_tags is None:
        return MARKER_TAG in now
    changed = now ^ {t.strip().lower() for t in previous_tags}
    return changed <= OWN_TAGS and (MARKER_TAG in now)


def is_still_current(tickets: TicketStore, request: WritebackRequest) -> bool:
    """False when the request's message no longer drives its ticket (a newer message does): skip the write."""
    if request.message_id is None:
        return True
    ticket = tickets.get_ticket(request.ref)
    return ticket is None or ticket.current is None or ticket.current.message_id == request.message_id
