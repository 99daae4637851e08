"""Adapters more than one function builds from its settings: the table's ticket and review stores and the eraser.

Each is built once per Lambda container, on first use (after the environment is set), and reused.
"""

from __future__ import annotations

from functools import cache

from ..pipeline.lifecycle import Eraser
from ..ports import ReviewStore, TicketAdminStore
from ..settings import ErasureSettings, TableSettings


@cache
def ticket_store() -> TicketAdminStore:
    from ..adapters.aws.dynamodb import DynamoTicketStore

    settings = TableSettings.from_env()
    return DynamoTicketStore(settings.table_name, retention=settings.retention)


@cache
def review_store() -> ReviewStore:
    from ..adapters.aws.reviews import DynamoReviewStore

    settings = TableSettings.from_env()
    return DynamoReviewStore(settings.table_name, retention=settings.retention)


@cache
def table_eraser() -> Eraser:
    """Erasure over the table, the parked queues and the requester key (KeyError without a table)."""
    from ..adapters.aws.erasure import aws_eraser

    return aws_eraser(ErasureSettings.from_env())
