"""HTTP header lookup for the routes' verifiers (helpdesk webhooks, Slack interactivity)."""

from __future__ import annotations

from collections.abc import Mapping


def header(headers: Mapping[str, str], name: str) -> str | None:
    """HTTP header names are case-insensitive, and API Gateway keeps whatever case the sender used; a value that
    is not a string (a hostile or malformed event) counts as absent."""
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value if isinstance(value, str) else None
    return None
