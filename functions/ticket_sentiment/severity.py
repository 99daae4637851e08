"""Five-level severity from the model's two heads: pure arithmetic on Python floats, shared by the scorer and
the training pipeline (which fits the thresholds), so both decide a level the same way.

The polarity head says which side a message is on; the severity head, trained on five-level labels, says how far
out. A polar class is split by the severity head's share of its extreme level, so the level never contradicts the
three-class label, and `score` and `intensity` are expectations over the five levels: a calm complaint sits near
-0.5, an escalation near -1, instead of both saturating at P(negative) ~ 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .labels import SEVERITY_LEVELS

DEFAULT_THRESHOLDS: Mapping[str, float] = {"very_negative": 0.5, "very_positive": 0.5}


def extreme_shares(severity: Sequence[float] | None) -> tuple[float, float]:
    """P(very negative | negative side) and P(very positive | positive side) from the severity head's five
    probabilities (no head: 0, 0)."""
    if severity is None:
        return 0.0, 0.0
    very_neg, neg, _, pos, very_pos = severity
    return (
        very_neg / (very_neg + neg) if very_neg + neg > 0 else 0.0,
        very_pos / (very_pos + pos) if very_pos + pos > 0 else 0.0,
    )


def five_level_distribution(polarity: Sequence[float], shares: tuple[float, float]) -> list[float]:
    """P(level) for the five levels: the polarity head's negative/neutral/positive, each polar side split by its
    `extreme_shares`."""
    neg, neu, pos = polarity
    very_neg_share, very_pos_share = shares
    return [neg * very_neg_share, neg * (1 - very_neg_share), neu, pos * (1 - very_pos_share), pos * very_pos_share]


def decide_level(label_index: int, shares: tuple[float, float], thresholds: Mapping[str, float]) -> str:
    """The level shown to agents: the label's side, extreme when its `extreme_shares` share reaches its
    threshold."""
    very_neg_share, very_pos_share = shares
    if label_index == 0:
        return "very_negative" if very_neg_share >= thresholds["very_negative"] else "negative"
    if label_index == 2:
        return "very_positive" if very_pos_share >= thresholds["very_positive"] else "positive"
    return "neutral"


def polarity_and_intensity(distribution: Sequence[float]) -> tuple[float, float]:
    """(score, intensity): the expected level / 2 in [-1, 1], and the expected distance from neutral / 2 in
    [0, 1] (how strongly felt, whichever the direction)."""
    values = range(-2, 3)
    score = sum(p * v for p, v in zip(distribution, values, strict=True)) / 2
    intensity = sum(p * abs(v) for p, v in zip(distribution, values, strict=True)) / 2
    return min(max(score, -1.0), 1.0), min(max(intensity, 0.0), 1.0)


LEVEL_INDEX = {level: i for i, level in enumerate(SEVERITY_LEVELS)}
