"""Erasure by a helpdesk's own deletion events, on the local stack (moto over HTTP): a ticket with scored messages,
redacted text, a review, an alert (dead-lettered while Slack was down) and an audit sample is erased by each
platform's signed deletion webhook; afterwards nothing in the table, the queues or the Slack sink names it but the
receipt, a repeat is a no-op, and an unverified deletion is refused. A redacted comment drops only its message;
a deleted requester takes every ticket of theirs."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.audit_queue import SqsAuditQueue
from ticket_sentiment.adapters.aws.dynamodb import DynamoTicketStore
from ticket_sentiment.adapters.aws.reviews import DynamoReviewStore
from ticket_sentiment.adapters.aws.sns import SnsAlertPublisher
from ticket_sentiment.adapters.aws.sqs import SqsDeadLetters, SqsEventQueue, SqsParkedQueue
from ticket_sentiment.adapters.http.slack import SlackWebhook
from ticket_sentiment.audit.models import AuditRow
from ticket_sentiment.events import QueuedEvent, TicketEvent
from ticket_sentiment.handlers.ingest import build_app
from ticket_sentiment.handlers.notify import notify
from ticket_sentiment.helpdesks import zendesk
from ticket_sentiment.identity import TicketRef
from ticket_sentiment.pipeline.lifecycle import Eraser, ticket_hash
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.review.models import Review
from ticket_sentiment_tools.cli import app as cli
from ticket_sentiment_tools.local_stack import LocalStack, lambda_sns_event
from typer.testing import CliRunner

from ..unit.pipeline_fakes import KeywordScorer, api_event, event_payload
from .slack_sink import SlackSink

ANGRY = "I'm still waiting for my refund, third time I'm writing. This is unacceptable and I'm furious."
CALM = "Could you tell me where to find last month's invoice?"
ORG = "00D5g000004XmplEAC"
SECRETS = {
    "zendesk": {
        "signing_secret": "zendesk-trigger-secret-0123456789",
        "events_signing_secret": "zd-events-0123456789ab",
    },
    "freshdesk": {"token": "freshdesk-token-0123456789"},
    "intercom": {"client_secret": "intercom-client-secret-0123"},
    "salesforce": {"organization_id": ORG, "endpoint_token": "salesforce-token-0123456789"},
}
TICKETS = {"zendesk": "48213", "freshdesk": "7731", "intercom": "215470398", "salesforce": "5005g00000XmplCAAR"}
REQUESTER_KEY = b"r" * 64


class _SlackDown:
    def post(self, message: dict[str, Any]) -> None:
        raise RuntimeError("slack answered 503")


class _Env:
    """The stack, its parked queues (an audit queue beside the notify DLQ) and the ingest app wired to erase."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.sqs = stack.client("sqs")
        self.audit_url = self.sqs.create_queue(QueueName=f"{stack.prefix}-audit")["QueueUrl"]
        self.store = DynamoTicketStore(stack.res.table_name, stack.resource("dynamodb"))
        parked = [SqsParkedQueue(u, self.sqs, wait_seconds=0) for u in (self.audit_url, stack.res.notify_dlq_url)]
        self.eraser = Eraser(self.store, parked=parked, requester_key=lambda: REQUESTER_KEY)
        self.app = build_app(
            lambda: SqsEventQueue(stack.res.events_queue_url, self.sqs),
            helpdesk_secret=lambda platform: json.dumps(SECRETS[platform]) if platform in SECRETS else None,
            eraser=lambda: self.eraser,
        )

    def deliver(self, platform: str, body: bytes, headers: dict[str, str], query: dict[str, str] | None = None) -> Any:
        event = api_event(body.decode(), path=f"/v1/webhooks/{platform}", path_parameters={"platform": platform})
        event["headers"] = {"content-type": "application/json", **headers}
        event["queryStringParameters"] = query
        return self.app.resolve(event, None)  # type: ignore[arg-type]

    def bodies(self, url: str) -> list[str]:
        """Every message on a queue, left visible (VisibilityTimeout 0): these queues hold under ten messages, and
        one receive only, as each counts towards the events queue's redrive to its DLQ."""
        seen: dict[str, str] = {}
        for _ in range(1):
            for m in self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
                "Messages", []
            ):
                seen[m["MessageId"]] = m["Body"]
        return list(seen.values())

    def scan(self) -> list[dict[str, Any]]:
        return self.stack.scan_table()


