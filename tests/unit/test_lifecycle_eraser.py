"""The erasure use cases over the fake store and a fake parked queue: a ticket, a redacted message, a requester."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ticket_sentiment.adapters.aws.sqs import names_ticket
from ticket_sentiment.events import Source
from ticket_sentiment.identity import TicketRef
from ticket_sentiment.models import Trend
from ticket_sentiment.pipeline.lifecycle import Eraser, RequesterKeyMissingError, requester_hash
from ticket_sentiment.pipeline.records import StoredMessage, TicketView

from .pipeline_fakes import T0, FakeStore, ref

KEY = b"k" * 64


class FakeParked:
    def __init__(self, bodies: list[tuple[str, str, str]]) -> None:
        self.rows = list(bodies)  # (ticket key, message_id, event_id)

    def purge_ticket(self, ticket: TicketRef, only: frozenset[str] | None = None) -> int:
        gone = [r for r in self.rows if r[0] == ticket.key and (only is None or {r[1], r[2]} & only)]
        self.rows = [r for r in self.rows if r not in gone]
        return len(gone)


def _message(message_id: str, score: float, minutes: int) -> StoredMessage:
    return StoredMessage(
        message_id=message_id,
        event_id=f"ev-{message_id}",
        created_at=T0 + timedelta(minutes=minutes),
        label="negative" if score < 0 else "positive",
        level="negative" if score < 0 else "positive",
        score=score,
        intensity=abs(score),
        confidence=0.9,
        low_signal=False,
        model_version="fake-1",
        language="en",
        scorer="fake",
    )


def _store_ticket(store: FakeStore, ticket_id: str, requester: str | None = None) -> None:
    messages = [_message("m1", 0.6, 0), _message("m2", -0.9, 5)]
    for m in messages:
        store.put_message(ref(ticket_id), m, f"text of {m.message_id}", None, now=T0, lease_seconds=60)
    view = TicketView(
        ticket_id=ticket_id,
        source=Source.ZENDESK,
        subject="Refund",
        current=messages[1],
        thread_score=-0.2,
        trend=Trend.WORSENING,
        message_count=2,
        product_area=None,
        priority="normal",
        customer_tier="standard",
        first_seen=T0,
        model_version="fake-1",
    )
    store.save_ticket(view, refresh_meta=True, requester_hash=requester)


def test_a_dropped_message_restates_the_ticket_from_the_rest() -> None:
    store, parked = (
        FakeStore(),
        FakeParked([("zendesk:T-1", "m1", "ev-m1"), ("zendesk:T-1", "m2", "ev-m2"), ("zendesk:T-2", "m2", "x")]),
    )
    _store_ticket(store, "T-1")
    receipt = Eraser(store, parked=[parked]).message(ref("T-1"), "m2")
    assert (receipt.counts.message, receipt.counts.text, receipt.counts.queued) == (1, 1, 1)
    view = store.get_ticket(ref("T-1"))
    assert view is not None and view.current is not None
    assert (view.message_count, view.current.message_id, view.thread_score) == (1, "m1", 0.6)
    assert parked.rows == [("zendesk:T-1", "m1", "ev-m1"), ("zendesk:T-2", "m2", "x")]
    assert Eraser(store, parked=[parked]).message(ref("T-1"), "m2").erased is False
    assert len(store.receipts) == 1


def test_dropping_the_last_message_erases_the_whole_ticket() -> None:
    store = FakeStore()
    _store_ticket(store, "T-1")
    eraser = Eraser(store)
    eraser.message(ref("T-1"), "m1")
    receipt = eraser.message(ref("T-1"), "m2")
    assert receipt.counts.ticket == 1
    assert store.get_ticket(ref("T-1")) is None


def test_a_requester_is_erased_by_keyed_hash_across_their_tickets_only() -> None:
    store = FakeStore()
    mine = requester_hash(KEY, "zendesk", "90210")
    _store_ticket(store, "T-1", mine)
    _store_ticket(store, "T-2", mine)
    _store_ticket(store, "T-3", requester_hash(KEY, "zendesk", "11111"))
    receipts = Eraser(store, requester_key=lambda: KEY).requester("zendesk", "90210")
    assert [r.erased for r in receipts] == [True, True]
    assert store.get_ticket(ref("T-1")) is None and store.get_ticket(ref("T-2")) is None
    assert store.get_ticket(ref("T-3")) is not None
    assert Eraser(store, requester_key=lambda: KEY).requester("zendesk", "90210") == []


def test_the_requester_hash_is_keyed_and_per_helpdesk() -> None:
    assert requester_hash(KEY, "zendesk", "1") != requester_hash(b"x" * 64, "zendesk", "1")
    assert requester_hash(KEY, "zendesk", "1") != requester_hash(KEY, "intercom", "1")
    assert "1" not in requester_hash(KEY, "zendesk", "1")[:0] and len(requester_hash(KEY, "zendesk", "1")) == 64


def test_erasure_by_requester_without_a_key_is_refused() -> None:
    with pytest.raises(RequesterKeyMissingError):
        Eraser(FakeStore()).requester("zendesk", "1")


def test_a_parked_body_names_a_ticket_directly_or_inside_an_sns_envelope() -> None:
    row = '{"ticket_id": "zendesk:T-1", "message_id": "m2", "text": "[NAME] is furious"}'  # audit rows: the key
    assert names_ticket(row, ref("T-1")) and names_ticket(row, ref("T-1"), frozenset({"m2"}))
    assert not names_ticket(row, ref("T-1"), frozenset({"m1"})) and not names_ticket(row, ref("T-10"))
    assert not names_ticket(row, ref("T-1", source="freshdesk"))  # the same id in another helpdesk
    # Alerts name the ticket by its parts.
    alert = '{\\"ticket_id\\": \\"T-1\\", \\"source\\": \\"zendesk\\", \\"event_id\\": \\"ev-2\\"}'
    envelope = '{"Records": [{"Sns": {"Message": "' + alert + '"}}]}'
    assert names_ticket(envelope, ref("T-1"), frozenset({"ev-2"}))
    assert not names_ticket(envelope, ref("T-1", brand="acme"), frozenset({"ev-2"}))
    assert not names_ticket("not json", ref("T-1"))


def test_the_restatement_equals_the_scorers_aggregate() -> None:
    """The ingest function restates without numpy: the scorer's current message and trend, and its scores to the
    stored 4 decimals (numpy's summation order can round a tie the other way)."""
    import random

    from ticket_sentiment.pipeline import lifecycle
    from ticket_sentiment.pipeline.service import aggregate

    rng = random.Random(19)
    for _ in range(3000):
        thread = [
            _message(f"m{i}", round(rng.uniform(-1, 1), 4), rng.randint(0, 50)).model_copy(
                update={"low_signal": rng.random() < 0.25}
            )
            for i in range(rng.choice([rng.randint(0, 12), rng.randint(0, 300)]))
        ]
        ours, scorers = lifecycle.aggregate(thread), aggregate(thread)
        assert (ours[0], ours[2]) == (scorers[0], scorers[2]), thread  # the current message and the trend
        for mine, theirs in ((ours[1], scorers[1]), (ours[3], scorers[3])):  # thread score, trend delta
            assert (mine is None) == (theirs is None)
            assert mine is None or theirs is None or abs(mine - theirs) <= 0.0001 + 1e-12
