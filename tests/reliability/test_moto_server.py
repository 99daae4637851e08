"""The reliability runner's moto launcher keeps moto's SQS behaviour (visibility, delays, retention, redrive) and
its DynamoDB results (queries, transactions)."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, Literal

import boto3
import pytest
import urllib3.util.connection
from boto3.dynamodb.conditions import Key
from botocore.config import Config
from botocore.exceptions import ClientError
from ticket_sentiment.adapters.aws.dynamodb import create_table

from tests.reliability.runner import moto_endpoint


def test_patched_moto_server_keeps_sqs_semantics() -> None:
    with moto_endpoint("process") as endpoint:
        sqs = boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(
            QueueName="events",
            Attributes={
                "VisibilityTimeout": "30",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
            },
        )["QueueUrl"]
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

        # Sending reads only ContentBasedDeduplication (the launcher's change): a FIFO queue with it still drops a
        # same-body resend, one without it keeps both, and the queue's attributes still count what was sent.
        for dedupe in ("true", "false"):
            fifo = sqs.create_queue(
                QueueName=f"dedupe-{dedupe}.fifo",
                Attributes={"FifoQueue": "true", "ContentBasedDeduplication": dedupe},
            )["QueueUrl"]
            for i in range(2):  # without content-based deduplication a FIFO send names its own id
                ids = {} if dedupe == "true" else {"MessageDeduplicationId": f"d{i}"}
                sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g", **ids)
            attrs = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
            assert attrs["ContentBasedDeduplication"] == dedupe
            assert attrs["ApproximateNumberOfMessages"] == ("1" if dedupe == "true" else "2")


def test_patched_moto_server_loses_no_message_sent_while_pollers_delete() -> None:
    """moto's delete rebuilds the queue's message list without the lock its send appends under, so a message sent
    meanwhile vanished after SendMessage answered OK (41 of 3,000 into a 2,000-deep queue, unpatched). Senders and
    pollers at once on a deep queue: every message sent is received."""
    with moto_endpoint("process") as endpoint:

        def client() -> Any:
            return boto3.client(
                "sqs",
                endpoint_url=endpoint,
                region_name="eu-west-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(max_pool_connections=4),
            )

        sqs = client()
        url = sqs.create_queue(QueueName="events")["QueueUrl"]
        for start in range(0, 1500, 10):  # a backlog, so each delete copies a long list
            sqs.send_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"backlog-{start + i}"} for i in range(10)]
            )
        sent = {f"backlog-{i}" for i in range(1500)} | {f"sent-{i}" for i in range(1500)}
        received: set[str] = set()
        lock, stop = threading.Lock(), threading.Event()

        def send(first: int) -> None:
            own = client()
            for i in range(first, 1500, 6):
                own.send_message(QueueUrl=url, MessageBody=f"sent-{i}")

        def poll() -> None:
            own = client()
            while not stop.is_set():
                messages = own.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                    "Messages", []
                )
                if messages:
                    with lock:
                        received.update(m["Body"] for m in messages)
                    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
                    own.delete_message_batch(QueueUrl=url, Entries=entries)

        senders = [threading.Thread(target=send, args=(k,)) for k in range(6)]
        pollers = [threading.Thread(target=poll) for _ in range(4)]
        for thread in pollers + senders:
            thread.start()
        for thread in senders:
            thread.join()
        deadline = time.monotonic() + 120
        while received != sent and time.monotonic() < deadline:
            time.sleep(0.5)
        stop.set()
        for thread in pollers:
            thread.join()
        assert sorted(sent - received) == []
        assert received == sent


def test_patched_moto_server_keeps_dynamodb_queries() -> None:
    """Base-table queries read one partition (the launcher's change); index queries and scans see every item."""
    with moto_endpoint("process") as endpoint:
        ddb = boto3.resource(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        table = ddb.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "G")],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "GSI",
                    "KeySchema": [{"AttributeName": "G", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        for ticket in range(3):
            for n in range(5):
                table.put_item(Item={"PK": f"T#{ticket}", "SK": f"MSG#{n}", "G": f"day{n % 2}"})
            table.put_item(Item={"PK": f"T#{ticket}", "SK": "TICKET"})

        def query_all(**kwargs: object) -> list[dict[str, object]]:
            items: list[dict[str, object]] = []
            while True:
                page = table.query(**kwargs)
                items += page["Items"]
                if "LastEvaluatedKey" not in page:
                    return items
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

        from boto3.dynamodb.conditions import Key

        messages = query_all(KeyConditionExpression=Key("PK").eq("T#1") & Key("SK").begins_with("MSG#"), Limit=2)
        assert [i["SK"] for i in messages] == [f"MSG#{n}" for n in range(5)]
        assert {i["PK"] for i in messages} == {"T#1"}
        backwards = table.query(KeyConditionExpression=Key("PK").eq("T#2"), ScanIndexForward=False)["Items"]
        assert [i["SK"] for i in backwards] == ["TICKET", "MSG#4", "MSG#3", "MSG#2", "MSG#1", "MSG#0"]
        assert table.query(KeyConditionExpression=Key("PK").eq("T#9"))["Items"] == []
        by_day = query_all(IndexName="GSI", KeyConditionExpression=Key("G").eq("day0"))
        assert len(by_day) == 9
        assert {i["PK"] for i in by_day} == {"T#0", "T#1", "T#2"}
        assert table.scan()["Count"] == 18


@pytest.mark.parametrize("mode", ["process", "thread"])  # the launcher, and moto's own server as the reference
def test_patched_moto_server_keeps_dynamodb_transactions(mode: Literal["process", "thread"]) -> None:
    """A transaction applies every write or none: the launcher undoes a cancelled one item by item instead of
    putting back a copy of the whole table, with the same results and errors as moto's own server."""
    with moto_endpoint(mode) as endpoint:
        ddb = boto3.resource(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        create_table(ddb.meta.client, "tx")
        table, client = ddb.Table("tx"), ddb.meta.client
        for n in (1, 2):
            table.put_item(Item={"PK": "T#1", "SK": f"MSG#{n}", "done": False, "GSI3PK": "DAY#1", "GSI3SK": f"{n}"})

        def transact(*items: dict[str, Any]) -> None:
            client.transact_write_items(
                TransactItems=[{op: {"TableName": "tx", **params} for op, params in item.items()} for item in items]
            )

        def done(n: int) -> dict[str, Any]:  # marks the message done and moves it to another index partition
            return {
                "Update": {
                    "Key": {"PK": "T#1", "SK": f"MSG#{n}"},
                    "UpdateExpression": "SET done = :t, GSI3PK = :d",
                    "ExpressionAttributeValues": {":t": True, ":d": "DAY#2"},
                }
            }

        claim = {
            "Put": {
                "Item": {"PK": "D#1", "SK": "OUTCOME", "token": "a"},
                "ConditionExpression": "attribute_not_exists(PK)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        transact(done(1), claim)
        assert table.get_item(Key={"PK": "T#1", "SK": "MSG#1"})["Item"]["done"] is True
        with pytest.raises(ClientError) as cancelled:
            transact(done(2), claim)
        error = cancelled.value.response
        assert error["Error"]["Code"] == "TransactionCanceledException"
        assert [r["Code"] for r in error["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
        assert error["CancellationReasons"][1]["Item"]["token"] == {"S": "a"}
        # undone: MSG#2 as it was, in the table and in its index; an item the transaction created is gone again
        assert table.get_item(Key={"PK": "T#1", "SK": "MSG#2"})["Item"]["done"] is False
        by_day = table.query(IndexName="GSI3", KeyConditionExpression=Key("GSI3PK").eq("DAY#1"))["Items"]
        assert [i["SK"] for i in by_day] == ["MSG#2"]
        with pytest.raises(ClientError):
            transact({"Put": {"Item": {"PK": "NEW", "SK": "x"}}}, claim)
        assert "Item" not in table.get_item(Key={"PK": "NEW", "SK": "x"})
        with pytest.raises(ClientError) as twice:  # two writes to one item: rejected, nothing written
            transact({"Put": {"Item": {"PK": "NEW", "SK": "x"}}}, {"Put": {"Item": {"PK": "NEW", "SK": "x"}}})
        assert twice.value.response["Error"]["Code"] == "ValidationException"
        assert "Item" not in table.get_item(Key={"PK": "NEW", "SK": "x"})
        assert table.scan(Select="COUNT")["Count"] == 3


def test_patched_moto_server_keeps_update_expressions() -> None:
    """UpdateItem with its parses kept per expression and its clause count checked once (the launcher's change):
    the same expression applies each call's own values, and a second SET clause is still refused."""
    with moto_endpoint("process") as endpoint:
        ddb = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        ddb.create_table(
            TableName="u",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        )
        update = "SET #a = :a, #b = if_not_exists(#b, :b), #c = :c REMOVE #d"
        for i in range(3):
            ddb.update_item(
                TableName="u",
                Key={"PK": {"S": "k"}},
                UpdateExpression=update,
                ExpressionAttributeNames={"#a": "a", "#b": "b", "#c": "c", "#d": "d"},
                ExpressionAttributeValues={":a": {"N": str(i)}, ":b": {"N": str(i)}, ":c": {"S": f"c{i}"}},
            )
        item = ddb.get_item(TableName="u", Key={"PK": {"S": "k"}}, ConsistentRead=True)["Item"]
        assert item == {"PK": {"S": "k"}, "a": {"N": "2"}, "b": {"N": "0"}, "c": {"S": "c2"}}
        with pytest.raises(ClientError) as refused:
            ddb.update_item(
                TableName="u",
                Key={"PK": {"S": "k"}},
                UpdateExpression="SET a = :a SET c = :c",
                ExpressionAttributeValues={":a": {"N": "1"}, ":c": {"S": "x"}},
            )
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert "SET" in refused.value.response["Error"]["Message"]


def test_patched_moto_server_keeps_connections_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """werkzeug's server closed the connection after every response, so each boto3 call opened a new one (and the
    server a thread for it); the launcher's server keeps them, however many clients hold one (a local stack's
    pollers hold more than cheroot's default of 10): 12 clients, 3 calls each, including a failing one, over one
    connection per client, each answered in full."""
    opened: list[object] = []
    create_connection = urllib3.util.connection.create_connection

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(args[0])
        return create_connection(*args, **kwargs)

    with moto_endpoint("process") as endpoint:
        clients = [
            boto3.client(
                "sqs",
                endpoint_url=endpoint,
                region_name="eu-west-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            for _ in range(12)
        ]
        url = clients[0].create_queue(QueueName="kept")["QueueUrl"]
        monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)  # urllib3's connections use it
        for i, sqs in enumerate(clients[1:]):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        for sqs in clients:  # each connection is now idle, kept open: the next call reuses it
            with pytest.raises(ClientError):  # an error reply leaves the connection usable too
                sqs.get_queue_url(QueueName="no-such-queue")
            assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ] == {"ApproximateNumberOfMessages": "11"}
        assert len(opened) == len(clients) - 1, f"{len(opened)} connections for {len(clients)} clients"


def _replies(endpoint: str) -> list[Any]:
    """The raw JSON bodies moto answers to DynamoDB calls returning every attribute type, a page boundary, a
    cancelled transaction's reasons and the table's description, and to SQS receives with their attributes."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    ddb = session.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1")
    sqs = session.client("sqs", endpoint_url=endpoint, region_name="eu-west-1")
    bodies: list[Any] = []

    def keep(http_response: Any, **_: Any) -> None:
        bodies.append(json.loads(http_response.content or b"{}"))

    for client in (ddb, sqs):
        client.meta.events.register("after-call", lambda http_response, **kw: keep(http_response))
    create_table(ddb, "replies")
    item = {
        "PK": {"S": "T#1"},
        "SK": {"S": "MSG#1"},
        "n": {"N": "-1.50"},
        "b": {"B": b"\x00\xffraw"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"x", b"y"]},
        "m": {"M": {"parts": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}, {"M": {}}]}}},
        "emptyish": {"L": []},
    }
    ddb.put_item(TableName="replies", Item=item, ReturnConsumedCapacity="TOTAL")
    ddb.put_item(TableName="replies", Item={**item, "SK": {"S": "MSG#2"}}, ReturnValues="ALL_OLD")
    ddb.get_item(TableName="replies", Key={"PK": {"S": "T#1"}, "SK": {"S": "MSG#1"}}, ConsistentRead=True)
    ddb.get_item(TableName="replies", Key={"PK": {"S": "T#1"}, "SK": {"S": "none"}})
    ddb.query(
        TableName="replies",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "T#1"}},
        Limit=1,
        ReturnConsumedCapacity="INDEXES",
    )
    ddb.update_item(
        TableName="replies",
        Key={"PK": {"S": "T#1"}, "SK": {"S": "MSG#1"}},
        UpdateExpression="SET n = n + :one, m.parts[0] = :s REMOVE bs ADD ss :more",
        ExpressionAttributeValues={":one": {"N": "1"}, ":s": {"S": "y"}, ":more": {"SS": ["c"]}},
        ReturnValues="ALL_NEW",
    )
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "replies", "Item": {"PK": {"S": "T#2"}, "SK": {"S": "A"}}}},
                {
                    "Update": {
                        "TableName": "replies",
                        "Key": {"PK": {"S": "T#1"}, "SK": {"S": "MSG#1"}},
                        "UpdateExpression": "SET n = :n",
                        "ConditionExpression": "attribute_not_exists(PK)",
                        "ExpressionAttributeValues": {":n": {"N": "0"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    ddb.describe_table(TableName="replies")
    url = sqs.create_queue(QueueName="replies")["QueueUrl"]
    sqs.send_message(
        QueueUrl=url, MessageBody="hi", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"])
    return bodies


def test_patched_moto_server_answers_as_moto_does() -> None:
    """The launcher works out the keys of a result's members once per key and shape instead of per value: every
    reply has moto's own body, but for the values that differ on every call (ids, timestamps, receipts)."""
    volatile = re.compile(
        r'"(MessageId|ReceiptHandle|MD5OfBody|MD5OfMessageAttributes|SentTimestamp|'
        r'ApproximateFirstReceiveTimestamp|SenderId|CreationDateTime|TableId|QueueUrl)": ("[^"]*"|[0-9.]+)'
    )

    def comparable(bodies: list[Any]) -> list[str]:
        return [volatile.sub(r'"\1": "*"', json.dumps(body, sort_keys=True)) for body in bodies]

    with moto_endpoint("process") as patched, moto_endpoint("thread") as own:
        assert comparable(_replies(patched)) == comparable(_replies(own))
