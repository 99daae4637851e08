"""Precision of automated escalations, from human reviews.

An escalation is correct when the reviewer says "right call" or "wrong emotion" (the polarity was right: the
customer was unhappy, only the named emotion was off) and wrong when they say "false alarm". Wrong-emotion
verdicts are counted separately too, since they say something about the emotion head, not the escalation.
Windows are rolling, by review time; with no reviews in a window its precision is None (not 0 or 1), so the
alarm sees missing data rather than a made-up value. Each window is also split by the model version that scored the
alerted message, so a model upgrade's precision is not mixed with its predecessor's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..ports import ReviewStore
from .models import Review

WINDOWS_DAYS = (7, 30)
UNKNOWN_MODEL = "unknown"


class PrecisionWindow(BaseModel):
    model_config = ConfigDict(frozen=True)

    days: int
    reviews: int
    right_call: int
    false_alarm: int
    wrong_emotion: int

    @property
    def correct(self) -> int:
        return self.right_call + self.wrong_emotion

    @property
    def precision(self) -> float | None:
        return None if self.reviews == 0 else self.correct / self.reviews

    @property
    def wrong_emotion_rate(self) -> float | None:
        return None if self.reviews == 0 else self.wrong_emotion / self.reviews

    def summary(self) -> dict[str, Any]:
        return {"days": self.days, "reviews": self.reviews, "precision": self.precision}


class PrecisionReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    computed_at: datetime
    windows: tuple[PrecisionWindow, ...]
    # Per model version ("unknown" for reviews stored before versions were recorded), the same windows.
    by_model: dict[str, tuple[PrecisionWindow, ...]] = Field(default_factory=dict)

    def window(self, days: int) -> PrecisionWindow:
        return next(w for w in self.windows if w.days == days)

    def summary(self) -> dict[str, Any]:
        """Each window's days, reviews and precision, overall and per model version."""
        return {
            "windows": [w.summary() for w in self.windows],
            "by_model": {v: [w.summary() for w in windows] for v, windows in self.by_model.items()},
        }


def latest_per_alert(reviews: Iterable[Review]) -> list[Review]:
    """One verdict per alert, the latest: a changed mind counts once (the store already keeps one per alert)."""
    latest: dict[tuple[str, str], Review] = {}
    for review in reviews:
        held = latest.get(review.key)
        if held is None or review.reviewed_at >= held.reviewed_at:
            latest[review.key] = review
    return list(latest.values())


def precision_window(reviews: Iterable[Review], now: datetime, days: int) -> PrecisionWindow:
    cutoff = now - timedelta(days=days)
    counts = {"right_call": 0, "false_alarm": 0, "wrong_emotion": 0}
    for review in latest_per_alert(reviews):
        if review.reviewed_at >= cutoff:
            counts[review.verdict] += 1
    return PrecisionWindow(days=days, reviews=sum(counts.values()), **counts)


def precision_report(
    reviews: Iterable[Review],
    now: datetime,
    windows: Sequence[int] = WINDOWS_DAYS,
) -> PrecisionReport:
    held = latest_per_alert(reviews)
    versions = sorted({r.model_version or UNKNOWN_MODEL for r in held})
    by_model = {
        v: tuple(
            precision_window([r for r in held if (r.model_version or UNKNOWN_MODEL) == v], now, d) for d in windows
        )
        for v in versions
    }
    return PrecisionReport(
        computed_at=now, windows=tuple(precision_window(held, now, d) for d in windows), by_model=by_model
    )


def precision_since(store: ReviewStore, now: datetime, windows: Sequence[int]) -> PrecisionReport:
    """The precision report over the reviews of the longest window, read from the review store."""
    return precision_report(store.reviews_since(now - timedelta(days=max(windows))), now, windows)
