"""The TicketStore and ErasableStore contract, run against FakeStore and DynamoTicketStore on moto."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.keys import TTL_ATTRIBUTE, from_dynamo, message_key, text_key, ticket_key
from ticket_sentiment.events import EscalationState, Outcome
from ticket_sentiment.models import Trend
from ticket_sentiment.pipeline.records import (
    ErasureReceipt,
    OutcomeClaim,
    PutStatus,
    Retention,
    StoredMessage,
    TicketView,
)
from ticket_sentiment.ports import TicketAdminStore
from ticket_sentiment_tools.local_stack import LocalStack

from ..unit.pipeline_fakes import T0, FakeStore, ref

LEASE = 60


def message(message_id: str = "m-1", score: float = -0.8, **overrides: Any) -> StoredMessage:
    data: dict[str, Any] = {
        "message_id": message_id,
        "event_id": f"e-{message_id}",
        "created_at": T0,
        "label": "negative" if score < 0 else "positive",
        "score": score,
        "intensity": abs(score),
        "confidence": 0.9,
        "low_signal": False,
        "language": "en",
        "scorer": "onnx",
        "model_version": "v1",
    }
    return StoredMessage.model_validate(data | overrides)


def view(count: int = 1, *, ticket_id: str = "T-1", score: float = -0.8, **overrides: Any) -> TicketView:
    data: dict[str, Any] = {
        "ticket_id": ticket_id,
        "source": "zendesk",
        "subject": "Refund [NAME]",
        "current": message(score=score),
        "thread_score": score,
        "trend": Trend.UNKNOWN,
        "message_count": count,
        "product_area": "billing",
        "priority": "high",
        "customer_tier": "enterprise",
        "first_seen": T0,
        "model_version": "v1",
    }
    return TicketView.model_validate(data | overrides)


def claim(delivery_id: str = "sqs-1", outcome: Outcome = Outcome.SCORED) -> OutcomeClaim:
    return OutcomeClaim(delivery_id=delivery_id, event_id="e-1", outcome=outcome, expires_at=T0 + timedelta(days=14))


def put(store: TicketAdminStore, msg: StoredMessage, *, after: float = 0, text: str | None = None) -> PutStatus:
    return store.put_message(
        ref("T-1"), msg, text, T0 + timedelta(days=1), now=T0 + timedelta(seconds=after), lease_seconds=LEASE
    )


# --- put_message: the lease ---


def test_a_new_message_is_new_then_in_flight_while_leased(store: TicketAdminStore) -> None:
    assert store.message_status(ref("T-1"), "m-1") is None
    assert put(store, message()) == PutStatus.NEW
    assert store.message_status(ref("T-1"), "m-1") == PutStatus.PENDING
    assert put(store, message(), after=LEASE - 1) == PutStatus.IN_FLIGHT


def test_an_expired_lease_is_taken_over_once(store: TicketAdminStore) -> None:
    put(store, message())
    assert put(store, message(), after=LEASE + 1) == PutStatus.PENDING
    # The take-over renewed the lease: a second caller at the same instant finds it held.
    assert put(store, message(), after=LEASE + 1) == PutStatus.IN_FLIGHT
    assert put(store, message(), after=2 * LEASE + 2) == PutStatus.PENDING


def test_a_done_message_is_done_whatever_the_lease(store: TicketAdminStore) -> None:
    put(store, message())
    assert store.mark_done(ref("T-1"), "m-1")
    assert store.message_status(ref("T-1"), "m-1") == PutStatus.DONE
    assert put(store, message()) == PutStatus.DONE
    assert put(store, message(), after=10 * LEASE) == PutStatus.DONE


def test_stored_messages_round_trip_per_ticket(store: TicketAdminStore) -> None:
    first = message("m-1", emotions=[{"name": "anger", "probability": 0.81}], needs_fallback=True)
    second = message("m-2", score=0.25, created_at=T0 + timedelta(minutes=5))
    put(store, first)
    put(store, second)
    store.put_message(ref("T-2"), message("m-9"), None, None, now=T0, lease_seconds=LEASE)
    stored = {m.message_id: m for m in store.list_messages(ref("T-1"))}
    assert stored == {"m-1": first, "m-2": second}
    assert store.list_messages(ref("T-404")) == []


def test_a_replayed_put_changes_nothing_stored(store: TicketAdminStore) -> None:
    put(store, message(score=-0.8))
    put(store, message(score=0.9), after=LEASE + 1)  # same id, different scores: the first write stands
    assert [m.score for m in store.list_messages(ref("T-1"))] == [-0.8]


# --- mark_done and the delivery's outcome claim ---


def test_an_outcome_is_claimed_once_per_delivery(store: TicketAdminStore) -> None:
    assert store.delivery_outcome("sqs-1") is None
    mine = claim(outcome=Outcome.DUPLICATE)
    assert store.claim_outcome(mine)
    assert store.claim_outcome(mine)  # this very claim again (an SDK retry): still ours
    assert not store.claim_outcome(claim(outcome=Outcome.SCORED))  # another caller, another token
    assert store.delivery_outcome("sqs-1") == Outcome.DUPLICATE
    assert store.claim_outcome(claim("sqs-2", Outcome.SKIPPED))
    assert store.delivery_outcome("sqs-2") == Outcome.SKIPPED


def test_mark_done_with_a_claim_marks_done_and_claims(store: TicketAdminStore) -> None:
    put(store, message())
    assert store.mark_done(ref("T-1"), "m-1", claim())
    assert store.message_status(ref("T-1"), "m-1") == PutStatus.DONE
    assert store.delivery_outcome("sqs-1") == Outcome.SCORED


def test_mark_done_writes_nothing_when_another_caller_holds_the_claim(store: TicketAdminStore) -> None:
    put(store, message())
    assert store.claim_outcome(claim(outcome=Outcome.DUPLICATE))
    assert not store.mark_done(ref("T-1"), "m-1", claim(outcome=Outcome.SCORED))
    assert store.message_status(ref("T-1"), "m-1") == PutStatus.PENDING
    assert store.delivery_outcome("sqs-1") == Outcome.DUPLICATE


def test_mark_done_retried_with_its_own_claim_is_still_true(store: TicketAdminStore) -> None:
    put(store, message())
    mine = claim()
    assert store.mark_done(ref("T-1"), "m-1", mine)
    assert store.mark_done(ref("T-1"), "m-1", mine)  # the SDK retrying a write whose response was lost
    assert store.message_status(ref("T-1"), "m-1") == PutStatus.DONE
    assert store.delivery_outcome("sqs-1") == Outcome.SCORED


def test_mark_done_writes_nothing_once_its_claim_is_stored(store: TicketAdminStore) -> None:
    """Pins the adapter: the transaction's claim put fails on any stored claim, so `done` is not written, and the
    answer is True because the claim is this caller's. The service never does this (each call makes a fresh
    claim, and a retried transaction had already written both)."""
    put(store, message())
    mine = claim()
    assert store.claim_outcome(mine)
    assert store.mark_done(ref("T-1"), "m-1", mine)
    assert store.message_status(ref("T-1"), "m-1") == PutStatus.PENDING


# --- the ticket aggregate ---


def test_a_ticket_view_round_trips_with_its_absent_fields(store: TicketAdminStore) -> None:
    assert store.get_ticket(ref("T-1")) is None
    sparse = view(ticket_url=None, product_area=None, trend_delta=None, thread_score=None, current=None)
    assert store.save_ticket(sparse, refresh_meta=True)
    assert store.get_ticket(ref("T-1")) == sparse
    full = view(2, ticket_url="https://example.zendesk.com/agent/tickets/1", trend=Trend.WORSENING, trend_delta=-0.4)
    assert store.save_ticket(full, refresh_meta=True)
    assert store.get_ticket(ref("T-1")) == full


def test_a_view_from_fewer_messages_never_replaces_the_stored_one(store: TicketAdminStore) -> None:
    assert store.save_ticket(view(3), refresh_meta=True)
    assert not store.save_ticket(view(2, score=0.5), refresh_meta=True)
    assert store.save_ticket(view(3, score=-0.2), refresh_meta=True)  # as many messages: written
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.thread_score == -0.2


def test_metadata_changes_only_with_refresh_meta(store: TicketAdminStore) -> None:
    store.save_ticket(view(1, product_area=None), refresh_meta=True)
    store.save_ticket(view(2, priority="low", subject="other", product_area="shipping"), refresh_meta=False)
    kept = store.get_ticket(ref("T-1"))
    assert kept is not None
    assert (kept.message_count, kept.priority, kept.subject, kept.product_area) == (2, "high", "Refund [NAME]", None)
    store.save_ticket(view(3, priority="low", subject="other"), refresh_meta=True)
    refreshed = store.get_ticket(ref("T-1"))
    assert refreshed is not None
    assert (refreshed.priority, refreshed.subject) == ("low", "other")


def test_save_ticket_never_touches_the_escalation(store: TicketAdminStore) -> None:
    store.save_ticket(view(1), refresh_meta=True)
    assert store.claim_alert(
        ref("T-1"), "m-1", rule="angry", state=EscalationState.ALERTED, now=T0, cooldown_minutes=60
    )
    store.save_ticket(view(2, escalation_state=EscalationState.NONE, last_alert_rule=None), refresh_meta=True)
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.escalation_state == EscalationState.ALERTED
    assert ticket.last_alert_rule == "angry"
    assert ticket.last_alert_at == T0


# --- the alert claim ---


def test_an_alert_is_claimed_once_per_cooldown(store: TicketAdminStore) -> None:
    store.save_ticket(view(), refresh_meta=True)

    def alert(message_id: str, minutes: int, state: EscalationState = EscalationState.ALERTED) -> bool:
        return store.claim_alert(
            ref("T-1"), message_id, rule="angry", state=state, now=T0 + timedelta(minutes=minutes), cooldown_minutes=60
        )

    assert alert("m-1", 0)
    assert alert("m-1", 1)  # the same message again (a replay): it holds the claim
    assert not alert("m-2", 30)
    assert not alert("m-2", 59, EscalationState.SHADOW)
    # The replay at minute 1 restamped the claim: its cooldown runs from there (not yet over at exactly 61).
    assert not alert("m-2", 61, EscalationState.SHADOW)
    assert alert("m-2", 62, EscalationState.SHADOW)
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.escalation_state == EscalationState.SHADOW
    assert ticket.last_alert_at == T0 + timedelta(minutes=62)


def test_no_alert_is_claimed_on_a_ticket_that_was_never_saved(store: TicketAdminStore) -> None:
    assert not store.claim_alert(
        ref("T-404"), "m-1", rule="angry", state=EscalationState.ALERTED, now=T0, cooldown_minutes=60
    )


def test_alert_times_compare_across_time_zones(store: TicketAdminStore) -> None:
    store.save_ticket(view(), refresh_meta=True)
    plus_two = T0.astimezone(timezone(timedelta(hours=2)))  # the same instant, written as 11:00+02:00
    assert store.claim_alert(
        ref("T-1"), "m-1", rule="angry", state=EscalationState.ALERTED, now=plus_two, cooldown_minutes=60
    )
    assert not store.claim_alert(
        ref("T-1"),
        "m-2",
        rule="angry",
        state=EscalationState.ALERTED,
        now=T0 + timedelta(minutes=30),
        cooldown_minutes=60,
    )


def test_an_alert_claim_lands_on_a_ticket_holding_only_an_agent_reply(store: TicketAdminStore) -> None:
    store.record_agent_reply(ref("T-1"), T0)
    assert store.claim_alert(
        ref("T-1"), "m-1", rule="angry", state=EscalationState.ALERTED, now=T0, cooldown_minutes=60
    )
    assert store.get_ticket(ref("T-1")) is None  # still no scored message
    store.save_ticket(view(), refresh_meta=True)
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.escalation_state == EscalationState.ALERTED
    assert ticket.first_agent_reply_at == T0


# --- the first agent reply ---


def test_the_earliest_agent_reply_is_kept(store: TicketAdminStore) -> None:
    assert store.record_agent_reply(ref("T-1"), T0 + timedelta(hours=2))
    assert store.get_ticket(ref("T-1")) is None  # a reply alone is no scored ticket
    assert not store.record_agent_reply(ref("T-1"), T0 + timedelta(hours=3))
    assert store.record_agent_reply(ref("T-1"), T0 + timedelta(hours=1))
    store.save_ticket(view(), refresh_meta=True)
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.first_agent_reply_at == T0 + timedelta(hours=1)


# --- erasure ---


def test_erasure_removes_every_item_of_the_ticket_and_only_those(store: TicketAdminStore) -> None:
    put(store, message("m-1"), text="[NAME] wants a refund")
    put(store, message("m-2"))
    store.put_message(ref("T-2"), message("m-9"), "kept", None, now=T0, lease_seconds=LEASE)
    store.save_ticket(view(2), refresh_meta=True)
    store.save_ticket(view(1, ticket_id="T-2"), refresh_meta=True)
    counts = store.erase_ticket(ref("T-1"))
    assert (counts.ticket, counts.message, counts.text) == (1, 2, 1)
    assert store.get_ticket(ref("T-1")) is None
    assert store.list_messages(ref("T-1")) == []
    assert store.message_status(ref("T-1"), "m-1") is None
    assert put(store, message("m-1")) == PutStatus.NEW  # nothing left to say it was ever seen
    assert store.get_ticket(ref("T-2")) is not None
    assert [m.message_id for m in store.list_messages(ref("T-2"))] == ["m-9"]


def test_erasure_is_idempotent(store: TicketAdminStore) -> None:
    put(store, message())
    store.save_ticket(view(), refresh_meta=True)
    assert store.erase_ticket(ref("T-1")).total == 2  # the message and the ticket (no text was stored)
    assert store.erase_ticket(ref("T-1")).total == 0
    assert store.erase_ticket(ref("T-404")).total == 0


def test_a_ticket_holding_only_an_agent_reply_is_erased(store: TicketAdminStore) -> None:
    store.record_agent_reply(ref("T-1"), T0)
    assert store.erase_ticket(ref("T-1")).ticket == 1
    assert store.record_agent_reply(ref("T-1"), T0 + timedelta(hours=1))  # nothing of the old reply is left


def test_a_dropped_message_takes_its_text_and_the_restated_ticket_counts_one_less(store: TicketAdminStore) -> None:
    put(store, message("m-1", score=0.5), text="fine")
    put(store, message("m-2", score=-0.9, created_at=T0 + timedelta(minutes=5)), text="[NAME] is furious")
    store.save_ticket(view(2), refresh_meta=True)
    counts = store.drop_message(ref("T-1"), "m-2")
    assert (counts.message, counts.text) == (1, 1)
    assert [m.message_id for m in store.list_messages(ref("T-1"))] == ["m-1"]
    assert store.drop_message(ref("T-1"), "m-2").total == 0
    held = store.get_ticket(ref("T-1"))
    assert held is not None
    assert store.restate_ticket(held.model_copy(update={"message_count": 1, "current": message("m-1", score=0.5)}))
    restated = store.get_ticket(ref("T-1"))
    assert restated is not None and restated.message_count == 1 and restated.subject == held.subject
    assert not store.restate_ticket(view(1, ticket_id="T-404")), "no ticket is created by a restatement"
    assert store.get_ticket(ref("T-404")) is None


def test_tickets_are_found_by_requester_hash_until_erased(store: TicketAdminStore) -> None:
    mine, theirs = "a" * 64, "b" * 64
    for ticket_id, requester in (("T-1", mine), ("T-2", mine), ("T-3", theirs)):
        store.save_ticket(view(1, ticket_id=ticket_id), refresh_meta=True, requester_hash=requester)
    store.save_ticket(view(2, ticket_id="T-2"), refresh_meta=True)  # a later event naming no requester keeps it
    assert store.tickets_of_requester(mine) == [ref("T-1"), ref("T-2")]
    store.erase_ticket(ref("T-2"))
    assert store.tickets_of_requester(mine) == [ref("T-1")]
    assert store.tickets_of_requester("c" * 64) == []


# --- what only the real table shows: retention on every item written ---


@pytest.mark.parametrize("impl", ["moto"], indirect=True)
def test_every_item_written_carries_its_ttl(store: TicketAdminStore, stack: LocalStack | None) -> None:
    assert stack is not None
    table = stack.resource("dynamodb").Table(stack.res.table_name)
    retention = Retention()
    text_expiry = T0 + timedelta(days=3)
    store.put_message(ref("T-1"), message(), "[NAME]", text_expiry, now=T0, lease_seconds=LEASE)
    store.save_ticket(view(), refresh_meta=True)
    store.record_agent_reply(ref("T-2"), T0)

    def ttl(key: dict[str, str]) -> int:
        return int(table.get_item(Key=key, ConsistentRead=True)["Item"][TTL_ATTRIBUTE])

    assert ttl(message_key(ref("T-1"), "m-1")) == retention.expires_at("message", T0)
    assert ttl(text_key(ref("T-1"), "m-1")) == int(text_expiry.timestamp())
    assert ttl(ticket_key(ref("T-1"))) > int(T0.timestamp())
    assert ttl(ticket_key(ref("T-2"))) > int(T0.timestamp())


def stored_receipts(store: TicketAdminStore, stack: LocalStack | None) -> list[dict[str, Any]]:
    """The receipts as kept: the fake's list, or the erasure items of the table (not readable through the port)."""
    if isinstance(store, FakeStore):
        return [{"ticket_hash": r.ticket_hash, **r.counts.model_dump()} for r in store.receipts]
    assert stack is not None
    items = stack.resource("dynamodb").Table(stack.res.table_name).scan()["Items"]
    return [from_dynamo(i) for i in items if i.get("type") == "erasure"]


