"""Write-back clients over real HTTP against local fakes of the four helpdesk APIs (tests/integration/helpdesk_fakes).

Time is injected (a fake clock whose sleep advances it), so Retry-After and rate-limit waits are asserted exactly
without waiting; only the timeout test waits for real (a fraction of a second).
"""

from __future__ import annotations

import base64
import json
import socket
import urllib.parse
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from ticket_sentiment.adapters.aws.helpdesk_writers import SecretWriters
from ticket_sentiment.adapters.http.helpdesk_writers import (
    FreshdeskWriter,
    IntercomWriter,
    SalesforceWriter,
    ZendeskWriter,
)
from ticket_sentiment.adapters.http.transport import RetrySettings
from ticket_sentiment.handlers.writeback import process_batch
from ticket_sentiment.writeback import (
    FreshdeskCredentials,
    IntercomCredentials,
    Platform,
    SalesforceCredentials,
    WritebackError,
    WritebackRequest,
    ZendeskCredentials,
    tags_for,
)
from ticket_sentiment_tools.local_stack import LocalStack

from .helpdesk_fakes import HelpdeskFake, Reply, SalesforceOrg, freshdesk, intercom, zendesk

TOKEN = "zd-secret-token-123"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


def settings(clock: FakeTime, **overrides: Any) -> RetrySettings:
    values: dict[str, Any] = {
        "attempts": 4,
        "base_wait": 0.01,
        "max_wait": 20.0,
        "max_total_wait": 45.0,
        "rate_limit_default_wait": 10.0,
        "timeout": 2.0,
        "sleep": clock.sleep,
        "clock": clock.clock,
        **overrides,
    }
    return RetrySettings(**values)


def request(
    platform: Platform,
    ticket_id: str = "123",
    label: str = "negative",
    score: float = -0.734,
) -> WritebackRequest:
    return WritebackRequest(
        platform=platform,
        ticket_id=ticket_id,
        score=score,
        label=label,
        tags=tags_for(label),
        event_id="e" * 32,
        message_id="m1",
    )


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _fake(responder: Any) -> Iterator[HelpdeskFake]:
    fake = HelpdeskFake(responder)
    yield fake
    fake.close()


@pytest.fixture
def zd() -> Iterator[HelpdeskFake]:
    yield from _fake(zendesk)


@pytest.fixture
def fd() -> Iterator[HelpdeskFake]:
    yield from _fake(freshdesk)


@pytest.fixture
def ic() -> Iterator[HelpdeskFake]:
    yield from _fake(intercom)


@pytest.fixture
def org() -> SalesforceOrg:
    return SalesforceOrg()


@pytest.fixture
def sf(org: SalesforceOrg) -> Iterator[HelpdeskFake]:
    yield from _fake(org)


def zendesk_writer(fake: HelpdeskFake, clock: FakeTime, **overrides: Any) -> ZendeskWriter:
    creds = ZendeskCredentials(
        subdomain="acme",
        email="agent@example.com",
        api_token=TOKEN,
        score_field_id=360001,
        label_field_id=360002,
        base_url=fake.url,
    )
    return ZendeskWriter(creds, settings(clock, **overrides))


# --- Zendesk -------------------------------------------------------------------------------------------------------


def test_zendesk_updates_fields_and_tags_in_one_put(zd: HelpdeskFake, clock: FakeTime) -> None:
    zendesk_writer(zd, clock).write(request(Platform.ZENDESK))
    [call] = zd.requests
    assert (call.method, call.path) == ("PUT", "/api/v2/tickets/123.json")
    assert call.headers["authorization"] == basic("agent@example.com/token", TOKEN)
    assert call.headers["content-type"].startswith("application/json")
    assert call.headers["accept"] == "application/json"
    assert call.json() == {
        "ticket": {
            "custom_fields": [{"id": 360001, "value": -0.73}, {"id": 360002, "value": "negative"}],
            "additional_tags": ["sentiment-negative", "sentiment-scored"],
            "remove_tags": ["sentiment-neutral", "sentiment-positive"],
        }
    }
    assert clock.sleeps == []


def test_zendesk_dropdown_label_takes_the_option_tag_value(zd: HelpdeskFake, clock: FakeTime) -> None:
    creds = ZendeskCredentials(
        subdomain="acme",
        email="a@example.com",
        api_token=TOKEN,
        score_field_id=1,
        label_field_id=2,
        base_url=zd.url,
        label_values={"negative": "sentiment_label_negative"},
    )
    ZendeskWriter(creds, settings(clock)).write(request(Platform.ZENDESK))
    assert zd.requests[0].json()["ticket"]["custom_fields"][1] == {"id": 2, "value": "sentiment_label_negative"}


