"""SQS redelivery of the same message: its terminal outcome is claimed once per delivery (the SQS message id), so a
second receive records nothing and counts no outcome (REDELIVERED); two posts of one event stay two outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from ticket_sentiment import metric_names as names
from ticket_sentiment.events import Outcome, QueuedEvent
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.handlers.score import process_batch
from ticket_sentiment.pipeline.records import OutcomeClaim, PutStatus
from ticket_sentiment.pipeline.rules import DEFAULT_RULES
from ticket_sentiment.pipeline.service import OUTCOME_RETENTION, ScoringService

from ..emf import emf_metrics
from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, queued, ref, sqs_event

ANGRY = "This is unacceptable, I am furious."


def make(store: FakeStore | None = None) -> tuple[ScoringService, FakeStore, FakePublisher]:
    store, publisher = store or FakeStore(), FakePublisher()
    return ScoringService(store, publisher, KeywordScorer(), DEFAULT_RULES, clock=lambda: T0), store, publisher


def test_an_agent_message_delivered_twice_is_skipped_once() -> None:
    service, store, _ = make()
    service.process(queued(text=ANGRY), delivery_id="sqs-c")
    reply = queued(
        author_role="agent",
        message_id="a-1",
        text="Looking into it",
        created_at=(T0 + timedelta(minutes=5)).isoformat(),
    )
    first = service.process(reply, delivery_id="sqs-a")
    again = service.process(reply, delivery_id="sqs-a")
    assert first.outcome == Outcome.SKIPPED
    assert first.first_response_seconds == 300
    assert again.outcome == Outcome.REDELIVERED
    assert again.first_response_seconds is None
    assert store.delivery_outcome("sqs-a") == Outcome.SKIPPED
    assert len(store.outcomes) == 2


def test_a_scored_message_delivered_twice_is_scored_once() -> None:
    service, store, publisher = make()
    event = queued(text=ANGRY)
    assert service.process(event, delivery_id="sqs-1").outcome == Outcome.SCORED
    again = service.process(event, delivery_id="sqs-1")
    assert again.outcome == Outcome.REDELIVERED
    assert again.alert is None
    assert again.score is None
    assert len(publisher.alerts) == 1
    claim = store.outcomes["sqs-1"]
    assert (claim.outcome, claim.event_id, claim.expires_at) == (Outcome.SCORED, event.event_id, T0 + OUTCOME_RETENTION)


def test_two_posts_of_one_event_are_scored_and_duplicate_whatever_the_redeliveries() -> None:
    service, store, _ = make()
    event = queued(text=ANGRY)
    results = [service.process(event, delivery_id=d).outcome for d in ("sqs-1", "sqs-2", "sqs-2", "sqs-1")]
    assert results == [Outcome.SCORED, Outcome.DUPLICATE, Outcome.REDELIVERED, Outcome.REDELIVERED]
    assert {d: c.outcome for d, c in store.outcomes.items()} == {"sqs-1": Outcome.SCORED, "sqs-2": Outcome.DUPLICATE}


class RacingStore(FakeStore):
    """A concurrent receive of the same delivery claims `outcome` (and does its work) just after this receive
    checked that the delivery had no outcome yet."""

    def __init__(self, delivery_id: str, outcome: Outcome, *, done: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.race = (delivery_id, outcome, done)

    def delivery_outcome(self, delivery_id: str) -> Outcome | None:
        held = super().delivery_outcome(delivery_id)
        if held is None and self.race[0] == delivery_id:
            _, outcome, done = self.race
            if done is not None:
                message, _ = self.messages[done]
                self.messages[done] = (message, True)
            assert self.claim_outcome(
                OutcomeClaim(delivery_id=delivery_id, event_id="e", outcome=outcome, expires_at=T0)
            )
        return held


def test_an_agent_message_whose_claim_is_lost_records_nothing_more() -> None:
    service, store, _ = make(RacingStore("sqs-a", Outcome.SKIPPED))
    service.process(queued(text=ANGRY))
    result = service.process(queued(author_role="agent", message_id="a-1", text="On it"), delivery_id="sqs-a")
    # The reply time is recorded once, idempotently, and its response metric goes with the call that set it.
    assert result.outcome == Outcome.REDELIVERED
    assert result.first_response_seconds == 0
    assert store.outcomes["sqs-a"].outcome == Outcome.SKIPPED
    assert len(store.outcomes) == 1


def test_a_duplicate_whose_claim_is_lost_records_nothing_more() -> None:
    service, store, _ = make(RacingStore("sqs-2", Outcome.DUPLICATE))
    event = queued(text=ANGRY)
    service.process(event, delivery_id="sqs-1")
    assert service.process(event, delivery_id="sqs-2").outcome == Outcome.REDELIVERED
    assert store.outcomes["sqs-2"].outcome == Outcome.DUPLICATE


def test_scoring_whose_delivery_was_settled_meanwhile_neither_claims_nor_marks_done() -> None:
    """The lease ran out on this receive and another receive of the same delivery scored the message: marking
    it done and claiming SCORED is one transaction, and it is cancelled."""
    service, store, _ = make(RacingStore("sqs-1", Outcome.SCORED))
    result = service.process(queued(text=ANGRY), delivery_id="sqs-1")
    assert result.outcome == Outcome.REDELIVERED
    assert store.message_status(ref("T-1"), "m-1") == PutStatus.PENDING  # the cancelled transaction wrote nothing
    assert len(store.outcomes) == 1


def test_a_claim_is_held_by_its_own_retry_and_never_redelivered() -> None:
    store = FakeStore()
    claim = OutcomeClaim(delivery_id="d", event_id="e", outcome=Outcome.SKIPPED, expires_at=T0)
    assert store.claim_outcome(claim)
    assert store.claim_outcome(claim)  # the SDK retrying the same write
    assert not store.claim_outcome(claim.model_copy(update={"token": "another caller"}))
    with pytest.raises(ValidationError):
        OutcomeClaim(delivery_id="d", event_id="e", outcome=Outcome.REDELIVERED, expires_at=T0)


def _emf(out: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for name, value in emf_metrics(out):
        totals[name] = totals.get(name, 0) + (sum(value) if isinstance(value, list) else value)
    return totals


def test_the_score_function_counts_a_redelivered_batch_apart(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()
    service, _, _ = make()
    events: list[QueuedEvent] = [
        queued(text=ANGRY),
        queued(text=ANGRY),  # two posts of one event
        queued(author_role="agent", message_id="a-1", text="On it"),
    ]
    batch = sqs_event([e.model_dump_json() for e in events])  # SQS message ids sqs-0, sqs-1, sqs-2
    assert process_batch(service, batch, None)["batchItemFailures"] == []
    assert process_batch(service, batch, None)["batchItemFailures"] == []  # the same messages, received again
    metrics.flush_metrics()
    emitted = _emf(capsys.readouterr().out)
    assert emitted[names.EVENTS_SCORED] == 1
    assert emitted[names.EVENTS_DUPLICATE] == 1
    assert emitted[names.EVENTS_SKIPPED] == 1
    assert emitted[names.EVENTS_REDELIVERED] == 3
