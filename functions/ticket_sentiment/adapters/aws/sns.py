"""SNS adapter for the AlertPublisher port. The alert is already redacted by the domain."""

from __future__ import annotations

from typing import Any

import boto3

from ...events import Alert


class SnsAlertPublisher:
    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self.client = client or boto3.client("sns")

    def publish(self, alert: Alert) -> None:
        self.client.publish(
            TopicArn=self.topic_arn,
            Message=alert.model_dump_json(),
            MessageAttributes={
                "rule": {"DataType": "String", "StringValue": alert.rule},
                "tier": {"DataType": "String", "StringValue": alert.customer_tier},
            },
        )
