"""Shared fixtures: the bundled model is loaded once per test session, and one moto server serves it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer, default_model_dir

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Faker ships a pytest plugin, so pytest marks the whole `faker` package for assertion rewriting and re-parses
    each of its locale modules with `ast.parse` on import; on CPython 3.11.7 that parse can fail with "AST
    constructor recursion depth mismatch" (a CPython bug), depending on what was parsed before. Faker is a library
    here (the PII corpus generator), never a test module: import it plainly."""
    from _pytest.assertion.rewrite import assertstate_key  # pytest's own state; no public way to unmark a package

    state = config.stash.get(assertstate_key, None)
    must_rewrite = getattr(getattr(state, "hook", None), "_must_rewrite", None)
    if isinstance(must_rewrite, set):
        must_rewrite.discard("faker")


SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return default_model_dir()


@pytest.fixture(scope="session")
def scorer(model_dir: Path) -> OnnxSentimentScorer:
    return OnnxSentimentScorer(model_dir)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server on 127.0.0.1 (the real AWS wire protocol), one per session: each test provisions its own
    resources under a prefix of its own. The reliability suite overrides it with its child-process launcher."""
    from ticket_sentiment_tools.local_stack import start_moto  # moto loads only where a test asks for AWS

    server, endpoint = start_moto()
    yield endpoint
    server.stop()
