"""The single entry point for helpdesk webhooks: verify the raw bytes, then parse, then say what to answer.

Pure: no I/O. The Lambda route reads the secret, calls handle_webhook, enqueues `events` and only then returns
`response` (for Salesforce the Ack makes it drop the notifications, so it must never precede the enqueue);
a WebhookError becomes error_response(exc).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from ..events import TicketEvent
from ..pipeline.lifecycle import Erasure
from ..pipeline.window import CreatedAtWindow
from . import freshdesk, generic, intercom, salesforce, zendesk
from .common import MAX_WEBHOOK_BYTES, Parsed, Skip
from .errors import BadPayload, PayloadTooLarge, UnknownPlatform, WebhookError
from .rotation import SecretVersions, verify_with_rotation
from .secrets import (
    FreshdeskSecret,
    GenericSecret,
    IntercomSecret,
    SalesforceSecret,
    ZendeskSecret,
    load_secret,
)

PLATFORMS = ("zendesk", "freshdesk", "intercom", "salesforce", "generic")
JSON_CONTENT_TYPE = "application/json"

# The secret string as Secrets Manager holds it, or a callable fetching it (called only for a known platform);
# the callable may return the secret's versions instead, so a rotation is verified across (helpdesks.rotation).
SecretSource = str | Callable[[], str | SecretVersions | None] | None


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    content_type: str
    body: str


@dataclass(frozen=True)
class WebhookResult:
    platform: str
    events: tuple[TicketEvent, ...]
    skipped: tuple[Skip, ...]
    warnings: tuple[str, ...]
    response: WebhookResponse
    ping: bool = False
    erasures: tuple[Erasure, ...] = ()
    requesters: Mapping[str, str] = field(default_factory=dict)  # event id -> requester id (raw: hash it)

    @property
    def event_ids(self) -> list[str]:
        return [event.event_id for event in self.events]


def _json(status: int, payload: object) -> WebhookResponse:
    return WebhookResponse(status, JSON_CONTENT_TYPE, json.dumps(payload, separators=(",", ":")))


def error_response(exc: WebhookError) -> WebhookResponse:
    """What to answer for a typed error: its status and reason (and field-level details), never payload values."""
    payload: dict[str, object] = {"error": exc.reason}
    if exc.details:
        payload["details"] = exc.details
    return _json(exc.status, payload)


def _secret_json(secret: SecretSource) -> str | SecretVersions | None:
    return secret() if callable(secret) else secret


def handle_webhook(
    platform: str,
    headers: Mapping[str, str],
    raw_body: bytes,
    secret_json: SecretSource,
    now: datetime,
    *,
    query: Mapping[str, str] | None = None,
    replay_window: timedelta = zendesk.DEFAULT_REPLAY_WINDOW,
    window: CreatedAtWindow | None = None,
) -> WebhookResult:
    """Authenticate and parse one webhook delivery.

    Raises UnknownPlatform (404), PayloadTooLarge (413), NotConfigured (503, the secret is missing or invalid),
    AuthError (401, checked on the raw bytes before any parsing), BadPayload (400). Nothing is returned as an
    event unless the delivery authenticated. A created_at outside `window` (default CreatedAtWindow()) is a 400
    for the generic route (the caller's own canonical event); from a helpdesk's signed payload that message is
    skipped with its reason, so one stale message does not make the platform retry the whole batch forever.
    """
    name = platform.strip().lower()
    if name not in PLATFORMS:
        raise UnknownPlatform("unknown helpdesk platform; expected one of " + ", ".join(PLATFORMS))
    if len(raw_body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge(f"body is larger than {MAX_WEBHOOK_BYTES} bytes")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    secret = _secret_json(secret_json)

    def attempt(value: str | None) -> Parsed:
        return _authenticated_parse(
            name, headers, raw_body, value, now=now, query=query or {}, replay_window=replay_window
        )

    authenticated = (
        verify_with_rotation(attempt, secret, now) if isinstance(secret, SecretVersions) else attempt(secret)
    )
    parsed = _within_window(name, authenticated, now, window or CreatedAtWindow())
    return WebhookResult(
        platform=name,
        events=tuple(parsed.events),
        skipped=tuple(parsed.skipped),
        warnings=tuple(parsed.warnings),
        response=_response(name, parsed),
        ping=parsed.ping,
        erasures=tuple(parsed.erasures),
        requesters={
            e.event_id: parsed.requesters[e.event_id] for e in parsed.events if e.event_id in parsed.requesters
        },
    )


def _authenticated_parse(
    name: str,
    headers: Mapping[str, str],
    raw_body: bytes,
    secret: str | None,
    *,
    now: datetime,
    query: Mapping[str, str],
    replay_window: timedelta,
) -> Parsed:
    if name == "zendesk":
        zendesk_secret = load_secret(ZendeskSecret, secret, name)
        zendesk.verify(headers, raw_body, zendesk_secret, now, replay_window)
        return _branded(zendesk.parse(raw_body, zendesk_secret), zendesk_secret.brand)
    if name == "freshdesk":
        freshdesk_secret = load_secret(FreshdeskSecret, secret, name)
        freshdesk.verify(headers, freshdesk_secret)
        return _branded(freshdesk.parse(raw_body, now), freshdesk_secret.brand)
    if name == "intercom":
        intercom_secret = load_secret(IntercomSecret, secret, name)
        intercom.verify(headers, raw_body, intercom_secret)
        return _branded(intercom.parse(raw_body, intercom_secret), intercom_secret.brand)
    if name == "salesforce":
        salesforce_secret = load_secret(SalesforceSecret, secret, name)
        salesforce.verify(raw_body, salesforce_secret, query)
        return _branded(salesforce.parse(raw_body, salesforce_secret), salesforce_secret.brand)
    generic_secret = _generic_secret(secret)
    generic.verify(headers, generic_secret)
    parsed = generic.parse(raw_body)
    generic.authorize(parsed.events, generic_secret.may_claim)
    return parsed


def _generic_secret(secret: str | None) -> GenericSecret:
    """Optional: "{}" or nothing means the API key alone guards the route, and the producer claims nothing."""
    return GenericSecret() if secret is None or not secret.strip() else load_secret(GenericSecret, secret, "generic")


def producer_claims(secret_json: SecretSource) -> tuple[str, ...]:
    """What the canonical producer of POST /v1/events may claim: the generic secret's `may_claim` (its current
    version); none without one. NotConfigured (503) when the secret is there but invalid."""
    secret = _secret_json(secret_json)
    value = secret.current().value if isinstance(secret, SecretVersions) else secret
    return _generic_secret(value).may_claim


def _branded(parsed: Parsed, brand: str | None) -> Parsed:
    """The helpdesk's verified brand (from its secret) on every event and reported deletion: part of the tickets'
    identity, and so of each event's id (the requesters are keyed by it)."""
    if brand is None:
        return parsed
    events = [event.model_copy(update={"brand": brand}) for event in parsed.events]
    requesters = {
        new.event_id: parsed.requesters[old.event_id]
        for old, new in zip(parsed.events, events, strict=True)
        if old.event_id in parsed.requesters
    }
    erasures = [replace(erasure, brand=brand) for erasure in parsed.erasures]
    return replace(parsed, events=events, requesters=requesters, erasures=erasures)


