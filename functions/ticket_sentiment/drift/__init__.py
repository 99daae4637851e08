"""Score drift: is this week's score distribution still the one the thresholds were calibrated on? Pure Python."""

from .stats import (
    ALARM_PERIODS,
    ALARM_THRESHOLD,
    DEFAULT_CONFIG,
    DriftConfig,
    DriftReport,
    WindowStats,
    compute_drift,
    drift_windows,
    psi,
    score_histogram,
    window_stats,
)

__all__ = [
    "ALARM_PERIODS",
    "ALARM_THRESHOLD",
    "DEFAULT_CONFIG",
    "DriftConfig",
    "DriftReport",
    "WindowStats",
    "compute_drift",
    "drift_windows",
    "psi",
    "score_histogram",
    "window_stats",
]
