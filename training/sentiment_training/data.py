"""Load the labelled sets from `../shared/data` (read by path, never copied) into plain lists."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from ticket_sentiment.labels import EMOTION_SOURCES, EMOTIONS, POLARITY_LABELS, SEVERITY_LEVELS
from ticket_sentiment.textprep import normalize_for_model, prepare_ticket_text

from .support_corpus import generate as generate_support

_LABEL_INDEX = {label: i for i, label in enumerate(POLARITY_LABELS)}
_LABEL_ALIASES = {
    "neg": "negative",
    "pos": "positive",
    "neu": "neutral",
    "-1": "negative",
    "0": "neutral",
    "1": "positive",
}


@dataclass(frozen=True)
class PolarityExample:
    text: str
    label: int
    source: str
    level: int | None = None  # index into SEVERITY_LEVELS where the example has a five-level label


def stable_fraction(key: str) -> float:
    """A fraction in [0, 1] fixed by `key` (a stable hash, not Python's salted one): author splits, dev shares."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def polarity_of_level(level: int) -> int:
    """Five-level index -> three-class index (very_negative and negative are negative, ...)."""
    return 0 if level < 2 else 1 if level == 2 else 2


@dataclass(frozen=True)
class EmotionExample:
    text: str
    targets: tuple[float, ...]


def parse_label(raw: str) -> int:
    key = raw.strip().lower()
    key = _LABEL_ALIASES.get(key, key)
    if key not in _LABEL_INDEX:
        raise ValueError(f"unknown label {raw!r}: expected one of {', '.join(POLARITY_LABELS)}")
    return _LABEL_INDEX[key]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_labelled_csv(
    path: Path,
    text_col: str = "text",
    label_col: str = "label",
    source: str = "user",
) -> list[PolarityExample]:
    out = []
    for row in _rows(path):
        text = (row.get(text_col) or "").strip()
        if text:
            out.append(PolarityExample(normalize_for_model(text), parse_label(row[label_col]), source))
    return out


def load_semeval_levels(data_dir: Path) -> dict[str, int]:
    """SemEval-2016 Task 4C's five-point labels by (normalised) text; nearly all are also 4A training tweets."""
    path = data_dir / "semeval2016_4c" / "train.csv"
    if not path.is_file():
        return {}
    return {normalize_for_model(row["text"]): SEVERITY_LEVELS.index(row["label"]) for row in _rows(path)}


def load_general_polarity(data_dir: Path) -> list[PolarityExample]:
    """SemEval-2017 train (with the 4C five-point label where the tweet has one; 4C tweets missing from 4A
    are added) plus the two review sets (title and body joined for MDSD)."""
    levels = load_semeval_levels(data_dir)
    semeval = load_labelled_csv(data_dir / "semeval2017_4a" / "train.csv", source="semeval")
    out = [PolarityExample(ex.text, ex.label, ex.source, levels.get(ex.text)) for ex in semeval]
    seen = {ex.text for ex in semeval}
    out += [
        PolarityExample(text, polarity_of_level(level), "semeval", level)
        for text, level in levels.items()
        if text not in seen
    ]
    out += load_labelled_csv(data_dir / "reviews" / "uci_sentences.csv", source="uci")
    for row in _rows(data_dir / "reviews" / "amazon_mdsd.csv"):
        # Reviews are long; the title and first sentences carry the verdict within 64 tokens.
        text = f"{row['title'].strip()}. {row['text'].strip()}"[:600]
        out.append(PolarityExample(normalize_for_model(text), parse_label(row["label"]), "mdsd"))
    return out


def load_team_levels(labels_csv: Path, split: str) -> list[PolarityExample]:
    """The team's five-level labels on real support requests (training/data/support_tweets/labels.csv), one
    author split ("train", "dev" or "test")."""
    out = []
    for row in _rows(labels_csv):
        if row["split"] != split or row["level"] not in SEVERITY_LEVELS:
            continue
        level = SEVERITY_LEVELS.index(row["level"])
        out.append(PolarityExample(normalize_for_model(row["text"]), polarity_of_level(level), "team", level))
    return out


def load_team_emails(folder: Path, split: str, dev_share: float = 0.15) -> list[PolarityExample]:
    """The team's hand-written training e-mails (training/data/support_email_train/*.jsonl), prepared as the scorer
    prepares a ticket body (HTML, quoted history and signature removed); a stable hash of the id picks the dev
    share. The e-mail test split (support_email/) is never read here."""
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            in_dev = stable_fraction(row["id"]) < dev_share
            if (split == "dev") != in_dev or row["level"] not in SEVERITY_LEVELS:
                continue
            level = SEVERITY_LEVELS.index(row["level"])
            out.append(PolarityExample(prepare_ticket_text(row["text"]), polarity_of_level(level), "email", level))
    return out


def load_support_synthetic(n: int, seed: int) -> list[PolarityExample]:
    return [
        PolarityExample(normalize_for_model(t), parse_label(label), "support_synthetic")
        for t, label in generate_support(n, seed)
    ]


def load_emotions(path: Path) -> list[EmotionExample]:
    index = {src: EMOTIONS.index(target) for target, sources in EMOTION_SOURCES.items() for src in sources}
    out = []
    for row in _rows(path):
        vec = [0.0] * len(EMOTIONS)
        for name in row["emotions"].split(";"):
            if name in index:
                vec[index[name]] = 1.0
        out.append(EmotionExample(normalize_for_model(row["text"]), tuple(vec)))
    return out


def split_dev(
    examples: list[PolarityExample],
    fraction: float,
    seed: int,
) -> tuple[list[PolarityExample], list[PolarityExample]]:
    """Stratified hold-out split: returns (train, dev)."""
    rng = random.Random(seed)
    by_label: dict[int, list[PolarityExample]] = {}
    for ex in examples:
        by_label.setdefault(ex.label, []).append(ex)
    train, dev = [], []
    for items in by_label.values():
        rng.shuffle(items)
        k = max(1, round(len(items) * fraction))
        dev += items[:k]
        train += items[k:]
    rng.shuffle(train)
    rng.shuffle(dev)
    return train, dev
