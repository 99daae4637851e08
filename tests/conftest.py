"""Shared fixtures: the bundled model is loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer, default_model_dir

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return default_model_dir()


@pytest.fixture(scope="session")
def scorer(model_dir: Path) -> OnnxSentimentScorer:
    return OnnxSentimentScorer(model_dir)
