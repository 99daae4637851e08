"""The synthesised template deploys into moto's CloudFormation (CREATE_COMPLETE), and the pipeline runs against
the resources it created: the local stack and the real one are the same definition."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ticket_sentiment.adapters.http.slack import SlackWebhook
from ticket_sentiment.events import QueuedEvent, TicketEvent
from ticket_sentiment_tools.local_stack import CountingProcessor, LocalStack

from tests.integration.slack_sink import SlackSink
from tests.unit.pipeline_fakes import ref


@pytest.fixture(scope="module")
def deployed(assembly: Path, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> LocalStack:
    stack = LocalStack(moto_endpoint, prefix="deployed")
    stack.deploy_stack(tmp_path_factory.mktemp("deploy"), assembly=assembly, stage="test")
    return stack


def test_stack_is_created_complete_with_its_outputs(deployed: LocalStack) -> None:
    cfn = deployed.client("cloudformation")
    stack = cfn.describe_stacks(StackName="TicketSentiment-test")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert deployed.stack_outputs["EventsUrl"].endswith("/v1/events")
    created = {
        r["ResourceType"] for r in cfn.list_stack_resources(StackName="TicketSentiment-test")["StackResourceSummaries"]
    }
    assert {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::SNS::Topic",
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::KMS::Key",
        "AWS::ApiGateway::RestApi",
        "AWS::Lambda::EventSourceMapping",
        "AWS::CloudWatch::Dashboard",
    } <= created


def test_deployed_resources_carry_the_template_settings(deployed: LocalStack) -> None:
    table = deployed.client("dynamodb").describe_table(TableName=deployed.res.table_name)["Table"]
    indexes = {i["IndexName"]: i["Projection"]["ProjectionType"] for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {"GSI1": "ALL", "GSI2": "ALL", "GSI3": "ALL", "GSI4": "KEYS_ONLY"}  # GSI4: requester hashes
    ttl = deployed.client("dynamodb").describe_time_to_live(TableName=deployed.res.table_name)
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    attrs = deployed.client("sqs").get_queue_attributes(QueueUrl=deployed.res.events_queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert "KmsMasterKeyId" in attrs
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 5
    alarms = deployed.client("cloudwatch").describe_alarms(AlarmNamePrefix="ticket-sentiment-test-")["MetricAlarms"]
    assert len(alarms) == 26  # with write-back on, and the trust loop's four functions
    rules = deployed.client("ssm").get_parameter(Name="/ticket-sentiment-test/escalation-rules")["Parameter"]
    assert json.loads(rules["Value"])["rules"]


def _event(message_id: str, text: str, minute: int) -> QueuedEvent:
    event = TicketEvent.model_validate(
        {
            "source": "zendesk",
            "ticket_id": "D-1",
            "message_id": message_id,
            "author_role": "customer",
            "text": text,
            "created_at": f"2026-03-02T09:{minute:02d}:00Z",
            "customer_tier": "enterprise",
            "subject": "Refund",
            "product_area": "billing",
        }
    )
    return QueuedEvent(event_id=event.event_id, received_at=datetime.now(UTC), event=event)


def test_pipeline_runs_against_the_deployed_resources(deployed: LocalStack, scorer: Any) -> None:
    queue = deployed.event_queue()
    queue.send(_event("m1", "Thanks for the quick answer yesterday.", 0))
    queue.send(_event("m2", "Still no refund after three weeks, this is the third time I'm writing.", 5))
    deployed.client("sqs").send_message(QueueUrl=deployed.res.events_queue_url, MessageBody="{not an event")
    processor = CountingProcessor(deployed.scoring_service(scorer))
    for _ in range(6):  # the poison record is received maxReceiveCount times, then SQS dead-letters it
        deployed.pump_events(processor)
    slack = SlackSink()
    try:
        delivered = deployed.pump_alerts(SlackWebhook(lambda: slack.url, attempts=1))
    finally:
        slack.close()
    assert len(slack.received) == 1
    ticket = deployed.store().get_ticket(ref("D-1"))
    assert ticket is not None
    assert ticket.current is not None
    assert ticket.current.label == "negative"
    assert processor.outcomes["scored"] == 2
    assert processor.outcomes["alert_published"] == 1
    assert delivered == {"delivered": 1, "dead_lettered": 0}
    assert deployed.queue_depth(deployed.res.events_dlq_url) == 1
