"""Intercom: webhook notifications from a Developer Hub app (topics conversation.user.created,
conversation.user.replied, conversation.admin.replied, ... and the `ping` sent when the webhook is set up).

Signature: X-Hub-Signature: sha1=<hex HMAC-SHA1(client_secret, raw_body)>. Each conversation part carries its own
id, which is the message id, so redeliveries deduplicate.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from ..events import CustomerTier, Priority, Source, TicketEvent
from ..headers import header
from ..models import AuthorRole
from ..pipeline.lifecycle import Erasure, ErasureKind
from .common import (
    Parsed,
    Skip,
    body_fields,
    build_event,
    clean_tags,
    clean_url,
    equals,
    html_to_text,
    identifier,
    load_json_object,
    map_tier,
    product_area,
    required_timestamp,
    text_or_none,
    validate,
)
from .errors import AuthError, BadPayload
from .secrets import IntercomSecret

SIGNATURE_HEADER = "X-Hub-Signature"
PING_TOPIC = "ping"
CONVERSATION_DELETED = "conversation.deleted"
CONTACT_DELETED = "contact.deleted"
DELETION_TOPICS = (CONVERSATION_DELETED, CONTACT_DELETED)

Scalar = str | int | float | bool | None

_CUSTOMER = {"user", "lead", "contact"}
_AGENT = {"admin", "team"}
_SYSTEM = {"bot"}
# Parts that carry a message someone wrote to the other side; notes are internal, assignments without a body and
# state changes are skipped by the empty-body rule.
_MESSAGE_PARTS = {"comment", "open", "close", "assignment", "assign_and_reopen", "snoozed", "away_mode_assignment"}
_AREA_KEYS = ("product_area", "Product area", "product area")
_TIER_KEYS = ("customer_tier", "Customer tier", "tier", "Tier")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class IntercomAuthor(_Loose):
    type: Scalar = None
    id: Scalar = None


class IntercomSource(_Loose):
    id: Scalar = None
    body: Scalar = None
    subject: Scalar = None
    author: IntercomAuthor = Field(default_factory=IntercomAuthor)
    redacted: Scalar = None


class IntercomPart(_Loose):
    id: Scalar = None
    part_type: Scalar = None
    body: Scalar = None
    author: IntercomAuthor = Field(default_factory=IntercomAuthor)
    created_at: Scalar = None
    redacted: Scalar = None


class IntercomPartList(_Loose):
    conversation_parts: list[IntercomPart] = Field(default_factory=list, max_length=500)


class IntercomTag(_Loose):
    name: Scalar = None


class IntercomTagList(_Loose):
    tags: list[IntercomTag] = Field(default_factory=list, max_length=500)


class IntercomContactRef(_Loose):
    id: Scalar = None


class IntercomContactList(_Loose):
    contacts: list[IntercomContactRef] = Field(default_factory=list, max_length=500)


class IntercomConversation(_Loose):
    type: Scalar = None
    id: Scalar = None
    created_at: Scalar = None
    updated_at: Scalar = None
    title: Scalar = None
    source: IntercomSource | None = None
    conversation_parts: IntercomPartList = Field(default_factory=IntercomPartList)
    tags: IntercomTagList = Field(default_factory=IntercomTagList)
    priority: Scalar = None
    custom_attributes: dict[str, object] = Field(default_factory=dict)
    links: dict[str, object] = Field(default_factory=dict)
    contacts: IntercomContactList = Field(default_factory=IntercomContactList)


class IntercomData(_Loose):
    item: IntercomConversation | dict[str, object] | None = None


class IntercomNotification(_Loose):
    type: Scalar = None
    topic: str
    id: Scalar = None
    app_id: Scalar = None
    created_at: Scalar = None
    data: IntercomData = Field(default_factory=IntercomData)


def sign(client_secret: str, raw_body: bytes) -> str:
    return "sha1=" + hmac.new(client_secret.encode(), raw_body, hashlib.sha1).hexdigest()


def verify(headers: Mapping[str, str], raw_body: bytes, secret: IntercomSecret) -> None:
    signature = header(headers, SIGNATURE_HEADER)
    if not signature:
        raise AuthError(f"missing {SIGNATURE_HEADER} header")
    algorithm, _, digest = signature.strip().partition("=")
    if algorithm.lower() != "sha1" or not digest:
        raise AuthError(f"{SIGNATURE_HEADER} must be sha1=<hex digest>")
    if not equals("sha1=" + digest.lower(), sign(secret.client_secret, raw_body)):
        raise AuthError("invalid webhook signature")


def _role(author: IntercomAuthor) -> AuthorRole | None:
    kind = (text_or_none(author.type) or "").lower()
    if kind in _CUSTOMER:
        return AuthorRole.CUSTOMER
    if kind in _AGENT:
        return AuthorRole.AGENT
    if kind in _SYSTEM:
        return AuthorRole.SYSTEM
    return None


def _attribute(attributes: Mapping[str, object], keys: tuple[str, ...]) -> object:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str | int | float):
            return value
    return None


def _url(conversation: IntercomConversation, app_id: object, conversation_id: str) -> str | None:
    for key in ("conversation_web", "self"):
        url = clean_url(conversation.links.get(key))
        if url and "intercom" in url:
            return url
    app = text_or_none(app_id)
    if app and app.isalnum():
        return f"https://app.intercom.com/a/apps/{app}/inbox/inbox/conversation/{conversation_id}"
    return None


def _deletion(topic: str, item: IntercomConversation | dict[str, object] | None) -> Parsed:
    """*.deleted topics carry only the deleted object's identifying fields (type and id)."""
    fields = item.model_dump() if isinstance(item, IntercomConversation) else (item or {})
    subject = identifier(fields.get("id"), "data.item.id")
    kind = ErasureKind.TICKET if topic == CONVERSATION_DELETED else ErasureKind.REQUESTER
    return Parsed(erasures=[Erasure(kind, Source.INTERCOM, subject)])


