from __future__ import annotations

from pathlib import Path

import pytest
from ticket_sentiment_tools.evaluation import LabelledDataError, evaluate, read_labelled_csv


def test_metrics_on_a_known_confusion_matrix() -> None:
    y_true = ["negative"] * 4 + ["neutral"] * 4 + ["positive"] * 2
    y_pred = [
        "negative",
        "negative",
        "negative",
        "neutral",
        "neutral",
        "neutral",
        "negative",
        "neutral",
        "positive",
        "neutral",
    ]
    report = evaluate(y_true, y_pred)
    assert report.confusion_matrix == [[3, 1, 0], [1, 3, 0], [0, 1, 1]]
    assert report.accuracy == 0.7
    assert report.per_class["negative"].recall == 0.75
    assert report.per_class["positive"].precision == 1.0
    assert report.macro_recall == pytest.approx((0.75 + 0.75 + 0.5) / 3, abs=1e-4)


def test_reader_reports_missing_column_and_bad_label(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("body,label\nhello,positive\n")
    with pytest.raises(LabelledDataError, match="no column 'text'"):
        read_labelled_csv(path)
    path.write_text("text,label\nhello,happy\n")
    with pytest.raises(LabelledDataError, match=r"x.csv:2: unknown label 'happy'"):
        read_labelled_csv(path)


def test_reader_accepts_aliases(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("text,label\na,NEG\nb,pos\nc,Neutral\n")
    assert read_labelled_csv(path) == (["a", "b", "c"], ["negative", "positive", "neutral"])
