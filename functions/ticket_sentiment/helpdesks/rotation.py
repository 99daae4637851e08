"""Verification across a secret rotation: the current secret, refetched once when it fails, and the previous one
while the rotation is recent.

Secrets are cached (a Secrets Manager call per request would be slow and costly), so right after a rotation the
cache still holds the old value: without a refetch the new signature got 401 for the cache's lifetime. With it,
a failed verification refetches AWSCURRENT once (the adapter rate-limits refetches) and the new secret is accepted
at once; the old one (AWSPREVIOUS) is accepted only while the current version is younger than the window, so
helpdesks that switch over a little later keep working and a leaked old secret stops working soon after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar, runtime_checkable

from .errors import AuthError, NotConfigured

# At least the adapter's cache age (300 s): within it, a stale cache may still accept the old value anyway.
DEFAULT_ROTATION_WINDOW = timedelta(minutes=10)

T = TypeVar("T")


@dataclass(frozen=True)
class SecretVersion:
    value: str | None  # None: the secret (or that version) does not exist
    created_at: datetime | None = None  # when this version was made current (Secrets Manager's CreatedDate)


@runtime_checkable
class SecretVersions(Protocol):
    """A secret's current and previous values (Secrets Manager's AWSCURRENT and AWSPREVIOUS stages)."""

    def current(self, *, refresh: bool = False) -> SecretVersion:
        """The cached current value; `refresh` refetches it (the adapter may ignore refreshes that come too often)."""
        ...

    def previous(self) -> SecretVersion | None: ...


def verify_with_rotation(
    attempt: Callable[[str | None], T],
    versions: SecretVersions,
    now: datetime,
    window: timedelta = DEFAULT_ROTATION_WINDOW,
) -> T:
    """`attempt(secret_json)` with the cached current value; on an auth (or configuration) failure, once more with
    a refetched current value, then with the previous value if the current one is younger than `window`. The
    first failure is what the caller sees when nothing verifies."""
    cached = versions.current()
    try:
        return attempt(cached.value)
    except (AuthError, NotConfigured) as refused:
        for value in _candidates(versions, cached, now, window):
            try:
                return attempt(value)
            except (AuthError, NotConfigured):
                continue
        raise refused


def _candidates(versions: SecretVersions, cached: SecretVersion, now: datetime, window: timedelta) -> list[str]:
    fresh = versions.current(refresh=True)
    found = [fresh.value] if fresh.value is not None and fresh.value != cached.value else []
    # No lower bound: a version stamped a little after our clock (clock skew, or Secrets Manager's whole seconds)
    # was created just now, well inside the window.
    if fresh.created_at is not None and now - fresh.created_at <= window:
        previous = versions.previous()
        # A previous version that configured nothing ("{}" as the stack creates it) never authenticates: for the
        # generic route an empty secret means "API key only", which would undo a token set minutes ago.
        if (
            previous is not None
            and previous.value is not None
            and previous.value not in (fresh.value, *found)
            and not _unconfigured(previous.value)
        ):
            found.append(previous.value)
    return found


def _unconfigured(value: str) -> bool:
    """True for a secret value that holds nothing: blank, or an empty JSON object."""
    stripped = value.strip()
    return not stripped or stripped.replace(" ", "") == "{}"
