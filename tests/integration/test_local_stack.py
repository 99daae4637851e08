"""The local stack over HTTP: the API on localhost, SQS polled into score, SNS alerts delivered to notify."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import ANY, Stubber
from ticket_sentiment.adapters.aws.comprehend import ComprehendScorer
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.handlers.observability import logger
from ticket_sentiment.pipeline.routing import RoutingScorer, ScorerMode
from ticket_sentiment_tools.local_stack import LocalComprehend, LocalRuntime, LocalStack, http, local_scorer, run_demo

from ..unit.pipeline_fakes import FIXTURE_WINDOW, event_payload
from .slack_sink import SlackSink
from .test_score_pipeline import ANGRY, RULES

GERMAN = "Ich warte seit zwei Wochen auf meine Rückerstattung, das ist wirklich ärgerlich und inakzeptabel."


@pytest.fixture
def sink() -> Iterator[SlackSink]:
    sink = SlackSink()
    yield sink
    sink.close()


def test_http_stack_comprehend_throttling_and_slack_500s(
    stack: LocalStack, sink: SlackSink, scorer: OnnxSentimentScorer
) -> None:
    client = boto3.client("comprehend", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error("batch_detect_sentiment", "ThrottlingException", http_status_code=400)
    stubber.add_response(
        "batch_detect_sentiment",
        {
            "ResultList": [
                {
                    "Index": 0,
                    "Sentiment": "NEGATIVE",
                    "SentimentScore": {"Positive": 0.01, "Negative": 0.95, "Neutral": 0.03, "Mixed": 0.01},
                }
            ],
            "ErrorList": [],
        },
        {"TextList": ANY, "LanguageCode": "de"},
    )
    comprehend = ComprehendScorer(client, base_wait=0.001, max_wait=0.002)
    routed = RoutingScorer(ScorerMode.AUTO, lambda: scorer, lambda: comprehend)
    sink.statuses = [500, 500]  # the first alert needs two retries
    runtime = LocalRuntime(stack, routed, RULES, sink.url, window=FIXTURE_WINDOW)
    ingest, read = runtime.key("ingest"), runtime.key("read")
    try:
        with stubber:
            events = f"{runtime.url}/v1/events"
            accepted = [
                http("POST", events, event_payload(ticket_id="T-de", text=GERMAN), headers=ingest),
                http("POST", events, event_payload(ticket_id="T-en", text=ANGRY), headers=ingest),
                http("POST", events, event_payload(ticket_id="T-en", text=ANGRY), headers=ingest),
            ]
            assert [status for status, _ in accepted] == [202, 202, 202]
            assert http("POST", f"{runtime.url}/v1/events", raw=b"{", headers=ingest)[0] == 400
            assert http("POST", f"{runtime.url}/v1/events", raw=b"x" * 300_000, headers=ingest)[0] == 413
            runtime.drain()
            stubber.assert_no_pending_responses()
        status, german = http("GET", f"{runtime.url}/v1/tickets/T-de?source=other", headers=read)
        assert status == 200
        assert german["ticket"]["current"]["scorer"] == "comprehend"
        assert german["ticket"]["current"]["language"] == "de"
        assert german["ticket"]["current"]["label"] == "negative"
        status, english = http("GET", f"{runtime.url}/v1/tickets/T-en?source=other", headers=read)
        assert status == 200
        assert english["ticket"]["current"]["scorer"] == "onnx"
        assert http("GET", f"{runtime.url}/v1/tickets/nope?source=other", headers=read)[0] == 404
        assert http("GET", f"{runtime.url}/v1/tickets/T-en?source=zendesk", headers=read)[0] == 404  # not its source
        # Every accepted event ends processed (scored or a duplicate) or in a DLQ.
        outcomes = runtime.processor.outcomes
        assert runtime.accepted == 3 == outcomes["scored"] + outcomes["duplicate"] + runtime.dlq_count()
        assert outcomes["duplicate"] == 1
        assert runtime.notified["delivered"] == 2
        assert len(sink.received) == 2
        assert sink.attempts == 4
        assert all("7946" not in json.dumps(m) for m in sink.received)
    finally:
        runtime.close()


def test_local_demo_runs_end_to_end(scorer: OnnxSentimentScorer) -> None:
    lines: list[str] = []
    routed = RoutingScorer(ScorerMode.AUTO, lambda: scorer, lambda: ComprehendScorer(LocalComprehend()))
    assert run_demo(lines.append, scorer=routed) == 0
    output = "".join(lines)
    assert output.count("---- Slack message ----") >= 3
    assert "demo-thread" in output
    assert "worsening" in output
    assert "Zendesk webhook: signed delivery 202, forged signature 401" in output
    assert "accepted 23: scored 21, agent messages skipped 1, duplicates 1; events DLQ 1" in output
    # The escalated twins page someone; the calm delivery request does not.
    assert "a producer naming source zendesk without may_claim: 403, nothing enqueued" in output
    assert "Ticket other:demo-delivery-escalated\n" in output
    assert "Ticket other:demo-billing-escalated\n" in output
    assert "Ticket other:demo-delivery\n" not in output


def test_each_api_key_opens_only_its_own_routes_on_the_local_stack(
    stack: LocalStack, sink: SlackSink, scorer: OnnxSentimentScorer
) -> None:
    """The attack: the ingest key (configured in every helpdesk's trigger) enumerates tickets by sequential id.
    The local stack enforces the route table the template is built from: it answers 403, as API Gateway does."""
    runtime = LocalRuntime(stack, scorer, RULES, sink.url, window=FIXTURE_WINDOW)
    ingest, read = runtime.key("ingest"), runtime.key("read")
    try:
        assert http("POST", f"{runtime.url}/v1/events", event_payload(ticket_id="T-k"), headers=ingest)[0] == 202
        runtime.drain()
        assert http("GET", f"{runtime.url}/v1/tickets/T-k?source=other", headers=read)[0] == 200
        for headers in (ingest, {}, {"x-api-key": "guess"}):
            assert http("GET", f"{runtime.url}/v1/tickets/T-k?source=other", headers=headers) == (
                403,
                {"error": "Forbidden"},
            )
            assert (
                http("POST", f"{runtime.url}/v1/tickets/T-k/review", {"verdict": "correct"}, headers=headers)[0] == 403
            )
        for headers in (read, {}):  # and the read key cannot inject events
            assert http("POST", f"{runtime.url}/v1/events", event_payload(ticket_id="T-r"), headers=headers)[0] == 403
        assert runtime.stack.queue_depth(runtime.stack.res.events_queue_url) == 0
    finally:
        runtime.close()


def test_locally_a_language_the_model_does_not_cover_gets_no_invented_label(
    scorer: OnnxSentimentScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`local` has no Comprehend (moto has no sentiment API): a Spanish complaint routed where the stack would call
    it is marked needs_fallback with confidence 0, not given Comprehend's stand-in NEUTRAL at confidence 1.0."""
    # local_scorer quiets the process for the CLI (metrics off, WARNING logs): kept inside this test, since later
    # tests count the EMF metrics and read the logs
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setattr(logger, "setLevel", lambda level: None)
    lines: list[str] = []
    routed = local_scorer(lines.append, scorer, "auto")
    spanish = "Llevo dos semanas esperando el reembolso y nadie me contesta. Es inaceptable."
    complaint, english = routed.score_prepared([spanish, "The app keeps crashing, please fix it."], ["es", "en"])
    assert (complaint.needs_fallback, complaint.confidence, complaint.scorer) == (True, 0.0, "none")
    assert (english.needs_fallback, english.label, english.scorer) == (False, "negative", "onnx")
    assert "no label, marked needs_fallback" in "".join(lines)
