"""Population stability index (PSI) of the score distribution, and the rates that explain a drift.

Defaults, and why (docs/trust-loop.md has the long version):
- Windows: the last 7 days against the 28 days before them. Seven days hold every weekday once, so the weekly
  cycle (Monday backlogs, quiet weekends) cancels out; 28 days of baseline absorb a holiday week or an incident.
- PSI over 10 equal bins on [-1, 1], epsilon 1e-4 for empty bins (log(0) otherwise). Reading: < 0.1 stable,
  0.1-0.25 moderate (look at the rates), > 0.25 major (recalibrate or audit now).
- Minimum samples: 200 scored messages this week, 400 in the baseline. Under no drift PSI is roughly
  chi-square(bins - 1) * (1/n_current + 1/n_baseline); at the minimums its 99th percentile is about 0.16, so
  noise alone does not reach the 0.25 alarm. Below them no PSI is emitted and the reason is returned.
- Alarm: PSI > 0.25 on 2 consecutive daily evaluations, so one odd day (an outage thread, a bulk import) does
  not page anyone.

Like with like across model upgrades: both windows hold only the live model's scores (the model version of the
latest message the bundled model scored; Comprehend's fallback scores stay in, as the fallback rate tracks them).
A new model moves the distribution by design, so after an upgrade the baseline restarts: it fills with the new
version's scores only, and until it holds the minimum no PSI is emitted and the alarm cannot fire.

Low-signal messages ("ok", "thanks") are left out of the distribution, share negative and mean confidence, as
they are left out of the SentimentScore metric; their rate is tracked on its own, since a jump there is a drift
of the input rather than of the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..pipeline.history import ScoredRecord

ALARM_THRESHOLD = 0.25
ALARM_PERIODS = 2  # consecutive daily evaluations above the threshold before the alarm fires
STABLE_BELOW = 0.1
FALLBACK_SCORER = "comprehend"  # pipeline.routing's fallback: its scores carry no model version of ours

Level = Literal["stable", "moderate", "major"]


class DriftConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    current_days: int = Field(default=7, ge=1)
    baseline_days: int = Field(default=28, ge=1)
    bins: int = Field(default=10, ge=2, le=100)
    epsilon: float = Field(default=1e-4, gt=0, lt=0.01)
    min_current: int = Field(default=200, ge=1)
    min_baseline: int = Field(default=400, ge=1)


DEFAULT_CONFIG = DriftConfig()


class WindowStats(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    messages: int  # every scored customer message in the window
    scored: int  # the ones with signal: what the distribution and the sentiment rates are computed on
    mean_score: float | None
    share_negative: float | None
    mean_confidence: float | None
    fallback_rate: float | None  # scored by Amazon Comprehend instead of the bundled model
    low_signal_rate: float | None


class DriftReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    current: WindowStats
    baseline: WindowStats
    psi: float | None
    level: Level | None
    reason: str | None = None  # why there is no PSI
    deltas: dict[str, float | None]  # current minus baseline, per rate
    current_histogram: list[float]
    baseline_histogram: list[float]
    model_version: str | None = None  # the live model the windows were restricted to
    other_versions: dict[str, int] = Field(default_factory=dict)  # scores of other model versions, left out


def drift_windows(now: datetime, config: DriftConfig = DEFAULT_CONFIG) -> tuple[datetime, datetime, datetime]:
    """(baseline start, current start = baseline end, current end = now)."""
    current_start = now - timedelta(days=config.current_days)
    return current_start - timedelta(days=config.baseline_days), current_start, now


def score_histogram(scores: Sequence[float], bins: int = 10) -> np.ndarray:
    """Share of scores in each of `bins` equal bins on [-1, 1] (scores outside are clipped into the end bins)."""
    values = np.clip(np.asarray(scores, dtype=float), -1.0, 1.0)
    counts, _ = np.histogram(values, bins=bins, range=(-1.0, 1.0))
    total = counts.sum()
    return counts / total if total else counts.astype(float)


def psi(baseline: Sequence[float], current: Sequence[float], bins: int = 10, epsilon: float = 1e-4) -> float:
    """sum((current - baseline) * ln(current / baseline)) over the bins' shares; empty bins count as epsilon."""
    expected = np.maximum(score_histogram(baseline, bins), epsilon)
    actual = np.maximum(score_histogram(current, bins), epsilon)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def level_of(value: float) -> Level:
    return "stable" if value < STABLE_BELOW else "moderate" if value <= ALARM_THRESHOLD else "major"


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def window_stats(records: Sequence[ScoredRecord], start: datetime, end: datetime) -> WindowStats:
    signal = [r for r in records if not r.low_signal]
    n = len(records)
    return WindowStats(
        start=start,
        end=end,
        messages=n,
        scored=len(signal),
        mean_score=_mean([r.score for r in signal]),
        share_negative=_mean([1.0 if r.label == "negative" else 0.0 for r in signal]),
        mean_confidence=_mean([r.confidence for r in signal]),
        fallback_rate=_mean([1.0 if r.scorer == "comprehend" else 0.0 for r in records]),
        low_signal_rate=(n - len(signal)) / n if n else None,
    )


