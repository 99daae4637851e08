"""Each platform's realistic payload parses to the expected canonical TicketEvents."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ticket_sentiment.events import CustomerTier, Priority, Source
from ticket_sentiment.helpdesks import (
    FRESHDESK_TEMPLATES,
    MARKER_TAG,
    ZENDESK_BODY_TEMPLATE,
    BadPayload,
    UnknownPlatform,
    handle_webhook,
)
from ticket_sentiment.models import AuthorRole

from .helpdesk_support import NOW, SF_ORG, SF_TOKEN, deliver, fixture


def test_zendesk_customer_comment() -> None:
    result = deliver("zendesk", fixture("zendesk_comment_created.json"))
    [event] = result.events
    assert event.source == Source.ZENDESK
    assert (event.ticket_id, event.message_id) == ("4521", "38291045512")
    assert event.author_role == AuthorRole.CUSTOMER
    assert event.html is not None
    assert "third" in event.html
    assert event.text is None
    assert event.created_at == datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
    assert event.subject == "Refund still not processed after two weeks"
    assert event.priority == Priority.HIGH
    assert event.tags == ["billing", "refund", "vip_customer"]  # our marker tag is dropped
    assert event.product_area == "Billing"
    assert event.customer_tier == CustomerTier.PREMIUM
    assert str(event.ticket_url) == "https://example-widgets.zendesk.com/agent/tickets/4521"
    assert result.response.status == 202
    assert json.loads(result.response.body)["accepted"] == [event.event_id]


def test_zendesk_agent_reply_with_numbers_and_empty_placeholders() -> None:
    [event] = deliver("zendesk", fixture("zendesk_agent_reply.json")).events
    assert (event.ticket_id, event.message_id) == ("4521", "38291077001")
    assert event.author_role == AuthorRole.AGENT  # role from the updater, who wrote the comment
    assert event.priority == Priority.NORMAL
    assert event.tags == []
    assert event.product_area == "Example Widgets"


def test_zendesk_update_without_comment_is_skipped() -> None:
    result = deliver("zendesk", fixture("zendesk_update_without_comment.json"))
    assert result.events == ()
    assert result.skipped[0].reason.startswith("no new message")
    assert result.response.status == 200


def _zendesk(**changes: object) -> bytes:
    payload = json.loads(fixture("zendesk_comment_created.json"))
    for path, value in changes.items():
        section, key = path.split("__")
        payload[section][key] = value
    return json.dumps(payload).encode()


def test_zendesk_follow_up_with_blank_fields_leaves_them_out() -> None:
    """Zendesk renders a missing title, priority, group or link as "": the event leaves them out, so the stored
    ticket keeps its subject, priority, product area and link (pipeline.service.with_known_metadata) instead of
    being reset to a blank subject and normal priority."""
    body = _zendesk(ticket__title="", ticket__priority="", ticket__product_area="", ticket__group="", ticket__brand="")
    [event] = deliver("zendesk", body).events
    assert {"subject", "priority", "product_area"}.isdisjoint(event.model_fields_set)
    [sent] = deliver("zendesk", _zendesk()).events
    assert {"subject", "priority", "product_area", "ticket_url"} <= sent.model_fields_set


def test_zendesk_loop_guard_and_private_notes() -> None:
    ours = deliver("zendesk", _zendesk(updater__id="399999999999", comment__author_id="399999999999"))
    assert ours.events == ()
    assert "integration" in ours.skipped[0].reason
    note = deliver("zendesk", _zendesk(comment__public="false"))
    assert note.events == ()
    assert note.skipped[0].reason == "internal note"


def test_zendesk_role_falls_back_to_requester_id() -> None:
    body = _zendesk(comment__author_role="", updater__role="", updater__id="")
    assert deliver("zendesk", body).events[0].author_role == AuthorRole.CUSTOMER
    body = _zendesk(comment__author_role="", updater__role="", updater__id="", comment__author_id="1")
    assert deliver("zendesk", body).events[0].author_role == AuthorRole.AGENT
    body = _zendesk(comment__author_role="", updater__role="", ticket__requester_id="")
    with pytest.raises(BadPayload, match="who wrote"):
        deliver("zendesk", body)


def test_zendesk_template_is_valid_json_and_parses_when_rendered() -> None:
    template = json.loads(ZENDESK_BODY_TEMPLATE)
    assert template["comment"]["id"] == "{{ticket.latest_comment.id}}"
    rendered = ZENDESK_BODY_TEMPLATE
    for placeholder, value in {
        "{{ticket.id}}": "77",
        "{{ticket.latest_comment.id}}": "901",
        "{{ticket.latest_comment.author.role}}": "end-user",
        "{{ticket.latest_comment_html}}": "I am upset",
        "{{ticket.updated_at_with_timestamp}}": "2025-03-14T11:00:00Z",
    }.items():
        rendered = rendered.replace(placeholder, value)
    rendered = re.sub(r"\{\{[^}]+\}\}", "", rendered)  # every other placeholder rendered empty
    [event] = deliver("zendesk", rendered.encode()).events
    assert (event.ticket_id, event.message_id, event.text) == ("77", "901", "I am upset")


def test_freshdesk_ticket_created() -> None:
    [event] = deliver("freshdesk", fixture("freshdesk_ticket_created.json")).events
    assert event.source == Source.FRESHDESK
    assert (event.ticket_id, event.message_id) == ("1187", "description")
    assert event.author_role == AuthorRole.CUSTOMER
    assert event.html is not None
    assert event.priority == Priority.URGENT
    assert event.tags == ["mobile-app", "crash", "invoices"]
    assert event.product_area == "Mobile app"
    assert event.customer_tier == CustomerTier.ENTERPRISE
    assert event.created_at == datetime(2025, 3, 14, 8, 15, 2, tzinfo=UTC)
    assert str(event.ticket_url) == "https://examplewidgets.freshdesk.com/helpdesk/tickets/1187"


def test_freshdesk_reply() -> None:
    [event] = deliver("freshdesk", fixture("freshdesk_reply.json")).events
    assert event.message_id.startswith("reply-")
    assert event.text == "Thanks, version 4.2.1 fixed it. Works perfectly now!"
    assert event.priority == Priority.HIGH  # "3"
    assert event.created_at == NOW  # the account's display date format falls back to the delivery time
    assert event.product_area == "Mobile"


def test_freshdesk_property_change_is_skipped() -> None:
    result = deliver("freshdesk", fixture("freshdesk_status_changed.json"))
    assert result.events == ()
    assert "property change" in result.skipped[0].reason


def test_freshdesk_templates_are_valid_json() -> None:
    for kind, template in FRESHDESK_TEMPLATES.items():
        assert json.loads(template)["kind"] == kind


def test_intercom_user_created_uses_the_source_message() -> None:
    [event] = deliver("intercom", fixture("intercom_user_created.json")).events
    assert event.source == Source.INTERCOM
    assert (event.ticket_id, event.message_id) == ("215470398", "source-2204331190")
    assert event.author_role == AuthorRole.CUSTOMER
    assert event.html is not None
    assert event.created_at == datetime.fromtimestamp(1741945200, tz=UTC)
    assert event.priority == Priority.HIGH
    assert event.tags == ["export"]
    assert event.product_area == "Reports"
    assert event.customer_tier == CustomerTier.ENTERPRISE
    assert str(event.ticket_url).startswith("https://app.intercom.com/a/apps/xmpl1234/")


def test_intercom_user_replied() -> None:
    [event] = deliver("intercom", fixture("intercom_user_replied.json")).events
    assert (event.message_id, event.author_role) == ("9912345001", AuthorRole.CUSTOMER)
    assert event.created_at == datetime.fromtimestamp(1741946100, tz=UTC)
    assert event.priority == Priority.NORMAL


def test_intercom_conversation_without_a_priority_leaves_it_out() -> None:
    payload = json.loads(fixture("intercom_user_replied.json"))
    del payload["data"]["item"]["priority"]
    [event] = deliver("intercom", json.dumps(payload).encode()).events
    assert "priority" not in event.model_fields_set  # the ticket keeps its known priority


def test_intercom_admin_replied_skips_the_note() -> None:
    result = deliver("intercom", fixture("intercom_admin_replied.json"))
    [event] = result.events
    assert (event.message_id, event.author_role) == ("9912345078", AuthorRole.AGENT)
    assert event.subject == "Export stuck at 99%"
    assert [(s.message_id, s.reason) for s in result.skipped] == [("9912345077", "part type note is not a message")]


def test_intercom_ping_answers_pong_and_enqueues_nothing() -> None:
    result = deliver("intercom", fixture("intercom_ping.json"))
    assert result.ping
    assert result.events == ()
    assert (result.response.status, json.loads(result.response.body)) == (200, {"pong": True})


def test_intercom_integration_admin_is_skipped() -> None:
    payload = json.loads(fixture("intercom_admin_replied.json"))
    for part in payload["data"]["item"]["conversation_parts"]["conversation_parts"]:
        part["author"]["id"] = "5099999"
    result = deliver("intercom", json.dumps(payload).encode())
    assert result.events == ()
    assert any("integration" in s.reason for s in result.skipped)


def test_salesforce_case() -> None:
    result = deliver("salesforce", fixture("salesforce_case.xml"))
    [event] = result.events
    assert event.source == Source.SALESFORCE
    assert event.ticket_id == "5005g00000XmplCAAR"
    assert event.message_id.startswith("description-")
    assert event.author_role == AuthorRole.CUSTOMER
    assert event.text is not None
    assert event.priority == Priority.HIGH
    assert event.product_area == "Dashboards"
    assert event.subject == "Dashboard down for the whole team"
    assert event.created_at == datetime(2025, 3, 14, 7, 45, 12, tzinfo=UTC)
    assert str(event.ticket_url) == "https://example-widgets.my.salesforce.com/lightning/r/Case/5005g00000XmplCAAR/view"
    assert result.response.status == 200
    assert result.response.content_type.startswith("text/xml")
    assert "<Ack>true</Ack>" in result.response.body


def test_salesforce_email_messages() -> None:
    incoming, outgoing = deliver("salesforce", fixture("salesforce_email_message.xml")).events
    assert (incoming.message_id, incoming.author_role) == ("02s5g00000XmplAAAA", AuthorRole.CUSTOMER)
    assert incoming.html is not None
    assert "<b>still</b>" in incoming.html
    assert incoming.created_at == datetime(2025, 3, 14, 8, 2, 31, tzinfo=UTC)
    assert (outgoing.message_id, outgoing.author_role) == ("02s5g00000XmpmAAAA", AuthorRole.AGENT)
    assert outgoing.text is not None
    assert outgoing.html is None
    # A 15-character ParentId names the same ticket as the 18-character Case.Id.
    assert incoming.ticket_id == outgoing.ticket_id == "5005g00000XmplCAAR"


def test_salesforce_integration_user_changes_are_skipped() -> None:
    body = fixture("salesforce_case.xml")
    secret = json.dumps(
        {"organization_id": SF_ORG, "endpoint_token": SF_TOKEN, "integration_user_id": "0055g00000XmplUAAQ"}
    )
    result = deliver("salesforce", body, secret=secret)
    assert result.events == ()
    assert "integration" in result.skipped[0].reason
    assert "<Ack>true</Ack>" in result.response.body  # still acknowledged, or Salesforce retries for 24 hours


def test_generic_event() -> None:
    [event] = deliver("generic", fixture("generic_event.json")).events
    assert (event.source, event.ticket_id, event.message_id) == (Source.OTHER, "HD-2291", "HD-2291-msg-3")


def test_generic_without_a_secret_relies_on_the_api_key() -> None:
    for secret in (None, "", "{}"):
        result = handle_webhook("generic", {}, fixture("generic_event.json"), secret, NOW)
        assert len(result.events) == 1


def test_generic_invalid_event_names_fields_without_values() -> None:
    payload = json.loads(fixture("generic_event.json"))
    payload["priority"] = "sky-high-secret-value"
    with pytest.raises(BadPayload) as info:
        deliver("generic", json.dumps(payload).encode())
    assert info.value.details[0]["field"] == "priority"
    assert "sky-high-secret-value" not in json.dumps(info.value.details) + info.value.reason


def test_unknown_platform() -> None:
    with pytest.raises(UnknownPlatform):
        handle_webhook("helpscout", {}, b"{}", None, NOW)


@pytest.mark.parametrize("platform", ["zendesk", "intercom", "freshdesk", "salesforce"])
def test_marker_tag_never_reaches_events(platform: str) -> None:
    names = {
        "zendesk": "zendesk_comment_created.json",
        "intercom": "intercom_user_created.json",
        "freshdesk": "freshdesk_ticket_created.json",
        "salesforce": "salesforce_case.xml",
    }
    for event in deliver(platform, fixture(names[platform])).events:
        assert MARKER_TAG not in event.tags


def test_platform_name_is_case_insensitive() -> None:
    body = fixture("generic_event.json")
    assert handle_webhook("Generic", {}, body, None, NOW).platform == "generic"


def test_huge_html_body_is_reduced_to_text_not_rejected() -> None:
    payload = json.loads(fixture("zendesk_comment_created.json"))
    payload["comment"]["html"] = "<div style='" + "x" * 150_000 + "'><p>Still broken.</p></div>"
    [event] = deliver("zendesk", json.dumps(payload).encode()).events
    assert event.text == "Still broken."
    assert event.html is None


def test_huge_text_body_is_cut_with_a_warning() -> None:
    payload = json.loads(fixture("freshdesk_reply.json"))
    payload["message"] = "angry " * 30_000
    result = deliver("freshdesk", json.dumps(payload).encode())
    assert len(result.events[0].body) == 100_000
    assert result.warnings == (f"message {result.events[0].message_id}: body cut to 100000 characters",)


def test_docs_show_the_templates_verbatim() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "helpdesks.md").read_text()
    assert ZENDESK_BODY_TEMPLATE.strip() in docs
    assert FRESHDESK_TEMPLATES["customer_reply"].strip() in docs
