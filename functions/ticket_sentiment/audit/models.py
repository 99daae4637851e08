"""The audit's rows: what a reviewer sees (only the redacted text, never the raw message or who wrote it)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ..models import Label

# The CSV a labeller fills in; `human_label` is the only column they write.
EXPORT_COLUMNS = (
    "audit_month",
    "ticket_id",
    "message_id",
    "created_at",
    "product_area",
    "model_label",
    "score",
    "confidence",
    "text",
    "human_label",
)
# What `audit import` writes: accepted as is by `eval`, `calibrate --by product_area` and `finetune`.
LABELLED_COLUMNS = ("text", "label", "product_area")
NO_AREA = "-"  # stratum name for messages whose ticket has no product area


class AuditRow(BaseModel):
    """One sampled message, as it goes on the review queue (one SQS message, JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    audit_month: str = Field(pattern=r"^\d{4}-\d{2}$")
    ticket_id: str
    message_id: str
    created_at: datetime
    product_area: str | None
    model_label: Label
    score: float
    confidence: float
    text: str  # redacted at ingest; the TEXT# item, never anything else


class StratumReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    product_area: str
    population: int
    allocated: int
    drawn: int
    expired: int  # candidates skipped because their redacted text had expired


class AuditSample(BaseModel):
    model_config = ConfigDict(frozen=True)

    audit_month: str
    population: int
    rows: list[AuditRow]
    strata: list[StratumReport]

    @property
    def shortfall(self) -> int:
        return sum(s.allocated - s.drawn for s in self.strata)
