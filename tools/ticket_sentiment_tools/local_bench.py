"""`make bench-local`: the local stack's end-to-end throughput, as `local --serve` runs it, printed as JSON.

The CDK stack deployed into moto, the API on 127.0.0.1 and its pollers started exactly as `--serve` starts them;
then EVENTS customer messages posted over HTTP by CONCURRENCY clients, timed from the first post until every
accepted event has been processed (scored and stored, or skipped) by the score handler. `events_per_s` is
accepted events over that time. A measurement, not a test: the machine's load moves it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer

from .local_stack import LocalRuntime, http, local_scorer, running_stack
from .samples import SAMPLE_TICKETS


def bench_events(count: int, tickets: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """`count` customer messages spread over `tickets` tickets, the sample texts in turn, dated the last hour."""
    start = (now or datetime.now(UTC)) - timedelta(hours=1)
    return [
        {
            "source": "other",
            "ticket_id": f"bench-{i % tickets}",
            "message_id": f"m-{i}",
            "author_role": "customer",
            "text": SAMPLE_TICKETS[i % len(SAMPLE_TICKETS)][1],
            "created_at": (start + timedelta(seconds=i)).isoformat(),
            "subject": "Bench",
            "customer_tier": "standard",
        }
        for i in range(count)
    ]


def measure(
    runtime: LocalRuntime, events: Sequence[dict[str, Any]], concurrency: int, limit_s: float
) -> dict[str, Any]:
    """Post `events`, wait until every accepted one is processed; the figures."""
    headers = runtime.key("ingest")
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(lambda e: http("POST", f"{runtime.url}/v1/events", e, headers=headers)[0], events))
    posted = time.perf_counter()
    accepted = statuses.count(202)
    processed = 0
    while time.perf_counter() - started < limit_s:
        processed = runtime.processed()
        if processed >= accepted:
            break
        time.sleep(0.05)
    done = time.perf_counter()
    return {
        "events": len(events),
        "accepted": accepted,
        "processed": processed,
        "concurrency": concurrency,
        "post_s": round(posted - started, 2),
        "end_to_end_s": round(done - started, 2),
        "events_per_s": round(processed / (done - started), 1),
        "complete": processed >= accepted,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ticket_sentiment_tools.local_bench", description=__doc__)
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--tickets", type=int, default=100, help="tickets the events are spread over")
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP clients posting at once")
    parser.add_argument("--limit", type=float, default=600.0, help="give up after this many seconds")
    parser.add_argument("--model-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        sys.stderr.write(text)

    scorer = local_scorer(log, OnnxSentimentScorer(args.model_dir))
    with running_stack(lambda _: None, scorer=scorer) as runtime:
        runtime.run_workers()
        figures = measure(runtime, bench_events(args.events, args.tickets), args.concurrency, args.limit)
    print(json.dumps(figures))
    return 0 if figures["complete"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
