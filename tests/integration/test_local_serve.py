"""`local --serve` as a person uses it: the review route answers, the curl samples are dated now, the banner says
what to export for the CLI, and the handlers' EMF metrics go to a sink (a file, --verbose) instead of flooding
stdout after 100 events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment_tools.local_stack import (
    LocalRuntime,
    LocalStack,
    cli_environment,
    curl_examples,
    drain_metrics,
    http,
)

from ..unit.pipeline_fakes import event_payload
from .test_score_pipeline import ANGRY, RULES


def test_the_review_route_answers_locally(stack: LocalStack, scorer: OnnxSentimentScorer) -> None:
    runtime = LocalRuntime(stack, scorer, RULES, "http://127.0.0.1:9/slack")
    try:
        posted = http(
            "POST",
            f"{runtime.url}/v1/events",
            event_payload(ticket_id="T-r", text=ANGRY, created_at=datetime.now(UTC).isoformat()),
            headers=runtime.key("ingest"),
        )
        assert posted[0] == 202, posted
        runtime.drain()
        status, body = http(
            "POST",
            f"{runtime.url}/v1/tickets/T-r/review?source=other",
            {"verdict": "right_call"},
            headers=runtime.key("read"),
        )
        assert status == 400
        assert body["error"] == "invalid review"  # the review handler, not a missing route
        status, body = http(
            "POST",
            f"{runtime.url}/v1/tickets/T-none/review?source=other",
            {"alert_id": "a:b", "verdict": "right_call", "reviewer": "lead"},
            headers=runtime.key("read"),
        )
        assert status in (400, 404)
        assert "Not found" not in json.dumps(body)
        read = http("GET", f"{runtime.url}/v1/tickets/T-r?source=other", headers=runtime.key("read"))
        assert read[0] == 200  # GET still goes to the query function
    finally:
        runtime.close()


def test_curl_samples_are_dated_now_and_the_banner_says_what_to_export(stack: LocalStack) -> None:
    now = datetime.now(UTC)
    sample = curl_examples("http://127.0.0.1:8787", now=now)
    event = json.loads(sample.split("-d '", 1)[1].split("'", 1)[0])
    assert abs(datetime.fromisoformat(event["created_at"]) - now) < timedelta(seconds=2)
    banner = cli_environment(stack)
    assert f"TABLE_NAME={stack.res.table_name}" in banner
    assert f"AWS_ENDPOINT_URL={stack.endpoint_url}" in banner
    assert "AWS_REGION=us-east-1" in banner
    assert "AWS_ACCESS_KEY_ID=testing" in banner


def test_metrics_go_to_the_sink_and_never_flood_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []
    drain_metrics(None)
    for i in range(250):  # Powertools prints the set itself at 100 metrics unless something drains it
        metrics.add_metric(name=f"LocalTest{i % 120}", unit="Count", value=1)
        if i % 50 == 49:
            drain_metrics(lines.append)
    assert capsys.readouterr().out == ""
    assert len(lines) == 5
    assert all(json.loads(line)["_aws"]["CloudWatchMetrics"] for line in lines)
    metrics.add_metric(name="LocalTestDropped", unit="Count", value=1)
    drain_metrics(None)
    assert not metrics.metric_set


def test_concurrent_workers_process_every_event_once(stack: LocalStack, scorer: OnnxSentimentScorer) -> None:
    """`--serve` polls with several workers (as Lambda runs several containers): each event has one outcome."""
    import time

    runtime = LocalRuntime(stack, scorer, RULES, "http://127.0.0.1:9/slack")
    try:
        runtime.run_workers(workers=3, interval=0.05)
        now = datetime.now(UTC)
        for i in range(30):
            payload = event_payload(
                ticket_id=f"T-w{i % 6}",
                message_id=f"m-{i}",
                text=ANGRY,
                created_at=(now - timedelta(minutes=i)).isoformat(),
            )
            assert http("POST", f"{runtime.url}/v1/events", payload, headers=runtime.key("ingest"))[0] == 202
        deadline = time.monotonic() + 120
        while runtime.processed() < 30 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(runtime._workers) == 3
    finally:
        runtime.close()
    assert runtime.processor.outcomes["scored"] == 30
    assert runtime.processed() == 30
    assert stack.queue_depth(stack.res.events_queue_url) == 0
    assert stack.queue_depth(stack.res.events_dlq_url) == 0


def test_workers_load_the_language_identifier_once_before_they_poll(
    stack: LocalStack, scorer: OnnxSentimentScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pollers share one process: the langid model is loaded once when they start, not by each worker at its
    first batch (they all missed the cache at once), and every message is still scored."""
    import time

    from py3langid.langid import LanguageIdentifier
    from ticket_sentiment import language

    loads: list[str] = []
    from_model_file = LanguageIdentifier.from_model_file

    def counting(*args: object, **kwargs: object) -> LanguageIdentifier:
        loads.append("load")
        return from_model_file(*args, **kwargs)

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", counting)
    language._identifier.cache_clear()
    runtime = LocalRuntime(stack, scorer, RULES, "http://127.0.0.1:9/slack")
    try:
        runtime.run_workers(workers=3, interval=0.05)
        assert loads == ["load"]  # before any event arrived
        now = datetime.now(UTC)
        for i in range(9):
            payload = event_payload(
                ticket_id=f"T-lang{i % 3}",
                message_id=f"m-{i}",
                text="Bonjour, je ne peux plus me connecter à mon compte depuis hier soir, aidez-moi",
                created_at=(now - timedelta(minutes=i)).isoformat(),
            )
            assert http("POST", f"{runtime.url}/v1/events", payload, headers=runtime.key("ingest"))[0] == 202
        deadline = time.monotonic() + 120
        while runtime.processed() < 9 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        runtime.close()
    assert runtime.processor.outcomes["scored"] == 9
    assert loads == ["load"]
    assert language.detect_language("Bonjour, je ne peux plus me connecter à mon compte depuis hier soir") == "fr"
