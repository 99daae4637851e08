"""The runner's EMF counts include the metric sets the local runtime drains between two flushes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_lambda_powertools.metrics import MetricUnit
from ticket_sentiment import metric_names as names
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment_tools.local_stack import local_metrics

from tests.reliability.runner import OutputCapture, captured_output, flush_metrics, serialised_metrics


def _count_after(values: int, sink: Callable[[OutputCapture], Callable[[str], None] | None]) -> float:
    with captured_output() as output, serialised_metrics(), local_metrics(lambda: sink(output)):
        for _ in range(values):
            metrics.add_metric(name=names.EVENTS_SCORED, unit=MetricUnit.Count, value=1)
        flush_metrics()
    return output.metrics[names.EVENTS_SCORED]


@pytest.mark.parametrize("values", [1, 99, 100, 250])
def test_every_value_reaches_the_count_when_the_runtime_drains_into_the_capture(values: int) -> None:
    """A metric reaching 100 values before the poller's flush (the API's counts while the pollers lag) makes the
    runtime's provider hand the whole set to its sink: the runner points that sink at its capture."""
    assert _count_after(values, lambda output: output.take) == values


def test_a_runtime_without_a_sink_drops_the_drained_sets() -> None:
    """Why the runner sets the sink: without one, the sets drained at 100 values are gone (the run's EMF
    shortfall, 6,331 EventsScored for 6,347 scored)."""
    assert _count_after(250, lambda output: None) < 250
