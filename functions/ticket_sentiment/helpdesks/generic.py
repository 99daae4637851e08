"""generic: the canonical TicketEvent JSON itself (what POST /v1/events takes), for any other producer.

Authentication is optional: with a token in the secret, it must come in the token header (or basic auth if
allowed); without one the route relies on the API Gateway key alone.

A canonical producer is not a helpdesk: it may name a helpdesk source (zendesk, ...) or a brand only where the
secret's `may_claim` lists it (`authorize`, 403 otherwise), so it can neither inject into a helpdesk's tickets
nor pre-empt the helpdesk's own messages by de-duplication.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..events import TicketEvent
from ..identity import HELPDESK_SOURCES, may_claim
from .common import Parsed, check_shared_token, load_json_object, validate
from .errors import Forbidden
from .secrets import GenericSecret


def verify(headers: Mapping[str, str], secret: GenericSecret) -> None:
    if secret.token is not None:
        check_shared_token(headers, secret.token, secret.header, secret.allow_basic_auth)


def parse(raw_body: bytes) -> Parsed:
    return Parsed(events=[validate(TicketEvent, load_json_object(raw_body), "ticket event")])


def authorize_producer(event: TicketEvent, claims: Callable[[], Iterable[str]]) -> None:
    """`authorize` for one event of POST /v1/events; `claims()` (the generic secret) is read only for an event that
    names a helpdesk source: `other` (any brand) is no helpdesk's, so the common path reads no secret."""
    if event.source in HELPDESK_SOURCES:
        authorize([event], claims())


def authorize(events: Iterable[TicketEvent], claims: Iterable[str]) -> None:
    """Forbidden (403) unless every event's source and brand are the producer's to name (`may_claim`)."""
    allowed = tuple(claims)
    for event in events:
        if not may_claim(allowed, event.source, event.brand):
            raise Forbidden(
                f"this producer may not send events for {event.ref.namespace}: list it in the generic secret's "
                "may_claim, or send source other"
            )
