"""DynamoDB adapter for the TicketStore port: one table, conditional writes.

Keys (all strings):
    ticket        PK=TICKET#<ticket_id>  SK=TICKET
    message       PK=TICKET#<ticket_id>  SK=MSG#<message_id>      scores only; `done` once fully processed
    message text  PK=TICKET#<ticket_id>  SK=TEXT#<message_id>     redacted text, deleted by TTL (`expires_at`)
    delivery      PK=DELIVERY#<SQS message id>  SK=OUTCOME       the delivery's one terminal outcome and event id,
                                                                  deleted by TTL (`expires_at`, 14 days)
GSIs (sparse):
    GSI1 negative tickets by product area and week: GSI1PK=NEG#<product_area|->#<ISO week>  GSI1SK=<score>#<id>
         (set while the ticket's current label is negative, removed otherwise)
    GSI2 recent escalations: GSI2PK=ESC#<YYYY-MM>  GSI2SK=<last_alert_at ISO>#<ticket_id>  (real alerts only)
    GSI3 items by day, overloaded by prefix: GSI3PK=<KIND>#<YYYY-MM-DD>  GSI3SK=<ISO time>#<ticket_id>#<id>
         (scored messages for drift and audits: SCORED#<day of created_at, UTC>, set on the message item;
          reviews for escalation precision: REVIEWED#<day>)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ..pipeline.events import EscalationState, Outcome
from ..pipeline.records import OutcomeClaim, PutStatus, StoredMessage, TicketView

TICKET_SK = "TICKET"
OUTCOME_SK = "OUTCOME"


def _pk(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


def _to_dynamo(value: Any) -> Any:
    """JSON-compatible value -> DynamoDB resource value (floats become Decimals)."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def _conditional_failed(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def _delivery_key(delivery_id: str) -> dict[str, str]:
    return {"PK": f"DELIVERY#{delivery_id}", "SK": OUTCOME_SK}


def _claim_item(claim: OutcomeClaim) -> dict[str, Any]:
    return {**_delivery_key(claim.delivery_id), "type": "delivery", "outcome": claim.outcome.value,
            "event_id": claim.event_id, "token": claim.token, "expires_at": int(claim.expires_at.timestamp())}


def _held_by(old_item: dict[str, Any] | None, claim: OutcomeClaim) -> bool:
    """A failed claim's stored item (ReturnValuesOnConditionCheckFailure, in the wire format: errors are not
    deserialised) carries this claim's token when the write that failed was the SDK retrying our own."""
    return bool(old_item and old_item.get("token", {}).get("S") == claim.token)


def negative_week_key(product_area: str | None, when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"NEG#{product_area or '-'}#{year}-W{week:02d}"


def create_table(client: Any, table_name: str) -> None:
    """The table as the CDK stack defines it (used by the local stack and the tests)."""
    attrs = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"]
    client.create_table(
        TableName=table_name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attrs],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": name, "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": f"{name}PK", "KeyType": "HASH"},
                           {"AttributeName": f"{name}SK", "KeyType": "RANGE"}]}
            for name in ("GSI1", "GSI2", "GSI3")])
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(TableName=table_name,
                               TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})


