"""Temperature scaling, expected calibration error and per-emotion thresholds."""

from __future__ import annotations

import itertools

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
