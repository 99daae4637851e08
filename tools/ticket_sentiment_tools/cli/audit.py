"""`audit sample|export|import`: the monthly audit's sample, its labelling CSV and the labels fed back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..evaluation import LabelledDataError
from ..textfiles import NotUtf8Error
from .common import (
    EndpointOption,
    QuietOption,
    RegionOption,
    TableOption,
    aws_session,
    err,
    fail,
    out,
    progress,
    table_history,
)

app = typer.Typer(no_args_is_help=True, help="Monthly audit: sample scored messages, label them, feed them back.")


def _window(since: str | None, month: str | None, now: Any = None) -> tuple[Any, Any, str]:
    """[start, end) and a name for it: --since 30d (up to now), --month YYYY-MM, or last calendar month. A --since
    window is named by the month of its midpoint, which holds most of its days (7d on 7 December is December)."""
    from datetime import UTC, datetime

    from ticket_sentiment.audit.sampler import previous_month

    from ..reporting import parse_since

    now = now or datetime.now(UTC)
    if since and month:
        fail("give either --since or --month")
    if since:
        try:
            start = now - parse_since(since)
        except ValueError as exc:
            fail(str(exc))
        return start, now, f"{start + (now - start) / 2:%Y-%m}"
    if month:
        try:
            first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            fail(f"--month {month!r}: expected YYYY-MM")
        start, end, name = previous_month(datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=UTC))
        return start, end, name
    return previous_month(now)


@app.command("sample")
def audit_sample(  # noqa: PLR0917 - typer maps each parameter to an option
    table: TableOption = None,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: last month)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="instead of --month: e.g. 30d, up to now")] = None,
    size: Annotated[int, typer.Option("--size", min=1, max=10_000)] = 200,
    seed: Annotated[int | None, typer.Option("--seed", help="reproducible sample")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="CSV for labelling (default audit.csv)")] = None,
    queue_url: Annotated[
        str | None, typer.Option("--queue-url", help="put the rows on this review queue instead of writing a CSV")
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Run the monthly audit's sampler against a table (e.g. the local stack) and write the CSV or queue it."""
    import random

    from ticket_sentiment.audit.sampler import draw_sample

    from ..audit.labelling import write_export_csv

    history = table_history(table, endpoint_url, region)
    start, end, name = _window(since, month)
    try:
        records = list(history.scored_between(start, end, with_ticket_meta=True))
        # The long part: one read per sampled message's text (an expired one is replaced by another).
        with progress("reading texts", min(size, len(records)), quiet=quiet) as advance:

            def text_of(ticket_id: str, message_id: str) -> str | None:
                text: str | None = history.redacted_text(ticket_id, message_id)
                advance(text is not None)
                return text

            sample = draw_sample(records, text_of, audit_month=name, size=size, rng=random.Random(seed))
    except Exception as exc:  # AWS errors: the message, not a traceback
        fail(f"{type(exc).__name__}: {exc}", 1)
    strata = Table(title=f"audit {name}: {len(sample.rows)} rows from {sample.population} scored messages")
    for col in ("label", "product area", "messages", "allocated", "drawn", "text expired"):
        strata.add_column(col, justify="left" if col in ("label", "product area") else "right")
    for s in sample.strata:
        strata.add_row(s.label, s.product_area, str(s.population), str(s.allocated), str(s.drawn), str(s.expired))
    out.print(strata)
    if queue_url:
        from ticket_sentiment.adapters.aws.audit_queue import SqsAuditQueue

        sqs = aws_session(endpoint_url, region).client("sqs", endpoint_url=endpoint_url)
        sent = SqsAuditQueue(queue_url, sqs).send_rows(sample.rows)
        out.print(f"{sent} rows queued on {queue_url}", markup=False)
    if out_path is not None or not queue_url:
        target = out_path or Path("audit.csv")
        write_export_csv(sample.rows, target)
        out.print(
            f"{len(sample.rows)} rows written to {target}; fill in human_label, then run `audit import`", markup=False
        )


@app.command("export")
def audit_export(  # noqa: PLR0917 - typer maps each parameter to an option
    queue_url: Annotated[
        str | None,
        typer.Option("--queue-url", envvar="AUDIT_QUEUE_URL", help="the review queue (stack output AuditQueueUrl)"),
    ] = None,
    out_path: Annotated[Path, typer.Option("--out", help="CSV for labelling")] = Path("audit.csv"),
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    keep: Annotated[bool, typer.Option("--keep", help="leave the messages on the queue")] = False,
    force: Annotated[bool, typer.Option("--force", help="overwrite --out if it exists")] = False,
) -> None:
    """Drain the review queue into a CSV (with an empty human_label column); messages are deleted once it is saved."""
    from ticket_sentiment.adapters.aws.audit_queue import SqsAuditQueue

    from ..audit.labelling import write_export_csv

    if not queue_url:
        fail("no queue: pass --queue-url or set AUDIT_QUEUE_URL")
    if out_path.exists() and not force:
        fail(f"{out_path} exists (it may hold labels already); pass --force to overwrite")
    queue = SqsAuditQueue(queue_url, aws_session(endpoint_url, region).client("sqs", endpoint_url=endpoint_url))
    try:
        rows, handles, bad = queue.drain()
    except Exception as exc:
        fail(f"{type(exc).__name__}: {exc}", 1)
    rows.sort(key=lambda r: (r.audit_month, r.ticket_id, r.message_id))
    written = write_export_csv(rows, out_path)
    if not keep:  # only now: a crash before this leaves the messages to reappear after their visibility timeout
        queue.delete(handles)
    note = f", {bad} unreadable message(s) dropped" if bad else ""
    out.print(f"{written} rows written to {out_path}{note}", markup=False)


def _lines(numbers: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


@app.command("import")
def audit_import(
    path: Annotated[Path, typer.Argument(help="the exported CSV with human_label filled in")],
    out_path: Annotated[Path, typer.Option("--out", help="text,label,product_area CSV")] = Path("labelled.csv"),
    skip_unlabelled: Annotated[
        bool, typer.Option("--skip-unlabelled", help="write the labelled rows even if some have no label")
    ] = False,
) -> None:
    """Check the human labels (negative/neutral/positive) and write a CSV that eval, calibrate and finetune read."""
    from ..audit.labelling import read_labelled_audit, write_labelled_csv

    try:
        result = read_labelled_audit(path)
    except NotUtf8Error as exc:
        fail(str(exc), 1)
    except LabelledDataError as exc:
        fail(str(exc), exc.exit_code)
    for reason in result.invalid:
        err.print(reason, markup=False)
    if result.missing:
        err.print(f"no human_label on line(s) {_lines(result.missing)}", markup=False)
    if result.invalid or (result.missing and not skip_unlabelled):
        err.print(f"{len(result.invalid)} invalid, {len(result.missing)} unlabelled: nothing written", markup=False)
        raise typer.Exit(1)
    if not result.rows:
        fail("no labelled rows", 1)
    written = write_labelled_csv(result.rows, out_path)
    agreement = result.agreement
    out.print(
        f"{written} labelled rows written to {out_path}"
        + (f"; the model agreed with the labels on {agreement:.0%}" if agreement is not None else "")
        + f". Next: ticket-sentiment eval {out_path}; calibrate {out_path} --by product_area; "
        f"finetune {out_path} --out my-model",
        markup=False,
    )
