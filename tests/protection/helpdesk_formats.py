"""One corpus case as each way into the local API: the canonical event (POST /v1/events) and each helpdesk's
webhook (POST /v1/webhooks/{platform}), signed with the local stack's test secrets the way the platform signs.

The case's subject goes where the platform puts a subject, its body where the platform puts a message: as HTML
when the case is HTML (Zendesk's comment html, Intercom's part body, Salesforce's EmailMessage HtmlBody), as
text otherwise (Zendesk's comment value, Freshdesk's message, Salesforce's Case Description; Intercom only
sends HTML, so a text body goes as the paragraphs Intercom would render). The case's first value is also sent
as a tag and as the product area, the free-text fields every parser reads, when it is a structured value or a
full name (see `_label`).
"""

from __future__ import annotations

import html
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from ticket_sentiment.helpdesks import intercom, salesforce, zendesk
from ticket_sentiment_tools.local_helpdesks import LOCAL_ORG_ID, TOKEN_HEADER, test_secrets
from ticket_sentiment_tools.local_stack import LocalRuntime, LocalStack
from ticket_sentiment_tools.redaction.corpus import Case, event_payload

FORMATS = ("events", "generic", "zendesk", "freshdesk", "intercom", "salesforce")


@dataclass(frozen=True)
class Delivery:
    """A request to the local API and the ticket id its message is stored under."""

    path: str
    body: bytes
    headers: dict[str, str]
    ticket_id: str

    @property
    def source(self) -> str:
        """The ticket's source: the helpdesk of a webhook route; "other" for the canonical producers."""
        platform = self.path.removeprefix("/v1/webhooks/").split("?")[0]
        return "other" if self.path == "/v1/events" or platform == "generic" else platform


def _plain_id(case_id: str) -> str:
    return case_id.replace("_", "-")  # helpdesk ids allow letters, digits and ._:@/#+- only


