"""The Faker PII corpus (ticket_sentiment_tools.redaction.corpus) posted through the whole local pipeline, and every
sink searched: table, queues, topic, Slack, logs, Comprehend requests and API answers.

The corpus's recall table (`python -m ticket_sentiment_tools.redaction.corpus`) measures the same path without the
AWS plumbing: protect_event at ingest, clean_for_scoring in the scorer. Here the plumbing is real, and the test
holds two things: every value that measurement counts as protected is found in no sink (the plumbing adds no
leak of its own: logs, metrics, alerts, answers), and the search does find the raw values where they are (the
posted events). The adversarial cases of the hostile review are all protected, so none of them may be found.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment_tools.redaction.corpus import Case, adversarial_cases, build_corpus, event_payload, measure

from .corpus import Ticket
from .test_pii_pipeline import POSTED, captured_logs, run_corpus, search

__all__ = ["captured_logs"]  # the fixture, shared with the hand-made corpus's test

pytest.importorskip("faker")

_NUMERIC = ("CARD", "PHONE", "IBAN", "NATIONAL_ID")


def to_ticket(case: Case) -> Ticket:
    values = [value for _, value in case.values]
    digit_forms = ["".join(c for c in value if c.isdigit()) for kind, value in case.values if kind in _NUMERIC]
    return Ticket(case.case_id, event_payload(case), values, [d for d in digit_forms if len(d) >= 8])


def check_against_measurement(cases: list[Case], haystacks: dict[str, str]) -> dict[str, Any]:
    missed: set[str] = set()
    for measured in measure(cases).measured:
        for kind, value in measured.leaked:
            missed.add(value)
            if kind in _NUMERIC:
                missed.add("".join(c for c in value if c.isdigit()))
    tickets = [to_ticket(case) for case in cases]
    hits = search(tickets, haystacks)
    control = hits.pop(POSTED)
    unexpected = {sink: sorted(set(found) - missed)[:5] for sink, found in hits.items() if set(found) - missed}
    assert not unexpected, f"raw personal data found that the pure-path measurement counts as protected: {unexpected}"
    # The search finds the raw values where they are written verbatim (adversarial ones are split or hidden).
    verbatim = [v for t in tickets for v in t.values if v.lower() in json.dumps(t.event, ensure_ascii=False).lower()]
    # (the search matches whole tokens, so a value written "anna_b" or glued to a tag may escape the control)
    assert len(verbatim) > len(tickets) // 2
    assert len(set(control)) >= 0.9 * len(set(verbatim))
    return {"cases": len(cases), "missed by the measurement": len(missed), "control hits": len(control)}


def _sample() -> list[Case]:
    return adversarial_cases() + build_corpus()[:1500:60]  # every locale, every kind of case


@pytest.mark.slow
def test_the_faker_corpus_sample_leaves_no_raw_value_in_any_sink(
    protection_moto: str, scorer: OnnxSentimentScorer, captured_logs: tuple[io.StringIO, io.StringIO]
) -> None:
    cases = _sample()
    captured = run_corpus(protection_moto, scorer, [to_ticket(c) for c in cases], captured_logs, "faker")
    figures = check_against_measurement(cases, captured.haystacks)
    adversarial = {c.case_id for c in adversarial_cases()}
    assert all(not m.leaked for m in measure([c for c in cases if c.case_id in adversarial]).measured)
    assert figures["cases"] == len(cases)


@pytest.mark.reliability_long
def test_the_whole_faker_corpus_leaves_no_raw_value_in_any_sink(
    protection_moto: str, scorer: OnnxSentimentScorer, captured_logs: tuple[io.StringIO, io.StringIO]
) -> None:
    cases = build_corpus()
    captured = run_corpus(protection_moto, scorer, [to_ticket(c) for c in cases], captured_logs, "fakerall")
    check_against_measurement(cases, captured.haystacks)
