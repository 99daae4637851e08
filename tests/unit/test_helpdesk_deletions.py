"""Each platform's deletion and redaction events, parsed (pure): what they erase, what they skip, what is
refused. Carrying them out is tests/integration/test_erasure_webhooks.py."""

from __future__ import annotations

import json

import pytest
from ticket_sentiment.events import Source
from ticket_sentiment.helpdesks import FRESHDESK_TEMPLATES, AuthError, BadPayload, handle_webhook
from ticket_sentiment.pipeline.lifecycle import Erasure, ErasureKind

from .helpdesk_support import NOW, SECRETS, SF_ORG, deliver, fixture, zendesk_headers


def _zendesk_event(kind: str, detail: dict[str, object], change: dict[str, object] | None = None) -> bytes:
    return json.dumps(
        {
            "type": f"zen:event-type:{kind}",
            "account_id": 12514403,
            "id": "2b24ef10-19d4-4740-93cf-8f98ec4776c0",
            "time": "2025-03-14T11:59:00Z",
            "zendesk_event_version": "2022-06-20",
            "subject": f"zen:ticket:{detail.get('id')}",
            "detail": detail,
            "event": change or {},
        }
    ).encode()


@pytest.mark.parametrize("kind", ["ticket.soft_deleted", "ticket.permanently_deleted"])
def test_a_zendesk_ticket_deletion_erases_the_ticket(kind: str) -> None:
    result = deliver("zendesk", _zendesk_event(kind, {"id": "35436", "requester_id": "20978392"}))
    assert result.erasures == (Erasure(ErasureKind.TICKET, Source.ZENDESK, "35436"),)
    assert result.events == ()
    assert result.response.status == 200
    assert json.loads(result.response.body)["erased"] == ["ticket"]


def test_a_zendesk_redacted_comment_drops_that_message() -> None:
    body = _zendesk_event("ticket.comment_redacted", {"id": "35436"}, {"comment": {"id": "7001", "is_public": True}})
    [erasure] = deliver("zendesk", body).erasures
    assert erasure == Erasure(ErasureKind.MESSAGE, Source.ZENDESK, "35436", "7001")


def test_a_zendesk_redaction_without_a_comment_id_is_a_400() -> None:
    with pytest.raises(BadPayload, match=r"event\.comment\.id"):
        deliver("zendesk", _zendesk_event("ticket.comment_redacted", {"id": "35436"}))


def test_a_deleted_zendesk_user_erases_their_tickets_and_a_merge_erases_nothing() -> None:
    deleted = deliver("zendesk", _zendesk_event("user.deleted", {"id": "6596848315901", "role": "end-user"}))
    assert deleted.erasures == (Erasure(ErasureKind.REQUESTER, Source.ZENDESK, "6596848315901"),)
    merged = deliver("zendesk", _zendesk_event("user.merged", {"id": "6596848315901"}))
    assert merged.erasures == ()
    assert "deletes nothing" in merged.skipped[0].reason


def test_a_zendesk_event_signed_with_the_events_secret_is_verified_and_a_stranger_is_not() -> None:
    secret = json.dumps({"signing_secret": "trigger-secret-0123456789", "events_signing_secret": "events-0123456789ab"})
    body = _zendesk_event("ticket.soft_deleted", {"id": "35436"})
    result = handle_webhook("zendesk", zendesk_headers(body, "events-0123456789ab"), body, secret, NOW)
    assert result.erasures[0].subject == "35436"
    with pytest.raises(AuthError):
        handle_webhook("zendesk", zendesk_headers(body, "someone-else-0123456789"), body, secret, NOW)


def test_a_zendesk_trigger_delivery_names_its_requester_for_hashing() -> None:
    result = deliver("zendesk", fixture("zendesk_comment_created.json"))
    [event] = result.events
    assert (
        result.requesters[event.event_id]
        == json.loads(fixture("zendesk_comment_created.json"))["ticket"]["requester_id"]
    )


def test_the_freshdesk_deletion_rule_erases_the_ticket() -> None:
    body = (
        FRESHDESK_TEMPLATES["ticket_deleted"]
        .replace("{{ticket.id}}", "7731")
        .replace("{{triggered_event}}", "{deleted:true}")
    )
    result = deliver("freshdesk", body.encode())
    assert result.erasures == (Erasure(ErasureKind.TICKET, Source.FRESHDESK, "7731"),)
    assert "{{ticket.description}}" not in FRESHDESK_TEMPLATES["ticket_deleted"], "ids only, no content"


@pytest.mark.parametrize(
    ("topic", "kind"), [("conversation.deleted", ErasureKind.TICKET), ("contact.deleted", ErasureKind.REQUESTER)]
)
def test_intercom_deletion_topics(topic: str, kind: ErasureKind) -> None:
    item = {"type": topic.split(".", maxsplit=1)[0], "id": "215470398"}
    body = json.dumps({"type": "notification_event", "topic": topic, "data": {"item": item}}).encode()
    assert deliver("intercom", body).erasures == (Erasure(kind, Source.INTERCOM, "215470398"),)


def test_a_salesforce_case_marked_deleted_erases_it_and_a_normal_case_does_not() -> None:
    case = fixture("salesforce_case.xml")
    assert deliver("salesforce", case).erasures == ()
    deleted = case.replace(b"<sf:Status>New</sf:Status>", b"<sf:IsDeleted>true</sf:IsDeleted>")
    result = deliver("salesforce", deleted)
    assert result.erasures == (Erasure(ErasureKind.TICKET, Source.SALESFORCE, "5005g00000XmplCAAR"),)
    assert result.events == ()
    assert result.response.status == 200  # the SOAP Ack: Salesforce stops retrying only then
    assert SF_ORG in deleted.decode()


def test_a_deletion_on_the_generic_route_is_not_an_event() -> None:
    body = _zendesk_event("ticket.soft_deleted", {"id": "35436"})
    with pytest.raises(BadPayload):
        handle_webhook(
            "generic", {"x-ticket-sentiment-token": "generic-token-0123456789abcdef"}, body, SECRETS["generic"], NOW
        )


def test_a_branded_helpdesk_names_its_brand_in_deletions_and_keys_requesters_by_the_branded_event_id() -> None:
    """The brand comes from the verified secret and is part of a ticket's identity, so of each event's id: the
    requester map (keyed by event id) and the deletions must carry it, or a branded ticket is never found."""
    from ticket_sentiment.identity import TicketRef

    branded = json.dumps(json.loads(SECRETS["zendesk"]) | {"brand": "acme"})
    comment = deliver("zendesk", fixture("zendesk_comment_created.json"), secret=branded)
    [event] = comment.events
    assert event.ref == TicketRef.of("zendesk", "4521", "acme")
    assert comment.requesters == {event.event_id: "381234567890"}
    unbranded = deliver("zendesk", fixture("zendesk_comment_created.json"))
    assert unbranded.events[0].event_id != event.event_id  # another brand's ticket 4521 is another ticket
    deleted = deliver("zendesk", _zendesk_event("ticket.soft_deleted", {"id": "4521"}), secret=branded)
    assert [e.ticket for e in deleted.erasures] == [TicketRef.of("zendesk", "4521", "acme")]
