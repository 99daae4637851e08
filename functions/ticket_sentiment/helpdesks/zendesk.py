"""Zendesk: a webhook fired by a ticket trigger, with the JSON body built from placeholders (ZENDESK_BODY_TEMPLATE).

Signature (https://developer.zendesk.com/documentation/webhooks/verifying/):
X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(signing_secret, timestamp + raw_body)), with the timestamp from
X-Zendesk-Webhook-Signature-Timestamp (ISO 8601), which also bounds replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from ..events import Source
from ..headers import header
from ..models import AuthorRole
from ..pipeline.lifecycle import Erasure, ErasureKind
from .common import (
    Parsed,
    Skip,
    blank,
    body_fields,
    build_event,
    clean_tags,
    clean_url,
    equals,
    identifier,
    load_json_object,
    map_priority,
    map_tier,
    parse_timestamp,
    product_area,
    required_timestamp,
    text_or_none,
    validate,
)
from .errors import AuthError, BadPayload
from .secrets import ZendeskSecret

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
DEFAULT_REPLAY_WINDOW = timedelta(minutes=5)

# Event webhooks (subscribed to events, not called by a trigger): what deletes or redacts data here.
EVENT_TYPE_PREFIX = "zen:event-type:"
TICKET_DELETIONS = frozenset({"ticket.soft_deleted", "ticket.permanently_deleted"})
COMMENT_REDACTED = "ticket.comment_redacted"
USER_DELETED = "user.deleted"
ERASURE_EVENT_TYPES = tuple(EVENT_TYPE_PREFIX + t for t in (*sorted(TICKET_DELETIONS), COMMENT_REDACTED, USER_DELETED))

# Paste as the trigger action's JSON body ("Notify by > Active webhook"). Every placeholder is quoted: Zendesk
# JSON-escapes what it renders into a string and renders unknown or empty placeholders as "", so numbers arrive
# as strings and missing values as "" — the parser accepts both. Fill customer_tier / product_area with your own
# placeholders (e.g. {{ticket.organization.custom_fields.tier}}) or leave them "".
ZENDESK_BODY_TEMPLATE = """\
{
  "schema": "ticket-sentiment.zendesk.v1",
  "ticket": {
    "id": "{{ticket.id}}",
    "title": "{{ticket.title}}",
    "priority": "{{ticket.priority}}",
    "tags": "{{ticket.tags}}",
    "group": "{{ticket.group.name}}",
    "brand": "{{ticket.brand.name}}",
    "link": "{{ticket.link}}",
    "updated_at": "{{ticket.updated_at_with_timestamp}}",
    "requester_id": "{{ticket.requester.id}}",
    "customer_tier": "",
    "product_area": ""
  },
  "comment": {
    "id": "{{ticket.latest_comment.id}}",
    "public": "{{ticket.latest_comment.is_public}}",
    "author_id": "{{ticket.latest_comment.author.id}}",
    "author_role": "{{ticket.latest_comment.author.role}}",
    "html": "{{ticket.latest_comment_html}}"
  },
  "updater": {
    "id": "{{current_user.id}}",
    "role": "{{current_user.role}}"
  }
}
"""

Scalar = str | int | float | bool | None

_CUSTOMER_ROLES = {"end-user", "end_user", "enduser", "end user", "customer", "requester", "user"}
_AGENT_ROLES = {"agent", "admin", "administrator", "light agent", "light_agent", "team member", "owner"}
_SYSTEM_ROLES = {"system", "zendesk", "bot"}
_SYSTEM_USER_IDS = {"-1"}  # Zendesk's own automatic comments


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class ZendeskTicket(_Loose):
    id: Scalar = None
    title: Scalar = None
    priority: Scalar = None
    tags: str | list[Scalar] | None = None
    group: Scalar = None
    brand: Scalar = None
    link: Scalar = None
    updated_at: Scalar = None
    created_at: Scalar = None
    requester_id: Scalar = None
    customer_tier: Scalar = None
    product_area: Scalar = None


class ZendeskComment(_Loose):
    id: Scalar = None
    public: Scalar = None
    author_id: Scalar = None
    author_role: Scalar = None
    html: Scalar = None
    value: Scalar = None  # {{ticket.latest_comment}} (plain) when a template sends that instead of the HTML
    created_at: Scalar = None


class ZendeskUser(_Loose):
    id: Scalar = None
    role: Scalar = None


class ZendeskPayload(_Loose):
    ticket: ZendeskTicket
    comment: ZendeskComment = Field(default_factory=ZendeskComment)
    updater: ZendeskUser = Field(default_factory=ZendeskUser)


def sign(secret: str, timestamp: str, raw_body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(
    headers: Mapping[str, str],
    raw_body: bytes,
    secret: ZendeskSecret,
    now: datetime,
    replay_window: timedelta = DEFAULT_REPLAY_WINDOW,
) -> None:
    signature = header(headers, SIGNATURE_HEADER)
    timestamp = header(headers, TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise AuthError(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    # The signature is checked first, so an attacker learns nothing from clock errors.
    keys = [k for k in (secret.signing_secret, secret.events_signing_secret) if k]
    if not any(equals(signature.strip(), sign(key, timestamp, raw_body)) for key in keys):
        raise AuthError("invalid webhook signature")
    signed_at = parse_timestamp(timestamp)
    if signed_at is None:
        raise AuthError(f"{TIMESTAMP_HEADER} is not a timestamp")
    if abs(now - signed_at) > replay_window:
        raise AuthError("webhook timestamp is outside the replay window")


def _role(comment: ZendeskComment, updater: ZendeskUser, requester_id: str | None) -> AuthorRole | None:
    author_id = text_or_none(comment.author_id)
    if author_id in _SYSTEM_USER_IDS:
        return AuthorRole.SYSTEM
    role = (text_or_none(comment.author_role) or "").lower()
    if not role and author_id is not None and author_id == text_or_none(updater.id):
        role = (text_or_none(updater.role) or "").lower()  # the updater wrote the comment
    if role in _CUSTOMER_ROLES:
        return AuthorRole.CUSTOMER
    if role in _SYSTEM_ROLES:
        return AuthorRole.SYSTEM
    if role in _AGENT_ROLES or role:
        # A non-empty role we do not know is a custom agent role: only end users have the fixed "end-user".
        return AuthorRole.AGENT
    if author_id is not None and requester_id is not None:
        return AuthorRole.CUSTOMER if author_id == requester_id else AuthorRole.AGENT
    return None


class ZendeskEventComment(_Loose):
    id: Scalar = None


class ZendeskEventChange(_Loose):
    comment: ZendeskEventComment = Field(default_factory=ZendeskEventComment)


class ZendeskEvent(_Loose):
    """An event webhook's body (https://developer.zendesk.com/api-reference/webhooks/event-types/): `type`
    zen:event-type:<domain>.<event>, `detail` the ticket or user, `event` what changed."""

    type: str
    detail: dict[str, Scalar | list[Scalar] | dict[str, Scalar]] = Field(default_factory=dict)
    event: ZendeskEventChange = Field(default_factory=ZendeskEventChange)


def _parse_event(data: dict[str, object]) -> Parsed:
    event = validate(ZendeskEvent, data, "Zendesk event")
    kind = event.type[len(EVENT_TYPE_PREFIX) :]  # the docs spell some "zen:event-type/user.merged"
    result = Parsed()
    if kind in TICKET_DELETIONS:
        ticket_id = identifier(event.detail.get("id"), "detail.id")
        result.erasures.append(Erasure(ErasureKind.TICKET, Source.ZENDESK, ticket_id))
    elif kind == COMMENT_REDACTED:
        ticket_id = identifier(event.detail.get("id"), "detail.id")
        comment_id = identifier(event.event.comment.id, "event.comment.id")
        result.erasures.append(Erasure(ErasureKind.MESSAGE, Source.ZENDESK, ticket_id, comment_id))
    elif kind == USER_DELETED:
        user_id = identifier(event.detail.get("id"), "detail.id")
        result.erasures.append(Erasure(ErasureKind.REQUESTER, Source.ZENDESK, user_id))
    else:
        # user.merged moves the user's tickets to the surviving user and deletes no ticket: nothing to erase.
        result.skipped.append(Skip(f"event {kind[:64]} deletes nothing"))
    return result


def parse(raw_body: bytes, secret: ZendeskSecret) -> Parsed:
    data = load_json_object(raw_body)
    if isinstance(data.get("type"), str) and str(data["type"]).startswith(EVENT_TYPE_PREFIX[:-1]):
        return _parse_event(data)
    payload = validate(ZendeskPayload, data, "Zendesk trigger payload")
    ticket, comment = payload.ticket, payload.comment
    ticket_id = identifier(ticket.id, "ticket.id")
    result = Parsed()
    if blank(comment.id):
        # Our write-back changes tags/fields without a comment; a trigger without "Comment is present" sends those.
        result.skipped.append(Skip("no new message: the update carried no comment"))
        return result
    message_id = identifier(comment.id, "comment.id")
    integration = secret.integration_user_id
    if integration and integration in (text_or_none(comment.author_id), text_or_none(payload.updater.id)):
        result.skipped.append(Skip("change made by the sentiment integration user", message_id))
        return result
    if str(comment.public).strip().lower() == "false":
        result.skipped.append(Skip("internal note", message_id))
        return result
    role = _role(comment, payload.updater, text_or_none(ticket.requester_id))
    if role is None:
        # A template problem, not a message to drop silently: a 400 shows in Zendesk's webhook activity log.
        raise BadPayload("cannot tell who wrote the comment: comment.author_role and ticket.requester_id are empty")
    body = body_fields(comment.html if not blank(comment.html) else comment.value, result.warnings, message_id)
    if body is None:
        result.skipped.append(Skip("empty message", message_id))
        return result
    tags = ticket.tags.split() if isinstance(ticket.tags, str) else (ticket.tags or [])
    event = build_event(
        source=Source.ZENDESK,
        ticket_id=ticket_id,
        message_id=message_id,
        author_role=role,
        body=body,
        created_at=required_timestamp(
            comment.created_at, ticket.updated_at, ticket.created_at, name="ticket.updated_at"
        ),
        subject=ticket.title,
        priority=map_priority(ticket.priority),
        tags=clean_tags(tags),
        area=product_area(ticket.product_area, ticket.group, ticket.brand),
        tier=map_tier(ticket.customer_tier),
        url=clean_url(ticket.link),
    )
    result.events.append(event)
    if (requester := text_or_none(ticket.requester_id)) is not None:
        result.requesters[event.event_id] = requester
    return result
