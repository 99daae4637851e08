"""In-memory scored history for the drift job, the audit sampler and the report (no AWS)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ticket_sentiment.pipeline.history import ReviewRecord, ScoredRecord, TicketMeta


def record(
    i: int,
    at: datetime,
    *,
    score: float = 0.0,
    label: str | None = None,
    area: str | None = "billing",
    **overrides: Any,
) -> ScoredRecord:
    label = label or ("negative" if score <= -0.3 else "positive" if score >= 0.3 else "neutral")
    data: dict[str, Any] = {
        "ticket_id": f"T-{i}",
        "message_id": f"m-{i}",
        "created_at": at,
        "label": label,
        "score": score,
        "intensity": abs(score),
        "confidence": 0.8,
        "low_signal": False,
        "language": "en",
        "scorer": "onnx",
        "model_version": "fake-1",
        "product_area": area,
    }
    data.update(overrides)
    return ScoredRecord.model_validate(data)


@dataclass
class FakeHistory:
    records: list[ScoredRecord] = field(default_factory=list)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)
    metas: dict[str, TicketMeta] = field(default_factory=dict)
    reviews: list[ReviewRecord] = field(default_factory=list)
    queries: list[tuple[datetime, datetime]] = field(default_factory=list)

    def scored_between(
        self,
        start: datetime,
        end: datetime,
        *,
        with_ticket_meta: bool = False,
    ) -> Iterator[ScoredRecord]:
        self.queries.append((start, end))
        for r in self.records:
            if start <= r.created_at < end:
                meta = self.metas.get(r.ticket_id)
                if with_ticket_meta and meta is not None and r.product_area is None:
                    yield r.model_copy(update={"product_area": meta.product_area})
                else:
                    yield r

    def redacted_text(self, ticket_id: str, message_id: str, *, now: datetime | None = None) -> str | None:
        return self.texts.get((ticket_id, message_id))

    def tickets(self, ticket_ids: Iterable[str]) -> dict[str, TicketMeta]:
        return {t: self.metas[t] for t in ticket_ids if t in self.metas}

    def reviewed_between(self, start: datetime, end: datetime) -> Iterator[ReviewRecord]:
        return iter(self.reviews)
