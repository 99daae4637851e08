"""The drift use case: read the two windows of scores from the history and compare them. Pure Python."""

from __future__ import annotations

from datetime import datetime

from ..ports import ScoredHistory
from .stats import DEFAULT_CONFIG, DriftConfig, DriftReport, compute_drift, drift_windows


def run_drift(history: ScoredHistory, now: datetime, config: DriftConfig = DEFAULT_CONFIG) -> DriftReport:
    baseline_start, current_start, current_end = drift_windows(now, config)
    baseline = list(history.scored_between(baseline_start, current_start))
    current = list(history.scored_between(current_start, current_end))
    return compute_drift(current, baseline, now=now, config=config)
