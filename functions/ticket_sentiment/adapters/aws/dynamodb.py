"""DynamoDB adapter for the TicketStore port: one table, conditional writes (keys and indexes: `keys.py`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ...events import EscalationState, Outcome
from ...identity import TicketRef
from ...pipeline.lifecycle import ErasureCounts, ErasureReceipt, Retention
from ...pipeline.records import OutcomeClaim, PutStatus, StoredMessage, TicketView
from .keys import (
    ESCALATION_INDEX,
    INDEXES,
    MESSAGE_PREFIX,
    NEGATIVE_INDEX,
    PARTITION_KEY,
    REQUESTER_INDEX,
    REQUESTER_PREFIX,
    REVIEW_PREFIX,
    SORT_KEY,
    TEXT_PREFIX,
    TICKET_SK,
    TTL_ATTRIBUTE,
    conditional_failed,
    delivery_key,
    erasure_key,
    escalation_month_key,
    from_dynamo,
    message_key,
    negative_week_key,
    requester_index_key,
    scored_day_key,
    shadow_key,
    text_key,
    ticket_key,
    ticket_pk,
    to_dynamo,
)


def _claim_item(claim: OutcomeClaim) -> dict[str, Any]:
    return {
        **delivery_key(claim.delivery_id),
        "type": "delivery",
        "outcome": claim.outcome.value,
        "event_id": claim.event_id,
        "token": claim.token,
        "expires_at": int(claim.expires_at.timestamp()),
    }


def _held_by(old_item: dict[str, Any] | None, claim: OutcomeClaim) -> bool:
    """A failed claim's stored item (ReturnValuesOnConditionCheckFailure, in the wire format: errors are not
    deserialised) carries this claim's token when the write that failed was the SDK retrying our own."""
    return bool(old_item and old_item.get("token", {}).get("S") == claim.token)


def create_table(client: Any, table_name: str) -> None:
    """The table as the CDK stack defines it (used by the local stack and the tests)."""
    attrs = [PARTITION_KEY, SORT_KEY, *(f"{name}{part}" for name in INDEXES for part in ("PK", "SK"))]
    client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attrs],
        KeySchema=[
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "Projection": {"ProjectionType": "KEYS_ONLY" if name == REQUESTER_INDEX else "ALL"},
                "KeySchema": [
                    {"AttributeName": f"{name}PK", "KeyType": "HASH"},
                    {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
                ],
            }
            for name in INDEXES
        ],
    )
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )


_TICKET_META = ("source", "subject", "ticket_url", "product_area", "priority", "customer_tier")