def _requester(item: IntercomConversation) -> str | None:
    """The conversation's (first) contact: what contact.deleted names."""
    return next((c for c in (text_or_none(c.id) for c in item.contacts.contacts) if c), None)


def parse(raw_body: bytes, secret: IntercomSecret) -> Parsed:
    notification = validate(IntercomNotification, load_json_object(raw_body), "Intercom notification")
    if notification.topic == PING_TOPIC:
        return Parsed(ping=True)
    result = Parsed()
    item = notification.data.item
    if notification.topic in DELETION_TOPICS:
        return _deletion(notification.topic, item)
    if not isinstance(item, IntercomConversation) or text_or_none(item.type) != "conversation":
        # Topics about contacts, companies, tickets...: the app should not subscribe to them; nothing to score.
        result.skipped.append(Skip(f"topic {notification.topic[:64]} carries no conversation"))
        return result
    conversation_id = identifier(item.id, "data.item.id")
    context = _Context(
        conversation_id=conversation_id,
        fallback_created_at=notification.created_at,
        subject=item.title if text_or_none(item.title) else _plain_subject(item),
        priority=_priority(text_or_none(item.priority)),
        tags=clean_tags(tag.name for tag in item.tags.tags),
        area=product_area(_attribute(item.custom_attributes, _AREA_KEYS)),
        tier=map_tier(_attribute(item.custom_attributes, _TIER_KEYS)),
        url=_url(item, notification.app_id, conversation_id),
    )

    candidates: list[tuple[str, IntercomAuthor, object, object, object]] = []  # id, author, body, time, redacted
    if notification.topic.endswith(".created") and item.source is not None:
        # The conversation's first message lives in `source`, not in conversation_parts.
        source_id = text_or_none(item.source.id) or "source"
        candidates.append(
            (f"source-{source_id}", item.source.author, item.source.body, item.created_at, item.source.redacted)
        )
    for part in item.conversation_parts.conversation_parts:
        part_type = (text_or_none(part.part_type) or "").lower()
        part_id = identifier(part.id, "conversation_parts.id")
        if part_type not in _MESSAGE_PARTS:
            result.skipped.append(Skip(f"part type {part_type[:32] or 'missing'} is not a message", part_id))
            continue
        candidates.append((part_id, part.author, part.body, part.created_at, part.redacted))

    requester = _requester(item)
    for message_id, author, body_value, created, redacted in candidates:
        event = _event(result, secret, context, _Candidate(message_id, author, body_value, created, redacted))
        if event is not None:
            result.events.append(event)
            if requester is not None:
                result.requesters[event.event_id] = requester
    if not candidates:
        result.skipped.append(Skip("no new message in the notification"))
    return result


def _plain_subject(item: IntercomConversation) -> str:
    subject = text_or_none(item.source.subject) if item.source is not None else None
    return html_to_text(subject) if subject else ""


@dataclass(frozen=True)
class _Context:
    """Conversation-level fields every message of the notification shares."""

    conversation_id: str
    fallback_created_at: object
    subject: object
    priority: Priority | None
    tags: list[str]
    area: str | None
    tier: CustomerTier | None
    url: str | None


@dataclass(frozen=True)
class _Candidate:
    message_id: str
    author: IntercomAuthor
    body: object
    created_at: object
    redacted: object


def _event(result: Parsed, secret: IntercomSecret, context: _Context, candidate: _Candidate) -> TicketEvent | None:
    message_id = identifier(candidate.message_id, "message id")
    if secret.integration_admin_id and text_or_none(candidate.author.id) == secret.integration_admin_id:
        result.skipped.append(Skip("change made by the sentiment integration admin", message_id))
        return None
    if candidate.redacted is True:
        result.skipped.append(Skip("redacted part", message_id))
        return None
    role = _role(candidate.author)
    if role is None:
        raise BadPayload("a conversation part has no author type user, lead, contact, admin, team or bot")
    body = body_fields(candidate.body, result.warnings, message_id, html_hint=True)
    if body is None:
        result.skipped.append(Skip("empty message", message_id))
        return None
    return build_event(
        source=Source.INTERCOM,
        ticket_id=context.conversation_id,
        message_id=message_id,
        author_role=role,
        body=body,
        created_at=required_timestamp(
            candidate.created_at, context.fallback_created_at, name="conversation part created_at"
        ),
        subject=context.subject,
        priority=context.priority,
        tags=context.tags,
        area=context.area,
        tier=context.tier,
        url=context.url,
    )


def _priority(value: str | None) -> Priority | None:
    """Intercom's conversation priority is "priority" or "not_priority"; absent leaves the ticket's known one."""
    if value is None:
        return None
    return Priority.HIGH if value == "priority" else Priority.NORMAL
