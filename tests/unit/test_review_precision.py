"""Precision of automated escalations from reviews (known review sets), and what the hourly job emits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from ticket_sentiment import metric_names as names
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.handlers.precision import job, run
from ticket_sentiment.review.models import Review, Verdict
from ticket_sentiment.review.precision import precision_report, precision_window

from ..emf import emf_metrics
from .pipeline_fakes import T0, FakeReviewStore

NOW = T0 + timedelta(days=40)


def review(verdict: Verdict, days_ago: float, alert: str = "", at: datetime | None = None) -> Review:
    n = alert or f"{verdict}-{days_ago}"
    return Review(
        ticket_id=f"zendesk:T-{n}",
        alert_id=f"e{n}:rule",
        verdict=verdict,
        reviewer="anna",
        reviewed_at=at or NOW - timedelta(days=days_ago),
        source="api",
    )


def test_no_reviews_means_no_precision() -> None:
    window = precision_window([], NOW, 7)
    assert window.precision is None
    assert window.wrong_emotion_rate is None
    assert window.reviews == 0
    old = [review("right_call", 8)]
    assert precision_window(old, NOW, 7).precision is None
    assert precision_window(old, NOW, 30).precision == 1.0


def test_wrong_emotion_counts_as_a_correct_escalation_but_is_reported_apart() -> None:
    reviews = [review("right_call", 1), review("right_call", 2), review("false_alarm", 3), review("wrong_emotion", 4)]
    window = precision_window(reviews, NOW, 7)
    assert (window.reviews, window.right_call, window.false_alarm, window.wrong_emotion) == (4, 2, 1, 1)
    assert window.precision == pytest.approx(3 / 4)
    assert window.wrong_emotion_rate == pytest.approx(1 / 4)


def test_rolling_7_and_30_day_windows() -> None:
    reviews = (
        [review("right_call", d) for d in (0.5, 1, 6.9)]
        + [review("false_alarm", 6)]
        + [review("false_alarm", d) for d in (7.5, 10, 29)]
        + [review("right_call", 20)]
        + [review("false_alarm", 31), review("right_call", 45)]
    )  # outside both windows
    report = precision_report(reviews, NOW)
    seven, thirty = report.window(7), report.window(30)
    assert seven.reviews == 4
    assert seven.precision == pytest.approx(3 / 4)
    assert thirty.reviews == 8
    assert thirty.precision == pytest.approx(4 / 8)
    assert thirty.false_alarm == 4


def test_a_changed_verdict_counts_once_as_the_latest() -> None:
    first = review("false_alarm", 2, alert="x")
    changed = review("right_call", 1, alert="x")
    assert precision_window([first, changed], NOW, 7).precision == 1.0
    assert precision_window([changed, first], NOW, 7).reviews == 1  # order does not matter


def test_window_boundary_is_inclusive() -> None:
    assert precision_window([review("right_call", 7)], NOW, 7).reviews == 1
    assert precision_window([review("right_call", 7, at=NOW - timedelta(days=7, microseconds=1))], NOW, 7).reviews == 0


def _emf(out: str) -> dict[str, Any]:
    return {
        name: value[0] if isinstance(value, list) and len(value) == 1 else value for name, value in emf_metrics(out)
    }


@pytest.fixture(autouse=True)
def _metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()


def test_job_emits_precision_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    store = FakeReviewStore()
    for r in [
        review("right_call", 1),
        review("wrong_emotion", 2),
        review("false_alarm", 3),
        review("false_alarm", 20),
        review("right_call", 60),
    ]:
        store.record(r)
    result = job(lambda: store, lambda: NOW)
    assert result["windows"] == [
        {"days": 7, "reviews": 3, "precision": pytest.approx(2 / 3)},
        {"days": 30, "reviews": 4, "precision": 0.5},
    ]
    metrics.flush_metrics()
    emitted = _emf(capsys.readouterr().out)
    assert emitted[names.ESCALATION_PRECISION] == pytest.approx(2 / 3)
    assert emitted[names.ESCALATION_PRECISION_30D] == 0.5
    assert emitted[names.REVIEWS_7D] == 3
    assert emitted[names.REVIEWS_30D] == 4
    assert emitted[names.FALSE_ALARMS_7D] == 1
    assert emitted[names.FALSE_ALARMS_30D] == 2
    assert emitted[names.WRONG_EMOTION_7D] == 1
    assert emitted[names.WRONG_EMOTION_30D] == 1


def test_job_emits_nothing_without_reviews(capsys: pytest.CaptureFixture[str]) -> None:
    report = run(FakeReviewStore(), NOW)
    assert all(w.precision is None for w in report.windows)
    assert _emf(capsys.readouterr().out) == {}
    assert not metrics.metric_set  # nothing for the alarm: missing data, not a breach


def test_job_emits_only_the_window_that_has_reviews(capsys: pytest.CaptureFixture[str]) -> None:
    store = FakeReviewStore()
    store.record(review("false_alarm", 15))
    run(store, NOW)
    metrics.flush_metrics()
    emitted = _emf(capsys.readouterr().out)
    assert names.ESCALATION_PRECISION not in emitted
    assert names.REVIEWS_7D not in emitted
    assert emitted[names.ESCALATION_PRECISION_30D] == 0.0


def test_precision_is_reported_per_model_version() -> None:
    """After an upgrade the new model's precision stands alone; reviews stored before versions were kept count
    under "unknown"."""
    from datetime import UTC, datetime, timedelta

    from ticket_sentiment.review.models import Review
    from ticket_sentiment.review.precision import precision_report

    now = datetime(2026, 5, 1, tzinfo=UTC)

    def review(i: int, verdict: str, version: str | None) -> Review:
        return Review.model_validate(
            {
                "ticket_id": f"zendesk:T-{i}",
                "alert_id": f"e{i}:angry",
                "verdict": verdict,
                "reviewer": "Dana",
                "reviewed_at": now - timedelta(days=1),
                "source": "api",
                "model_version": version,
            }
        )

    reviews = (
        [review(i, "right_call", "3.0.0") for i in range(4)]
        + [review(10, "false_alarm", "3.0.0")]
        + [review(20 + i, "false_alarm", "3.1.0") for i in range(3)]
        + [review(30, "right_call", None)]
    )
    report = precision_report(reviews, now)
    assert report.window(7).reviews == 9
    assert {v: w[0].precision for v, w in report.by_model.items()} == {"3.0.0": 0.8, "3.1.0": 0.0, "unknown": 1.0}
