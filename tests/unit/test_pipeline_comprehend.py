"""Comprehend fallback with botocore's Stubber (no network): batching, the 500 characters, mapping, throttling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from ticket_sentiment.adapters.aws.comprehend import MAX_CHARS, ComprehendError, ComprehendScorer, most_relevant
from ticket_sentiment.handlers.score_wiring import build_scorer
from ticket_sentiment.models import SentimentResult
from ticket_sentiment.pipeline.routing import RoutingScorer, ScorerMode

from .pipeline_fakes import KeywordScorer


def client() -> Any:
    return boto3.client("comprehend", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def item(
    index: int,
    sentiment: str = "NEGATIVE",
    *,
    pos: float = 0.02,
    neg: float = 0.9,
    neu: float = 0.05,
    mixed: float = 0.03,
) -> dict[str, Any]:
    return {
        "Index": index,
        "Sentiment": sentiment,
        "SentimentScore": {"Positive": pos, "Negative": neg, "Neutral": neu, "Mixed": mixed},
    }


def scorer(c: Any) -> ComprehendScorer:
    return ComprehendScorer(c, attempts=4, base_wait=0.001, max_wait=0.002)


def test_maps_onto_the_models_scale_and_records_the_scorer() -> None:
    c = client()
    with Stubber(c) as stub:
        stub.add_response(
            "batch_detect_sentiment",
            {
                "ResultList": [
                    item(0),
                    item(1, "POSITIVE", pos=0.95, neg=0.01, neu=0.04, mixed=0.0),
                    item(2, "MIXED", pos=0.4, neg=0.35, neu=0.05, mixed=0.2),
                ],
                "ErrorList": [],
            },
            {"TextList": ANY, "LanguageCode": "de"},
        )
        results = scorer(c).score_prepared(
            ["Das ist wirklich ärgerlich heute", "Vielen Dank für die Hilfe", "Gut aber auch schlecht irgendwie"],
            ["de", "de", "de"],
        )
    neg, pos, mixed = results
    # Comprehend's scores are confidences: mapped to the model's plain levels (never very_*), half the scale.
    assert (neg.label, neg.level, neg.score, neg.scorer) == ("negative", "negative", -0.44, "comprehend")
    assert pos.label == "positive"
    assert pos.level == "positive"
    assert pos.score == 0.47
    assert 0 < pos.intensity <= 0.5
    assert mixed.label == "neutral"
    assert mixed.probabilities["neutral"] == 0.25
    assert all(r.emotions == [] and r.model_version == "comprehend" for r in results)


def test_batches_of_25_per_language() -> None:
    c = client()
    texts = [f"Das ist Nachricht Nummer {i} und sie ist ärgerlich" for i in range(30)]
    with Stubber(c) as stub:
        stub.add_response(
            "batch_detect_sentiment",
            {"ResultList": [item(i) for i in range(25)], "ErrorList": []},
            {"TextList": texts[:25], "LanguageCode": "de"},
        )
        stub.add_response(
            "batch_detect_sentiment",
            {"ResultList": [item(i) for i in range(5)], "ErrorList": []},
            {"TextList": texts[25:], "LanguageCode": "de"},
        )
        results = scorer(c).score_prepared(texts, ["de"] * 30)
        stub.assert_no_pending_responses()
    assert len(results) == 30
    assert all(r.label == "negative" for r in results)


def test_throttling_is_retried_with_backoff() -> None:
    c = client()
    with Stubber(c) as stub:
        stub.add_client_error("batch_detect_sentiment", "ThrottlingException", http_status_code=400)
        stub.add_client_error("batch_detect_sentiment", "TooManyRequestsException", http_status_code=400)
        stub.add_response("batch_detect_sentiment", {"ResultList": [item(0)], "ErrorList": []})
        [result] = scorer(c).score_prepared(["Ceci est vraiment inacceptable"], ["fr"])
        stub.assert_no_pending_responses()
    assert result.label == "negative"


def test_throttling_gives_up_and_other_errors_are_not_retried() -> None:
    c = client()
    with Stubber(c) as stub:
        for _ in range(4):
            stub.add_client_error("batch_detect_sentiment", "ThrottlingException", http_status_code=400)
        with pytest.raises(Exception, match="ThrottlingException"):
            scorer(c).score_prepared(["Ceci est vraiment inacceptable"], ["fr"])
        stub.assert_no_pending_responses()
        stub.add_client_error("batch_detect_sentiment", "AccessDeniedException", http_status_code=403)
        with pytest.raises(Exception, match="AccessDenied"):
            scorer(c).score_prepared(["Ceci est vraiment inacceptable"], ["fr"])
        stub.assert_no_pending_responses()


def test_item_errors_fail_the_call() -> None:
    c = client()
    with Stubber(c) as stub:
        stub.add_response(
            "batch_detect_sentiment",
            {
                "ResultList": [],
                "ErrorList": [{"Index": 0, "ErrorCode": "InternalServerException", "ErrorMessage": "boom"}],
            },
        )
        with pytest.raises(ComprehendError, match="InternalServerException"):
            scorer(c).score_prepared(["Ceci est vraiment inacceptable"], ["fr"])


def test_unsupported_language_and_low_signal_never_call_comprehend() -> None:
    c = client()
    with Stubber(c):  # no responses queued: any call would fail
        results = scorer(c).score_prepared(["Dit is echt onacceptabel vandaag", "ok"], ["nl", "en"])
    assert all(r.low_signal and r.score == 0.0 for r in results)


def test_most_relevant_500_characters() -> None:
    short = "Still waiting for my refund."
    assert most_relevant(short) == short
    opening = "My refund never arrived."
    middle = " ".join(f"Detail sentence number {i} about the order history." for i in range(20))
    closing = "Please refund me today or I will cancel."
    cut = most_relevant(f"{opening} {middle} {closing}")
    assert len(cut) <= MAX_CHARS
    assert cut.startswith(opening)
    assert cut.endswith(closing)
    one_long = "word " * 300
    assert len(most_relevant(one_long)) <= MAX_CHARS


class Broken:
    def score_prepared(
        self,
        texts: Sequence[str],
        languages: Sequence[str] | None = None,
    ) -> list[SentimentResult]:
        raise RuntimeError("onnxruntime cannot load the model")


class Named(KeywordScorer):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def score_prepared(
        self,
        texts: Sequence[str],
        languages: Sequence[str] | None = None,
    ) -> list[SentimentResult]:
        return [r.model_copy(update={"scorer": self.name}) for r in super().score_prepared(texts, languages)]


def test_auto_routes_by_language_and_falls_back_when_the_model_cannot_run() -> None:
    onnx, comprehend = Named("onnx"), Named("comprehend")
    routed = RoutingScorer(ScorerMode.AUTO, lambda: onnx, lambda: comprehend)
    results = routed.score_prepared(
        ["this is unacceptable", "das ist unacceptable", "thanks a lot"], ["en", "de", "en"]
    )
    assert [r.scorer for r in results] == ["onnx", "comprehend", "onnx"]
    assert results[1].label == "negative"
    fallback = RoutingScorer(ScorerMode.AUTO, Broken, lambda: comprehend)
    assert [r.scorer for r in fallback.score_prepared(["a b", "c d"], ["en", "de"])] == ["comprehend"] * 2
    assert (
        RoutingScorer(ScorerMode.COMPREHEND, None, lambda: comprehend).score_prepared(["a b"], ["en"])[0].scorer
        == "comprehend"
    )
    assert RoutingScorer(ScorerMode.ONNX, lambda: onnx, None).score_prepared(["a b"], ["de"])[0].scorer == "onnx"
    with pytest.raises(ValueError, match="Comprehend"):
        RoutingScorer(ScorerMode.AUTO, lambda: onnx, None)


def test_scorer_mode_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORER", "onnx")
    assert build_scorer().mode == ScorerMode.ONNX
    assert build_scorer("comprehend").mode == ScorerMode.COMPREHEND
    with pytest.raises(ValueError):
        build_scorer("bert")
