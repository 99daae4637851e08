"""Which message times ingest accepts: created_at within [now - max_age, now + max_ahead] of the receiving clock.

A future created_at would stay the ticket's current message and silence every later alert, and one near the
end of the calendar (9999-12-31T23:59:59-14:00) overflows the scorer's date arithmetic: both are refused at the
door, before anything is queued. Backfill (tools/) replays history, so it has its own, explicit, wider window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..events import TicketEvent

FIELD = "created_at"


@dataclass(frozen=True)
class CreatedAtWindow:
    max_age: timedelta = timedelta(days=30)
    max_ahead: timedelta = timedelta(minutes=10)

    @classmethod
    def with_limits(
        cls,
        max_age_days: float | None = None,
        max_ahead_minutes: float | None = None,
    ) -> CreatedAtWindow:
        """The window with these limits; None keeps a default (30 days, 10 minutes). The ingest function reads
        them from INGEST_MAX_AGE_DAYS and INGEST_MAX_AHEAD_MINUTES (settings.IngestSettings)."""
        default = cls()
        return cls(
            max_age=timedelta(days=max_age_days) if max_age_days else default.max_age,
            max_ahead=timedelta(minutes=max_ahead_minutes) if max_ahead_minutes else default.max_ahead,
        )

    def problem(self, created_at: datetime, now: datetime) -> str | None:
        """Why `created_at` is refused, or None. Aware datetimes compare without converting (no overflow)."""
        if created_at > now + self.max_ahead:
            return f"is more than {self.max_ahead} ahead of the receiving clock"
        if created_at < now - self.max_age:
            return f"is more than {self.max_age.days} days in the past"
        return None

    def details(self, event: TicketEvent, now: datetime) -> list[dict[str, str]]:
        """The field-level reason (as the API's validation details), empty when the event is within the window."""
        reason = self.problem(event.created_at, now)
        return [] if reason is None else [{"field": FIELD, "reason": f"{FIELD} {reason}"}]