_IN_LABELS = frozenset({"EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "IP"})


def _label(case: Case) -> str:
    """What a careless helpdesk set-up puts in a tag or custom field: the case's first value when it is a
    structured one or a full name, else a plain product area."""
    if case.values:
        kind, value = case.values[0]
        obfuscated = kind == "EMAIL" and " " in value  # "x at gmail.com", "a @ b.de": nobody tags that
        if (kind in _IN_LABELS and not obfuscated) or (kind.startswith("NAME") and len(value.split()) >= 2):
            return value
    return "billing"


class Helpdesks:
    """The helpdesk secrets of a local stack (fresh test values, as `local --serve` configures them) and the
    signed delivery of a case in each format."""

    def __init__(self) -> None:
        self.secrets = test_secrets()

    def configure(self, stack: LocalStack) -> None:
        stack.helpdesk_secret_prefix = f"{stack.prefix}/helpdesk/"
        manager = stack.client("secretsmanager")
        for platform, value in self.secrets.items():
            manager.create_secret(Name=f"{stack.helpdesk_secret_prefix}{platform}", SecretString=json.dumps(value))

    def delivery(self, fmt: str, case: Case, runtime: LocalRuntime) -> Delivery:
        now = datetime.now(UTC)
        if fmt == "events":
            return Delivery("/v1/events", _json(event_payload(case)), runtime.key("ingest"), case.case_id)
        if fmt == "generic":
            event = {**event_payload(case), "ticket_id": f"GN-{case.case_id}", "tags": [_label(case)]}
            headers = {**runtime.key("ingest"), TOKEN_HEADER: self.secrets["generic"]["token"]}
            return Delivery("/v1/webhooks/generic", _json(event), headers, f"GN-{case.case_id}")
        build = {"zendesk": self._zendesk, "freshdesk": self._freshdesk, "intercom": self._intercom}.get(fmt)
        if build is not None:
            return build(case, now)
        if fmt == "salesforce":
            return self._salesforce(case, now)
        raise ValueError(f"unknown format {fmt}")

    def _zendesk(self, case: Case, now: datetime) -> Delivery:
        ticket_id = f"ZD-{_plain_id(case.case_id)}"
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = {
            "schema": "ticket-sentiment.zendesk.v1",
            "ticket": {
                "id": ticket_id,
                "title": case.subject,
                "priority": "High",
                "tags": _label(case).replace(" ", "_"),  # Zendesk's tags hold no spaces: a space separates them
                "updated_at": stamp,
                "requester_id": "381000000001",
                "product_area": _label(case),
            },
            "comment": {
                "id": f"{ticket_id}-c1",
                "public": "true",
                "author_id": "381000000001",
                "author_role": "end-user",
                ("html" if case.html else "value"): case.body,
            },
            "updater": {"id": "381000000001", "role": "end-user"},
        }
        body = _json(payload)
        signature = zendesk.sign(self.secrets["zendesk"]["signing_secret"], stamp, body)
        headers = {zendesk.SIGNATURE_HEADER: signature, zendesk.TIMESTAMP_HEADER: stamp}
        return Delivery("/v1/webhooks/zendesk", body, headers, ticket_id)

    def _freshdesk(self, case: Case, now: datetime) -> Delivery:
        ticket_id = f"FD-{_plain_id(case.case_id)}"
        payload = {
            "schema": "ticket-sentiment.freshdesk.v1",
            "kind": "ticket_created",
            "triggered_event": "{ticket_action:created}",
            "ticket": {
                "id": ticket_id,
                "subject": case.subject,
                "priority": "Urgent",
                "tags": _label(case),
                "modified_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "product_area": _label(case),
            },
            "message": case.body,
        }
        secret = self.secrets["freshdesk"]
        return Delivery("/v1/webhooks/freshdesk", _json(payload), {secret["header"]: secret["token"]}, ticket_id)

    def _intercom(self, case: Case, now: datetime) -> Delivery:
        ticket_id = f"IC-{_plain_id(case.case_id)}"
        epoch = int(now.timestamp())
        body = case.body if case.html else "".join(f"<p>{html.escape(line)}</p>" for line in case.body.split("\n"))
        payload: dict[str, Any] = {
            "type": "notification_event",
            "topic": "conversation.user.created",
            "id": f"notif_{secrets.token_hex(6)}",
            "created_at": epoch,
            "data": {
                "type": "notification_event_data",
                "item": {
                    "type": "conversation",
                    "id": ticket_id,
                    "created_at": epoch,
                    "title": None,
                    "source": {
                        "type": "conversation",
                        "id": f"{ticket_id}-s",
                        "delivered_as": "customer_initiated",
                        "subject": html.escape(case.subject),
                        "body": body,
                        "author": {"type": "user", "id": "u-corpus"},
                    },
                    "custom_attributes": {"product_area": _label(case)},
                    "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "1", "name": _label(case)}]},
                    "conversation_parts": {"type": "conversation_part.list", "conversation_parts": []},
                },
            },
        }
        raw = _json(payload)
        headers = {"X-Hub-Signature": intercom.sign(self.secrets["intercom"]["client_secret"], raw)}
        return Delivery("/v1/webhooks/intercom", raw, headers, ticket_id)

    def _salesforce(self, case: Case, now: datetime) -> Delivery:
        number = sum(ord(c) * 31**i for i, c in enumerate(case.case_id)) % 10**10
        case_id, email_id = f"5005g{number:010d}", f"02s5g{number:010d}"
        iso = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if case.html:  # a customer's HTML e-mail on the case
            sobject = (
                f'<sObject xsi:type="sf:EmailMessage" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
                f"<sf:Id>{email_id}</sf:Id><sf:ParentId>{case_id}</sf:ParentId><sf:CreatedDate>{iso}</sf:CreatedDate>"
                f"<sf:MessageDate>{iso}</sf:MessageDate><sf:Incoming>true</sf:Incoming><sf:Status>0</sf:Status>"
                f"<sf:Subject>{_xml(case.subject)}</sf:Subject><sf:HtmlBody>{_xml(case.body)}</sf:HtmlBody>"
                "</sObject>"
            )
        else:  # a new case, its description the message
            sobject = (
                f'<sObject xsi:type="sf:Case" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
                f"<sf:Id>{case_id}</sf:Id><sf:CreatedDate>{iso}</sf:CreatedDate>"
                f"<sf:LastModifiedDate>{iso}</sf:LastModifiedDate><sf:Priority>High</sf:Priority>"
                f"<sf:Product_Area__c>{_xml(_label(case))}</sf:Product_Area__c>"
                f"<sf:Subject>{_xml(case.subject)}</sf:Subject><sf:Description>{_xml(case.body)}</sf:Description>"
                "</sObject>"
            )
        envelope = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
            '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
            f"<OrganizationId>{LOCAL_ORG_ID}</OrganizationId><ActionId>04k5g000000XmplAAA</ActionId>"
            f"<Notification><Id>04l5g{number:010d}</Id>{sobject}</Notification>"
            "</notifications></soapenv:Body></soapenv:Envelope>"
        )
        token = self.secrets["salesforce"]["endpoint_token"]
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        # Stored under the 18-character form of the case id, as every Salesforce id is.
        return Delivery(f"/v1/webhooks/salesforce?token={token}", envelope.encode(), headers, salesforce.to_18(case_id))


# Characters XML 1.0 cannot carry: Salesforce's SOAP never holds them (the customer's NUL never reaches the XML).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()