def test_zendesk_429_waits_retry_after_seconds(zd: HelpdeskFake, clock: FakeTime) -> None:
    zd.queue("PUT", r"/tickets/", Reply(429, {"error": "TooManyRequests"}, {"Retry-After": "7"}))
    zendesk_writer(zd, clock).write(request(Platform.ZENDESK))
    assert len(zd.requests) == 2
    assert clock.sleeps == [7.0]


def test_zendesk_429_waits_retry_after_http_date(zd: HelpdeskFake, clock: FakeTime) -> None:
    zd.queue("PUT", r"/tickets/", Reply(429, None, {"Retry-After": formatdate(clock.now + 5, usegmt=True)}))
    zendesk_writer(zd, clock).write(request(Platform.ZENDESK))
    assert len(zd.requests) == 2
    assert clock.sleeps == [pytest.approx(5.0, abs=1.0)]


def test_zendesk_long_retry_after_is_handed_back_to_the_queue(zd: HelpdeskFake, clock: FakeTime) -> None:
    zd.queue("PUT", r"/tickets/", Reply(429, None, {"Retry-After": "120"}))
    with pytest.raises(WritebackError) as caught:
        zendesk_writer(zd, clock).write(request(Platform.ZENDESK))
    assert caught.value.status == 429
    assert caught.value.retryable
    assert caught.value.retry_after == 120.0
    assert len(zd.requests) == 1
    assert clock.sleeps == []


def test_zendesk_500_then_200_backs_off_and_succeeds(zd: HelpdeskFake, clock: FakeTime) -> None:
    zd.queue("PUT", r"/tickets/", Reply(500, None), Reply(503, None))
    zendesk_writer(zd, clock).write(request(Platform.ZENDESK))
    assert len(zd.requests) == 3
    assert len(clock.sleeps) == 2
    assert all(0 < s <= 0.05 for s in clock.sleeps)  # exponential with jitter, from base_wait


def test_zendesk_409_conflict_is_retried(zd: HelpdeskFake, clock: FakeTime) -> None:
    zd.queue("PUT", r"/tickets/", Reply(409, {"error": "UpdateConflict"}))
    zendesk_writer(zd, clock).write(request(Platform.ZENDESK))
    assert len(zd.requests) == 2


def test_zendesk_gives_up_after_the_attempts_as_retryable(zd: HelpdeskFake, clock: FakeTime) -> None:
    zd.queue("PUT", r"/tickets/", *[Reply(502, b"<html>bad gateway</html>")] * 10)
    with pytest.raises(WritebackError) as caught:
        zendesk_writer(zd, clock, attempts=3).write(request(Platform.ZENDESK))
    assert (caught.value.status, caught.value.retryable) == (502, True)
    assert caught.value.reason == "zendesk answered 502"
    assert len(zd.requests) == 3


def test_zendesk_total_wait_is_bounded(zd: HelpdeskFake, clock: FakeTime) -> None:
    zd.queue("PUT", r"/tickets/", *[Reply(429, None, {"Retry-After": "15"})] * 10)
    with pytest.raises(WritebackError) as caught:
        zendesk_writer(zd, clock, attempts=10, max_total_wait=40.0).write(request(Platform.ZENDESK))
    assert caught.value.retryable
    assert clock.sleeps == [15.0, 15.0]  # a third wait would pass 40 s
    assert len(zd.requests) == 3


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (404, {"error": "RecordNotFound", "description": "Not found"}, "zendesk answered 404: RecordNotFound"),
        (
            422,
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"base": [{"description": "Sentiment score: is invalid (value -0.73)"}]},
            },
            "zendesk answered 422: RecordInvalid",
        ),
        (
            403,
            {"error": {"title": "Forbidden", "message": "You do not have access to this page."}},
            "zendesk answered 403: Forbidden",
        ),
        (401, {"error": "Couldn't authenticate you"}, "zendesk answered 401: Couldn_t_authenticate_you"),
    ],
)
def test_zendesk_permanent_errors_are_not_retried(
    zd: HelpdeskFake, clock: FakeTime, status: int, body: Any, reason: str
) -> None:
    zd.queue("PUT", r"/tickets/", Reply(status, body))
    with pytest.raises(WritebackError) as caught:
        zendesk_writer(zd, clock).write(request(Platform.ZENDESK))
    assert (caught.value.status, caught.value.retryable, caught.value.reason) == (status, False, reason)
    assert len(zd.requests) == 1
    assert TOKEN not in repr(caught.value)
    assert TOKEN not in str(caught.value)


