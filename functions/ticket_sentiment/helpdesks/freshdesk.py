"""Freshdesk: automation rules with the "Trigger webhook" action and a custom JSON body (FRESHDESK_TEMPLATES).

Freshdesk cannot sign webhooks, so the rule sends a shared token in a custom header (default
X-Ticket-Sentiment-Token) or as the basic auth password. Its placeholders expose no comment id, so a reply's
message id is a hash of the ticket's latest public comment: stable across redeliveries (the same text hashes
the same), at the cost that two byte-identical replies on one ticket count once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..events import Source
from ..models import AuthorRole
from ..pipeline.lifecycle import Erasure, ErasureKind
from .common import (
    Parsed,
    Skip,
    body_fields,
    build_event,
    check_shared_token,
    clean_tags,
    clean_url,
    identifier,
    load_json_object,
    map_priority,
    map_tier,
    parse_timestamp,
    product_area,
    text_or_none,
    validate,
)
from .secrets import FreshdeskSecret

Kind = Literal["ticket_created", "customer_reply", "agent_reply", "ticket_deleted"]
Scalar = str | int | float | bool | None

_ROLES: dict[str, AuthorRole] = {
    "ticket_created": AuthorRole.CUSTOMER,
    "customer_reply": AuthorRole.CUSTOMER,
    "agent_reply": AuthorRole.AGENT,
}
# {{triggered_event}} renders e.g. "{ticket_action:created}", "{reply_sent:sent}", "{status:{from:2,to:3}}";
# these keys are property changes (ours included: the write-back sets tags and fields), never a new message.
_PROPERTY_EVENTS = {
    "status",
    "priority",
    "ticket_type",
    "group_id",
    "responder_id",
    "source",
    "product_id",
    "tag",
    "tags",
    "custom_field",
    "due_by",
    "time_sheet_action",
    "deleted",
    "spam",
}


def _template(kind: Kind, message_placeholder: str) -> str:
    return f"""\
{{
  "schema": "ticket-sentiment.freshdesk.v1",
  "kind": "{kind}",
  "triggered_event": "{{{{triggered_event}}}}",
  "ticket": {{
    "id": "{{{{ticket.id}}}}",
    "subject": "{{{{ticket.subject}}}}",
    "priority": "{{{{ticket.priority}}}}",
    "tags": "{{{{ticket.tags}}}}",
    "group": "{{{{ticket.group.name}}}}",
    "url": "{{{{ticket.url}}}}",
    "modified_at": "{{{{ticket.modified_on}}}}",
    "customer_tier": "",
    "product_area": ""
  }},
  "message": "{{{{{message_placeholder}}}}}"
}}
"""


# A "Ticket updates" rule on the event "Ticket is deleted" ({{triggered_event}} renders {deleted:...}): ids only.
_DELETED_TEMPLATE = """\
{
  "schema": "ticket-sentiment.freshdesk.v1",
  "kind": "ticket_deleted",
  "triggered_event": "{{triggered_event}}",
  "ticket": {
    "id": "{{ticket.id}}"
  }
}
"""

# One rule per kind; paste the matching body into the rule's "Trigger webhook" action (Content: Advanced).
FRESHDESK_TEMPLATES: dict[Kind, str] = {
    "ticket_created": _template("ticket_created", "ticket.description"),
    "customer_reply": _template("customer_reply", "ticket.latest_public_comment"),
    "agent_reply": _template("agent_reply", "ticket.latest_public_comment"),
    "ticket_deleted": _DELETED_TEMPLATE,
}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class FreshdeskTicket(_Loose):
    id: Scalar = None
    subject: Scalar = None
    priority: Scalar = None
    tags: str | list[Scalar] | None = None
    group: Scalar = None
    url: Scalar = None
    modified_at: Scalar = None
    created_at: Scalar = None
    customer_tier: Scalar = None
    product_area: Scalar = None


class FreshdeskPayload(_Loose):
    kind: Kind
    triggered_event: Scalar = None
    ticket: FreshdeskTicket
    message: Scalar = None


def verify(headers: Mapping[str, str], secret: FreshdeskSecret) -> None:
    check_shared_token(headers, secret.token, secret.header, secret.allow_basic_auth)


def event_key(triggered_event: object) -> str | None:
    text = text_or_none(triggered_event)
    if text is None:
        return None
    match = re.match(r"\{?\s*\"?([A-Za-z_]+)", text)
    return match.group(1).lower() if match else None


def _split_tags(tags: str | list[Scalar] | None) -> list[Scalar]:
    if isinstance(tags, str):
        return list(tags.split(","))  # Freshdesk tags may contain spaces; the placeholder joins them with commas
    return list(tags or [])


def message_id_for(kind: str, message: str) -> str:
    if kind == "ticket_created":
        return "description"
    digest = hashlib.sha256(" ".join(message.split()).encode()).hexdigest()[:24]
    return f"reply-{digest}"


def parse(raw_body: bytes, received_at: datetime) -> Parsed:
    payload = validate(FreshdeskPayload, load_json_object(raw_body), "Freshdesk webhook payload")
    ticket = payload.ticket
    ticket_id = identifier(ticket.id, "ticket.id")
    result = Parsed()
    if payload.kind == "ticket_deleted":
        result.erasures.append(Erasure(ErasureKind.TICKET, Source.FRESHDESK, ticket_id))
        return result
    key = event_key(payload.triggered_event)
    if key is not None and (key in _PROPERTY_EVENTS or key.startswith("cf_")):
        result.skipped.append(Skip("no new message: the rule fired on a property change"))
        return result
    message = text_or_none(payload.message)
    if message is None:
        result.skipped.append(Skip("no new message: the message placeholder rendered empty"))
        return result
    message_id = message_id_for(payload.kind, message)
    body = body_fields(message, result.warnings, message_id)
    if body is None:
        result.skipped.append(Skip("empty message", message_id))
        return result
    # Freshdesk renders dates in the account's display format; when it is not ISO the delivery time stands in
    # (the event id does not depend on it, so redeliveries still deduplicate).
    created_at = parse_timestamp(ticket.modified_at) or parse_timestamp(ticket.created_at) or received_at
    result.events.append(
        build_event(
            source=Source.FRESHDESK,
            ticket_id=ticket_id,
            message_id=message_id,
            author_role=_ROLES[payload.kind],
            body=body,
            created_at=created_at,
            subject=ticket.subject,
            priority=map_priority(ticket.priority),
            tags=clean_tags(_split_tags(ticket.tags)),
            area=product_area(ticket.product_area, ticket.group),
            tier=map_tier(ticket.customer_tier),
            url=clean_url(ticket.url),
        )
    )
    return result
