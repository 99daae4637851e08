"""For the tests that call the functions' `handler` as Lambda does: a context, the environment the stack sets
(pointed at a local stack), and the adapters each container builds once, to forget between configurations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from ticket_sentiment.handlers import ingest_wiring, notify, review_wiring, score_wiring, wiring, writeback
from ticket_sentiment_tools.local_stack import LocalStack


@dataclass
class Context:
    """What the handlers' Powertools decorators read of Lambda's context."""

    function_name: str = "ticket-sentiment-test"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ticket-sentiment-test"
    aws_request_id: str = "req-1"


def sdk_env(stack: LocalStack) -> dict[str, str]:
    """The SDK pointed at the local stack, with moto's credentials."""
    return {
        "AWS_ENDPOINT_URL": stack.endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def function_env(stack: LocalStack) -> dict[str, str]:
    """sdk_env and what the stack sets for the pipeline's functions, over the local stack's resources."""
    res = stack.res
    return sdk_env(stack) | {
        "EVENTS_QUEUE_URL": res.events_queue_url,
        "TABLE_NAME": res.table_name,
        "ALERTS_TOPIC_ARN": res.alerts_topic_arn,
        "SLACK_SECRET_ID": res.slack_secret_arn,
        "NOTIFY_DLQ_URL": res.notify_dlq_url,
        "SCORER": "onnx",
        "INGEST_MAX_AGE_DAYS": "3650",  # the fixtures' fixed 2026 dates, against the wall clock
    }


def set_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)


# Every adapter a handler builds once per container (functools.cache), from the environment of its first use.
WIRED: tuple[Callable[..., Any], ...] = (
    ingest_wiring.default_queue,
    ingest_wiring.default_eraser,
    wiring.ticket_store,
    wiring.review_store,
    wiring.table_eraser,
    review_wiring.default_secret,
    review_wiring.default_responder,
    score_wiring.default_service,
    notify._adapters,
    writeback._dependencies,
)


def forget_wiring() -> None:
    """The next call builds each adapter again, from the environment as it is then."""
    for cached in WIRED:
        cached.cache_clear()  # type: ignore[attr-defined]
