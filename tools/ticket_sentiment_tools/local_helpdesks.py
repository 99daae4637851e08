"""Every helpdesk, signed, on the local stack: a test secret per platform (the fields docs/helpdesks.md names), put
into the stack's helpdesk secrets, and a ready-to-paste shell snippet per platform that signs a sample delivery
the way the platform does (openssl for the HMACs) and posts it with curl.

The secrets are random per run and live only in moto: test values, never real ones.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

PLATFORMS = ("zendesk", "freshdesk", "intercom", "salesforce", "generic")
TOKEN_HEADER = "X-Ticket-Sentiment-Token"
LOCAL_ORG_ID = "00D5g000004XmplEAC"  # a well-formed Salesforce organization id; the XML below carries it


def test_secrets() -> dict[str, dict[str, Any]]:
    """One fresh test secret per platform, keyed by platform, with the field names of docs/helpdesks.md."""
    return {
        "zendesk": {"signing_secret": secrets.token_hex(16)},
        "freshdesk": {"token": secrets.token_hex(16), "header": TOKEN_HEADER, "allow_basic_auth": True},
        "intercom": {"client_secret": secrets.token_hex(16)},
        "salesforce": {"organization_id": LOCAL_ORG_ID, "endpoint_token": secrets.token_hex(16)},
        "generic": {"token": secrets.token_hex(16), "header": TOKEN_HEADER},
    }


def sample_body(platform: str, now: datetime | None = None) -> str:
    """A delivery as the platform sends it (the trigger templates of docs/helpdesks.md), dated now."""
    now = now or datetime.now(UTC)
    iso, epoch = now.strftime("%Y-%m-%dT%H:%M:%SZ"), int(now.timestamp())
    bodies: dict[str, Any] = {
        "zendesk": {
            "schema": "ticket-sentiment.zendesk.v1",
            "ticket": {
                "id": "ZD-9001",
                "title": "Refund still missing",
                "priority": "High",
                "tags": "billing refund",
                "group": "Billing",
                "updated_at": iso,
                "requester_id": "381000000001",
                "customer_tier": "Premium",
                "product_area": "billing",
            },
            "comment": {
                "id": "38200000001",
                "public": "true",
                "author_id": "381000000001",
                "author_role": "end-user",
                "html": "<p>Third time I am writing: the refund has still not arrived.</p>",
            },
            "updater": {"id": "381000000001", "role": "end-user"},
        },
        "freshdesk": {
            "schema": "ticket-sentiment.freshdesk.v1",
            "kind": "ticket_created",
            "triggered_event": "{ticket_action:created}",
            "ticket": {
                "id": "FD-9002",
                "subject": "App crashes on the invoices tab",
                "priority": "Urgent",
                "tags": "mobile-app, crash",
                "modified_at": iso,
                "customer_tier": "enterprise",
                "product_area": "Mobile app",
            },
            "message": "<div>The app closes itself whenever I tap Invoices. This is costing me money.</div>",
        },
        "intercom": {
            "type": "notification_event",
            "topic": "conversation.user.created",
            "id": f"notif_local_{epoch}",
            "created_at": epoch,
            "data": {
                "type": "notification_event_data",
                "item": {
                    "type": "conversation",
                    "id": "IC-9003",
                    "created_at": epoch,
                    "updated_at": epoch,
                    "source": {
                        "type": "conversation",
                        "id": "9003001",
                        "delivered_as": "customer_initiated",
                        "subject": "",
                        "body": "<p>My export has been stuck at 99% for an hour.</p>",
                        "author": {"type": "user", "id": "u-9003"},
                    },
                    "custom_attributes": {},
                    "tags": {"type": "tag.list", "tags": []},
                    "conversation_parts": {"type": "conversation_part.list", "conversation_parts": []},
                },
            },
        },
        "generic": {
            "source": "other",
            "ticket_id": "HD-9005",
            "message_id": "HD-9005-1",
            "author_role": "customer",
            "text": "I was charged twice for the same month. Please fix this.",
            "created_at": iso,
            "subject": "Double charge",
            "priority": "high",
            "customer_tier": "standard",
        },
    }
    if platform == "salesforce":
        return _salesforce_xml(iso)
    return json.dumps(bodies[platform])


def _salesforce_xml(iso: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{LOCAL_ORG_ID}</OrganizationId>
   <ActionId>04k5g000000XmplAAA</ActionId>
   <Notification>
    <Id>04l5g00000LoclAAAZ</Id>
    <sObject xsi:type="sf:Case" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>5005g00000LoclCAAR</sf:Id>
     <sf:CreatedDate>{iso}</sf:CreatedDate>
     <sf:LastModifiedDate>{iso}</sf:LastModifiedDate>
     <sf:Description>Our dashboard has been down since this morning and the whole team is blocked.</sf:Description>
     <sf:Priority>High</sf:Priority>
     <sf:Subject>Dashboard down for the whole team</sf:Subject>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>"""


def signed_curl(
    platform: str, url: str, secret: dict[str, Any], now: datetime | None = None, ingest_key: str | None = None
) -> str:
    """A bash snippet that signs the sample delivery as the platform does and posts it; prints the reply and the
    HTTP status. The body is quoted with a heredoc, so it is sent (and signed) byte for byte. The generic route also
    takes the ingest API key (`ingest_key`); the helpdesks' own routes are authenticated by their signature alone."""
    body = sample_body(platform, now)
    target = f"{url}/v1/webhooks/{platform}"
    content_type = "text/xml; charset=utf-8" if platform == "salesforce" else "application/json"
    auth: list[str] = []
    if platform == "zendesk":
        auth = [
            "TS=$(date -u +%Y-%m-%dT%H:%M:%SZ)",
            f"SIG=$(printf '%s%s' \"$TS\" \"$BODY\" | openssl dgst -sha256 -hmac '{secret['signing_secret']}' "
            "-binary | base64)",
        ]
        headers = ['-H "X-Zendesk-Webhook-Signature: $SIG"', '-H "X-Zendesk-Webhook-Signature-Timestamp: $TS"']
    elif platform == "intercom":
        auth = [
            f"SIG=$(printf '%s' \"$BODY\" | openssl dgst -sha1 -hmac '{secret['client_secret']}' | awk '{{print $NF}}')"
        ]
        headers = ['-H "X-Hub-Signature: sha1=$SIG"']
    elif platform == "salesforce":
        target += f"?token={secret['endpoint_token']}"
        headers = []
    else:
        headers = [f"-H '{secret['header']}: {secret['token']}'"]
        if ingest_key:
            headers.append(f"-H 'x-api-key: {ingest_key}'")
    lines = [
        f"# {platform}",
        "BODY=$(cat <<'DELIVERY'",
        body,
        "DELIVERY",
        ")",
        *auth,
        " ".join(
            [
                f"curl -s -w ' HTTP %{{http_code}}\\n' -X POST '{target}'",
                f"-H 'Content-Type: {content_type}'",
                *headers,
                '--data-binary "$BODY"',
            ]
        ),
    ]
    return "\n".join(lines) + "\n"
