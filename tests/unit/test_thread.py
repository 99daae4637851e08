from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.low_signal import is_low_signal
from ticket_sentiment.models import AuthorRole, SentimentResult, ThreadMessage, Trend
from ticket_sentiment.thread import score_thread
from ticket_sentiment_tools.samples import SAMPLE_THREAD


class FakeScorer:
    """Scores a message by a number written in it, so thread logic is tested without the model."""

    def score_prepared(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> list[SentimentResult]:
        out = []
        for text in texts:
            value = float(text.split()[-1]) if text.split()[-1].lstrip("-").replace(".", "").isdigit() else 0.0
            label = "negative" if value < -0.2 else "positive" if value > 0.2 else "neutral"
            out.append(
                SentimentResult(
                    label=label,
                    level=label,
                    score=value,
                    intensity=abs(value),
                    confidence=0.9,
                    probabilities={},
                    emotions=[],
                    low_signal=is_low_signal(text),
                    language="en",
                    windows=1,
                    model_version="fake",
                )
            )
        return out


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def msg(text: str, minutes: int, role: AuthorRole = AuthorRole.CUSTOMER) -> ThreadMessage:
    return ThreadMessage(text=text, author_role=role, created_at=T0 + timedelta(minutes=minutes))


def test_latest_customer_message_drives_current_and_agents_are_ignored() -> None:
    thread = score_thread(
        FakeScorer(),
        [
            msg("broken 0.1", 0),
            msg("sorry about that 0.9", 5, AuthorRole.AGENT),
            msg("still broken -0.8", 10),
        ],
    )
    assert thread.current is not None
    assert thread.current.score == -0.8
    assert thread.customer_messages == 2
    assert thread.trend == Trend.WORSENING


def test_messages_are_ordered_by_time_not_arrival() -> None:
    thread = score_thread(FakeScorer(), [msg("now fine 0.9", 30), msg("angry -0.9", 0)])
    assert thread.current is not None
    assert thread.current.score == 0.9
    assert thread.trend == Trend.IMPROVING


def test_closing_filler_does_not_hide_the_last_real_message() -> None:
    thread = score_thread(FakeScorer(), [msg("terrible -0.9", 0), msg("ok", 5)])
    assert thread.current is not None
    assert thread.current.score == -0.9


def test_recent_messages_weigh_more_in_the_thread_score() -> None:
    thread = score_thread(FakeScorer(), [msg("a -1", 0), msg("b -1", 1), msg("c 1", 2)])
    assert thread.thread_score is not None
    assert thread.thread_score > -1 / 3


def test_no_customer_messages() -> None:
    thread = score_thread(FakeScorer(), [msg("hello 0.5", 0, AuthorRole.AGENT)])
    assert thread.current is None
    assert thread.trend == Trend.UNKNOWN


def test_sample_thread_with_the_real_model_gets_worse(scorer: OnnxSentimentScorer) -> None:
    thread = score_thread(scorer, SAMPLE_THREAD)
    assert thread.current is not None
    assert thread.current.label == "negative"
    assert thread.trend == Trend.WORSENING