class DynamoTicketStore:
    def __init__(self, table_name: str, resource: Any | None = None) -> None:
        self.table = (resource or boto3.resource("dynamodb")).Table(table_name)

    def message_status(self, ticket_id: str, message_id: str) -> PutStatus | None:
        item = self.table.get_item(Key={"PK": _pk(ticket_id), "SK": f"MSG#{message_id}"}, ConsistentRead=True,
                                   ProjectionExpression="done").get("Item")
        if item is None:
            return None
        return PutStatus.DONE if item.get("done") else PutStatus.PENDING

    def put_message(self, ticket_id: str, message: StoredMessage, redacted_text: str | None,
                    expires_at: datetime | None, *, now: datetime, lease_seconds: int) -> PutStatus:
        key = {"PK": _pk(ticket_id), "SK": f"MSG#{message.message_id}"}
        now = now.astimezone(UTC)
        created = message.created_at.astimezone(UTC)  # one zone, so GSI3SK strings sort in time order
        item = {**key, "type": "message", "done": False, "claimed_at": now.isoformat(),
                "GSI3PK": f"SCORED#{created:%Y-%m-%d}",
                "GSI3SK": f"{created.isoformat()}#{ticket_id}#{message.message_id}",
                **_to_dynamo(message.model_dump(mode="json"))}
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            return self._take_over(key, now, lease_seconds)
        if redacted_text is not None:
            text_item: dict[str, Any] = {"PK": key["PK"], "SK": f"TEXT#{message.message_id}", "type": "text",
                                         "text": redacted_text}
            if expires_at is not None:
                text_item["expires_at"] = int(expires_at.timestamp())
            self.table.put_item(Item=text_item)
        return PutStatus.NEW

    def _take_over(self, key: dict[str, str], now: datetime, lease_seconds: int) -> PutStatus:
        """The message exists: DONE, still leased (IN_FLIGHT), or its lease expired and is now ours (PENDING)."""
        cutoff = (now - timedelta(seconds=lease_seconds)).isoformat()
        try:
            self.table.update_item(
                Key=key, UpdateExpression="SET claimed_at = :now",
                ConditionExpression="done = :false AND (attribute_not_exists(claimed_at) OR claimed_at < :cutoff)",
                ExpressionAttributeValues={":now": now.isoformat(), ":false": False, ":cutoff": cutoff})
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            item = self.table.get_item(Key=key, ConsistentRead=True, ProjectionExpression="done").get("Item") or {}
            return PutStatus.DONE if item.get("done") else PutStatus.IN_FLIGHT
        return PutStatus.PENDING

    def list_messages(self, ticket_id: str) -> list[StoredMessage]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :msg)",
            "ExpressionAttributeValues": {":pk": _pk(ticket_id), ":msg": "MSG#"}, "ConsistentRead": True}
        while True:
            page = self.table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [StoredMessage.model_validate(_from_dynamo(i), strict=False) for i in items]

    def message_text(self, ticket_id: str, message_id: str) -> str | None:
        item = self.table.get_item(Key={"PK": _pk(ticket_id), "SK": f"TEXT#{message_id}"}).get("Item")
        return None if item is None else str(item["text"])

    def save_ticket(self, view: TicketView, *, refresh_meta: bool) -> bool:
        data = view.model_dump(mode="json", exclude={"escalation_state", "last_alert_at", "last_alert_rule",
                                                     "first_agent_reply_at"})
        meta = {"source", "subject", "ticket_url", "product_area", "priority", "customer_tier"}
        always = {k: v for k, v in data.items() if k not in meta}  # first_seen too: the earliest message's time
        current = view.current
        if current is not None and current.label == "negative":
            always["GSI1PK"] = negative_week_key(view.product_area, current.created_at)
            always["GSI1SK"] = f"{current.score + 1:06.4f}#{view.ticket_id}"  # most negative first
        sets = [f"#{k} = :{k}" for k in always]
        # Metadata follows the latest message; a late, older message only fills in what is missing.
        sets += [f"#{k} = :{k}" if refresh_meta else f"#{k} = if_not_exists(#{k}, :{k})" for k in meta]
        sets += ["#escalation_state = if_not_exists(#escalation_state, :none)", "#type = :type"]
        values = {f":{k}": v for k, v in data.items()} | {f":{k}": v for k, v in always.items()}
        values |= {":none": EscalationState.NONE.value, ":type": "ticket", ":n": view.message_count}
        names = {f"#{k}": k for k in [*always, *meta, "escalation_state", "type"]}
        update = "SET " + ", ".join(sets)
        if current is None or current.label != "negative":
            update += " REMOVE GSI1PK, GSI1SK"
        try:
            self.table.update_item(
                Key={"PK": _pk(view.ticket_id), "SK": TICKET_SK}, UpdateExpression=update,
                # An item holding only an agent's reply time has no message count yet.
                ConditionExpression="attribute_not_exists(#message_count) OR #message_count <= :n",
                ExpressionAttributeNames=names, ExpressionAttributeValues=_to_dynamo(values))
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def claim_alert(self, ticket_id: str, message_id: str, *, rule: str, state: EscalationState, now: datetime,
                    cooldown_minutes: int) -> bool:
        now = now.astimezone(UTC)  # ISO strings compare in time order only in one zone
        cutoff = (now - timedelta(minutes=cooldown_minutes)).isoformat()
        at = now.isoformat()
        update = ("SET escalation_state = :state, last_alert_at = :now, last_alert_rule = :rule, "
                  "last_alert_message = :mid")
        values: dict[str, Any] = {":state": state.value, ":now": at, ":rule": rule, ":mid": message_id,
                                  ":cutoff": cutoff}
        if state == EscalationState.ALERTED:
            update += ", GSI2PK = :esc, GSI2SK = :escsk"
            values |= {":esc": f"ESC#{now:%Y-%m}", ":escsk": f"{at}#{ticket_id}"}
        try:
            self.table.update_item(
                Key={"PK": _pk(ticket_id), "SK": TICKET_SK}, UpdateExpression=update,
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(last_alert_at) "
                                    "OR last_alert_at < :cutoff OR last_alert_message = :mid)",
                ExpressionAttributeValues=values)
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def mark_done(self, ticket_id: str, message_id: str, claim: OutcomeClaim | None = None) -> bool:
        done: dict[str, Any] = {"Key": {"PK": _pk(ticket_id), "SK": f"MSG#{message_id}"},
                                "UpdateExpression": "SET done = :t", "ExpressionAttributeValues": {":t": True}}
        if claim is None:
            self.table.update_item(**done)
            return True
        # The resource's client takes and returns plain Python values, like the Table. botocore gives the call a
        # ClientRequestToken, so its own retries of it are idempotent.
        try:
            self.table.meta.client.transact_write_items(TransactItems=[
                {"Update": {"TableName": self.table.name, **done}},
                {"Put": {"TableName": self.table.name, "Item": _claim_item(claim),
                         "ConditionExpression": "attribute_not_exists(PK)",
                         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
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
        item = self.table.get_item(Key=_delivery_key(delivery_id), ConsistentRead=True,
                                   ProjectionExpression="outcome").get("Item")
        return None if item is None else Outcome(str(item["outcome"]))

    def claim_outcome(self, claim: OutcomeClaim) -> bool:
        try:
            self.table.put_item(Item=_claim_item(claim), ConditionExpression="attribute_not_exists(PK)",
                                ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            return _held_by(exc.response.get("Item"), claim)
        return True

    def get_ticket(self, ticket_id: str) -> TicketView | None:
        item = self.table.get_item(Key={"PK": _pk(ticket_id), "SK": TICKET_SK}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        if "message_count" not in item:
            return None  # only an agent's reply so far: no customer message has been scored
        data = _from_dynamo(item)
        return TicketView.model_validate({k: v for k, v in data.items() if k in TicketView.model_fields})

    def record_agent_reply(self, ticket_id: str, at: datetime) -> bool:
        at_iso = at.astimezone(UTC).isoformat()  # ISO strings compare in time order only in one zone
        try:
            self.table.update_item(
                Key={"PK": _pk(ticket_id), "SK": TICKET_SK}, UpdateExpression="SET first_agent_reply_at = :t",
                ConditionExpression="attribute_not_exists(first_agent_reply_at) OR first_agent_reply_at > :t",
                ExpressionAttributeValues={":t": at_iso})
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            return False
        return True

    def negative_tickets(self, product_area: str | None, week_of: datetime) -> list[dict[str, Any]]:
        page = self.table.query(IndexName="GSI1", KeyConditionExpression="GSI1PK = :k",
                                ExpressionAttributeValues={":k": negative_week_key(product_area, week_of)})
        return [_from_dynamo(i) for i in page.get("Items", [])]

    def recent_escalations(self, month: datetime, limit: int = 50) -> list[dict[str, Any]]:
        page = self.table.query(IndexName="GSI2", KeyConditionExpression="GSI2PK = :k", ScanIndexForward=False,
                                Limit=limit, ExpressionAttributeValues={":k": f"ESC#{month:%Y-%m}"})
        return [_from_dynamo(i) for i in page.get("Items", [])]
