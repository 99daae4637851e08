"""The data's lifecycle on the local stack (moto over HTTP): every item written carries a TTL in the future
(retention by policy), and erasure by the read/admin API and by `ticket-sentiment forget` leaves nothing of the
ticket but a receipt without content, idempotently."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.dynamodb import DynamoTicketStore
from ticket_sentiment.adapters.aws.reviews import DynamoReviewStore
from ticket_sentiment.adapters.aws.sns import SnsAlertPublisher
from ticket_sentiment.events import QueuedEvent, TicketEvent
from ticket_sentiment.pipeline.lifecycle import Retention, ticket_hash
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.review.models import Review
from ticket_sentiment_tools.cli import app
from ticket_sentiment_tools.local_stack import LocalStack
from typer.testing import CliRunner

from ..unit.pipeline_fakes import KeywordScorer, api_event, event_payload, ref

ANGRY = "I'm still waiting for my refund, third time I'm writing. This is unacceptable and I'm furious."
CALM = "Could you tell me where to find last month's invoice?"


def _scan(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.scan_table()


def _populate(stack: LocalStack, ticket_id: str, retention: Retention | None = None) -> None:
    """A ticket with two customer messages (one alerting: an alert claim), redacted text, an agent reply, a review,
    and the deliveries' outcome claims (keyed by SQS message id, holding only the event id's hash, kept 14
    days for redeliveries: not the ticket's to erase); and an agent reply alone on another ticket (its own item)."""
    store = DynamoTicketStore(stack.res.table_name, stack.resource("dynamodb"), retention=retention)

    service = ScoringService(
        store,
        SnsAlertPublisher(stack.res.alerts_topic_arn, stack.client("sns")),
        KeywordScorer(),
        RuleConfig(rules=(EscalationRule(name="angry", max_score=-0.5),)),
    )
    now = datetime.now(UTC)
    events = [
        event_payload(
            ticket_id=ticket_id,
            message_id=f"{ticket_id}-m1",
            text=CALM,
            created_at=(now - timedelta(minutes=9)).isoformat(),
        ),
        event_payload(
            ticket_id=ticket_id,
            message_id=f"{ticket_id}-m2",
            text=ANGRY,
            created_at=(now - timedelta(minutes=5)).isoformat(),
        ),
        event_payload(
            ticket_id=ticket_id,
            message_id=f"{ticket_id}-a1",
            author_role="agent",
            text="On it.",
            created_at=(now - timedelta(minutes=4)).isoformat(),
        ),
        event_payload(
            ticket_id=f"agent-only-{ticket_id[::-1]}",
            message_id="a9",
            author_role="agent",
            text="Hello",
            created_at=now.isoformat(),
        ),
    ]
    for payload in events:
        event = TicketEvent.model_validate(payload)
        service.process(
            QueuedEvent(event_id=event.event_id, received_at=now, event=event), delivery_id=str(uuid.uuid4())
        )  # an SQS message id: names no ticket
    ticket = store.get_ticket(ref(ticket_id, "other"))
    assert ticket is not None, "the angry message claims an alert"
    assert ticket.last_alert_at is not None, "the angry message claims an alert"
    reviews = DynamoReviewStore(stack.res.table_name, stack.resource("dynamodb"), retention=retention)
    stored = reviews.record(
        Review(
            ticket_id=ref(ticket_id, "other").key,
            alert_id=f"{ticket.current.event_id}:angry",  # type: ignore[union-attr]
            verdict="right_call",
            reviewer="Dana",
            reviewed_at=now,
            source="api",
        )
    )
    assert stored.model_version == "fake-1", "the review keeps the alerted message's model version"


def _of(items: list[dict[str, Any]], ticket_id: str) -> list[dict[str, Any]]:
    """Every item that names the ticket anywhere: its partition, an index key, any attribute."""
    return [i for i in items if ticket_id in json.dumps(i, default=str)]


