"""The plots people look at say what they show: the PR plot marks the thresholds and has an alert-volume panel;
the report's bar charts carry n on each bar, confidence intervals, partial weeks marked, and the page opens with
the four headline numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import matplotlib.pyplot as plt
from matplotlib.container import ErrorbarContainer
from ticket_sentiment.pipeline.history import ReviewRecord
from ticket_sentiment_tools.reporting import (
    LeadsReport,
    areas_figure,
    build_report,
    headline,
    render_html,
    weeks_figure,
)
from ticket_sentiment_tools.threshold_calibration import choose_threshold, pr_figure, table_rows

from .history_fakes import record
from .test_threshold_calibration import _sample

WED = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # ISO week 10, mid-week: the window starts in a partial week


def test_pr_plot_marks_each_threshold_and_plots_alerts_per_1000_against_it() -> None:
    scores, labels = _sample(200, 300)
    choice = choose_threshold(scores, labels, 0.9)
    fig = pr_figure(choice)
    try:
        pr, alerts = fig.axes
        marked = [t.get_text() for t in pr.texts]
        assert marked == [f"{p.threshold:+.2f}" for p in table_rows(choice)]
        assert len(marked) >= 5
        assert alerts.get_ylabel() == "alerts per 1,000 tickets"
        line = alerts.get_lines()[0]
        by_threshold = sorted(choice.curve, key=lambda p: p.threshold)
        assert list(line.get_xdata()) == [p.threshold for p in by_threshold]
        assert list(line.get_ydata()) == [p.alerts_per_1000 for p in by_threshold]
    finally:
        plt.close(fig)


def _report() -> LeadsReport:
    messages = [
        record(i, WED + timedelta(days=i), score=-0.8 if i % 3 == 0 else 0.5, area="billing" if i % 2 else "login")
        for i in range(14)
    ]
    reviews = [
        ReviewRecord(alert_id=f"a{i}", ticket_id="T", verdict="right_call" if i < 3 else "false_alarm")
        for i in range(4)
    ]
    return build_report(messages, {}, reviews, start=WED, end=WED + timedelta(days=14))


def test_week_bars_carry_n_and_a_confidence_interval_and_partial_weeks_are_marked() -> None:
    report = _report()
    assert [w.partial for w in report.weeks] == [True, False, True]  # Wed..Sun, a whole week, Mon..Tue
    fig = weeks_figure(report)
    try:
        (ax,) = fig.axes
        labels = [t.get_text() for t in ax.texts]
        assert labels == [f"n={w.messages}" for w in report.weeks]
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[0].endswith("(partial)") and not ticks[1].endswith("(partial)") and ticks[2].endswith("(partial)")
        assert any(isinstance(c, ErrorbarContainer) for c in ax.containers)
    finally:
        plt.close(fig)


def test_area_bars_are_rates_with_wilson_bands_and_negative_over_n() -> None:
    report = _report()
    fig = areas_figure(report)
    try:
        (ax,) = fig.axes
        labels = sorted(t.get_text() for t in ax.texts)
        assert labels == sorted(f"{a.negative_messages}/{a.messages}" for a in report.areas)
        assert any(isinstance(c, ErrorbarContainer) for c in ax.containers)
        assert {round(b.get_width(), 6) for b in ax.patches} == {round(a.share_negative, 6) for a in report.areas}
    finally:
        plt.close(fig)


def test_the_page_opens_with_the_four_headline_numbers() -> None:
    report = _report()
    figures = headline(report)
    assert [name for name, _, _ in figures] == [
        "average sentiment",
        "negative messages",
        "first response, negative tickets",
        "escalation precision",
    ]
    assert figures[3][1] == "75%"
    page = render_html(report)
    top = page.index('<div class="headline">')
    assert top < page.index("<h2>")
    for name, value, _ in figures:
        assert name in page[top : page.index("<h2>")]
        assert value in page[top : page.index("<h2>")]
