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
import os
from collections.abc import Callable
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment_tools.local_stack import LocalRuntime
from ticket_sentiment_tools.redaction.corpus import (
    STRUCTURED,
    Case,
    adversarial_cases,
    build_corpus,
    event_payload,
    measure,
)

from .corpus import Ticket
from .helpdesk_formats import FORMATS, Delivery, Helpdesks, _label
from .test_pii_pipeline import POSTED, Found, captured_logs, run_in_chunks

__all__ = ["captured_logs"]  # the fixture, shared with the hand-made corpus's test

pytest.importorskip("faker")

_NUMERIC = ("CARD", "PHONE", "IBAN", "NATIONAL_ID")


def to_ticket(case: Case) -> Ticket:
    values = [value for _, value in case.values]
    digit_forms = ["".join(c for c in value if c.isdigit()) for kind, value in case.values if kind in _NUMERIC]
    return Ticket(case.case_id, event_payload(case), values, [d for d in digit_forms if len(d) >= 8])


def check_against_measurement(cases: list[Case], found: Found) -> dict[str, Any]:
    missed: set[str] = set()
    for measured in measure(cases).measured:
        for kind, value in measured.leaked:
            missed.add(value)
            if kind in _NUMERIC:
                missed.add("".join(c for c in value if c.isdigit()))
    tickets = [to_ticket(case) for case in cases]
    hits = dict(found.hits)
    control = hits.pop(POSTED)
    unexpected = {sink: sorted(hit - missed)[:5] for sink, hit in hits.items() if hit - missed}
    assert not unexpected, f"raw personal data found that the pure-path measurement counts as protected: {unexpected}"
    # The search finds the raw values where they are written verbatim (adversarial ones are split or hidden).
    verbatim = [v for t in tickets for v in t.values if v.lower() in json.dumps(t.event, ensure_ascii=False).lower()]
    # (the search matches whole tokens, so a value written "anna_b" or glued to a tag may escape the control)
    assert len(verbatim) > len(tickets) // 2
    assert len(control) >= 0.9 * len(set(verbatim))
    return {"cases": len(cases), "missed by the measurement": len(missed), "control hits": len(control)}


def _formatted(
    pairs: list[tuple[str, Case]],
) -> tuple[list[Ticket], Callable[[LocalRuntime, Ticket], Delivery], Helpdesks]:
    """Each (format, case) as a ticket, the sender that posts it in its format (the canonical event or the
    helpdesk's signed webhook), and the helpdesk secrets it signs with."""
    helpdesks = Helpdesks()
    by_id: dict[str, tuple[str, Case]] = {}
    tickets = []
    for fmt, case in pairs:
        ticket = to_ticket(case)
        ticket.ticket_id = f"{fmt}:{case.case_id}"
        by_id[ticket.ticket_id] = (fmt, case)
        tickets.append(ticket)

    def send(runtime: LocalRuntime, ticket: Ticket) -> Delivery:
        fmt, case = by_id[ticket.ticket_id]
        return helpdesks.delivery(fmt, case, runtime)

    return tickets, send, helpdesks


def run_formats(
    endpoint: str,
    scorer: OnnxSentimentScorer,
    pairs: list[tuple[str, Case]],
    logs: tuple[io.StringIO, io.StringIO],
    prefix: str,
) -> dict[str, Any]:
    tickets, send, helpdesks = _formatted(pairs)
    found = run_in_chunks(endpoint, scorer, tickets, logs, prefix, send=send, helpdesks=helpdesks)
    cases = list({c.case_id: c for _, c in pairs}.values())
    figures = check_against_measurement(cases, found)
    return {**figures, **found.counts, "deliveries": len(tickets), "formats": sorted({f for f, _ in pairs})}


_KINDS = ("greeting", "prose", "ADDRESS", "negative", *STRUCTURED)


