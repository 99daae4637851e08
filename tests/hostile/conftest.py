"""Hostile-input tests: one moto server and one served API per module, real HTTP on 127.0.0.1."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from ticket_sentiment_tools.local_stack import LocalStack, start_moto

from .harness import ApiServer

_ids = itertools.count()


@pytest.fixture(scope="session")
def hostile_moto() -> Iterator[str]:
    server, endpoint = start_moto()
    yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def api(hostile_moto: str) -> Iterator[ApiServer]:
    stack = LocalStack(hostile_moto, prefix=f"h{next(_ids)}")
    stack.provision()
    served = ApiServer(stack)
    yield served
    served.close()
