"""The EventQueue and AlertPublisher contracts, run against the fakes and SQS/SNS on moto."""

from __future__ import annotations

from datetime import timedelta

from ticket_sentiment.events import Alert, IngestRedaction
from ticket_sentiment.models import EmotionScore

from ..unit.pipeline_fakes import T0, queued
from .conftest import PublisherUnderTest, QueueUnderTest


def test_the_consumer_receives_the_event_sent(queue: QueueUnderTest) -> None:
    event = queued(ticket_id="T-7", message_id="m-3", text="Ça ne marche pas 🙁", ticket_url=None, tags=[])
    queue.queue.send(event)
    assert queue.received() == [event]


def test_every_field_of_a_queued_event_survives_the_queue(queue: QueueUnderTest) -> None:
    redacted = queued(text=None, html="<p>[EMAIL] says <b>hi</b></p>").model_copy(
        update={
            "received_at": T0 + timedelta(microseconds=123),
            "redaction": IngestRedaction(pii_entities={"EMAIL": 1}, truncated=True),
        }
    )
    plain = queued(message_id="m-2", priority="low", customer_tier="free", product_area=None)
    queue.queue.send(redacted)
    queue.queue.send(plain)
    received = sorted(queue.received(), key=lambda e: e.event.message_id)
    assert received == [redacted, plain]


def alert(**overrides: object) -> Alert:
    data: dict[str, object] = {
        "alert_id": "e1:angry",
        "event_id": "e1",
        "ticket_id": "T-1",
        "source": "zendesk",
        "subject": "Refund <late>",
        "ticket_url": "https://example.zendesk.com/agent/tickets/1",
        "label": "negative",
        "level": "very_negative",
        "score": -0.82,
        "intensity": 0.77,
        "thread_score": -0.5,
        "emotions": [EmotionScore(name="anger", probability=0.81)],
        "excerpt": "Hi [NAME], still waiting for my refund & it's been 3 weeks",
        "rule": "angry",
        "customer_tier": "enterprise",
        "priority": "high",
        "product_area": "billing",
        "scorer": "onnx",
        "created_at": T0,
    }
    return Alert.model_validate(data | overrides)


def test_a_published_alert_reaches_the_subscriber(publisher: PublisherUnderTest) -> None:
    published = alert()
    publisher.publisher.publish(published)
    assert publisher.received() == [published]


def test_an_alert_with_absent_fields_reaches_the_subscriber_unchanged(publisher: PublisherUnderTest) -> None:
    sparse = alert(ticket_url=None, thread_score=None, product_area=None, emotions=[], excerpt="")
    publisher.publisher.publish(sparse)
    assert publisher.received() == [sparse]
