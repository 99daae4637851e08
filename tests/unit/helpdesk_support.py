"""Fixtures, secrets and signing helpers shared by the helpdesk webhook tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

from ticket_sentiment.helpdesks import WebhookResult, handle_webhook

DATA = Path(__file__).resolve().parents[1] / "data" / "helpdesks"
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)

ZENDESK_SECRET = "zd-signing-secret-0123456789abcdef"
INTERCOM_SECRET = "ic-client-secret-0123456789abcdef"
FRESHDESK_TOKEN = "fd-shared-token-0123456789abcdef"
GENERIC_TOKEN = "generic-token-0123456789abcdef"
SF_ORG = "00D5g000004XmplEAC"
SF_TOKEN = "sf-endpoint-token-0123456789abcdef"

SECRETS = {
    "zendesk": json.dumps({"signing_secret": ZENDESK_SECRET, "integration_user_id": "399999999999"}),
    "intercom": json.dumps({"client_secret": INTERCOM_SECRET, "integration_admin_id": "5099999"}),
    "freshdesk": json.dumps({"token": FRESHDESK_TOKEN}),
    "salesforce": json.dumps({"organization_id": SF_ORG, "endpoint_token": SF_TOKEN}),
    "generic": json.dumps({"token": GENERIC_TOKEN}),
}


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def zendesk_headers(
    body: bytes,
    secret: str = ZENDESK_SECRET,
    timestamp: str = "2025-03-14T11:59:30Z",
) -> dict[str, str]:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


def intercom_headers(body: bytes, secret: str = INTERCOM_SECRET) -> dict[str, str]:
    return {"x-hub-signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


def token_headers(token: str = FRESHDESK_TOKEN) -> dict[str, str]:
    return {"x-ticket-sentiment-token": token}


def deliver(platform: str, body: bytes, **kwargs: object) -> WebhookResult:
    """One authenticated delivery of `body`, signed the way the platform signs it."""
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    if platform == "zendesk":
        headers = zendesk_headers(body)
    elif platform == "intercom":
        headers = intercom_headers(body)
    elif platform == "freshdesk":
        headers = token_headers()
    elif platform == "generic":
        headers = token_headers(GENERIC_TOKEN)
    elif platform == "salesforce":
        query = {"token": SF_TOKEN}
    secret = kwargs.pop("secret", SECRETS[platform])
    return handle_webhook(platform, headers, body, secret, NOW, query=query)  # type: ignore[arg-type]
