"""A follow-up event that leaves out ticket metadata (customer_tier, subject, priority, product area, link) must not
reset the ticket: an absent field keeps the known value, for the stored ticket and for the rules, while a field the
helpdesk does send (a downgrade to standard included) still wins. Through the real path: ingest's protection, the
queued JSON, the score handler."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ticket_sentiment.events import TicketEvent
from ticket_sentiment.handlers.score import process_batch
from ticket_sentiment.pipeline.protection import protect_event
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, ref, sqs_event

RULES = RuleConfig(
    rules=(EscalationRule(name="premium-negative", labels=frozenset({"negative"}), tiers=frozenset({"premium"})),)
)
FIRST = {
    "source": "zendesk",
    "ticket_id": "T-9",
    "message_id": "m-1",
    "author_role": "customer",
    "text": "Hello, how do I change the invoice address?",
    "created_at": T0.isoformat(),
    "subject": "Invoice",
    "priority": "high",
    "product_area": "billing",
    "customer_tier": "premium",
    "ticket_url": "https://example.zendesk.com/agent/tickets/9",
}


def _follow_up(minutes: int, **fields: Any) -> dict[str, Any]:
    return {
        "source": "zendesk",
        "ticket_id": "T-9",
        "message_id": f"m-{minutes}",
        "author_role": "customer",
        "text": "Still not fixed. This is unacceptable.",
        "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        **fields,
    }


def _through_the_queue(service: ScoringService, payload: dict[str, Any]) -> None:
    queued = protect_event(TicketEvent.model_validate(payload), received_at=T0)
    batch = sqs_event([queued.model_dump_json()])
    batch["Records"][0]["messageId"] = queued.event_id  # each SQS message its own delivery id
    response = process_batch(service, batch, None)
    assert response == {"batchItemFailures": []}


def test_a_follow_up_without_metadata_keeps_the_known_values_and_the_rules_see_them() -> None:
    store, publisher = FakeStore(), FakePublisher()
    service = ScoringService(store, publisher, KeywordScorer(), RULES, clock=lambda: T0)
    _through_the_queue(service, FIRST)
    _through_the_queue(service, _follow_up(5))
    ticket = store.get_ticket(ref("T-9"))
    assert ticket is not None
    assert ticket.message_count == 2
    assert ticket.current is not None
    assert ticket.current.message_id == "m-5"
    assert (ticket.customer_tier, ticket.subject, ticket.priority, ticket.product_area) == (
        "premium",
        "Invoice",
        "high",
        "billing",
    )
    assert ticket.ticket_url == FIRST["ticket_url"]
    [alert] = publisher.alerts  # the premium rule fired: the follow-up did not turn the customer into standard
    assert alert.rule == "premium-negative"
    assert alert.customer_tier == "premium"
    assert alert.subject == "Invoice"


def test_a_field_the_helpdesk_sends_still_wins() -> None:
    store, publisher = FakeStore(), FakePublisher()
    service = ScoringService(store, publisher, KeywordScorer(), RULES, clock=lambda: T0)
    _through_the_queue(service, FIRST)
    _through_the_queue(service, _follow_up(5, customer_tier="standard", subject="Invoice (downgraded)"))
    ticket = store.get_ticket(ref("T-9"))
    assert ticket is not None
    assert ticket.customer_tier == "standard"
    assert ticket.subject == "Invoice (downgraded)"
    assert publisher.alerts == []


def test_the_queued_event_keeps_which_fields_were_sent() -> None:
    queued = protect_event(TicketEvent.model_validate(_follow_up(5)), received_at=T0)
    body = queued.model_dump_json()
    assert '"customer_tier"' not in body
    assert '"subject"' not in body
    assert type(queued).model_validate_json(body).event.customer_tier == "standard"  # the default, for readers


def test_a_blank_subject_is_no_subject_and_keeps_the_known_one() -> None:
    """Helpdesks render a message without a subject of its own as "" (or spaces): it must not blank the ticket's."""
    store, publisher = FakeStore(), FakePublisher()
    service = ScoringService(store, publisher, KeywordScorer(), RULES, clock=lambda: T0)
    _through_the_queue(service, FIRST)
    _through_the_queue(service, _follow_up(5, subject=""))
    _through_the_queue(service, _follow_up(6, subject="   "))
    ticket = store.get_ticket(ref("T-9"))
    assert ticket is not None
    assert (ticket.message_count, ticket.subject) == (3, "Invoice")
    assert "subject" not in TicketEvent.model_validate(_follow_up(7, subject=" \t")).model_fields_set
