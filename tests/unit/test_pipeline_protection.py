"""pipeline.protection and textprep.cap_text: what ingest queues carries nothing personal, the scorer's second
pass counts only what it newly finds, and long texts are capped (and flagged), never silently cut."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from ticket_sentiment.events import IngestRedaction, Outcome, QueuedEvent, Source, TicketEvent
from ticket_sentiment.pipeline.protection import MAX_SUBJECT_CHARS, clean_for_scoring, protect_event
from ticket_sentiment.pipeline.rules import DEFAULT_RULES
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.redaction import redact
from ticket_sentiment.textprep import CUT_MARK, MODEL_TEXT_CHARS, MODEL_TEXT_TAIL_CHARS, cap_text
from ticket_sentiment_tools.backfill import to_event

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, event_payload, queued

CARD = "4111 1111 1111 1111"
PHONE = "+44 20 7946 0958"
IBAN = "DE89 3704 0044 0532 0130 00"
EMAIL = "anna.kowalski@example.com"
PII_TEXT = (
    f"Hi, my name is Anna Kowalski.\n\nI was charged twice on my card {CARD} and this is unacceptable.\n"
    f"Refund it to IBAN {IBAN}, or call me on {PHONE}, or write to {EMAIL}.\n\n"
    "Best regards,\nAnna Kowalski"
)
RAW_VALUES = (
    "Anna Kowalski",
    "Kowalski",
    CARD,
    CARD.replace(" ", ""),
    PHONE,
    "2079460958",
    IBAN,
    IBAN.replace(" ", ""),
    EMAIL,
)
# One NAME: the sign-off block ("Best regards,\nAnna Kowalski") is removed as a signature before redaction.
BODY_COUNTS = {"CARD": 1, "EMAIL": 1, "IBAN": 1, "NAME": 1, "PHONE": 1}


def assert_no_raw_value(blob: str) -> None:
    low = blob.lower()
    digits = "".join(c for c in blob if c.isdigit())
    for value in RAW_VALUES:
        assert value.lower() not in low, value
        if value.replace(" ", "").lstrip("+").isdigit():
            assert value.replace(" ", "").lstrip("+") not in digits, value


def test_a_protected_event_carries_redacted_text_and_counts_only() -> None:
    event = TicketEvent.model_validate(event_payload(text=PII_TEXT, subject=f"Charged twice - {EMAIL}"))
    protected = protect_event(event, T0)
    assert_no_raw_value(protected.model_dump_json())
    assert protected.event_id == event.event_id
    assert protected.received_at == T0
    assert protected.redaction == IngestRedaction(pii_entities={**BODY_COUNTS, "EMAIL": 2}, truncated=False)
    text = protected.event.text or ""
    assert "[CARD]" in text
    assert "[IBAN]" in text
    assert "unacceptable.\nRefund" in text  # lines kept
    assert "Best regards" not in text  # the signature block is gone
    assert protected.event.subject == "Charged twice - [EMAIL]"
    # What is queued is what the scorer accepts.
    assert QueuedEvent.model_validate_json(protected.model_dump_json()) == protected


def test_html_and_quoted_history_are_prepared_at_ingest() -> None:
    html = f"<div><p>Still broken, call {PHONE}.</p><blockquote>On Monday {EMAIL} wrote: all fixed!</blockquote></div>"
    protected = protect_event(TicketEvent.model_validate(event_payload(text=None, html=html)), T0)
    assert protected.event.html is None
    assert protected.event.text == "Still broken, call [PHONE]."
    plain = "Still no refund.\n\nOn Tue, 3 Mar 2026 at 10:02, Support <help@example.com> wrote:\n> Happy to help!"
    assert protect_event(TicketEvent.model_validate(event_payload(text=plain)), T0).event.text == "Still no refund."


def test_metadata_with_personal_data_is_dropped_and_the_rest_kept() -> None:
    payload = event_payload(
        tags=["refund", EMAIL, "vip_customer"],
        product_area=f"billing {EMAIL}",
        ticket_url=f"https://example.zendesk.com/agent/tickets/1?requester={EMAIL}",
    )
    protected = protect_event(TicketEvent.model_validate(payload), T0).event
    assert protected.tags == ["refund", "vip_customer"]
    assert protected.product_area is None
    assert protected.ticket_url is None
    clean = protect_event(TicketEvent.model_validate(event_payload()), T0).event
    assert clean.product_area == "billing"
    assert str(clean.ticket_url) == "https://example.zendesk.com/agent/tickets/1"
    assert (clean.priority, clean.customer_tier, clean.requester_locale) == ("high", "enterprise", "en-GB")


def test_a_subject_that_grows_when_redacted_still_fits() -> None:
    subject = ("Hi, I am Al Bo. " * 40)[:MAX_SUBJECT_CHARS]  # each short name becomes the longer [NAME]
    assert len(redact(subject).text) > MAX_SUBJECT_CHARS
    protected = protect_event(TicketEvent.model_validate(event_payload(subject=subject)), T0)
    assert len(protected.event.subject) <= MAX_SUBJECT_CHARS
    assert not protected.event.subject.endswith(("[", "[N", "[NA", "[NAM", "[NAME"))


def test_pii_is_counted_once_across_ingest_and_the_scorers_second_pass() -> None:
    protected = protect_event(TicketEvent.model_validate(event_payload(text=PII_TEXT)), T0)
    legacy = queued(text=PII_TEXT)  # an event an older ingest queued raw
    assert legacy.redaction is None
    scorer = KeywordScorer()
    service = ScoringService(FakeStore(), FakePublisher(), scorer, DEFAULT_RULES, clock=lambda: T0)
    result = service.process(protected)
    assert result.outcome == Outcome.SCORED
    assert result.pii_entities == BODY_COUNTS  # not doubled
    assert clean_for_scoring(legacy).entities == BODY_COUNTS  # the same, counted by the scorer alone
    assert clean_for_scoring(legacy).text == clean_for_scoring(protected).text == scorer.seen[0]


def test_the_second_pass_adds_only_what_it_newly_finds() -> None:
    # As if ingest had missed an e-mail address: the scorer redacts it and adds one, keeping ingest's counts.
    event = TicketEvent.model_validate(event_payload(text=f"Hi, I am [NAME], card [CARD].\nMail me at {EMAIL}"))
    sneaked = QueuedEvent(
        event_id=event.event_id,
        received_at=T0,
        event=event,
        redaction=IngestRedaction(pii_entities={"NAME": 1, "CARD": 1}),
    )
    cleaned = clean_for_scoring(sneaked)
    assert cleaned.entities == {"CARD": 1, "EMAIL": 1, "NAME": 1}
    assert cleaned.text == "Hi, I am [NAME], card [CARD]. Mail me at [EMAIL]"
    # A protected event is only redacted again, not prepared again: nothing is re-stripped.
    kept = QueuedEvent(
        event_id=event.event_id,
        received_at=T0,
        redaction=IngestRedaction(),
        event=TicketEvent.model_validate(event_payload(text="Thanks!\nOn it: fine.")),
    )
    assert clean_for_scoring(kept).text == "Thanks! On it: fine."


def test_cap_keeps_short_texts_whole() -> None:
    text = "word " * 100
    assert cap_text(text) == (text, False)
    exact = "x" * MODEL_TEXT_CHARS
    assert cap_text(exact) == (exact, False)


def test_a_long_text_keeps_its_head_and_tail_between_words() -> None:
    head, tail = "HEADSTART the problem is stated here. ", " and my ask is at the very END"
    text = head + " ".join(f"log{i} [EMAIL] line" for i in range(20_000)) + tail
    capped, cut = cap_text(text)
    assert cut
    assert len(capped) <= MODEL_TEXT_CHARS
    assert capped.startswith(head.strip())
    assert capped.endswith(tail.strip())
    assert CUT_MARK in capped
    before, after = capped.split(CUT_MARK)
    assert before.split()[-1] in text.split()
    assert after.split()[0] in text.split()  # whole words only
    assert len(after) <= MODEL_TEXT_TAIL_CHARS


def test_a_cut_without_whitespace_never_splits_a_placeholder() -> None:
    text = "[EMAIL]" * 10_000
    capped, cut = cap_text(text)
    assert cut
    assert len(capped) <= MODEL_TEXT_CHARS
    before, after = capped.split(CUT_MARK)
    assert before.replace("[EMAIL]", "") == ""
    assert after.replace("[EMAIL]", "") == ""


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab [EMAIL]\n")), max_size=400), st.integers(40, 200), st.integers(1, 30))
def test_cap_is_bounded_and_keeps_both_ends(text: str, limit: int, tail: int) -> None:
    capped, cut = cap_text(text, limit=limit, tail=tail)
    assert cut == (len(text) > limit)
    assert len(capped) <= limit
    if not cut:
        assert capped == text
    else:
        before, _, after = capped.partition(CUT_MARK)
        assert text.startswith(before)
        assert text.endswith(after)


def test_long_bodies_are_capped_at_ingest_and_flagged_through_scoring() -> None:
    body = "I was charged twice and this is unacceptable. " * 2_000 + f"Please call me on {PHONE}. Refund me!"
    protected = protect_event(TicketEvent.model_validate(event_payload(text=body)), T0)
    assert protected.redaction is not None
    assert protected.redaction.truncated
    text = protected.event.text or ""
    assert len(text) <= MODEL_TEXT_CHARS
    assert text.endswith("Please call me on [PHONE]. Refund me!")
    scorer = KeywordScorer()
    service = ScoringService(FakeStore(), FakePublisher(), scorer, DEFAULT_RULES, clock=lambda: T0)
    result = service.process(protected)
    assert result.truncated
    assert len(scorer.seen[0]) <= MODEL_TEXT_CHARS
    assert result.pii_entities == {"PHONE": 1}
    # An event queued raw by an older ingest is capped by the scorer the same way.
    legacy = service.process(queued(text=body, message_id="m-2"))
    assert legacy.truncated
    assert scorer.seen[1] == scorer.seen[0]
    short = service.process(queued(message_id="m-3"))
    assert not short.truncated


def test_backfilled_rows_are_protected_like_live_events() -> None:
    row = {
        "ticket_id": "B-1",
        "message_id": "m1",
        "author_role": "customer",
        "text": PII_TEXT,
        "created_at": T0.isoformat(),
        "subject": f"From {EMAIL}",
    }
    event = to_event(row, Source.ZENDESK, T0)
    assert_no_raw_value(event.model_dump_json())
    assert event.redaction is not None
    assert event.redaction.pii_entities == {**BODY_COUNTS, "EMAIL": 2}