def test_zendesk_rate_limit_remaining_zero_holds_the_next_call(zd: HelpdeskFake, clock: FakeTime) -> None:
    zd.queue(
        "PUT",
        r"/tickets/",
        Reply(200, {"ticket": {"id": 123}}, {"X-Rate-Limit-Remaining": "0", "ratelimit-reset": "4"}),
    )
    writer = zendesk_writer(zd, clock)
    writer.write(request(Platform.ZENDESK))
    assert clock.sleeps == []
    writer.write(request(Platform.ZENDESK, ticket_id="124"))
    assert clock.sleeps == [4.0]
    assert [r.path for r in zd.requests][-1] == "/api/v2/tickets/124.json"


def test_ticket_id_cannot_change_the_path(zd: HelpdeskFake, clock: FakeTime) -> None:
    with pytest.raises(WritebackError):  # not a ticket id Zendesk knows: 404, but on the tickets path
        zendesk_writer(zd, clock).write(request(Platform.ZENDESK, ticket_id="../users/1"))
    assert zd.requests[0].path == "/api/v2/tickets/..%2Fusers%2F1.json"


# --- Freshdesk -----------------------------------------------------------------------------------------------------


def freshdesk_writer(fake: HelpdeskFake, clock: FakeTime, **fields: Any) -> FreshdeskWriter:
    creds = FreshdeskCredentials(domain="acme", api_key="fd-key-xyz", base_url=fake.url, **fields)
    return FreshdeskWriter(creds, settings(clock))


def test_freshdesk_reads_tags_then_puts_fields_and_merged_tags(fd: HelpdeskFake, clock: FakeTime) -> None:
    freshdesk_writer(fd, clock).write(request(Platform.FRESHDESK, ticket_id="77"))
    get, put = fd.requests
    assert (get.method, get.path, put.method, put.path) == ("GET", "/api/v2/tickets/77", "PUT", "/api/v2/tickets/77")
    for call in (get, put):
        assert call.headers["authorization"] == basic("fd-key-xyz", "X")
    assert put.headers["content-type"].startswith("application/json")
    # The agent's "vip" stays, the stale positive label goes, ours are added once.
    assert put.json() == {
        "custom_fields": {"cf_sentiment_score": -0.73, "cf_sentiment_label": "negative"},
        "tags": ["vip", "sentiment-negative", "sentiment-scored"],
    }


def test_freshdesk_without_tag_merge_writes_fields_only(fd: HelpdeskFake, clock: FakeTime) -> None:
    freshdesk_writer(fd, clock, merge_tags=False, score_field="cf_mood_score").write(request(Platform.FRESHDESK))
    [put] = fd.requests
    assert put.method == "PUT"
    assert put.json() == {"custom_fields": {"cf_mood_score": -0.73, "cf_sentiment_label": "negative"}}


def test_freshdesk_remaining_zero_without_reset_waits_the_default_window(fd: HelpdeskFake, clock: FakeTime) -> None:
    fd.queue("GET", r"/tickets/", Reply(200, {"id": 1, "tags": []}, {"X-RateLimit-Remaining": "0"}))
    freshdesk_writer(fd, clock).write(request(Platform.FRESHDESK))
    assert clock.sleeps == [10.0]
    assert [r.method for r in fd.requests] == ["GET", "PUT"]


def test_freshdesk_429_retry_after(fd: HelpdeskFake, clock: FakeTime) -> None:
    fd.queue(
        "PUT",
        r"/tickets/",
        Reply(
            429,
            {"message": "You have exceeded the limit of requests per minute"},
            {"Retry-After": "3", "X-RateLimit-Remaining": "0"},
        ),
    )
    freshdesk_writer(fd, clock).write(request(Platform.FRESHDESK))
    assert clock.sleeps == [3.0]
    assert [r.method for r in fd.requests] == ["GET", "PUT", "PUT"]


