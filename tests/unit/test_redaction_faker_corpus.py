"""Issue 15's floors on the seeded Faker corpus (ten locales) plus the hand-written adversarial cases, measured
through protect_event and clean_for_scoring: what ingest queues and what the scorer stores, publishes and sends."""

from __future__ import annotations

import pytest
from ticket_sentiment_tools.redaction.corpus import (
    FLOORS,
    LOCALES,
    STRUCTURED,
    Report,
    adversarial_cases,
    build_corpus,
    leaks,
    measure,
    significant_tokens,
)

pytest.importorskip("faker")


@pytest.fixture(scope="module")
def report() -> Report:
    return measure(build_corpus())


def test_the_corpus_is_large_seeded_and_spans_eight_locales_or_more() -> None:
    cases = build_corpus()
    assert len(cases) >= 1500
    assert len(LOCALES) >= 8
    assert {c.locale for c in cases} >= set(LOCALES)
    assert [c.body for c in cases[:50]] == [c.body for c in build_corpus()[:50]]  # deterministic
    kinds = {c.kind for c in adversarial_cases()}
    assert {"html", "split", "invisible", "digits", "obfuscation", "signature"} <= kinds


def test_structured_types_are_protected_at_the_floor(report: Report) -> None:
    assert report.structured_recall() >= FLOORS["structured"], report.format()
    for kind in STRUCTURED:
        assert report.per_type[kind][0] >= 40, kind  # every structured type is exercised


def test_names_in_greetings_sign_offs_and_prose_are_protected_at_their_floors(report: Report) -> None:
    assert report.recall("NAME_GREETING") >= FLOORS["NAME_GREETING"], report.format()
    assert report.recall("NAME_PROSE") >= FLOORS["NAME_PROSE"], report.format()


def test_addresses_are_protected_at_the_floor(report: Report) -> None:
    assert report.recall("ADDRESS") >= FLOORS["ADDRESS"], report.format()


def test_hard_negatives_are_kept_at_the_floor(report: Report) -> None:
    assert report.negatives >= 1000
    assert report.kept_rate() >= FLOORS["negatives"], report.format()


def test_every_adversarial_case_is_protected() -> None:
    failed = [(m.case.case_id, m.case.body, m.leaked) for m in measure(adversarial_cases()).measured if m.leaked]
    assert not failed


def test_a_partly_redacted_value_counts_as_a_leak() -> None:
    case = adversarial_cases()[0]
    assert leaks(case, "card [CARD] 1111") == [("CARD", "4111 1111 1111 1111")]
    assert leaks(case, "card [CARD]") == []
    assert significant_tokens("EMAIL", "john dot doe at gmail dot com") == ["john", "doe", "johndotdoe"]
