"""DynamoDB adapter for the ReviewStore port, on the ticket table (keys and indexes: `keys.py`).

Keys:
    review   PK=TICKET#<ticket key>  SK=REVIEW#<alert_id>     one verdict per alert; a later click replaces it
             GSI3PK=REVIEWED#<YYYY-MM-DD>  GSI3SK=<reviewed_at ISO, fixed width>#<ticket key>#<alert_id>
    ticket   PK=TICKET#<ticket key>  SK=TICKET                gets review_verdict / reviewed_by / reviewed_at
GSI3 is shared with other kinds of day-bucketed items; the REVIEWED# prefix keeps reviews apart.
Only the reviewer's display name and Slack user id are stored, never an email.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ...identity import TicketRef
from ...pipeline.lifecycle import Retention
from ...review.models import Review
from .keys import (
    DAY_INDEX,
    MESSAGE_PREFIX,
    TTL_ATTRIBUTE,
    conditional_failed,
    iso,
    review_key,
    reviewed_day_key,
    ticket_key,
    ticket_pk,
)

MAX_DAYS = 400  # a bound on the Query fan-out: one Query (or a few pages) per day


def day_key(at: datetime) -> str:
    return reviewed_day_key(f"{at.astimezone(UTC):%Y-%m-%d}")


class DynamoReviewStore:
    def __init__(
        self,
        table_name: str,
        resource: Any | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        retention: Retention | None = None,
    ) -> None:
        self.table = (resource or boto3.resource("dynamodb")).Table(table_name)
        self.clock = clock
        self.retention = retention or Retention()

    def record(self, review: Review) -> Review:
        """Upsert the alert's verdict (latest review time wins; the first review time is kept) and stamp the
        ticket. Returns the review as stored, with `first_reviewed_at`."""
        at = iso(review.reviewed_at)
        values: dict[str, Any] = {
            ":type": "review",
            ":ticket": review.ticket_id,
            ":alert": review.alert_id,
            ":verdict": review.verdict,
            ":reviewer": review.reviewer,
            ":at": at,
            ":source": review.source,
            ":day": day_key(review.reviewed_at),
            ":daysk": f"{at}#{review.ticket_id}#{review.alert_id}",
            ":ttl": self.retention.expires_at("review", max(review.reviewed_at, self.clock())),
        }
        sets = [
            "#type = :type",
            "ticket_id = :ticket",
            "alert_id = :alert",
            "verdict = :verdict",
            "reviewer = :reviewer",
            "reviewed_at = :at",
            "#source = :source",
            "first_reviewed_at = if_not_exists(first_reviewed_at, :at)",
            "GSI3PK = :day",
            "GSI3SK = :daysk",
            f"{TTL_ATTRIBUTE} = :ttl",
        ]
        update = "SET " + ", ".join(sets)
        version = self._model_version(review)
        if version is not None:
            update += ", model_version = :model"
            values[":model"] = version
        if review.reviewer_id is not None:
            update += ", reviewer_id = :rid"
            values[":rid"] = review.reviewer_id
        else:
            update += " REMOVE reviewer_id"
        try:
            stored = self.table.update_item(
                Key=review_key(review.ref, review.alert_id),
                UpdateExpression=update,
                ExpressionAttributeNames={"#type": "type", "#source": "source"},
                # A delayed write of an older click must not undo a newer one.
                ConditionExpression="attribute_not_exists(reviewed_at) OR reviewed_at <= :at",
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
            return self._get(review.ref, review.alert_id) or review
        self._stamp_ticket(review, at)
        return _review(stored)

    def _model_version(self, review: Review) -> str | None:
        """The model version of the alerted message (the alert id starts with its event id), or None when it is not
        stored (erased, expired)."""
        event_id = review.alert_id.split(":", 1)[0]
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :msg)",
            "FilterExpression": "event_id = :e",
            "ProjectionExpression": "model_version",
            "ExpressionAttributeValues": {":pk": ticket_pk(review.ref), ":msg": MESSAGE_PREFIX, ":e": event_id},
        }
        while True:
            page = self.table.query(**kwargs)
            for item in page.get("Items", []):
                return str(item["model_version"]) if "model_version" in item else None
            if "LastEvaluatedKey" not in page:
                return None
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _stamp_ticket(self, review: Review, at: str) -> None:
        """The ticket item shows its latest verdict; only an existing ticket, and never an older review."""
        try:
            self.table.update_item(
                Key=ticket_key(review.ref),
                UpdateExpression="SET review_verdict = :v, reviewed_by = :by, reviewed_at = :at, "
                "reviewed_alert_id = :alert",
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(reviewed_at) "
                "OR reviewed_at <= :at)",
                ExpressionAttributeValues={
                    ":v": review.verdict,
                    ":by": review.reviewer,
                    ":at": at,
                    ":alert": review.alert_id,
                },
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise

    def _get(self, ticket: TicketRef, alert_id: str) -> Review | None:
        item = self.table.get_item(Key=review_key(ticket, alert_id), ConsistentRead=True).get("Item")
        return None if item is None else _review(item)

    def get(self, ticket: TicketRef, alert_id: str) -> Review | None:
        return self._get(ticket, alert_id)

    def reviews_since(self, since: datetime) -> list[Review]:
        """Reviews whose latest verdict is at or after `since`, oldest first: one Query per day (GSI3)."""
        since = since.astimezone(UTC)
        now = max(self.clock().astimezone(UTC), since)
        first: date = since.date()
        days = min((now.date() - first).days, MAX_DAYS)
        out: list[Review] = []
        for offset in range(days + 1):
            day = first + timedelta(days=offset)
            values = {":day": reviewed_day_key(f"{day:%Y-%m-%d}")}
            condition = "GSI3PK = :day"
            if offset == 0:  # only the first day is cut; later days are read whole
                condition += " AND GSI3SK >= :from"
                values[":from"] = iso(since)
            kwargs: dict[str, Any] = {
                "IndexName": DAY_INDEX,
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
            while True:
                page = self.table.query(**kwargs)
                out.extend(_review(item) for item in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return out


def _review(item: dict[str, Any]) -> Review:
    return Review.model_validate(
        {
            "ticket_id": item["ticket_id"],
            "alert_id": item["alert_id"],
            "verdict": item["verdict"],
            "reviewer": item["reviewer"],
            "reviewer_id": item.get("reviewer_id"),
            "reviewed_at": item["reviewed_at"],
            "source": item["source"],
            "first_reviewed_at": item.get("first_reviewed_at"),
            "model_version": item.get("model_version"),
        }
    )
