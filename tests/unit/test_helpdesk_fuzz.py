"""Property tests: whatever arrives, only typed errors come out, and nothing unauthenticated becomes an event."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ticket_sentiment.events import TicketEvent
from ticket_sentiment.helpdesks import AuthError, WebhookError, WebhookResult, handle_webhook

from .helpdesk_support import NOW, SECRETS, deliver, fixture

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PLATFORMS = ["zendesk", "intercom", "freshdesk", "salesforce", "generic"]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
header_names = st.sampled_from(
    [
        "X-Zendesk-Webhook-Signature",
        "X-Zendesk-Webhook-Signature-Timestamp",
        "X-Hub-Signature",
        "X-Ticket-Sentiment-Token",
        "Authorization",
        "Content-Type",
    ]
)
headers_strategy = st.dictionaries(header_names | st.text(max_size=20), st.text(max_size=80), max_size=5)
JSON_FIXTURES = {
    "zendesk": ["zendesk_comment_created.json", "zendesk_agent_reply.json", "zendesk_update_without_comment.json"],
    "intercom": [
        "intercom_user_created.json",
        "intercom_user_replied.json",
        "intercom_admin_replied.json",
        "intercom_ping.json",
    ],
    "freshdesk": ["freshdesk_ticket_created.json", "freshdesk_reply.json", "freshdesk_status_changed.json"],
    "generic": ["generic_event.json"],
}


def _check(result: WebhookResult) -> None:
    for event in result.events:
        assert isinstance(event, TicketEvent)
        TicketEvent.model_validate(event.model_dump())  # every event survives the queue round trip
    assert result.response.status in (200, 202)


def _mutate(value: Any, path: list[int], replacement: Any) -> Any:
    """Replace the leaf or subtree that `path` picks (indices taken modulo each container's size)."""
    if not path or not isinstance(value, dict | list) or not value:
        return replacement
    if isinstance(value, dict):
        key = sorted(value)[path[0] % len(value)]
        return {**value, key: _mutate(value[key], path[1:], replacement)}
    index = path[0] % len(value)
    return [*value[:index], _mutate(value[index], path[1:], replacement), *value[index + 1 :]]


@FUZZ
@given(platform=st.sampled_from(PLATFORMS), headers=headers_strategy, body=st.binary(max_size=2000))
def test_unsigned_garbage_is_never_accepted(platform: str, headers: dict[str, str], body: bytes) -> None:
    try:
        result = handle_webhook(platform, headers, body, SECRETS[platform], NOW)
    except AuthError:
        return
    raise AssertionError(f"unauthenticated {platform} delivery returned {len(result.events)} events")


@FUZZ
@given(platform=st.sampled_from(["zendesk", "intercom", "freshdesk", "generic"]), data=st.data())
def test_unsigned_real_payloads_are_never_accepted(platform: str, data: st.DataObject) -> None:
    body = fixture(data.draw(st.sampled_from(JSON_FIXTURES[platform])))
    headers = data.draw(headers_strategy)
    try:
        handle_webhook(platform, headers, body, SECRETS[platform], NOW)
    except AuthError:
        return
    raise AssertionError("a payload without valid credentials was accepted")


@FUZZ
@given(platform=st.sampled_from(PLATFORMS), body=st.binary(max_size=2000))
def test_signed_arbitrary_bytes_raise_only_typed_errors(platform: str, body: bytes) -> None:
    try:
        _check(deliver(platform, body))
    except WebhookError as exc:
        assert exc.status in (400, 401)  # salesforce reports unreadable XML as unauthenticated


@FUZZ
@given(platform=st.sampled_from(["zendesk", "intercom", "freshdesk", "generic"]), payload=json_values)
def test_signed_arbitrary_json_raises_only_typed_errors(platform: str, payload: Any) -> None:
    try:
        _check(deliver(platform, json.dumps(payload).encode()))
    except WebhookError as exc:
        assert exc.status == 400


@FUZZ
@given(platform=st.sampled_from(["zendesk", "intercom", "freshdesk", "generic"]), data=st.data())
def test_signed_mutated_fixtures_raise_only_typed_errors(platform: str, data: st.DataObject) -> None:
    original = json.loads(fixture(data.draw(st.sampled_from(JSON_FIXTURES[platform]))))
    payload = original
    for _ in range(data.draw(st.integers(1, 3))):
        payload = _mutate(
            payload, data.draw(st.lists(st.integers(0, 50), min_size=1, max_size=6)), data.draw(json_values)
        )
    try:
        _check(deliver(platform, json.dumps(payload).encode()))
    except WebhookError as exc:
        assert exc.status == 400
        assert all(set(d) == {"field", "reason"} for d in exc.details)


@FUZZ
@given(data=st.data())
def test_salesforce_fields_with_arbitrary_text(data: st.DataObject) -> None:
    body = fixture(data.draw(st.sampled_from(["salesforce_case.xml", "salesforce_email_message.xml"]))).decode()
    fields = [
        "Description",
        "Subject",
        "Priority",
        "CreatedDate",
        "Id",
        "ParentId",
        "Incoming",
        "TextBody",
        "HtmlBody",
        "MessageDate",
        "Status",
    ]
    for name in data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True)):
        text = data.draw(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60))
        start = body.find(f"<sf:{name}>")
        end = body.find(f"</sf:{name}>", start)
        if start != -1 and end != -1:
            body = body[: start + len(name) + 5] + escape(text) + body[end:]
    try:
        _check(deliver("salesforce", body.encode()))
    except WebhookError as exc:
        assert exc.status == 400


@FUZZ
@given(text=st.text(max_size=300))
def test_zendesk_comment_bodies_never_break_parsing(text: str) -> None:
    payload = json.loads(fixture("zendesk_comment_created.json"))
    payload["comment"]["html"] = text
    result = deliver("zendesk", json.dumps(payload).encode())
    _check(result)
    assert len(result.events) + len(result.skipped) == 1
