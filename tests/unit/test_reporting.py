"""The leads' report: its four numbers on hand-made data, the HTML page, and the audit import command."""

from __future__ import annotations

import base64
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ticket_sentiment.adapters.aws.history import days_between  # at collection: urllib3 probes a socket
from ticket_sentiment.audit.models import EXPORT_COLUMNS
from ticket_sentiment.pipeline.history import ReviewRecord, TicketMeta
from ticket_sentiment_tools.cli import app
from ticket_sentiment_tools.reporting import (
    NO_AREA,
    build_report,
    escalation_precision,
    iso_week,
    negatives_by_area,
    parse_since,
    render_html,
    response_times,
    weekly_sentiment,
)
from typer.testing import CliRunner

from .history_fakes import record

MON = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, ISO week 10
runner = CliRunner()


def test_parse_since() -> None:
    assert parse_since("30d") == timedelta(days=30)
    assert parse_since("4w") == timedelta(days=28)
    assert parse_since(" 12h ") == timedelta(hours=12)
    for bad in ("30", "0d", "d", "3y"):
        with pytest.raises(ValueError, match="30d"):
            parse_since(bad)


def test_weekly_average_leaves_low_signal_out() -> None:
    messages = [
        record(1, MON, score=-0.8),
        record(2, MON + timedelta(days=6), score=0.4),
        record(3, MON, score=0.9, low_signal=True),
        record(4, MON + timedelta(days=7), score=0.5),
    ]
    weeks = weekly_sentiment(messages)
    assert [w.week for w in weeks] == ["2026-W10", "2026-W11"]
    assert weeks[0].messages == 2
    assert weeks[0].mean_score == pytest.approx(-0.2)
    assert weeks[0].share_negative == 0.5
    assert weeks[1].mean_score == pytest.approx(0.5)
    assert iso_week(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-W01"


def test_negative_volume_by_area_counts_messages_and_tickets() -> None:
    messages = [
        record(1, MON, score=-0.8, area="billing"),
        record(2, MON, score=-0.7, area="billing", ticket_id="T-1"),
        record(3, MON, score=0.7, area="billing"),
        record(4, MON, score=-0.9, area=None),
        record(5, MON, score=-0.9, area="shipping", low_signal=True),
    ]
    rows = negatives_by_area(messages, {"T-4": TicketMeta(ticket_id="T-4", product_area="app")})
    assert [(r.product_area, r.negative_messages, r.negative_tickets, r.messages) for r in rows] == [
        ("billing", 2, 1, 3),
        ("app", 1, 1, 1),
    ]
    assert rows[0].share_negative == pytest.approx(2 / 3)
    assert negatives_by_area([record(6, MON, score=-0.9, area=None)], {})[0].product_area == NO_AREA


def test_first_response_time_of_negative_tickets() -> None:
    messages = [record(i, MON, score=-0.8) for i in range(4)] + [record(9, MON, score=0.8)]
    tickets = {
        "T-0": TicketMeta(ticket_id="T-0", first_seen=MON, first_agent_reply_at=MON + timedelta(hours=1)),
        "T-1": TicketMeta(ticket_id="T-1", first_seen=MON, first_agent_reply_at=MON + timedelta(hours=3)),
        "T-2": TicketMeta(ticket_id="T-2", first_seen=MON),  # not answered yet
        "T-9": TicketMeta(ticket_id="T-9", first_seen=MON, first_agent_reply_at=MON + timedelta(hours=50)),
    }  # T-3 has no ticket item: counted as not answered
    r = response_times(messages, tickets)
    assert (r.negative_tickets, r.answered, r.unanswered) == (4, 2, 2)
    assert r.median_hours == pytest.approx(2.0)
    assert r.mean_hours == pytest.approx(2.0)
    assert r.p90_hours == pytest.approx(2.8)
    empty = response_times([], {})
    assert empty.median_hours is None
    assert empty.negative_tickets == 0


def test_escalation_precision_counts_wrong_emotion_as_a_warranted_escalation() -> None:
    reviews = [
        ReviewRecord(ticket_id="T", verdict=v)
        for v in ["right_call"] * 6 + ["wrong_emotion"] * 2 + ["false_alarm"] * 2 + ["something_new"]
    ]
    p = escalation_precision(reviews)
    assert (p.reviews, p.right_call, p.wrong_emotion, p.false_alarm) == (10, 6, 2, 2)
    assert p.precision == pytest.approx(0.8)
    assert p.precision_low_95 is not None
    assert p.precision_low_95 < 0.8
    none = escalation_precision([])
    assert none.precision is None
    assert none.precision_low_95 is None


def test_html_report_is_self_contained_with_charts(tmp_path: Path) -> None:
    messages = [
        record(
            i,
            MON + timedelta(days=i),
            score=-0.8 if i % 3 == 0 else 0.5,
            area="<script>alert(1)</script>" if i == 0 else "billing",
        )
        for i in range(14)
    ]
    report = build_report(messages, {}, [], start=MON, end=MON + timedelta(days=14))
    page = render_html(report)
    assert page.startswith("<!doctype html>")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    images = page.split('src="data:image/png;base64,')[1:]
    assert len(images) == 2
    assert base64.b64decode(images[0].split('"', 1)[0]).startswith(b"\x89PNG")
    assert "http" not in page  # no external assets
    assert "n/a" in page  # no reviews, no replies


def _write_audit(path: Path, labels: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(EXPORT_COLUMNS))
        writer.writeheader()
        for i, label in enumerate(labels):
            writer.writerow(
                {
                    "audit_month": "2026-03",
                    "ticket_id": f"T-{i}",
                    "message_id": f"m-{i}",
                    "created_at": MON.isoformat(),
                    "product_area": "billing",
                    "model_label": "negative",
                    "score": "-0.8",
                    "confidence": "0.9",
                    "text": f"text {i}",
                    "human_label": label,
                }
            )


def test_audit_import_command(tmp_path: Path) -> None:
    good, labelled = tmp_path / "audit.csv", tmp_path / "labelled.csv"
    _write_audit(good, ["negative", "neutral"])
    result = runner.invoke(app, ["audit", "import", str(good), "--out", str(labelled)])
    assert result.exit_code == 0, result.output
    assert "2 labelled rows" in result.output
    assert "agreed with the labels on 50%" in result.output
    assert labelled.read_text().splitlines()[0] == "text,label,product_area"

    bad = tmp_path / "bad.csv"
    _write_audit(bad, ["negative", "", "furious"])
    result = runner.invoke(app, ["audit", "import", str(bad), "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert not (tmp_path / "x.csv").exists()
    assert "line 4: human_label 'furious'" in result.output
    assert "no human_label on line(s) 3" in result.output
    partial = tmp_path / "partial.csv"
    _write_audit(partial, ["negative", ""])
    result = runner.invoke(app, ["audit", "import", str(partial), "--out", str(labelled), "--skip-unlabelled"])
    assert result.exit_code == 0
    assert "1 labelled rows" in result.output


def test_days_between_covers_every_utc_day_the_window_touches() -> None:
    assert days_between(MON, MON + timedelta(days=2)) == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert days_between(MON, MON.replace(hour=23)) == ["2026-03-02"]
    midnight = datetime(2026, 3, 3, tzinfo=UTC)
    assert days_between(MON, midnight) == ["2026-03-02"]  # the end is excluded
