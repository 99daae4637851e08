"""Nothing personal is queued: ingest prepares and redacts an event before it goes on the events queue.

`protect_event` (ingest and backfill) turns a validated TicketEvent into the QueuedEvent that is sent: the body
prepared for the model (HTML to text, quoted history and signatures dropped, normalised, lines kept), redacted
as it will be stored (its lines and its lines joined: redaction.redact_lines), then capped at
textprep.MODEL_TEXT_CHARS; the subject cleaned like the body (textprep.clean_field) and redacted; ticket URL,
tags and product area cleaned too and dropped when redaction finds anything in them or they read as a name.
The entity counts (never values) and the cap flag travel in the event.

`clean_for_scoring` is the scorer's step. Redaction is idempotent (a placeholder is never re-redacted), so on a
protected event it is a cheap second pass that counts only what it newly finds; an event queued raw by an older
ingest gets the full preparation here instead. Either way the result is what the model, the store, SNS and
Slack see. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ..events import IngestRedaction, QueuedEvent, TicketEvent
from ..identity import Origin
from ..redaction import merge_counts, redact, redact_lines
from ..redaction.models import RedactionResult
from ..redaction.names import looks_like_person
from ..textprep import cap_text, clean_field, prepare_display_text, prepare_ticket_text
from .lifecycle import requester_hash

MAX_SUBJECT_CHARS = 500  # TicketEvent's subject limit: a placeholder may be longer than the value it replaced
_PARTIAL_PLACEHOLDER = re.compile(r"\[[A-Z_]{0,20}$")


class PreparedText(BaseModel):
    """Prepared, redacted and capped text; its entity counts by type (never values); whether it was cut."""

    model_config = ConfigDict(frozen=True)

    text: str
    entities: dict[str, int] = Field(default_factory=dict)
    truncated: bool = False


class CleanMessage(BaseModel):
    """What the scorer works with: the model's single-line text and the subject, both redacted; every entity
    redacted from them so far, ingest's and the scorer's own, each counted once. `display` is the customer's own
    words, redacted, on one line: what is stored and shown (never the model's normalised text)."""

    model_config = ConfigDict(frozen=True)

    text: str
    subject: str
    display: str = ""
    entities: dict[str, int] = Field(default_factory=dict)
    truncated: bool = False


def prepare_body(raw: str) -> PreparedText:
    """The full preparation of a message body, with its lines kept.

    Redacted with its lines ("Best regards,\\nAnna Kowalski": a sign-off name is found on its own line, not once
    the lines are joined), and over the whole text before the cap, so a cut never leaves a fragment of a value."""
    redacted = redact_lines(prepare_ticket_text(raw, keep_lines=True))
    text, truncated = cap_text(redacted.text)
    return PreparedText(text=text, entities=redacted.entities, truncated=truncated)


def prepare_display(raw: str) -> str:
    """The customer's own words (textprep.prepare_display_text), redacted with their lines and capped."""
    return cap_text(redact_lines(prepare_display_text(raw)).text)[0]


def is_clean(value: str) -> bool:
    """True when redaction finds nothing in `value`."""
    return redact(value).text == value


# A label ("billing", "iPhone 15", "v2 API") carries few digits; a tag or area with this many is a number someone
# put there (a phone without the words that mark it as one, an order or passport number) and is dropped.
MAX_LABEL_DIGITS = 6


def clean_label(value: str | None) -> str | None:
    """A tag or product area cleaned like the body, or None when it holds personal data, reads as a person's
    name ("maria gonzalez" as a product area would become a stored index key) or is mostly a number (a bare
    "555-123-4567 x204" has no label for redaction to go by)."""
    if value is None:
        return None
    cleaned = clean_field(value)
    if not cleaned or sum(c.isdigit() for c in cleaned) > MAX_LABEL_DIGITS:
        return None
    # Zendesk writes a tag's spaces as underscores ("Sig.ra_Zaira_Barozzi"), and redaction reads an underscore as
    # part of a word: the label is redacted as words too.
    if not is_clean(cleaned) or not is_clean(cleaned.replace("_", " ")) or looks_like_person(cleaned):
        return None
    return cleaned


def kept_tags(tags: list[str]) -> list[str]:
    """The tags that clean_label keeps, cleaned, in order and without duplicates."""
    return list(dict.fromkeys(tag for tag in map(clean_label, tags) if tag))


# Product areas a metric may carry as a dimension: a closed set (METRIC_PRODUCT_AREAS overrides it), so no
# free text a helpdesk sends ("maria gonzalez") ever becomes a CloudWatch dimension; any other area is "other".
DEFAULT_METRIC_AREAS = frozenset(
    {
        "billing",
        "payments",
        "refunds",
        "invoices",
        "subscription",
        "account",
        "login",
        "security",
        "orders",
        "shipping",
        "delivery",
        "returns",
        "mobile app",
        "web app",
        "api",
        "integrations",
        "technical",
        "onboarding",
        "general",
        "sales",
        "feedback",
    }
)


def metric_area(product_area: str | None, allowed: frozenset[str] = DEFAULT_METRIC_AREAS) -> str:
    """The product area as a metric dimension: "none", one of `allowed` (cleaned, lower case), or "other"."""
    if not product_area:
        return "none"
    area = clean_field(product_area).lower()
    return area if area in allowed else "other"


def metric_areas_from(setting: str | None) -> frozenset[str]:
    """The allowed areas from a comma-separated setting, or the defaults when it is unset or empty."""
    areas = frozenset(clean_field(a).lower() for a in (setting or "").split(",") if a.strip())
    return areas or DEFAULT_METRIC_AREAS


def redact_subject(subject: str) -> RedactionResult:
    """The subject cleaned like the body (no-break spaces, zero-width characters, full-width "＠"), then
    redacted."""
    return redact(clean_field(subject))


def safe_url(url: str) -> str | None:
    """The ticket link, unless it carries personal data (then no link at all rather than a broken one)."""
    return url if is_clean(url) else None


def fit(text: str, limit: int) -> str:
    """At most `limit` characters, never ending in a cut placeholder ("[EMA")."""
    if len(text) <= limit:
        return text
    return _PARTIAL_PLACEHOLDER.sub("", text[:limit]).rstrip()


def protect_event(event: TicketEvent, received_at: datetime, origin: Origin | None = None) -> QueuedEvent:
    """The event as it may be queued: nothing personal in it, and what was redacted or cut recorded as counts;
    `origin` is the route it came through (write-back trusts only a helpdesk's own)."""
    body = prepare_body(event.body)
    subject = redact_subject(event.subject)
    area = clean_label(event.product_area)
    keep_url = event.ticket_url is not None and safe_url(str(event.ticket_url)) is not None
    # Validated again, so what is queued is what the scorer will accept (limits and patterns included).
    cleaned = {
        "subject": fit(subject.text, MAX_SUBJECT_CHARS),
        "ticket_url": event.ticket_url if keep_url else None,
        "tags": kept_tags(event.tags),
        "product_area": area[:64] if area else None,
    }
    protected = TicketEvent.model_validate(
        {  # a field the helpdesk left out stays out (see QueuedEvent)
            **event.model_dump(exclude_unset=True),
            "text": body.text,
            "html": None,
            **{k: v for k, v in cleaned.items() if k in event.model_fields_set},
        }
    )
    return QueuedEvent(
        event_id=event.event_id,
        received_at=received_at,
        event=protected,
        redaction=IngestRedaction(pii_entities=merge_counts(body.entities, subject.entities), truncated=body.truncated),
        display_text=_unless_same(prepare_display(event.body), body.text),
        origin=origin,
    )


def protect_delivery(
    events: Iterable[TicketEvent],
    received_at: datetime,
    origin: Origin,
    requesters: Mapping[str, str],
    key: bytes | None,
) -> list[QueuedEvent]:
    """A helpdesk delivery's events as they may be queued (protect_event), each with its requester's keyed hash
    where the helpdesk names one (`requesters`: event id -> requester id), never the id; without a key, without a
    requester."""
    return [_with_requester(protect_event(event, received_at, origin), requesters, key) for event in events]


def _with_requester(queued: QueuedEvent, requesters: Mapping[str, str], key: bytes | None) -> QueuedEvent:
    requester = requesters.get(queued.event_id)
    if key is None or requester is None:
        return queued
    return queued.model_copy(update={"requester_hash": requester_hash(key, str(queued.event.source), requester)})


def _unless_same(display: str, text: str) -> str | None:
    """The display text, or None where it is the model's text itself (most plain messages): the queue then carries
    the body once. Its entities are the body's again, so they are counted once, from the body."""
    return None if display == text else display


def clean_for_scoring(queued: QueuedEvent) -> CleanMessage:
    """The scorer's redaction: a second pass over a protected event, the whole preparation for a raw one."""
    event = queued.event
    if queued.redaction is None:  # queued raw by an older ingest
        body = prepare_body(event.body)
        display = prepare_display(event.body)
        earlier: dict[str, int] = {}
    else:  # already prepared and capped: only redacted again, so nothing is re-stripped or re-cut
        again = redact_lines(event.body)
        body = PreparedText(text=again.text, entities=again.entities, truncated=queued.redaction.truncated)
        # No display text: it is the model's text itself, or an older ingest queued none (then that is all there is).
        display = body.text if queued.display_text is None else redact_lines(queued.display_text).text
        earlier = queued.redaction.pii_entities
    subject = redact_subject(event.subject)
    # The lines are joined into the single line the model and the store get.
    return CleanMessage(
        text=" ".join(body.text.split("\n")),
        subject=subject.text,
        display=" ".join(display.split("\n")),
        entities=merge_counts(earlier, body.entities, subject.entities),
        truncated=body.truncated,
    )
