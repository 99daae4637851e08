"""Salesforce Service Cloud: Outbound Messages (workflow/flow) on Case and EmailMessage, as a SOAP envelope
with 1..100 Notification elements.

Outbound Messages carry no signature and no custom headers: the envelope's OrganizationId must equal the
configured org, and the endpoint URL's `token` query parameter must match the secret's required `endpoint_token`
(the org id is public, the token is the secret). Salesforce retries until it gets the SOAP Ack (ack_response()), so
answer it only once every event is enqueued.

XML is parsed with the standard library; defusedxml is not installed, so any DOCTYPE or ENTITY declaration is
refused before parsing (that closes entity-expansion and external-entity attacks).
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from ..events import Source
from ..models import AuthorRole
from ..pipeline.lifecycle import Erasure, ErasureKind
from .common import (
    Parsed,
    Skip,
    body_fields,
    build_event,
    equals,
    identifier,
    map_priority,
    map_tier,
    product_area,
    required_timestamp,
    text_or_none,
    validate,
)
from .errors import AuthError, BadPayload
from .secrets import SalesforceSecret

ACK_CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_NOTIFICATIONS = 100  # Salesforce batches at most 100 notifications per message
TOKEN_QUERY_PARAM = "token"

_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_SF_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
_DRAFT_STATUS = "5"  # EmailMessage.Status: 0 New, 1 Read, 2 Replied, 3 Sent, 4 Forwarded, 5 Draft
_AREA_FIELDS = ("Product_Area__c", "ProductArea__c", "Product__c")
_TIER_FIELDS = ("Customer_Tier__c", "CustomerTier__c", "Tier__c")

_ACK = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soapenv:Body>
    <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
      <Ack>true</Ack>
    </notificationsResponse>
  </soapenv:Body>
</soapenv:Envelope>
"""


def ack_response() -> str:
    """The body that tells Salesforce the notifications were received (serve as ACK_CONTENT_TYPE, status 200)."""
    return _ACK


class _SObject(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class SalesforceCase(_SObject):
    Id: str | None = None
    CaseNumber: str | None = None
    Subject: str | None = None
    Description: str | None = None
    Priority: str | None = None
    Origin: str | None = None
    Status: str | None = None
    CreatedDate: str | None = None
    LastModifiedDate: str | None = None
    LastModifiedById: str | None = None
    IsDeleted: str | None = None  # "true" only in the deletion notification an after-delete trigger sends


class SalesforceEmailMessage(_SObject):
    Id: str | None = None
    ParentId: str | None = None
    TextBody: str | None = None
    HtmlBody: str | None = None
    Incoming: str | None = None
    Subject: str | None = None
    Status: str | None = None
    CreatedDate: str | None = None
    MessageDate: str | None = None
    CreatedById: str | None = None


@dataclass(frozen=True)
class Notification:
    notification_id: str | None  # per delivery attempt batch, never used for idempotency
    sobject_type: str
    fields: dict[str, str | None]


@dataclass(frozen=True)
class Envelope:
    organization_id: str | None
    enterprise_url: str | None
    partner_url: str | None
    notifications: list[Notification]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: ET.Element) -> str | None:
    if element.get(_XSI_NIL) == "true":
        return None
    return element.text