def test_an_erasure_receipt_is_kept_without_the_ticket_id(store: TicketAdminStore, stack: LocalStack | None) -> None:
    put(store, message())
    store.save_ticket(view(), refresh_meta=True)
    counts = store.erase_ticket(ref("T-1"))
    store.record_erasure(ErasureReceipt(ticket_hash="h" * 64, erased_at=T0, counts=counts, erased=True))
    (receipt,) = stored_receipts(store, stack)
    assert (receipt["ticket"], receipt["message"]) == (1, 1)
    assert "T-1" not in json.dumps(receipt, default=str)
    if stack is not None:  # the real table keeps it for its own retention
        assert receipt[TTL_ATTRIBUTE] == Retention().expires_at("erasure_receipt", T0)


def test_a_dropped_message_takes_its_shadow_score_in_the_table(moto_stack: LocalStack) -> None:
    """The adapter alone (the fake keeps no shadow store): a shadow model's score sits in the ticket's partition
    beside the live one."""
    stack = moto_stack
    from ticket_sentiment.pipeline.shadow_records import ModelScore, ShadowRecord

    store = stack.store()
    put(store, message("m-1"), text="[NAME] is furious")
    score = ModelScore(
        label="negative",
        level="negative",
        score=-0.5,
        intensity=0.5,
        confidence=0.9,
        low_signal=False,
        scorer="onnx",
        model_version="v1",
    )
    record = ShadowRecord(ticket_id=ref("T-1").key, message_id="m-1", created_at=T0, live=score, shadow=score)
    stack.shadow_store().put_shadow(record, now=T0)
    counts = store.drop_message(ref("T-1"), "m-1")
    assert (counts.message, counts.text, counts.other) == (1, 1, 1)
    assert list(stack.shadow_store().shadow_between(T0 - timedelta(days=1), T0 + timedelta(days=1))) == []