def _populate(env: _Env, source: str, ticket_id: str) -> None:
    """Two customer messages (the angry one alerts), their redacted text, a review, the alert dead-lettered while
    Slack was down, and an audit sample of each message."""
    stack = env.stack
    service = ScoringService(
        env.store,
        SnsAlertPublisher(stack.res.alerts_topic_arn, stack.client("sns")),
        KeywordScorer(),
        RuleConfig(rules=(EscalationRule(name="angry", max_score=-0.5),)),
    )
    now = datetime.now(UTC)
    for n, text in enumerate((CALM, ANGRY), start=1):
        event = TicketEvent.model_validate(
            event_payload(
                source=source,
                ticket_id=ticket_id,
                message_id=f"m{n}",
                text=text,
                created_at=(now - timedelta(minutes=10 - n)).isoformat(),
            )
        )
        service.process(
            QueuedEvent(event_id=event.event_id, received_at=now, event=event), delivery_id=str(uuid.uuid4())
        )
    ref = TicketRef.of(source, ticket_id)
    ticket = env.store.get_ticket(ref)
    assert ticket is not None and ticket.current is not None and ticket.last_alert_at is not None
    DynamoReviewStore(stack.res.table_name, stack.resource("dynamodb")).record(
        Review(
            ticket_id=ref.key,
            alert_id=f"{ticket.current.event_id}:angry",
            verdict="right_call",
            reviewer="Dana",
            reviewed_at=now,
            source="api",
        )
    )
    assert stack.pump_alerts(_SlackDown())["dead_lettered"] == 1
    SqsAuditQueue(env.audit_url, env.sqs).send_rows(
        [
            AuditRow(
                audit_month=f"{now:%Y-%m}",
                ticket_id=ref.key,  # audit rows name the ticket by its key
                message_id=m.message_id,
                created_at=m.created_at,
                product_area="billing",
                model_label=m.label,
                score=m.score,
                confidence=m.confidence,
                text=env.store.message_text(ref, m.message_id) or "",
            )
            for m in env.store.list_messages(ref)
        ]
    )


def _zendesk(env: _Env, kind: str, detail: dict[str, Any], change: dict[str, Any] | None = None) -> Any:
    body = json.dumps({"type": f"zen:event-type:{kind}", "detail": detail, "event": change or {}}).encode()
    stamp = datetime.now(UTC).isoformat()
    secret = SECRETS["zendesk"]["events_signing_secret"]
    headers = {zendesk.SIGNATURE_HEADER: zendesk.sign(secret, stamp, body), zendesk.TIMESTAMP_HEADER: stamp}
    return env.deliver("zendesk", body, headers)


def _freshdesk(env: _Env, ticket_id: str) -> Any:
    body = json.dumps(
        {
            "schema": "ticket-sentiment.freshdesk.v1",
            "kind": "ticket_deleted",
            "triggered_event": "{deleted:true}",
            "ticket": {"id": ticket_id},
        }
    ).encode()
    return env.deliver("freshdesk", body, {"X-Ticket-Sentiment-Token": SECRETS["freshdesk"]["token"]})


def _intercom(env: _Env, topic: str, item: dict[str, Any]) -> Any:
    body = json.dumps(
        {
            "type": "notification_event",
            "topic": topic,
            "id": "notif_1",
            "created_at": 1741945200,
            "data": {"item": item},
        }
    ).encode()
    digest = hmac.new(SECRETS["intercom"]["client_secret"].encode(), body, hashlib.sha1).hexdigest()
    return env.deliver("intercom", body, {"X-Hub-Signature": f"sha1={digest}"})


