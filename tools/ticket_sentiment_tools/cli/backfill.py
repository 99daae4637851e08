"""`backfill`: historical tickets through the ingest queue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from ticket_sentiment.events import Source

from ..textfiles import NotUtf8Error, not_a_file
from .common import EndpointOption, RegionOption, aws_session, err, fail, out, progress

app = typer.Typer()


@app.command()
def backfill(  # noqa: PLR0917 - typer maps each parameter to an option
    path: Annotated[Path, typer.Argument(help="export as JSON lines (.jsonl) or CSV, one message per row")],
    source: Annotated[Source, typer.Option("--source", case_sensitive=False, help="the helpdesk the export is from")],
    queue_url: Annotated[
        str | None,
        typer.Option("--queue-url", envvar="EVENTS_QUEUE_URL", help="the ingest queue (stack output EventsQueueUrl)"),
    ] = None,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", help="default: <file>.checkpoint")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=10)] = 10,
) -> None:
    """Push historical tickets through the ingest queue in batches, resumably (rerun continues where it stopped).

    Rows carry the canonical event fields (ticket_id, message_id, author_role, text or html, created_at, and
    optionally subject, priority, tags, product_area, customer_tier, ticket_url). Bad rows are reported with their
    line number and skipped; the exit status is then 1.
    """
    from ticket_sentiment.adapters.aws.sqs import SqsEventQueue

    from ..backfill import BackfillError, run_backfill

    if not queue_url:
        fail("no queue: pass --queue-url or set EVENTS_QUEUE_URL (the stack output EventsQueueUrl)")
    if problem := not_a_file(path):
        fail(problem)
    with path.open("rb") as handle:
        total = max(0, sum(1 for _ in handle) - (1 if path.suffix.lower() == ".csv" else 0))
    client = aws_session(endpoint_url, region).client("sqs", endpoint_url=endpoint_url)
    # The shared bar: hidden when piped and gone when done, so an error is the one line on stderr.
    with progress("backfill", total) as advance:
        try:
            report = run_backfill(
                path,
                SqsEventQueue(queue_url, client),
                source=source,
                checkpoint_path=checkpoint or path.with_name(path.name + ".checkpoint"),
                destination=f"{endpoint_url or 'aws'} {queue_url}",  # a new target starts fresh, not "already done"
                batch_size=batch_size,
                on_progress=advance,
            )
        except (BackfillError, NotUtf8Error) as exc:  # NotUtf8Error: bad input, which no rerun fixes
            fail(str(exc), 1)
        except Exception as exc:  # AWS errors: the message, not a traceback; the checkpoint keeps the progress
            fail(f"{type(exc).__name__}: {exc} (rerun to resume)", 1)
    for line_no, reason in report.bad:
        err.print(f"line {line_no}: {reason}", markup=False)
    out.print(
        f"rows {report.rows}: sent {report.sent}, already done {report.skipped_resumed}, bad {len(report.bad)}",
        markup=False,
    )
    if report.bad:
        raise typer.Exit(1)
