"""The DynamoDB adapter's conditional writes, on moto's server."""

from __future__ import annotations

from datetime import timedelta

from ticket_sentiment.events import EscalationState, Outcome
from ticket_sentiment.models import Trend
from ticket_sentiment.pipeline.records import OutcomeClaim, PutStatus, StoredMessage, TicketView
from ticket_sentiment_tools.local_stack import LocalStack

from ..unit.pipeline_fakes import T0, ref


def message(message_id: str = "m-1", score: float = -0.8) -> StoredMessage:
    return StoredMessage(
        message_id=message_id,
        event_id="e",
        created_at=T0,
        label="negative",
        level="negative",
        score=score,
        intensity=0.7,
        confidence=0.9,
        low_signal=False,
        language="en",
        scorer="onnx",
        model_version="v1",
    )


def view(count: int, *, score: float = -0.8, priority: str = "high") -> TicketView:
    return TicketView.model_validate(
        {
            "ticket_id": "T-1",
            "source": "zendesk",
            "subject": "s",
            "current": message(score=score),
            "thread_score": score,
            "trend": Trend.UNKNOWN,
            "message_count": count,
            "product_area": "billing",
            "priority": priority,
            "customer_tier": "free",
            "first_seen": T0,
            "model_version": "v1",
        }
    )


def test_message_lease(stack: LocalStack) -> None:
    store = stack.store()
    put = store.put_message
    assert put(ref("T-1"), message(), "text", T0 + timedelta(days=1), now=T0, lease_seconds=60) == PutStatus.NEW
    assert (
        put(ref("T-1"), message(), None, None, now=T0 + timedelta(seconds=30), lease_seconds=60) == PutStatus.IN_FLIGHT
    )
    later = T0 + timedelta(seconds=61)
    assert put(ref("T-1"), message(), None, None, now=later, lease_seconds=60) == PutStatus.PENDING
    assert put(ref("T-1"), message(), None, None, now=later, lease_seconds=60) == PutStatus.IN_FLIGHT  # taken over
    store.mark_done(ref("T-1"), "m-1")
    assert put(ref("T-1"), message(), None, None, now=later, lease_seconds=0) == PutStatus.DONE
    assert [m.message_id for m in store.list_messages(ref("T-1"))] == ["m-1"]
    assert store.message_text(ref("T-1"), "m-1") == "text"


def test_ticket_aggregate_never_goes_back_and_metadata_follows_the_latest(stack: LocalStack) -> None:
    store = stack.store()
    assert store.save_ticket(view(2), refresh_meta=True)
    assert not store.save_ticket(view(1, score=0.5), refresh_meta=True)  # built from fewer messages
    assert store.save_ticket(view(3, priority="low"), refresh_meta=False)
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.message_count == 3
    assert ticket.priority == "high"
    assert ticket.escalation_state == EscalationState.NONE
    assert len(store.negative_tickets("billing", T0)) == 1
    store.save_ticket(
        view(4, score=0.5).model_copy(update={"current": message(score=0.5).model_copy(update={"label": "positive"})}),
        refresh_meta=True,
    )
    assert store.negative_tickets("billing", T0) == []  # no longer negative: out of the sparse index


def test_alert_cooldown_is_a_conditional_write(stack: LocalStack) -> None:
    store = stack.store()
    store.save_ticket(view(1), refresh_meta=True)
    claim = store.claim_alert
    assert claim(ref("T-1"), "m-1", rule="r", state=EscalationState.ALERTED, now=T0, cooldown_minutes=60)
    assert claim(ref("T-1"), "m-1", rule="r", state=EscalationState.ALERTED, now=T0, cooldown_minutes=60)  # own claim
    assert not claim(
        ref("T-1"), "m-2", rule="r", state=EscalationState.ALERTED, now=T0 + timedelta(minutes=59), cooldown_minutes=60
    )
    assert claim(
        ref("T-1"), "m-3", rule="r2", state=EscalationState.SHADOW, now=T0 + timedelta(minutes=61), cooldown_minutes=60
    )
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.escalation_state == EscalationState.SHADOW
    assert ticket.last_alert_rule == "r2"
    assert [e["ticket_id"] for e in store.recent_escalations(T0)] == ["T-1"]
    assert not claim(ref("T-404"), "m-1", rule="r", state=EscalationState.ALERTED, now=T0, cooldown_minutes=60)


