"""`make bench-local` prints one JSON document, its result, and nothing else: the handlers' EMF metrics (Powertools
prints a set to stdout by itself once a metric reaches 100 values, POWERTOOLS_METRICS_DISABLED or not) never mix
into it, however many events the pollers score between two drains."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.handlers.observability import logger, metrics
from ticket_sentiment_tools import local_bench
from ticket_sentiment_tools.local_stack import LocalRuntime, LocalStack, drain_metrics

from .test_score_pipeline import RULES


def test_the_bench_prints_only_its_result(
    stack: LocalStack, scorer: OnnxSentimentScorer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @contextmanager
    def provisioned_stack(write: Any, **_: Any) -> Iterator[LocalRuntime]:
        """The bench's runtime on the test's moto (provisioned, not the CDK deploy: the same handlers and pollers)."""
        runtime = LocalRuntime(stack, scorer, RULES, "http://127.0.0.1:9/slack")
        try:
            yield runtime
        finally:
            runtime.close()

    monkeypatch.setattr(local_bench, "running_stack", provisioned_stack)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # what the bench sets: unset again after the test
    level = logger.log_level
    try:
        # 110 scored events: 110 values of SentimentScore, past Powertools' 100, whichever poller drains when.
        assert local_bench.main(["--events", "110", "--tickets", "30", "--limit", "300"]) == 0
    finally:
        logger.setLevel(level)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out[:500]
    result = json.loads(out)
    assert result["complete"] and result["processed"] == result["accepted"] == 110
    assert "_aws" not in out


def test_a_full_metric_goes_to_the_runtime_sink_not_stdout(
    stack: LocalStack, scorer: OnnxSentimentScorer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a drain in between (a caller adding 250 values of one metric), the runtime's provider hands the
    set to the sink just before Powertools would print it; with no sink it is dropped. The handlers' own provider
    comes back when the runtime closes."""
    original = metrics.provider
    drain_metrics(None)
    runtime = LocalRuntime(stack, scorer, RULES, "http://127.0.0.1:9/slack")
    lines: list[str] = []
    try:
        runtime.metrics_sink = lines.append
        for _ in range(250):
            metrics.add_metric(name="LocalBenchTest", unit="Count", value=1)
        runtime.metrics_sink = None
        for _ in range(150):
            metrics.add_metric(name="LocalBenchTest", unit="Count", value=1)
        drain_metrics(None)
    finally:
        runtime.close()
    assert capsys.readouterr().out == ""
    assert [len(json.loads(line)["LocalBenchTest"]) for line in lines] == [99, 99]
    assert metrics.provider is original
