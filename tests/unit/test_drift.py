"""Score drift: PSI on known distributions, the sample-size floor, the window rates and the metrics emitted."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from ticket_sentiment import metric_names as names
from ticket_sentiment.drift import (
    ALARM_THRESHOLD,
    DriftConfig,
    compute_drift,
    drift_windows,
    psi,
    score_histogram,
    window_stats,
)
from ticket_sentiment.handlers.drift import drift_job, scheduled_time
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.pipeline.history import ScoredRecord

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
    assert np.isfinite(value) and value > 5
    assert score_histogram([-3.0, 3.0], bins=10).tolist() == [0.5] + [0.0] * 8 + [0.5]


def test_noise_alone_stays_below_the_alarm_at_the_minimum_sample_sizes() -> None:
    config = DriftConfig()
    values = [psi(_scores(config.min_baseline, 0.0, 100 + i), _scores(config.min_current, 0.0, 500 + i))
              for i in range(100)]
    assert max(values) < ALARM_THRESHOLD


def test_windows_are_7_days_against_the_28_before() -> None:
    baseline_start, current_start, end = drift_windows(NOW)
    assert end - current_start == timedelta(days=7) and current_start - baseline_start == timedelta(days=28)


def test_small_samples_give_no_psi_and_say_why() -> None:
    config = DriftConfig()
    base_start, cur_start, _ = drift_windows(NOW, config)
    report = compute_drift(_records(_scores(50, -0.5, 2), cur_start, 7),
                           _records(_scores(1000, 0.0, 1), base_start, 28), now=NOW, config=config)
    assert report.psi is None and report.level is None
    assert report.reason is not None and "50 scored messages" in report.reason
    assert report.current.share_negative is not None  # the rates are still computed


def test_low_signal_messages_do_not_count_towards_the_minimum_or_the_distribution() -> None:
    config = DriftConfig(min_current=10, min_baseline=10)
    base_start, cur_start, _ = drift_windows(NOW, config)
    current = _records([0.0] * 20, cur_start, 7, low_signal=True) + _records([0.0] * 5, cur_start, 7)
    report = compute_drift(current, _records([0.0] * 20, base_start, 28), now=NOW, config=config)
    assert report.psi is None and report.current.scored == 5 and report.current.low_signal_rate == 0.8


def test_window_rates_and_deltas() -> None:
    start = NOW - timedelta(days=7)
    records = [record(0, start, score=-0.9), record(1, start, score=-0.8, scorer="comprehend", confidence=0.6),
               record(2, start, score=0.9), record(3, start, score=0.0, low_signal=True)]
    stats = window_stats(records, start, NOW)
    assert stats.messages == 4 and stats.scored == 3
    assert stats.share_negative == pytest.approx(2 / 3) and stats.fallback_rate == 0.25
    assert stats.low_signal_rate == 0.25 and stats.mean_confidence == pytest.approx((0.8 + 0.6 + 0.8) / 3)
    config = DriftConfig(min_current=1, min_baseline=1)
    report = compute_drift(records, [record(9, start - timedelta(days=10), score=0.9)], now=NOW, config=config)
    assert report.deltas["share_negative"] == pytest.approx(2 / 3) and report.deltas["fallback_rate"] == 0.25


@pytest.fixture
def emf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()


def _emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    metrics.flush_metrics()
    values: dict[str, Any] = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("{") and "_aws" in line:
            blob = json.loads(line)
            for d in blob["_aws"]["CloudWatchMetrics"]:
                for m in d["Metrics"]:
                    value = blob[m["Name"]]
                    values[m["Name"]] = value[0] if isinstance(value, list) else value
    return values


def test_drift_job_emits_psi_and_the_four_rates(emf: None, capsys: pytest.CaptureFixture[str]) -> None:
    base_start, cur_start, _ = drift_windows(NOW)
    history = FakeHistory(_records(_scores(800, 0.1, 1), base_start, 28)
                          + _records(_scores(300, -0.5, 2), cur_start, 7))
    result = drift_job(history, NOW)
    values = _emitted(capsys)
    assert values[names.SCORE_DRIFT] > ALARM_THRESHOLD and result["level"] == "major"
    for name in (names.SHARE_NEGATIVE_7D, names.MEAN_CONFIDENCE_7D, names.FALLBACK_RATE_7D,
                 names.LOW_SIGNAL_RATE_7D):
        assert name in values
    assert history.queries == [(base_start, cur_start), (cur_start, NOW)]


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_drift_job_without_enough_data_emits_no_psi(emf: None, capsys: pytest.CaptureFixture[str]) -> None:
    result = drift_job(FakeHistory(), NOW)
    values = _emitted(capsys)
    assert names.SCORE_DRIFT not in values and names.SHARE_NEGATIVE_7D not in values
    assert result["psi"] is None and result["reason"]


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