def parse_envelope(raw_body: bytes) -> Envelope:
    try:
        document = raw_body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadPayload("body is not UTF-8 XML") from exc
    if _FORBIDDEN.search(document):
        raise BadPayload("XML with a DOCTYPE or ENTITY declaration is not accepted")
    try:
        # Parsing the decoded str makes expat ignore any encoding declaration, so the check above saw what it parses.
        root = ET.fromstring(document)
    except (ET.ParseError, ValueError, RecursionError) as exc:
        raise BadPayload("body is not well-formed XML") from exc
    if _local(root.tag) != "Envelope":
        raise BadPayload("body is not a SOAP envelope")
    body = next((child for child in root if _local(child.tag) == "Body"), None)
    notifications = None if body is None else next((c for c in body if _local(c.tag) == "notifications"), None)
    if notifications is None:
        raise BadPayload("SOAP body has no notifications element")
    values: dict[str, str | None] = {}
    items: list[Notification] = []
    for child in notifications:
        name = _local(child.tag)
        if name == "Notification":
            if len(items) == MAX_NOTIFICATIONS:
                raise BadPayload(f"more than {MAX_NOTIFICATIONS} notifications in one message")
            items.append(_notification(child))
        elif name in ("OrganizationId", "ActionId", "SessionId", "EnterpriseUrl", "PartnerUrl"):
            values[name] = _text(child)
    if not items:
        raise BadPayload("notifications element holds no Notification")
    return Envelope(
        text_or_none(values.get("OrganizationId")),
        text_or_none(values.get("EnterpriseUrl")),
        text_or_none(values.get("PartnerUrl")),
        items,
    )


def _notification(element: ET.Element) -> Notification:
    notification_id: str | None = None
    sobject: ET.Element | None = None
    for child in element:
        name = _local(child.tag)
        if name == "Id":
            notification_id = text_or_none(_text(child))
        elif name == "sObject":
            sobject = child
    if sobject is None:
        raise BadPayload("a Notification has no sObject")
    sobject_type = (sobject.get(_XSI_TYPE) or "").rsplit(":", 1)[-1]
    fields = {_local(field.tag): _text(field) for field in sobject}
    return Notification(notification_id, sobject_type, fields)


def org_ids_match(configured: str, received: str) -> bool:
    """15- and 18-character forms of one id share the case-sensitive 15-character prefix; two 18s must be equal."""
    if not _SF_ID.match(received):
        return False
    prefix_ok = equals(received[:15], configured[:15])
    if len(received) == 18 and len(configured) == 18:
        return equals(received, configured) and prefix_ok
    return prefix_ok


def verify(raw_body: bytes, secret: SalesforceSecret, query: Mapping[str, str]) -> None:
    presented = next((v for k, v in query.items() if k.lower() == TOKEN_QUERY_PARAM), None)
    if not presented:
        raise AuthError(f"missing {TOKEN_QUERY_PARAM} query parameter")
    if not equals(presented, secret.endpoint_token):
        raise AuthError("invalid credentials")
    try:
        envelope = parse_envelope(raw_body)
    except BadPayload as exc:
        # Unauthenticated: say what is wrong with the XML, but as an auth failure, and nothing more.
        raise AuthError(f"cannot read OrganizationId: {exc.reason}") from exc
    if envelope.organization_id is None:
        raise AuthError("missing OrganizationId")
    if not org_ids_match(secret.organization_id, envelope.organization_id):
        raise AuthError("OrganizationId does not match the configured organization")


def to_18(sf_id: str) -> str:
    """The case-insensitive 18-character form, so Case.Id and EmailMessage.ParentId name one ticket."""
    if len(sf_id) != 15:
        return sf_id
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for chunk in (sf_id[0:5], sf_id[5:10], sf_id[10:15]):
        bits = sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")
        suffix += alphabet[bits]
    return sf_id + suffix


def _sf_id(value: object, name: str) -> str:
    text = identifier(value, name)
    if not _SF_ID.match(text):
        raise BadPayload(f"{name} is not a 15- or 18-character Salesforce id")
    return to_18(text)


def _case_url(envelope: Envelope, sobject: str, record_id: str) -> str | None:
    for candidate in (envelope.enterprise_url, envelope.partner_url):
        if candidate is None:
            continue
        parts = urlsplit(candidate)
        if parts.scheme == "https" and parts.hostname and re.fullmatch(r"[A-Za-z0-9.-]+", parts.hostname):
            return f"https://{parts.hostname}/lightning/r/{sobject}/{record_id}/view"
    return None


def _first(fields: Mapping[str, str | None], names: tuple[str, ...]) -> str | None:
    return next((fields[n] for n in names if text_or_none(fields.get(n))), None)


