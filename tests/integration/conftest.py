"""Integration tests: one moto server per session on 127.0.0.1 (real AWS wire protocol), fresh resources per test."""

from __future__ import annotations

import itertools

import pytest
from ticket_sentiment_tools.local_stack import LocalStack

_ids = itertools.count()


@pytest.fixture
def stack(moto_endpoint: str) -> LocalStack:
    stack = LocalStack(moto_endpoint, prefix=f"t{next(_ids)}")
    stack.provision()
    return stack
