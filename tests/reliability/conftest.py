"""The reliability scenarios share one moto server on 127.0.0.1 (each run provisions its own resources)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ticket_sentiment.local_stack import start_moto


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server, endpoint = start_moto()
    yield endpoint
    server.stop()
