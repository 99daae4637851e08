"""Write-back logic without the network: the decision, the loop guard, the models, header parsing, request bodies,
error codes and the queue consumer (with fake writers)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import pytest
from pydantic import ValidationError
from ticket_sentiment.adapters.http.helpdesk_writers import (
    FreshdeskWriter,
    IntercomWriter,
    SalesforceWriter,
    ZendeskWriter,
    freshdesk_error,
    intercom_error,
    salesforce_error,
    zendesk_error,
)
from ticket_sentiment.adapters.http.transport import parse_retry_after, rate_limit_wait
from ticket_sentiment.events import TicketEvent
from ticket_sentiment.handlers.writeback import process_batch
from ticket_sentiment.models import SentimentResult
from ticket_sentiment.writeback import (
    CredentialsError,
    FreshdeskCredentials,
    IntercomCredentials,
    Platform,
    SalesforceCredentials,
    WritebackError,
    WritebackRequest,
    ZendeskCredentials,
    is_own_update,
    load_credentials,
    process_writebacks,
    tags_for,
    writeback_request,
)

from .pipeline_fakes import event_payload, sqs_event

NOW = 1_700_000_000.0


def result(label: str = "negative", score: float = -0.7349, low_signal: bool = False) -> SentimentResult:
    return SentimentResult(
        label=label,
        level=label,
        score=score,
        intensity=0.8,
        confidence=0.9,
        probabilities={},
        emotions=[],
        low_signal=low_signal,
        language="en",
        windows=1,
        model_version="t",
    )


def event(**overrides: Any) -> TicketEvent:
    return TicketEvent.model_validate(event_payload(**{"source": "zendesk", **overrides}))


def req(platform: Platform | str = Platform.ZENDESK, label: str = "negative", **fields: Any) -> WritebackRequest:
    values: dict[str, Any] = {
        "platform": platform,
        "ticket_id": "123",
        "score": -0.73,
        "label": label,
        "event_id": "e1",
        **fields,
    }
    if "tags" not in values:
        values["tags"] = tags_for(label)
    return WritebackRequest(**values)


# --- the decision --------------------------------------------------------------------------------------------------


def test_latest_customer_message_is_written_rounded_with_its_tags() -> None:
    ev = event()
    request = writeback_request(ev, ev.event_id, result(), current_message_id="m-1")
    assert request is not None
    assert request.model_dump() == {
        "platform": Platform.ZENDESK,
        "brand": None,
        "ticket_id": "T-1",
        "score": -0.73,
        "label": "negative",
        "tags": ("sentiment-negative", "sentiment-scored"),
        "event_id": ev.event_id,
        "message_id": "m-1",
        "priority": None,
    }


@pytest.mark.parametrize(
    ("overrides", "current", "scored"),
    [
        ({"author_role": "agent"}, "m-1", result()),  # agents' replies are never written
        ({"author_role": "system"}, "m-1", result()),
        ({}, "m-2", result()),  # an older message arriving late
        ({}, None, result()),
        ({}, "m-1", result(label="neutral", score=0.0, low_signal=True)),  # "ok thanks" does not relabel the ticket
        ({"source": "other"}, "m-1", result()),  # no write-back platform
    ],
)
def test_nothing_is_written(overrides: dict[str, Any], current: str | None, scored: SentimentResult) -> None:
    ev = event(**overrides)
    assert writeback_request(ev, ev.event_id, scored, current_message_id=current) is None


def test_only_enabled_platforms_are_written() -> None:
    ev = event(source="freshdesk")
    assert writeback_request(ev, "e", result(), current_message_id="m-1", enabled={"zendesk"}) is None
    written = writeback_request(
        ev, "e", result(label="positive", score=0.815), current_message_id="m-1", enabled={Platform.FRESHDESK}
    )
    assert written is not None
    assert written.platform == Platform.FRESHDESK
    assert written.score == 0.81
    assert written.tags == ("sentiment-positive", "sentiment-scored")
    assert written.stale_tags == ("sentiment-negative", "sentiment-neutral")


# --- the loop guard ------------------------------------------------------------------------------------------------


def test_is_own_update() -> None:
    before = ["refund", "vip"]
    assert is_own_update(["refund", "vip", "sentiment-negative", "sentiment-scored"], before)
    assert is_own_update(
        ["refund", "sentiment-positive", "sentiment-scored"], ["refund", "sentiment-negative", "sentiment-scored"]
    )
    assert is_own_update(["sentiment-scored", "sentiment-negative"], ["sentiment-scored", "sentiment-negative"])
    assert not is_own_update(["refund", "vip", "urgent", "sentiment-scored"], before)  # someone else's tag
    assert not is_own_update(["refund", "vip"], before)  # not ours: no marker
    assert is_own_update(["Sentiment-Scored"])  # without the previous tags: the marker decides
    assert not is_own_update(["refund"])
    # A new customer message is never an echo, whatever the tags say.
    assert not is_own_update(["sentiment-scored"], ["sentiment-scored"], new_customer_message=True)


# --- models --------------------------------------------------------------------------------------------------------


def test_request_validation() -> None:
    assert req(score=0.123456).score == 0.12
    with pytest.raises(ValidationError):
        req(score=1.5)
    with pytest.raises(ValidationError):
        req(label="angry", tags=())
    with pytest.raises(ValidationError):
        req(platform="other")
    with pytest.raises(ValidationError):
        WritebackRequest.model_validate({**req().model_dump(), "extra": 1})
    assert WritebackRequest.model_validate_json(req().model_dump_json()) == req()


ZENDESK_SECRET = {
    "subdomain": "acme",
    "email": "agent@example.com",
    "api_token": "tok-123",
    "score_field_id": 1,
    "label_field_id": 2,
}


def test_credentials_load_and_keep_secrets_out_of_repr() -> None:
    creds = load_credentials("zendesk", json.dumps(ZENDESK_SECRET))
    assert isinstance(creds, ZendeskCredentials)
    assert creds.url == "https://acme.zendesk.com"
    assert "tok-123" not in repr(creds)
    assert "tok-123" not in str(creds)
    fd = load_credentials(Platform.FRESHDESK, '{"domain": "acme", "api_key": "k"}')
    assert isinstance(fd, FreshdeskCredentials)
    assert fd.url == "https://acme.freshdesk.com"
    assert fd.merge_tags
    ic = load_credentials("intercom", '{"access_token": "t", "region": "eu"}')
    assert isinstance(ic, IntercomCredentials)
    assert ic.url == "https://api.eu.intercom.io"
    sf = load_credentials(
        "salesforce",
        '{"instance_url": "https://acme.my.salesforce.com/", "client_id": "c",'
        ' "client_secret": "s", "base_url": "http://127.0.0.1:9/"}',
    )
    assert isinstance(sf, SalesforceCredentials)
    assert sf.url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("platform", "secret", "message"),
    [
        (
            "zendesk",
            "{}",
            "zendesk secret: missing or invalid api_token, email, label_field_id, score_field_id, subdomain",
        ),
        (
            "zendesk",
            json.dumps({**ZENDESK_SECRET, "score_field_id": "tok-abc"}),
            "zendesk secret: missing or invalid score_field_id",
        ),
        # The inbound signing secret has its own secret (<prefix>/helpdesk/<platform>): pasted here, it is refused.
        (
            "zendesk",
            json.dumps({**ZENDESK_SECRET, "signing_secret": "inbound, not ours"}),
            "zendesk secret: missing or invalid signing_secret",
        ),
        ("freshdesk", "not json", "freshdesk secret is not JSON"),
        ("intercom", "[]", "intercom secret is not a JSON object"),
        (
            "salesforce",
            '{"instance_url": "x", "client_id": "c", "client_secret": "s", "score_field": "Bad"}',
            "salesforce secret: missing or invalid instance_url, score_field",
        ),
    ],
)
def test_bad_secrets_name_fields_never_values(platform: str, secret: str, message: str) -> None:
    with pytest.raises(CredentialsError) as caught:
        load_credentials(platform, secret)
    assert str(caught.value) == message


# --- headers -------------------------------------------------------------------------------------------------------


def test_parse_retry_after() -> None:
    assert parse_retry_after("30", NOW) == 30.0
    assert parse_retry_after(" 1.5 ", NOW) == 1.5
    assert parse_retry_after(formatdate(NOW + 12, usegmt=True), NOW) == 12.0
    assert parse_retry_after(formatdate(NOW - 60, usegmt=True), NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("-4", NOW) == 0.0


def test_rate_limit_wait() -> None:
    assert rate_limit_wait({"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": str(NOW + 9)}, NOW, 10) is None
    assert rate_limit_wait({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 9)}, NOW, 10) == 9
    assert rate_limit_wait({"X-Rate-Limit-Remaining": "0", "RateLimit-Reset": "3"}, NOW, 10) == 3
    assert rate_limit_wait({"X-RateLimit-Remaining": "0"}, NOW, 10) == 10  # Freshdesk: no reset header
    assert rate_limit_wait({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(NOW - 5)}, NOW, 10) == 0
    assert rate_limit_wait({}, NOW, 10) is None
    assert rate_limit_wait({"X-RateLimit-Remaining": "many"}, NOW, 10) is None


# --- request bodies and error codes --------------------------------------------------------------------------------


def test_bodies() -> None:
    zd = ZendeskWriter(ZendeskCredentials.model_validate(ZENDESK_SECRET))
    assert zd.body(req(tags=())) == {
        "ticket": {"custom_fields": [{"id": 1, "value": -0.73}, {"id": 2, "value": "negative"}]}
    }
    fd = FreshdeskWriter(FreshdeskCredentials(domain="a", api_key="k"))
    assert fd.body(req(label="neutral"), ["a", "sentiment-negative", "sentiment-scored"]) == {
        "custom_fields": {"cf_sentiment_score": -0.73, "cf_sentiment_label": "neutral"},
        "tags": ["a", "sentiment-neutral", "sentiment-scored"],
    }
    assert "tags" not in fd.body(req(), None)
    ic = IntercomWriter(IntercomCredentials(access_token="t", score_attribute="mood"))
    assert ic.body(req()) == {"custom_attributes": {"mood": -0.73, "sentiment_label": "negative"}}
    assert IntercomWriter.attached_tags({"tags": {"type": "tag.list", "tags": [{"id": "1", "name": "a"}]}}) == {
        "a": "1"
    }
    assert IntercomWriter.attached_tags({"id": "1"}) is None
    sf = SalesforceWriter(
        SalesforceCredentials(
            instance_url="https://x.my.salesforce.com", client_id="c", client_secret="s", label_field="Mood__c"
        )
    )
    assert sf.body(req()) == {"Sentiment_Score__c": -0.73, "Mood__c": "negative"}


def test_escalate_raises_priority_where_the_platform_has_one() -> None:
    urgent = req().model_copy(update={"priority": "urgent"})
    zd = ZendeskWriter(ZendeskCredentials.model_validate(ZENDESK_SECRET))
    assert zd.body(urgent)["ticket"]["priority"] == "urgent"
    assert "priority" not in zd.body(req())["ticket"]
    assert FreshdeskWriter(FreshdeskCredentials(domain="a", api_key="k")).body(urgent, None)["priority"] == 4
    sf = SalesforceWriter(
        SalesforceCredentials(instance_url="https://x.my.salesforce.com", client_id="c", client_secret="s")
    )
    assert sf.body(urgent)["Priority"] == "High"
    assert "Priority" not in sf.body(req())


def test_error_codes() -> None:
    assert zendesk_error({"error": "RecordInvalid", "description": "x"}) == "RecordInvalid"
    assert zendesk_error({"error": {"title": "Forbidden", "message": "x"}}) == "Forbidden"
    assert zendesk_error("nope") is None
    assert freshdesk_error(
        {"description": "Validation failed", "errors": [{"field": "tags", "message": "x", "code": "invalid_value"}]}
    ) == ("tags:invalid_value")
    assert freshdesk_error({"code": "access_denied", "message": "x"}) == "access_denied"
    assert intercom_error({"type": "error.list", "errors": [{"code": "unauthorized", "message": "x"}]}) == (
        "unauthorized"
    )
    assert intercom_error(None) is None
    assert salesforce_error([{"errorCode": "NOT_FOUND", "message": "x"}]) == "NOT_FOUND"
    assert salesforce_error({"error": "invalid_grant", "error_description": "x"}) == "invalid_grant"


# --- the consumer --------------------------------------------------------------------------------------------------


@dataclass
class FakeWriter:
    error: Exception | None = None

    def __post_init__(self) -> None:
        self.written: list[WritebackRequest] = []

    def write(self, request: WritebackRequest) -> None:
        if self.error is not None:
            raise self.error
        self.written.append(request)


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, object]]] = []

    def __call__(self, level: str, message: str, fields: Mapping[str, object]) -> None:
        self.lines.append((level, message, dict(fields)))


def test_consumer_reports_retryable_and_permanent_failures() -> None:
    writers = {
        Platform.ZENDESK: FakeWriter(),
        Platform.FRESHDESK: FakeWriter(WritebackError(503, True, "freshdesk answered 503", retry_after=30)),
        Platform.INTERCOM: FakeWriter(WritebackError(404, False, "intercom answered 404: not_found")),
        Platform.SALESFORCE: FakeWriter(RuntimeError("boom with details")),
    }
    bodies = [
        req(Platform.ZENDESK).model_dump_json(),
        req(Platform.FRESHDESK).model_dump_json(),
        req(Platform.INTERCOM).model_dump_json(),
        req(Platform.SALESFORCE).model_dump_json(),
        '{"platform": "zendesk", "ticket_id": "1", "text": "the customer\'s words"}',
    ]
    log = Log()
    failures = process_writebacks(sqs_event(bodies)["Records"], writers, log=log)
    assert [(f.message_id, f.retryable, f.status, f.platform) for f in failures] == [
        ("sqs-1", True, 503, "freshdesk"),
        ("sqs-2", False, 404, "intercom"),
        ("sqs-3", True, None, "salesforce"),
        ("sqs-4", False, None, None),
    ]
    assert failures[0].retry_after == 30
    assert failures[2].reason == "unexpected RuntimeError"
    assert failures[3].reason == "not a write-back request: event_id, label, score, text"
    assert writers[Platform.ZENDESK].written == [req(Platform.ZENDESK)]
    levels = [(level, fields.get("message_id")) for level, _, fields in log.lines if level != "info"]
    assert levels == [("warning", "sqs-1"), ("error", "sqs-2"), ("warning", "sqs-3"), ("error", "sqs-4")]
    assert "customer" not in repr(log.lines)  # never the body


def test_consumer_without_a_writer_or_credentials_fails_permanently() -> None:
    def writers(platform: Platform) -> FakeWriter:
        raise CredentialsError(f"{platform} secret: missing or invalid api_key, domain")

    failures = process_writebacks(sqs_event([req(Platform.FRESHDESK).model_dump_json()])["Records"], writers, log=Log())
    assert [(f.retryable, f.reason) for f in failures] == [
        (False, "freshdesk secret: missing or invalid api_key, domain")
    ]
    failures = process_writebacks(sqs_event([req(Platform.INTERCOM).model_dump_json()])["Records"], {}, log=Log())
    assert [(f.retryable, f.reason) for f in failures] == [(False, "no write-back writer for intercom")]


def test_consumer_skips_a_superseded_write() -> None:
    writer = FakeWriter()
    bodies = [req(message_id="old").model_dump_json(), req(message_id="new").model_dump_json()]
    failures = process_writebacks(
        sqs_event(bodies)["Records"],
        {Platform.ZENDESK: writer},
        still_current=lambda r: r.message_id == "new",
        log=Log(),
    )
    assert failures == []
    assert [r.message_id for r in writer.written] == ["new"]


def test_consumer_logs_to_stdlib_by_default(caplog: pytest.LogCaptureFixture) -> None:
    writer = FakeWriter(WritebackError(422, False, "zendesk answered 422: RecordInvalid"))
    with caplog.at_level(logging.INFO, logger="ticket_sentiment.writeback"):
        process_writebacks(sqs_event([req().model_dump_json()])["Records"], {Platform.ZENDESK: writer})
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == ["write-back failed permanently"]


def test_handler_shapes_the_partial_batch_reply() -> None:
    writers = {Platform.ZENDESK: FakeWriter(), Platform.FRESHDESK: FakeWriter(WritebackError(500, True, "x"))}
    event = sqs_event([req(Platform.ZENDESK).model_dump_json(), req(Platform.FRESHDESK).model_dump_json()])
    assert process_batch(event, lambda p: writers[p]) == {"batchItemFailures": [{"itemIdentifier": "sqs-1"}]}
    assert process_batch({"Records": []}, lambda p: writers[p]) == {"batchItemFailures": []}
