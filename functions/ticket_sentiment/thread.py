"""Ticket-level sentiment from a thread of messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .models import AuthorRole, SentimentResult, ThreadMessage, ThreadSentiment, Trend
from .textprep import prepare_ticket_text

# A later customer message says more about how the customer feels now than an older one.
RECENCY_HALF_LIFE_MESSAGES = 3.0
TREND_MIN_DELTA = 0.25


class TextScorer(Protocol):
    def score_prepared(self, texts: Sequence[str], languages: Sequence[str] | None = None,
                       ) -> list[SentimentResult]: ...


def score_thread(scorer: TextScorer, messages: Sequence[ThreadMessage]) -> ThreadSentiment:
    """Score the customer's messages in time order; agents' messages do not count towards sentiment."""
    ordered = sorted(enumerate(messages), key=lambda im: (im[1].created_at is None, im[1].created_at, im[0]))
    customer = [m for _, m in ordered if m.author_role == AuthorRole.CUSTOMER]
    if not customer:
        return ThreadSentiment(current=None, trend=Trend.UNKNOWN, customer_messages=0, messages=[])
    results = scorer.score_prepared([prepare_ticket_text(m.text) for m in customer])
    signal = [r for r in results if not r.low_signal] or results
    scores = np.array([r.score for r in signal])
    weights = 0.5 ** (np.arange(len(signal))[::-1] / RECENCY_HALF_LIFE_MESSAGES)
    thread_score = float(np.clip((scores * weights).sum() / weights.sum(), -1, 1))
    trend, delta = _trend(scores)
    # A closing "ok thanks" should not hide an angry message just before it.
    current = results[-1] if not results[-1].low_signal else signal[-1]
    return ThreadSentiment(current=current, thread_score=round(thread_score, 4), trend=trend,
                           trend_delta=None if delta is None else round(delta, 4),
                           customer_messages=len(customer), messages=results)


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
