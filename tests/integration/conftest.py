"""Integration tests: one moto server per session on 127.0.0.1 (real AWS wire protocol), fresh resources per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from ticket_sentiment_tools.local_stack import LocalStack, start_moto

_ids = itertools.count()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server, endpoint = start_moto()
    yield endpoint
    server.stop()


@pytest.fixture
def stack(moto_endpoint: str) -> LocalStack:
    stack = LocalStack(moto_endpoint, prefix=f"t{next(_ids)}")
    stack.provision()
    return stack
