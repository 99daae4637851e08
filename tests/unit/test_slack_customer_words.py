"""Slack shows the customer's own words, redacted: the excerpt (and the stored text it comes from) is never the
model's normalised text ("enraged face enraged face enraged face" for 😡😡😡)."""

from __future__ import annotations

from ticket_sentiment.events import QueuedEvent, TicketEvent
from ticket_sentiment.pipeline.protection import protect_event
from ticket_sentiment.pipeline.rules import DEFAULT_RULES
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.review.slack_message import build_message

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, event_payload

WORDS = "😡😡😡 This is unacceptable!!!!! Call me on +44 20 7946 0958, see https://example.com/account?id=5"


def _scored(queued: QueuedEvent) -> tuple[FakeStore, FakePublisher, KeywordScorer]:
    store, publisher, scorer = FakeStore(), FakePublisher(), KeywordScorer()
    ScoringService(store, publisher, scorer, DEFAULT_RULES, clock=lambda: T0).process(queued)
    return store, publisher, scorer


def test_the_alert_excerpt_and_stored_text_are_the_customers_words_redacted() -> None:
    event = TicketEvent.model_validate(event_payload(text=WORDS, customer_tier="enterprise", priority="urgent"))
    store, publisher, scorer = _scored(protect_event(event, T0))
    assert publisher.alerts, "the angry enterprise message should alert"
    excerpt = publisher.alerts[0].excerpt
    assert excerpt.startswith("😡😡😡 This is unacceptable!!!!!")
    assert "enraged face" not in excerpt
    assert "[PHONE]" in excerpt and "7946" not in excerpt  # redacted all the same
    assert "example.com" not in excerpt
    assert list(store.texts.values()) == [excerpt]
    assert "enraged face" in scorer.seen[0]  # the model still gets its normalised text
    slack = str(build_message(publisher.alerts[0]))
    assert "😡😡😡" in slack and "enraged face" not in slack


def test_an_event_queued_without_display_text_still_scores_and_shows_the_redacted_text() -> None:
    """An older ingest's message (no display_text) shows what it has: the redacted model text."""
    event = TicketEvent.model_validate(event_payload(text=WORDS, customer_tier="enterprise", priority="urgent"))
    older = protect_event(event, T0).model_copy(update={"display_text": None})
    _, publisher, _ = _scored(older)
    assert publisher.alerts
    assert "7946" not in publisher.alerts[0].excerpt
