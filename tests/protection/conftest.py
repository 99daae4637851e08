"""Data-protection tests: one moto server per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ticket_sentiment_tools.local_stack import start_moto


@pytest.fixture(scope="session")
def protection_moto() -> Iterator[str]:
    server, endpoint = start_moto()
    yield endpoint
    server.stop()
