"""`forget --ticket KEY`: erase a ticket on request (GDPR Art. 17) from the table, leaving a receipt without content."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from .common import EndpointOption, RegionOption, TableOption, fail, out

app = typer.Typer()
TicketOption = Annotated[
    str,
    typer.Option("--ticket", help="the ticket's key: source:id or source/brand:id, e.g. zendesk:12345"),
]


@app.command("forget")
def forget(
    ticket: TicketOption, table: TableOption = None, endpoint_url: EndpointOption = None, region: RegionOption = None
) -> None:
    """Delete every stored item of the ticket (ticket, messages, text, reviews, alert claim) and record an erasure
    receipt (the id's hash, the time, item counts). Running it again erases nothing and records nothing."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    from ticket_sentiment.adapters.aws.dynamodb import DynamoTicketStore
    from ticket_sentiment.pipeline.identity import BadTicketRefError, TicketRef
    from ticket_sentiment.pipeline.lifecycle import erase_ticket
    from ticket_sentiment.settings import TableSettings

    if not table:
        fail("no table: pass --table or set TABLE_NAME (the stack output TableName)")
    try:
        ref = TicketRef.parse(ticket)  # a bare id is refused: the same id in two helpdesks is two tickets
    except BadTicketRefError as exc:
        fail(f"--ticket: {exc}")
    retention = TableSettings.from_env({**os.environ, "TABLE_NAME": table}).retention  # RETENTION_POLICY if set
    store = DynamoTicketStore(
        table, boto3.resource("dynamodb", endpoint_url=endpoint_url, region_name=region), retention=retention
    )
    try:
        receipt = erase_ticket(store, ref)
    except (BotoCoreError, ClientError) as exc:
        fail(f"erasure failed, nothing is confirmed erased; run it again: {exc}", code=1)
    counts = receipt.counts
    if not receipt.erased:
        out.print(f"nothing stored for ticket hash {receipt.ticket_hash[:16]}: already erased or never scored")
        return
    out.print(
        f"erased {counts.total} items (ticket {counts.ticket}, messages {counts.message}, text {counts.text}, "
        f"reviews {counts.review}, other {counts.other}); receipt {receipt.ticket_hash[:16]} at "
        f"{receipt.erased_at:%Y-%m-%dT%H:%M:%SZ}"
    )
