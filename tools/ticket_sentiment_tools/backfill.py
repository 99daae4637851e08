"""Backfill: historical ticket messages from an export (JSON lines or CSV) pushed through the ingest queue in
batches, so a team sees last quarter's trends on day one.

Resumable: a checkpoint file records how many input rows are done (it is bound to the file's size and start, so a
different export never resumes from a stale position, and to the destination, so rows sent to one queue are not
"already done" for another). Re-sending is harmless anyway: event ids are deterministic,
so the scorer treats a replayed message as a duplicate. Bad rows are reported by line number and skipped.
Rows are prepared and redacted before they are sent, as ingest does (pipeline.protection): no raw text is queued.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError
from ticket_sentiment.events import QueuedEvent, Source, TicketEvent
from ticket_sentiment.identity import Origin
from ticket_sentiment.pipeline.protection import protect_event
from ticket_sentiment.pipeline.window import CreatedAtWindow

from .textfiles import not_a_file, open_utf8

SQS_BATCH = 10  # SendMessageBatch's maximum
# Backfill replays history, so it has its own explicit window, wider than ingest's 30 days: two years back, and
# never ahead of the clock by more than ingest allows (a future created_at would silence the ticket's alerts).
BACKFILL_WINDOW = CreatedAtWindow(max_age=timedelta(days=730), max_ahead=timedelta(minutes=10))


class BatchQueue(Protocol):
    def send_batch(self, events: Sequence[QueuedEvent]) -> list[str]:
        """Enqueue up to SQS_BATCH events; returns the event ids that were NOT accepted (to retry)."""
        ...


class Checkpoint(BaseModel):
    fingerprint: str
    destination: str = ""  # where the rows went (endpoint, queue URL): another destination starts from row 1
    rows_done: int = 0


@dataclass
class BackfillReport:
    rows: int = 0
    sent: int = 0
    skipped_resumed: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)


class BackfillError(RuntimeError):
    pass


def fingerprint(path: Path) -> str:
    """The file's size and first 64 KiB: cheap, and different for a different export."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    return hashlib.sha256(str(path.stat().st_size).encode() + head).hexdigest()[:32]


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row) for each input row; a row that cannot be read is its error message instead. A file that
    is not UTF-8 raises NotUtf8Error: no row after the bad byte can be read."""
    if path.suffix.lower() == ".csv":
        with open_utf8(path, newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, {k: v for k, v in row.items() if k and v not in ("", None)}
        return
    with open_utf8(path) as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                yield line_no, "not valid JSON"
                continue
            yield line_no, row if isinstance(row, dict) else "not a JSON object"


class RowRefusedError(ValueError):
    """A row that is valid JSON/CSV but may not be sent; the message names the field, never the value."""


class ForeignSourceError(RowRefusedError):
    """The row names another source than the operator's --source."""


class OutOfWindowError(RowRefusedError):
    """The row's created_at is outside the backfill window; the message names the field, never the value."""


def to_event(
    row: dict[str, Any], source: Source, received_at: datetime, window: CreatedAtWindow = BACKFILL_WINDOW
) -> QueuedEvent:
    """A canonical event from an export row; CSV tags may be a space- or comma-separated string.

    The rows' source is the operator's `--source`: a row naming another is refused (it would land in another
    helpdesk's namespace). Backfilled events are queued with origin `backfill`, so they are never written back.
    """
    if str(row.get("source", source.value)).strip().lower() != source.value:
        raise ForeignSourceError(f"source: the row names another source than --source {source.value}")
    data = {**row, "source": source.value}
    if isinstance(data.get("tags"), str):
        data["tags"] = [t for t in data["tags"].replace(",", " ").split() if t]
    event = TicketEvent.model_validate(data)
    if details := window.details(event, received_at):
        raise OutOfWindowError(details[0]["reason"])
    return protect_event(event, received_at, Origin.BACKFILL)


def _reason(exc: ValidationError) -> str:
    fields = sorted({".".join(str(p) for p in e["loc"]) or "row" for e in exc.errors(include_input=False)})
    return f"invalid ticket event: {', '.join(fields)}"  # field names only: values may be personal data


def run_backfill(
    path: Path,
    queue: BatchQueue,
    *,
    source: Source,
    checkpoint_path: Path | None = None,
    destination: str = "",
    batch_size: int = SQS_BATCH,
    on_progress: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
    window: CreatedAtWindow = BACKFILL_WINDOW,
) -> BackfillReport:
    if problem := not_a_file(path):
        raise BackfillError(problem)
    if not 1 <= batch_size <= SQS_BATCH:
        raise BackfillError(f"batch size must be between 1 and {SQS_BATCH}")
    state = Checkpoint(fingerprint=fingerprint(path), destination=destination)
    if checkpoint_path is not None and checkpoint_path.is_file():
        saved = Checkpoint.model_validate_json(checkpoint_path.read_text())
        if (saved.fingerprint, saved.destination) == (state.fingerprint, state.destination):
            state = saved
    report = BackfillReport()
    batch: list[QueuedEvent] = []

    def flush(rows_done: int) -> None:
        if batch:
            _send_with_retries(queue, batch, attempts, sleep)
            report.sent += len(batch)
            batch.clear()
        state.rows_done = rows_done
        if checkpoint_path is not None:
            checkpoint_path.write_text(state.model_dump_json())

    for index, (line_no, row) in enumerate(read_rows(path), 1):
        report.rows += 1
        if on_progress is not None:
            on_progress(1)
        if index <= state.rows_done:
            report.skipped_resumed += 1
            continue
        if isinstance(row, str):
            report.bad.append((line_no, row))
            continue
        try:
            batch.append(to_event(row, source, clock(), window))
        except ValidationError as exc:
            report.bad.append((line_no, _reason(exc)))
            continue
        except RowRefusedError as exc:
            report.bad.append((line_no, str(exc)))
            continue
        if len(batch) >= batch_size:
            flush(index)
    flush(report.rows)
    return report


def _send_with_retries(
    queue: BatchQueue, batch: list[QueuedEvent], attempts: int, sleep: Callable[[float], None]
) -> None:
    """SQS may accept part of a batch (throttling): resend only the rest, with exponential backoff."""
    pending = list(batch)
    for attempt in range(attempts):
        failed = set(queue.send_batch(pending))
        pending = [e for e in pending if e.event_id in failed]
        if not pending:
            return
        sleep(min(8.0, 0.25 * 2**attempt))
    raise BackfillError(f"{len(pending)} events were not accepted after {attempts} attempts; rerun to resume")
