"""The reliability runner's moto launcher keeps moto's SQS behaviour: visibility, delays, retention, redrive."""

from __future__ import annotations

import json
import time

import boto3

from tests.reliability.runner import moto_endpoint


def test_patched_moto_server_keeps_sqs_semantics() -> None:
    with moto_endpoint("process") as endpoint:
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="eu-west-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(QueueName="events", Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})["QueueUrl"]
        for body in ("a", "b"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)

        first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in first) == ["a", "b"]  # the delayed one is not visible yet
        assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)  # in flight
        for message in first:  # back at once, as the runner does with failed records
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        time.sleep(0.05)
        second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in second) == ["a", "b"]
        for message in second:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        time.sleep(0.05)
        # Received twice: the next receive moves them to the DLQ instead of delivering them a third time.
        assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in dead) == ["a", "b"]

        # Retention still applies: a queue keeping messages 60 s serves a fresh one.
        short = sqs.create_queue(QueueName="short", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=short, MessageBody="fresh")
        assert sqs.receive_message(QueueUrl=short)["Messages"][0]["Body"] == "fresh"
