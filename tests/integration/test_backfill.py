"""Backfill through the real SQS wire protocol (moto): batches, bad rows by line number, partial-batch retries,
resuming from the checkpoint, and the scorer picking the backfilled messages up like live ones."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.sqs import SqsEventQueue
from ticket_sentiment.events import QueuedEvent, Source
from ticket_sentiment.pipeline.window import CreatedAtWindow
from ticket_sentiment_tools.backfill import BackfillError, Checkpoint, run_backfill
from ticket_sentiment_tools.cli import app
from ticket_sentiment_tools.local_stack import CountingProcessor, LocalStack
from typer.testing import CliRunner

from tests.unit.pipeline_fakes import ref


def _rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "ticket_id": f"B-{i // 3}",
            "message_id": f"m{i}",
            "author_role": "customer",
            "text": "Still waiting for my refund." if i % 2 else "Thanks, that worked.",
            "created_at": f"2026-01-{1 + i % 28:02d}T10:00:00Z",
            "product_area": "billing",
        }
        for i in range(n)
    ]


def _write_jsonl(path: Path, rows: list[dict[str, Any]], extra: Sequence[str] = ()) -> Path:
    path.write_text("\n".join([json.dumps(r) for r in rows] + list(extra)) + "\n")
    return path


def _drain(stack: LocalStack) -> list[QueuedEvent]:
    sqs, found = stack.client("sqs"), list[QueuedEvent]()
    while True:
        messages = sqs.receive_message(QueueUrl=stack.res.events_queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for m in messages:
            found.append(QueuedEvent.model_validate_json(m["Body"]))
            sqs.delete_message(QueueUrl=stack.res.events_queue_url, ReceiptHandle=m["ReceiptHandle"])


def test_rows_are_sent_in_batches_and_bad_rows_reported_by_line(stack: LocalStack, tmp_path: Path) -> None:
    bad = ["{not json", json.dumps({"ticket_id": "Jane Doe <jane.doe@example.com>"})]
    path = _write_jsonl(tmp_path / "export.jsonl", _rows(23), bad)
    report = run_backfill(path, stack.event_queue(), source=Source.ZENDESK, checkpoint_path=tmp_path / "cp")
    assert (report.rows, report.sent) == (25, 23)
    assert [line for line, _ in report.bad] == [24, 25]
    assert "message_id" in report.bad[1][1]
    assert "ticket_id" in report.bad[1][1]
    assert "jane.doe" not in report.bad[1][1]  # field names only, never values
    events = _drain(stack)
    assert len(events) == 23
    assert {e.event.source for e in events} == {Source.ZENDESK}


def test_backfill_has_its_own_window_and_refuses_the_future_by_line(stack: LocalStack, tmp_path: Path) -> None:
    """History older than ingest's 30 days is backfilled (two years back by default); a future or absurd
    created_at is reported by line naming the field, and never queued (it would overflow or silence alerts)."""
    rows = _rows(2)
    rows[0]["created_at"] = "2025-02-01T10:00:00Z"  # ten months back: refused by ingest, fine for backfill
    future = [
        json.dumps({**rows[1], "message_id": "f1", "created_at": "9999-12-31T23:59:59-14:00"}),
        json.dumps({**rows[1], "message_id": "f2", "created_at": "2099-01-01T00:00:00Z"}),
        json.dumps({**rows[1], "message_id": "f3", "created_at": "2020-01-01T00:00:00Z"}),
    ]
    path = _write_jsonl(tmp_path / "export.jsonl", rows, future)
    report = run_backfill(
        path, stack.event_queue(), source=Source.ZENDESK, clock=lambda: datetime(2026, 1, 20, tzinfo=UTC)
    )
    assert report.sent == 2
    assert [line for line, _ in report.bad] == [3, 4, 5]
    assert all(reason.startswith("created_at ") for _, reason in report.bad)
    assert {e.event.message_id for e in _drain(stack)} == {"m0", "m1"}
    narrow = run_backfill(
        path,
        stack.event_queue(),
        source=Source.ZENDESK,
        clock=lambda: datetime(2026, 1, 20, tzinfo=UTC),
        window=CreatedAtWindow(),
    )
    assert narrow.sent == 1
    assert len(_drain(stack)) == 1  # the explicit window is the one applied


class FlakyQueue:
    """The real queue, but the third batch raises (a crash) and every first attempt drops one entry."""

    def __init__(self, real: SqsEventQueue) -> None:
        self.real, self.batches, self.dropped = real, 0, 0

    def send_batch(self, events: Sequence[QueuedEvent]) -> list[str]:
        self.batches += 1
        if self.batches == 3:
            raise ConnectionError("network down")
        if self.batches % 2 == 1 and len(events) > 1:
            self.dropped += 1
            return [*self.real.send_batch(events[1:]), events[0].event_id]  # SQS throttled one entry
        failed: list[str] = self.real.send_batch(events)
        return failed


def test_a_crash_resumes_from_the_checkpoint_and_nothing_is_lost(stack: LocalStack, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "export.jsonl", _rows(40))
    checkpoint = tmp_path / "export.checkpoint"
    flaky = FlakyQueue(stack.event_queue())
    with pytest.raises(ConnectionError):
        run_backfill(path, flaky, source=Source.FRESHDESK, checkpoint_path=checkpoint, sleep=lambda _: None)
    assert flaky.dropped >= 1
    assert Checkpoint.model_validate_json(checkpoint.read_text()).rows_done == 10  # the first batch, retried
    report = run_backfill(path, stack.event_queue(), source=Source.FRESHDESK, checkpoint_path=checkpoint)
    assert report.skipped_resumed == 10
    assert report.sent == 30
    assert {e.event.message_id for e in _drain(stack)} == {f"m{i}" for i in range(40)}


def test_a_queue_that_never_accepts_fails_with_a_message(tmp_path: Path) -> None:
    class Refusing:
        def send_batch(self, events: Sequence[QueuedEvent]) -> list[str]:
            return [e.event_id for e in events]

    path = _write_jsonl(tmp_path / "export.jsonl", _rows(3))
    with pytest.raises(BackfillError, match="not accepted after 3 attempts"):
        run_backfill(path, Refusing(), source=Source.OTHER, attempts=3, sleep=lambda _: None)


def test_cli_backfills_a_csv_into_the_local_stack_and_the_scorer_takes_it(
    stack: LocalStack, tmp_path: Path, scorer: Any
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "ticket_id,message_id,author_role,text,created_at,tags,customer_tier\n"
        "C-1,1,customer,This is the third time I'm writing about the double charge.,"
        "2026-02-01T09:00:00Z,billing refund,enterprise\n"
        "C-2,2,customer,Thanks so much - all sorted!,2026-02-01T10:00:00Z,,standard\n"
    )
    result = CliRunner().invoke(
        app,
        [
            "backfill",
            str(path),
            "--source",
            "zendesk",
            "--queue-url",
            stack.res.events_queue_url,
            "--endpoint-url",
            stack.endpoint_url,
            "--region",
            "us-east-1",
        ],
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )
    assert result.exit_code == 0, result.output
    assert "sent 2" in result.output
    processor = CountingProcessor(stack.scoring_service(scorer))
    stack.pump_events(processor)
    assert processor.outcomes["scored"] == 2
    billing = stack.store().get_ticket(ref("C-1"))
    assert billing is not None
    assert billing.current is not None
    assert billing.current.label == "negative"
    again = CliRunner().invoke(
        app,
        [
            "backfill",
            str(path),
            "--source",
            "zendesk",
            "--queue-url",
            stack.res.events_queue_url,
            "--endpoint-url",
            stack.endpoint_url,
            "--region",
            "us-east-1",
        ],
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )
    assert "sent 0, already done 2" in again.output


def test_cli_rejects_an_unknown_source_without_a_traceback(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "e.jsonl", _rows(1))
    result = CliRunner().invoke(app, ["backfill", str(path), "--source", "jira", "--queue-url", "q"])
    assert result.exit_code == 2
    assert "'jira' is not one of" in result.output  # a typer choice: a usage error
    assert "Traceback" not in result.output


def _cli_backfill(path: Path, queue_url: str, endpoint_url: str) -> Any:
    return CliRunner().invoke(
        app,
        ["backfill", str(path), "--source", "other", "--queue-url", queue_url, "--endpoint-url", endpoint_url],
    )


def _drain_queue(stack: LocalStack, queue_url: str) -> set[str]:
    sqs, found = stack.client("sqs"), set[str]()
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for m in messages:
            found.add(QueuedEvent.model_validate_json(m["Body"]).event.message_id)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return found


def test_cli_checkpoint_is_per_destination_so_a_new_queue_gets_every_row(stack: LocalStack, tmp_path: Path) -> None:
    """Issue #18: tried against one queue, then pointed at another (say, local then prod), the checkpoint said
    `sent 0, already done 4` and exited 0: nothing reached the new queue."""
    path = _write_jsonl(tmp_path / "bf.jsonl", _rows(4))
    first, second = stack.res.events_queue_url, stack.client("sqs").create_queue(QueueName="backfill-prod")["QueueUrl"]
    assert "sent 4, already done 0" in _cli_backfill(path, first, stack.endpoint_url).output
    moved = _cli_backfill(path, second, stack.endpoint_url)
    assert moved.exit_code == 0, moved.output
    assert "sent 4, already done 0" in moved.output
    assert _drain_queue(stack, second) == {f"m{i}" for i in range(4)}
    again = _cli_backfill(path, second, stack.endpoint_url)  # the same destination still resumes
    assert "sent 0, already done 4" in again.output
    other_endpoint = _cli_backfill(path, second, stack.endpoint_url.replace("127.0.0.1", "localhost"))
    assert "sent 4, already done 0" in other_endpoint.output
