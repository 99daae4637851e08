"""Pydantic models at the pipeline's boundaries: the canonical ticket event, the queued envelope, the alert."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SerializationInfo,
    StringConstraints,
    field_serializer,
    model_validator,
)

from .identity import IDENTIFIER_PATTERN, Brand, Origin, Source, TicketRef
from .models import AuthorRole, EmotionScore, Label, Level, level_from_label
from .redaction import EntityType, RedactionConfig, detect

__all__ = ["Brand", "Origin", "Source", "TicketRef"]  # re-exported: every boundary model imports them from here

# API Gateway accepts 10 MB, SQS 256 KiB per message; the envelope adds a few hundred bytes.
MAX_BODY_BYTES = 200_000
MAX_TEXT_CHARS = 100_000

# What an identifier may not hold: it becomes a table key, a log field and the Slack header, so an e-mail
# address, card, IBAN or international phone number in one would be stored raw. Not every type: helpdesk ids
# are often long digit runs ("00001026") that a national phone format would accept.
_ID_PII = RedactionConfig(entities=frozenset({EntityType.EMAIL, EntityType.CARD, EntityType.IBAN}))
_ID_PHONE = RedactionConfig(entities=frozenset({EntityType.PHONE}))


def _no_personal_data(value: str) -> str:
    found = detect(value, _ID_PII) or (detect(value, _ID_PHONE) if value.startswith("+") else [])
    if found:
        kinds = ", ".join(sorted({span.type.value for span in found}))
        raise ValueError(f"holds personal data ({kinds}); send the helpdesk's own id instead")
    return value


Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN),
    AfterValidator(_no_personal_data),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CustomerTier(StrEnum):
    FREE = "free"
    STANDARD = "standard"
    PREMIUM = "premium"
    ENTERPRISE = "enterprise"


class TicketEvent(BaseModel):
    """One helpdesk message, as a helpdesk trigger posts it to POST /v1/events. Exactly one of text or html."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source
    # The helpdesk's brand/workspace (part of the ticket's identity): set from the verified helpdesk secret on a
    # webhook route; a canonical producer may send one only where its credential allows (identity.may_claim).
    brand: Brand | None = None
    ticket_id: Identifier
    message_id: Identifier
    author_role: AuthorRole
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)] | None = None
    html: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)] | None = None
    created_at: AwareDatetime
    subject: ShortText = ""
    priority: Priority = Priority.NORMAL
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    product_area: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    customer_tier: CustomerTier = CustomerTier.STANDARD
    requester_locale: (
        Annotated[str, StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")] | None
    ) = None
    ticket_url: HttpUrl | None = None

    @model_validator(mode="before")
    @classmethod
    def _blank_subject_is_absent(cls, data: Any) -> Any:
        # Helpdesks send "" (or spaces) for a message without a subject of its own: that is no subject, so a
        # follow-up keeps the ticket's known one (pipeline.service.with_known_metadata) instead of blanking it.
        if isinstance(data, dict) and isinstance(data.get("subject"), str) and not data["subject"].strip():
            return {k: v for k, v in data.items() if k != "subject"}
        return data

    @model_validator(mode="after")
    def _one_body(self) -> TicketEvent:
        if (self.text is None) == (self.html is None):
            raise ValueError("exactly one of text or html is required")
        return self

    @property
    def body(self) -> str:
        return self.text if self.text is not None else (self.html or "")

    @property
    def ref(self) -> TicketRef:
        """The ticket's identity: (source, brand, ticket id), never the ticket id alone."""
        return TicketRef.model_construct(source=self.source, brand=self.brand, ticket_id=self.ticket_id)

    @property
    def event_id(self) -> str:
        """Deterministic: the same helpdesk message posted twice gets the same id, so replays are no-ops; in the
        ticket's namespace, so the same ids from another source or brand are another event."""
        key = f"{self.ref.key}\x1f{self.message_id}".encode()
        return hashlib.sha256(key).hexdigest()[:32]


EntityCounts = dict[Annotated[str, StringConstraints(pattern=r"^[A-Z_]{2,20}$")], Annotated[int, Field(ge=0)]]


class IngestRedaction(BaseModel):
    """What ingest did to the event before queueing it: counts and a flag, never values or text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Entities redacted from the body and subject by type: the scorer adds only what its second pass finds, so
    # each one is counted once in the PII metrics.
    pii_entities: EntityCounts = Field(default_factory=dict)
    truncated: bool = False  # the prepared body was over MODEL_TEXT_CHARS and its middle was cut


class QueuedEvent(BaseModel):
    """What ingest puts on the queue and score reads from it.

    With `redaction` set, `event` carries no personal data: its text is the prepared, redacted and capped body
    (lines kept), its subject redacted, and metadata values in which redaction finds anything dropped (see
    pipeline.protection). Without it, the event was queued raw by an older ingest, and the scorer does it all.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(min_length=1, max_length=64)
    received_at: AwareDatetime
    event: TicketEvent
    redaction: IngestRedaction | None = None
    # The requester's helpdesk id as a keyed hash (pipeline.lifecycle.requester_hash), set by ingest where the
    # helpdesk names a stable requester; the raw id is never queued or stored.
    requester_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    # The body as the customer wrote it (textprep.prepare_display_text), redacted and capped like the text: what
    # is stored and shown to people. None where it is the text itself, or from an older ingest.
    display_text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    # The route it arrived through (set by ingest or backfill): write-back acts only on a helpdesk's own
    # verified route. None: queued by an older ingest, treated as unverified.
    origin: Origin | None = None

    @property
    def truncated(self) -> bool:
        """Whether ingest cut the prepared body (over MODEL_TEXT_CHARS)."""
        return self.redaction is not None and self.redaction.truncated

    @field_serializer("event")
    def _sent_fields_only(self, event: TicketEvent, info: SerializationInfo) -> dict[str, Any]:
        # Queued without the fields the helpdesk left out, so the scorer can tell "absent" (keep the ticket's known
        # value) from a default it would otherwise see as sent: a follow-up without customer_tier is not "standard".
        return event.model_dump(mode=info.mode, exclude_unset=True)


class EscalationState(StrEnum):
    NONE = "none"
    SHADOW = "shadow"
    ALERTED = "alerted"


class Alert(BaseModel):
    """Published to SNS when a rule fires. Every text field is redacted before it is built."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_id: str
    event_id: str
    ticket_id: str
    source: Source
    brand: str | None = None
    subject: str
    ticket_url: str | None
    label: Label
    level: Level
    score: float
    intensity: float
    thread_score: float | None
    emotions: list[EmotionScore]
    excerpt: str = Field(max_length=400)
    rule: str
    customer_tier: CustomerTier
    priority: Priority
    product_area: str | None
    scorer: str
    created_at: datetime

    @property
    def ticket_key(self) -> str:
        """The ticket's canonical key (identity.TicketRef), shown in Slack and carried by the review buttons."""
        return TicketRef.model_construct(source=self.source, brand=self.brand, ticket_id=self.ticket_id).key

    # An alert queued by a release before levels existed still reaches Slack.
    _level_from_label = model_validator(mode="before")(level_from_label)


class Outcome(StrEnum):
    """What processing one SQS delivery of an event came to. SCORED, DUPLICATE and SKIPPED are terminal: each
    delivery (an SQS message, the same id across its redeliveries) claims exactly one of them, once."""

    SCORED = "scored"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"  # agent and system messages are stored nowhere and never scored
    # Not an outcome of the event: this SQS message's outcome was already claimed by an earlier or concurrent
    # receive of it (a batch outlived the visibility timeout, an invocation crashed after the record). Nothing
    # is recorded and no Events* outcome metric is counted.
    REDELIVERED = "redelivered"

    @property
    def terminal(self) -> bool:
        return self != Outcome.REDELIVERED


AlertState = Literal["published", "shadow", "cooldown"]


class ProcessResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: str
    outcome: Outcome
    scorer: str | None = None
    alert: AlertState | None = None
    rule: str | None = None
    # For the dashboard's metrics; never text, only numbers and the (sanitised) product area.
    label: str | None = None
    level: str | None = None
    score: float | None = None
    low_signal: bool = False
    product_area: str | None = None
    first_response_seconds: float | None = None  # set when an agent's first reply lands on a negative ticket
    pii_entities: dict[str, int] = Field(default_factory=dict)  # redacted entities by type: counts, never values
    truncated: bool = False  # the model saw the text's head and tail only (see textprep.MODEL_TEXT_CHARS)
    model_version: str | None = None  # the live model's (a metric dimension: the dashboard marks version changes)
    shadow_model_version: str | None = None  # the shadow model's, when it scored this message too
    # A write-back that was due but refused because the ticket did not come through its helpdesk's own route.
    writeback_refused: str | None = None
