"""The monthly audit use case: last month's scored messages from the history, a stratified sample of them."""

from __future__ import annotations

import random
from datetime import datetime

from ..ports import ScoredHistory
from .models import AuditSample
from .sampler import DEFAULT_SAMPLE_SIZE, draw_sample, previous_month


def sample_month(
    history: ScoredHistory, now: datetime, *, size: int = DEFAULT_SAMPLE_SIZE, rng: random.Random | None = None
) -> AuditSample:
    start, end, month = previous_month(now)
    records = list(history.scored_between(start, end, with_ticket_meta=True))
    return draw_sample(
        records, lambda t, m: history.redacted_text(t, m, now=now), audit_month=month, size=size, rng=rng
    )
