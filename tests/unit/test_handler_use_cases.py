"""The use cases the ingest, review and read handlers call, on their own (pure Python, fakes only): a delivery's
requester hashing, the producer's claim check, the Slack click's verification, the reviewed alert message and the
ticket's capped history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from ticket_sentiment.events import TicketEvent
from ticket_sentiment.helpdesks import Forbidden
from ticket_sentiment.helpdesks.generic import authorize_producer
from ticket_sentiment.identity import Origin
from ticket_sentiment.pipeline.lifecycle import Eraser, requester_hash
from ticket_sentiment.pipeline.protection import protect_delivery
from ticket_sentiment.pipeline.rules import RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.pipeline.ticket_query import ticket_with_history
from ticket_sentiment.review.errors import NotConfigured, SignatureError
from ticket_sentiment.review.models import Review
from ticket_sentiment.review.usecases import updated_alert, verified_click

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, event_payload, queued, ref
from .review_support import RESPONSE_URL, SIGNING_SECRET, form_body, interaction, signed_headers

KEY = b"k" * 32


def _events(*ticket_ids: str) -> list[TicketEvent]:
    return [TicketEvent.model_validate(event_payload(source="zendesk", ticket_id=t)) for t in ticket_ids]


def test_a_delivery_is_queued_with_the_requesters_keyed_hash_never_the_id() -> None:
    named, anonymous = _events("T-1", "T-2")
    queued_events = protect_delivery(
        [named, anonymous], T0, Origin.of_webhook("zendesk"), {named.event_id: "90210777"}, KEY
    )
    assert queued_events[0].requester_hash == requester_hash(KEY, "zendesk", "90210777")
    assert queued_events[1].requester_hash is None
    assert all("90210777" not in q.model_dump_json() for q in queued_events)
    assert {q.origin for q in queued_events} == {Origin.of_webhook("zendesk")}


def test_without_a_requester_key_a_delivery_is_queued_without_requesters() -> None:
    (event,) = _events("T-1")
    (only,) = protect_delivery([event], T0, Origin.of_webhook("zendesk"), {event.event_id: "90210777"}, None)
    assert only.requester_hash is None


def test_the_eraser_reads_its_requester_key_only_where_one_is_configured() -> None:
    assert Eraser(FakeStore()).hashing_key() is None
    assert Eraser(FakeStore(), requester_key=lambda: KEY).hashing_key() == KEY


def test_a_producer_event_for_no_helpdesk_reads_no_claims() -> None:
    def unreadable() -> list[str]:
        raise AssertionError("the generic secret was read for a source-other event")

    authorize_producer(TicketEvent.model_validate(event_payload(brand="acme")), unreadable)


def test_a_producer_event_naming_a_helpdesk_needs_its_claim() -> None:
    (event,) = _events("T-1")
    with pytest.raises(Forbidden):
        authorize_producer(event, list)
    authorize_producer(event, lambda: ["zendesk"])


def test_a_click_without_a_signing_secret_is_refused_as_not_configured() -> None:
    body = form_body(interaction("right_call"))
    now = datetime.now(UTC)
    for secret in (None, ""):
        with pytest.raises(NotConfigured):
            verified_click(signed_headers(body, now), body, secret, lambda: now)


def test_a_click_is_its_review_only_as_slack_signed_it() -> None:
    body = form_body(interaction("right_call"))
    now = datetime.now(UTC)
    click = verified_click(signed_headers(body, now), body, SIGNING_SECRET, lambda: now)
    assert (click.review.verdict, click.review.alert_id, click.response_url) == ("right_call", "e1:angry", RESPONSE_URL)
    with pytest.raises(SignatureError):
        verified_click(
            signed_headers(body, now), body.replace(b"right_call", b"false_alarm"), SIGNING_SECRET, lambda: now
        )


def test_the_updated_alert_shows_the_stored_verdict_and_is_none_without_a_response_url() -> None:
    body = form_body(interaction("right_call"))
    now = datetime.now(UTC)
    click = verified_click(signed_headers(body, now), body, SIGNING_SECRET, lambda: now)
    stored = Review.model_validate(click.review.model_dump() | {"verdict": "false_alarm", "reviewer": "Bo"})
    message = updated_alert(click, stored)
    assert message is not None and message["replace_original"] is True
    assert "False alarm" in str(message["blocks"]) and "Bo" in str(message["blocks"])
    assert updated_alert(replace(click, response_url=None), stored) is None


def test_the_ticket_history_is_the_latest_messages_in_order_and_says_what_was_left_out() -> None:
    store = FakeStore()
    service = ScoringService(store, FakePublisher(), KeywordScorer(), RuleConfig(rules=()))
    for i in (2, 0, 1):
        service.process(queued(message_id=f"m-{i}", created_at=(T0 + timedelta(minutes=i)).isoformat()))
    capped = ticket_with_history(store, ref("T-1"), limit=2)
    assert capped is not None
    assert [m.message_id for m in capped.history] == ["m-1", "m-2"]
    assert capped.history_truncated is True
    whole = ticket_with_history(store, ref("T-1"))
    assert whole is not None and not whole.history_truncated and len(whole.history) == 3
    assert ticket_with_history(store, ref("T-404")) is None