def _within_window(name: str, parsed: Parsed, now: datetime, window: CreatedAtWindow) -> Parsed:
    kept: list[TicketEvent] = []
    skipped = list(parsed.skipped)
    for index, event in enumerate(parsed.events):
        if not (details := window.details(event, now)):
            kept.append(event)
        elif name == "generic":
            raise BadPayload(
                "invalid ticket event",
                [{**d, "field": f"events.{index}.{d['field']}"} for d in details]
                if len(parsed.events) > 1
                else details,
            )
        else:
            skipped.append(Skip(details[0]["reason"], event.message_id))
    return Parsed(
        events=kept,
        skipped=skipped,
        warnings=parsed.warnings,
        ping=parsed.ping,
        erasures=parsed.erasures,
        requesters=parsed.requesters,
    )


def _response(name: str, parsed: Parsed) -> WebhookResponse:
    if name == "salesforce":
        return WebhookResponse(200, salesforce.ACK_CONTENT_TYPE, salesforce.ack_response())
    if parsed.ping:
        return _json(200, {"pong": True})
    payload: dict[str, object] = {
        "accepted": [event.event_id for event in parsed.events],
        "skipped": [
            {"reason": s.reason, **({"message_id": s.message_id} if s.message_id else {})} for s in parsed.skipped
        ],
    }
    if parsed.erasures:  # carried out before this reply is sent (handlers/ingest.py): a 200 means done
        payload["erased"] = [e.kind.value for e in parsed.erasures]
    return _json(202 if parsed.events else 200, payload)
