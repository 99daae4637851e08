"""Stratified random sample of a month's scored messages for human labelling. Pure Python.

Strata are model label x product area, so a rare but costly cell (negative messages about billing) is always
represented; allocation is proportional (largest remainders) with at least one row per non-empty stratum, which
means a month with more strata than `size` gives one row per stratum. The RNG is injected so a sample can be
reproduced from its seed.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from ..pipeline.history import ScoredRecord
from .models import NO_AREA, AuditRow, AuditSample, StratumReport

DEFAULT_SAMPLE_SIZE = 200
Stratum = tuple[str, str]  # (model label, product area)
TextLookup = Callable[[str, str], str | None]  # (ticket_id, message_id) -> redacted text, None when expired


def previous_month(now: datetime) -> tuple[datetime, datetime, str]:
    """[first instant of last month, first instant of this month) in UTC, and its YYYY-MM."""
    now = now.astimezone(UTC)
    end = datetime(now.year, now.month, 1, tzinfo=UTC)
    start = (
        datetime(end.year - 1, 12, 1, tzinfo=UTC)
        if end.month == 1
        else datetime(end.year, end.month - 1, 1, tzinfo=UTC)
    )
    return start, end, f"{start:%Y-%m}"


def stratum_of(record: ScoredRecord) -> Stratum:
    return record.label, record.product_area or NO_AREA


def allocate(sizes: Mapping[Stratum, int], total: int) -> dict[Stratum, int]:
    """Rows per stratum: proportional to its size, at least 1 per non-empty stratum, never more than it holds."""
    strata = {s: n for s, n in sizes.items() if n > 0}
    population = sum(strata.values())
    if population <= total:
        return dict(strata)
    quota = {s: total * n / population for s, n in strata.items()}
    alloc = {s: min(n, max(1, math.floor(quota[s]))) for s, n in strata.items()}
    # Hand out what is left by largest remainder; ties go to the larger stratum, then by name (deterministic).
    while sum(alloc.values()) < total:
        open_ = [s for s in strata if alloc[s] < strata[s]]
        if not open_:
            break
        best = max(open_, key=lambda s: (quota[s] - alloc[s], strata[s], s))
        alloc[best] += 1
    # The minimum of one can overshoot: take back from the most over-served strata that have more than one.
    while sum(alloc.values()) > total:
        over = [s for s in strata if alloc[s] > 1]
        if not over:
            break  # one per stratum already: the guarantee wins over the size
        worst = max(over, key=lambda s: (alloc[s] - quota[s], -strata[s], s))
        alloc[worst] -= 1
    return alloc


def draw_sample(
    records: Sequence[ScoredRecord],
    text_of: TextLookup,
    *,
    audit_month: str,
    size: int = DEFAULT_SAMPLE_SIZE,
    rng: random.Random | None = None,
) -> AuditSample:
    """Sample `size` rows; a candidate whose redacted text has expired is skipped for another from its stratum."""
    rng = rng or random.Random()
    by_stratum: dict[Stratum, list[ScoredRecord]] = defaultdict(list)
    for record in records:
        by_stratum[stratum_of(record)].append(record)
    alloc = allocate({s: len(rs) for s, rs in by_stratum.items()}, size)
    rows: list[AuditRow] = []
    reports: list[StratumReport] = []
    for stratum in sorted(by_stratum):
        # Sorted first, so the same seed gives the same sample whatever order the table returned the items in.
        candidates = sorted(by_stratum[stratum], key=lambda r: (r.created_at, r.ticket_id, r.message_id))
        rng.shuffle(candidates)
        want, expired, drawn = alloc.get(stratum, 0), 0, 0
        for record in candidates:
            if drawn >= want:
                break
            text = text_of(record.ticket_id, record.message_id)
            if text is None:
                expired += 1
                continue
            rows.append(
                AuditRow(
                    audit_month=audit_month,
                    ticket_id=record.ticket_id,
                    message_id=record.message_id,
                    created_at=record.created_at,
                    product_area=record.product_area,
                    model_label=record.label,
                    score=record.score,
                    confidence=record.confidence,
                    text=text,
                )
            )
            drawn += 1
        reports.append(
            StratumReport(
                label=stratum[0],
                product_area=stratum[1],
                population=len(candidates),
                allocated=want,
                drawn=drawn,
                expired=expired,
            )
        )
    # Labellers see the rows in random order, not grouped by the model's label (that would prime them).
    rng.shuffle(rows)
    return AuditSample(audit_month=audit_month, population=len(records), rows=rows, strata=reports)
