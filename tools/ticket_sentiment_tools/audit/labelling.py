"""The labelling round trip: audit rows -> CSV for reviewers -> checked human labels -> `text,label,product_area`.

The output is what `eval`, `calibrate --by product_area` and `finetune` read, so a month's audit feeds straight
back into measuring, re-thresholding and retraining the model.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from ticket_sentiment.audit.models import EXPORT_COLUMNS, LABELLED_COLUMNS, AuditRow

from ..evaluation import LabelledDataError, normalise_label
from ..textfiles import not_a_file, open_utf8


class LabelledRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    text: str
    label: str  # negative, neutral or positive
    product_area: str
    model_label: str | None = None


class ImportResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: list[LabelledRow]
    missing: list[int]  # lines with no human label yet
    invalid: list[str]  # "line N: reason"

    @property
    def agreement(self) -> float | None:
        """Share of labelled rows where the model's label matches the human's (a first look, not an eval)."""
        compared = [r for r in self.rows if r.model_label]
        return sum(r.model_label == r.label for r in compared) / len(compared) if compared else None


def export_row(row: AuditRow) -> dict[str, str]:
    return {
        "audit_month": row.audit_month,
        "ticket_id": row.ticket_id,
        "message_id": row.message_id,
        "created_at": row.created_at.isoformat(),
        "product_area": row.product_area or "",
        "model_label": row.model_label,
        "score": f"{row.score:.4f}",
        "confidence": f"{row.confidence:.4f}",
        "text": row.text,
        "human_label": "",
    }


def write_export_csv(rows: Iterable[AuditRow], path: Path) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(EXPORT_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow(export_row(row))
            count += 1
    return count


def read_labelled_audit(path: Path) -> ImportResult:
    """Check every row; errors name the CSV line (the header is line 1), never the text."""
    if problem := not_a_file(path):
        raise LabelledDataError(problem)
    rows: list[LabelledRow] = []
    missing: list[int] = []
    invalid: list[str] = []
    with open_utf8(path, newline="") as handle:  # a spreadsheet's byte-order mark is dropped
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for col in ("text", "human_label"):
            if col not in columns:
                raise LabelledDataError(f"{path}: no column {col!r} (columns: {', '.join(columns) or 'none'})")
        for row in reader:
            line = reader.line_num  # physical line: texts may hold newlines
            raw = (row.get("human_label") or "").strip()
            text = row.get("text") or ""
            if not raw:
                missing.append(line)
                continue
            try:
                label = normalise_label(raw)
            except LabelledDataError:
                invalid.append(f"line {line}: human_label {raw[:20]!r} is not negative, neutral or positive")
                continue
            if not text.strip():
                invalid.append(f"line {line}: empty text")
                continue
            rows.append(
                LabelledRow(
                    line=line,
                    text=text,
                    label=label,
                    product_area=row.get("product_area") or "",
                    model_label=(row.get("model_label") or "").strip() or None,
                )
            )
    return ImportResult(rows=rows, missing=missing, invalid=invalid)


def write_labelled_csv(rows: Iterable[LabelledRow], path: Path) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(LABELLED_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({"text": row.text, "label": row.label, "product_area": row.product_area})
            count += 1
    return count
