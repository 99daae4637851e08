"""A local stack: moto's server (a child process for `local`, ThreadedMotoServer in-process for the tests), the
real AWS wire protocols, the very same handlers.

moto cannot run Lambda code, so the event source mappings are played here: `LocalStack.pump_events()` polls the
events queue into the score handler in real SQS batches (failed records become visible again and, after
MAX_RECEIVE_COUNT receives, SQS itself moves them to the DLQ), and alerts published to the SNS topic are
delivered through an SQS subscription, as SNS would deliver them to a subscriber.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.constants import MAX_METRICS
from moto.server import ThreadedMotoServer
from ticket_sentiment.adapters.aws.dynamodb import DynamoTicketStore, create_table
from ticket_sentiment.adapters.aws.reviews import DynamoReviewStore
from ticket_sentiment.adapters.aws.secrets import WebhookSecret, secrets_manager_lookup
from ticket_sentiment.adapters.aws.shadow import DynamoShadowStore
from ticket_sentiment.adapters.aws.sns import SnsAlertPublisher
from ticket_sentiment.adapters.aws.sqs import SqsDeadLetters, SqsEventQueue, SqsParkedQueue
from ticket_sentiment.adapters.http.slack import SlackWebhook
from ticket_sentiment.events import ProcessResult, QueuedEvent
from ticket_sentiment.handlers.api import build_app as build_api_app
from ticket_sentiment.handlers.ingest import build_app as build_ingest_app
from ticket_sentiment.handlers.notify import notify
from ticket_sentiment.handlers.review import build_app as build_review_app
from ticket_sentiment.handlers.score import process_batch
from ticket_sentiment.handlers.score_wiring import shadow_failed
from ticket_sentiment.language import load_identifier
from ticket_sentiment.models import SentimentResult
from ticket_sentiment.pipeline.lifecycle import Eraser
from ticket_sentiment.pipeline.rules import DEFAULT_RULES, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.pipeline.shadow import ShadowScoring
from ticket_sentiment.pipeline.window import CreatedAtWindow
from ticket_sentiment.ports import EventProcessor, PiiSecondPass, SlackPoster, TextScorer

from .moto_server import moto_process
from .samples import SAMPLE_THREAD, SAMPLE_TICKETS, SAMPLE_ZENDESK_WEBHOOK

REGION = "us-east-1"
MAX_RECEIVE_COUNT = 3
SUPPORTED_NODE = 22  # the oldest Node release jsii still supports
BATCH_SIZE = 10
WORKERS = 6  # concurrent score pollers in --serve, as Lambda runs several containers (the stack allows 10)


def start_moto() -> tuple[ThreadedMotoServer, str]:
    """A moto server on 127.0.0.1 and a free port; returns it and its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


@dataclass
class Resources:
    table_name: str
    events_queue_url: str
    events_dlq_url: str
    alerts_topic_arn: str
    alerts_delivery_url: str
    notify_dlq_url: str
    slack_secret_arn: str


