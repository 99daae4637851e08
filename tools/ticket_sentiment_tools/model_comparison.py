"""`report --compare-models`: the live model against the shadow model over the shadow period, from the shadow
records the scorer stored (pipeline/shadow.py). Pure Python; the CLI prints it as rich tables or JSON.

Every number is over the messages both models scored (a model that does not cover a message's language gives no
comparable score): agreement of the three-class label and of the five-level severity, the five-level confusion
(live rows, shadow columns), the mean absolute difference of the polarity score, and how often each would alert
under the live rules (rule matches, recorded at scoring time; cooldown and rollout mode aside, which depend on
what alerted before, not on the model).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.table import Table
from ticket_sentiment.labels import SEVERITY_LEVELS
from ticket_sentiment.pipeline.shadow_records import ShadowRecord


class ModelComparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime  # the window asked for
    end: datetime
    first: datetime | None  # the shadow period found in it: the first and last message both models saw
    last: datetime | None
    live_versions: dict[str, int]
    shadow_versions: dict[str, int]
    shadowed: int  # messages with a shadow record
    both_scored: int  # of those, with a comparable score from each model
    label_agreement: float | None
    level_agreement: float | None
    levels: tuple[str, ...] = SEVERITY_LEVELS
    confusion: list[list[int]]  # confusion[live level][shadow level], in `levels` order
    mean_abs_score_difference: float | None
    live_alerts: int
    shadow_alerts: int
    live_alert_rate: float | None
    shadow_alert_rate: float | None
    alert_rate_difference: float | None  # shadow minus live
    alerts_only_live: int  # messages the live model would alert on and the shadow would not
    alerts_only_shadow: int


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def _confusion(both: list[ShadowRecord]) -> list[list[int]]:
    index = {level: i for i, level in enumerate(SEVERITY_LEVELS)}
    confusion = [[0] * len(SEVERITY_LEVELS) for _ in SEVERITY_LEVELS]
    for r in both:
        confusion[index[r.live.level]][index[r.shadow.level]] += 1
    return confusion


def _agreement(both: list[ShadowRecord]) -> dict[str, float | None]:
    n = len(both)
    return {
        "label_agreement": _share(sum(r.live.label == r.shadow.label for r in both), n),
        "level_agreement": _share(sum(r.live.level == r.shadow.level for r in both), n),
        "mean_abs_score_difference": sum(abs(r.live.score - r.shadow.score) for r in both) / n if n else None,
    }


def _alerts(both: list[ShadowRecord]) -> dict[str, Any]:
    live = [r.live.rule is not None for r in both]
    shadow = [r.shadow.rule is not None for r in both]
    live_rate, shadow_rate = _share(sum(live), len(both)), _share(sum(shadow), len(both))
    return {
        "live_alerts": sum(live),
        "shadow_alerts": sum(shadow),
        "live_alert_rate": live_rate,
        "shadow_alert_rate": shadow_rate,
        "alert_rate_difference": shadow_rate - live_rate if shadow_rate is not None and live_rate is not None else None,
        "alerts_only_live": sum(a and not b for a, b in zip(live, shadow, strict=True)),
        "alerts_only_shadow": sum(b and not a for a, b in zip(live, shadow, strict=True)),
    }


def compare_models(records: Iterable[ShadowRecord], *, start: datetime, end: datetime) -> ModelComparison:
    shadowed = list(records)
    both = [r for r in shadowed if r.live.comparable and r.shadow.comparable]
    return ModelComparison(
        start=start,
        end=end,
        first=min((r.created_at for r in shadowed), default=None),
        last=max((r.created_at for r in shadowed), default=None),
        live_versions=dict(Counter(r.live.model_version for r in shadowed).most_common()),
        shadow_versions=dict(Counter(r.shadow.model_version for r in shadowed).most_common()),
        shadowed=len(shadowed),
        both_scored=len(both),
        confusion=_confusion(both),
        **_agreement(both),
        **_alerts(both),
    )


def _pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _versions(counts: dict[str, int]) -> str:
    return ", ".join(f"{version} ({n})" for version, n in counts.items()) or "-"


def comparison_tables(result: ModelComparison) -> list[Table]:
    """The report as rich tables: summary, five-level confusion (live rows, shadow columns), alert rates."""
    period = (
        f"{result.first:%Y-%m-%d %H:%M} to {result.last:%Y-%m-%d %H:%M} UTC"
        if result.first is not None and result.last is not None
        else "no shadow records in the window"
    )
    summary = Table(title="Live vs shadow model", show_header=False)
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    for name, value in (
        ("shadow period", period),
        ("live model", _versions(result.live_versions)),
        ("shadow model", _versions(result.shadow_versions)),
        ("messages shadowed", str(result.shadowed)),
        ("messages both scored", str(result.both_scored)),
        ("label agreement", _pct(result.label_agreement)),
        ("level agreement", _pct(result.level_agreement)),
        (
            "mean |score difference|",
            "n/a" if result.mean_abs_score_difference is None else f"{result.mean_abs_score_difference:.3f}",
        ),
    ):
        summary.add_row(name, value)
    confusion = Table(title="Five-level confusion: live (rows) x shadow (columns)")
    confusion.add_column("live \\ shadow")
    for level in result.levels:
        confusion.add_column(level, justify="right")
    for level, row in zip(result.levels, result.confusion, strict=True):
        confusion.add_row(level, *(str(n) for n in row))
    alerts = Table(title="Alerts under the live rules (messages both scored)")
    for col in ("model", "would alert", "alert rate", "only this model"):
        alerts.add_column(col, justify="left" if col == "model" else "right")
    alerts.add_row("live", str(result.live_alerts), _pct(result.live_alert_rate), str(result.alerts_only_live))
    alerts.add_row("shadow", str(result.shadow_alerts), _pct(result.shadow_alert_rate), str(result.alerts_only_shadow))
    alerts.add_row(
        "difference", str(result.shadow_alerts - result.live_alerts), _pct(result.alert_rate_difference, True), ""
    )
    return [summary, confusion, alerts]


def render_text(result: ModelComparison, width: int = 120) -> str:
    """The tables as plain text (the local demo's output)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    for table in comparison_tables(result):
        console.print(table)
    return buffer.getvalue()
