"""`forget --ticket KEY` / `forget --requester ID --source PLATFORM`: erase on request (GDPR Art. 17) from the table
and the parked queues, leaving a receipt without content per ticket."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from .common import EndpointOption, RegionOption, TableOption, aws_session, fail, out

if TYPE_CHECKING:
    from ticket_sentiment.identity import TicketRef
    from ticket_sentiment.pipeline.lifecycle import Eraser, ErasureReceipt

app = typer.Typer()
TicketOption = Annotated[
    str | None,
    typer.Option("--ticket", help="the ticket's key: source:id or source/brand:id, e.g. zendesk:12345"),
]
RequesterOption = Annotated[
    str | None,
    typer.Option("--requester", help="the helpdesk's requester id (user / contact id): erase all their tickets"),
]
SourceOption = Annotated[
    str | None, typer.Option("--source", help="the requester's helpdesk: zendesk, freshdesk, intercom, salesforce")
]
KeySecretOption = Annotated[
    str | None,
    typer.Option(
        "--requester-key-secret",
        envvar="REQUESTER_KEY_SECRET",
        help="the Secrets Manager secret holding the requester key (stack output RequesterKeySecretName)",
    ),
]
ParkedOption = Annotated[
    str | None,
    typer.Option(
        "--parked-queues",
        envvar="PARKED_QUEUE_URLS",
        help="comma-separated queue URLs to sweep (the audit queue, the notify DLQ); default: none",
    ),
]
SOURCES = ("zendesk", "freshdesk", "intercom", "salesforce", "generic", "other")


@app.command("forget")
def forget(
    *,
    ticket: TicketOption = None,
    requester: RequesterOption = None,
    source: SourceOption = None,
    table: TableOption = None,
    requester_key_secret: KeySecretOption = None,
    parked_queues: ParkedOption = None,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
) -> None:
    """Delete every stored item of the ticket, or of every ticket of the requester (ticket, messages, text,
    reviews, alert claim, and their audit rows and dead-lettered alerts), and record an erasure receipt per ticket
    (the id's hash, the time, item counts). Running it again erases nothing and records nothing."""
    if not table:
        fail("no table: pass --table or set TABLE_NAME (the stack output TableName)")
    if (ticket is None) == (requester is None):
        fail("pass exactly one of --ticket and --requester")
    ref = _ticket_ref(ticket) if ticket is not None else None
    if requester is not None:
        _check_requester(requester, source, requester_key_secret)
    eraser = _eraser(table, parked_queues, requester_key_secret, endpoint_url, region)
    receipts = _erase(eraser, ref, requester, source)
    for receipt in receipts:
        _report(receipt)
    if requester is not None and not receipts:
        out.print("no stored ticket of that requester: already erased, never scored, or stored without a requester")


def _ticket_ref(ticket: str) -> TicketRef:
    from ticket_sentiment.identity import BadTicketRefError, TicketRef

    try:
        return TicketRef.parse(ticket)  # a bare id is refused: the same id in two helpdesks is two tickets
    except BadTicketRefError as exc:
        fail(f"--ticket: {exc}")


def _check_requester(requester: str, source: str | None, key_secret: str | None) -> None:
    if not requester.strip() or len(requester) > 128:
        fail("--requester: expected the helpdesk's requester id (1 to 128 characters)")
    if source not in SOURCES:
        fail(f"--source: expected one of {', '.join(SOURCES)} (requester ids are per helpdesk)")
    if not key_secret:
        fail("no requester key: pass --requester-key-secret or set REQUESTER_KEY_SECRET")


def _eraser(
    table: str, parked: str | None, key_secret: str | None, endpoint_url: str | None, region: str | None
) -> Eraser:
    from ticket_sentiment.adapters.aws.erasure import aws_eraser
    from ticket_sentiment.settings import ErasureSettings

    environ = {**os.environ, "TABLE_NAME": table, "PARKED_QUEUE_URLS": parked or ""}
    settings = ErasureSettings.from_env({**environ, "REQUESTER_KEY_SECRET": key_secret or ""})
    session = aws_session(endpoint_url, region)  # one line for a missing region or credentials; local defaults
    return aws_eraser(
        settings,
        dynamodb=session.resource("dynamodb", endpoint_url=endpoint_url),
        sqs=session.client("sqs", endpoint_url=endpoint_url),
        secretsmanager=session.client("secretsmanager", endpoint_url=endpoint_url),
    )


def _erase(eraser: Eraser, ticket: TicketRef | None, requester: str | None, source: str | None) -> list[ErasureReceipt]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if ticket is not None:
            return [eraser.ticket(ticket)]
        return eraser.requester(str(source), str(requester))
    except (BotoCoreError, ClientError) as exc:
        fail(f"erasure failed, nothing is confirmed erased; run it again: {exc}", code=1)


def _report(receipt: ErasureReceipt) -> None:
    counts = receipt.counts
    if not receipt.erased:
        out.print(f"nothing stored for ticket hash {receipt.ticket_hash[:16]}: already erased or never scored")
        return
    out.print(
        f"erased {counts.total} items (ticket {counts.ticket}, messages {counts.message}, text {counts.text}, "
        f"reviews {counts.review}, other {counts.other}, queued {counts.queued}); receipt "
        f"{receipt.ticket_hash[:16]} at {receipt.erased_at:%Y-%m-%dT%H:%M:%SZ}"
    )