def test_freshdesk_validation_error_is_permanent_and_names_the_field(fd: HelpdeskFake, clock: FakeTime) -> None:
    fd.queue(
        "PUT",
        r"/tickets/",
        Reply(
            400,
            {
                "description": "Validation failed",
                "errors": [
                    {
                        "field": "cf_sentiment_score",
                        "message": "Value set is of type String.It should be a/an Number",
                        "code": "datatype_mismatch",
                    }
                ],
            },
        ),
    )
    with pytest.raises(WritebackError) as caught:
        freshdesk_writer(fd, clock).write(request(Platform.FRESHDESK))
    assert (caught.value.status, caught.value.retryable) == (400, False)
    assert caught.value.reason == "freshdesk answered 400: cf_sentiment_score:datatype_mismatch"


def test_freshdesk_missing_ticket_on_read_is_permanent(fd: HelpdeskFake, clock: FakeTime) -> None:
    with pytest.raises(WritebackError) as caught:
        freshdesk_writer(fd, clock).write(request(Platform.FRESHDESK, ticket_id="T-1"))
    assert (caught.value.status, caught.value.retryable) == (404, False)
    assert len(fd.requests) == 1


# --- Intercom ------------------------------------------------------------------------------------------------------


def intercom_writer(fake: HelpdeskFake, clock: FakeTime, **fields: Any) -> IntercomWriter:
    creds = IntercomCredentials(access_token="ic-token-abc", base_url=fake.url, **fields)
    return IntercomWriter(creds, settings(clock))


def test_intercom_sets_attributes_attaches_missing_tag_and_removes_stale(ic: HelpdeskFake, clock: FakeTime) -> None:
    intercom_writer(ic, clock, admin_id="814860").write(request(Platform.INTERCOM))
    calls = [(r.method, r.path) for r in ic.requests]
    # The PUT answers the conversation's tags: the marker is attached already, positive is stale.
    assert calls == [
        ("PUT", "/conversations/123"),
        ("POST", "/tags"),
        ("POST", "/conversations/123/tags"),
        ("DELETE", "/conversations/123/tags/3"),
    ]
    put, create, attach, delete = ic.requests
    for call in ic.requests:
        assert call.headers["authorization"] == "Bearer ic-token-abc"
        assert call.headers["intercom-version"] == "2.11"
        assert call.headers["accept"] == "application/json"
    assert put.json() == {"custom_attributes": {"sentiment_score": -0.73, "sentiment_label": "negative"}}
    assert create.json() == {"name": "sentiment-negative"}
    assert attach.json() == {"id": "118", "admin_id": "814860"}
    assert delete.json() == {"admin_id": "814860"}


def test_intercom_caches_tag_ids_and_uses_configured_ones(ic: HelpdeskFake, clock: FakeTime) -> None:
    writer = intercom_writer(ic, clock, admin_id="1", tag_ids={"sentiment-negative": "42"})
    writer.write(request(Platform.INTERCOM))
    writer.write(request(Platform.INTERCOM, ticket_id="124"))
    assert [r.path for r in ic.calls("POST")] == ["/conversations/123/tags", "/conversations/124/tags"]
    assert all(r.json() == {"id": "42", "admin_id": "1"} for r in ic.calls("POST"))


def test_intercom_without_admin_writes_attributes_only(ic: HelpdeskFake, clock: FakeTime) -> None:
    intercom_writer(ic, clock, region="eu").write(request(Platform.INTERCOM, label="positive", score=0.5))
    [put] = ic.requests
    assert put.json() == {"custom_attributes": {"sentiment_score": 0.5, "sentiment_label": "positive"}}


def test_intercom_rate_limit_reset_is_a_unix_time(ic: HelpdeskFake, clock: FakeTime) -> None:
    ic.queue(
        "PUT",
        r"/conversations/",
        Reply(
            200,
            {"type": "conversation", "id": "123"},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(clock.now) + 6)},
        ),
    )
    writer = intercom_writer(ic, clock)
    writer.write(request(Platform.INTERCOM))
    writer.write(request(Platform.INTERCOM, ticket_id="124"))
    assert clock.sleeps == [6.0]
    assert len(ic.requests) == 2


def test_intercom_not_found_is_permanent(ic: HelpdeskFake, clock: FakeTime) -> None:
    with pytest.raises(WritebackError) as caught:
        intercom_writer(ic, clock).write(request(Platform.INTERCOM, ticket_id="abc"))
    assert (caught.value.status, caught.value.retryable, caught.value.reason) == (
        404,
        False,
        "intercom answered 404: not_found",
    )


# --- Salesforce ----------------------------------------------------------------------------------------------------

CASE = "5003000000D8cuIAAR"


