"""Monthly audit: stratified allocation, the sampler, the queue job and the labelling round trip."""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ticket_sentiment.audit import AuditRow, allocate, draw_sample, previous_month
from ticket_sentiment.audit.models import EXPORT_COLUMNS, LABELLED_COLUMNS
from ticket_sentiment.handlers.audit import audit_job
from ticket_sentiment.pipeline.history import ScoredRecord
from ticket_sentiment_tools.audit.labelling import (
    read_labelled_audit,
    write_export_csv,
    write_labelled_csv,
)
from ticket_sentiment_tools.evaluation import read_labelled_csv

from .history_fakes import FakeHistory, record

MARCH = datetime(2026, 3, 1, tzinfo=UTC)


def _population() -> list[ScoredRecord]:
    """1,000 messages: neutral billing dominates, one negative 'security' message is the rare stratum."""
    spec = [
        ("neutral", "billing", 600),
        ("negative", "billing", 150),
        ("positive", "shipping", 200),
        ("negative", "shipping", 49),
        ("negative", "security", 1),
    ]
    out, i = [], 0
    for label, area, n in spec:
        for _ in range(n):
            score = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}[label]
            out.append(record(i, MARCH + timedelta(minutes=i * 40), score=score, label=label, area=area))
            i += 1
    return out


def _texts(records: Sequence[ScoredRecord]) -> dict[tuple[str, str], str]:
    return {(r.ticket_id, r.message_id): f"redacted text {r.message_id} [EMAIL]" for r in records}


def test_allocation_is_proportional_with_at_least_one_per_stratum() -> None:
    sizes = {
        ("neutral", "billing"): 600,
        ("negative", "billing"): 150,
        ("positive", "shipping"): 200,
        ("negative", "shipping"): 49,
        ("negative", "security"): 1,
        ("neutral", "empty"): 0,
    }
    alloc = allocate(sizes, 200)
    assert sum(alloc.values()) == 200
    assert ("neutral", "empty") not in alloc
    assert alloc[("negative", "security")] == 1
    for stratum, n in sizes.items():
        if n:
            assert abs(alloc[stratum] - 200 * n / 1000) <= 1


def test_allocation_edge_cases() -> None:
    assert allocate({("a", "x"): 3, ("b", "x"): 2}, 200) == {("a", "x"): 3, ("b", "x"): 2}  # all of a small month
    many = {(f"l{i}", "x"): 10 for i in range(30)}
    assert set(allocate(many, 20).values()) == {1}  # more strata than rows: one each wins over the size
    assert allocate({("a", "x"): 1000, ("b", "x"): 1}, 10) == {("a", "x"): 9, ("b", "x"): 1}


def test_sample_size_proportions_and_rare_stratum() -> None:
    records = _population()
    sample = draw_sample(
        records, lambda t, m: _texts(records)[(t, m)], audit_month="2026-03", size=200, rng=random.Random(7)
    )
    assert len(sample.rows) == 200
    assert sample.population == 1000
    assert sample.shortfall == 0
    counts = Counter((r.model_label, r.product_area) for r in sample.rows)
    assert counts[("neutral", "billing")] == 120
    assert counts[("negative", "billing")] == 30
    assert counts[("negative", "security")] == 1
    assert len({(r.ticket_id, r.message_id) for r in sample.rows}) == 200  # no message twice


def test_rows_carry_only_the_redacted_text_and_scores() -> None:
    records = [record(i, MARCH, score=-0.8, customer_tier="enterprise") for i in range(5)]
    sample = draw_sample(
        records, lambda t, m: "[NAME] says the invoice is wrong", audit_month="2026-03", size=3, rng=random.Random(1)
    )
    assert set(AuditRow.model_fields) == {
        "audit_month",
        "ticket_id",
        "message_id",
        "created_at",
        "product_area",
        "model_label",
        "score",
        "confidence",
        "text",
    }
    for row in sample.rows:
        assert row.text == "[NAME] says the invoice is wrong"
        assert "enterprise" not in row.model_dump_json()


def test_same_seed_same_sample_whatever_the_input_order() -> None:
    records = _population()
    texts = _texts(records)
    shuffled = list(records)
    random.Random(99).shuffle(shuffled)
    first = draw_sample(records, lambda t, m: texts[(t, m)], audit_month="2026-03", rng=random.Random(42))
    again = draw_sample(shuffled, lambda t, m: texts[(t, m)], audit_month="2026-03", rng=random.Random(42))
    other = draw_sample(records, lambda t, m: texts[(t, m)], audit_month="2026-03", rng=random.Random(43))
    assert first.rows == again.rows
    assert first.rows != other.rows


def test_rows_are_not_grouped_by_model_label() -> None:
    records = _population()
    texts = _texts(records)
    sample = draw_sample(records, lambda t, m: texts[(t, m)], audit_month="2026-03", rng=random.Random(5))
    labels = [r.model_label for r in sample.rows]
    assert labels != sorted(labels)


