"""Typed webhook errors: each carries the HTTP status the route answers and a reason safe to show the caller.

Reasons name fields and rules, never values: webhook bodies hold ticket text and customer details.
"""

from __future__ import annotations


class WebhookError(Exception):
    """Base class; `status` is the HTTP status, `reason` a human-readable sentence without payload values."""

    status: int = 400

    def __init__(self, reason: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details: list[dict[str, str]] = details or []


class AuthError(WebhookError):
    """Missing, malformed or wrong credentials, or a signature outside the replay window (401)."""

    status = 401


class BadPayload(WebhookError):  # noqa: N818 - the names the route's callers were promised
    """Authenticated, but the body is not the platform's payload shape (400)."""

    status = 400


class PayloadTooLarge(BadPayload):
    """Body larger than MAX_WEBHOOK_BYTES (413)."""

    status = 413


class Forbidden(WebhookError):  # noqa: N818 - named like its siblings
    """Authenticated, but the credential may not send this: a producer naming a helpdesk source (or brand) its
    configuration does not allow (403)."""

    status = 403


class UnknownPlatform(WebhookError):  # noqa: N818 - the names the route's callers were promised
    """No such helpdesk route (404)."""

    status = 404


class NotConfigured(WebhookError):  # noqa: N818 - the names the route's callers were promised
    """The platform's secret is missing or invalid: our side is misconfigured, so the helpdesk should retry (503)."""

    status = 503
