"""DynamoDB adapter for the shadow model's scores (ports.ShadowStore, ports.ShadowHistory), on the ticket table.

Keys (`keys.py`): PK=TICKET#<ticket_id> SK=SHADOW#<message_id>, GSI3PK=SHADOW#<YYYY-MM-DD of created_at>
GSI3SK=<created_at ISO>#<ticket_id>#<message_id>. In the ticket's partition, so erasure removes them with the
rest; apart from the MSG# items, so nothing that reads scored messages (drift, audit, report, the API) sees them.
Every item carries the TTL of a scored message (the retention policy's `message`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
from pydantic import ValidationError

from ...identity import TicketRef
from ...pipeline.lifecycle import Retention
from ...pipeline.shadow_records import ShadowRecord
from .history import days_between
from .keys import DAY_INDEX, TTL_ATTRIBUTE, from_dynamo, iso, shadow_day_key, shadow_key, to_dynamo

log = logging.getLogger(__name__)


class DynamoShadowStore:
    def __init__(self, table_name: str, resource: Any | None = None, *, retention: Retention | None = None) -> None:
        self.table = (resource or boto3.resource("dynamodb")).Table(table_name)
        self.retention = retention or Retention()

    def put_shadow(self, record: ShadowRecord, *, now: datetime) -> None:
        created = record.created_at.astimezone(UTC)  # one zone, so GSI3SK strings sort in time order
        self.table.put_item(
            Item={
                **shadow_key(TicketRef.parse(record.ticket_id), record.message_id),
                "type": "shadow",
                TTL_ATTRIBUTE: self.retention.expires_at("message", now),
                "GSI3PK": shadow_day_key(f"{created:%Y-%m-%d}"),
                "GSI3SK": f"{iso(created)}#{record.ticket_id}#{record.message_id}",
                **to_dynamo(record.model_dump(mode="json")),
            }
        )

    def shadow_between(self, start: datetime, end: datetime) -> Iterator[ShadowRecord]:
        for day in days_between(start, end):
            kwargs: dict[str, Any] = {
                "IndexName": DAY_INDEX,
                "KeyConditionExpression": "GSI3PK = :k",
                "ExpressionAttributeValues": {":k": shadow_day_key(day)},
            }
            while True:
                page = self.table.query(**kwargs)
                for item in page.get("Items", []):
                    record = _record(item)
                    if record is not None and start <= record.created_at < end:
                        yield record
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _record(item: dict[str, Any]) -> ShadowRecord | None:
    data = from_dynamo(item)
    try:
        return ShadowRecord.model_validate({k: v for k, v in data.items() if k in ShadowRecord.model_fields})
    except ValidationError:
        log.warning("skipping a shadow item that does not parse")  # counted, never its content
        return None
