"""In-memory fakes for the pipeline's ports, and helpers to build events (no AWS, no network)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ticket_sentiment.events import Alert, EscalationState, Outcome, QueuedEvent, TicketEvent
from ticket_sentiment.identity import Origin, Source, TicketRef
from ticket_sentiment.models import EmotionScore, SentimentResult
from ticket_sentiment.pipeline.lifecycle import ErasureCounts, ErasureReceipt
from ticket_sentiment.pipeline.records import OutcomeClaim, PutStatus, StoredMessage, TicketView
from ticket_sentiment.pipeline.window import CreatedAtWindow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# The fixtures keep their fixed 2026 dates while the local stack's ingest reads the wall clock: tests that are
# not about the created_at window widen it to ten years back (tests/unit/test_ingest_window.py attacks it).
FIXTURE_WINDOW = CreatedAtWindow(max_age=timedelta(days=3650))


def event_payload(**overrides: Any) -> dict[str, Any]:
    """A canonical event as a producer posts it to /v1/events: source `other` (a producer names a helpdesk only
    where its credential may claim it)."""
    payload: dict[str, Any] = {
        "source": "other",
        "ticket_id": "T-1",
        "message_id": "m-1",
        "author_role": "customer",
        "text": "I'm still waiting for my refund, third time I'm writing. This is unacceptable.",
        "created_at": T0.isoformat(),
        "subject": "Refund",
        "priority": "high",
        "tags": ["refund"],
        "product_area": "billing",
        "customer_tier": "enterprise",
        "requester_locale": "en-GB",
        "ticket_url": "https://example.zendesk.com/agent/tickets/1",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def queued(*, origin: Origin | None = None, **overrides: Any) -> QueuedEvent:
    """A queued event, by default a Zendesk message from Zendesk's own verified webhook route (write-back's
    precondition)."""
    event = TicketEvent.model_validate(event_payload(**{"source": "zendesk", **overrides}))
    route = origin or (Origin.of_webhook(event.source.value) if event.source != Source.OTHER else Origin.EVENTS)
    return QueuedEvent(event_id=event.event_id, received_at=T0, event=event, origin=route)


def ref(ticket_id: str, source: str = "zendesk", brand: str | None = None) -> TicketRef:
    """The fixtures' ticket identity: event_payload's source (zendesk) unless said otherwise."""
    return TicketRef.of(source, ticket_id, brand)


def api_event(
    body: str | None,
    *,
    method: str = "POST",
    path: str = "/v1/events",
    path_parameters: dict[str, str] | None = None,
    base64: bool = False,
) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": base64,
        "requestContext": {
            "requestId": "req-1",
            "stage": "v1",
            "httpMethod": method,
            "path": path,
            "resourcePath": path,
            "identity": {"sourceIp": "127.0.0.1"},
        },
    }


def sqs_event(bodies: Sequence[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"sqs-{i}",
                "receiptHandle": f"rh-{i}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "0",
                    "SenderId": "x",
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(response["body"])
    assert isinstance(data, dict)
    return data


@dataclass
class FakeQueue:
    sent: list[QueuedEvent] = field(default_factory=list)
    fail: bool = False

    def send(self, event: QueuedEvent) -> None:
        if self.fail:
            raise ConnectionError("queue down")
        self.sent.append(event)


@dataclass
class FakePublisher:
    alerts: list[Alert] = field(default_factory=list)

    def publish(self, alert: Alert) -> None:
        self.alerts.append(alert)


class KeywordScorer:
    """Deterministic stand-in for the ONNX model: 'angry' words make a strong negative."""

    NEGATIVE = ("unacceptable", "angry", "furious", "worst", "cancelling")

    def __init__(self) -> None:
        self.seen: list[str] = []

    def score_prepared(
        self,
        texts: Sequence[str],
        languages: Sequence[str] | None = None,
    ) -> list[SentimentResult]:
        self.seen.extend(texts)
        out = []
        for i, text in enumerate(texts):
            negative = any(w in text.lower() for w in self.NEGATIVE)
            positive = "thank" in text.lower()
            score = -0.9 if negative else 0.8 if positive else 0.0
            out.append(
                SentimentResult(
                    label="negative" if negative else "positive" if positive else "neutral",
                    score=score,
                    level="very_negative" if negative else "positive" if positive else "neutral",
                    intensity=abs(score),
                    confidence=0.9,
                    probabilities={},
                    low_signal=len(text.split()) < 2,
                    emotions=[EmotionScore(name="anger", probability=0.8)] if negative else [],
                    language=languages[i] if languages else "en",
                    windows=1,
                    model_version="fake-1",
                )
            )
        return out


@dataclass
class _Ticket:
    view: TicketView | None  # None: the item holds only an agent's reply (and maybe an alert claim), no score yet
    escalation_state: EscalationState = EscalationState.NONE
    last_alert_at: datetime | None = None
    last_alert_rule: str | None = None
    last_alert_message: str | None = None


class FakeStore:
    """Same conditional semantics as the DynamoDB adapter, in memory; keyed, like it, by the ticket's canonical
    key (`TicketRef.key`)."""

    def __init__(self) -> None:
        self.messages: dict[tuple[str, str], tuple[StoredMessage, bool]] = {}
        self.texts: dict[tuple[str, str], str] = {}
        self.claimed_at: dict[tuple[str, str], datetime] = {}
        self.requesters: dict[str, str] = {}  # ticket id -> requester hash
        self.tickets: dict[str, _Ticket] = {}
        self.agent_replies: dict[str, datetime] = {}
        self.outcomes: dict[str, OutcomeClaim] = {}  # delivery id -> its claimed outcome
        self.receipts: list[ErasureReceipt] = []

    def message_status(self, ticket: TicketRef, message_id: str) -> PutStatus | None:
        item = self.messages.get((ticket.key, message_id))
        return None if item is None else PutStatus.DONE if item[1] else PutStatus.PENDING

    def put_message(
        self,
        ticket: TicketRef,
        message: StoredMessage,
        redacted_text: str | None,
        expires_at: datetime | None,
        *,
        now: datetime,
        lease_seconds: int,
    ) -> PutStatus:
        key = (ticket.key, message.message_id)
        existing = self.messages.get(key)
        if existing is not None:
            if existing[1]:
                return PutStatus.DONE
            if self.claimed_at[key] >= now - timedelta(seconds=lease_seconds):
                return PutStatus.IN_FLIGHT
            self.claimed_at[key] = now
            return PutStatus.PENDING
        self.messages[key] = (message, False)
        self.claimed_at[key] = now
        if redacted_text is not None:
            self.texts[key] = redacted_text
        return PutStatus.NEW

    def list_messages(self, ticket: TicketRef) -> list[StoredMessage]:
        return [m for (t, _), (m, _) in self.messages.items() if t == ticket.key]

    def save_ticket(self, view: TicketView, *, refresh_meta: bool, requester_hash: str | None = None) -> bool:
        if requester_hash is not None:
            self.requesters[view.ref.key] = requester_hash
        old = self.tickets.get(view.ref.key)
        held = None if old is None else old.view
        if held is not None and held.message_count > view.message_count:
            return False
        if held is not None and not refresh_meta:
            view = view.model_copy(
                update={
                    k: getattr(held, k)
                    for k in ("source", "subject", "ticket_url", "product_area", "priority", "customer_tier")
                }
            )
        if held is not None and held.origin is not None:
            view = view.model_copy(update={"origin": held.origin})  # the first message's route is kept
        if old is None:
            self.tickets[view.ref.key] = _Ticket(view)
        else:
            old.view = view
        return True

    def claim_alert(
        self,
        ticket: TicketRef,
        message_id: str,
        *,
        rule: str,
        state: EscalationState,
        now: datetime,
        cooldown_minutes: int,
    ) -> bool:
        t = self.tickets.get(ticket.key)
        if t is None and ticket.key in self.agent_replies:
            # The adapter's ticket item exists once an agent replied: the claim lands on it.
            t = self.tickets[ticket.key] = _Ticket(None)
        if t is None:
            return False  # like the adapter's attribute_exists(PK): no ticket item, no claim
        cutoff = now - timedelta(minutes=cooldown_minutes)
        if t.last_alert_at is not None and t.last_alert_at >= cutoff and t.last_alert_message != message_id:
            return False
        t.escalation_state, t.last_alert_at, t.last_alert_rule, t.last_alert_message = state, now, rule, message_id
        return True

    def mark_done(self, ticket: TicketRef, message_id: str, claim: OutcomeClaim | None = None) -> bool:
        message, _ = self.messages[(ticket.key, message_id)]
        if claim is not None and claim.delivery_id in self.outcomes:
            # The adapter's transaction is cancelled whenever the claim item exists, so nothing is written; it
            # answers True only when the stored claim is this very one (an SDK retry of a write that succeeded).
            return self.outcomes[claim.delivery_id].token == claim.token
        if claim is not None:
            self.outcomes[claim.delivery_id] = claim
        self.messages[(ticket.key, message_id)] = (message, True)
        return True

    def delivery_outcome(self, delivery_id: str) -> Outcome | None:
        held = self.outcomes.get(delivery_id)
        return None if held is None else held.outcome

    def claim_outcome(self, claim: OutcomeClaim) -> bool:
        return self.outcomes.setdefault(claim.delivery_id, claim).token == claim.token

    def get_ticket(self, ticket: TicketRef) -> TicketView | None:
        t = self.tickets.get(ticket.key)
        if t is None or t.view is None:
            return None  # only an agent's reply so far, as in the adapter
        return t.view.model_copy(
            update={
                "escalation_state": t.escalation_state,
                "last_alert_at": t.last_alert_at,
                "last_alert_rule": t.last_alert_rule,
                "first_agent_reply_at": self.agent_replies.get(ticket.key),
            }
        )

    def erase_ticket(self, ticket: TicketRef) -> ErasureCounts:
        """Reviews live in their own store in the fakes: none are counted here."""
        messages = [k for k in self.messages if k[0] == ticket.key]
        texts = [k for k in self.texts if k[0] == ticket.key]
        for key in messages:
            del self.messages[key]
            self.claimed_at.pop(key, None)
        for key in texts:
            del self.texts[key]
        items = int(
            self.tickets.pop(ticket.key, None) is not None or self.agent_replies.pop(ticket.key, None) is not None
        )
        self.agent_replies.pop(ticket.key, None)
        self.requesters.pop(ticket.key, None)
        return ErasureCounts(ticket=items, message=len(messages), text=len(texts))

    def record_erasure(self, receipt: ErasureReceipt) -> None:
        self.receipts.append(receipt)

    def tickets_of_requester(self, requester_hash: str) -> list[TicketRef]:
        held = (k for k, h in self.requesters.items() if h == requester_hash and k in self.tickets)
        return [TicketRef.parse(k) for k in sorted(held)]

    def drop_message(self, ticket: TicketRef, message_id: str) -> ErasureCounts:
        message = self.messages.pop((ticket.key, message_id), None)
        self.claimed_at.pop((ticket.key, message_id), None)
        text = self.texts.pop((ticket.key, message_id), None)
        return ErasureCounts(message=int(message is not None), text=int(text is not None))

    def restate_ticket(self, view: TicketView) -> bool:
        held = self.tickets.get(view.ref.key)
        if held is None or held.view is None:
            return False
        meta = ("source", "brand", "origin", "subject", "ticket_url", "product_area", "priority", "customer_tier")
        held.view = view.model_copy(update={k: getattr(held.view, k) for k in meta})
        return True

    def record_agent_reply(self, ticket: TicketRef, at: datetime) -> bool:
        if ticket.key not in self.agent_replies or at < self.agent_replies[ticket.key]:
            self.agent_replies[ticket.key] = at
            return True
        return False


# --- Human review of escalations ---
from ticket_sentiment.review.models import Review  # noqa: E402 - appended section, kept apart from the above


class FakeReviewStore:
    """Same semantics as DynamoReviewStore: one verdict per alert (the latest review time wins), the first review
    time kept, the ticket stamped with its latest verdict."""

    def __init__(self) -> None:
        self.reviews: dict[tuple[str, str], Review] = {}
        self.ticket_verdicts: dict[str, Review] = {}
        self.fail = False

    def record(self, review: Review) -> Review:
        if self.fail:
            raise ConnectionError("table down")
        held = self.reviews.get(review.key)
        if held is not None and held.reviewed_at > review.reviewed_at:
            return held
        first = held.first_reviewed_at if held is not None and held.first_reviewed_at else review.reviewed_at
        stored = review.model_copy(update={"first_reviewed_at": first})
        self.reviews[review.key] = stored
        latest = self.ticket_verdicts.get(review.ticket_id)
        if latest is None or latest.reviewed_at <= review.reviewed_at:
            self.ticket_verdicts[review.ticket_id] = stored
        return stored

    def reviews_since(self, since: datetime) -> list[Review]:
        return sorted((r for r in self.reviews.values() if r.reviewed_at >= since), key=lambda r: r.reviewed_at)


@dataclass
class FakeSlackResponder:
    fail: bool = False
    posted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def post(self, url: str, message: dict[str, Any]) -> None:
        if self.fail:
            raise ConnectionError("slack unreachable")
        self.posted.append((url, message))
