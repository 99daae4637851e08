"""Ticket-level sentiment from a thread of messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .models import AuthorRole, ThreadMessage, ThreadSentiment, Trend
from .ports import TextScorer
from .textprep import prepare_ticket_text

# A later customer message says more about how the customer feels now than an older one.
RECENCY_HALF_LIFE_MESSAGES = 3.0
TREND_MIN_DELTA = 0.25


class ThreadSummary(NamedTuple):
    current_index: int
    thread_score: float
    trend: Trend
    trend_delta: float | None


def summarise(scores: Sequence[float], low_signal: Sequence[bool]) -> ThreadSummary:
    """Thread score, trend and which message is `current`, from customer messages in time order (non-empty).

    Low-signal messages ("ok thanks") count only when nothing else has content.
    """
    signal = [i for i, low in enumerate(low_signal) if not low] or list(range(len(scores)))
    values = np.array([scores[i] for i in signal])
    weights = 0.5 ** (np.arange(len(values))[::-1] / RECENCY_HALF_LIFE_MESSAGES)
    thread_score = round(float(np.clip((values * weights).sum() / weights.sum(), -1, 1)), 4)
    trend, delta = _trend(values)
    # A closing "ok thanks" should not hide an angry message just before it.
    current = len(scores) - 1 if not low_signal[-1] else signal[-1]
    return ThreadSummary(current, thread_score, trend, None if delta is None else round(delta, 4))


def score_thread(scorer: TextScorer, messages: Sequence[ThreadMessage]) -> ThreadSentiment:
    """Score the customer's messages in time order; agents' messages do not count towards sentiment."""
    ordered = sorted(enumerate(messages), key=lambda im: (im[1].created_at is None, im[1].created_at, im[0]))
    customer = [m for _, m in ordered if m.author_role == AuthorRole.CUSTOMER]
    if not customer:
        return ThreadSentiment(current=None, trend=Trend.UNKNOWN, customer_messages=0, messages=[])
    results = scorer.score_prepared([prepare_ticket_text(m.text) for m in customer])
    summary = summarise([r.score for r in results], [r.low_signal for r in results])
    return ThreadSentiment(
        current=results[summary.current_index],
        thread_score=summary.thread_score,
        trend=summary.trend,
        trend_delta=summary.trend_delta,
        customer_messages=len(customer),
        messages=results,
    )


def _trend(scores: np.ndarray) -> tuple[Trend, float | None]:
    """Latest score against the mean of the earlier ones."""
    if len(scores) < 2:
        return Trend.UNKNOWN, None
    delta = float(scores[-1] - scores[:-1].mean())
    if delta >= TREND_MIN_DELTA:
        return Trend.IMPROVING, delta
    if delta <= -TREND_MIN_DELTA:
        return Trend.WORSENING, delta
    return Trend.STABLE, delta