def test_expired_text_is_replaced_from_the_same_stratum() -> None:
    records = [record(i, MARCH, score=-0.8, area="billing") for i in range(10)]
    records += [record(100 + i, MARCH, score=0.8, area="shipping") for i in range(10)]
    texts = {(r.ticket_id, r.message_id): "text" for r in records if int(r.message_id[2:]) % 2 == 0}
    sample = draw_sample(records, lambda t, m: texts.get((t, m)), audit_month="2026-03", size=8, rng=random.Random(3))
    assert len(sample.rows) == 8
    assert all(int(r.message_id[2:]) % 2 == 0 for r in sample.rows)
    assert Counter(r.product_area for r in sample.rows) == {"billing": 4, "shipping": 4}
    assert sum(s.expired for s in sample.strata) > 0
    # A stratum with every text expired falls short and says so.
    none_left = draw_sample(records, lambda t, m: None, audit_month="2026-03", size=8, rng=random.Random(3))
    assert none_left.rows == []
    assert none_left.shortfall == 8


def test_previous_month() -> None:
    assert previous_month(datetime(2026, 4, 1, 0, 30, tzinfo=UTC)) == (
        MARCH,
        datetime(2026, 4, 1, tzinfo=UTC),
        "2026-03",
    )
    start, end, name = previous_month(datetime(2026, 1, 15, tzinfo=UTC))
    assert (start, end, name) == (datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), "2025-12")


class ListSink:
    def __init__(self) -> None:
        self.rows: list[AuditRow] = []

    def send_rows(self, rows: Sequence[AuditRow]) -> int:
        self.rows.extend(rows)
        return len(rows)


def test_audit_job_samples_last_month_only() -> None:
    records = [*_population(), record(5000, datetime(2026, 4, 2, tzinfo=UTC), score=-0.8)]
    history = FakeHistory(records, _texts(records))
    sink = ListSink()
    result = audit_job(history, sink, datetime(2026, 4, 1, 0, 30, tzinfo=UTC), size=50, rng=random.Random(1))
    assert result["rows"] == 50
    assert result["audit_month"] == "2026-03"
    assert result["population"] == 1000
    assert all(r.created_at < datetime(2026, 4, 1, tzinfo=UTC) for r in sink.rows)


def _export(tmp_path: Path, labels: Sequence[str]) -> Path:
    rows = [
        AuditRow(
            audit_month="2026-03",
            ticket_id=f"T-{i}",
            message_id=f"m-{i}",
            created_at=MARCH,
            product_area="billing" if i % 2 else None,
            model_label="negative",
            score=-0.7,
            confidence=0.9,
            text=f"text {i},\nwith a comma and a newline",
        )
        for i in range(len(labels))
    ]
    path = tmp_path / "audit.csv"
    write_export_csv(rows, path)
    with path.open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == list(EXPORT_COLUMNS)
    assert all(r["human_label"] == "" for r in table)
    for row, label in zip(table, labels, strict=True):
        row["human_label"] = label
    with path.open("w", newline="", encoding="utf-8-sig") as handle:  # as a spreadsheet saves it
        writer = csv.DictWriter(handle, fieldnames=list(EXPORT_COLUMNS))
        writer.writeheader()
        writer.writerows(table)
    return path


def test_import_writes_a_csv_that_eval_and_calibrate_read(tmp_path: Path) -> None:
    path = _export(tmp_path, ["negative", "Neutral", "pos", "-1", "positive"])
    result = read_labelled_audit(path)
    assert not result.invalid
    assert not result.missing
    assert [r.label for r in result.rows] == ["negative", "neutral", "positive", "negative", "positive"]
    assert result.agreement == pytest.approx(2 / 5)
    out = tmp_path / "labelled.csv"
    assert write_labelled_csv(result.rows, out) == 5
    texts, labels = read_labelled_csv(out)
    assert labels[0] == "negative"
    assert texts[0] == "text 0,\nwith a comma and a newline"
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == LABELLED_COLUMNS
        assert [r["product_area"] for r in reader] == ["", "billing", "", "billing", ""]


def test_import_reports_missing_and_invalid_labels_by_line(tmp_path: Path) -> None:
    path = _export(tmp_path, ["negative", "", "angry", "neutral"])
    result = read_labelled_audit(path)
    # Each text spans two physical lines (header is line 1): rows end on lines 3, 5, 7, 9.
    assert result.missing == [5]
    assert len(result.invalid) == 1
    assert result.invalid[0].startswith("line 7: human_label 'angry'")
    assert [r.line for r in result.rows] == [3, 9]


def test_a_since_window_is_named_by_the_month_holding_most_of_it() -> None:
    """`audit sample --since 7d` on 7 December labelled its rows "2026-11", the month of its first day."""
    from datetime import UTC, datetime

    from ticket_sentiment_tools.cli.audit import _window

    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert _window("7d", None, now)[2] == "2026-12"
    assert _window("30d", None, now)[2] == "2026-11"  # 23 of its 30 days are November's
