"""Hostile-input tests: the session's moto server and one served API per module, real HTTP on 127.0.0.1."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from ticket_sentiment_tools.local_stack import LocalStack

from .harness import ApiServer

_ids = itertools.count()


@pytest.fixture(scope="module")
def api(moto_endpoint: str) -> Iterator[ApiServer]:
    stack = LocalStack(moto_endpoint, prefix=f"h{next(_ids)}")
    stack.provision()
    served = ApiServer(stack)
    yield served
    served.close()
