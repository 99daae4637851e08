"""Contract suites: each port's fixture is parametrised over the in-memory fake and the moto-backed adapter, so
the same test functions hold both to the port's promises (the adapter is the reference: a disagreement is a bug
in the fake)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.sns import SnsAlertPublisher
from ticket_sentiment.events import Alert, QueuedEvent
from ticket_sentiment.ports import AlertPublisher, EventQueue, TicketAdminStore
from ticket_sentiment_tools.local_stack import LocalStack

from ..unit.pipeline_fakes import FakePublisher, FakeQueue, FakeStore

IMPLEMENTATIONS = ["fake", "moto"]
_ids = itertools.count()


def _stack(endpoint: str) -> LocalStack:
    stack = LocalStack(endpoint, prefix=f"c{next(_ids)}")
    stack.provision()
    return stack


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def moto_stack(moto_endpoint: str) -> LocalStack:
    """A freshly provisioned local stack, for what only the adapter has (the fakes keep no such item)."""
    return _stack(moto_endpoint)


@pytest.fixture
def stack(impl: str, request: pytest.FixtureRequest) -> LocalStack | None:
    """A freshly provisioned local stack for the moto runs, None for the fakes (no server started)."""
    if impl != "moto":
        return None
    return _stack(request.getfixturevalue("moto_endpoint"))


@pytest.fixture
def store(stack: LocalStack | None) -> TicketAdminStore:
    return FakeStore() if stack is None else stack.store()


@dataclass
class QueueUnderTest:
    queue: EventQueue
    received: Callable[[], list[QueuedEvent]]  # what the consumer gets: everything sent so far, drained


@dataclass
class PublisherUnderTest:
    publisher: AlertPublisher
    received: Callable[[], list[Alert]]  # what a subscriber gets: everything published so far, drained


def _drain(stack: LocalStack, queue_url: str) -> list[dict[str, Any]]:
    sqs = stack.client("sqs")
    out: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return out
        for m in messages:
            out.append(m)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def queue(stack: LocalStack | None) -> QueueUnderTest:
    if stack is None:
        fake = FakeQueue()

        def fake_received() -> list[QueuedEvent]:
            out, fake.sent = fake.sent, []
            return out

        return QueueUnderTest(fake, fake_received)
    url = stack.res.events_queue_url
    # The consumer (the score handler) parses each SQS body as a QueuedEvent.
    return QueueUnderTest(
        stack.event_queue(), lambda: [QueuedEvent.model_validate_json(m["Body"]) for m in _drain(stack, url)]
    )


@pytest.fixture
def publisher(stack: LocalStack | None) -> PublisherUnderTest:
    if stack is None:
        fake = FakePublisher()

        def fake_received() -> list[Alert]:
            out, fake.alerts = fake.alerts, []
            return out

        return PublisherUnderTest(fake, fake_received)
    sns = SnsAlertPublisher(stack.res.alerts_topic_arn, stack.client("sns"))
    url = stack.res.alerts_delivery_url  # an SQS queue subscribed to the topic, as the notifier is
    return PublisherUnderTest(
        sns,
        lambda: [Alert.model_validate_json(json.loads(m["Body"])["Message"]) for m in _drain(stack, url)],
    )
