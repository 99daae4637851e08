"""The Lambda entry points themselves (`handler`), configured from the environment as in AWS, against moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from ticket_sentiment.handlers import api, ingest, notify, score, score_wiring
from ticket_sentiment_tools.local_stack import LocalStack, lambda_sqs_event

from ..unit.pipeline_fakes import api_event, event_payload
from .slack_sink import SlackSink


@dataclass
class Context:
    function_name: str = "ticket-sentiment-test"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ticket-sentiment-test"
    aws_request_id: str = "req-1"


@pytest.fixture
def env(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    res = stack.res
    for key, value in {
        "AWS_ENDPOINT_URL": stack.endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "EVENTS_QUEUE_URL": res.events_queue_url,
        "TABLE_NAME": res.table_name,
        "ALERTS_TOPIC_ARN": res.alerts_topic_arn,
        "SLACK_SECRET_ID": res.slack_secret_arn,
        "NOTIFY_DLQ_URL": res.notify_dlq_url,
        "SCORER": "onnx",
        "INGEST_MAX_AGE_DAYS": "3650",  # the fixtures' fixed 2026 dates, against the wall clock
        "ESCALATION_RULES": json.dumps({"rules": [{"name": "neg", "max_score": -0.3}]}),
    }.items():
        monkeypatch.setenv(key, value)
    for cached in (ingest._default_queue, score_wiring.default_service, notify._adapters, api._default_store):
        cached.cache_clear()
    yield stack
    for cached in (ingest._default_queue, score_wiring.default_service, notify._adapters, api._default_store):
        cached.cache_clear()


def test_entry_points_end_to_end(env: LocalStack) -> None:
    sink = SlackSink()
    try:
        env.client("secretsmanager").put_secret_value(SecretId=env.res.slack_secret_arn, SecretString=sink.url)
        text = "This is unacceptable, I am furious and cancelling my subscription."
        response = ingest.handler(api_event(json.dumps(event_payload(text=text))), Context())
        assert response["statusCode"] == 202
        sqs = env.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=env.res.events_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        )["Messages"]
        result = score.handler(lambda_sqs_event(messages, env.res.events_queue_url), Context())
        assert result == {"batchItemFailures": []}
        delivered = sqs.receive_message(QueueUrl=env.res.alerts_delivery_url)["Messages"]
        from ticket_sentiment_tools.local_stack import lambda_sns_event

        counts = notify.handler(lambda_sns_event(json.loads(delivered[0]["Body"])), Context())
        assert counts == {"delivered": 1, "dead_lettered": 0}
        assert len(sink.received) == 1
        event = api_event(None, method="GET", path="/v1/tickets/T-1", path_parameters={"ticket_id": "T-1"})
        event["resource"], event["queryStringParameters"] = "/v1/tickets/{ticket_id}", {"source": "other"}
        got = api.handler(event, Context())
        assert got["statusCode"] == 200
        assert json.loads(got["body"])["ticket"]["escalation_state"] == "alerted"
    finally:
        sink.close()
