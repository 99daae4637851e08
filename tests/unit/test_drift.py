"""Score drift: PSI on known distributions, the sample-size floor, the window rates and the metrics emitted."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from ticket_sentiment import metric_names as names
from ticket_sentiment.drift import (
    ALARM_THRESHOLD,
    DriftConfig,
    DriftReport,
    compute_drift,
    drift_windows,
    psi,
    score_histogram,
    window_stats,
)
from ticket_sentiment.handlers.drift import drift_job, scheduled_time
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.pipeline.history import ScoredRecord

from ..emf import emf_values
from .history_fakes import FakeHistory, record

NOW = datetime(2026, 4, 15, 6, 0, tzinfo=UTC)


def _scores(n: int, mean: float, seed: int, sd: float = 0.45) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(v) for v in np.clip(rng.normal(mean, sd, n), -1, 1)]


def _records(scores: list[float], start: datetime, days: int, **kw: Any) -> list[ScoredRecord]:
    step = timedelta(days=days) / max(1, len(scores))
    return [record(i, start + i * step, score=s, **kw) for i, s in enumerate(scores)]


def test_identical_distributions_have_psi_near_zero() -> None:
    scores = _scores(2000, 0.0, 1)
    assert psi(scores, scores) == pytest.approx(0.0, abs=1e-12)
    assert psi(_scores(4000, 0.0, 1), _scores(1000, 0.0, 2)) < 0.05  # two draws of one distribution


def test_shifted_distribution_is_a_major_drift() -> None:
    assert psi(_scores(2000, 0.1, 1), _scores(500, -0.4, 2)) > ALARM_THRESHOLD


def test_psi_handles_empty_bins_with_epsilon_and_clips_out_of_range_scores() -> None:
    value = psi([-0.95] * 100, [0.95] * 100)
    assert np.isfinite(value)
    assert value > 5
    assert score_histogram([-3.0, 3.0], bins=10).tolist() == [0.5] + [0.0] * 8 + [0.5]


def test_noise_alone_stays_below_the_alarm_at_the_minimum_sample_sizes() -> None:
    config = DriftConfig()
    values = [
        psi(_scores(config.min_baseline, 0.0, 100 + i), _scores(config.min_current, 0.0, 500 + i)) for i in range(100)
    ]
    assert max(values) < ALARM_THRESHOLD


def test_windows_are_7_days_against_the_28_before() -> None:
    baseline_start, current_start, end = drift_windows(NOW)
    assert end - current_start == timedelta(days=7)
    assert current_start - baseline_start == timedelta(days=28)


def test_small_samples_give_no_psi_and_say_why() -> None:
    config = DriftConfig()
    base_start, cur_start, _ = drift_windows(NOW, config)
    report = compute_drift(
        _records(_scores(50, -0.5, 2), cur_start, 7),
        _records(_scores(1000, 0.0, 1), base_start, 28),
        now=NOW,
        config=config,
    )
    assert report.psi is None
    assert report.level is None
    assert report.reason is not None
    assert "50 scored messages" in report.reason
    assert report.current.share_negative is not None  # the rates are still computed


def test_low_signal_messages_do_not_count_towards_the_minimum_or_the_distribution() -> None:
    config = DriftConfig(min_current=10, min_baseline=10)
    base_start, cur_start, _ = drift_windows(NOW, config)
    current = _records([0.0] * 20, cur_start, 7, low_signal=True) + _records([0.0] * 5, cur_start, 7)
    report = compute_drift(current, _records([0.0] * 20, base_start, 28), now=NOW, config=config)
    assert report.psi is None
    assert report.current.scored == 5
    assert report.current.low_signal_rate == 0.8


def test_window_rates_and_deltas() -> None:
    start = NOW - timedelta(days=7)
    records = [
        record(0, start, score=-0.9),
        record(1, start, score=-0.8, scorer="comprehend", confidence=0.6),
        record(2, start, score=0.9),
        record(3, start, score=0.0, low_signal=True),
    ]
    stats = window_stats(records, start, NOW)
    assert stats.messages == 4
    assert stats.scored == 3
    assert stats.share_negative == pytest.approx(2 / 3)
    assert stats.fallback_rate == 0.25
    assert stats.low_signal_rate == 0.25
    assert stats.mean_confidence == pytest.approx((0.8 + 0.6 + 0.8) / 3)
    config = DriftConfig(min_current=1, min_baseline=1)
    report = compute_drift(records, [record(9, start - timedelta(days=10), score=0.9)], now=NOW, config=config)
    assert report.deltas["share_negative"] == pytest.approx(2 / 3)
    assert report.deltas["fallback_rate"] == 0.25


@pytest.fixture
def emf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()


def _emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    metrics.flush_metrics()
    return emf_values(capsys.readouterr().out)


def test_drift_job_emits_psi_and_the_four_rates(emf: None, capsys: pytest.CaptureFixture[str]) -> None:
    base_start, cur_start, _ = drift_windows(NOW)
    history = FakeHistory(
        _records(_scores(800, 0.1, 1), base_start, 28) + _records(_scores(300, -0.5, 2), cur_start, 7)
    )
    result = drift_job(history, NOW)
    values = _emitted(capsys)
    assert values[names.SCORE_DRIFT] > ALARM_THRESHOLD
    assert result["level"] == "major"
    for name in (names.SHARE_NEGATIVE_7D, names.MEAN_CONFIDENCE_7D, names.FALLBACK_RATE_7D, names.LOW_SIGNAL_RATE_7D):
        assert name in values
    assert history.queries == [(base_start, cur_start), (cur_start, NOW)]


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_drift_job_without_enough_data_emits_no_psi(emf: None, capsys: pytest.CaptureFixture[str]) -> None:
    result = drift_job(FakeHistory(), NOW)
    values = _emitted(capsys)
    assert names.SCORE_DRIFT not in values
    assert names.SHARE_NEGATIVE_7D not in values
    assert result["psi"] is None
    assert result["reason"]


def test_scheduled_time_comes_from_the_eventbridge_event() -> None:
    assert scheduled_time({"time": "2026-04-15T06:00:00Z"}) == NOW
    assert scheduled_time({"time": "garbage"}).tzinfo is not None
    assert abs(scheduled_time({}) - datetime.now(UTC)) < timedelta(minutes=1)


def test_drift_does_not_depend_on_record_order() -> None:
    base_start, cur_start, _ = drift_windows(NOW)
    base, cur = _records(_scores(600, 0.0, 1), base_start, 28), _records(_scores(250, 0.2, 2), cur_start, 7)
    shuffled = list(cur)
    random.Random(3).shuffle(shuffled)
    assert compute_drift(cur, base, now=NOW).psi == compute_drift(shuffled, base, now=NOW).psi


# --- Model upgrades: compare like with like (issue 19) ---


def _upgrade(
    days_ago: float,
    *,
    old_mean: float,
    new_mean: float,
    cur_mean: float | None = None,
) -> FakeHistory:
    """Scores over the 35 days before NOW: model v1 until `days_ago`, v2 since; the same inputs throughout, the new
    model scoring them `new_mean` instead of `old_mean` (a different calibration, by design). With `cur_mean`, v2's
    scores in the current 7 days move there: a real input shift under one version."""
    base_start, cur_start, _ = drift_windows(NOW)
    switch = NOW - timedelta(days=days_ago)
    out: list[ScoredRecord] = []
    for i, at in enumerate(base_start + timedelta(minutes=30 * h) for h in range(35 * 48)):  # every 30 minutes
        version = "v1" if at < switch else "v2"
        mean = old_mean if version == "v1" else (cur_mean if cur_mean is not None and at >= cur_start else new_mean)
        score = float(np.clip(np.random.default_rng(i).normal(mean, 0.45), -1, 1))
        out.append(record(i, at, score=score, model_version=version))
    return FakeHistory(out)


def test_a_model_upgrade_with_unchanged_inputs_raises_no_drift(
    emf: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without the version split this is PSI > 0.25 on every upgrade: the new model's scores sit 0.4 lower."""
    history = _upgrade(7, old_mean=0.1, new_mean=-0.3)  # the week since the upgrade against the 4 before
    current = [r.score for r in history.records if r.created_at >= NOW - timedelta(days=7)]
    baseline = [r.score for r in history.records if r.created_at < NOW - timedelta(days=7)]
    assert psi(baseline, current) > ALARM_THRESHOLD, "mixing versions would page on every upgrade"
    result = drift_job(history, NOW)
    assert result["psi"] is None
    assert result["model_version"] == "v2"
    assert "baseline restarted after a model change" in result["reason"]
    assert result["other_versions"]["v1"] == 28 * 48
    assert names.SCORE_DRIFT not in _emitted(capsys), "the alarm's metric is suppressed until the new baseline fills"


