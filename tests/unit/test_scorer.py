"""Behaviour of the bundled int8 model through the run-time scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import (
    ModelNotFoundError,
    OnnxSentimentScorer,
    default_model_dir,
)
from ticket_sentiment.low_signal import is_low_signal

NEGATIVE = [
    "I'm still waiting for my refund, this is the third time I'm writing.",
    "The app has been down all morning and my team can't work.",
    "I was charged twice this month. Please fix it.",
    "😡😡😡",
]
POSITIVE = ["That fixed it, thank you so much!", "Great support, really appreciate the quick help 🙏"]
NEUTRAL = ["How do I export my invoices as CSV?", "Please update the billing address on my account."]


def test_clear_cases_get_the_right_label(scorer: OnnxSentimentScorer) -> None:
    results = scorer.score(NEGATIVE + POSITIVE + NEUTRAL)
    labels = [r.label for r in results]
    assert labels == ["negative"] * len(NEGATIVE) + ["positive"] * len(POSITIVE) + ["neutral"] * len(NEUTRAL)
    assert all(r.score < -0.3 for r in results[: len(NEGATIVE)])
    assert all(r.score > 0.3 for r in results[len(NEGATIVE) : len(NEGATIVE) + len(POSITIVE)])


def test_output_ranges_and_probabilities(scorer: OnnxSentimentScorer) -> None:
    for r in scorer.score(NEGATIVE + POSITIVE + NEUTRAL):
        assert -1 <= r.score <= 1
        assert 0 <= r.intensity <= 1
        assert 0 <= r.confidence <= 1
        assert sum(r.probabilities.values()) == pytest.approx(1, abs=1e-3)
        assert r.confidence == max(r.probabilities.values())
        assert r.model_version == scorer.version
        assert [e.probability for e in r.emotions] == sorted((e.probability for e in r.emotions), reverse=True)


def test_angry_ticket_is_more_intense_than_a_question(scorer: OnnxSentimentScorer) -> None:
    angry, question = scorer.score(
        ["This is unacceptable!!! Third outage this week, fix it NOW.", "How do I export my invoices as CSV?"]
    )
    assert angry.intensity > question.intensity + 0.3


def test_gratitude_and_anger_emotions(scorer: OnnxSentimentScorer) -> None:
    thanks, angry = scorer.score(["Thank you so much for your help!", "This is absolutely infuriating, I'm furious."])
    assert thanks.emotions
    assert thanks.emotions[0].name == "gratitude"
    assert {e.name for e in angry.emotions} & {"anger", "annoyance"}


def test_batch_scores_match_single_scores(scorer: OnnxSentimentScorer) -> None:
    texts = NEGATIVE + POSITIVE + NEUTRAL
    batch = scorer.score(texts)
    for text, result in zip(texts, batch, strict=True):
        single = scorer.score_one(text)
        # One window per run (the default): a score never depends on the texts scored beside it.
        assert single.label == result.label
        assert single.score == result.score
        assert single.level == result.level


def test_long_ticket_is_windowed_not_truncated(scorer: OnnxSentimentScorer) -> None:
    filler = "I am writing to give you some background on our account and how we use the product. " * 12
    result = scorer.score_one(filler + "Your update deleted all our data and nobody answers. This is a disaster.")
    assert result.windows >= 2
    assert result.score < 0


def test_empty_and_filler_texts_are_low_signal(scorer: OnnxSentimentScorer) -> None:
    empty, punct, ok, real = scorer.score(["", "?", "ok", "thanks a lot!"])
    assert empty.low_signal
    assert empty.windows == 0
    assert empty.label == "neutral"
    assert punct.low_signal
    assert ok.low_signal
    assert not real.low_signal


def test_low_signal_rule() -> None:
    assert is_low_signal("ok")
    assert is_low_signal("?!")
    assert is_low_signal("hi ok")
    assert not is_low_signal("refund please")


def test_language_is_reported(scorer: OnnxSentimentScorer) -> None:
    de, en = scorer.score(
        [
            "Ich warte seit zwei Wochen auf meine Rückerstattung, das ist ärgerlich.",
            "I have been waiting two weeks for my refund.",
        ]
    )
    assert de.language == "de"
    assert not OnnxSentimentScorer.covers_language(de.language)
    assert en.language == "en"
    assert OnnxSentimentScorer.covers_language(en.language)


def test_quoted_history_does_not_change_the_label(scorer: OnnxSentimentScorer) -> None:
    body = (
        "Still not working, I've lost another day.\n\nOn Tue, 3 Mar 2026 at 10:02, Support <a@b.example> wrote:\n"
        "> Thanks so much for your patience! We're happy to help and love hearing from you!"
    )
    assert scorer.score_one(body).label == "negative"


def test_missing_model_dir_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"lacks model.onnx, tokenizer.json, model_meta.json"):
        OnnxSentimentScorer(tmp_path)


def test_missing_external_weights_give_a_clear_error(tmp_path: Path) -> None:
    source = default_model_dir()
    for name in ("model.onnx", "tokenizer.json"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    meta = json.loads((source / "model_meta.json").read_text()) | {"onnx_external_data": "model.onnx.data"}
    (tmp_path / "model_meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelNotFoundError, match=r"lacks model.onnx.data"):
        OnnxSentimentScorer(tmp_path)


def test_importing_the_scorer_leaves_optional_text_libraries_unloaded() -> None:
    """Cold start: emoji, HTML, reply-parsing and langid libraries load only when a text needs them."""
    code = (
        "import sys\nfrom ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer\n"
        "OnnxSentimentScorer().score_one('Hi, I returned the blender three weeks ago and still have no refund.')\n"
        "print(sorted(m for m in ('emoji', 'selectolax', 'mailparser_reply', 'py3langid') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_text_with_lone_surrogates_is_scored_not_refused(scorer: OnnxSentimentScorer) -> None:
    """Bytes that are not UTF-8, read with surrogateescape (a shell argument, piped stdin), reach the scorer as lone
    surrogates, which the tokenizer refuses with a TypeError: they are scored as U+FFFD instead."""
    broken, clean = scorer.score(["caf\udce9 awful, still broken \ud800", "caf\ufffd awful, still broken \ufffd"])
    assert broken.label == clean.label == "negative"
    assert broken.score == clean.score
