"""The metrics behind the dashboard: what the score function emits (as CloudWatch EMF lines) for scored
messages, negative messages by product area, first responses to negative tickets and model failures."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from ticket_sentiment import metric_names as names
from ticket_sentiment.events import Outcome, ProcessResult
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.handlers.score_metrics import emit_dashboard_metrics
from ticket_sentiment.handlers.score_wiring import model_unavailable
from ticket_sentiment.pipeline.dimensions import area_dimension
from ticket_sentiment.pipeline.routing import RoutingScorer, ScorerMode
from ticket_sentiment.pipeline.rules import DEFAULT_RULES
from ticket_sentiment.pipeline.service import ScoringService

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, queued


def _emf_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and "_aws" in line]


def _flushed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    metrics.flush_metrics()
    return _emf_lines(capsys.readouterr().out)


def _metric_names(blob: dict[str, Any]) -> set[str]:
    return {m["Name"] for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


@pytest.fixture(autouse=True)
def _emf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()


def test_negative_message_counts_by_sanitised_product_area(capsys: pytest.CaptureFixture[str]) -> None:
    emit_dashboard_metrics(
        ProcessResult(event_id="e", outcome=Outcome.SCORED, label="negative", score=-0.8, product_area="Billing")
    )
    lines = _flushed(capsys)
    by_area = [b for b in lines if names.NEGATIVE_MESSAGES in _metric_names(b)]
    assert len(by_area) == 1
    assert by_area[0][names.PRODUCT_AREA_DIMENSION] == "billing"
    assert by_area[0]["service"] == metrics.service
    score = [b for b in lines if names.SENTIMENT_SCORE in _metric_names(b)]
    assert score
    assert score[0][names.SENTIMENT_SCORE] in (-0.8, [-0.8])


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        (None, "none"),
        ("Mobile App", "mobile app"),
        ("anna.smith@example.com", "other"),
        ("call +44 20 7946 0958", "other"),
        ("x" * 80, "other"),
        ("maria gonzalez", "other"),
        ("Mobile\u00a0App\u200b", "mobile app"),
    ],
)
def test_product_area_dimension_never_carries_personal_data(area: str | None, expected: str) -> None:
    assert area_dimension(area) == expected


def test_low_signal_and_skipped_messages_do_not_move_the_sentiment_average(capsys: pytest.CaptureFixture[str]) -> None:
    emit_dashboard_metrics(
        ProcessResult(event_id="e", outcome=Outcome.SCORED, label="neutral", score=0.0, low_signal=True)
    )
    emit_dashboard_metrics(ProcessResult(event_id="f", outcome=Outcome.SKIPPED))
    assert not any(names.SENTIMENT_SCORE in _metric_names(b) for b in _flushed(capsys))


def test_first_agent_reply_on_a_negative_ticket_times_the_response() -> None:
    store = FakeStore()
    service = ScoringService(store, FakePublisher(), KeywordScorer(), DEFAULT_RULES, clock=lambda: T0)
    service.process(queued(text="This is unacceptable, I am furious.", created_at=T0.isoformat()))
    reply = service.process(
        queued(
            author_role="agent",
            message_id="a1",
            text="Sorry, looking now",
            created_at=(T0 + timedelta(minutes=42)).isoformat(),
        )
    )
    later = service.process(
        queued(author_role="agent", message_id="a2", text="Fixed", created_at=(T0 + timedelta(hours=3)).isoformat())
    )
    assert reply.first_response_seconds == 42 * 60
    assert later.first_response_seconds is None


def test_model_failure_falls_back_and_is_counted(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> KeywordScorer:
        raise FileNotFoundError("model.onnx")

    comprehend = KeywordScorer()
    routing = RoutingScorer(ScorerMode.AUTO, broken, lambda: comprehend, on_model_failure=model_unavailable)
    [result] = routing.score_prepared(["This is unacceptable"], ["en"])
    assert comprehend.seen == ["This is unacceptable"]
    assert result is not None
    lines = _flushed(capsys)
    assert any(names.MODEL_UNAVAILABLE in _metric_names(b) for b in lines)


def test_pii_hits_are_counted_by_type_never_by_value(capsys: pytest.CaptureFixture[str]) -> None:
    store = FakeStore()
    service = ScoringService(store, FakePublisher(), KeywordScorer(), DEFAULT_RULES, clock=lambda: T0)
    result = service.process(
        queued(text="Hi, I'm Anna Smith, card 4111 1111 1111 1111, mail anna@example.com. This is unacceptable.")
    )
    assert result.pii_entities == {"CARD": 1, "EMAIL": 1, "NAME": 1}
    emit_dashboard_metrics(result)
    lines = _flushed(capsys)
    emitted = {name for blob in lines for name in _metric_names(blob)}
    assert {f"{names.PII_REDACTED}_CARD", f"{names.PII_REDACTED}_EMAIL", names.PII_REDACTED} <= emitted
    dumped = json.dumps(lines)
    assert "4111" not in dumped
    assert "anna@example.com" not in dumped
    assert "Anna Smith" not in dumped


def test_pii_counted_at_ingest_is_emitted_once_and_a_cut_is_counted(capsys: pytest.CaptureFixture[str]) -> None:
    from ticket_sentiment.events import TicketEvent
    from ticket_sentiment.pipeline.protection import protect_event

    from .pipeline_fakes import event_payload

    text = "Hi, I'm Anna Smith, card 4111 1111 1111 1111, mail anna@example.com. This is unacceptable. " * 400
    protected = protect_event(TicketEvent.model_validate(event_payload(text=text)), T0)
    assert protected.redaction is not None
    assert protected.redaction.pii_entities["EMAIL"] == 400
    service = ScoringService(FakeStore(), FakePublisher(), KeywordScorer(), DEFAULT_RULES, clock=lambda: T0)
    result = service.process(protected)
    assert result.pii_entities == protected.redaction.pii_entities
    assert result.truncated
    emit_dashboard_metrics(result)
    lines = _flushed(capsys)
    values = {name: blob[name] for blob in lines for name in _metric_names(blob)}
    # One value each: ingest's counts, carried in the event, are emitted once, by the score function only.
    assert values[names.PII_REDACTED] == [sum(protected.redaction.pii_entities.values())]
    assert values[f"{names.PII_REDACTED}_EMAIL"] == [400]
    assert values[names.TEXTS_TRUNCATED] == [1]