def test_the_new_baseline_takes_over_once_it_has_its_minimum() -> None:
    history = _upgrade(16, old_mean=0.1, new_mean=-0.3)  # 9 days of v2 in the baseline window: 432 messages
    report = run_drift_report(history)
    assert report.psi is not None
    assert report.level == "stable"
    assert report.model_version == "v2"
    assert report.baseline.messages == 9 * 48
    assert report.other_versions == {"v1": 19 * 48}


def test_a_real_input_shift_under_one_version_still_raises_drift() -> None:
    report = run_drift_report(_upgrade(28, old_mean=0.1, new_mean=-0.1, cur_mean=-0.7))
    assert report.psi is not None
    assert report.psi > ALARM_THRESHOLD
    assert report.level == "major"
    assert report.model_version == "v2"


def test_comprehend_fallback_scores_do_not_count_as_a_model_change() -> None:
    base_start, cur_start, _ = drift_windows(NOW)
    history = FakeHistory(
        _records(_scores(800, 0.1, 1), base_start, 28)
        + _records(_scores(300, 0.1, 2), cur_start, 7)
        + [record(9999, NOW - timedelta(minutes=1), score=0.9, scorer="comprehend", model_version="comprehend")]
    )
    report = run_drift_report(history)
    assert report.model_version == "fake-1"
    assert report.other_versions == {}
    assert report.psi is not None
    assert report.current.fallback_rate == pytest.approx(1 / 301)


def run_drift_report(history: FakeHistory) -> DriftReport:
    from ticket_sentiment.drift.job import run_drift

    return run_drift(history, NOW)
