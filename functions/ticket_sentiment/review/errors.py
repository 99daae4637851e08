"""Typed review errors: each carries the HTTP status the route answers and a reason safe to show the caller.

Reasons name fields and rules, never values: a payload may hold a reviewer's name or a forged body.
"""

from __future__ import annotations


class ReviewError(Exception):
    """Base class; `status` is the HTTP status, `reason` a sentence without payload values."""

    status: int = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(ReviewError):
    """Missing or malformed Slack headers, a wrong signature, or a timestamp outside the replay window (401)."""

    status = 401


class BadReview(ReviewError):  # noqa: N818 - mirrors helpdesks.errors.BadPayload
    """Authenticated, but not a review we understand (400)."""

    status = 400


class ReviewTargetNotFound(ReviewError):  # noqa: N818 - named for what the caller sees
    """The ticket, or the alert on it, does not exist (404)."""

    status = 404


class NotConfigured(ReviewError):  # noqa: N818 - mirrors helpdesks.errors.NotConfigured
    """The Slack signing secret is missing: our side is misconfigured (503)."""

    status = 503
