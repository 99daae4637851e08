"""The ticket table's keys, index names and value codec, defined once for every DynamoDB adapter (and the stack).

A ticket's partition is named by its canonical key (identity.TicketRef: `<source>[/<brand>]:<id>`), so
two helpdesks or brands with the same ticket id are two partitions. <ticket> below is that key.
Keys (all strings):
    ticket        PK=TICKET#<ticket>  SK=TICKET
    message       PK=TICKET#<ticket>  SK=MSG#<message_id>      scores only; `done` once fully processed
    message text  PK=TICKET#<ticket>  SK=TEXT#<message_id>     redacted text, deleted by TTL (`expires_at`)
    review        PK=TICKET#<ticket>  SK=REVIEW#<alert_id>     one verdict per alert; a later click replaces it
    shadow score  PK=TICKET#<ticket>  SK=SHADOW#<message_id>   the shadow model's score beside the live one
                                                              (pipeline/shadow.py), the messages' retention
    delivery      PK=DELIVERY#<SQS message id>  SK=OUTCOME       the delivery's one terminal outcome and event id,
                                                                  deleted by TTL (`expires_at`, 14 days)
    erasure       PK=ERASURE#<sha256 of ticket key>  SK=RECEIPT#<ISO time>   counts only, no content
Every item carries the TTL attribute (`expires_at`), set from the retention policy (pipeline/lifecycle.py).
GSIs (sparse):
    GSI1 negative tickets by product area and week: GSI1PK=NEG#<product_area|->#<ISO week>  GSI1SK=<score>#<ticket>
         (set while the ticket's current label is negative, removed otherwise)
    GSI2 recent escalations: GSI2PK=ESC#<YYYY-MM>  GSI2SK=<last_alert_at ISO>#<ticket>  (real alerts only)
    GSI3 items by day, overloaded by prefix: GSI3PK=<KIND>#<YYYY-MM-DD>  GSI3SK=<ISO time>#<ticket>#<id>
         (scored messages for drift and audits: SCORED#<day of created_at, UTC>, set on the message item;
          reviews for escalation precision: REVIEWED#<day>;
          shadow scores for `report --compare-models`: SHADOW#<day of created_at, UTC>)
    GSI4 tickets by requester, for erasure on request: GSI4PK=REQ#<keyed hash of the requester id>
         GSI4SK=<ticket>  (keys only; set on the ticket item where the helpdesk names a stable requester)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the stack imports the names here without loading botocore
    from botocore.exceptions import ClientError

    from ...identity import TicketRef

PARTITION_KEY, SORT_KEY = "PK", "SK"
TTL_ATTRIBUTE = "expires_at"
NEGATIVE_INDEX, ESCALATION_INDEX, DAY_INDEX, REQUESTER_INDEX = "GSI1", "GSI2", "GSI3", "GSI4"
INDEXES = (NEGATIVE_INDEX, ESCALATION_INDEX, DAY_INDEX, REQUESTER_INDEX)

TICKET_PREFIX = "TICKET#"
TICKET_SK = "TICKET"
MESSAGE_PREFIX = "MSG#"
TEXT_PREFIX = "TEXT#"
REVIEW_PREFIX = "REVIEW#"
SHADOW_PREFIX = "SHADOW#"  # the sort key's prefix, and GSI3PK's for the shadow scores by day
DELIVERY_PREFIX = "DELIVERY#"
OUTCOME_SK = "OUTCOME"
ERASURE_PREFIX = "ERASURE#"
RECEIPT_PREFIX = "RECEIPT#"
NEGATIVE_PREFIX = "NEG#"
ESCALATION_PREFIX = "ESC#"
SCORED_DAY_PREFIX = "SCORED#"
REVIEWED_DAY_PREFIX = "REVIEWED#"
REQUESTER_PREFIX = "REQ#"


def ticket_pk(ticket: TicketRef) -> str:
    return f"{TICKET_PREFIX}{ticket.key}"


def ticket_key(ticket: TicketRef) -> dict[str, str]:
    return {PARTITION_KEY: ticket_pk(ticket), SORT_KEY: TICKET_SK}


def message_key(ticket: TicketRef, message_id: str) -> dict[str, str]:
    return {PARTITION_KEY: ticket_pk(ticket), SORT_KEY: f"{MESSAGE_PREFIX}{message_id}"}


def text_key(ticket: TicketRef, message_id: str) -> dict[str, str]:
    return {PARTITION_KEY: ticket_pk(ticket), SORT_KEY: f"{TEXT_PREFIX}{message_id}"}


def review_key(ticket: TicketRef, alert_id: str) -> dict[str, str]:
    return {PARTITION_KEY: ticket_pk(ticket), SORT_KEY: f"{REVIEW_PREFIX}{alert_id}"}


def shadow_key(ticket: TicketRef, message_id: str) -> dict[str, str]:
    return {PARTITION_KEY: ticket_pk(ticket), SORT_KEY: f"{SHADOW_PREFIX}{message_id}"}


def shadow_day_key(day: str) -> str:
    """GSI3PK of the shadow scores of the messages created on one UTC day (YYYY-MM-DD)."""
    return f"{SHADOW_PREFIX}{day}"


def delivery_key(delivery_id: str) -> dict[str, str]:
    return {PARTITION_KEY: f"{DELIVERY_PREFIX}{delivery_id}", SORT_KEY: OUTCOME_SK}


def erasure_key(ticket_hash: str, at: datetime) -> dict[str, str]:
    return {PARTITION_KEY: f"{ERASURE_PREFIX}{ticket_hash}", SORT_KEY: f"{RECEIPT_PREFIX}{iso(at)}"}


def negative_week_key(product_area: str | None, when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{NEGATIVE_PREFIX}{product_area or '-'}#{year}-W{week:02d}"


def escalation_month_key(when: datetime) -> str:
    return f"{ESCALATION_PREFIX}{when:%Y-%m}"


def scored_day_key(day: str) -> str:
    """GSI3PK of the scored messages of one UTC day (YYYY-MM-DD)."""
    return f"{SCORED_DAY_PREFIX}{day}"


def reviewed_day_key(day: str) -> str:
    """GSI3PK of the reviews of one UTC day (YYYY-MM-DD)."""
    return f"{REVIEWED_DAY_PREFIX}{day}"


def requester_index_key(requester_hash: str, ticket: TicketRef) -> dict[str, str]:
    """GSI4's key attributes on a ticket item: the requester's keyed hash, never the raw id."""
    return {f"{REQUESTER_INDEX}PK": f"{REQUESTER_PREFIX}{requester_hash}", f"{REQUESTER_INDEX}SK": ticket.key}


def iso(at: datetime) -> str:
    """UTC, always with microseconds: fixed width, so strings sort in time order on the index."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def strip_prefix(value: Any, prefix: str) -> str:
    text = str(value)
    return text[len(prefix) :] if text.startswith(prefix) else text


def to_dynamo(value: Any) -> Any:
    """JSON-compatible value -> DynamoDB resource value (floats become Decimals)."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value


def conditional_failed(exc: ClientError) -> bool:
    """The write's condition did not hold (another caller got there first): an answer, not an error."""
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