def salesforce_writer(fake: HelpdeskFake, clock: FakeTime) -> SalesforceWriter:
    creds = SalesforceCredentials(
        instance_url="https://acme.my.salesforce.com",
        base_url=fake.url,
        client_id="3MVG9-client",
        client_secret="sf-secret-456",
    )
    return SalesforceWriter(creds, settings(clock))


def test_salesforce_client_credentials_token_then_patch(
    sf: HelpdeskFake,
    org: SalesforceOrg,
    clock: FakeTime,
) -> None:
    salesforce_writer(sf, clock).write(request(Platform.SALESFORCE, ticket_id=CASE))
    token, patch = sf.requests
    assert (token.method, token.path) == ("POST", "/services/oauth2/token")
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(token.body.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["3MVG9-client"],
        "client_secret": ["sf-secret-456"],
    }
    assert (patch.method, patch.path) == ("PATCH", f"/services/data/v61.0/sobjects/Case/{CASE}")
    assert patch.headers["authorization"] == f"Bearer {org.issued[0]}"
    assert patch.json() == {"Sentiment_Score__c": -0.73, "Sentiment_Label__c": "negative"}


def test_salesforce_token_is_cached(sf: HelpdeskFake, org: SalesforceOrg, clock: FakeTime) -> None:
    writer = salesforce_writer(sf, clock)
    for _ in range(3):
        writer.write(request(Platform.SALESFORCE, ticket_id=CASE))
    assert writer.token_fetches == 1
    assert len(sf.calls("PATCH")) == 3


def test_salesforce_401_refreshes_the_token_once(sf: HelpdeskFake, org: SalesforceOrg, clock: FakeTime) -> None:
    writer = salesforce_writer(sf, clock)
    writer.write(request(Platform.SALESFORCE, ticket_id=CASE))
    org.revoked.add(org.issued[0])  # the session expired
    writer.write(request(Platform.SALESFORCE, ticket_id=CASE))
    assert writer.token_fetches == 2
    assert [r.method for r in sf.requests] == ["POST", "PATCH", "PATCH", "POST", "PATCH"]
    assert sf.requests[-1].headers["authorization"] == f"Bearer {org.issued[1]}"


def test_salesforce_second_401_is_permanent(sf: HelpdeskFake, org: SalesforceOrg, clock: FakeTime) -> None:
    sf.queue(
        "PATCH",
        r"/Case/",
        *[Reply(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])] * 2,
    )
    with pytest.raises(WritebackError) as caught:
        salesforce_writer(sf, clock).write(request(Platform.SALESFORCE, ticket_id=CASE))
    assert (caught.value.status, caught.value.retryable, caught.value.reason) == (
        401,
        False,
        "salesforce answered 401: INVALID_SESSION_ID",
    )
    assert [r.method for r in sf.requests] == ["POST", "PATCH", "POST", "PATCH"]


def test_salesforce_bad_client_secret_is_permanent_and_not_echoed(sf: HelpdeskFake, clock: FakeTime) -> None:
    sf.queue(
        "POST",
        r"/oauth2/token",
        Reply(400, {"error": "invalid_client", "error_description": "invalid client credentials"}),
    )
    with pytest.raises(WritebackError) as caught:
        salesforce_writer(sf, clock).write(request(Platform.SALESFORCE, ticket_id=CASE))
    assert (caught.value.status, caught.value.retryable) == (400, False)
    assert caught.value.reason == "token request failed: salesforce answered 400: invalid_client"
    assert "sf-secret-456" not in repr(caught.value)
    assert not sf.calls("PATCH")


def test_salesforce_daily_limit_is_retryable(sf: HelpdeskFake, clock: FakeTime) -> None:
    sf.queue(
        "PATCH",
        r"/Case/",
        Reply(403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]),
    )
    salesforce_writer(sf, clock).write(request(Platform.SALESFORCE, ticket_id=CASE))
    assert len(sf.calls("PATCH")) == 2


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, "NOT_FOUND"),
        (400, "INVALID_FIELD"),
        (400, "FIELD_CUSTOM_VALIDATION_EXCEPTION"),
        (403, "INSUFFICIENT_ACCESS_OR_READONLY"),
    ],
)
def test_salesforce_permanent_errors(sf: HelpdeskFake, clock: FakeTime, status: int, code: str) -> None:
    sf.queue("PATCH", r"/Case/", Reply(status, [{"message": "...", "errorCode": code, "fields": []}]))
    with pytest.raises(WritebackError) as caught:
        salesforce_writer(sf, clock).write(request(Platform.SALESFORCE, ticket_id=CASE))
    assert (caught.value.status, caught.value.retryable, caught.value.reason) == (
        status,
        False,
        f"salesforce answered {status}: {code}",
    )