def parse(raw_body: bytes, secret: SalesforceSecret) -> Parsed:
    envelope = parse_envelope(raw_body)
    result = Parsed()
    for notification in envelope.notifications:
        if notification.sobject_type == "Case":
            _case(result, envelope, notification, secret)
        elif notification.sobject_type == "EmailMessage":
            _email(result, envelope, notification, secret)
        else:
            result.skipped.append(Skip(f"sObject type {notification.sobject_type[:40] or 'missing'} is not supported"))
    return result


def _case(result: Parsed, envelope: Envelope, notification: Notification, secret: SalesforceSecret) -> None:
    case = validate(SalesforceCase, notification.fields, "Salesforce Case")
    case_id = _sf_id(case.Id, "Case.Id")
    if (text_or_none(case.IsDeleted) or "").lower() == "true":
        result.erasures.append(Erasure(ErasureKind.TICKET, Source.SALESFORCE, case_id))
        return
    description = text_or_none(case.Description)
    if secret.integration_user_id and text_or_none(case.LastModifiedById) == secret.integration_user_id:
        result.skipped.append(Skip("change made by the sentiment integration user", case_id))
        return
    if description is None:
        result.skipped.append(Skip("no new message: the case has no description", case_id))
        return
    # Case updates re-send the same description: hashing it (not LastModifiedDate, which changes on every field
    # edit, ours included) makes redeliveries and unrelated updates duplicates, and an edited description new.
    message_id = "description-" + hashlib.sha256(" ".join(description.split()).encode()).hexdigest()[:16]
    body = body_fields(description, result.warnings, f"{case_id}/{message_id}")
    if body is None:
        result.skipped.append(Skip("empty message", case_id))
        return
    fields = notification.fields
    result.events.append(
        build_event(
            source=Source.SALESFORCE,
            ticket_id=case_id,
            message_id=message_id,
            author_role=AuthorRole.CUSTOMER,
            body=body,
            created_at=required_timestamp(case.CreatedDate, case.LastModifiedDate, name="Case.CreatedDate"),
            subject=case.Subject or "",
            priority=map_priority(case.Priority),
            area=product_area(_first(fields, _AREA_FIELDS)),
            tier=map_tier(_first(fields, _TIER_FIELDS)),
            url=_case_url(envelope, "Case", case_id),
        )
    )


def _email(result: Parsed, envelope: Envelope, notification: Notification, secret: SalesforceSecret) -> None:
    email = validate(SalesforceEmailMessage, notification.fields, "Salesforce EmailMessage")
    message_id = _sf_id(email.Id, "EmailMessage.Id")
    if text_or_none(email.ParentId) is None:
        result.skipped.append(Skip("e-mail is not attached to a case", message_id))
        return
    case_id = _sf_id(email.ParentId, "EmailMessage.ParentId")
    if secret.integration_user_id and text_or_none(email.CreatedById) == secret.integration_user_id:
        result.skipped.append(Skip("e-mail sent by the sentiment integration user", message_id))
        return
    if text_or_none(email.Status) == _DRAFT_STATUS:
        result.skipped.append(Skip("draft e-mail", message_id))
        return
    incoming = (text_or_none(email.Incoming) or "").lower()
    if incoming not in ("true", "false"):
        raise BadPayload("EmailMessage.Incoming must be true or false")
    html = text_or_none(email.HtmlBody)
    body = (
        body_fields(html, result.warnings, message_id, html_hint=True)
        if html
        else body_fields(email.TextBody, result.warnings, message_id, html_hint=False)
    )
    if body is None:
        result.skipped.append(Skip("empty message", message_id))
        return
    result.events.append(
        build_event(
            source=Source.SALESFORCE,
            ticket_id=case_id,
            message_id=message_id,
            author_role=AuthorRole.CUSTOMER if incoming == "true" else AuthorRole.AGENT,
            body=body,
            created_at=required_timestamp(email.MessageDate, email.CreatedDate, name="EmailMessage.MessageDate"),
            subject=email.Subject or "",
            url=_case_url(envelope, "Case", case_id),
        )
    )
