"""The shadow model beside the live one (pipeline/shadow.py): it scores every customer message and is recorded
apart, and nothing it says or does reaches an alert, the helpdesk or the live result; the comparison report's
numbers; the model-version metric dimension."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from ticket_sentiment import metric_names as names
from ticket_sentiment.events import EscalationState, Outcome, ProcessResult
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.handlers.score import process_batch
from ticket_sentiment.handlers.score_metrics import emit_model_versions
from ticket_sentiment.handlers.score_wiring import build_shadow, shadow_failed
from ticket_sentiment.models import SentimentResult
from ticket_sentiment.pipeline.dimensions import model_version_dimension
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.pipeline.shadow import ModelScore, ShadowRecord, ShadowScoring
from ticket_sentiment.ports import TextScorer
from ticket_sentiment.settings import ScoreSettings
from ticket_sentiment.writeback.models import WritebackRequest
from ticket_sentiment_tools.model_comparison import compare_models, render_text

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, queued, ref, sqs_event

RULES = RuleConfig(cooldown_minutes=60, rules=(EscalationRule(name="angry", max_score=-0.5, min_intensity=0.5),))
CALM = "Could you tell me where I can find last month's invoice, please?"
ANGRY = "I'm still waiting for my refund, third time I'm writing. This is unacceptable."


class GloomyScorer:
    """A candidate model that reads every message as very negative."""

    def __init__(self, version: str = "candidate-2") -> None:
        self.version = version
        self.seen: list[str] = []

    def score_prepared(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> list[SentimentResult]:
        self.seen.extend(texts)
        return [
            SentimentResult(
                label="negative",
                level="very_negative",
                score=-0.95,
                intensity=0.95,
                confidence=0.9,
                probabilities={},
                emotions=[],
                low_signal=False,
                language=(languages or ["en"])[i],
                windows=1,
                model_version=self.version,
            )
            for i in range(len(texts))
        ]


class BrokenScorer:
    def score_prepared(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> list[SentimentResult]:
        raise RuntimeError(f"onnxruntime blew up on {texts[0]!r}")  # a message quoting the text, as some do


class ShadowList:
    def __init__(self, fail: bool = False) -> None:
        self.records: list[ShadowRecord] = []
        self.fail = fail

    def put_shadow(self, record: ShadowRecord, *, now: datetime) -> None:
        if self.fail:
            raise ConnectionError("table unreachable")
        self.records.append(record)


class FakeWriteback:
    def __init__(self) -> None:
        self.sent: list[WritebackRequest] = []

    def send(self, request: WritebackRequest) -> None:
        self.sent.append(request)


def make(
    shadow_scorer: TextScorer | None, shadow_store: ShadowList | None = None
) -> tuple[ScoringService, FakeStore, FakePublisher, FakeWriteback, ShadowList, list[Exception]]:
    store, publisher, writeback = FakeStore(), FakePublisher(), FakeWriteback()
    shadows = shadow_store or ShadowList()
    failures: list[Exception] = []
    shadow = (
        ShadowScoring(lambda: shadow_scorer, shadows, RULES, on_failure=failures.append)
        if shadow_scorer is not None
        else None
    )
    service = ScoringService(
        store,
        publisher,
        KeywordScorer(),
        RULES,
        clock=lambda: T0,
        writeback=writeback,
        writeback_platforms=frozenset({"zendesk"}),
        shadow=shadow,
    )
    return service, store, publisher, writeback, shadows, failures


def test_the_shadow_scores_beside_the_live_model_and_its_alarm_reaches_no_one() -> None:
    service, store, publisher, writeback, shadows, failures = make(GloomyScorer())
    result = service.process(queued(text=CALM, priority="normal"))
    assert result.outcome == Outcome.SCORED
    assert (result.model_version, result.shadow_model_version) == ("fake-1", "candidate-2")
    [record] = shadows.records
    assert (record.ticket_id, record.message_id) == ("zendesk:T-1", "m-1")  # the ticket's key
    assert (record.live.level, record.live.rule, record.live.model_version) == ("neutral", None, "fake-1")
    # The candidate would have fired the live rule: recorded for the report, and nothing else.
    assert (record.shadow.level, record.shadow.rule, record.shadow.model_version) == (
        "very_negative",
        "angry",
        "candidate-2",
    )
    assert result.alert is None
    assert publisher.alerts == []
    assert all(r.priority is None for r in writeback.sent), "the shadow raised the ticket's priority"
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.escalation_state == EscalationState.NONE
    assert ticket.current is not None
    assert (ticket.current.level, ticket.model_version) == ("neutral", "fake-1")
    assert [m.model_version for m in store.list_messages(ref("T-1"))] == ["fake-1"]
    assert failures == []


def test_the_shadow_sees_the_redacted_text_only() -> None:
    gloomy = GloomyScorer()
    service, *_ = make(gloomy)
    service.process(queued(text="Hi, I'm Anna Smith, call me on +44 20 7946 0958. " + ANGRY))
    assert gloomy.seen
    assert "7946" not in gloomy.seen[0]
    assert "[PHONE]" in gloomy.seen[0]


@pytest.mark.parametrize(
    ("scorer", "store"),
    [(BrokenScorer(), ShadowList()), (GloomyScorer(), ShadowList(fail=True))],
    ids=["model-raises", "store-raises"],
)
def test_a_shadow_failure_never_fails_or_changes_the_live_message(scorer: TextScorer, store: ShadowList) -> None:
    service, tickets, publisher, _, shadows, failures = make(scorer, store)
    result = service.process(queued(text=ANGRY), delivery_id="sqs-1")
    assert result.outcome == Outcome.SCORED
    assert (result.alert, result.rule) == ("published", "angry")
    assert result.shadow_model_version is None
    assert len(publisher.alerts) == 1
    assert tickets.message_status(ref("T-1"), "m-1") is not None
    assert shadows.records == []
    assert len(failures) == 1


def test_a_shadow_model_that_cannot_load_is_a_shadow_failure_not_a_live_one() -> None:
    def missing() -> TextScorer:
        raise FileNotFoundError("/opt/shadow-model/model.onnx")

    store, publisher = FakeStore(), FakePublisher()
    failures: list[Exception] = []
    shadow = ShadowScoring(missing, ShadowList(), RULES, on_failure=failures.append)
    service = ScoringService(store, publisher, KeywordScorer(), RULES, clock=lambda: T0, shadow=shadow)
    assert service.process(queued(text=ANGRY)).alert == "published"
    assert [type(f) for f in failures] == [FileNotFoundError]


def test_only_the_latest_message_can_fire_the_shadow_rule() -> None:
    service, *_, shadows, _ = make(GloomyScorer())
    service.process(queued(message_id="m-2", text=CALM, created_at=(T0 + timedelta(hours=1)).isoformat()))
    service.process(queued(message_id="m-1", text=CALM))  # older, arriving late
    rules = {r.message_id: r.shadow.rule for r in shadows.records}
    assert rules == {"m-2": "angry", "m-1": None}


def test_without_a_shadow_model_nothing_is_built_or_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"TABLE_NAME": "t", "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:a"}
    assert build_shadow(ScoreSettings.from_env(env), RULES) is None
    assert build_shadow(ScoreSettings.from_env({**env, "SHADOW_MODEL_DIR": ""}), RULES) is None
    # With one named, building loads nothing yet (no cold-start cost, no failure at init): the first message does.
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }.items():
        monkeypatch.setenv(name, value)
    shadow = build_shadow(ScoreSettings.from_env({**env, "SHADOW_MODEL_DIR": "/nonexistent/model"}), RULES)
    assert shadow is not None


@pytest.fixture
def _emf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()


def _emf_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and "_aws" in line]


def _named(lines: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [b for b in lines if any(m["Name"] == name for d in b["_aws"]["CloudWatchMetrics"] for m in d["Metrics"])]


@pytest.mark.usefixtures("_emf")
def test_a_shadow_failure_is_counted_and_logged_without_the_text(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    shadow_failed(RuntimeError(f"onnxruntime blew up on {ANGRY!r}"))
    metrics.flush_metrics()
    [record] = [r for r in caplog.records if "shadow model failed" in r.getMessage()]
    assert record.__dict__["error"] == "RuntimeError"
    assert record.exc_info is None
    assert "refund" not in json.dumps(record.__dict__, default=str)
    assert _named(_emf_lines(capsys.readouterr().out), names.SHADOW_FAILED)


@pytest.mark.usefixtures("_emf")
def test_scored_messages_are_counted_per_live_and_shadow_model_version(capsys: pytest.CaptureFixture[str]) -> None:
    service, *_ = make(GloomyScorer())
    response = process_batch(service, sqs_event([queued(text=CALM).model_dump_json()]), None)
    assert response["batchItemFailures"] == []
    lines = _emf_lines(capsys.readouterr().out)
    [live] = _named(lines, names.SCORED_BY_MODEL_VERSION)
    [shadow] = _named(lines, names.SHADOW_SCORED)
    assert live[names.MODEL_VERSION_DIMENSION] == "fake-1"
    assert shadow[names.MODEL_VERSION_DIMENSION] == "candidate-2"
    assert live["service"] == metrics.service
    emit_model_versions(ProcessResult(event_id="e", outcome=Outcome.SCORED, model_version="fake-1"))
    assert not _named(_emf_lines(capsys.readouterr().out), names.SHADOW_SCORED)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("ticket-sentiment-minilm-l3-f1024-3.1.0", "ticket-sentiment-minilm-l3-f1024-3.1.0"),
        ("comprehend", "comprehend"),
        (None, "other"),
        ("anna.smith@example.com", "other"),
        ("v" * 65, "other"),
        ("a b", "other"),
    ],
)
def test_the_model_version_dimension_is_a_closed_set(version: str | None, expected: str) -> None:
    assert model_version_dimension(version) == expected


# --- the comparison report ---


def _score(
    level: str, score: float, rule: str | None = None, *, fallback: bool = False, v: str = "live-1"
) -> ModelScore:
    label = "negative" if "negative" in level else "positive" if "positive" in level else "neutral"
    return ModelScore(
        label=label,
        level=level,
        score=score,
        intensity=abs(score),
        confidence=0.8,
        low_signal=False,
        needs_fallback=fallback,
        scorer="onnx",
        model_version=v,
        rule=rule,
    )


def _record(i: int, live: ModelScore, shadow: ModelScore) -> ShadowRecord:
    return ShadowRecord(
        ticket_id=f"T-{i}", message_id="m-1", created_at=T0 + timedelta(hours=i), live=live, shadow=shadow
    )


def test_the_comparison_counts_agreement_confusion_score_gap_and_alert_rates() -> None:
    records = [
        _record(0, _score("very_negative", -0.9, "angry"), _score("very_negative", -0.8, "angry", v="cand-2")),
        _record(1, _score("negative", -0.4), _score("very_negative", -0.7, "angry", v="cand-2")),
        _record(2, _score("neutral", 0.0), _score("negative", -0.2, v="cand-2")),
        _record(3, _score("positive", 0.5), _score("very_positive", 0.9, v="cand-2")),
        _record(4, _score("neutral", 0.1, fallback=True), _score("neutral", 0.0, v="cand-2")),  # not comparable
    ]
    result = compare_models(records, start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))
    assert (result.shadowed, result.both_scored) == (5, 4)
    assert (result.first, result.last) == (T0, T0 + timedelta(hours=4))
    assert (result.live_versions, result.shadow_versions) == ({"live-1": 5}, {"cand-2": 5})
    assert result.label_agreement == pytest.approx(3 / 4)  # neg/neg, neg/neg, neutral/neg, pos/pos
    assert result.level_agreement == pytest.approx(1 / 4)
    expected = [[0] * 5 for _ in range(5)]
    expected[0][0] = expected[1][0] = expected[2][1] = expected[3][4] = 1
    assert result.confusion == expected
    assert result.mean_abs_score_difference == pytest.approx((0.1 + 0.3 + 0.2 + 0.4) / 4)
    assert (result.live_alerts, result.shadow_alerts) == (1, 2)
    assert result.live_alert_rate == pytest.approx(0.25)
    assert result.shadow_alert_rate == pytest.approx(0.5)
    assert result.alert_rate_difference == pytest.approx(0.25)
    assert (result.alerts_only_live, result.alerts_only_shadow) == (0, 1)
    text = render_text(result)
    for shown in ("messages both scored", "75.0%", "very_negative", "+25.0%", "cand-2 (5)"):
        assert shown in text, shown


def test_an_empty_shadow_period_reports_no_numbers_rather_than_zeros() -> None:
    result = compare_models([], start=T0, end=T0 + timedelta(days=1))
    assert (result.both_scored, result.label_agreement, result.live_alert_rate, result.first) == (0, None, None, None)
    assert "no shadow records in the window" in render_text(result)


def test_compare_models_refuses_an_html_report_with_one_line(tmp_path: Any) -> None:
    from ticket_sentiment_tools.cli import app
    from typer.testing import CliRunner

    args = ["report", "--compare-models", "--table", "t", "--out", str(tmp_path / "r.html")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--out: the model comparison has no HTML report" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()