def test_every_item_written_carries_a_ttl_in_the_future(stack: LocalStack) -> None:
    _populate(stack, "T-RET", Retention(ticket=400, message=390, review=380))
    items = _scan(stack)
    kinds = {i.get("type") for i in items}
    assert {"ticket", "message", "text", "review", "delivery"} <= kinds, kinds
    now = time.time()
    missing = [(i["PK"], i["SK"]) for i in items if "expires_at" not in i]
    assert not missing, f"items written without a TTL: {missing}"
    assert all(int(i["expires_at"]) > now for i in items)
    by_kind = {i["type"]: int(i["expires_at"]) for i in items if i["PK"] == "TICKET#other:T-RET"}
    day = 86_400
    assert abs(by_kind["ticket"] - (now + 400 * day)) < day
    assert abs(by_kind["message"] - (now + 390 * day)) < day
    assert abs(by_kind["review"] - (now + 380 * day)) < day
    assert abs(by_kind["text"] - (now + 30 * day)) < day  # the scorer's text retention (keep_text_days)
    agent_only = next(i for i in items if i["PK"] == "TICKET#other:agent-only-TER-T")
    assert abs(int(agent_only["expires_at"]) - (now + 400 * day)) < day


def _api_erase(stack: LocalStack) -> Callable[[str], dict[str, Any]]:
    from ticket_sentiment.handlers.api import build_app

    store = DynamoTicketStore(stack.res.table_name, stack.resource("dynamodb"))
    api = build_app(lambda: store)

    def erase(ticket_id: str) -> dict[str, Any]:
        event = api_event(
            None, method="DELETE", path=f"/v1/tickets/{ticket_id}", path_parameters={"ticket_id": ticket_id}
        )
        event["queryStringParameters"] = {"source": "other"}  # the fixtures' producer posts as source other
        response = api.resolve(event, None)  # type: ignore[arg-type]
        assert response["statusCode"] == 200, response
        body: dict[str, Any] = json.loads(response["body"])
        return body

    return erase


def _cli_erase(stack: LocalStack) -> Callable[[str], dict[str, Any]]:
    runner = CliRunner()

    def erase(ticket_id: str) -> dict[str, Any]:
        result = runner.invoke(
            app,
            [
                "forget",
                "--ticket",
                f"other:{ticket_id}",
                "--table",
                stack.res.table_name,
                "--endpoint-url",
                stack.endpoint_url,
                "--region",
                "us-east-1",
            ],
        )
        assert result.exit_code == 0, result.output
        return {"output": result.output, "erased": result.output.startswith("erased")}

    return erase


@pytest.mark.parametrize("via", [_api_erase, _cli_erase], ids=["api", "cli"])
def test_erasure_leaves_only_a_receipt_and_repeats_are_no_ops(
    stack: LocalStack, via: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    _populate(stack, "T-ERASE")
    _populate(stack, "T-KEEP")
    before = _scan(stack)
    assert len(_of(before, "T-ERASE")) >= 6
    kept = _of(before, "T-KEEP")

    first = via(stack)("T-ERASE")
    assert first["erased"] is True
    after = _scan(stack)
    assert _of(after, "T-ERASE") == [], "an item still names the erased ticket"
    receipts = [i for i in after if i["PK"] == f"ERASURE#{ticket_hash(ref('T-ERASE', 'other'))}"]
    assert len(receipts) == 1
    receipt = receipts[0]
    assert (receipt["ticket"], receipt["message"], receipt["text"], receipt["review"]) == (1, 2, 2, 1)
    assert int(receipt["expires_at"]) > time.time()
    assert set(receipt) == {
        "PK",
        "SK",
        "type",
        "erased_at",
        "ticket",
        "message",
        "text",
        "review",
        "other",
        "queued",
        "expires_at",
    }, "the receipt holds counts, never content"
    assert _of(after, "T-KEEP") == kept, "another ticket's items are untouched"

    second = via(stack)("T-ERASE")
    assert second["erased"] is False
    assert _scan(stack) == after, "erasing twice changes nothing"


def test_api_rejects_a_malformed_ticket_id_with_a_reason(stack: LocalStack) -> None:
    from ticket_sentiment.handlers.api import build_app

    store = DynamoTicketStore(stack.res.table_name, stack.resource("dynamodb"))
    event = api_event(None, method="DELETE", path="/v1/tickets/a%20b", path_parameters={"ticket_id": "a b"})
    event["queryStringParameters"] = {"source": "other"}
    response = build_app(lambda: store).resolve(event, None)  # type: ignore[arg-type]
    assert response["statusCode"] == 400
    assert "ticket id must be" in response["body"]
    event["queryStringParameters"] = None  # the same id in two helpdesks is two tickets: which one?
    unnamed = build_app(lambda: store).resolve(event, None)  # type: ignore[arg-type]
    assert unnamed["statusCode"] == 400
    assert "source is required" in unnamed["body"]
