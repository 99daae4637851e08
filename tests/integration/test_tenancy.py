"""Tenancy on the local stack (ingest, SQS, Secrets Manager and DynamoDB on moto over HTTP): a ticket is its source,
brand and id, never the id alone; a canonical producer names a helpdesk only where its secret allows it; write-back
acts only on what came through the helpdesk's own verified webhook."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from ticket_sentiment.adapters.aws.secrets import secrets_manager_lookup
from ticket_sentiment.events import Outcome
from ticket_sentiment.handlers.api import build_app as build_api
from ticket_sentiment.handlers.ingest import build_app
from ticket_sentiment.identity import Origin
from ticket_sentiment.pipeline.rules import RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.writeback import WritebackRequest
from ticket_sentiment_tools.local_stack import LocalStack

from tests.unit.helpdesk_support import GENERIC_TOKEN, NOW, SECRETS, fixture, token_headers, zendesk_headers
from tests.unit.pipeline_fakes import FakePublisher, KeywordScorer, api_event, ref

from .test_webhook_route import _queued, _request

PREFIX = "ts-tenancy/helpdesk/"
Post = Callable[..., dict[str, Any]]
ZENDESK_TICKET, ZENDESK_COMMENT = "4521", "38291045512"  # zendesk_comment_created.json


def canonical(source: str, ticket_id: str = ZENDESK_TICKET, **fields: Any) -> dict[str, Any]:
    return {
        "source": source,
        "ticket_id": ticket_id,
        "message_id": ZENDESK_COMMENT,
        "author_role": "customer",
        "text": "This is unacceptable, I am cancelling",
        "created_at": (NOW - timedelta(hours=1)).isoformat(),
        **fields,
    }


def ingest(stack: LocalStack, generic: dict[str, Any] | None) -> Post:
    """The ingest handler with the Zendesk secret and, when given, the canonical producer's (generic) secret."""
    secrets = stack.client("secretsmanager")
    secrets.create_secret(Name=f"{stack.prefix}/{PREFIX}zendesk", SecretString=SECRETS["zendesk"])
    if generic is not None:
        secrets.create_secret(Name=f"{stack.prefix}/{PREFIX}generic", SecretString=json.dumps(generic))
    lookup = secrets_manager_lookup(f"{stack.prefix}/{PREFIX}", SecretsProvider(boto3_client=secrets))
    app = build_app(stack.event_queue, clock=lambda: NOW, helpdesk_secret=lookup)

    def call(route: str, body: bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
        if route == "events":
            return dict(app.resolve(api_event(body.decode()), None))  # type: ignore[arg-type]
        return dict(app.resolve(_request(route, body, headers or {}), None))  # type: ignore[arg-type]

    return call


def zendesk_webhook(post: Post) -> None:
    body = fixture("zendesk_comment_created.json")
    assert post("zendesk", body, zendesk_headers(body))["statusCode"] == 202


def service(stack: LocalStack, sent: list[WritebackRequest]) -> ScoringService:
    class Sink:
        def send(self, request: WritebackRequest) -> None:
            sent.append(request)

    return ScoringService(
        stack.store(),
        FakePublisher(),
        KeywordScorer(),
        RuleConfig(rules=()),
        clock=lambda: NOW,
        writeback=Sink(),
        writeback_platforms=frozenset({"zendesk"}),
    )


def get(stack: LocalStack, ticket_id: str, source: str) -> dict[str, Any]:
    event = api_event(None, method="GET", path=f"/v1/tickets/{ticket_id}", path_parameters={"ticket_id": ticket_id})
    event["resource"], event["queryStringParameters"] = "/v1/tickets/{ticket_id}", {"source": source}
    return dict(build_api(stack.store).resolve(event, None))  # type: ignore[arg-type]


@pytest.mark.parametrize("generic", [None, {}, {"token": GENERIC_TOKEN}, {"may_claim": ["freshdesk", "zendesk/acme"]}])
def test_a_generic_producer_claiming_zendesk_gets_403_and_nothing_is_enqueued(
    stack: LocalStack, generic: dict[str, Any] | None
) -> None:
    post = ingest(stack, generic)
    for route, headers in (("events", None), ("generic", token_headers(GENERIC_TOKEN))):
        response = post(route, json.dumps(canonical("zendesk")).encode(), headers)
        assert response["statusCode"] == 403, route
        assert "may_claim" in json.loads(response["body"])["error"]
    brand = post("events", json.dumps(canonical("zendesk", brand="other-brand")).encode())
    assert brand["statusCode"] == 403  # a brand is claimed as well: zendesk/acme does not open zendesk/other-brand
    assert _queued(stack) == []


def test_a_producer_allowed_to_claim_zendesk_is_accepted_but_recorded_as_such(stack: LocalStack) -> None:
    post = ingest(stack, {"may_claim": ["zendesk"]})
    assert post("events", json.dumps(canonical("zendesk", "T-claimed")).encode())["statusCode"] == 202
    [queued] = _queued(stack)
    assert queued.event.ref.key == "zendesk:T-claimed"
    assert queued.origin == Origin.EVENTS


def test_two_helpdesks_with_the_same_ticket_and_event_ids_stay_two_tickets(stack: LocalStack) -> None:
    """The attack: a producer posting Zendesk's ticket and comment ids under another source used to share the key
    TICKET#4521 and the event id, so one of the two messages was dropped as a duplicate of the other."""
    post = ingest(stack, {"may_claim": ["freshdesk"]})
    zendesk_webhook(post)
    assert post("events", json.dumps(canonical("freshdesk")).encode())["statusCode"] == 202
    assert post("events", json.dumps(canonical("other")).encode())["statusCode"] == 202
    queued = _queued(stack)
    assert {(q.event.source.value, q.event.ticket_id, q.event.message_id) for q in queued} == {
        (source, ZENDESK_TICKET, ZENDESK_COMMENT) for source in ("zendesk", "freshdesk", "other")
    }
    assert len({q.event_id for q in queued}) == 3  # the same ids from three sources: three events

    scoring = service(stack, [])
    assert [scoring.process(q, delivery_id=f"sqs-{i}").outcome for i, q in enumerate(queued)] == [Outcome.SCORED] * 3

    items = stack.client("dynamodb").scan(TableName=stack.res.table_name)["Items"]
    tickets = sorted(i["PK"]["S"] for i in items if i["SK"]["S"] == "TICKET")
    assert tickets == [f"TICKET#{s}:{ZENDESK_TICKET}" for s in ("freshdesk", "other", "zendesk")]
    zendesk, freshdesk = get(stack, ZENDESK_TICKET, "zendesk"), get(stack, ZENDESK_TICKET, "freshdesk")
    assert (zendesk["statusCode"], freshdesk["statusCode"]) == (200, 200)
    zendesk_view, freshdesk_view = json.loads(zendesk["body"])["ticket"], json.loads(freshdesk["body"])["ticket"]
    assert (zendesk_view["source"], freshdesk_view["source"]) == ("zendesk", "freshdesk")
    assert (zendesk_view["current"]["label"], freshdesk_view["current"]["label"]) == ("neutral", "negative")
    assert zendesk_view["message_count"] == freshdesk_view["message_count"] == 1
    assert get(stack, ZENDESK_TICKET, "intercom")["statusCode"] == 404


def test_two_brands_of_one_helpdesk_stay_two_tickets(stack: LocalStack) -> None:
    post = ingest(stack, {"may_claim": ["zendesk/*"]})
    for brand in ("acme", "globex"):
        assert post("events", json.dumps(canonical("zendesk", brand=brand)).encode())["statusCode"] == 202
    queued = _queued(stack)
    scoring = service(stack, [])
    assert [scoring.process(q).outcome for q in queued] == [Outcome.SCORED, Outcome.SCORED]
    assert stack.store().get_ticket(ref(ZENDESK_TICKET, brand="acme")) is not None
    assert stack.store().get_ticket(ref(ZENDESK_TICKET, brand="globex")) is not None
    assert stack.store().get_ticket(ref(ZENDESK_TICKET)) is None


def test_write_back_is_refused_for_a_ticket_from_a_generic_producer(stack: LocalStack) -> None:
    """The attack: a producer naming source zendesk made write-back edit the real Zendesk ticket."""
    post = ingest(stack, {"may_claim": ["zendesk"]})
    assert post("events", json.dumps(canonical("zendesk", "T-forged")).encode())["statusCode"] == 202
    zendesk_webhook(post)  # the control: the same helpdesk through its own signed webhook
    sent: list[WritebackRequest] = []
    scoring = service(stack, sent)
    results = {q.event.ticket_id: scoring.process(q) for q in _queued(stack)}

    assert [r.ticket_id for r in sent] == [ZENDESK_TICKET]
    refused = results["T-forged"]
    assert refused.outcome == Outcome.SCORED
    assert refused.writeback_refused == "the message arrived through events, not the zendesk webhook"
    assert "T-forged" not in refused.writeback_refused  # the reason names routes, never the ticket
    assert results[ZENDESK_TICKET].writeback_refused is None
    forged = stack.store().get_ticket(ref("T-forged"))
    assert forged is not None
    assert forged.origin == Origin.EVENTS
    webhook_ticket = stack.store().get_ticket(ref(ZENDESK_TICKET))
    assert webhook_ticket is not None
    assert webhook_ticket.origin == Origin.ZENDESK
