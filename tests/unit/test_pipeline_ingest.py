"""POST /v1/events: validation, limits and enqueueing, with a fake queue; and what reaches SQS (moto, in
process) from /v1/events and a signed Zendesk webhook: redacted text and counts, never a raw value."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws
from ticket_sentiment.adapters.aws.sqs import SqsEventQueue
from ticket_sentiment.events import MAX_BODY_BYTES, QueuedEvent, TicketEvent
from ticket_sentiment.handlers.ingest import build_app
from ticket_sentiment.pipeline.rules import DEFAULT_RULES
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.textprep import CUT_MARK, MODEL_TEXT_CHARS

from .helpdesk_support import NOW, SECRETS, fixture, zendesk_headers
from .pipeline_fakes import T0, FakePublisher, FakeQueue, FakeStore, KeywordScorer, api_event, body_of, event_payload
from .test_pipeline_protection import BODY_COUNTS, EMAIL, PII_TEXT, assert_no_raw_value


def call(queue: FakeQueue, body: str | None, **kwargs: Any) -> dict[str, Any]:
    app = build_app(lambda: queue, clock=lambda: T0 + timedelta(minutes=5))  # the fixtures' time: within the window
    response: dict[str, Any] = app.resolve(api_event(body, **kwargs), None)  # type: ignore[arg-type]
    return response


def test_valid_event_is_enqueued_and_answered_202() -> None:
    queue = FakeQueue()
    response = call(queue, json.dumps(event_payload()))
    assert response["statusCode"] == 202
    event_id = body_of(response)["event_id"]
    assert [q.event_id for q in queue.sent] == [event_id]
    assert queue.sent[0].event.ticket_id == "T-1"


def test_html_body_and_base64_encoding_are_accepted() -> None:
    queue = FakeQueue()
    payload = event_payload(text=None, html="<p>It <b>still</b> fails</p>")
    raw = base64.b64encode(json.dumps(payload).encode()).decode()
    response = call(queue, raw, base64=True)
    assert response["statusCode"] == 202
    queued = queue.sent[0].event  # prepared at ingest: the visible text, one line per block (see protection)
    assert queued.html is None
    assert queued.text is not None
    assert queued.text.split() == ["It", "still", "fails"]


def test_event_id_is_deterministic_for_the_same_message() -> None:
    a = TicketEvent.model_validate(event_payload())
    b = TicketEvent.model_validate(event_payload(text="edited text"))
    c = TicketEvent.model_validate(event_payload(message_id="m-2"))
    assert a.event_id == b.event_id != c.event_id


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "body is not valid JSON"),
        ("[1, 2]", "body must be a JSON object"),
        ("", "body is not valid JSON"),
        (None, "body is not valid JSON"),
        ('"text"', "body must be a JSON object"),
    ],
)
def test_malformed_bodies_answer_400(body: str | None, reason: str) -> None:
    queue = FakeQueue()
    response = call(queue, body)
    assert response["statusCode"] == 400
    assert body_of(response)["error"] == reason
    assert queue.sent == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ticket_id": None}, "ticket_id"),
        ({"ticket_id": 123}, "ticket_id"),
        ({"author_role": "robot"}, "author_role"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"created_at": "2026-03-02T09:00:00"}, "created_at"),  # naive timestamps are ambiguous
        ({"priority": "p1"}, "priority"),
        ({"tags": "refund"}, "tags"),
        ({"ticket_url": "not a url"}, "ticket_url"),
        ({"surprise": 1}, "surprise"),
        ({"ticket_id": "a b"}, "ticket_id"),
    ],
)
def test_invalid_fields_answer_400_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    payload = event_payload()
    for key, value in overrides.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value
    response = call(FakeQueue(), json.dumps(payload))
    assert response["statusCode"] == 400
    body = body_of(response)
    assert body["error"] == "invalid ticket event"
    assert field in {d["field"] for d in body["details"]}


def test_text_and_html_are_mutually_exclusive() -> None:
    for payload in (event_payload(html="<p>x</p>"), event_payload(text=None)):
        response = call(FakeQueue(), json.dumps(payload))
        assert response["statusCode"] == 400
        assert "exactly one of text or html" in json.dumps(body_of(response))


def test_validation_errors_never_echo_the_input() -> None:
    secret = "anna.smith@example.com"
    response = call(FakeQueue(), json.dumps(event_payload(priority=secret)))
    assert response["statusCode"] == 400
    assert secret not in response["body"]


def test_oversized_body_answers_413() -> None:
    payload = event_payload(text="a" * (MAX_BODY_BYTES + 10))
    response = call(FakeQueue(), json.dumps(payload))
    assert response["statusCode"] == 413
    assert str(MAX_BODY_BYTES) in body_of(response)["error"]


def test_queue_failure_answers_503_not_500() -> None:
    response = call(FakeQueue(fail=True), json.dumps(event_payload()))
    assert response["statusCode"] == 503


def test_unknown_route_answers_404() -> None:
    response = call(FakeQueue(), "{}", path="/v1/nope")
    assert response["statusCode"] == 404


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=20,
)
field_values = st.sampled_from(sorted(event_payload())).flatmap(lambda key: st.tuples(st.just(key), json_values))


@settings(max_examples=150, deadline=None)
@given(st.lists(field_values, max_size=4), st.binary(max_size=40))
def test_no_body_ever_gets_a_5xx(mutations: list[tuple[str, Any]], junk: bytes) -> None:
    payload = event_payload()
    for key, value in mutations:
        payload[key] = value
    for body in (json.dumps(payload), junk.decode("latin-1")):
        status = call(FakeQueue(), body)["statusCode"]
        assert status in {202, 400, 413}


def test_local_serve_curl_example_is_a_valid_event_that_pastes_in_a_shell() -> None:
    import json
    import shlex

    from ticket_sentiment.events import TicketEvent
    from ticket_sentiment_tools.local_stack import curl_examples

    post = next(line for line in curl_examples("http://127.0.0.1:8787").splitlines() if "-X POST" in line)
    args = shlex.split(post)
    TicketEvent.model_validate(json.loads(args[args.index("-d") + 1]))


# --- what reaches SQS: the real message body, read back from moto ---------------------------------------------


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")  # moto's fixed test credentials, not a secret
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")
        yield client, client.create_queue(QueueName="events")["QueueUrl"]


def received(sqs: tuple[Any, str]) -> list[dict[str, Any]]:
    client, url = sqs
    messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return list(messages.get("Messages", []))


def sqs_app(sqs: tuple[Any, str]) -> Any:
    client, url = sqs
    return build_app(lambda: SqsEventQueue(url, client), clock=lambda: NOW, helpdesk_secret=SECRETS.get)


def test_a_posted_event_full_of_personal_data_reaches_sqs_without_a_raw_value(sqs: tuple[Any, str]) -> None:
    payload = event_payload(
        text=PII_TEXT, subject=f"Charged twice - {EMAIL}", tags=["refund", EMAIL], created_at=NOW.isoformat()
    )  # sqs_app's clock: within the created_at window
    response = sqs_app(sqs).resolve(api_event(json.dumps(payload)), None)
    assert response["statusCode"] == 202
    [message] = received(sqs)
    assert_no_raw_value(json.dumps(message))  # body and attributes, as SQS holds them
    queued = QueuedEvent.model_validate_json(message["Body"])
    assert queued.event_id == body_of(response)["event_id"]
    assert queued.redaction is not None
    assert queued.redaction.pii_entities == {**BODY_COUNTS, "EMAIL": 2}
    assert queued.event.subject == "Charged twice - [EMAIL]"
    assert queued.event.tags == ["refund"]
    # The scorer's second pass finds nothing new: the metrics count each entity once.
    scorer = KeywordScorer()
    result = ScoringService(FakeStore(), FakePublisher(), scorer, DEFAULT_RULES, clock=lambda: T0).process(queued)
    assert result.pii_entities == queued.redaction.pii_entities
    assert_no_raw_value(scorer.seen[0])


def test_a_signed_zendesk_delivery_full_of_personal_data_reaches_sqs_without_a_raw_value(sqs: tuple[Any, str]) -> None:
    delivery = json.loads(fixture("zendesk_comment_created.json"))
    delivery["ticket"]["title"] = f"Refund for {EMAIL}"
    html = "".join(f"<p>{line}</p>" for line in PII_TEXT.split("\n") if line)
    delivery["comment"]["html"] = f"<div>{html}<blockquote>On Monday Anna Kowalski wrote: hello</blockquote></div>"
    raw = json.dumps(delivery).encode()
    request = api_event(raw.decode(), path="/v1/webhooks/zendesk", path_parameters={"platform": "zendesk"})
    request["resource"] = "/v1/webhooks/{platform}"
    request["headers"] = zendesk_headers(raw)
    response = sqs_app(sqs).resolve(request, None)
    assert response["statusCode"] == 202, response["body"]
    [message] = received(sqs)
    assert_no_raw_value(json.dumps(message))
    queued = QueuedEvent.model_validate_json(message["Body"])
    assert queued.event.source == "zendesk"
    assert queued.event.html is None
    assert queued.redaction is not None
    assert queued.redaction.pii_entities == {**BODY_COUNTS, "EMAIL": 2}
    assert "hello" not in (queued.event.text or "")  # the quoted reply went at ingest
    assert queued.event.subject == "Refund for [EMAIL]"


def test_a_long_posted_body_is_queued_capped_and_flagged(sqs: tuple[Any, str]) -> None:
    body = "The export fails again and again. " * 2_500 + "Please refund me, call +44 20 7946 0958."
    response = sqs_app(sqs).resolve(api_event(json.dumps(event_payload(text=body, created_at=NOW.isoformat()))), None)
    assert response["statusCode"] == 202
    [message] = received(sqs)
    queued = QueuedEvent.model_validate_json(message["Body"])
    text = queued.event.text or ""
    assert queued.redaction is not None
    assert queued.redaction.truncated
    assert len(text) <= MODEL_TEXT_CHARS
    assert CUT_MARK in text
    assert text.endswith("call [PHONE].")
    assert len(message["Body"]) < MODEL_TEXT_CHARS + 2_000  # the queue no longer carries the whole body