def test_first_agent_reply_is_kept_even_when_it_arrives_before_any_customer_message(stack: LocalStack) -> None:
    store = stack.store()
    ticket = view(1).model_copy(update={"ticket_id": "T-agent"})
    store.record_agent_reply(ref("T-agent"), T0 + timedelta(hours=2))
    assert store.get_ticket(ref("T-agent")) is None  # no customer message scored yet
    store.record_agent_reply(ref("T-agent"), T0 + timedelta(hours=1))  # a late delivery of an earlier reply
    store.record_agent_reply(ref("T-agent"), T0 + timedelta(hours=3))  # a later reply changes nothing
    assert store.save_ticket(ticket, refresh_meta=True)
    saved = store.get_ticket(ref("T-agent"))
    assert saved is not None
    assert saved.message_count == 1
    assert saved.first_agent_reply_at == T0 + timedelta(hours=1)
    assert store.save_ticket(ticket.model_copy(update={"message_count": 2}), refresh_meta=True)
    resaved = store.get_ticket(ref("T-agent"))
    assert resaved is not None
    assert resaved.first_agent_reply_at == T0 + timedelta(hours=1)


def outcome(delivery_id: str, kind: Outcome = Outcome.SKIPPED) -> OutcomeClaim:
    return OutcomeClaim(delivery_id=delivery_id, event_id="e", outcome=kind, expires_at=T0 + timedelta(days=14))


def test_a_delivery_outcome_is_claimed_once(stack: LocalStack) -> None:
    store = stack.store()
    first = outcome("sqs-1")
    assert store.delivery_outcome("sqs-1") is None
    assert store.claim_outcome(first)
    assert store.claim_outcome(first)  # the SDK retrying our own write after a lost response: still ours
    assert not store.claim_outcome(outcome("sqs-1", Outcome.DUPLICATE))  # another receive of the same message
    assert store.delivery_outcome("sqs-1") == Outcome.SKIPPED
    item = (
        stack.resource("dynamodb")
        .Table(stack.res.table_name)
        .get_item(Key={"PK": "DELIVERY#sqs-1", "SK": "OUTCOME"})["Item"]
    )
    assert item["event_id"] == "e"
    assert item["expires_at"] == int((T0 + timedelta(days=14)).timestamp())


def test_mark_done_and_the_scored_claim_are_one_transaction(stack: LocalStack) -> None:
    store = stack.store()
    for message_id in ("m-1", "m-2"):
        assert store.put_message(ref("T-1"), message(message_id), None, None, now=T0, lease_seconds=60) == PutStatus.NEW
    scored = outcome("sqs-1", Outcome.SCORED)
    assert store.mark_done(ref("T-1"), "m-1", scored)
    assert store.message_status(ref("T-1"), "m-1") == PutStatus.DONE
    assert store.delivery_outcome("sqs-1") == Outcome.SCORED
    assert store.mark_done(ref("T-1"), "m-1", scored)  # our own transaction, retried: held by its token
    # Another receive of the delivery claimed it first: the transaction is cancelled, the message stays leased.
    assert store.claim_outcome(outcome("sqs-2", Outcome.DUPLICATE))
    assert not store.mark_done(ref("T-1"), "m-2", outcome("sqs-2", Outcome.SCORED))
    assert store.message_status(ref("T-1"), "m-2") == PutStatus.PENDING
    assert store.delivery_outcome("sqs-2") == Outcome.DUPLICATE
    assert store.mark_done(ref("T-1"), "m-2")  # without a claim: a plain update, as before
    assert store.message_status(ref("T-1"), "m-2") == PutStatus.DONE