def _salesforce(env: _Env, case_id: str, token: str = SECRETS["salesforce"]["endpoint_token"]) -> Any:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{ORG}</OrganizationId>
   <Notification>
    <Id>04l5g00000AbCdEAAZ</Id>
    <sObject xsi:type="sf:Case" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>{case_id}</sf:Id>
     <sf:IsDeleted>true</sf:IsDeleted>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>""".encode()
    return env.deliver("salesforce", body, {"content-type": "text/xml"}, {"token": token})


DELETIONS: dict[str, Callable[[_Env, str], Any]] = {
    "zendesk": lambda env, t: _zendesk(env, "ticket.soft_deleted", {"id": t}),
    "freshdesk": _freshdesk,
    "intercom": lambda env, t: _intercom(env, "conversation.deleted", {"type": "conversation", "id": t}),
    "salesforce": _salesforce,
}


def _names(values: list[Any], ticket_id: str) -> list[Any]:
    return [v for v in values if ticket_id in (v if isinstance(v, str) else json.dumps(v, default=str))]


@pytest.mark.parametrize("platform", sorted(DELETIONS))
def test_a_helpdesk_deletion_leaves_nothing_of_the_ticket_but_its_receipt(stack: LocalStack, platform: str) -> None:
    env = _Env(stack)
    ticket_id, kept = TICKETS[platform], "KEEP-1"
    _populate(env, platform, ticket_id)
    _populate(env, "zendesk", kept)
    parked = (env.audit_url, stack.res.notify_dlq_url)
    assert all(_names(env.bodies(url), ticket_id) for url in parked), "the audit row and the alert are parked"
    kept_items = _names(env.scan(), kept)

    response = DELETIONS[platform](env, ticket_id)
    assert response["statusCode"] == 200, response

    items = env.scan()
    assert _names(items, ticket_id) == [], "an item still names the erased ticket"
    [receipt] = [i for i in items if i["PK"] == f"ERASURE#{ticket_hash(TicketRef.of(platform, ticket_id))}"]
    assert (receipt["ticket"], receipt["message"], receipt["text"], receipt["review"]) == (1, 2, 2, 1)
    assert receipt["queued"] == 3, "two audit rows and the dead-lettered alert"
    for url in (*parked, stack.res.events_queue_url, stack.res.events_dlq_url, stack.res.alerts_delivery_url):
        assert _names(env.bodies(url), ticket_id) == [], url
    assert _names(items, kept) == kept_items, "another ticket's items are untouched"
    assert len(_names(env.bodies(env.audit_url), kept)) == 2, "another ticket's parked rows stay"

    # Slack comes back and the notify DLQ is redriven: only the other ticket's alert reaches the sink.
    sink = SlackSink()
    try:
        for body in env.bodies(stack.res.notify_dlq_url):
            notify(lambda_sns_event({"Message": body}), SlackWebhook(sink.url), SqsDeadLetters(env.audit_url, env.sqs))
        assert sink.received and _names(sink.received, ticket_id) == []
        assert _names(sink.received, kept)
    finally:
        sink.close()

    again = DELETIONS[platform](env, ticket_id)
    assert again["statusCode"] == 200, "the helpdesk's retry of a delivery already carried out"
    assert env.scan() == items, "erasing twice changes nothing"


@pytest.mark.parametrize(
    ("platform", "forge"),
    [
        (
            "zendesk",
            lambda env, t: env.deliver(
                "zendesk",
                b'{"type":"zen:event-type:ticket.soft_deleted","detail":{"id":"%s"}}' % t.encode(),
                {zendesk.SIGNATURE_HEADER: "bad", zendesk.TIMESTAMP_HEADER: datetime.now(UTC).isoformat()},
            ),
        ),
        (
            "freshdesk",
            lambda env, t: env.deliver(
                "freshdesk",
                json.dumps({"kind": "ticket_deleted", "ticket": {"id": t}}).encode(),
                {"X-Ticket-Sentiment-Token": "wrong-token-0123456789"},
            ),
        ),
        (
            "intercom",
            lambda env, t: env.deliver(
                "intercom",
                json.dumps({"topic": "conversation.deleted", "data": {"item": {"id": t}}}).encode(),
                {"X-Hub-Signature": "sha1=" + "0" * 40},
            ),
        ),
        ("salesforce", lambda env, t: _salesforce(env, t, token="wrong-token-0123456789")),
    ],
)
def test_an_unverified_deletion_is_refused_and_erases_nothing(
    stack: LocalStack, platform: str, forge: Callable[[_Env, str], Any]
) -> None:
    env = _Env(stack)
    ticket_id = TICKETS[platform]
    _populate(env, platform, ticket_id)
    before = env.scan()
    response = forge(env, ticket_id)
    assert response["statusCode"] == 401, response
    assert env.scan() == before


def test_the_generic_route_and_the_ingest_key_cannot_erase(stack: LocalStack) -> None:
    """The ingest key opens only the ingest API, where no route erases: DELETE lives on the read API, and the
    generic webhook (the one key-guarded helpdesk route) has no deletion event."""
    from infra.routes import ApiKind, key_admits, route_for

    assert not key_admits(route_for("DELETE", "/v1/tickets/48213"), ApiKind.INGEST)
    assert key_admits(route_for("DELETE", "/v1/tickets/48213"), ApiKind.READ)
    env = _Env(stack)
    _populate(env, "zendesk", "48213")
    before = env.scan()
    body = json.dumps({"type": "zen:event-type:ticket.soft_deleted", "detail": {"id": "48213"}}).encode()
    response = env.deliver("generic", body, {})
    assert response["statusCode"] == 400, "not an event the generic route knows"
    assert env.scan() == before


ZENDESK_48213 = TicketRef.of("zendesk", "48213")


def test_a_redacted_comment_drops_that_message_and_restates_the_ticket(stack: LocalStack) -> None:
    env = _Env(stack)
    _populate(env, "zendesk", "48213")
    before = env.store.get_ticket(ZENDESK_48213)
    assert before is not None and before.message_count == 2 and before.current is not None
    assert before.current.message_id == "m2"

    response = _zendesk(env, "ticket.comment_redacted", {"id": "48213"}, {"comment": {"id": "m2"}})
    assert response["statusCode"] == 200, response

    after = env.store.get_ticket(ZENDESK_48213)
    assert after is not None and after.current is not None
    assert (after.message_count, after.current.message_id) == (1, "m1"), "scored as if m2 had never been"
    assert [m.message_id for m in env.store.list_messages(ZENDESK_48213)] == ["m1"]
    assert env.store.message_text(ZENDESK_48213, "m2") is None
    rows = [json.loads(b) for b in env.bodies(env.audit_url)]
    assert [r["message_id"] for r in rows] == ["m1"], "only the redacted message's audit row is dropped"
    assert _names(env.bodies(stack.res.notify_dlq_url), "48213") == [], "its alert is gone from the DLQ"
    assert _zendesk(env, "ticket.comment_redacted", {"id": "48213"}, {"comment": {"id": "m2"}})["statusCode"] == 200
    assert env.store.get_ticket(ZENDESK_48213) == after, "dropping it again changes nothing"


def _requester_tickets(env: _Env, requester: str) -> list[dict[str, Any]]:
    """Zendesk trigger deliveries naming the requester (two tickets) and another requester (one), scored."""
    stack, now = env.stack, datetime.now(UTC)
    for ticket_id, who in (("REQT-501", requester), ("REQT-502", requester), ("REQT-503", "1234567")):
        body = json.dumps(
            {
                "ticket": {"id": ticket_id, "title": "Refund", "updated_at": now.isoformat(), "requester_id": who},
                "comment": {
                    "id": f"c{ticket_id}",
                    "public": "true",
                    "author_id": who,
                    "author_role": "end-user",
                    "html": ANGRY,
                },
            }
        ).encode()
        stamp = now.isoformat()
        secret = SECRETS["zendesk"]["signing_secret"]
        headers = {zendesk.SIGNATURE_HEADER: zendesk.sign(secret, stamp, body), zendesk.TIMESTAMP_HEADER: stamp}
        assert env.deliver("zendesk", body, headers)["statusCode"] == 202
    queued = env.bodies(stack.res.events_queue_url)
    assert len(queued) == 3 and all(json.loads(b)["requester_hash"] for b in queued)
    assert not _names(queued, requester), "the raw requester id is never queued"
    handed = stack.pump_events(
        ScoringService(
            env.store,
            SnsAlertPublisher(stack.res.alerts_topic_arn, stack.client("sns")),
            KeywordScorer(),
            RuleConfig(rules=()),
        )
    )
    assert handed == 3, handed
    items = env.scan()
    assert {i["PK"] for i in items if i.get("SK") == "TICKET"} == {
        "TICKET#zendesk:REQT-501",
        "TICKET#zendesk:REQT-502",
        "TICKET#zendesk:REQT-503",
    }
    assert not _names(items, requester), "the raw requester id is never stored"
    return items


def _cli_forget(env: _Env, requester: str) -> str:
    secret = env.stack.client("secretsmanager").create_secret(
        Name=f"{env.stack.prefix}/requester-key", SecretString=REQUESTER_KEY.decode()
    )["Name"]
    args = ["forget", "--requester", requester, "--source", "zendesk", "--requester-key-secret", secret]
    args += ["--table", env.stack.res.table_name, "--endpoint-url", env.stack.endpoint_url, "--region", "us-east-1"]
    args += ["--parked-queues", f"{env.audit_url},{env.stack.res.notify_dlq_url}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("via", ["webhook", "cli"])
def test_a_deleted_requester_takes_every_ticket_of_theirs_and_the_raw_id_is_never_stored(
    stack: LocalStack, via: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest queues only the requester's keyed hash, the scorer indexes the ticket by it, and Zendesk's user.deleted
    (or `forget --requester`) erases every ticket of that requester, and no one else's."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    env, requester = _Env(stack), "90210777"
    _requester_tickets(env, requester)

    def erase() -> None:
        if via == "cli":
            _cli_forget(env, requester)
        else:
            assert _zendesk(env, "user.deleted", {"id": requester, "role": "end-user"})["statusCode"] == 200

    erase()
    left = env.scan()
    assert not _names(left, "REQT-501") and not _names(left, "REQT-502")
    assert _names(left, "REQT-503"), "another requester's ticket stays"
    assert len([i for i in left if str(i["PK"]).startswith("ERASURE#")]) == 2
    if via == "webhook":
        erase()
        assert env.scan() == left
