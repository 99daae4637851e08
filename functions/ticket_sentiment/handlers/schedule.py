"""What the scheduled jobs read from their EventBridge event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def scheduled_time(event: dict[str, Any] | None) -> datetime:
    """EventBridge's `time` (so a retried or replayed run measures the same windows), else now."""
    raw = (event or {}).get("time")
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)
