"""DynamoDB reads for the trust loop (drift, audit, report): the scored history by day, ticket metadata,
redacted texts and review verdicts. Read-only; the write path stays in `dynamodb.py`.

GSI3 is overloaded by key prefix: `SCORED#<YYYY-MM-DD>` for message items, `REVIEWED#<YYYY-MM-DD>` for review
items (the review flow writes those). One Query per UTC day, paginated, keeps every read on a single partition.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from pydantic import ValidationError

from ...identity import BadTicketRefError, TicketRef
from ...pipeline.history import ReviewRecord, ScoredRecord, TicketMeta
from .keys import (
    DAY_INDEX,
    MESSAGE_PREFIX,
    TICKET_PREFIX,
    from_dynamo,
    reviewed_day_key,
    scored_day_key,
    strip_prefix,
    text_key,
    ticket_key,
)

log = logging.getLogger(__name__)
BATCH_GET_LIMIT = 100  # DynamoDB's BatchGetItem maximum
_TICKET_FIELDS = ("product_area", "customer_tier", "first_seen", "first_agent_reply_at")


def days_between(start: datetime, end: datetime) -> list[str]:
    """The UTC days (YYYY-MM-DD) that [start, end) touches."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    days: list[str] = []
    day = start.date()
    while datetime(day.year, day.month, day.day, tzinfo=UTC) < end:
        days.append(day.isoformat())
        day += timedelta(days=1)
    return days


class DynamoHistory:
    def __init__(self, table_name: str, resource: Any | None = None) -> None:
        self.resource = resource or boto3.resource("dynamodb")
        self.table_name = table_name
        self.table = self.resource.Table(table_name)
        self._meta: dict[str, TicketMeta] = {}

    def _query_day(self, key: str) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "IndexName": DAY_INDEX,
            "KeyConditionExpression": "GSI3PK = :k",
            "ExpressionAttributeValues": {":k": key},
        }
        while True:
            page = self.table.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def scored_between(
        self,
        start: datetime,
        end: datetime,
        *,
        with_ticket_meta: bool = False,
    ) -> Iterator[ScoredRecord]:
        for day in days_between(start, end):
            records = [
                r
                for r in (self._record(i) for i in self._query_day(scored_day_key(day)))
                if r is not None and start <= r.created_at < end
            ]
            if with_ticket_meta and records:
                meta = self.tickets(r.ticket_id for r in records)
                records = [_with_meta(r, meta.get(r.ticket_id)) for r in records]
            yield from records

    @staticmethod
    def _record(item: dict[str, Any]) -> ScoredRecord | None:
        data = from_dynamo(item)
        try:
            return ScoredRecord.model_validate(
                {
                    **{k: v for k, v in data.items() if k in ScoredRecord.model_fields},
                    "ticket_id": strip_prefix(data.get("PK", ""), TICKET_PREFIX),
                    "message_id": strip_prefix(data.get("SK", ""), MESSAGE_PREFIX),
                }
            )
        except ValidationError:
            # One malformed item must not stop a monthly job; it is counted in the logs, never its content.
            log.warning("skipping a GSI3 item that is not a scored message")
            return None

    def tickets(self, ticket_ids: Iterable[str]) -> dict[str, TicketMeta]:
        """Ticket metadata by id (BatchGetItem, 100 keys a call, unprocessed keys retried); cached per instance."""
        wanted = list(ticket_ids)  # may be a generator: it is read twice
        todo = sorted({t for t in wanted if t not in self._meta})
        refs = [ref for ref in map(_ref, todo) if ref is not None]
        names = {f"#{f}": f for f in ("PK", *_TICKET_FIELDS)}
        for i in range(0, len(refs), BATCH_GET_LIMIT):
            self._fetch(
                {
                    self.table_name: {
                        "Keys": [ticket_key(ref) for ref in refs[i : i + BATCH_GET_LIMIT]],
                        "ProjectionExpression": ", ".join(names),
                        "ExpressionAttributeNames": names,
                    }
                }
            )
        return {t: self._meta[t] for t in wanted if t in self._meta}

    def _fetch(self, request: dict[str, Any]) -> None:
        """One BatchGetItem, its unprocessed keys asked again (up to 10 calls)."""
        for _ in range(10):
            response = self.resource.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self.table_name, []):
                self._remember(item)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return

    def _remember(self, item: dict[str, Any]) -> None:
        data = from_dynamo(item)
        ticket_id = strip_prefix(data.pop("PK"), TICKET_PREFIX)
        try:
            self._meta[ticket_id] = TicketMeta.model_validate({**data, "ticket_id": ticket_id})
        except ValidationError:
            log.warning("skipping a ticket item with unreadable metadata")

    def redacted_text(self, ticket_id: str, message_id: str, *, now: datetime | None = None) -> str | None:
        ref = _ref(ticket_id)
        if ref is None:
            return None
        item = self.table.get_item(Key=text_key(ref, message_id)).get("Item")
        if item is None or not isinstance(item.get("text"), str):
            return None
        expires = item.get("expires_at")
        # DynamoDB deletes expired items lazily (within days): an expired text counts as gone already.
        if expires is not None and int(expires) <= (now or datetime.now(UTC)).timestamp():
            return None
        return str(item["text"])

    def reviewed_between(self, start: datetime, end: datetime) -> Iterator[ReviewRecord]:
        """Review verdicts in [start, end), read defensively: the review flow owns that item shape."""
        for day in days_between(start, end):
            for item in self._query_day(reviewed_day_key(day)):
                record = _review_record(from_dynamo(item))
                if record is not None and (record.reviewed_at is None or start <= record.reviewed_at < end):
                    yield record


def _ref(ticket_key: str) -> TicketRef | None:
    """The ticket a record's key names; None for an item keyed the old way (a bare id: README, "Tenancy")."""
    try:
        return TicketRef.parse(ticket_key)
    except BadTicketRefError:
        return None


def _with_meta(record: ScoredRecord, meta: TicketMeta | None) -> ScoredRecord:
    """The ticket's product area and tier where the message item has none."""
    return record.model_copy(
        update={
            "product_area": record.product_area or (meta.product_area if meta is not None else None),
            "customer_tier": record.customer_tier or (meta.customer_tier if meta is not None else None),
        }
    )


def _review_record(data: dict[str, Any]) -> ReviewRecord | None:
    """A review item as a ReviewRecord (its time in UTC), or None without a verdict."""
    verdict = data.get("verdict")
    if not isinstance(verdict, str):
        return None
    ticket_id = str(data.get("ticket_id") or strip_prefix(data.get("PK", ""), TICKET_PREFIX))
    at = data.get("reviewed_at") or str(data.get("GSI3SK", "")).split("#", 1)[0] or None
    try:
        record = ReviewRecord(ticket_id=ticket_id, verdict=verdict, reviewed_at=at)
    except ValidationError:
        record = ReviewRecord(ticket_id=ticket_id, verdict=verdict)
    at_utc = record.reviewed_at
    if at_utc is not None and at_utc.tzinfo is None:
        at_utc = at_utc.replace(tzinfo=UTC)  # a zone-less time from another writer: read it as UTC
    return record.model_copy(update={"reviewed_at": at_utc})
