"""The Lambda entry points themselves (`handler`), configured from the environment as in AWS, against moto."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from ticket_sentiment.handlers import api, ingest, notify, score
from ticket_sentiment_tools.local_stack import LocalStack, lambda_sqs_event

from ..lambda_runtime import Context, forget_wiring, function_env, set_env
from ..unit.pipeline_fakes import api_event, event_payload
from .slack_sink import SlackSink


@pytest.fixture
def env(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    set_env(
        monkeypatch,
        function_env(stack) | {"ESCALATION_RULES": json.dumps({"rules": [{"name": "neg", "max_score": -0.3}]})},
    )
    forget_wiring()
    yield stack
    forget_wiring()


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
