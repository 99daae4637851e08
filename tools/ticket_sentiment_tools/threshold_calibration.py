"""Escalation thresholds from a team's own labels, chosen as the one that reaches a target precision with the
highest recall. Pure Python + numpy.

Three-class labels: the score at or below which a ticket is escalated, precision on negative tickets.
Five-level labels (very_negative ... very_positive): the intensity at or above which a ticket the model calls
negative is escalated, precision on very_negative tickets: the escalations, not every unhappy customer.

Precision is what keeps people trusting the alerts; recall is what the threshold buys with that trust. The
expected precision comes with a Wilson 95% interval because a few hundred labels leave real uncertainty.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig

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


ThresholdKind = Literal["score", "intensity"]


class ThresholdChoice(BaseModel):
    """`kind` "score": escalate at score <= threshold. "intensity": escalate a negative-labelled ticket at
    intensity >= threshold (the curve's points then hold -intensity, so "at or below" holds for both)."""

    kind: ThresholdKind = "score"
    target_label: str = "negative"
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
        shadow mode (scored and recorded, no alert) as the rollout advice goes; set a rule's `mode` to "alert" once
        reviewed."""
        rules = [_rule(f"calibrated-{_slug(g)}", c, frozenset({g})) for g, c in sorted(self.groups.items())]
        rules.append(_rule("calibrated", self.overall, None))
        cooldown = base.cooldown_minutes if base is not None else 240
        return RuleConfig(cooldown_minutes=cooldown, rules=tuple(rules))


def _rule(name: str, choice: ThresholdChoice, areas: frozenset[str] | None) -> EscalationRule:
    if choice.kind == "intensity":
        return EscalationRule(
            name=name,
            labels=frozenset({"negative"}),
            min_intensity=round(choice.threshold, 3),
            product_areas=areas,
            mode="shadow",
        )
    return EscalationRule(name=name, max_score=round(choice.threshold, 3), product_areas=areas, mode="shadow")


def merge_rules(live: RuleConfig, calibrated: RuleConfig) -> RuleConfig:
    """The live rules with the calibrated ones added: a calibrated rule replaces the live rule of the same name (a
    rerun updates it in place), the others are appended after the live ones. The first matching rule fires, so a
    shadow rule placed first would swallow the alerts of every live rule behind it; appended, the live rules keep
    alerting exactly as before. The live global switch and cooldown are kept."""
    new = {r.name: r for r in calibrated.rules}
    rules = [new.pop(r.name, r) for r in live.rules]
    rules += [r for r in calibrated.rules if r.name in new]
    return live.model_copy(update={"rules": tuple(rules)})


def rules_json(config: RuleConfig) -> str:
    """The rules file as people read and deploy it: each rule's rollout in its `mode` only (the legacy `shadow`
    flag, already folded into mode by the model, is left out rather than printed as a contradicting false), and
    unset conditions left out."""
    data = config.model_dump(mode="json", exclude_none=True, exclude={"rules": {"__all__": {"shadow"}}})
    for rule in data["rules"]:
        for key in ("levels", "labels", "priorities", "tiers", "product_areas"):
            if key in rule:
                rule[key] = sorted(rule[key])  # sets: a stable order, so diffs show only real changes
    return json.dumps(data, indent=2) + "\n"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "-" for c in text.lower())[:40] or "group"


def wilson_low(successes: int, total: int, z: float = 1.96) -> float:
    if total == 0:
        return 0.0
    p = successes / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, (centre - margin) / (1 + z * z / total))


def wilson_high(successes: int, total: int, z: float = 1.96) -> float:
    """The Wilson 95% interval's upper bound (wilson_low's other end)."""
    if total == 0:
        return 1.0
    p = successes / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return min(1.0, (centre + margin) / (1 + z * z / total))


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
    return [
        CurvePoint(
            threshold=float(s[i]),
            precision=float(tp[i] / flagged[i]),
            recall=float(tp[i] / total_neg) if total_neg else 0.0,
            alerts_per_1000=float(flagged[i] * 1000 / len(s)),
            alerts=int(flagged[i]),
        )
        for i in np.flatnonzero(last_of_each)
    ]


def choose_threshold(
    scores: Sequence[float],
    labels: Sequence[str],
    target_precision: float,
    group: str | None = None,
    *,
    kind: ThresholdKind = "score",
) -> ThresholdChoice:
    """`scores`: polarity scores (kind "score"), or for kind "intensity" -intensity of tickets the model calls
    negative and +inf for the others (see `intensity_keys`); `labels`: three-class or five-level labels."""
    if not 0 < target_precision < 1:
        raise CalibrationError("the target precision must be between 0 and 1 (e.g. 0.9)")
    where = f" for {group!r}" if group else ""
    target = "very_negative" if kind == "intensity" else "negative"
    is_negative = [label == target for label in labels]
    negatives = sum(is_negative)
    if len(labels) < MIN_LABELS:
        raise CalibrationError(
            f"only {len(labels)} labelled tickets{where}; at least {MIN_LABELS} are needed (500 is a good start)"
        )
    if negatives < MIN_PER_CLASS or len(labels) - negatives < MIN_PER_CLASS:
        raise CalibrationError(
            f"{negatives} {target} and {len(labels) - negatives} other tickets{where}; at least "
            f"{MIN_PER_CLASS} of each are needed to measure precision and recall"
        )
    curve = [p for p in precision_recall_curve(scores, is_negative) if math.isfinite(p.threshold)]
    reachable = [p for p in curve if p.precision >= target_precision and p.alerts >= MIN_ALERTS]
    if not reachable:
        best = max((p for p in curve if p.alerts >= MIN_ALERTS), key=lambda p: (p.precision, p.recall))
        raise CalibrationError(
            f"no threshold reaches precision {target_precision:.2f}{where}: the best is {best.precision:.2f} at "
            f"{describe(kind, -best.threshold if kind == 'intensity' else best.threshold)} (recall {best.recall:.2f}); "
            "lower the target or add labels"
        )
    chosen = max(reachable, key=lambda p: (p.recall, p.precision))
    tp = round(chosen.precision * chosen.alerts)
    if kind == "intensity":  # back to the intensity scale the rule reads
        curve = [p.model_copy(update={"threshold": -p.threshold}) for p in curve]
        chosen = chosen.model_copy(update={"threshold": -chosen.threshold})
    return ThresholdChoice(
        kind=kind,
        target_label=target,
        group=group,
        n=len(labels),
        negatives=negatives,
        target_precision=target_precision,
        threshold=chosen.threshold,
        precision=chosen.precision,
        precision_low=wilson_low(tp, chosen.alerts),
        recall=chosen.recall,
        alerts_per_1000=chosen.alerts_per_1000,
        curve=curve,
    )


def describe(kind: ThresholdKind, threshold: float) -> str:
    """The escalation condition a threshold stands for, on the scale the rule reads."""
    return f"intensity >= {threshold:.3f}" if kind == "intensity" else f"score <= {threshold:+.3f}"


def intensity_keys(labels: Sequence[str], intensities: Sequence[float]) -> list[float]:
    """Sort keys for kind "intensity": -intensity where the model says negative, +inf (never escalated) else."""
    return [-i if label == "negative" else math.inf for label, i in zip(labels, intensities, strict=True)]


def is_five_level(labels: Sequence[str]) -> bool:
    return any(label.startswith("very_") for label in labels)


def calibrate(
    scores: Sequence[float],
    labels: Sequence[str],
    target_precision: float,
    groups: Sequence[str | None] | None = None,
    *,
    kind: ThresholdKind = "score",
) -> CalibrationResult:
    """The overall threshold, and one per group (product area, tier) that has enough labels of its own."""
    overall = choose_threshold(scores, labels, target_precision, kind=kind)
    per_group: dict[str, ThresholdChoice] = {}
    skipped: dict[str, str] = {}
    if groups is not None:
        for name in sorted({g for g in groups if g}):
            idx = [i for i, g in enumerate(groups) if g == name]
            try:
                per_group[name] = choose_threshold(
                    [scores[i] for i in idx], [labels[i] for i in idx], target_precision, group=name, kind=kind
                )
            except CalibrationError as exc:
                skipped[name] = str(exc)
    return CalibrationResult(overall=overall, groups=per_group, skipped_groups=skipped)


GRID = tuple(step / 10 for step in range(-10, 1))
INTENSITY_GRID = tuple(step / 20 for step in range(20, 9, -1))  # 1.00, 0.95, ... 0.50


def table_rows(choice: ThresholdChoice, grid: Sequence[float] | None = None) -> list[CurvePoint]:
    """The curve at round thresholds (what each would have meant), for the printed table."""
    rows = []
    if choice.kind == "intensity":
        for t in grid or INTENSITY_GRID:
            above = [p for p in choice.curve if p.threshold >= t - 1e-9]
            if above:
                rows.append(above[-1].model_copy(update={"threshold": t}))
        return rows
    for t in grid or GRID:
        below = [p for p in choice.curve if p.threshold <= t + 1e-9]
        if below:
            rows.append(below[-1].model_copy(update={"threshold": t}))
    return rows


def pr_figure(choice: ThresholdChoice) -> Any:
    """Two panels: the precision-recall curve with the threshold marked at each of the table's points (the
    round thresholds `calibrate` prints), and alerts per 1,000 tickets against the threshold, on the rule's scale."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    import matplotlib.pyplot as plt

    fig, (ax, alerts) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=120)
    chosen = describe(choice.kind, choice.threshold)
    ax.plot([p.recall for p in choice.curve], [p.precision for p in choice.curve], lw=1.5, label="threshold sweep")
    ax.axhline(choice.target_precision, color="grey", ls="--", lw=1, label=f"target {choice.target_precision:.2f}")
    marked = table_rows(choice)
    ax.scatter([p.recall for p in marked], [p.precision for p in marked], s=14, color="black", zorder=3)
    for p in marked:
        ax.annotate(f"{p.threshold:+.2f}" if choice.kind == "score" else f"{p.threshold:.2f}", (p.recall, p.precision),
                    textcoords="offset points", xytext=(4, 4), fontsize=7)  # fmt: skip
    ax.scatter([choice.recall], [choice.precision], color="crimson", zorder=4, label=f"chosen: {chosen}")
    ax.set_xlabel(f"recall ({choice.target_label} tickets escalated)")
    ax.set_ylabel(f"precision (escalations that were {choice.target_label})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Escalation threshold on {choice.n} labelled tickets ({choice.kind} marked)", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    by_threshold = sorted(choice.curve, key=lambda p: p.threshold)
    alerts.plot([p.threshold for p in by_threshold], [p.alerts_per_1000 for p in by_threshold], lw=1.5)
    alerts.axvline(
        choice.threshold, color="crimson", ls="--", lw=1, label=f"chosen: {choice.alerts_per_1000:.0f} per 1,000"
    )
    alerts.set_xlabel(
        f"threshold ({'escalate at score <= it' if choice.kind == 'score' else 'escalate at intensity >= it'})"
    )
    alerts.set_ylabel("alerts per 1,000 tickets")
    alerts.set_title("Alert volume against the threshold", fontsize=10)
    if choice.kind == "intensity":
        alerts.invert_xaxis()  # more alerts to the right on both scales
    alerts.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def plot_pr_curve(choice: ThresholdChoice, path: str) -> None:
    import matplotlib.pyplot as plt

    fig = pr_figure(choice)
    fig.savefig(path)
    plt.close(fig)
