"""The team's labelled support requests: split by author, rounds recorded, the merge's output."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from sentiment_training.severity_eval import FIRST_TEST_ROUND, TEAM_LABELS, read_team_rows
from sentiment_training.support_labels import merge, sample_round


def _rows() -> list[dict[str, str]]:
    with TEAM_LABELS.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_no_author_sits_in_two_splits() -> None:
    splits: dict[str, set[str]] = defaultdict(set)
    for row in _rows():
        splits[row["author_id"]].add(row["split"])
    assert {a: s for a, s in splits.items() if len(s) > 1} == {}


def test_the_round_1_test_messages_are_the_655_earlier_cards_reported() -> None:
    test = read_team_rows("test")
    assert sum(r["round"] in FIRST_TEST_ROUND for r in test) == 655
    assert len(test) > 655  # round 6 labelled the other test authors' messages


def test_a_sample_file_names_its_round() -> None:
    assert sample_round(Path("sample.csv")) == 1
    assert sample_round(Path("sample_6.csv")) == 6


def test_merge_keeps_each_messages_round_and_drops_skips(tmp_path: Path) -> None:
    def write(name: str, header: list[str], rows: list[list[str]]) -> None:
        with (tmp_path / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rows])

    write("sample.csv", ["id", "author_id", "split", "stratum", "text"], [["1", "a", "train", "bin0", "broken"]])
    write(
        "sample_2.csv",
        ["id", "author_id", "split", "stratum", "text"],
        [["2", "b", "test", "bin3", "thanks!"], ["3", "c", "dev", "bin2", "@x"]],
    )
    write("labels_batch_1.csv", ["id", "level"], [["1", "negative"]])
    write("labels_batch_2_1.csv", ["id", "level"], [["2", "positive"], ["3", "skip"]])
    summary = merge(tmp_path)
    with (tmp_path / "labels.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["id"], r["split"], r["round"], r["level"]) for r in rows] == [
        ("1", "train", "1", "negative"),
        ("2", "test", "2", "positive"),
    ]
    assert summary["labelled"] == 2 and summary["skipped"] == 1
