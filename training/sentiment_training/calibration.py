"""Temperature scaling, expected calibration error and per-emotion thresholds."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    return np.asarray(x - np.log(np.exp(x).sum(axis=1, keepdims=True)))


def fit_temperature(logits: np.ndarray, labels: np.ndarray, multilabel: bool = False) -> float:
    """Temperature T > 0 minimising held-out negative log-likelihood of logits / T."""

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        if multilabel:
            # Binary cross-entropy, computed stably.
            return float(np.mean(np.logaddexp(0, z) - labels * z))
        return float(-_log_softmax(z)[np.arange(len(labels)), labels.astype(int)].mean())

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE with equal-width confidence bins."""
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def fit_emotion_thresholds(probs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """Per-emotion threshold maximising F1 on the dev split (floored so rare labels stay quiet)."""
    from ticket_sentiment.labels import EMOTIONS

    out = {}
    for k, name in enumerate(EMOTIONS):
        best_t, best_f1 = 0.5, -1.0
        for t in np.arange(0.15, 0.91, 0.025):
            pred = probs[:, k] >= t
            tp = float((pred & (targets[:, k] == 1)).sum())
            fp = float((pred & (targets[:, k] == 0)).sum())
            fn = float((~pred & (targets[:, k] == 1)).sum())
            f1 = 2 * tp / max(2 * tp + fp + fn, 1.0)
            if f1 > best_f1:
                best_t, best_f1 = float(round(t, 3)), f1
        out[name] = best_t
    return out


def macro_mae(true_levels: np.ndarray, pred_levels: np.ndarray) -> float:
    """MAE^M (SemEval-2017 Task 4C): mean absolute error per true level, averaged over the levels present."""
    errors = [float(np.abs(pred_levels[true_levels == k] - k).mean()) for k in np.unique(true_levels)]
    return float(np.mean(errors)) if errors else 0.0


SUPPORT_SOURCES = frozenset({"team", "email"})


def fit_severity_thresholds(
    polarity_probs: np.ndarray,
    severity_probs: np.ndarray,
    levels: np.ndarray,
    sources: list[str],
    *,
    max_calm_escalated: float = 0.05,
) -> dict[str, Any]:
    """The extreme-share thresholds (severity.decide_level) minimising the mean over dev sources of MAE^M.

    Each source (SemEval tweets, the team's support requests and e-mails) counts once whatever its size, so the
    threshold is not tuned to one register; the shares are searched on a 0.05 grid. An alert that fires on calm
    complaints is noise: among thresholds that call at most `max_calm_escalated` of the support sources' calm
    negatives very_negative, the best is taken (or, if none does, the one calling fewest).
    """
    from ticket_sentiment.severity import DEFAULT_THRESHOLDS, LEVEL_INDEX, decide_level, extreme_shares

    if not len(levels):
        return {"thresholds": dict(DEFAULT_THRESHOLDS), "dev_mean_macro_mae": None, "dev_sources": {}}
    labels = polarity_probs.argmax(1)
    shares = [extreme_shares(sev.tolist()) for sev in severity_probs]  # once, not once per grid point
    groups = {source: np.array([s == source for s in sources]) for source in sorted(set(sources))}
    calm = np.array([s in SUPPORT_SOURCES for s in sources]) & (levels == 1)
    best: tuple[float, float, float, float] | None = None  # calm share, mean MAE^M, thresholds
    best_key: tuple[float, float, float, float] | None = None
    grid = [round(float(t), 2) for t in np.arange(0.1, 0.96, 0.05)]
    for very_neg in grid:
        for very_pos in grid:
            thresholds = {"very_negative": very_neg, "very_positive": very_pos}
            pred = np.array(
                [
                    LEVEL_INDEX[decide_level(int(lab), share, thresholds)]
                    for lab, share in zip(labels, shares, strict=True)
                ]
            )
            score = float(np.mean([macro_mae(levels[mask], pred[mask]) for mask in groups.values() if mask.any()]))
            calm_escalated = float((pred[calm] == 0).mean()) if calm.any() else 0.0
            key = (max(calm_escalated - max_calm_escalated, 0.0), score, very_neg, very_pos)
            if best_key is None or key < best_key:
                best_key, best = key, (calm_escalated, score, very_neg, very_pos)
    assert best is not None
    return {
        "thresholds": {"very_negative": best[2], "very_positive": best[3]},
        "dev_mean_macro_mae": best[1],
        "dev_calm_called_very_negative": best[0],
        "dev_sources": {source: int(mask.sum()) for source, mask in groups.items()},
    }
