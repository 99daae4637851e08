"""Fixtures for the training tests: a miniature copy of the shared data, written by the test."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sentiment_training.train import TrainConfig

ROWS = [
    ("I'm still waiting for my refund", "negative"),
    ("the app keeps crashing", "negative"),
    ("this is the third time I write", "negative"),
    ("how do I change my address?", "neutral"),
    ("please send the invoice", "neutral"),
    ("what are your opening hours?", "neutral"),
    ("thanks, that fixed it!", "positive"),
    ("great support, thank you", "positive"),
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    """A miniature copy of the shared data layout, written by the test (no shared data needed)."""
    data = tmp_path / "data"
    write_csv(
        data / "semeval2017_4a" / "train.csv",
        ["id", "text", "label"],
        [[str(i), t, label] for i, (t, label) in enumerate(ROWS * 3)],
    )
    write_csv(
        data / "reviews" / "uci_sentences.csv",
        ["id", "source", "text", "label"],
        [["u1", "yelp", "awful food", "negative"], ["u2", "yelp", "lovely place", "positive"]],
    )
    write_csv(
        data / "reviews" / "amazon_mdsd.csv",
        ["id", "domain", "rating", "title", "text", "label"],
        [["m1", "books", "1.0", "Bad", "boring book", "negative"], ["m2", "dvd", "5.0", "Good", "fun", "positive"]],
    )
    emotions = [
        ["g1", "thank you so much", "gratitude"],
        ["g2", "this makes me furious", "anger"],
        ["g3", "I don't get it", "confusion"],
        ["g4", "the sky is blue", "neutral"],
    ]
    for split in ("train", "dev"):
        write_csv(data / "goemotions" / f"{split}.csv", ["id", "text", "emotions"], emotions)
    return data


def tiny_config(data_dir: Path, **settings: Any) -> TrainConfig:
    """A training run small enough for a test (a few steps on `tiny_data`); `settings` override or add fields."""
    from sentiment_training.train import TrainConfig  # torch: imported only where the train extra is installed

    tiny = {
        "steps": 3,
        "batch_size": 8,
        "emotion_every": 2,
        "support_synthetic": 40,
        "support_repeat": 1,
        "dev_fraction": 0.2,
    }
    return TrainConfig(data_dir=data_dir, **{**tiny, **settings})
