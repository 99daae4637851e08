"""Redaction speed on a ~2 KB ticket. `make bench` reports the figure (`redaction` section); this test only guards
against regressions, with a bound loose enough for a busy shared runner. CPU time, not wall time, so other
processes on the machine do not make it flaky."""

from __future__ import annotations

import statistics
import time

import pytest
from ticket_sentiment.bench import REDACTION_TICKET, bench_redaction
from ticket_sentiment.redaction import redact
from ticket_sentiment.redaction.numbers import clear_caches


@pytest.mark.slow
def test_two_kilobyte_ticket_is_redacted_in_about_a_millisecond_or_less() -> None:
    assert 1800 <= len(REDACTION_TICKET.encode()) <= 2200
    for _ in range(10):
        redact(REDACTION_TICKET)
    times = []
    for _ in range(200):
        clear_caches()  # measure libphonenumber's work every time, not a memoised verdict
        start = time.process_time()
        redact(REDACTION_TICKET)
        times.append(time.process_time() - start)
    mean_ms = statistics.mean(times) * 1000
    print(f"\nredaction of a {len(REDACTION_TICKET.encode())}-byte ticket: mean {mean_ms:.3f} ms CPU")
    assert mean_ms < 3.0


def test_bench_section_reports_microseconds() -> None:
    result = bench_redaction(runs=20)
    assert {"ticket_bytes", "mean_us", "p95_us", "no_pii_mean_us", "entities"} <= result.keys()
    assert result["entities"]["CARD"] == 1 and result["mean_us"] > 0
