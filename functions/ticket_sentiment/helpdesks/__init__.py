"""Inbound helpdesk webhooks (Zendesk, Freshdesk, Intercom, Salesforce, generic) to canonical TicketEvents.

Pure domain code: no boto3, no network. Secrets come in as the JSON string Secrets Manager holds (or a callable
returning it). See docs/helpdesks.md for the per-platform configuration.
"""

from __future__ import annotations

from .common import MARKER_TAG, MAX_WEBHOOK_BYTES, Skip
from .errors import AuthError, BadPayload, Forbidden, NotConfigured, PayloadTooLarge, UnknownPlatform, WebhookError
from .freshdesk import FRESHDESK_TEMPLATES
from .salesforce import ACK_CONTENT_TYPE, ack_response
from .secrets import (
    DEFAULT_TOKEN_HEADER,
    FreshdeskSecret,
    GenericSecret,
    IntercomSecret,
    SalesforceSecret,
    ZendeskSecret,
)
from .webhook import PLATFORMS, WebhookResponse, WebhookResult, error_response, handle_webhook, producer_claims
from .zendesk import ZENDESK_BODY_TEMPLATE

__all__ = [
    "ACK_CONTENT_TYPE",
    "DEFAULT_TOKEN_HEADER",
    "FRESHDESK_TEMPLATES",
    "MARKER_TAG",
    "MAX_WEBHOOK_BYTES",
    "PLATFORMS",
    "ZENDESK_BODY_TEMPLATE",
    "AuthError",
    "BadPayload",
    "Forbidden",
    "FreshdeskSecret",
    "GenericSecret",
    "IntercomSecret",
    "NotConfigured",
    "PayloadTooLarge",
    "SalesforceSecret",
    "Skip",
    "UnknownPlatform",
    "WebhookError",
    "WebhookResponse",
    "WebhookResult",
    "ZendeskSecret",
    "ack_response",
    "error_response",
    "handle_webhook",
    "producer_claims",
]