@dataclass
class LocalStack:
    endpoint_url: str
    prefix: str = "ticket-sentiment"
    resources: Resources | None = None
    stack_outputs: dict[str, str] = field(default_factory=dict)
    helpdesk_secret_prefix: str = ""  # where helpdesk webhook secrets live; set by deploy_stack
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )  # moto's fixed test credentials, not a secret
        return self._clients[service]

    def resource(self, service: str) -> Any:
        return boto3.resource(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def provision(self, slack_webhook_url: str = "http://127.0.0.1:9/slack") -> Resources:
        """Table, events queue and DLQ, alert topic with an SQS delivery subscription, notify DLQ, Slack secret."""
        sqs, sns = self.client("sqs"), self.client("sns")
        table = f"{self.prefix}-tickets"
        create_table(self.client("dynamodb"), table)
        dlq_url = sqs.create_queue(QueueName=f"{self.prefix}-events-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events_url = sqs.create_queue(
            QueueName=f"{self.prefix}-events",
            Attributes={
                "VisibilityTimeout": "30",
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
                ),
            },
        )["QueueUrl"]
        topic_arn = sns.create_topic(Name=f"{self.prefix}-alerts")["TopicArn"]
        delivery_url = sqs.create_queue(QueueName=f"{self.prefix}-alerts-delivery")["QueueUrl"]
        delivery_arn = sqs.get_queue_attributes(QueueUrl=delivery_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=delivery_arn, Attributes={"RawMessageDelivery": "false"}
        )
        notify_dlq_url = sqs.create_queue(QueueName=f"{self.prefix}-notify-dlq")["QueueUrl"]
        secret_arn = self.client("secretsmanager").create_secret(
            Name=f"{self.prefix}/slack-webhook", SecretString=json.dumps({"webhook_url": slack_webhook_url})
        )["ARN"]
        self.resources = Resources(table, events_url, dlq_url, topic_arn, delivery_url, notify_dlq_url, secret_arn)
        return self.resources

    def deploy_stack(
        self,
        workdir: Path,
        slack_webhook_url: str = "http://127.0.0.1:9/slack",
        *,
        assembly: Path | None = None,
        stage: str | None = None,
    ) -> Resources:
        """The CDK stack itself, synthesised and deployed into moto's CloudFormation, instead of `provision`.

        Needs the `infra` extra (aws-cdk-lib); `assembly` reuses an already synthesised one for `stage`.
        moto invokes no Lambda, so a local-only SQS queue is subscribed to the alert topic in place of the
        notifier's Lambda subscription, and `pump_alerts` delivers from it.
        """
        from infra.local_deploy import LOCAL_STAGE, deploy, stack_name, synth_local

        stage = stage or LOCAL_STAGE
        assembly = assembly or synth_local(workdir / "cdk.out", stage=stage)
        outputs = deploy(_Session(self), assembly, stack_name(stage))
        sqs, sns = self.client("sqs"), self.client("sns")
        delivery_url = sqs.create_queue(QueueName=f"{self.prefix}-local-alerts-delivery")["QueueUrl"]
        delivery_arn = sqs.get_queue_attributes(QueueUrl=delivery_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=outputs["AlertsTopicArn"], Protocol="sqs", Endpoint=delivery_arn)
        secret = self.client("secretsmanager").describe_secret(SecretId=outputs["SlackSecretName"])["ARN"]
        self.client("secretsmanager").put_secret_value(
            SecretId=secret, SecretString=json.dumps({"webhook_url": slack_webhook_url})
        )
        self.resources = Resources(
            outputs["TableName"],
            outputs["EventsQueueUrl"],
            outputs["EventsDeadLettersUrl"],
            outputs["AlertsTopicArn"],
            delivery_url,
            outputs["NotifyDeadLettersUrl"],
            secret,
        )
        self.stack_outputs = outputs
        self.helpdesk_secret_prefix = f"ticket-sentiment-{stage}/helpdesk/"
        return self.resources

    @property
    def res(self) -> Resources:
        if self.resources is None:
            raise RuntimeError("call provision() first")
        return self.resources

    def event_queue(self) -> SqsEventQueue:
        return SqsEventQueue(self.res.events_queue_url, self.client("sqs"))

    def scan_table(self) -> list[dict[str, Any]]:
        """Every item of the table, read consistently: what tests search for what must (not) be stored."""
        table = self.resource("dynamodb").Table(self.res.table_name)
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"ConsistentRead": True}
        while True:
            page = table.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def store(self) -> DynamoTicketStore:
        return DynamoTicketStore(self.res.table_name, self.resource("dynamodb"))

    def scoring_service(
        self,
        scorer: TextScorer,
        rules: RuleConfig = DEFAULT_RULES,
        *,
        shadow: TextScorer | None = None,
        pii_second_pass: PiiSecondPass | None = None,
    ) -> ScoringService:
        """The score function's service; `shadow`: a candidate model scoring beside `scorer` (SHADOW_MODEL_DIR);
        `pii_second_pass`: the Comprehend PII pass after the local one (PII_SECOND_PASS)."""
        return ScoringService(
            self.store(),
            SnsAlertPublisher(self.res.alerts_topic_arn, self.client("sns")),
            scorer,
            rules,
            shadow=self.shadow_scoring(shadow, rules) if shadow is not None else None,
            pii_second_pass=pii_second_pass,
        )

    def shadow_store(self) -> DynamoShadowStore:
        return DynamoShadowStore(self.res.table_name, self.resource("dynamodb"))

    def shadow_scoring(self, scorer: TextScorer, rules: RuleConfig) -> ShadowScoring:
        """As the score handler builds it (handlers.score_wiring.build_shadow), its failures reported the same way."""
        return ShadowScoring(lambda: scorer, self.shadow_store(), rules, on_failure=shadow_failed)

    def pump_events(self, service: EventProcessor, *, max_batches: int = 100) -> int:
        """Poll the events queue into the score handler until it is empty; returns the records handed over.

        Like the Lambda event source mapping: successful records are deleted, failed ones become visible
        again (at once, here) and are received again until SQS moves them to the DLQ.
        """
        sqs = self.client("sqs")
        handed = 0
        for _ in range(max_batches):
            messages = sqs.receive_message(
                QueueUrl=self.res.events_queue_url,
                MaxNumberOfMessages=BATCH_SIZE,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            handed += len(messages)
            response = process_batch(service, lambda_sqs_event(messages, self.res.events_queue_url), None)
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            settle(
                sqs,
                self.res.events_queue_url,
                done=[m for m in messages if m["MessageId"] not in failed],
                retry=[m for m in messages if m["MessageId"] in failed],
            )
        return handed

    def pump_alerts(self, slack: SlackPoster, *, max_batches: int = 100) -> dict[str, int]:
        """Deliver what SNS put on the alerts subscription to the notify handler, as SNS would invoke it."""
        sqs = self.client("sqs")
        totals = {"delivered": 0, "dead_lettered": 0}
        dead_letters = SqsDeadLetters(self.res.notify_dlq_url, sqs)
        for _ in range(max_batches):
            messages = sqs.receive_message(
                QueueUrl=self.res.alerts_delivery_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                counts = notify(lambda_sns_event(json.loads(message["Body"])), slack, dead_letters)
                for key, value in counts.items():
                    totals[key] += value
            settle(sqs, self.res.alerts_delivery_url, done=messages)
        return totals

    def queue_depth(self, queue_url: str) -> int:
        attrs = self.client("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def settle(sqs: Any, queue_url: str, *, done: Sequence[dict[str, Any]], retry: Sequence[dict[str, Any]] = ()) -> None:
    """After a batch, as Lambda's event source mapping does: the handled messages deleted, the failed ones visible
    again (at once, here), one batch call each (SQS's batch calls take the 10 messages a receive returns)."""
    if done:
        _batch_call(sqs.delete_message_batch, queue_url, [{"ReceiptHandle": m["ReceiptHandle"]} for m in done])
    if retry:
        entries = [{"ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for m in retry]
        _batch_call(sqs.change_message_visibility_batch, queue_url, entries)


def _batch_call(call: Callable[..., dict[str, Any]], queue_url: str, entries: list[dict[str, Any]]) -> None:
    failed = call(QueueUrl=queue_url, Entries=[{"Id": str(i), **e} for i, e in enumerate(entries)]).get("Failed", [])
    if failed:  # the single calls raised here; the batch calls report per entry
        raise RuntimeError(f"SQS refused {len(failed)} of {len(entries)} entries: {failed[0].get('Code')}")


@dataclass
class _Session:
    """What `infra.local_deploy` needs of a boto3 session, answered by the stack's moto clients."""

    stack: LocalStack
    region_name: str = REGION

    def client(self, service: str) -> Any:
        return self.stack.client(service)


def lambda_sns_event(envelope: dict[str, Any]) -> dict[str, Any]:
    """An SNS notification (as delivered to an SQS subscription) -> the event SNS gives a Lambda subscriber."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{envelope.get('TopicArn', '')}:local",
                "Sns": {
                    "Type": envelope.get("Type", "Notification"),
                    "MessageId": envelope.get("MessageId", ""),
                    "TopicArn": envelope.get("TopicArn", ""),
                    "Subject": envelope.get("Subject"),
                    "Message": envelope["Message"],
                    "Timestamp": envelope.get("Timestamp", ""),
                    "SignatureVersion": "1",
                    "Signature": "",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": envelope.get("MessageAttributes", {}),
                },
            }
        ]
    }


def lambda_sqs_event(messages: list[dict[str, Any]], queue_url: str) -> dict[str, Any]:
    """SQS ReceiveMessage output -> the event Lambda's SQS event source mapping delivers."""
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "messageAttributes": {
                    k: {"stringValue": v.get("StringValue"), "dataType": v.get("DataType")}
                    for k, v in m.get("MessageAttributes", {}).items()
                },
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:{name}",
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


# --- the runtime: HTTP API on localhost, queue pollers, a Slack sink, the demo ------------------------------------


class CountingProcessor:
    """Wraps the scoring service to count outcomes (the local stack's accounting of every accepted event)."""

    def __init__(
        self, service: EventProcessor, outcomes: Counter[str] | None = None, lock: threading.Lock | None = None
    ) -> None:
        self.service = service
        self.outcomes: Counter[str] = Counter() if outcomes is None else outcomes  # shared by the workers
        self.lock = lock or threading.Lock()

    def sibling(self, service: EventProcessor) -> CountingProcessor:
        """Another worker's processor (its own service, as each Lambda container has), counting into the same
        outcomes."""
        return CountingProcessor(service, self.outcomes, self.lock)

    def prescore(self, batch: Sequence[QueuedEvent]) -> None:
        self.service.prescore(batch)

    def process(self, queued: QueuedEvent, *, delivery_id: str | None = None) -> ProcessResult:
        result = self.service.process(queued, delivery_id=delivery_id)
        with self.lock:
            self.outcomes[result.outcome.value] += 1
            if result.alert:
                self.outcomes[f"alert_{result.alert}"] += 1
        return result


def render_slack(message: dict[str, Any]) -> str:
    """A Block Kit message as plain lines, for the terminal."""
    lines: list[str] = []
    for block in message.get("blocks", []):
        if block.get("type") in {"header", "section"} and "text" in block:
            lines.append(str(block["text"]["text"]))
        lines.extend(str(f["text"]).replace("\n", ": ") for f in block.get("fields", []))
        if block.get("type") == "actions":  # buttons: their labels, as Slack shows them
            lines.append(" ".join(f"[{e['text']['text']}]" for e in block.get("elements", [])))
            continue
        lines.extend(str(e["text"]) for e in block.get("elements", []))
    return "\n".join(lines) or str(message.get("text", ""))


class SlackPrintSink:
    """A local incoming webhook on 127.0.0.1 that prints every message it receives."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.messages: list[dict[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                message = json.loads(body)
                sink.messages.append(message)
                write("---- Slack message ----\n" + render_slack(message) + "\n")
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/slack"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def api_gateway_event(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """An HTTP request -> the API Gateway REST proxy event (enough of it for the resolvers)."""
    parts = urllib.parse.urlsplit(raw_path)
    query = dict(urllib.parse.parse_qsl(parts.query)) or None
    path_parameters = None
    resource = parts.path
    if parts.path.startswith("/v1/tickets/"):
        path_parameters = {"ticket_id": urllib.parse.unquote(parts.path.removeprefix("/v1/tickets/"))}
        resource = "/v1/tickets/{ticket_id}"
    elif parts.path.startswith("/v1/webhooks/"):
        path_parameters = {"platform": parts.path.removeprefix("/v1/webhooks/")}
    text = body.decode("utf-8", errors="replace") if body else None
    return {
        "resource": resource,
        "path": parts.path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "body": text,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": uuid.uuid4().hex,
            "stage": "local",
            "httpMethod": method,
            "path": parts.path,
            "resourcePath": resource,
            "identity": {"sourceIp": "127.0.0.1"},
        },
    }


class LocalComprehend:
    """A Comprehend client for tests of the Comprehend adapter (moto has no BatchDetectSentiment): every document
    NEUTRAL. `ticket-sentiment local` uses NoComprehendLocally instead: this answer is invented."""

    def batch_detect_sentiment(self, TextList: list[str], LanguageCode: str) -> dict[str, Any]:  # noqa: N803
        score = {"Positive": 0.0, "Negative": 0.0, "Neutral": 1.0, "Mixed": 0.0}
        return {
            "ResultList": [{"Index": i, "Sentiment": "NEUTRAL", "SentimentScore": score} for i in range(len(TextList))],
            "ErrorList": [],
        }


class NoComprehendLocally:
    """What `ticket-sentiment local` routes to where the stack would call Comprehend (texts in languages the model
    does not cover; every text with --scorer comprehend): moto has no sentiment API, so rather than an invented
    label these get none, marked needs_fallback with confidence 0, as `ticket-sentiment score` shows them."""

    def score_prepared(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> list[SentimentResult]:
        return [
            SentimentResult.unscored(
                language, scorer="none", model_version="none (no Comprehend locally)", needs_fallback=True
            )
            for language in (languages or ["en"] * len(texts))
        ]


def drain_metrics(sink: Callable[[str], None] | None) -> None:
    """Hand the handlers' accumulated EMF metrics to `sink` (one JSON line) or drop them. In Lambda each invocation
    flushes them; locally the pollers and the API drain them after their work, and a metric about to reach
    Powertools' 100 values goes to the sink first (`LocalMetricsProvider`)."""
    from ticket_sentiment.handlers.observability import metrics

    with _metrics_lock:
        _drain_locked(metrics.provider, sink)


def _drain_locked(provider: AmazonCloudWatchEMFProvider, sink: Callable[[str], None] | None) -> None:
    if not provider.metric_set:
        return
    try:
        blob = provider.serialize_metric_set()
    except RuntimeError:  # a metric added meanwhile outside LocalMetricsProvider's lock: the next drain takes it
        return
    provider.clear_metrics()
    if sink is not None:
        sink(json.dumps(blob, separators=(",", ":")) + "\n")


_metrics_lock = threading.RLock()  # the API and the workers add to and drain Powertools' one metric set


class LocalMetricsProvider(AmazonCloudWatchEMFProvider):
    """The handlers' EMF provider (Powertools' `Metrics.provider`) while a local runtime serves: Powertools'
    own prints the metric set to stdout when a metric reaches 100 values or the set 100 metrics, whatever
    POWERTOOLS_METRICS_DISABLED says; this one hands the set to the runtime's metrics sink (or drops it) just
    before that, and adds under the lock the drains take, so the API and the pollers never race on the set."""

    def __init__(self, base: AmazonCloudWatchEMFProvider, sink: Callable[[], Callable[[str], None] | None]) -> None:
        super().__init__(
            metric_set=base.metric_set,
            dimension_set=base.dimension_set,
            namespace=base.namespace,
            metadata_set=base.metadata_set,
            service=base.service,
            default_dimensions=base.default_dimensions,
            function_name=base.function_name,
        )
        self.base = base
        self.sink = sink

    def add_metric(self, name: str, unit: Any, value: float, resolution: Any = 60) -> None:
        with _metrics_lock:
            held = self.metric_set.get(name.strip())
            full = len(held["Value"]) >= MAX_METRICS - 1 if held else len(self.metric_set) >= MAX_METRICS - 1
            if full:
                _drain_locked(self, self.sink())
            super().add_metric(name, unit, value, resolution)


@contextmanager
def local_metrics(sink: Callable[[], Callable[[str], None] | None]) -> Iterator[None]:
    """`LocalMetricsProvider` in place of the handlers' provider for the duration; the original put back after."""
    from ticket_sentiment.handlers.observability import metrics

    base = metrics.provider
    metrics.provider = LocalMetricsProvider(base, sink)
    try:
        yield
    finally:
        metrics.provider = base


class _NoSlackResponder:
    """Slack's response_url (updating the reviewed message) is not reachable from a laptop: nothing to update."""

    def post(self, url: str, message: dict[str, Any]) -> None:
        return


def route(
    method: str,
    path: str,
    *,
    ingest: APIGatewayRestResolver,
    api: APIGatewayRestResolver,
    review: APIGatewayRestResolver,
) -> APIGatewayRestResolver:
    """Which function API Gateway would invoke: review (POST .../review, Slack's actions), query (GET tickets),
    else ingest (events and helpdesk webhooks)."""
    bare = path.split("?", 1)[0]
    if bare.startswith("/v1/slack/") or (
        method == "POST" and bare.startswith("/v1/tickets/") and bare.endswith("/review")
    ):
        return review
    return api if bare.startswith("/v1/tickets/") else ingest


class LocalRuntime:
    """The stack, served: API on localhost, SQS polled into score, SNS alerts delivered to notify."""

    def __init__(
        self,
        stack: LocalStack,
        scorer: TextScorer,
        rules: RuleConfig,
        slack_url: str,
        port: int = 0,
        *,
        window: CreatedAtWindow | None = None,
        shadow: TextScorer | None = None,
        pii_second_pass: PiiSecondPass | None = None,
    ) -> None:
        self.stack = stack
        self.shadow = shadow

        def service() -> ScoringService:
            return stack.scoring_service(scorer, rules, shadow=shadow, pii_second_pass=pii_second_pass)

        self.processor = CountingProcessor(service())
        self._new_service: Callable[[], ScoringService] = service
        self._workers: list[threading.Thread] = []
        self._notified_lock = threading.Lock()
        self.slack = SlackWebhook(
            WebhookSecret(stack.res.slack_secret_arn, stack.client("secretsmanager")),
            attempts=4,
            base_wait=0.2,
            max_wait=5.0,
        )
        self.accepted = 0
        self.notified: Counter[str] = Counter()
        self.zendesk_secret: str | None = None  # set when the demo has configured the Zendesk webhook
        self.api_keys = stack_api_keys(stack)
        self.metrics_sink: Callable[[str], None] | None = None  # where the EMF metrics go (--metrics-out, --verbose)
        self._exit = ExitStack()
        self._exit.enter_context(local_metrics(lambda: self.metrics_sink))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        lookup = secrets_manager_lookup(
            stack.helpdesk_secret_prefix, SecretsProvider(boto3_client=stack.client("secretsmanager"))
        )
        # Erasure as in the stack: the helpdesks' deletion events and DELETE sweep the notify DLQ; the requester key
        # is a fresh one per run (the stack's lives in Secrets Manager).
        requester_key = secrets.token_bytes(32)
        parked = [SqsParkedQueue(stack.res.notify_dlq_url, stack.client("sqs"), wait_seconds=0)]
        eraser = Eraser(stack.store(), parked=parked, requester_key=lambda: requester_key)
        ingest = build_ingest_app(stack.event_queue, helpdesk_secret=lookup, window=window, eraser=lambda: eraser)
        api = build_api_app(stack.store, lambda: eraser)
        reviews = DynamoReviewStore(stack.res.table_name, stack.resource("dynamodb"))
        # The Slack app's signing secret for /v1/slack/actions, a fresh one per run (printed with --serve).
        self.slack_signing_secret = secrets.token_hex(16)
        review = build_review_app(lambda: reviews, stack.store, lambda: self.slack_signing_secret, _NoSlackResponder)
        runtime = self
        stack.client("secretsmanager").put_secret_value(
            SecretId=stack.res.slack_secret_arn, SecretString=json.dumps({"webhook_url": slack_url})
        )

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                if not runtime.admits(self.command, self.path, self.headers.get("x-api-key")):
                    self._reply(403, FORBIDDEN, "application/json")
                    return
                event = api_gateway_event(self.command, self.path, dict(self.headers.items()), body)
                app = route(self.command, self.path, ingest=ingest, api=api, review=review)
                with runtime._lock:  # a resolver keeps the current event on itself: one request at a time
                    response = app.resolve(event, None)  # type: ignore[arg-type]
                    if response["statusCode"] == 202:  # a webhook delivery may carry several events
                        runtime.accepted += len(json.loads(response["body"]).get("accepted", [None]))
                    if runtime._workers:  # its own pollers drain too; a burst of posts would reach Powertools' 100
                        drain_metrics(runtime.metrics_sink)  # (without them, the metric set is its caller's)
                payload = str(response.get("body") or "").encode()
                content_type = (response.get("multiValueHeaders") or {}).get("Content-Type", ["application/json"])
                self._reply(int(response["statusCode"]), payload, content_type[0])

            def _reply(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def admits(self, method: str, raw_path: str, api_key: str | None) -> bool:
        return key_gate_admits(self.api_keys, method, raw_path, api_key)

    def key(self, kind: str) -> dict[str, str]:
        """The header a caller of `kind`'s routes (ingest or read, infra.routes.ApiKind) sends."""
        from infra.routes import ApiKind

        return {"x-api-key": self.api_keys[ApiKind(kind)]}

    def pump_once(self, processor: CountingProcessor | None = None) -> int:
        handed = self.stack.pump_events(processor or self.processor)
        counts = self.stack.pump_alerts(self.slack)
        with self._notified_lock:
            self.notified.update(counts)
        drain_metrics(self.metrics_sink)
        return handed + sum(counts.values())

    def drain(self, rounds: int = 50) -> None:
        for _ in range(rounds):
            if self.pump_once() == 0 and self.stack.queue_depth(self.stack.res.events_queue_url) == 0:
                return

    def run_workers(self, workers: int = WORKERS, interval: float = 0.25) -> None:
        """The event source mappings, for --serve: `workers` pollers (concurrent Lambda containers, each with its
        own scoring service), each polling again at once while there is work and after `interval` when idle."""
        processors = [self.processor] + [self.processor.sibling(self._new_service()) for _ in range(workers - 1)]
        # A Lambda container loads the language identifier at its first text that is not plainly English; these
        # workers share one process, and on their first batches they all loaded it at once, `workers` times over.
        load_identifier()

        def loop(processor: CountingProcessor) -> None:
            while not self._stop.is_set():
                try:
                    busy = self.pump_once(processor) > 0
                except Exception:
                    if self._stop.is_set():
                        return  # moto is going away with the stack
                    logging.getLogger(__name__).exception("local worker failed")
                    busy = False
                if not busy:
                    self._stop.wait(interval)

        for processor in processors:
            thread = threading.Thread(target=loop, args=(processor,), daemon=True)
            thread.start()
            self._workers.append(thread)

    def dlq_count(self) -> int:
        return self.stack.queue_depth(self.stack.res.events_dlq_url)

    def processed(self) -> int:
        """Accepted events the score handler has finished with: scored and stored, skipped, or duplicates."""
        outcomes = self.processor.outcomes
        return outcomes["scored"] + outcomes["skipped"] + outcomes["duplicate"]

    def close(self) -> None:
        self._stop.set()
        for worker in self._workers:  # before moto stops: a worker mid-batch finishes it
            worker.join(timeout=30)
        self.server.shutdown()
        self.server.server_close()
        self._exit.close()


FORBIDDEN = b'{"error": "Forbidden"}'  # API Gateway's answer to a missing or another API's key


def key_gate_admits(api_keys: dict[Any, str], method: str, raw_path: str, api_key: str | None) -> bool:
    """API Gateway's key check, from the route table the stack's template is built from (infra.routes):
    `api_keys` maps each ApiKind to its key value; anything else in `api_key` counts as no key."""
    from infra.routes import key_admits, route_for

    kind = next((k for k, value in api_keys.items() if api_key and hmac.compare_digest(value, api_key)), None)
    return key_admits(route_for(method, urllib.parse.urlsplit(raw_path).path), kind)


def stack_api_keys(stack: LocalStack) -> dict[Any, str]:
    """The ingest and read keys: the deployed stack's own (read from moto's API Gateway), or fresh random ones
    when the stack was provisioned without the template."""
    from infra.routes import ApiKind

    ids = {
        ApiKind.INGEST: stack.stack_outputs.get("IngestApiKeyId"),
        ApiKind.READ: stack.stack_outputs.get("QueryApiKeyId"),
    }
    keys: dict[Any, str] = {}
    for kind, key_id in ids.items():
        value = (
            stack.client("apigateway").get_api_key(apiKey=key_id, includeValue=True).get("value") if key_id else None
        )
        keys[kind] = value or secrets.token_urlsafe(24)
    return keys


def http(
    method: str,
    url: str,
    payload: Any | None = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 30,
) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def demo_events() -> list[dict[str, Any]]:
    """The sample tickets as helpdesk events, and the sample thread posted out of order, dated within the last
    hours (ingest refuses a created_at more than 30 days old or in the future)."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=6)
    shift = start - max((m.created_at for m in SAMPLE_THREAD if m.created_at), default=start)  # thread ends at start
    # The calm billing request and its escalated twin come from the same premium customer: only the twin alerts.
    tiers = {
        "refund": "enterprise",
        "outage": "enterprise",
        "billing": "premium",
        "billing-escalated": "premium",
        "sarcasm": "premium",
    }
    priorities = {"outage": "urgent", "login": "high"}
    areas = {
        "refund": "billing",
        "billing": "billing",
        "outage": "dashboard",
        "login": "auth",
        "html": "exports",
        "how-to": "exports",
    }
    events: list[dict[str, Any]] = []
    for i, (name, text) in enumerate(SAMPLE_TICKETS):
        body = {"html": text} if text.lstrip().startswith("<") else {"text": text}
        events.append(
            {
                "source": "other",  # a canonical producer: helpdesk sources come through their own webhooks
                "ticket_id": f"demo-{name}",
                "message_id": "m-1",
                "author_role": "customer",
                **body,
                "created_at": (start + timedelta(minutes=i)).isoformat(),
                "subject": name.replace("-", " ").capitalize(),
                "priority": priorities.get(name, "normal"),
                "customer_tier": tiers.get(name, "standard"),
                "product_area": areas.get(name, "general"),
                "ticket_url": f"https://example.zendesk.com/agent/tickets/{100 + i}",
            }
        )
    thread = [
        {
            "source": "other",
            "ticket_id": "demo-thread",
            "message_id": f"t-{i + 1}",
            "author_role": str(m.author_role),
            "text": m.text,
            "created_at": ((m.created_at + shift) if m.created_at else start).isoformat(),
            "subject": "App logs me out",
            "priority": "normal",
            "customer_tier": "enterprise",
            "product_area": "mobile",
            "ticket_url": "https://example.zendesk.com/agent/tickets/200",
        }
        for i, m in enumerate(SAMPLE_THREAD)
    ]
    return events + thread[::-1]  # newest first: out of order on purpose


@contextmanager
def running_stack(
    write: Callable[[str], None],
    *,
    scorer: TextScorer,
    rules: RuleConfig = DEFAULT_RULES,
    slack_url: str | None = None,
    port: int = 0,
    shadow: TextScorer | None = None,
) -> Iterator[LocalRuntime]:
    """moto, the CDK stack deployed into it, and the runtime serving it (API, pollers, Slack sink), torn down on
    exit: what `local` and the local throughput bench run on.

    moto runs in a child process with its load-dependent costs removed (moto_server.py): in this process it
    shared one GIL with the API, the pollers and the model, and its whole-table work per DynamoDB query and
    transaction made every event slower than the last (0.6 events/s by the 1,400th)."""
    with moto_process() as endpoint:
        yield from _serving(write, endpoint, scorer=scorer, rules=rules, slack_url=slack_url, port=port, shadow=shadow)


def _serving(
    write: Callable[[str], None],
    endpoint: str,
    *,
    scorer: TextScorer,
    rules: RuleConfig,
    slack_url: str | None,
    port: int,
    shadow: TextScorer | None = None,
) -> Iterator[LocalRuntime]:
    sink = SlackPrintSink(write) if slack_url is None else None
    runtime: LocalRuntime | None = None
    try:
        stack = LocalStack(endpoint)
        with TemporaryDirectory(prefix="ticket-sentiment-cdk-") as workdir:
            write("synthesising the CDK stack (cdk-nag checked) and deploying it into moto's CloudFormation...\n")
            stack.deploy_stack(Path(workdir))
        write(f"stack TicketSentiment-local: CREATE_COMPLETE (table {stack.res.table_name})\n")
        runtime = LocalRuntime(stack, scorer, rules, slack_url or (sink.url if sink else ""), port=port, shadow=shadow)
        yield runtime
    finally:
        if runtime is not None:
            runtime.close()
        if sink is not None:
            sink.close()


def run_demo(
    write: Callable[[str], None],
    *,
    scorer: TextScorer,
    rules: RuleConfig = DEFAULT_RULES,
    slack_url: str | None = None,
    serve: bool = False,
    port: int = 8787,
    metrics_sink: Callable[[str], None] | None = None,
    secrets_out: Path | None = None,
    shadow: TextScorer | None = None,
) -> int:
    """`shadow`: a candidate model scoring every message beside `scorer`; the demo ends with the comparison."""
    with running_stack(
        write, scorer=scorer, rules=rules, slack_url=slack_url, port=port if serve else 0, shadow=shadow
    ) as runtime:
        stack = runtime.stack
        runtime.metrics_sink = metrics_sink
        # The operator's step after deploying: fill the Zendesk webhook secret (a fresh random one here).
        runtime.zendesk_secret = secrets.token_hex(16)
        stack.client("secretsmanager").put_secret_value(
            SecretId=f"{stack.helpdesk_secret_prefix}zendesk",
            SecretString=json.dumps({"signing_secret": runtime.zendesk_secret}),
        )
        write(
            f"moto on {stack.endpoint_url}; API on {runtime.url} (POST /v1/events, GET /v1/tickets/<id>); "
            f"Slack: {'SLACK_WEBHOOK_URL' if slack_url else 'a local sink that prints'}\n"
        )
        if serve:
            runtime.run_workers()
            keys = {str(kind): value for kind, value in runtime.api_keys.items()}
            write(
                cli_environment(stack)
                + curl_examples(runtime.url, keys)
                + configure_helpdesks(stack, runtime.url, secrets_out, keys["ingest"])
                + "serving; Ctrl-C to stop\n"
            )
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                return 0
        return _demo(runtime, write)


def curl_examples(url: str, keys: dict[str, str] | None = None, now: datetime | None = None) -> str:
    """Ready-to-paste requests for `local --serve`: the ingest key posts, the read key reads; dated now so
    `report --since 30d` finds them."""
    keys = keys or {"ingest": "<ingest key>", "read": "<read key>"}
    created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = json.dumps(
        {
            "source": "other",
            "ticket_id": "T-100",
            "message_id": "m-1",
            "author_role": "customer",
            "text": "Still waiting for my refund, this is the third time I write.",
            "created_at": created,
            "subject": "Refund",
            "customer_tier": "premium",
        }
    )
    return (
        f"\ntry:\n  curl -s -X POST {url}/v1/events -H 'Content-Type: application/json' "
        f"-H 'x-api-key: {keys['ingest']}' -d '{event}'\n"
        f"  curl -s '{url}/v1/tickets/T-100?source=other' -H 'x-api-key: {keys['read']}'\n\n"
    )


def configure_helpdesks(
    stack: LocalStack, url: str, secrets_out: Path | None = None, ingest_key: str | None = None
) -> str:
    """A test secret in each helpdesk's secret (written to `secrets_out` as JSON keyed by platform), and the text
    that shows them with a signed curl per platform (the generic one with the ingest API key)."""
    from .local_helpdesks import signed_curl, test_secrets

    configured: dict[str, dict[str, Any]] = {}
    manager = stack.client("secretsmanager")
    for platform, value in test_secrets().items():
        try:
            manager.put_secret_value(
                SecretId=f"{stack.helpdesk_secret_prefix}{platform}", SecretString=json.dumps(value)
            )
        except manager.exceptions.ResourceNotFoundException:  # left out of the config's `helpdesks`: no route
            continue
        configured[platform] = value
    if secrets_out is not None:
        secrets_out.write_text(json.dumps(configured, indent=2) + "\n", encoding="utf-8")
    shown = "\n".join(f"  {platform}: {json.dumps(value)}" for platform, value in configured.items())
    where = f" (also in {secrets_out})" if secrets_out is not None else ""
    curls = "\n".join(
        signed_curl(platform, url, value, ingest_key=ingest_key) for platform, value in configured.items()
    )
    return (
        f"helpdesk test secrets{where}, local only:\n{shown}\n\nsigned webhook deliveries (bash; needs openssl):"
        f"\n{curls}\n"
    )


def cli_environment(stack: LocalStack) -> str:
    """What to export so the CLI's AWS commands (report, audit, backfill, calibrate) reach this local stack."""
    res = stack.res
    pairs = {
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": stack.endpoint_url,
        "TABLE_NAME": res.table_name,
        "EVENTS_QUEUE_URL": res.events_queue_url,
    }
    param = stack.stack_outputs.get("EscalationRulesParameter")
    if param:
        pairs["ESCALATION_RULES_PARAM"] = param
    exports = " ".join(f"{k}={v}" for k, v in pairs.items())
    return (
        f"\nfor the CLI (report, audit, backfill, calibrate; moto's test credentials, not secrets):\n"
        f"  export {exports}\n"
    )


def zendesk_signature(secret: str, body: bytes, timestamp: str) -> dict[str, str]:
    """The headers Zendesk sends: base64 HMAC-SHA256 over timestamp + body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }


def _post_zendesk_webhooks(runtime: LocalRuntime, write: Callable[[str], None]) -> bool:
    """A signed Zendesk delivery (accepted) and the same body signed with the wrong secret (refused)."""
    if runtime.zendesk_secret is None:
        return True
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ticket = {**SAMPLE_ZENDESK_WEBHOOK["ticket"], "updated_at": now}  # type: ignore[dict-item]
    body = json.dumps({**SAMPLE_ZENDESK_WEBHOOK, "ticket": ticket}).encode()  # dated now: inside ingest's window
    ok, _ = http(
        "POST",
        f"{runtime.url}/v1/webhooks/zendesk",
        raw=body,
        headers=zendesk_signature(runtime.zendesk_secret, body, now),
    )
    forged, reason = http(
        "POST", f"{runtime.url}/v1/webhooks/zendesk", raw=body, headers=zendesk_signature("not-the-secret", body, now)
    )
    write(f"Zendesk webhook: signed delivery {ok}, forged signature {forged} ({reason['error']})\n")
    return ok == 202 and forged == 401


def _demo(runtime: LocalRuntime, write: Callable[[str], None]) -> int:
    events = demo_events()
    for event in events:
        status, body = http("POST", f"{runtime.url}/v1/events", event, headers=runtime.key("ingest"))
        if status != 202:
            write(f"unexpected {status} for {event['ticket_id']}: {body}\n")
            return 1
    ingest_key = runtime.key("ingest")
    status, _ = http("POST", f"{runtime.url}/v1/events", events[0], headers=ingest_key)  # a retry: a duplicate
    bad, reason = http("POST", f"{runtime.url}/v1/events", raw=b'{"ticket_id": 1}', headers=ingest_key)
    write(f"posted {len(events)} events, a duplicate ({status}) and a bad one ({bad}: {reason['error']})\n")
    claimed, _ = http("POST", f"{runtime.url}/v1/events", {**events[0], "source": "zendesk"}, headers=ingest_key)
    write(f"a producer naming source zendesk without may_claim: {claimed}, nothing enqueued\n")
    if claimed != 403:
        return 1
    if not _post_zendesk_webhooks(runtime, write):
        write("the Zendesk webhook was not handled as expected\n")
        return 1
    runtime.stack.client("sqs").send_message(QueueUrl=runtime.stack.res.events_queue_url, MessageBody="{poison")
    runtime.drain()
    write("\nticket                 label     score  thread  trend      escalation  rule                 scorer\n")
    webhook_ticket = (
        [("zendesk", str(SAMPLE_ZENDESK_WEBHOOK["ticket"]["id"]))]  # type: ignore[index]
        if runtime.zendesk_secret
        else []
    )
    for source, ticket_id in sorted({(e["source"], e["ticket_id"]) for e in events} | set(webhook_ticket)):
        status, body = http(
            "GET",
            f"{runtime.url}/v1/tickets/{urllib.parse.quote(ticket_id, safe='')}?source={source}",
            headers=runtime.key("read"),
        )
        if status != 200:
            write(f"{ticket_id:<22} {status} {body}\n")
            continue
        t, current = body["ticket"], body["ticket"]["current"] or {}
        thread_score = "-" if t["thread_score"] is None else f"{t['thread_score']:+.2f}"
        write(
            f"{ticket_id:<22} {current.get('label', '-'):<9} {current.get('score', 0):+.2f}  {thread_score:>6}  "
            f"{t['trend']:<10} {t['escalation_state']:<11} {t.get('last_alert_rule') or '-':<20} "
            f"{current.get('scorer', '-')}\n"
        )
    outcomes = runtime.processor.outcomes
    dlq = runtime.dlq_count()
    done = outcomes["scored"] + outcomes["skipped"] + outcomes["duplicate"]
    write(
        f"\naccepted {runtime.accepted}: scored {outcomes['scored']}, agent messages skipped "
        f"{outcomes['skipped']}, duplicates {outcomes['duplicate']}; events DLQ {dlq} (the injected poison "
        f"message); alerts published {outcomes['alert_published']}, in cooldown {outcomes['alert_cooldown']}; "
        f"Slack delivered {runtime.notified['delivered']}, notify DLQ {runtime.notified['dead_lettered']}\n"
    )
    if done != runtime.accepted or dlq != 1:
        write("accounting mismatch: some accepted event is neither processed nor in a DLQ\n")
        return 1
    if runtime.shadow is not None:
        write("\n" + shadow_comparison(runtime.stack))
    return 0


def shadow_comparison(stack: LocalStack, since: timedelta = timedelta(days=30)) -> str:
    """`ticket-sentiment report --compare-models` over the stack's table, as text."""
    from .model_comparison import compare_models, render_text

    end = datetime.now(UTC) + timedelta(minutes=10)  # ingest accepts created_at up to 10 minutes ahead
    start = end - since
    return render_text(compare_models(stack.shadow_store().shadow_between(start, end), start=start, end=end))


def run_local(
    write: Callable[[str], None],
    onnx: TextScorer,
    *,
    mode: str = "auto",
    serve: bool = False,
    port: int = 8787,
    metrics_sink: Callable[[str], None] | None = None,
    secrets_out: Path | None = None,
    shadow: TextScorer | None = None,
) -> int:
    """`ticket-sentiment local`: quiet Powertools output, Comprehend replaced by LocalComprehend, then run."""
    import os

    return run_demo(
        write,
        scorer=local_scorer(write, onnx, mode),
        slack_url=os.environ.get("SLACK_WEBHOOK_URL") or None,
        serve=serve,
        port=port,
        metrics_sink=metrics_sink,
        secrets_out=secrets_out,
        shadow=shadow,
    )


def local_scorer(write: Callable[[str], None], onnx: TextScorer, mode: str = "auto") -> TextScorer:
    """Quiets what the handlers, moto and jsii print, and routes as the stack does, with NoComprehendLocally where
    the stack would call Comprehend."""
    import os

    from ticket_sentiment.handlers.observability import logger
    from ticket_sentiment.pipeline.routing import RoutingScorer, ScorerMode

    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF lines would drown the demo's output
    logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # moto names each CloudFormation type it does not model; infra.local_deploy handles the ones that matter.
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS::")
    chosen = ScorerMode(mode)
    scorer = RoutingScorer(
        chosen,
        None if chosen == ScorerMode.COMPREHEND else lambda: onnx,
        None if chosen == ScorerMode.ONNX else NoComprehendLocally,
    )
    if chosen != ScorerMode.ONNX:
        write(
            "Comprehend: none locally (moto has no sentiment API): texts it would score get no label, "
            "marked needs_fallback\n"
        )
    _quiet_node_warning(write)
    return scorer


def _quiet_node_warning(write: Callable[[str], None]) -> None:
    """jsii prints its Node end-of-life banner as Python bytes reprs (b'!!  Node 20 ...'); say it in one line."""
    import os
    import subprocess

    if os.environ.get("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"):
        return
    try:
        version = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return  # no Node: the deploy step says so itself
    major = version.lstrip("v").split(".", 1)[0]
    if major.isdigit() and int(major) < SUPPORTED_NODE:
        os.environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = major
        write(
            f"note: Node {version} is end-of-life for the CDK (jsii); the local deploy still works, but upgrade to "
            f"Node {SUPPORTED_NODE} or later\n"
        )