def representative_slice() -> list[tuple[str, Case]]:
    """Every format gets every kind of case (each entity type, greetings, names in prose, addresses, hard
    negatives), one sent as HTML, one with the value in its subject, and five of the review's adversarial cases
    (all thirty over the six formats); the formats take different cases of each kind (the j-th for the j-th
    format), so the slice covers six of each, in several locales. About a hundred deliveries."""
    faker = build_corpus()[:1500]
    by_kind = {kind: [c for c in faker if c.kind == kind and not c.html and not c.subject] for kind in _KINDS}
    html = [c for c in faker if c.html]
    subject = [c for c in faker if c.subject]
    adversarial = adversarial_cases()
    pairs: list[tuple[str, Case]] = []
    for j, fmt in enumerate(FORMATS):
        picked = [cases[j * 7 % len(cases)] for cases in by_kind.values()]
        picked += [html[j * 11], subject[j * 11], *adversarial[j :: len(FORMATS)]]
        pairs += [(fmt, case) for case in picked]
    return pairs


@pytest.mark.slow
def test_a_representative_slice_in_every_helpdesk_format_leaves_no_raw_value_in_any_sink(
    moto_endpoint: str, scorer: OnnxSentimentScorer, captured_logs: tuple[io.StringIO, io.StringIO]
) -> None:
    pairs = representative_slice()
    for fmt in FORMATS:  # every format gets every entity type, HTML and text, subject and body
        cases = [c for f, c in pairs if f == fmt]
        kinds = {kind for c in cases for kind, _ in c.values}
        assert {"NAME_GREETING", "NAME_PROSE", "ADDRESS", *STRUCTURED} <= kinds, fmt
        assert {c.html for c in cases} == {True, False} and any(c.subject for c in cases), fmt
    figures = run_formats(moto_endpoint, scorer, pairs, captured_logs, "faker")
    adversarial = adversarial_cases()
    assert all(not m.leaked for m in measure(adversarial).measured)  # so none of them may be found in any sink
    assert {c.case_id for _, c in pairs} >= {c.case_id for c in adversarial}
    assert figures["deliveries"] == len(pairs) and figures["formats"] == sorted(FORMATS)


@pytest.mark.reliability_long
def test_zendesk_tags_that_hold_a_name_with_titles_degrees_or_other_scripts_leave_no_raw_value_in_any_sink(
    moto_endpoint: str, scorer: OnnxSentimentScorer, captured_logs: tuple[io.StringIO, io.StringIO]
) -> None:
    """Every corpus case whose Zendesk tag is a full name with a dot or a letter outside ASCII (Sig.ra_Zaira_Barozzi,
    Angelina_Pechel_B.Eng., Гусева_Ульяна_Вениаминовна): the whole Zendesk run stored such tags raw."""
    cases = [
        c
        for c in build_corpus()
        if c.values[:1] and c.values[0][0].startswith("NAME") and _label(c) != "billing"
        if "." in _label(c) or not _label(c).isascii()
    ]
    assert len(cases) >= 100
    figures = run_formats(moto_endpoint, scorer, [("zendesk", c) for c in cases], captured_logs, "zdtags")
    assert figures["deliveries"] == len(cases)
    _write_figures("zendesk_tags", figures)


@pytest.mark.reliability_long
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_whole_faker_corpus_in_each_format_leaves_no_raw_value_in_any_sink(
    fmt: str, moto_endpoint: str, scorer: OnnxSentimentScorer, captured_logs: tuple[io.StringIO, io.StringIO]
) -> None:
    """All 1,530 cases in one format per test (run them side by side: `pytest -m reliability_long -k <format>`)."""
    figures = run_formats(moto_endpoint, scorer, [(fmt, c) for c in build_corpus()], captured_logs, f"all{fmt}")
    _write_figures(fmt, figures)


def _write_figures(name: str, figures: dict[str, Any]) -> None:
    out = os.environ.get("PROTECTION_FIGURES")
    if out:
        with open(f"{out}.{name}.json", "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2, default=str)
