"""The redaction benchmark's ticket: what it holds and what the bench section reports. Timings are the bench
command's job (`make bench`, `redaction` section); tests assert behaviour, not speed."""

from __future__ import annotations

from ticket_sentiment.redaction import redact
from ticket_sentiment_tools.bench import REDACTION_TICKET, bench_redaction

# The personal data the ticket carries; its order number, tracking number, error code and version must survive.
EXPECTED_ENTITIES = {"CARD": 1, "EMAIL": 1, "IBAN": 1, "NAME": 2, "PHONE": 1}


def test_benchmark_ticket_is_about_two_kilobytes_with_the_expected_personal_data() -> None:
    assert 1800 <= len(REDACTION_TICKET.encode()) <= 2200
    result = redact(REDACTION_TICKET)
    assert result.entities == EXPECTED_ENTITIES
    for kept in ("#48213", "1Z999AA10123456784", "ERR-5001", "v2.3.1", "$1,249.00"):
        assert kept in result.text


def test_bench_section_reports_the_ticket_and_its_entities() -> None:
    result = bench_redaction(runs=5)
    assert {"ticket_bytes", "mean_us", "p95_us", "no_pii_mean_us", "entities"} <= result.keys()
    assert result["ticket_bytes"] == len(REDACTION_TICKET.encode())
    assert result["entities"] == EXPECTED_ENTITIES
