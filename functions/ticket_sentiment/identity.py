"""Who a ticket belongs to: its source (helpdesk), optional brand/workspace and the helpdesk's ticket id.

Two helpdesks (or two brands of one) number their tickets independently, so a ticket id alone names nothing:
`TicketRef` is the one identity every key is built from (table keys, the event-id namespace, the queue message,
the read API, the CLI and Slack), with one canonical string form:

    <source>:<ticket id>             zendesk:12345
    <source>/<brand>:<ticket id>     zendesk/acme:12345

Unambiguous because neither a source nor a brand may hold ":" or "/"; the ticket id may (it is everything after
the first ":").

The brand never comes from an unverified caller: a helpdesk route takes it from the platform's verified secret,
and a canonical producer may send one only for the claims its credential allows (`may_claim`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

BRAND_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
# The characters of a helpdesk id (ticket, message, comment): one definition for every check of one.
IDENTIFIER_CHARS = r"A-Za-z0-9._:@/#+-"
IDENTIFIER_PATTERN = rf"^[{IDENTIFIER_CHARS}]+$"
TICKET_ID_PATTERN = rf"^[{IDENTIFIER_CHARS}]{{1,128}}$"

# A Zendesk subdomain or brand, a Freshdesk domain's first label, an Intercom app id, a Salesforce org id.
Brand = Annotated[str, StringConstraints(strip_whitespace=True, pattern=BRAND_PATTERN)]


class Source(StrEnum):
    ZENDESK = "zendesk"
    FRESHDESK = "freshdesk"
    INTERCOM = "intercom"
    SALESFORCE = "salesforce"
    OTHER = "other"


# Sources a canonical producer may not name unless its credential is configured for them (`may_claim`).
HELPDESK_SOURCES = frozenset(s for s in Source if s != Source.OTHER)


class Origin(StrEnum):
    """The route an event arrived through, set by ingest (or backfill), never by the caller."""

    ZENDESK = "webhook/zendesk"
    FRESHDESK = "webhook/freshdesk"
    INTERCOM = "webhook/intercom"
    SALESFORCE = "webhook/salesforce"
    GENERIC = "webhook/generic"
    EVENTS = "events"
    BACKFILL = "backfill"

    @classmethod
    def of_webhook(cls, platform: str) -> Origin:
        return cls(f"webhook/{platform}")

    def verified_for(self, source: Source | str) -> bool:
        """True for a helpdesk's own signed/tokened route: the only origin write-back acts on."""
        return self.value == f"webhook/{source}" and source in HELPDESK_SOURCES


class BadTicketRefError(ValueError):
    """A ticket key or its parts that do not name a ticket; the message names the rule, never the value."""


class TicketRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    source: Source
    brand: Brand | None = None
    ticket_id: Annotated[str, StringConstraints(pattern=TICKET_ID_PATTERN)]

    @property
    def namespace(self) -> str:
        """`source` or `source/brand`: what a producer claims, and the key's part before the first ":"."""
        return f"{self.source.value}/{self.brand}" if self.brand else self.source.value

    @property
    def key(self) -> str:
        """The canonical string form (see the module docstring)."""
        return f"{self.namespace}:{self.ticket_id}"

    def __str__(self) -> str:
        return self.key

    @classmethod
    def of(cls, source: Source | str, ticket_id: str, brand: str | None = None) -> Self:
        """From its parts (e.g. the read API's query parameters); raises BadTicketRefError naming the bad part."""
        try:
            return cls.model_validate({"source": source, "brand": brand or None, "ticket_id": ticket_id})
        except ValidationError as exc:
            field = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "ticket"
            raise BadTicketRefError(_REASONS.get(field, f"{field} is not valid")) from None

    @classmethod
    def parse(cls, key: str) -> Self:
        """The inverse of `key`; raises BadTicketRefError for a bare id or a bad part."""
        namespace, sep, ticket_id = key.strip().partition(":")
        if not sep:
            raise BadTicketRefError(KEY_HINT)
        source, _, brand = namespace.partition("/")
        return cls.of(source, ticket_id, brand or None)


KEY_HINT = "expected a ticket key <source>[/<brand>]:<ticket id>, e.g. zendesk:12345 or zendesk/acme:12345"
_REASONS = {
    "source": "source must be one of " + ", ".join(s.value for s in Source),
    "brand": "brand must be 1-64 letters, digits, _ or -, starting with a letter or digit",
    "ticket_id": "ticket id must be 1-128 letters, digits or ._:@/#+-",
}

_CLAIM = re.compile(r"^(zendesk|freshdesk|intercom|salesforce|other)(/(\*|[A-Za-z0-9][A-Za-z0-9_-]{0,63}))?$")


def valid_claim(value: str) -> bool:
    """A claim is `source`, `source/brand` or `source/*` (any brand of that source)."""
    return _CLAIM.fullmatch(value) is not None


def may_claim(claims: Iterable[str], source: Source, brand: str | None) -> bool:
    """Whether a canonical producer whose credential lists `claims` may send events for (source, brand).

    `other` is never a helpdesk's, so any producer may use it (with any brand: a namespace of its own).
    """
    if source not in HELPDESK_SOURCES:
        return True
    wanted = f"{source.value}/{brand}" if brand else source.value
    allowed = set(claims)
    return wanted in allowed or (brand is not None and f"{source.value}/*" in allowed)