_RATES = ("mean_score", "share_negative", "mean_confidence", "fallback_rate", "low_signal_rate")


def live_model(records: Sequence[ScoredRecord]) -> str | None:
    """The version of the model that scored the latest message (the fallback scorer's only when nothing else did)."""
    own = [r for r in records if r.scorer != FALLBACK_SCORER] or list(records)
    return max(own, key=lambda r: r.created_at).model_version if own else None


def same_model(
    records: Sequence[ScoredRecord],
    version: str | None,
) -> tuple[list[ScoredRecord], dict[str, int]]:
    """The records scored by `version` (or by the fallback scorer), and counts of those left out by version."""
    kept: list[ScoredRecord] = []
    other: dict[str, int] = {}
    for r in records:
        if version is None or r.model_version == version or r.scorer == FALLBACK_SCORER:
            kept.append(r)
        else:
            other[r.model_version] = other.get(r.model_version, 0) + 1
    return kept, other


def _too_few(current: int, baseline: int, config: DriftConfig, restarted: str) -> list[str]:
    """Why no PSI: a window under its minimum (`restarted`: the baseline was cut to the live model's scores)."""
    reasons = []
    if current < config.min_current:
        reasons.append(f"current window has {current} scored messages, fewer than {config.min_current}")
    if baseline < config.min_baseline:
        why = f"{restarted} (its baseline restarted after a model change)" if restarted else ""
        reasons.append(f"baseline window has {baseline} scored messages{why}, fewer than {config.min_baseline}")
    return reasons


def compute_drift(
    current: Sequence[ScoredRecord],
    baseline: Sequence[ScoredRecord],
    *,
    now: datetime,
    config: DriftConfig = DEFAULT_CONFIG,
) -> DriftReport:
    baseline_start, current_start, current_end = drift_windows(now, config)
    version = live_model([*baseline, *current])
    current, left_current = same_model(current, version)
    baseline, left_baseline = same_model(baseline, version)
    other = {v: left_current.get(v, 0) + left_baseline.get(v, 0) for v in {*left_current, *left_baseline}}
    cur = window_stats(current, current_start, current_end)
    base = window_stats(baseline, baseline_start, current_start)
    deltas: dict[str, float | None] = {}
    for name in _RATES:
        a, b = getattr(cur, name), getattr(base, name)
        deltas[name] = None if a is None or b is None else a - b
    cur_scores = [r.score for r in current if not r.low_signal]
    base_scores = [r.score for r in baseline if not r.low_signal]
    reasons = _too_few(len(cur_scores), len(base_scores), config, f" of model {version}" if other else "")
    value = None if reasons else psi(base_scores, cur_scores, config.bins, config.epsilon)
    if value is not None and not math.isfinite(value):
        value, reasons = None, ["PSI is not finite"]
    return DriftReport(
        current=cur,
        baseline=base,
        psi=value,
        level=None if value is None else level_of(value),
        reason="; ".join(reasons) or None,
        deltas=deltas,
        current_histogram=score_histogram(cur_scores, config.bins).tolist(),
        baseline_histogram=score_histogram(base_scores, config.bins).tolist(),
        model_version=version,
        other_versions=dict(sorted(other.items())),
    )