# --- transport failures --------------------------------------------------------------------------------------------


def test_unreachable_host_is_retryable(clock: FakeTime) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    creds = ZendeskCredentials(
        subdomain="acme",
        email="a@example.com",
        api_token=TOKEN,
        score_field_id=1,
        label_field_id=2,
        base_url=f"http://127.0.0.1:{port}",
    )
    with pytest.raises(WritebackError) as caught:
        ZendeskWriter(creds, settings(clock, attempts=2)).write(request(Platform.ZENDESK))
    assert caught.value.status is None
    assert caught.value.retryable
    assert caught.value.reason.startswith("zendesk: unreachable")


def test_timeout_is_retryable(zd: HelpdeskFake, clock: FakeTime) -> None:
    zd.queue("PUT", r"/tickets/", Reply(200, {}, delay=0.6))
    writer = zendesk_writer(zd, clock, timeout=0.2)
    writer.write(request(Platform.ZENDESK))  # the second attempt is answered at once
    assert len(zd.requests) == 2
    assert len(clock.sleeps) == 1


def test_plain_http_is_refused_off_localhost(clock: FakeTime) -> None:
    creds = ZendeskCredentials(
        subdomain="acme",
        email="a@example.com",
        api_token=TOKEN,
        score_field_id=1,
        label_field_id=2,
        base_url="http://zendesk.example.com",
    )
    with pytest.raises(WritebackError) as caught:
        ZendeskWriter(creds, settings(clock)).write(request(Platform.ZENDESK))
    assert not caught.value.retryable


# --- the handler: secrets from Secrets Manager (moto), partial batch failures ---------------------------------------


def record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:writeback",
        "awsRegion": "us-east-1",
    }


def test_handler_batch_with_secrets_manager(stack: LocalStack, zd: HelpdeskFake, clock: FakeTime) -> None:
    secrets = stack.client("secretsmanager")
    prefix = f"{stack.prefix}/writeback/"  # its own secrets, apart from the inbound <prefix>/helpdesk/<platform>
    secret = {
        "subdomain": "acme",
        "email": "agent@example.com",
        "api_token": TOKEN,
        "score_field_id": 11,
        "label_field_id": 12,
        "base_url": zd.url,
    }
    secrets.create_secret(Name=f"{prefix}zendesk", SecretString=json.dumps(secret))
    secrets.create_secret(Name=f"{prefix}freshdesk", SecretString="{}")  # created by the stack, never filled
    writers = SecretWriters(prefix, SecretsProvider(boto3_client=secrets), max_age=0, settings=settings(clock))
    zd.queue("PUT", r"/tickets/404\.json", Reply(404, {"error": "RecordNotFound", "description": "Not found"}))
    zd.queue("PUT", r"/tickets/500\.json", *[Reply(500, None)] * 4)
    batch = {
        "Records": [
            record("a", request(Platform.ZENDESK, ticket_id="1").model_dump_json()),
            record("b", request(Platform.ZENDESK, ticket_id="404").model_dump_json()),
            record("c", request(Platform.ZENDESK, ticket_id="500").model_dump_json()),
            record("d", request(Platform.FRESHDESK, ticket_id="9").model_dump_json()),
            record("e", "{not json"),
        ]
    }
    reply = process_batch(batch, writers)
    assert reply == {"batchItemFailures": [{"itemIdentifier": i} for i in ("b", "c", "d", "e")]}
    assert [r.path for r in zd.requests].count("/api/v2/tickets/1.json") == 1
    assert zd.requests[0].headers["authorization"] == basic("agent@example.com/token", TOKEN)

    # The same writer (and its rate-limit state) while the secret is unchanged; a rotated secret builds a new one.
    first = writers(Platform.ZENDESK)
    assert writers(Platform.ZENDESK) is first
    secrets.put_secret_value(SecretId=f"{prefix}zendesk", SecretString=json.dumps({**secret, "api_token": "new"}))
    rotated = writers(Platform.ZENDESK)
    assert rotated is not first
    rotated.write(request(Platform.ZENDESK, ticket_id="2"))
    assert zd.requests[-1].headers["authorization"] == basic("agent@example.com/token", "new")
