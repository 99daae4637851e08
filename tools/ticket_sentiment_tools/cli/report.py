"""`report`: the four numbers support leads ask for, from the tickets table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .common import EndpointOption, RegionOption, TableOption, fail, out, table_history

app = typer.Typer()


@app.command()
def report(  # noqa: PLR0917 - typer maps each parameter to an option
    since: Annotated[str, typer.Option("--since", help="window up to now: 30d, 4w, 12h")] = "30d",
    table: TableOption = None,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    html_out: Annotated[Path | None, typer.Option("--out", help="also write a self-contained HTML report")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    compare_models: Annotated[
        bool,
        typer.Option(
            "--compare-models", help="instead: the live model against the shadow model (shadow_model) in the window"
        ),
    ] = False,
) -> None:
    """The four numbers support leads ask for: sentiment by week, negatives by area, response time, precision."""
    from datetime import UTC, datetime

    from ..reporting import build_report, fmt, parse_since, render_html

    try:
        window = parse_since(since)
    except ValueError as exc:
        fail(str(exc))
    end = datetime.now(UTC)
    start = end - window
    if compare_models:
        from .compare import print_comparison

        if html_out is not None:
            fail("--out: the model comparison has no HTML report; use --json for a file")

        print_comparison(table, endpoint_url, region, start=start, end=end, as_json=as_json)
        return
    history = table_history(table, endpoint_url, region)
    try:
        messages = list(history.scored_between(start, end, with_ticket_meta=True))
        tickets = history.tickets(m.ticket_id for m in messages)
        reviews = list(history.reviewed_between(start, end))
    except Exception as exc:  # AWS errors: the message, not a traceback
        fail(f"{type(exc).__name__}: {exc}", 1)
    result = build_report(messages, tickets, reviews, start=start, end=end)
    if html_out is not None:
        html_out.write_text(render_html(result), encoding="utf-8")
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    weeks = Table(title=f"Average sentiment by week ({result.scored} of {result.messages} messages with signal)")
    for col in ("week", "messages", "average", "share negative"):
        weeks.add_column(col, justify="left" if col == "week" else "right")
    for w in result.weeks:
        weeks.add_row(w.week, str(w.messages), f"{w.mean_score:+.2f}", f"{w.share_negative:.0%}")
    out.print(weeks)
    areas = Table(title="Negative volume by product area")
    for col in ("product area", "negative messages", "negative tickets", "messages", "share negative"):
        areas.add_column(col, justify="left" if col == "product area" else "right")
    for a in result.areas:
        areas.add_row(
            a.product_area,
            str(a.negative_messages),
            str(a.negative_tickets),
            str(a.messages),
            f"{a.share_negative:.0%}",
        )
    out.print(areas)
    r = result.response
    response = Table(title="First response time, negative tickets")
    for col in ("negative tickets", "answered", "not answered yet", "median", "p90", "mean"):
        response.add_column(col, justify="right")
    response.add_row(
        str(r.negative_tickets),
        str(r.answered),
        str(r.unanswered),
        fmt(r.median_hours, ".1f", " h"),
        fmt(r.p90_hours, ".1f", " h"),
        fmt(r.mean_hours, ".1f", " h"),
    )
    out.print(response)
    p = result.precision
    precision = Table(title="Precision of automated escalations (human reviews)")
    for col in ("reviews", "right call", "wrong emotion", "false alarm", "precision", "95% lower bound"):
        precision.add_column(col, justify="right")
    precision.add_row(
        str(p.reviews),
        str(p.right_call),
        str(p.wrong_emotion),
        str(p.false_alarm),
        fmt(p.precision, ".0%"),
        fmt(p.precision_low_95, ".0%"),
    )
    out.print(precision)
    if html_out is not None:
        out.print(f"HTML report: {html_out}", markup=False)
