from __future__ import annotations

from collections.abc import Sequence

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.language import detect_language
from ticket_sentiment.models import SentimentResult


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm still waiting for my refund, this is the third time I write.", "en"),
        ("The export button does nothing", "en"),
        ("Ich warte seit zwei Wochen auf meine Rückerstattung, das ist wirklich ärgerlich.", "de"),
        ("Je suis très déçu, personne ne répond à mes messages depuis une semaine.", "fr"),
        ("Todavía no he recibido el reembolso de mi pedido, es inaceptable.", "es"),
        ("Ik wacht nog steeds op mijn terugbetaling van vorige maand.", "nl"),
        ("ok thanks", "en"),
        ("😡😡", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


SPANISH_COMPLAINT = "Llevo dos semanas esperando el reembolso y nadie me contesta. Es inaceptable."
UNCOVERED = [
    SPANISH_COMPLAINT,
    "Ich warte seit zwei Wochen auf meine Rückerstattung, das ist wirklich ärgerlich.",
    "Je suis très déçu, personne ne répond à mes messages depuis une semaine.",
]


def test_the_model_gives_no_label_in_a_language_it_does_not_cover(scorer: OnnxSentimentScorer) -> None:
    """It printed positive +0.47 for a Spanish complaint: a guess, presented as a confident label."""
    *others, english = scorer.score([*UNCOVERED, "Two weeks waiting for my refund and nobody answers."])
    for result in others:
        assert result.needs_fallback
        assert result.language != "en"
        assert (result.label, result.score, result.confidence, result.intensity) == ("neutral", 0.0, 0.0, 0.0)
        assert result.low_signal  # so no escalation rule can fire on it
    assert not english.needs_fallback
    assert english.label == "negative"


def test_the_cli_marks_it(scorer: OnnxSentimentScorer) -> None:
    import json

    from ticket_sentiment_tools.cli import app
    from typer.testing import CliRunner

    as_json = CliRunner().invoke(app, ["score", "--json", SPANISH_COMPLAINT])
    payload = json.loads(as_json.stdout)
    assert payload["needs_fallback"] is True
    assert payload["label"] != "positive"
    assert payload["score"] == 0.0
    table = CliRunner().invoke(app, ["score", SPANISH_COMPLAINT])
    assert "needs_fallback" in table.stdout
    assert "positive" not in table.stdout


def test_auto_routing_still_sends_it_to_comprehend(scorer: OnnxSentimentScorer) -> None:
    from ticket_sentiment.pipeline.routing import RoutingScorer, ScorerMode

    class Comprehend:
        def score_prepared(
            self,
            texts: Sequence[str],
            languages: Sequence[str] | None = None,
        ) -> list[SentimentResult]:
            return [
                SentimentResult(
                    label="negative",
                    level="negative",
                    score=-0.6,
                    intensity=0.6,
                    confidence=0.9,
                    probabilities={},
                    emotions=[],
                    low_signal=False,
                    language=lang,
                    windows=1,
                    scorer="comprehend",
                    model_version="comprehend",
                )
                for lang in languages or []
            ]

    routed = RoutingScorer(ScorerMode.AUTO, lambda: scorer, Comprehend).score_prepared([SPANISH_COMPLAINT], ["es"])
    assert routed[0].scorer == "comprehend"
    assert not routed[0].needs_fallback
    assert routed[0].label == "negative"
