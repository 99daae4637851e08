"""Escalation thresholds from a team's own labels: the score at or below which a ticket is escalated, chosen as
the one that reaches a target precision on negative tickets with the highest recall. Pure Python + numpy.

Precision is what keeps people trusting the alerts; recall is what the threshold buys with that trust. The
expected precision comes with a Wilson 95% interval because a few hundred labels leave real uncertainty.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from .pipeline.rules import EscalationRule, RuleConfig

MIN_LABELS = 50
MIN_PER_CLASS = 10
MIN_ALERTS = 5  # a threshold that flags fewer tickets than this has no precision worth the name


class CalibrationError(ValueError):
    """The labels cannot support a threshold; the message says what is missing."""


class CurvePoint(BaseModel):
    threshold: float
    precision: float
    recall: float
    alerts_per_1000: float
    alerts: int


class ThresholdChoice(BaseModel):
    group: str | None = None
    n: int
    negatives: int
    target_precision: float
    threshold: float
    precision: float
    precision_low: float  # Wilson 95% lower bound
    recall: float
    alerts_per_1000: float
    curve: list[CurvePoint]


class CalibrationResult(BaseModel):
    overall: ThresholdChoice
    groups: dict[str, ThresholdChoice]
    skipped_groups: dict[str, str]

    def rules(self, base: RuleConfig | None = None) -> RuleConfig:
        """Rules to paste into the deployment: one per calibrated group, then the overall one. New rules start in
        shadow mode (scored and recorded, no alert) as the rollout advice goes; flip `shadow` when reviewed."""
        rules = [EscalationRule(name=f"calibrated-{_slug(g)}", max_score=round(c.threshold, 3),
                                product_areas=frozenset({g}), mode="shadow") for g, c in sorted(self.groups.items())]
        rules.append(EscalationRule(name="calibrated", max_score=round(self.overall.threshold, 3), mode="shadow"))
        cooldown = base.cooldown_minutes if base is not None else 240
        return RuleConfig(cooldown_minutes=cooldown, rules=tuple(rules))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "-" for c in text.lower())[:40] or "group"


def wilson_low(successes: int, total: int, z: float = 1.96) -> float:
    if total == 0:
        return 0.0
    p = successes / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, (centre - margin) / (1 + z * z / total))


def precision_recall_curve(scores: Sequence[float], is_negative: Sequence[bool]) -> list[CurvePoint]:
    """One point per distinct score: escalate every ticket whose score is at or below it."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(is_negative, dtype=bool)
    order = np.argsort(s, kind="stable")
    s, y = s[order], y[order]
    tp = np.cumsum(y)
    flagged = np.arange(1, len(s) + 1)
    last_of_each = np.r_[s[1:] != s[:-1], True]  # ties share one threshold
    total_neg = int(y.sum())
    return [CurvePoint(threshold=float(s[i]), precision=float(tp[i] / flagged[i]),
                       recall=float(tp[i] / total_neg) if total_neg else 0.0,
                       alerts_per_1000=float(flagged[i] * 1000 / len(s)), alerts=int(flagged[i]))
            for i in np.flatnonzero(last_of_each)]


def choose_threshold(scores: Sequence[float], labels: Sequence[str], target_precision: float,
                     group: str | None = None) -> ThresholdChoice:
    if not 0 < target_precision < 1:
        raise CalibrationError("the target precision must be between 0 and 1 (e.g. 0.9)")
    where = f" for {group!r}" if group else ""
    is_negative = [label == "negative" for label in labels]
    negatives = sum(is_negative)
    if len(labels) < MIN_LABELS:
        raise CalibrationError(f"only {len(labels)} labelled tickets{where}; at least {MIN_LABELS} are needed "
                               "(500 is a good start)")
    if negatives < MIN_PER_CLASS or len(labels) - negatives < MIN_PER_CLASS:
        raise CalibrationError(f"{negatives} negative and {len(labels) - negatives} other tickets{where}; at least "
                               f"{MIN_PER_CLASS} of each are needed to measure precision and recall")
    curve = precision_recall_curve(scores, is_negative)
    reachable = [p for p in curve if p.precision >= target_precision and p.alerts >= MIN_ALERTS]
    if not reachable:
        best = max((p for p in curve if p.alerts >= MIN_ALERTS), key=lambda p: (p.precision, p.recall))
        raise CalibrationError(
            f"no threshold reaches precision {target_precision:.2f}{where}: the best is {best.precision:.2f} at "
            f"score <= {best.threshold:+.3f} (recall {best.recall:.2f}); lower the target or add labels")
    chosen = max(reachable, key=lambda p: (p.recall, p.precision))
    tp = round(chosen.precision * chosen.alerts)
    return ThresholdChoice(group=group, n=len(labels), negatives=negatives, target_precision=target_precision,
                           threshold=chosen.threshold, precision=chosen.precision,
                           precision_low=wilson_low(tp, chosen.alerts), recall=chosen.recall,
                           alerts_per_1000=chosen.alerts_per_1000, curve=curve)


def calibrate(scores: Sequence[float], labels: Sequence[str], target_precision: float,
              groups: Sequence[str | None] | None = None) -> CalibrationResult:
    """The overall threshold, and one per group (product area, tier) that has enough labels of its own."""
    overall = choose_threshold(scores, labels, target_precision)
    per_group: dict[str, ThresholdChoice] = {}
    skipped: dict[str, str] = {}
    if groups is not None:
        for name in sorted({g for g in groups if g}):
            idx = [i for i, g in enumerate(groups) if g == name]
            try:
                per_group[name] = choose_threshold([scores[i] for i in idx], [labels[i] for i in idx],
                                                   target_precision, group=name)
            except CalibrationError as exc:
                skipped[name] = str(exc)
    return CalibrationResult(overall=overall, groups=per_group, skipped_groups=skipped)


GRID = tuple(step / 10 for step in range(-10, 1))


def table_rows(choice: ThresholdChoice, grid: Sequence[float] = GRID) -> list[CurvePoint]:
    """The curve at round thresholds (what each would have meant), for the printed table."""
    rows = []
    for t in grid:
        below = [p for p in choice.curve if p.threshold <= t + 1e-9]
        if below:
            rows.append(below[-1].model_copy(update={"threshold": t}))
    return rows


def plot_pr_curve(choice: ThresholdChoice, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=120)
    ax.plot([p.recall for p in choice.curve], [p.precision for p in choice.curve], lw=1.5, label="threshold sweep")
    ax.axhline(choice.target_precision, color="grey", ls="--", lw=1, label=f"target {choice.target_precision:.2f}")
    ax.scatter([choice.recall], [choice.precision], color="crimson", zorder=3,
               label=f"chosen: score <= {choice.threshold:+.3f}")
    ax.set_xlabel("recall (negative tickets escalated)")
    ax.set_ylabel("precision (escalations that were negative)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Escalation threshold on {choice.n} labelled tickets")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
