"""The alert volume of a natural mix (severity_eval.natural_mix_alerts): the default rules' rate on a random
sample of unlabelled support requests, read from the data directory."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="the evaluation needs the train extra")

from sentiment_training.severity_eval import natural_mix_alerts, render
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer

REQUESTS = [
    "This is the fourth time I'm asking. Refund it today or I'm cancelling my account, and my lawyer hears of it.",
    "How do I change the e-mail address on my account?",
    "Thanks, the playlist is back!",
    "Can I move my family plan to another country?",
]


def _write(data: Path, texts: list[str]) -> None:
    folder = data / "support_tweets"
    folder.mkdir(parents=True)
    with (folder / "spotifycares_inbound.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "author_id", "created_at", "in_response_to_id", "text"])
        writer.writeheader()
        writer.writerows(
            {"id": i, "author_id": i, "created_at": "", "in_response_to_id": "", "text": t} for i, t in enumerate(texts)
        )


def test_the_alert_rate_counts_the_escalations_of_a_sample_and_says_so(tmp_path: Path) -> None:
    _write(tmp_path, REQUESTS * 5)  # one escalation in four
    scorer = OnnxSentimentScorer()
    whole = natural_mix_alerts(scorer, tmp_path, size=100)
    assert whole is not None and whole["n"] == whole["of"] == 20
    assert whole["default_rules_alert_rate"] == 0.25 and whole["levels"]["very_negative"] == 5
    sample = natural_mix_alerts(scorer, tmp_path, size=8)
    assert sample is not None and sample["n"] == 8
    assert natural_mix_alerts(scorer, tmp_path, size=8) == sample  # a fixed seed: the same sample each run
    calm = tmp_path / "calm"
    _write(calm, REQUESTS[1:] * 5)
    assert natural_mix_alerts(scorer, calm)["default_rules_alert_rate"] == 0  # type: ignore[index]
    assert "the default rules alert on 25.0%" in render({"support_requests_natural_mix": whole})


def test_without_the_unlabelled_requests_there_is_no_figure(tmp_path: Path) -> None:
    assert natural_mix_alerts(OnnxSentimentScorer(), tmp_path) is None
