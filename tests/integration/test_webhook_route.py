"""POST /v1/webhooks/{platform} through the ingest handler, with the secrets in Secrets Manager and the queue in
SQS (moto over HTTP): authenticated deliveries are enqueued before the reply, nothing else ever is."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.secrets import secrets_manager_lookup
from ticket_sentiment.events import QueuedEvent
from ticket_sentiment.handlers.ingest import build_app
from ticket_sentiment_tools.local_stack import LocalStack

from tests.unit.helpdesk_support import (
    NOW,
    SECRETS,
    SF_ORG,
    SF_TOKEN,
    fixture,
    intercom_headers,
    token_headers,
    zendesk_headers,
)

PREFIX = "ts-test/helpdesk/"


def _request(
    platform: str,
    body: bytes,
    headers: dict[str, str],
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    path = f"/v1/webhooks/{platform}"
    return {
        "resource": "/v1/webhooks/{platform}",
        "path": path,
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"platform": platform},
        "stageVariables": None,
        "body": body.decode(),
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "r",
            "stage": "test",
            "httpMethod": "POST",
            "path": path,
            "resourcePath": "/v1/webhooks/{platform}",
            "identity": {"sourceIp": "127.0.0.1"},
        },
    }


@pytest.fixture
def post(stack: LocalStack) -> Callable[..., dict[str, Any]]:
    secrets = stack.client("secretsmanager")
    for platform, value in SECRETS.items():
        if platform != "freshdesk":  # left out: an unconfigured helpdesk
            name = f"{stack.prefix}/{PREFIX}{platform}"
            secrets.create_secret(Name=name, SecretString=value)
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    lookup = secrets_manager_lookup(f"{stack.prefix}/{PREFIX}", SecretsProvider(boto3_client=secrets))
    app = build_app(stack.event_queue, clock=lambda: NOW, helpdesk_secret=lookup)

    def call(
        platform: str,
        body: bytes,
        headers: dict[str, str],
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return dict(app.resolve(_request(platform, body, headers, query), None))  # type: ignore[arg-type]

    return call


def _queued(stack: LocalStack) -> list[QueuedEvent]:
    sqs, found = stack.client("sqs"), list[QueuedEvent]()
    while batch := sqs.receive_message(QueueUrl=stack.res.events_queue_url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            found.append(QueuedEvent.model_validate_json(message["Body"]))
            sqs.delete_message(QueueUrl=stack.res.events_queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_signed_zendesk_delivery_is_enqueued_and_a_redelivery_keeps_its_id(post: Any, stack: LocalStack) -> None:
    body = fixture("zendesk_comment_created.json")
    first = post("zendesk", body, zendesk_headers(body))
    again = post("zendesk", body, zendesk_headers(body, timestamp="2025-03-14T11:59:50Z"))
    assert first["statusCode"] == 202
    assert again["statusCode"] == 202
    queued = _queued(stack)
    assert len(queued) == 2
    assert queued[0].event_id == queued[1].event_id  # the scorer sees a duplicate
    assert queued[0].event.source == "zendesk"
    assert queued[0].received_at == NOW


@pytest.mark.parametrize("tamper", ["forged", "other-secret", "stale", "missing"])
def test_unauthenticated_zendesk_deliveries_are_401_and_never_enqueued(
    post: Any, stack: LocalStack, tamper: str
) -> None:
    body = fixture("zendesk_comment_created.json")
    headers = {
        "forged": zendesk_headers(body + b" "),
        "other-secret": zendesk_headers(body, secret="x" * 32),
        "stale": zendesk_headers(body, timestamp="2025-03-14T10:00:00Z"),
        "missing": {},
    }[tamper]
    reply = post("zendesk", body, headers)
    assert reply["statusCode"] == 401
    assert json.loads(reply["body"])["error"]
    assert _queued(stack) == []


def test_salesforce_gets_its_soap_ack_after_every_notification_is_enqueued(post: Any, stack: LocalStack) -> None:
    body = fixture("salesforce_email_message.xml")
    reply = post("salesforce", body, {"content-type": "text/xml"}, {"token": SF_TOKEN})
    assert reply["statusCode"] == 200
    assert "<Ack>true</Ack>" in reply["body"]
    assert reply["multiValueHeaders"]["Content-Type"][0].startswith("text/xml")
    assert len(_queued(stack)) == 2
    wrong = post("salesforce", body, {"content-type": "text/xml"}, {"token": "guess"})
    assert wrong["statusCode"] == 401
    assert _queued(stack) == []


@pytest.mark.parametrize("configured", ["token", "org id only"])
def test_forged_salesforce_envelope_without_the_endpoint_token_is_refused_and_never_enqueued(
    post: Any, stack: LocalStack, configured: str
) -> None:
    """The attack: org ids are public (Web-to-Case forms), so an envelope naming the right org but no endpoint
    token must not get an Ack. With the token configured: 401; with only the org id: the route is not configured
    (503), as for every other platform whose secret lacks its credential."""
    if configured == "org id only":
        stack.client("secretsmanager").put_secret_value(
            SecretId=f"{stack.prefix}/{PREFIX}salesforce", SecretString=json.dumps({"organization_id": SF_ORG})
        )
    body = fixture("salesforce_email_message.xml")
    for query in (None, {"token": ""}):
        reply = post("salesforce", body, {"content-type": "text/xml"}, query)
        assert reply["statusCode"] == (401 if configured == "token" else 503), reply
        assert "<Ack>" not in reply["body"]
        assert json.loads(reply["body"])["error"]
    assert _queued(stack) == []


def test_intercom_ping_and_reply(post: Any, stack: LocalStack) -> None:
    ping = fixture("intercom_ping.json")
    assert json.loads(post("intercom", ping, intercom_headers(ping))["body"]) == {"pong": True}
    replied = fixture("intercom_user_replied.json")
    assert post("intercom", replied, intercom_headers(replied))["statusCode"] == 202
    assert [q.event.source for q in _queued(stack)] == ["intercom"]


def test_unknown_unconfigured_and_malformed(post: Any, stack: LocalStack) -> None:
    assert post("jira", b"{}", {})["statusCode"] == 404
    freshdesk = post("freshdesk", fixture("freshdesk_ticket_created.json"), token_headers())
    assert freshdesk["statusCode"] == 503
    assert "secret" in json.loads(freshdesk["body"])["error"].lower()
    body = b'{"ticket": '
    assert post("zendesk", body, zendesk_headers(body))["statusCode"] == 400
    assert _queued(stack) == []


def test_a_rotated_secret_is_accepted_at_once_and_the_old_one_only_within_the_window(stack: LocalStack) -> None:
    """The attack on rotation: secrets are cached, so after a rotation the new signature used to get 401 (and the
    old one 202) for the cache's five minutes. Now a failed verification refetches AWSCURRENT once, and AWSPREVIOUS
    is accepted only while the current version is younger than the rotation window."""
    from datetime import UTC, datetime, timedelta

    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from ticket_sentiment.helpdesks.rotation import DEFAULT_ROTATION_WINDOW

    from tests.unit.pipeline_fakes import FIXTURE_WINDOW

    secrets = stack.client("secretsmanager")
    name = f"{stack.prefix}/rotation/zendesk"
    old, new = "old-signing-secret-0123456789", "new-signing-secret-9876543210"
    secrets.create_secret(Name=name, SecretString=json.dumps({"signing_secret": old}))
    lookup = secrets_manager_lookup(f"{stack.prefix}/rotation/", SecretsProvider(boto3_client=secrets))
    now = [datetime.now(UTC)]
    app = build_app(stack.event_queue, clock=lambda: now[0], helpdesk_secret=lookup, window=FIXTURE_WINDOW)
    body = fixture("zendesk_comment_created.json")

    def deliver(secret: str) -> int:
        stamp = now[0].strftime("%Y-%m-%dT%H:%M:%SZ")
        event = _request("zendesk", body, zendesk_headers(body, secret=secret, timestamp=stamp))
        return int(app.resolve(event, None)["statusCode"])  # type: ignore[arg-type]

    assert deliver(old) == 202  # the old secret is now cached
    secrets.put_secret_value(SecretId=name, SecretString=json.dumps({"signing_secret": new}))
    time.sleep(1.1)  # the adapter honours at most one refetch a second
    now[0] = datetime.now(UTC)  # the function's clock moves on with the rotation
    assert deliver(new) == 202  # at once, not after the cache expires
    assert deliver(old) == 202  # the helpdesk that has not switched yet: within the window
    assert deliver("never-the-secret-0123456789") == 401
    now[0] += DEFAULT_ROTATION_WINDOW + timedelta(minutes=1)
    assert deliver(old) == 401  # past the window the old secret is refused
    assert deliver(new) == 202
    assert len(_queued(stack)) == 4
