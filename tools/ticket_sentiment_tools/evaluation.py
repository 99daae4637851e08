"""Classification metrics for labelled CSVs (pure Python + numpy)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from ticket_sentiment.labels import POLARITY_LABELS, SEVERITY_LEVELS

from .textfiles import not_a_file, open_utf8

_ALIASES = {"neg": "negative", "pos": "positive", "neu": "neutral", "-1": "negative", "0": "neutral", "1": "positive"}
_LEVEL_ALIASES = {
    **_ALIASES,
    "very negative": "very_negative",
    "very-negative": "very_negative",
    "very positive": "very_positive",
    "very-positive": "very_positive",
    "-2": "very_negative",
    "2": "very_positive",
    "+1": "positive",
    "+2": "very_positive",
}


class LabelledDataError(ValueError):
    """The labelled file cannot be evaluated; the message says why. As such (no file, no such column: fixed with
    the arguments) a usage error, exit 2."""

    exit_code = 2


class LabelledContentError(LabelledDataError):
    """The file's content is wrong (an unknown label at file:line, no labelled rows): bad input, exit 1."""

    exit_code = 1


class ClassMetrics(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class EvalReport(BaseModel):
    n: int
    accuracy: float
    macro_f1: float
    macro_recall: float
    per_class: dict[str, ClassMetrics]
    labels: list[str]
    confusion_matrix: list[list[int]]  # rows: true label, columns: predicted label
    model_version: str | None = None


def normalise_level(raw: str) -> str:
    """A five-level label (very_negative ... very_positive, or -2..2); three-class labels are the plain levels."""
    key = raw.strip().lower()
    key = _LEVEL_ALIASES.get(key, key)
    if key not in SEVERITY_LEVELS:
        raise LabelledDataError(
            f"unknown label {raw!r}; expected one of {', '.join(SEVERITY_LEVELS)} (or negative/neutral/positive)"
        )
    return key


def normalise_label(raw: str) -> str:
    """A three-class label; five-level labels count on their side (very_negative is negative)."""
    level = normalise_level(raw)
    return level.removeprefix("very_")


@dataclass(frozen=True)
class LabelledRows:
    texts: list[str]
    levels: list[str]  # five-level or three-class labels, normalised
    groups: list[str | None] | None  # the group column's values, when one was asked for


def read_labelled_rows(
    path: Path, text_col: str = "text", label_col: str = "label", group_col: str | None = None
) -> LabelledRows:
    """A labelled CSV (a byte-order mark from a spreadsheet export is ignored); LabelledDataError names the file,
    the line and what is wrong; NotUtf8Error, a file that is not UTF-8."""
    if problem := not_a_file(path):
        raise LabelledDataError(problem)
    with open_utf8(path, newline="") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        for col in (text_col, label_col, *([group_col] if group_col else [])):
            if col not in columns:
                raise LabelledDataError(f"{path}: no column {col!r} (columns: {', '.join(columns) or 'none'})")
        texts: list[str] = []
        levels: list[str] = []
        groups: list[str | None] = []
        for row in reader:
            try:
                levels.append(normalise_level(row[label_col] or ""))
            except LabelledDataError as exc:
                raise LabelledContentError(f"{path}:{reader.line_num}: {exc}") from None
            texts.append(row[text_col] or "")
            groups.append((row[group_col] or None) if group_col else None)
    if not texts:
        raise LabelledContentError(f"{path}: no labelled rows")
    return LabelledRows(texts, levels, groups if group_col else None)


def read_labelled_csv(path: Path, text_col: str = "text", label_col: str = "label") -> tuple[list[str], list[str]]:
    """Texts and their three-class labels (five-level labels count on their side)."""
    rows = read_labelled_rows(path, text_col, label_col)
    return rows.texts, [level.removeprefix("very_") for level in rows.levels]


def missing_classes(labels: Sequence[str], classes: tuple[str, ...] = POLARITY_LABELS) -> list[str]:
    """The classes no label is of. Macro-F1 over the classes present would score a file of one class 1.0 for a
    model that only ever says that class: such a file cannot be evaluated."""
    present = set(labels)
    return [c for c in classes if c not in present]


def evaluate(y_true: Sequence[str], y_pred: Sequence[str], labels: tuple[str, ...] = POLARITY_LABELS) -> EvalReport:
    index = {label: i for i, label in enumerate(labels)}
    cm = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        cm[index[t], index[p]] += 1
    per_class = {}
    for i, label in enumerate(labels):
        tp = cm[i, i]
        precision = tp / cm[:, i].sum() if cm[:, i].sum() else 0.0
        recall = tp / cm[i, :].sum() if cm[i, :].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassMetrics(
            precision=round(float(precision), 4),
            recall=round(float(recall), 4),
            f1=round(float(f1), 4),
            support=int(cm[i, :].sum()),
        )
    present = [m for m in per_class.values() if m.support]
    return EvalReport(
        n=int(cm.sum()),
        accuracy=round(float(np.trace(cm) / max(cm.sum(), 1)), 4),
        macro_f1=round(float(np.mean([m.f1 for m in present])), 4) if present else 0.0,
        macro_recall=round(float(np.mean([m.recall for m in present])), 4) if present else 0.0,
        per_class=per_class,
        labels=list(labels),
        confusion_matrix=cm.tolist(),
    )
