"""Redeliveries produce the same event ids; distinct messages never share one."""

from __future__ import annotations

import json
from datetime import timedelta

from ticket_sentiment.helpdesks import handle_webhook

from .helpdesk_support import NOW, SECRETS, deliver, fixture, zendesk_headers
from .test_helpdesk_salesforce import email_notification, envelope


def test_zendesk_redelivery_with_a_new_signature_timestamp() -> None:
    body = fixture("zendesk_comment_created.json")
    first = handle_webhook(
        "zendesk", zendesk_headers(body, timestamp="2025-03-14T11:58:00Z"), body, SECRETS["zendesk"], NOW
    )
    again = handle_webhook(
        "zendesk",
        zendesk_headers(body, timestamp="2025-03-14T12:03:00Z"),
        body,
        SECRETS["zendesk"],
        NOW + timedelta(minutes=3),
    )
    assert first.event_ids == again.event_ids


def test_intercom_redelivery_with_new_notification_metadata() -> None:
    payload = json.loads(fixture("intercom_user_replied.json"))
    first = deliver("intercom", json.dumps(payload).encode()).event_ids
    payload.update(id="notif_another-delivery", delivery_attempts=2, first_sent_at=1741946999, created_at=1741946999)
    assert deliver("intercom", json.dumps(payload, indent=2).encode()).event_ids == first


def test_salesforce_redelivery_with_new_notification_ids() -> None:
    body = fixture("salesforce_email_message.xml")
    first = deliver("salesforce", body).event_ids
    again = deliver("salesforce", body.replace(b"04l5g00000AbCd", b"04l5g00000ZzZz")).event_ids
    assert first == again
    assert len(set(first)) == 2


def test_salesforce_case_update_without_description_change_is_a_duplicate() -> None:
    body = fixture("salesforce_case.xml")
    first = deliver("salesforce", body).event_ids
    updated = body.replace(b"<sf:Status>New</sf:Status>", b"<sf:Status>Working</sf:Status>").replace(
        b"<sf:LastModifiedDate>2025-03-14T07:45:12", b"<sf:LastModifiedDate>2025-03-14T09:00:00"
    )
    assert deliver("salesforce", updated).event_ids == first
    edited = body.replace(b"is unacceptable", b"is really unacceptable")
    assert deliver("salesforce", edited).event_ids != first


def test_freshdesk_same_reply_same_id_different_reply_different_id() -> None:
    payload = json.loads(fixture("freshdesk_reply.json"))
    first = deliver("freshdesk", json.dumps(payload).encode()).event_ids
    payload["ticket"]["modified_at"] = "2025-03-14T10:00:00Z"
    assert deliver("freshdesk", json.dumps(payload).encode()).event_ids == first
    payload["message"] = "It broke again."
    assert deliver("freshdesk", json.dumps(payload).encode()).event_ids != first


def test_event_ids_are_distinct_per_platform_and_message() -> None:
    ids = [
        *deliver("zendesk", fixture("zendesk_comment_created.json")).event_ids,
        *deliver("zendesk", fixture("zendesk_agent_reply.json")).event_ids,
        *deliver("intercom", fixture("intercom_user_created.json")).event_ids,
        *deliver("intercom", fixture("intercom_user_replied.json")).event_ids,
        *deliver("freshdesk", fixture("freshdesk_ticket_created.json")).event_ids,
        *deliver("freshdesk", fixture("freshdesk_reply.json")).event_ids,
        *deliver("salesforce", fixture("salesforce_case.xml")).event_ids,
        *deliver("salesforce", envelope(*(email_notification(i) for i in range(5)))).event_ids,
    ]
    assert len(ids) == len(set(ids)) == 12
