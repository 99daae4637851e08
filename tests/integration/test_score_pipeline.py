"""ingest -> SQS -> score (BatchProcessor) -> DynamoDB + SNS, against moto's server with the bundled ONNX model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.events import Alert, EscalationState
from ticket_sentiment.handlers.ingest import build_app
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment_tools.local_stack import MAX_RECEIVE_COUNT, LocalStack

from ..unit.pipeline_fakes import FIXTURE_WINDOW, T0, api_event, event_payload, ref

RULES = RuleConfig(cooldown_minutes=60, rules=(EscalationRule(name="negative", max_score=-0.3, min_intensity=0.2),))
ANGRY = (
    "Hi, I'm Anna Smith. I returned the blender three weeks ago and I'm still waiting for my refund. "
    "This is the third time I'm writing, call me on +44 20 7946 0958. Unacceptable."
)


def post(stack: LocalStack, payload: dict[str, Any] | str) -> dict[str, Any]:
    app = build_app(stack.event_queue, window=FIXTURE_WINDOW)
    body = payload if isinstance(payload, str) else json.dumps(payload)
    response: dict[str, Any] = app.resolve(api_event(body), None)  # type: ignore[arg-type]
    return response


def delivered_alerts(stack: LocalStack) -> list[Alert]:
    sqs = stack.client("sqs")
    alerts: list[Alert] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=stack.res.alerts_delivery_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            return alerts
        for m in messages:
            alerts.append(Alert.model_validate_json(json.loads(m["Body"])["Message"]))
            sqs.delete_message(QueueUrl=stack.res.alerts_delivery_url, ReceiptHandle=m["ReceiptHandle"])


def test_happy_path_scores_stores_and_alerts_redacted(stack: LocalStack, scorer: OnnxSentimentScorer) -> None:
    service = stack.scoring_service(scorer, RULES)
    assert post(stack, event_payload(text=ANGRY))["statusCode"] == 202
    assert post(stack, event_payload(ticket_id="T-2", text="Thanks, that fixed it!"))["statusCode"] == 202
    assert stack.pump_events(service) == 2
    store = stack.store()
    angry, happy = store.get_ticket(ref("T-1", "other")), store.get_ticket(ref("T-2", "other"))
    assert angry is not None
    assert angry.current is not None
    assert angry.current.label == "negative"
    assert angry.escalation_state == EscalationState.ALERTED
    assert angry.last_alert_rule == "negative"
    assert happy is not None
    assert happy.current is not None
    assert happy.current.label == "positive"
    assert happy.escalation_state == EscalationState.NONE
    [alert] = delivered_alerts(stack)
    assert alert.ticket_id == "T-1"
    assert alert.customer_tier == "enterprise"
    assert alert.scorer == "onnx"
    # Raw personal data reaches neither DynamoDB nor SNS.
    items = stack.client("dynamodb").scan(TableName=stack.res.table_name)["Items"]
    everything = json.dumps(items) + alert.model_dump_json()
    for secret in ("Anna Smith", "7946 0958"):
        assert secret not in everything
    assert "[PHONE]" in (store.message_text(ref("T-1", "other"), "m-1") or "")
    # The GSIs answer the two questions they exist for.
    assert [i["ticket_id"] for i in store.negative_tickets("billing", T0)] == ["T-1"]
    assert [i["ticket_id"] for i in store.recent_escalations(datetime.now(UTC))] == ["T-1"]


def test_duplicates_change_nothing_and_alert_once(stack: LocalStack, scorer: OnnxSentimentScorer) -> None:
    service = stack.scoring_service(scorer, RULES)
    ids = {json.loads(post(stack, event_payload(text=ANGRY))["body"])["event_id"] for _ in range(3)}
    assert len(ids) == 1
    stack.pump_events(service)
    before = stack.store().get_ticket(ref("T-1", "other"))
    post(stack, event_payload(text=ANGRY))  # a redelivery from the helpdesk, after processing
    stack.pump_events(service)
    assert stack.store().get_ticket(ref("T-1", "other")) == before
    assert len(delivered_alerts(stack)) == 1
    assert before is not None
    assert before.message_count == 1


def test_out_of_order_messages(stack: LocalStack, scorer: OnnxSentimentScorer) -> None:
    service = stack.scoring_service(scorer, RULES)
    later = (T0 + timedelta(hours=2)).isoformat()
    post(
        stack,
        event_payload(message_id="m-2", text="Thanks, that fixed it, great support!", created_at=later, priority="low"),
    )
    stack.pump_events(service)
    post(stack, event_payload(message_id="m-1", text=ANGRY, priority="urgent"))
    stack.pump_events(service)
    ticket = stack.store().get_ticket(ref("T-1", "other"))
    assert ticket is not None
    assert ticket.current is not None
    assert ticket.current.message_id == "m-2"
    assert ticket.current.label == "positive"
    assert ticket.priority == "low"
    assert ticket.message_count == 2
    assert ticket.first_seen == T0  # the earlier message, though it arrived last
    assert ticket.escalation_state == EscalationState.NONE
    assert delivered_alerts(stack) == []


def test_poison_message_ends_in_the_dlq_and_every_event_is_accounted_for(
    stack: LocalStack, scorer: OnnxSentimentScorer
) -> None:
    service = stack.scoring_service(scorer, RULES)
    accepted = [post(stack, event_payload(ticket_id=f"T-{i}", text="How do I export invoices?")) for i in range(12)]
    assert all(r["statusCode"] == 202 for r in accepted)
    stack.client("sqs").send_message(QueueUrl=stack.res.events_queue_url, MessageBody="{poison")
    handed = stack.pump_events(service)
    assert handed == 12 + MAX_RECEIVE_COUNT
    dlq = stack.client("sqs").receive_message(QueueUrl=stack.res.events_dlq_url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in dlq["Messages"]] == ["{poison"]
    scored = sum(stack.store().get_ticket(ref(f"T-{i}", "other")) is not None for i in range(12))
    assert scored + len(dlq["Messages"]) == 13
    assert stack.queue_depth(stack.res.events_queue_url) == 0


def test_rules_on_level_and_intensity_fire_as_written(stack: LocalStack, scorer: OnnxSentimentScorer) -> None:
    """A level rule and an intensity rule through ingest, SQS, the score handler, DynamoDB and SNS: the escalated
    twin alerts on its level, the calm request alerts on nothing, and both store their level."""
    rules = RuleConfig(
        cooldown_minutes=0,
        rules=(
            EscalationRule(name="escalation", levels=frozenset({"very_negative"})),
            EscalationRule(name="felt-strongly", labels=frozenset({"negative"}), min_intensity=0.99),
        ),
    )
    service = stack.scoring_service(scorer, rules)
    calm = "My order hasn't arrived yet and tracking hasn't updated since Monday. Could you check on it?"
    escalated = (
        "Two weeks late, no reply to three emails. If it isn't here by Friday I'm filing a chargeback and "
        "leaving a review everywhere I can."
    )
    assert post(stack, event_payload(ticket_id="T-calm", text=calm))["statusCode"] == 202
    assert post(stack, event_payload(ticket_id="T-esc", text=escalated))["statusCode"] == 202
    assert stack.pump_events(service) == 2
    store = stack.store()
    calm_ticket, escalated_ticket = store.get_ticket(ref("T-calm", "other")), store.get_ticket(ref("T-esc", "other"))
    assert calm_ticket is not None
    assert calm_ticket.current is not None
    assert escalated_ticket is not None
    assert escalated_ticket.current is not None
    assert calm_ticket.current.level == "negative"
    assert calm_ticket.escalation_state == EscalationState.NONE
    assert escalated_ticket.current.level == "very_negative"
    assert escalated_ticket.current.intensity > calm_ticket.current.intensity
    assert escalated_ticket.escalation_state == EscalationState.ALERTED
    assert escalated_ticket.last_alert_rule == "escalation"
    [alert] = delivered_alerts(stack)
    assert alert.ticket_id == "T-esc"
    assert alert.level == "very_negative"
    assert alert.rule == "escalation"
    item = stack.client("dynamodb").get_item(
        TableName=stack.res.table_name, Key={"PK": {"S": "TICKET#other:T-esc"}, "SK": {"S": "MSG#m-1"}}
    )["Item"]
    assert item["level"] == {"S": "very_negative"}