def _ticket_update(
    view: TicketView,
    *,
    refresh_meta: bool,
    expires_at: int,
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The ticket item's update: scores always, metadata per `refresh_meta`, escalation fields never; the
    negative-tickets index key set while the current label is negative and removed otherwise; the TTL pushed on
    (a ticket is kept for its retention after its last message)."""
    data = view.model_dump(
        mode="json",
        exclude={"escalation_state", "last_alert_at", "last_alert_rule", "first_agent_reply_at", "origin"},
    )
    meta = _TICKET_META
    negative = _negative_index(view)
    # first_seen too: the earliest message's time
    always = {k: v for k, v in data.items() if k not in meta} | negative
    sets = [f"#{k} = :{k}" for k in always]
    # Metadata follows the latest message; a late, older message only fills in what is missing.
    sets += [f"#{k} = :{k}" if refresh_meta else f"#{k} = if_not_exists(#{k}, :{k})" for k in meta]
    sets += ["#escalation_state = if_not_exists(#escalation_state, :none)", "#type = :type", f"{TTL_ATTRIBUTE} = :ttl"]
    values = {f":{k}": v for k, v in data.items()} | {f":{k}": v for k, v in always.items()}
    values |= {":none": EscalationState.NONE.value, ":type": "ticket", ":n": view.message_count, ":ttl": expires_at}
    names = {f"#{k}": k for k in [*always, *meta, "escalation_state", "type"]}
    if view.origin is not None:  # the route of the ticket's first message: kept, so write-back can trust it
        sets.append("#origin = if_not_exists(#origin, :origin)")
        names["#origin"], values[":origin"] = "origin", view.origin.value
    update = "SET " + ", ".join(sets) + ("" if negative else " REMOVE GSI1PK, GSI1SK")
    return update, names, values


def _negative_index(view: TicketView) -> dict[str, str]:
    """GSI1's key while the ticket's current message is negative (most negative first), else nothing."""
    current = view.current
    if current is None or current.label != "negative":
        return {}
    return {
        "GSI1PK": negative_week_key(view.product_area, current.created_at),
        "GSI1SK": f"{current.score + 1:06.4f}#{view.ref.key}",
    }


def _kind(sort_key: str) -> str:
    """The erasure count an item of the ticket's partition falls under."""
    for prefix, kind in ((MESSAGE_PREFIX, "message"), (TEXT_PREFIX, "text"), (REVIEW_PREFIX, "review")):
        if sort_key.startswith(prefix):
            return kind
    return "ticket" if sort_key == TICKET_SK else "other"


class DynamoTicketStore:
    def __init__(
        self,
        table_name: str,
        resource: Any | None = None,
        *,
        retention: Retention | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.table = (resource or boto3.resource("dynamodb")).Table(table_name)
        self.retention = retention or Retention()
        self.clock = clock

    def message_status(self, ticket: TicketRef, message_id: str) -> PutStatus | None:
        item = self.table.get_item(
            Key=message_key(ticket, message_id), ConsistentRead=True, ProjectionExpression="done"
        ).get("Item")
        if item is None:
            return None
        return PutStatus.DONE if item.get("done") else PutStatus.PENDING

    def put_message(
        self,
        ticket: TicketRef,
        message: StoredMessage,
        redacted_text: str | None,
        expires_at: datetime | None,
        *,
        now: datetime,
        lease_seconds: int,
    ) -> PutStatus:
        key = message_key(ticket, message.message_id)
        now = now.astimezone(UTC)
        created = message.created_at.astimezone(UTC)  # one zone, so GSI3SK strings sort in time order
        item = {
            **key,
            "type": "message",
            "done": False,
            "claimed_at": now.isoformat(),
            TTL_ATTRIBUTE: self.retention.expires_at("message", now),
            "GSI3PK": scored_day_key(f"{created:%Y-%m-%d}"),
            "GSI3SK": f"{created.isoformat()}#{ticket.key}#{message.message_id}",
            **to_dynamo(message.model_dump(mode="json")),
        }
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
            return self._take_over(key, now, lease_seconds)
        if redacted_text is not None:
            # The caller's expiry (the scorer's text retention) wins; the policy's is the floor of "always one".
            ttl = int(expires_at.timestamp()) if expires_at is not None else self.retention.expires_at("text", now)
            self.table.put_item(
                Item={
                    **text_key(ticket, message.message_id),
                    "type": "text",
                    "text": redacted_text,
                    TTL_ATTRIBUTE: ttl,
                }
            )
        return PutStatus.NEW

    def _take_over(self, key: dict[str, str], now: datetime, lease_seconds: int) -> PutStatus:
        """The message exists: DONE, still leased (IN_FLIGHT), or its lease expired and is now ours (PENDING)."""
        cutoff = (now - timedelta(seconds=lease_seconds)).isoformat()
        try:
            self.table.update_item(
                Key=key,
                UpdateExpression="SET claimed_at = :now",
                ConditionExpression="done = :false AND (attribute_not_exists(claimed_at) OR claimed_at < :cutoff)",
                ExpressionAttributeValues={":now": now.isoformat(), ":false": False, ":cutoff": cutoff},
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
            item = self.table.get_item(Key=key, ConsistentRead=True, ProjectionExpression="done").get("Item") or {}
            return PutStatus.DONE if item.get("done") else PutStatus.IN_FLIGHT
        return PutStatus.PENDING

    def list_messages(self, ticket: TicketRef) -> list[StoredMessage]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :msg)",
            "ExpressionAttributeValues": {":pk": ticket_pk(ticket), ":msg": MESSAGE_PREFIX},
            "ConsistentRead": True,
        }
        while True:
            page = self.table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [StoredMessage.model_validate(from_dynamo(i), strict=False) for i in items]

    def message_text(self, ticket: TicketRef, message_id: str) -> str | None:
        item = self.table.get_item(Key=text_key(ticket, message_id)).get("Item")
        return None if item is None else str(item["text"])

    def save_ticket(self, view: TicketView, *, refresh_meta: bool, requester_hash: str | None = None) -> bool:
        update, names, values = _ticket_update(
            view, refresh_meta=refresh_meta, expires_at=self.retention.expires_at("ticket", self.clock())
        )
        if requester_hash is not None:  # a later event without one keeps the requester the ticket has
            index = requester_index_key(requester_hash, view.ref)
            set_clause = ", ".join(f"#{k} = :{k}" for k in index)
            update = update.replace("SET ", f"SET {set_clause}, ", 1)
            names |= {f"#{k}": k for k in index}
            values |= {f":{k}": v for k, v in index.items()}
        try:
            self.table.update_item(
                Key=ticket_key(view.ref),
                UpdateExpression=update,
                # An item holding only an agent's reply time has no message count yet.
                ConditionExpression="attribute_not_exists(#message_count) OR #message_count <= :n",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_dynamo(values),
            )
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def claim_alert(
        self,
        ticket: TicketRef,
        message_id: str,
        *,
        rule: str,
        state: EscalationState,
        now: datetime,
        cooldown_minutes: int,
    ) -> bool:
        now = now.astimezone(UTC)  # ISO strings compare in time order only in one zone
        cutoff = (now - timedelta(minutes=cooldown_minutes)).isoformat()
        at = now.isoformat()
        update = (
            "SET escalation_state = :state, last_alert_at = :now, last_alert_rule = :rule, last_alert_message = :mid"
        )
        values: dict[str, Any] = {
            ":state": state.value,
            ":now": at,
            ":rule": rule,
            ":mid": message_id,
            ":cutoff": cutoff,
        }
        if state == EscalationState.ALERTED:
            update += ", GSI2PK = :esc, GSI2SK = :escsk"
            values |= {":esc": escalation_month_key(now), ":escsk": f"{at}#{ticket.key}"}
        try:
            self.table.update_item(
                Key=ticket_key(ticket),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(last_alert_at) "
                "OR last_alert_at < :cutoff OR last_alert_message = :mid)",
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def mark_done(self, ticket: TicketRef, message_id: str, claim: OutcomeClaim | None = None) -> bool:
        done: dict[str, Any] = {
            "Key": message_key(ticket, message_id),
            "UpdateExpression": "SET done = :t",
            "ExpressionAttributeValues": {":t": True},
        }
        if claim is None:
            self.table.update_item(**done)
            return True
        # The resource's client takes and returns plain Python values, like the Table. botocore gives the call a
        # ClientRequestToken, so its own retries of it are idempotent.
        try:
            self.table.meta.client.transact_write_items(
                TransactItems=[
                    {"Update": {"TableName": self.table.name, **done}},
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": _claim_item(claim),
                            "ConditionExpression": "attribute_not_exists(PK)",
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                ]
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            outcome = reasons[1] if len(reasons) == 2 else {}
            if outcome.get("Code") != "ConditionalCheckFailed":
                raise  # a conflict with another transaction, throttling: the record fails and SQS retries it
            return _held_by(outcome.get("Item"), claim)
        return True

    def delivery_outcome(self, delivery_id: str) -> Outcome | None:
        item = self.table.get_item(
            Key=delivery_key(delivery_id), ConsistentRead=True, ProjectionExpression="outcome"
        ).get("Item")
        return None if item is None else Outcome(str(item["outcome"]))

    def claim_outcome(self, claim: OutcomeClaim) -> bool:
        try:
            self.table.put_item(
                Item=_claim_item(claim),
                ConditionExpression="attribute_not_exists(PK)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
            return _held_by(exc.response.get("Item"), claim)
        return True

    def get_ticket(self, ticket: TicketRef) -> TicketView | None:
        item = self.table.get_item(Key=ticket_key(ticket), ConsistentRead=True).get("Item")
        if item is None:
            return None
        if "message_count" not in item:
            return None  # only an agent's reply so far: no customer message has been scored
        data = from_dynamo(item)
        return TicketView.model_validate({k: v for k, v in data.items() if k in TicketView.model_fields})

    def record_agent_reply(self, ticket: TicketRef, at: datetime) -> bool:
        at_iso = at.astimezone(UTC).isoformat()  # ISO strings compare in time order only in one zone
        try:
            self.table.update_item(
                # An agent's reply may create the ticket item: it gets a TTL unless a message already set one.
                Key=ticket_key(ticket),
                UpdateExpression=f"SET first_agent_reply_at = :t, {TTL_ATTRIBUTE} = "
                f"if_not_exists({TTL_ATTRIBUTE}, :ttl)",
                ConditionExpression="attribute_not_exists(first_agent_reply_at) OR first_agent_reply_at > :t",
                ExpressionAttributeValues={":t": at_iso, ":ttl": self.retention.expires_at("ticket", self.clock())},
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
            return False
        return True

    def negative_tickets(self, product_area: str | None, week_of: datetime) -> list[dict[str, Any]]:
        page = self.table.query(
            IndexName=NEGATIVE_INDEX,
            KeyConditionExpression="GSI1PK = :k",
            ExpressionAttributeValues={":k": negative_week_key(product_area, week_of)},
        )
        return [from_dynamo(i) for i in page.get("Items", [])]

    def recent_escalations(self, month: datetime, limit: int = 50) -> list[dict[str, Any]]:
        page = self.table.query(
            IndexName=ESCALATION_INDEX,
            KeyConditionExpression="GSI2PK = :k",
            ScanIndexForward=False,
            Limit=limit,
            ExpressionAttributeValues={":k": escalation_month_key(month)},
        )
        return [from_dynamo(i) for i in page.get("Items", [])]

    def erase_ticket(self, ticket: TicketRef) -> ErasureCounts:
        """Delete every item in the ticket's partition (one Query page at a time, keys only); idempotent."""
        counts: dict[str, int] = {}
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk",
            "ConsistentRead": True,
            "ProjectionExpression": "PK, SK",
            "ExpressionAttributeValues": {":pk": ticket_pk(ticket)},
        }
        while True:
            page = self.table.query(**kwargs)
            for item in page.get("Items", []):
                self.table.delete_item(Key={PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]})
                kind = _kind(str(item[SORT_KEY]))
                counts[kind] = counts.get(kind, 0) + 1
            if "LastEvaluatedKey" not in page:
                return ErasureCounts(**counts)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def tickets_of_requester(self, requester_hash: str) -> list[TicketRef]:
        keys: list[str] = []
        kwargs: dict[str, Any] = {
            "IndexName": REQUESTER_INDEX,
            "KeyConditionExpression": f"{REQUESTER_INDEX}PK = :k",
            "ExpressionAttributeValues": {":k": f"{REQUESTER_PREFIX}{requester_hash}"},
        }
        while True:
            page = self.table.query(**kwargs)
            keys += [str(item[f"{REQUESTER_INDEX}SK"]) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return [TicketRef.parse(key) for key in sorted(set(keys))]
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def drop_message(self, ticket: TicketRef, message_id: str) -> ErasureCounts:
        counts: dict[str, int] = {}
        for kind, key in (
            ("message", message_key(ticket, message_id)),
            ("text", text_key(ticket, message_id)),
            ("other", shadow_key(ticket, message_id)),  # a shadow model's score of the same message
        ):
            old = self.table.delete_item(Key=key, ReturnValues="ALL_OLD").get("Attributes")
            counts[kind] = int(old is not None)
        return ErasureCounts(**counts)

    def restate_ticket(self, view: TicketView) -> bool:
        update, names, values = _ticket_update(
            view, refresh_meta=False, expires_at=self.retention.expires_at("ticket", self.clock())
        )
        values.pop(":n")  # no count condition: a dropped message lowers it
        try:
            self.table.update_item(
                Key=ticket_key(view.ref),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(#message_count)",
                ExpressionAttributeNames=names | {"#message_count": "message_count"},
                ExpressionAttributeValues=to_dynamo(values),
            )
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def record_erasure(self, receipt: ErasureReceipt) -> None:
        self.table.put_item(
            Item={
                **erasure_key(receipt.ticket_hash, receipt.erased_at),
                "type": "erasure",
                "erased_at": receipt.erased_at.astimezone(UTC).isoformat(),
                **receipt.counts.model_dump(),
                TTL_ATTRIBUTE: self.retention.expires_at("erasure_receipt", receipt.erased_at),
            }
        )
