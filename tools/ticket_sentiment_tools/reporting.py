"""The four numbers support leads ask for, computed from the scored history. Pure Python (+ numpy); the HTML
rendering imports matplotlib only when it is called.

1. Average sentiment by ISO week (messages with signal only, as the SentimentScore metric).
2. Negative volume by product area (negative messages, and the tickets they belong to).
3. First response time on negative tickets: the ticket's `first_agent_reply_at` minus its `first_seen`, for
   tickets with a negative message in the window; tickets without a reply yet are counted apart.
4. Precision of automated escalations from human reviews: (right_call + wrong_emotion) / reviews, since a wrong
   emotion still means the escalation was warranted; 'n/a' without reviews.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict
from ticket_sentiment.pipeline.history import VERDICTS, ReviewRecord, ScoredRecord, TicketMeta

from .threshold_calibration import wilson_high, wilson_low

NO_AREA = "(none)"
_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")


def parse_since(text: str) -> timedelta:
    """'30d', '4w', '12h' -> timedelta."""
    match = _SINCE.match(text.lower())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r}: expected a duration like 30d, 4w or 12h")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount * (7 if unit == "w" else 1))


class WeekRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    week: str  # ISO week, e.g. 2026-W10
    messages: int
    mean_score: float
    share_negative: float
    score_ci95: float = 0.0  # half-width of the mean's 95% confidence interval (normal approximation)
    partial: bool = False  # the report's window covers only part of the week


class AreaRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_area: str
    messages: int
    negative_messages: int
    negative_tickets: int
    share_negative: float


class ResponseTimes(BaseModel):
    model_config = ConfigDict(frozen=True)

    negative_tickets: int
    answered: int
    unanswered: int
    median_hours: float | None
    p90_hours: float | None
    mean_hours: float | None


class EscalationPrecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    reviews: int
    right_call: int
    false_alarm: int
    wrong_emotion: int
    precision: float | None
    precision_low_95: float | None


class LeadsReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    messages: int
    scored: int
    weeks: list[WeekRow]
    areas: list[AreaRow]
    response: ResponseTimes
    precision: EscalationPrecision


def iso_week(at: datetime) -> str:
    year, week, _ = at.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def weekly_sentiment(
    messages: Iterable[ScoredRecord], start: datetime | None = None, end: datetime | None = None
) -> list[WeekRow]:
    """Per ISO week; a week that [start, end) does not wholly cover is marked partial (its average is of fewer
    days, so it is not comparable with a whole week's)."""
    by_week: dict[str, list[ScoredRecord]] = defaultdict(list)
    for m in messages:
        if not m.low_signal:
            by_week[iso_week(m.created_at)].append(m)
    partial = {iso_week(start), iso_week(end - timedelta(microseconds=1))} if start and end else set()
    if start is not None and _week_start(start) == start.astimezone(UTC):
        partial.discard(iso_week(start))
    if end is not None and _week_start(end) == end.astimezone(UTC):
        partial.discard(iso_week(end - timedelta(microseconds=1)))
    return [
        WeekRow(
            week=w,
            messages=len(ms),
            mean_score=float(np.mean([m.score for m in ms])),
            share_negative=sum(m.label == "negative" for m in ms) / len(ms),
            score_ci95=float(1.96 * np.std([m.score for m in ms], ddof=1) / np.sqrt(len(ms))) if len(ms) > 1 else 0.0,
            partial=w in partial,
        )
        for w, ms in sorted(by_week.items())
    ]


def _week_start(at: datetime) -> datetime:
    day = at.astimezone(UTC)
    return (day - timedelta(days=day.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def _area(m: ScoredRecord, tickets: Mapping[str, TicketMeta]) -> str:
    meta = tickets.get(m.ticket_id)
    return m.product_area or (meta.product_area if meta else None) or NO_AREA


def negatives_by_area(messages: Iterable[ScoredRecord], tickets: Mapping[str, TicketMeta]) -> list[AreaRow]:
    total: Counter[str] = Counter()
    negative: Counter[str] = Counter()
    negative_tickets: dict[str, set[str]] = defaultdict(set)
    for m in messages:
        if m.low_signal:
            continue
        area = _area(m, tickets)
        total[area] += 1
        if m.label == "negative":
            negative[area] += 1
            negative_tickets[area].add(m.ticket_id)
    rows = [
        AreaRow(
            product_area=a,
            messages=n,
            negative_messages=negative[a],
            negative_tickets=len(negative_tickets[a]),
            share_negative=negative[a] / n,
        )
        for a, n in total.items()
    ]
    return sorted(rows, key=lambda r: (-r.negative_messages, r.product_area))


def response_times(messages: Iterable[ScoredRecord], tickets: Mapping[str, TicketMeta]) -> ResponseTimes:
    negative_ids = sorted({m.ticket_id for m in messages if m.label == "negative" and not m.low_signal})
    hours: list[float] = []
    unanswered = 0
    for ticket_id in negative_ids:
        meta = tickets.get(ticket_id)
        if meta is None or meta.first_seen is None or meta.first_agent_reply_at is None:
            unanswered += 1
            continue
        # An agent who wrote first (an outbound ticket) answered at once, as the live metric counts it.
        hours.append(max(0.0, (meta.first_agent_reply_at - meta.first_seen).total_seconds()) / 3600)
    return ResponseTimes(
        negative_tickets=len(negative_ids),
        answered=len(hours),
        unanswered=unanswered,
        median_hours=float(np.median(hours)) if hours else None,
        p90_hours=float(np.percentile(hours, 90)) if hours else None,
        mean_hours=float(np.mean(hours)) if hours else None,
    )


def escalation_precision(reviews: Iterable[ReviewRecord]) -> EscalationPrecision:
    counts = Counter(r.verdict for r in reviews if r.verdict in VERDICTS)
    n = sum(counts.values())
    good = counts["right_call"] + counts["wrong_emotion"]
    return EscalationPrecision(
        reviews=n,
        right_call=counts["right_call"],
        false_alarm=counts["false_alarm"],
        wrong_emotion=counts["wrong_emotion"],
        precision=good / n if n else None,
        precision_low_95=wilson_low(good, n) if n else None,
    )


def build_report(
    messages: Sequence[ScoredRecord],
    tickets: Mapping[str, TicketMeta],
    reviews: Iterable[ReviewRecord],
    *,
    start: datetime,
    end: datetime,
) -> LeadsReport:
    return LeadsReport(
        start=start,
        end=end,
        messages=len(messages),
        scored=sum(not m.low_signal for m in messages),
        weeks=weekly_sentiment(messages, start, end),
        areas=negatives_by_area(messages, tickets),
        response=response_times(messages, tickets),
        precision=escalation_precision(reviews),
    )


def fmt(value: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _charts(report: LeadsReport) -> dict[str, str]:
    import matplotlib.pyplot as plt

    charts: dict[str, str] = {}
    for key, figure in (("weeks", weeks_figure(report)), ("areas", areas_figure(report))):
        if figure is not None:
            charts[key] = _png(figure)
            plt.close(figure)
    return charts


def weeks_figure(report: LeadsReport) -> Any:
    """Average sentiment per week with its 95% confidence interval, n on each bar, partial weeks hatched."""
    if not report.weeks:
        return None
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    weeks = [f"{w.week}\n(partial)" if w.partial else w.week for w in report.weeks]
    means = [w.mean_score for w in report.weeks]
    bars = ax.bar(
        weeks,
        means,
        yerr=[w.score_ci95 for w in report.weeks],
        capsize=3,
        color=["#c0392b" if m < 0 else "#27ae60" for m in means],
        hatch=[("//" if w.partial else "") for w in report.weeks],
        edgecolor="white",
    )
    ax.bar_label(bars, labels=[f"n={w.messages}" for w in report.weeks], fontsize=7, padding=2)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylim(-1.1, 1.1)
    ax.set_ylabel("average sentiment (95% CI)")
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    return fig


def areas_figure(report: LeadsReport) -> Any:
    """Share of negative messages per product area with its Wilson 95% band, negative/n on each bar."""
    if not report.areas:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 0.4 * len(report.areas) + 1), dpi=100)
    areas = list(reversed(report.areas))
    shares = [a.share_negative for a in areas]
    low = [a.share_negative - wilson_low(a.negative_messages, a.messages) for a in areas]
    high = [wilson_high(a.negative_messages, a.messages) - a.share_negative for a in areas]
    bars = ax.barh([a.product_area for a in areas], shares, xerr=[low, high], capsize=3, color="#c0392b")
    ax.bar_label(bars, labels=[f"{a.negative_messages}/{a.messages}" for a in areas], fontsize=7, padding=4)
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("share of messages negative (Wilson 95% CI); negative/messages on each bar")
    return fig


def headline(report: LeadsReport) -> list[tuple[str, str, str]]:
    """The four numbers leads ask for, (name, value, what it is of), for the top of the page."""
    weeks, areas, r, p = report.weeks, report.areas, report.response, report.precision
    n = sum(w.messages for w in weeks)
    mean = sum(w.mean_score * w.messages for w in weeks) / n if n else None
    negative, total = sum(a.negative_messages for a in areas), sum(a.messages for a in areas)
    top = areas[0].product_area if areas and areas[0].negative_messages else None
    return [
        ("average sentiment", fmt(mean, "+.2f"), f"{n} messages with signal"),
        (
            "negative messages",
            str(negative),
            f"{negative / total:.0%} of {total}" + (f"; most in {top}" if top else "") if total else "none scored",
        ),
        ("first response, negative tickets", fmt(r.median_hours, ".1f", " h"), f"median of {r.answered} answered"),
        (
            "escalation precision",
            fmt(p.precision, ".0%"),
            f"95% lower bound {fmt(p.precision_low_95, '.0%')}, {p.reviews} reviews",
        ),
    ]


def render_html(report: LeadsReport) -> str:
    """One self-contained page: tables and PNG charts inlined as base64, no external assets."""
    charts = _charts(report)
    e = html.escape

    def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
        head = "".join(f"<th>{e(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def img(key: str, alt: str) -> str:
        return f'<img alt="{e(alt)}" src="data:image/png;base64,{charts[key]}">' if key in charts else ""

    r, p = report.response, report.precision
    sections = [
        f"<h1>Ticket sentiment report</h1><p>{e(report.start.date().isoformat())} to "
        f"{e(report.end.date().isoformat())}: {report.messages} customer messages scored, {report.scored} with "
        "signal.</p>",
        '<div class="headline">'
        + "".join(
            f'<div class="figure"><div class="value">{e(value)}</div><div class="name">{e(name)}</div>'
            f'<div class="of">{e(of)}</div></div>'
            for name, value, of in headline(report)
        )
        + "</div>",
        "<h2>Average sentiment by week</h2>"
        + img("weeks", "average sentiment by week")
        + table(
            ["week", "messages", "average", "95% CI", "share negative"],
            [
                (
                    f"{w.week} (partial)" if w.partial else w.week,
                    str(w.messages),
                    f"{w.mean_score:+.2f}",
                    f"±{w.score_ci95:.2f}",
                    f"{w.share_negative:.0%}",
                )
                for w in report.weeks
            ],
        ),
        "<h2>Negative volume by product area</h2>"
        + img("areas", "negative messages by product area")
        + table(
            ["product area", "negative messages", "negative tickets", "messages", "share negative"],
            [
                (
                    a.product_area,
                    str(a.negative_messages),
                    str(a.negative_tickets),
                    str(a.messages),
                    f"{a.share_negative:.0%}",
                )
                for a in report.areas
            ],
        ),
        "<h2>First response time, negative tickets</h2>"
        + table(
            ["negative tickets", "answered", "not answered yet", "median", "90th percentile", "mean"],
            [
                (
                    str(r.negative_tickets),
                    str(r.answered),
                    str(r.unanswered),
                    fmt(r.median_hours, ".1f", " h"),
                    fmt(r.p90_hours, ".1f", " h"),
                    fmt(r.mean_hours, ".1f", " h"),
                )
            ],
        ),
        "<h2>Precision of automated escalations</h2>"
        + table(
            ["reviews", "right call", "wrong emotion", "false alarm", "precision", "95% lower bound"],
            [
                (
                    str(p.reviews),
                    str(p.right_call),
                    str(p.wrong_emotion),
                    str(p.false_alarm),
                    fmt(p.precision, ".0%"),
                    fmt(p.precision_low_95, ".0%"),
                )
            ],
        ),
    ]
    style = (
        "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;color:#222}"
        "table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;"
        "text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}"
        ".headline{display:flex;gap:1rem;margin:1rem 0 2rem}.figure{flex:1;border:1px solid #ccc;padding:.6rem}"
        ".value{font-size:1.8rem;font-weight:600}.name{font-weight:600}.of{color:#666;font-size:.85rem}"
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Ticket sentiment report</title>'
        f"<style>{style}</style></head><body>{''.join(sections)}</body></html>\n"
    )
