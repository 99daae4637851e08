"""The reliability run: the local stack over real HTTP on 127.0.0.1, a realistic load, faults at the adapters, and
the accounting of every accepted event.

Everything but moto's server (a child process, as `make demo` runs it) runs in this process: the ingest API
(LocalRuntime), the score workers (each a "Lambda container" with its own ScoringService and clients, calling the
very `process_batch` the Lambda runs), the alert delivery (SNS -> SQS subscription -> `notify` -> Slack) and the
write-back consumer (`handlers.writeback.process_batch` -> a Zendesk API). The workers play the SQS event source
mapping: successful records are deleted, failed ones become visible again after `retry_visibility_s` (the queue's
visibility timeout, shortened), and after MAX_RECEIVE_COUNT receives SQS itself moves them to the DLQ.

The result is a `RunReport`: the figures, and `violations`, every broken promise (lost, doubled, leaked,
undrained). An empty list is the pass condition.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import resource
import statistics
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext, redirect_stdout
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from ticket_sentiment import metric_names as names
from ticket_sentiment.adapters.aws.comprehend import ComprehendScorer
from ticket_sentiment.adapters.aws.dynamodb import DynamoTicketStore
from ticket_sentiment.adapters.aws.onnx_scorer import get_scorer
from ticket_sentiment.adapters.aws.sns import SnsAlertPublisher
from ticket_sentiment.adapters.aws.sqs import SqsDeadLetters, SqsWritebackQueue
from ticket_sentiment.adapters.http.helpdesk_writers import ZendeskWriter
from ticket_sentiment.adapters.http.transport import RetrySettings
from ticket_sentiment.events import Alert, Outcome, ProcessResult, QueuedEvent
from ticket_sentiment.handlers.notify import notify
from ticket_sentiment.handlers.observability import logger as powertools_logger
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.handlers.score import process_batch
from ticket_sentiment.handlers.score_wiring import model_unavailable
from ticket_sentiment.handlers.writeback import process_batch as process_writeback_batch
from ticket_sentiment.pipeline.routing import RoutingScorer, ScorerMode
from ticket_sentiment.pipeline.rules import DEFAULT_RULES, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.ports import EventProcessor, TextScorer
from ticket_sentiment.writeback import Platform, WritebackRequest, ZendeskCredentials
from ticket_sentiment_tools.local_stack import (
    MAX_RECEIVE_COUNT,
    LocalRuntime,
    LocalStack,
    lambda_sns_event,
    lambda_sqs_event,
    start_moto,
)
from ticket_sentiment_tools.moto_server import moto_process

from tests.unit.pipeline_fakes import FIXTURE_WINDOW

from .faults import (
    CrashingProcessor,
    DynamoThrottling,
    FaultPlan,
    FaultyComprehend,
    FaultyHelpdesk,
    FaultySlack,
    InvocationCrash,
    SlowBatches,
    broken_model_dir,
)
from .loadgen import Post, describe, generate

_prefixes = itertools.count()


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    events: int = Field(10_000, ge=1)
    seed: int = 20260302
    concurrency: int = Field(16, ge=1, le=256)  # HTTP clients posting at once
    # Concurrent score "containers". Under injected faults a container spends most of its time asleep in retry
    # backoff (botocore's on DynamoDB throttling, tenacity's on Slack and the helpdesk), as Lambda containers
    # would while others take the next batches: with 2, a 1,000-event run took 211 s; with 6, 105 s.
    workers: int = Field(6, ge=1, le=32)
    faults: FaultPlan = FaultPlan()
    retry_visibility_s: float = Field(1.0, ge=0)  # how soon a failed record is received again
    # Concurrent redelivery: the events queue's visibility timeout (set after provisioning; None keeps the
    # stack's 30 s) and a batch slow-down longer than it (`faults.SlowBatches`), so SQS hands a message to a second
    # worker while the first is still inside its invocation.
    events_visibility_s: int | None = Field(None, ge=1)
    slow_batch_s: float = Field(0.0, ge=0)
    time_limit_s: float = Field(1200.0, gt=0)  # the whole run, posting and draining
    cooldown_minutes: int = 240
    # "process": moto's server in a child process on 127.0.0.1 (its own core and GIL, so the figures measure the
    # service rather than moto sharing one interpreter with it); "thread": ThreadedMotoServer, as the tests.
    moto: Literal["process", "thread"] = "process"


class Latency(BaseModel):
    count: int
    p50_s: float | None
    p95_s: float | None
    max_s: float | None


class RunReport(BaseModel):
    config: RunConfig
    mix: dict[str, int]
    http: dict[str, int]  # status -> posts
    accepted: int
    rejected: int
    outcomes: dict[str, int]  # scored / duplicate / skipped: each accepted SQS message's one terminal outcome
    redelivered: int  # receives of an SQS message whose outcome was already claimed (no outcome, nothing recorded)
    outcome_items: dict[str, int]  # the table's DELIVERY#<message id> OUTCOME items, by outcome
    events_dlq: int
    # finished, then dead-lettered because their invocation crashed on every receive (a redrive is a no-op)
    finished_then_dead_lettered: int = 0
    dlq_reasons: dict[str, int]
    unique_customer_events: int
    msg_items: int
    alerts: dict[str, int]
    writeback: dict[str, int]
    injected: dict[str, int]
    emf: dict[str, float]  # CloudWatch EMF metrics the functions printed, summed by name
    error_logs: dict[str, int]  # ERROR-level log messages, by message
    post_seconds: float
    drain_seconds: float
    accept_rate_per_s: float
    scoring_rate_per_s: float
    accept_to_stored: Latency
    accept_to_slack: Latency
    rss_before_load_mb: float
    peak_rss_mb: float
    drained: bool
    violations: list[str]

    def summary(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# --- capture of what the functions print (EMF metrics) and log ---------------------------------------------------


class OutputCapture:
    """Stands in for the functions' stdout: sums EMF metrics by name and counts ERROR logs; keeps no text."""

    def __init__(self) -> None:
        self.metrics: Counter[str] = Counter()
        self.error_logs: Counter[str] = Counter()
        self.lines = 0
        self._lock = threading.Lock()
        self._partial = ""

    def flush(self) -> None:
        return

    def take(self, text: str) -> None:
        """A metrics sink: EMF lines handed over rather than printed."""
        self.write(text)

    def write(self, text: str) -> int:
        with self._lock:
            data = self._partial + text
            *lines, self._partial = data.split("\n")
            for line in lines:
                self._line(line)
        return len(text)

    def _line(self, line: str) -> None:
        self.lines += 1
        if '"_aws"' in line:
            blob = json.loads(line)
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    value = blob.get(metric["Name"], 0)
                    self.metrics[metric["Name"]] += sum(value) if isinstance(value, list) else value
        elif '"level":"ERROR"' in line:
            self.error_logs[str(json.loads(line).get("message", "?"))] += 1


_metrics_lock = threading.Lock()


def flush_metrics() -> None:
    """What @metrics.log_metrics does at the end of an invocation (the workers share Powertools' metric set)."""
    with _metrics_lock:
        for _ in range(3):
            try:
                if metrics.metric_set:
                    metrics.flush_metrics()
                return
            except RuntimeError:  # another worker added a metric while this one serialised: try again
                continue


@contextmanager
def serialised_metrics() -> Iterator[None]:
    """Powertools keeps one metric set per process and neither its add_metric nor its flush is thread-safe: two
    workers adding the same new metric at once keep one value, and a value added between a flush's serialisation
    and its clear is dropped. A Lambda container runs one invocation at a time; these workers share a process,
    so adding a metric takes the flush's lock (held for microseconds), and the EMF counts are exact. The set starts
    empty, as in a fresh container: nothing another caller in this process added and never flushed is counted."""
    metrics.clear_metrics()
    add_metric = metrics.add_metric

    def locked(*args: Any, **kwargs: Any) -> None:
        with _metrics_lock:
            add_metric(*args, **kwargs)

    metrics.add_metric = locked  # type: ignore[method-assign]
    try:
        yield
    finally:
        del metrics.add_metric  # the class's method again


@contextmanager
def captured_output() -> Iterator[OutputCapture]:
    capture = OutputCapture()
    handler = powertools_logger.logger_handler
    stream = handler.setStream(capture) if isinstance(handler, logging.StreamHandler) else None
    try:
        with redirect_stdout(capture), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield capture
    finally:
        if stream is not None and isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)


# --- the tracked processor: every outcome, failure and timing, per event --------------------------------------------


class Tracker:
    """Shared by the workers: outcome and accept->stored time of each processed record, last failure reasons."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.redelivered = 0
        self.by_event: dict[str, Counter[str]] = defaultdict(Counter)
        self.received_at: dict[str, float] = {}
        self.stored_latency: list[float] = []
        self.failures: dict[str, str] = {}
        self.first_done: float | None = None
        self.last_done: float | None = None
        self.lock = threading.Lock()

    def processed(self, queued: QueuedEvent, result: ProcessResult, at: float) -> None:
        """A record `process` returned. A terminal outcome counts now: it was claimed in the table for this SQS
        message, durably, so whatever happens to the batch (an invocation crash brings it back whole), every
        other receive of the message returns REDELIVERED, which is counted apart and never as an outcome."""
        with self.lock:
            if not result.outcome.terminal:
                self.redelivered += 1
                return
            self.outcomes[result.outcome.value] += 1
            self.by_event[queued.event_id][result.outcome.value] += 1
            self.received_at.setdefault(queued.event_id, queued.received_at.timestamp())
            if result.outcome == Outcome.SCORED:
                self.stored_latency.append(at - queued.received_at.timestamp())
                self.first_done = min(self.first_done or at, at)
                self.last_done = max(self.last_done or at, at)

    def failed(self, event_id: str, reason: str) -> None:
        with self.lock:
            self.failures[event_id] = reason


class TrackedProcessor:
    """One worker's processor: every result and failure goes to the shared tracker as it happens."""

    def __init__(self, inner: EventProcessor, tracker: Tracker) -> None:
        self.inner = inner
        self.tracker = tracker

    def crashed(self, event_ids: Sequence[str], reason: str) -> None:
        """The invocation died holding these records (one entry per record): SQS brings them all back."""
        for event_id in event_ids:
            self.tracker.failed(event_id, reason)

    def prescore(self, batch: Sequence[QueuedEvent]) -> None:
        self.inner.prescore(batch)

    def process(self, queued: QueuedEvent, *, delivery_id: str | None = None) -> ProcessResult:
        try:
            result = self.inner.process(queued, delivery_id=delivery_id)
        except BaseException as exc:
            self.tracker.failed(queued.event_id, type(exc).__name__)
            raise
        self.tracker.processed(queued, result, time.time())
        return result


class RecordingPublisher:
    """The SNS publisher, counting what was published per ticket (the cooldown check reads it)."""

    def __init__(self, inner: SnsAlertPublisher, published: Counter[str], lock: threading.Lock) -> None:
        self.inner = inner
        self.published = published
        self.lock = lock

    def publish(self, alert: Alert) -> None:
        self.inner.publish(alert)
        with self.lock:
            self.published[alert.ticket_id] += 1


class RecordingWriteback:
    def __init__(self, inner: SqsWritebackQueue, sent: Counter[str], lock: threading.Lock) -> None:
        self.inner = inner
        self.sent = sent
        self.lock = lock

    def send(self, request: WritebackRequest) -> None:
        self.inner.send(request)
        with self.lock:
            self.sent[request.ticket_id] += 1


# --- the run ----------------------------------------------------------------------------------------------------------


@contextmanager
def moto_endpoint(mode: Literal["process", "thread"]) -> Iterator[str]:
    """moto's server on 127.0.0.1, in this process or a child; yields its endpoint URL."""
    if mode == "thread":
        server, endpoint = start_moto()
        try:
            yield endpoint
        finally:
            server.stop()
        return
    with moto_process() as endpoint:  # moto's server with its load-dependent costs removed
        yield endpoint


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return int(exc.code)
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return 0  # no answer: counted, and a violation


ZENDESK_SIGNING_SECRET = "rel-zendesk-signing-secret-0123456789"  # the run's own, in moto's Secrets Manager


def _configure_producers(stack: LocalStack) -> None:
    """Zendesk's webhook secret; the canonical producer may name the other helpdesks (generic `may_claim`)."""
    secrets = stack.client("secretsmanager")
    prefix = stack.helpdesk_secret_prefix = f"{stack.prefix}/helpdesk/"  # one moto server serves every run
    secrets.create_secret(Name=f"{prefix}zendesk", SecretString=json.dumps({"signing_secret": ZENDESK_SIGNING_SECRET}))
    claims = {"may_claim": ["freshdesk", "intercom", "salesforce"]}
    secrets.create_secret(Name=f"{prefix}generic", SecretString=json.dumps(claims))


def _request(runtime: LocalRuntime, post: Post) -> tuple[str, bytes, dict[str, str]]:
    """Where a post goes and its credentials: Zendesk's messages signed at send time (5-minute replay window)."""
    if post.route == "zendesk":
        stamp = datetime.now(UTC).isoformat()
        signature = base64.b64encode(
            hmac.new(ZENDESK_SIGNING_SECRET.encode(), stamp.encode() + post.body, hashlib.sha256).digest()
        ).decode()
        headers = {"X-Zendesk-Webhook-Signature": signature, "X-Zendesk-Webhook-Signature-Timestamp": stamp}
        return f"{runtime.url}/v1/webhooks/zendesk", post.body, headers
    return f"{runtime.url}/v1/events", post.body, runtime.key("ingest")


def _event_id(body: str) -> str:
    try:
        return str(json.loads(body)["event_id"])
    except (ValueError, KeyError, TypeError):
        return "not-a-queued-event"


def _latency(values: Sequence[float]) -> Latency:
    if not values:
        return Latency(count=0, p50_s=None, p95_s=None, max_s=None)
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Latency(
        count=len(ordered), p50_s=round(statistics.median(ordered), 3), p95_s=round(p95, 3), max_s=round(ordered[-1], 3)
    )


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _drain_queue(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message on a queue (a DLQ), received once and hidden for the rest of the run."""
    out: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            VisibilityTimeout=3600,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            return out
        out.extend(batch)


def _scan_messages(stack: LocalStack) -> list[dict[str, Any]]:
    return _scan(stack, "begins_with(SK, :p)", "MSG#", "PK, SK, event_id, done")


def _scan_deliveries(stack: LocalStack) -> list[dict[str, Any]]:
    """The OUTCOME items: one per SQS message whose outcome was claimed (pipeline.records.OutcomeClaim)."""
    return _scan(stack, "begins_with(PK, :p)", "DELIVERY#", "PK, SK, event_id, outcome")


def _scan(stack: LocalStack, condition: str, prefix: str, projection: str) -> list[dict[str, Any]]:
    table = stack.resource("dynamodb").Table(stack.res.table_name)
    kwargs: dict[str, Any] = {
        "FilterExpression": condition,
        "ExpressionAttributeValues": {":p": prefix},
        "ProjectionExpression": projection,
    }
    items: list[dict[str, Any]] = []
    while True:
        page = table.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class Run:
    """One reliability run; `execute()` returns the report. Loopback only: every server binds 127.0.0.1."""

    def __init__(
        self,
        config: RunConfig,
        *,
        posts: list[Post] | None = None,
        onnx: Callable[[], TextScorer] | None = None,
        endpoint: str | None = None,
    ) -> None:
        """`endpoint`: an already running moto server to use (the tests share one), else one is started."""
        self.config = config
        self.endpoint = endpoint
        self.posts = posts if posts is not None else generate(config.events, seed=config.seed)
        self.onnx = onnx
        self.tracker = Tracker()
        self.lock = threading.Lock()
        self.published: Counter[str] = Counter()
        self.writeback_sent: Counter[str] = Counter()
        self.writeback_results: Counter[str] = Counter()
        self.notified: Counter[str] = Counter()
        self.crashes: Counter[str] = Counter()
        self.crashers: list[CrashingProcessor] = []
        self.slow: list[SlowBatches] = []
        self.received: set[tuple[str, float]] = set()  # SQS messages some worker has received (SlowBatches)
        self.stop = threading.Event()
        self.busy = 0

    # the functions' scorer: the bundled model (or a broken one) routed with a faulty Comprehend
    def _scorer(self, workdir: Path) -> tuple[RoutingScorer, FaultyComprehend]:
        f = self.config.faults
        comprehend = FaultyComprehend(f.comprehend_throttle, f.comprehend_error, seed=self.config.seed)
        onnx: Callable[[], TextScorer]
        if f.model != "ok":
            broken = str(broken_model_dir(workdir, f.model))
            onnx = lambda: get_scorer(broken)  # noqa: E731 -- fails on every load, as a broken layer would
        else:
            onnx = self.onnx or get_scorer
        return RoutingScorer(
            ScorerMode.AUTO, onnx, cache(lambda: ComprehendScorer(comprehend)), on_model_failure=model_unavailable
        ), comprehend

    def _service(
        self, stack: LocalStack, scorer: TextScorer, rules: RuleConfig, throttling: DynamoThrottling, writeback_url: str
    ) -> TrackedProcessor:
        """One score function container: its own clients and service, the faults installed on its clients."""
        dynamodb = stack.resource("dynamodb")
        throttling.install(dynamodb.meta.client)
        service = ScoringService(
            DynamoTicketStore(stack.res.table_name, dynamodb),
            RecordingPublisher(
                SnsAlertPublisher(stack.res.alerts_topic_arn, stack.client("sns")), self.published, self.lock
            ),
            scorer,
            rules,
            writeback=RecordingWriteback(
                SqsWritebackQueue(writeback_url, stack.client("sqs")), self.writeback_sent, self.lock
            ),
            writeback_platforms=frozenset({"zendesk"}),
        )
        inner: EventProcessor = service
        if self.config.slow_batch_s:
            slow = SlowBatches(service, self.config.slow_batch_s, self.received, self.lock)
            self.slow.append(slow)
            inner = slow
        if self.config.faults.crash_every:
            crasher = CrashingProcessor(inner, self.config.faults.crash_every, self.config.faults.crash_mode)
            self.crashers.append(crasher)
            inner = crasher
        return TrackedProcessor(inner, self.tracker)

    def _score_worker(self, stack: LocalStack, processor: TrackedProcessor) -> None:
        sqs, url = stack.client("sqs"), stack.res.events_queue_url
        while not self.stop.is_set():
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                continue
            with self.lock:
                self.busy += 1
            try:
                reason: str | None = None
                try:
                    response = process_batch(processor, lambda_sqs_event(messages, url), None)
                    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
                except InvocationCrash:  # the invocation died: no response, the whole batch comes back
                    with self.lock:
                        self.crashes["invocation"] += 1
                    failed, reason = {m["MessageId"] for m in messages}, "InvocationCrash"
                flush_metrics()
                self._settle(sqs, url, messages, failed)
                if reason is not None:
                    processor.crashed([_event_id(m["Body"]) for m in messages], reason)
            finally:
                with self.lock:
                    self.busy -= 1

    def _settle(self, sqs: Any, url: str, messages: list[dict[str, Any]], failed: set[str]) -> None:
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            )
        retry = [m for m in messages if m["MessageId"] in failed]
        if retry:
            sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": m["ReceiptHandle"],
                        "VisibilityTimeout": round(self.config.retry_visibility_s),
                    }
                    for i, m in enumerate(retry)
                ],
            )

    def _alert_worker(self, stack: LocalStack, slack_url: str) -> None:
        from ticket_sentiment.adapters.http.slack import SlackWebhook

        sqs = stack.client("sqs")
        slack = SlackWebhook(slack_url)  # the notify function's settings: 5 attempts, Retry-After honoured
        dead_letters = SqsDeadLetters(stack.res.notify_dlq_url, sqs)
        while not self.stop.is_set():
            messages = sqs.receive_message(
                QueueUrl=stack.res.alerts_delivery_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            for message in messages:
                with self.lock:
                    self.busy += 1
                try:
                    counts = notify(lambda_sns_event(json.loads(message["Body"])), slack, dead_letters)
                    flush_metrics()
                    with self.lock:
                        self.notified.update(counts)
                    sqs.delete_message(QueueUrl=stack.res.alerts_delivery_url, ReceiptHandle=message["ReceiptHandle"])
                finally:
                    with self.lock:
                        self.busy -= 1

    def _writeback_worker(self, stack: LocalStack, url: str, helpdesk: FaultyHelpdesk) -> None:
        sqs = stack.client("sqs")
        creds = ZendeskCredentials(
            subdomain="acme",
            email="agent@example.com",
            api_token="local-test-token",
            score_field_id=1,
            label_field_id=2,
            base_url=helpdesk.base_url,
        )
        writer = ZendeskWriter(
            creds, RetrySettings(attempts=4, base_wait=0.2, max_wait=2.0, max_total_wait=5.0, timeout=5.0)
        )

        def writers(platform: Platform) -> ZendeskWriter:
            return writer

        while not self.stop.is_set():
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                continue
            with self.lock:
                self.busy += 1
            try:
                response = process_writeback_batch(lambda_sqs_event(messages, url), writers)
                failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
                with self.lock:
                    self.writeback_results["written"] += len(messages) - len(failed)
                    self.writeback_results["failed_attempts"] += len(failed)
                self._settle(sqs, url, messages, failed)
            finally:
                with self.lock:
                    self.busy -= 1

    def _depth(self, stack: LocalStack, *urls: str) -> int:
        return sum(stack.queue_depth(u) for u in urls)

    def execute(self) -> RunReport:
        started = time.monotonic()
        deadline = started + self.config.time_limit_s
        f = self.config.faults
        moto: AbstractContextManager[str] = (
            moto_endpoint(self.config.moto) if self.endpoint is None else nullcontext(self.endpoint)
        )
        endpoint = moto.__enter__()
        slack = FaultySlack(f.slack_429, f.slack_500, seed=self.config.seed)
        helpdesk = FaultyHelpdesk(f.helpdesk_429, seed=self.config.seed)
        runtime: LocalRuntime | None = None
        threads: list[threading.Thread] = []
        try:
            with (
                TemporaryDirectory(prefix="ticket-sentiment-reliability-") as tmp,
                captured_output() as output,
                serialised_metrics(),
            ):
                stack = LocalStack(endpoint, prefix=f"rel{next(_prefixes)}")
                stack.provision(slack.url)
                sqs = stack.client("sqs")
                if self.config.events_visibility_s is not None:
                    sqs.set_queue_attributes(
                        QueueUrl=stack.res.events_queue_url,
                        Attributes={"VisibilityTimeout": str(self.config.events_visibility_s)},
                    )
                wb_dlq = sqs.create_queue(QueueName=f"{stack.prefix}-writeback-dlq")["QueueUrl"]
                wb_dlq_arn = sqs.get_queue_attributes(QueueUrl=wb_dlq, AttributeNames=["QueueArn"])["Attributes"][
                    "QueueArn"
                ]
                wb_url = sqs.create_queue(
                    QueueName=f"{stack.prefix}-writeback",
                    Attributes={
                        "VisibilityTimeout": "30",
                        "RedrivePolicy": json.dumps(
                            {"deadLetterTargetArn": wb_dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
                        ),
                    },
                )["QueueUrl"]
                rules = DEFAULT_RULES.model_copy(update={"cooldown_minutes": self.config.cooldown_minutes})
                scorer, comprehend = self._scorer(Path(tmp))
                throttling = DynamoThrottling(f.dynamodb_throughput, seed=self.config.seed)
                _configure_producers(stack)  # before the runtime: its ingest reads secrets under the stack's prefix
                runtime = LocalRuntime(stack, scorer, rules, slack.url, window=FIXTURE_WINDOW)
                # the runtime's provider hands a metric set to this sink when a metric reaches 100 values between
                # two flushes (the API's counts, while the pollers lag): without it those sets were dropped uncounted
                runtime.metrics_sink = output.take
                rss_before = _rss_mb()
                for _ in range(self.config.workers):
                    processor = self._service(stack, scorer, rules, throttling, wb_url)
                    threads.append(threading.Thread(target=self._score_worker, args=(stack, processor), daemon=True))
                threads.append(threading.Thread(target=self._alert_worker, args=(stack, slack.url), daemon=True))
                threads.append(
                    threading.Thread(target=self._writeback_worker, args=(stack, wb_url, helpdesk), daemon=True)
                )
                for thread in threads:
                    thread.start()

                # post everything concurrently, over HTTP
                post_start = time.monotonic()
                with ThreadPoolExecutor(self.config.concurrency) as pool:
                    statuses = list(pool.map(lambda p: _post(*_request(runtime, p)), self.posts))
                post_seconds = time.monotonic() - post_start

                # drain: every queue empty and nothing in hand, twice in a row
                drained, quiet = False, 0
                while time.monotonic() < deadline:
                    with self.lock:
                        busy = self.busy
                    depth = self._depth(stack, stack.res.events_queue_url, stack.res.alerts_delivery_url, wb_url)
                    quiet = quiet + 1 if depth == 0 and busy == 0 else 0
                    if quiet >= 2:
                        drained = True
                        break
                    time.sleep(0.5)
                drain_seconds = time.monotonic() - post_start - post_seconds
                self.stop.set()
                for thread in threads:
                    thread.join(timeout=30)
                flush_metrics()
                report = self._account(
                    stack,
                    statuses,
                    wb_dlq=wb_dlq,
                    slack=slack,
                    helpdesk=helpdesk,
                    comprehend=comprehend,
                    throttling=throttling,
                    output=output,
                    post_seconds=post_seconds,
                    drain_seconds=drain_seconds,
                    drained=drained,
                    rss_before=rss_before,
                )
        finally:
            self.stop.set()
            if runtime is not None:
                runtime.close()
            slack.close()
            helpdesk.close()
            moto.__exit__(None, None, None)
        return report

    def _account(
        self,
        stack: LocalStack,
        statuses: list[int],
        *,
        wb_dlq: str,
        slack: FaultySlack,
        helpdesk: FaultyHelpdesk,
        comprehend: FaultyComprehend,
        throttling: DynamoThrottling,
        output: OutputCapture,
        post_seconds: float,
        drain_seconds: float,
        drained: bool,
        rss_before: float,
    ) -> RunReport:
        violations: list[str] = []
        sqs = stack.client("sqs")
        http = Counter(str(s) for s in statuses)
        accepted_posts = [p for p, s in zip(self.posts, statuses, strict=True) if s == 202]
        accepted, rejected = len(accepted_posts), sum(s in {400, 413} for s in statuses)
        for post, status in zip(self.posts, statuses, strict=True):
            expected = {"event": 202, "duplicate": 202, "invalid": 400, "oversize": 413}[post.kind]
            if status != expected:
                violations.append(f"{post.kind} post answered {status}, expected {expected}")
        if not drained:
            violations.append(f"did not drain within {self.config.time_limit_s:.0f} s")

        # every accepted record: processed exactly once (an outcome) or in the DLQ, never both, never neither
        tracker = self.tracker
        deliveries = _scan_deliveries(stack)
        with_outcome = {str(d["PK"]).removeprefix("DELIVERY#") for d in deliveries}
        dlq_all = _drain_queue(sqs, stack.res.events_dlq_url)
        # A message finished before its invocation died, whose batch then crashed on every receive, is
        # dead-lettered although its outcome is recorded: SQS counts receives, not outcomes. A redrive replays
        # it as REDELIVERED (its OUTCOME item says so), so it counts as processed, not as dead-lettered.
        # Only invocation crashes return finished records; anything else in the DLQ with an outcome is a bug.
        finished_then_dead_lettered = [
            m
            for m in dlq_all
            if m["MessageId"] in with_outcome
            and tracker.failures.get(json.loads(m["Body"])["event_id"]) == "InvocationCrash"
        ]
        dlq = [m for m in dlq_all if m not in finished_then_dead_lettered]
        dlq_ids = Counter(json.loads(m["Body"])["event_id"] for m in dlq)
        copies = Counter(p.event_id for p in accepted_posts if p.event_id)
        processed = sum(tracker.outcomes.values())
        if processed + len(dlq) != accepted:
            violations.append(f"accounting: {processed} processed + {len(dlq)} dead-lettered != {accepted} accepted")
        for event_id, n in copies.items():
            got = sum(tracker.by_event.get(event_id, Counter()).values()) + dlq_ids.get(event_id, 0)
            if got != n:
                violations.append(f"event {event_id}: {n} accepted copies, {got} processed or dead-lettered")
            if tracker.by_event.get(event_id, Counter())["scored"] > 1:
                violations.append(f"event {event_id} scored {tracker.by_event[event_id]['scored']} times")
        # the table's OUTCOME items: each accepted SQS message has exactly one, or is in the DLQ (never both),
        # and they agree with the outcomes `process` returned and with the EMF counts the functions emitted
        outcome_items = Counter(str(d.get("outcome")) for d in deliveries)
        if outcome_items != tracker.outcomes:
            violations.append(f"OUTCOME items {dict(outcome_items)} != outcomes returned {dict(tracker.outcomes)}")
        dlq_messages = {m["MessageId"] for m in dlq}
        both = sum(str(d["PK"]).removeprefix("DELIVERY#") in dlq_messages for d in deliveries)
        if both:
            violations.append(f"{both} dead-lettered SQS messages also have an OUTCOME item")
        items_by_event = Counter(str(d.get("event_id")) for d in deliveries)
        for event_id, n in copies.items():
            got = items_by_event.get(event_id, 0) + dlq_ids.get(event_id, 0)
            if got != n:
                violations.append(f"event {event_id}: {n} accepted copies, {got} OUTCOME items or dead-lettered")
        if set(items_by_event) - set(copies):
            violations.append(f"{len(set(items_by_event) - set(copies))} OUTCOME items for events never accepted")
        for outcome, metric in (
            (Outcome.SCORED, names.EVENTS_SCORED),
            (Outcome.SKIPPED, names.EVENTS_SKIPPED),
            (Outcome.DUPLICATE, names.EVENTS_DUPLICATE),
        ):
            emitted = round(output.metrics.get(metric, 0))
            if emitted != tracker.outcomes[outcome.value]:
                violations.append(f"EMF {metric} {emitted} != {tracker.outcomes[outcome.value]} {outcome.value}")
        emitted = round(output.metrics.get(names.EVENTS_REDELIVERED, 0))
        if emitted != tracker.redelivered:
            violations.append(f"EMF {names.EVENTS_REDELIVERED} {emitted} != {tracker.redelivered} redelivered")
        reasons = Counter(tracker.failures.get(e, "no reason recorded") for e in dlq_ids.elements())
        if reasons.get("no reason recorded"):
            violations.append(f"{reasons['no reason recorded']} dead-lettered events without a recorded reason")

        # the table: one MSG item per scored customer message, done, with the event id it was scored from
        customer_ids = {p.event_id for p in accepted_posts if p.customer and p.event_id}
        items = _scan_messages(stack)
        by_item = Counter(str(i.get("event_id")) for i in items)
        for event_id, n in by_item.items():
            if n > 1:
                violations.append(f"event {event_id} has {n} MSG items")
        # A dead-lettered event may have left its message leased (a write failed after the insert): the DLQ holds
        # it with its reason and a redrive finishes it. Anything else unfinished was dropped on the floor.
        not_done = sum(not i.get("done") and str(i.get("event_id")) not in dlq_ids for i in items)
        if not_done:
            violations.append(f"{not_done} MSG items left unfinished (leased, never marked done, not in the DLQ)")
        missing = [e for e in customer_ids if e not in by_item and e not in dlq_ids]
        if missing:
            violations.append(f"{len(missing)} accepted customer messages neither stored nor dead-lettered")
        extra = set(by_item) - customer_ids
        if extra:
            violations.append(f"{len(extra)} MSG items for events that were never accepted")

        # alerts: one per ticket within the cooldown, each published alert delivered once or dead-lettered
        notify_dlq = _drain_queue(sqs, stack.res.notify_dlq_url)
        delivered_tickets = Counter(t for _, t, _ in slack.delivered)
        delivered_ids = Counter(a for _, _, a in slack.delivered)
        for ticket, n in delivered_tickets.items():
            if n > 1:
                violations.append(f"ticket {ticket} got {n} Slack alerts inside its cooldown")
        for ticket, n in self.published.items():
            if n > 1:
                violations.append(f"ticket {ticket} had {n} alerts published inside its cooldown")
        for alert_id, n in delivered_ids.items():
            if n > 1:
                violations.append(f"alert {alert_id} delivered {n} times")
        published = sum(self.published.values())
        if len(slack.delivered) + len(notify_dlq) != published:
            violations.append(
                f"alerts: {published} published, {len(slack.delivered)} delivered + {len(notify_dlq)} dead-lettered"
            )
        slack_latency = [
            at - tracker.received_at[a.split(":", 1)[0]]
            for at, _, a in slack.delivered
            if a.split(":", 1)[0] in tracker.received_at
        ]

        # write-back: every request written or dead-lettered
        wb_dead = _drain_queue(sqs, wb_dlq)
        sent = sum(self.writeback_sent.values())
        written = sum(helpdesk.written.values())
        if written + len(wb_dead) != sent:
            violations.append(f"write-back: {sent} requested, {written} written + {len(wb_dead)} dead-lettered")
        # a model that cannot load must be loud: the alarm's metric and an ERROR log
        if self.config.faults.model != "ok":
            if not output.metrics.get(names.MODEL_UNAVAILABLE):
                violations.append("model unavailable but no ModelUnavailable metric was emitted")
            if not any("model unavailable" in m for m in output.error_logs):
                violations.append("model unavailable but nothing was logged at ERROR")

        injected = {f"comprehend_{k}": v for k, v in comprehend.calls.items() if k in {"throttled", "errors"}}
        injected |= {f"dynamodb_pte_{k}": v for k, v in throttling.injected.items()}
        injected |= {f"slack_{k}": v for k, v in slack.statuses.items() if k != 200}
        injected |= {f"helpdesk_{k}": v for k, v in helpdesk.statuses.items() if k != 200}
        if self.crashers:
            injected["scorer_crashes"] = sum(len(c.crashed) for c in self.crashers)
        if self.slow:
            injected["slow_batches"] = sum(s.slowed for s in self.slow)
        injected |= {f"crash_{k}": v for k, v in self.crashes.items()}
        injected["failed_attempts"] = len(tracker.failures)
        scored = tracker.outcomes["scored"]
        span = (tracker.last_done - tracker.first_done) if tracker.first_done and tracker.last_done else 0.0
        return RunReport(
            config=self.config,
            mix=describe(self.posts),
            http=dict(http),
            accepted=accepted,
            rejected=rejected,
            outcomes=dict(tracker.outcomes),
            redelivered=tracker.redelivered,
            outcome_items=dict(outcome_items),
            events_dlq=len(dlq),
            finished_then_dead_lettered=len(finished_then_dead_lettered),
            dlq_reasons=dict(reasons),
            unique_customer_events=len(customer_ids),
            msg_items=len(items),
            alerts={
                "published": published,
                "slack_delivered": len(slack.delivered),
                "notify_dlq": len(notify_dlq),
                "tickets_alerted": len(delivered_tickets),
            },
            writeback={
                "requested": sent,
                "written": written,
                "dlq": len(wb_dead),
                "redelivered": self.writeback_results["failed_attempts"],
            },
            injected=injected,
            emf={k: round(v, 3) for k, v in sorted(output.metrics.items())},
            error_logs=dict(output.error_logs),
            post_seconds=round(post_seconds, 2),
            drain_seconds=round(drain_seconds, 2),
            accept_rate_per_s=round(accepted / post_seconds, 1) if post_seconds else 0.0,
            scoring_rate_per_s=round(scored / span, 1) if span else 0.0,
            accept_to_stored=_latency(tracker.stored_latency),
            accept_to_slack=_latency(slack_latency),
            rss_before_load_mb=round(rss_before, 1),
            peak_rss_mb=round(_peak_rss_mb(), 1),
            drained=drained,
            violations=violations[:50] + ([f"... and {len(violations) - 50} more"] if len(violations) > 50 else []),
        )


def run(config: RunConfig, *, posts: list[Post] | None = None, endpoint: str | None = None) -> RunReport:
    return Run(config, posts=posts, endpoint=endpoint).execute()


Scenario = Literal[
    "load",
    "faults",
    "comprehend",
    "dynamodb",
    "slack",
    "helpdesk",
    "model-missing",
    "model-corrupt",
    "crash",
    "crash-invocation",
    "redelivery",
]


def scenario_faults(name: Scenario) -> FaultPlan:
    """The fault plan of each named scenario (the issue's rates; `faults` is all of them at once)."""
    return {
        "load": FaultPlan(),
        "faults": FaultPlan.issue(),
        "comprehend": FaultPlan(comprehend_throttle=0.2, comprehend_error=0.05),
        "dynamodb": FaultPlan(dynamodb_throughput=0.05),
        "slack": FaultPlan(slack_429=0.1, slack_500=0.1),
        "helpdesk": FaultPlan(helpdesk_429=0.2),
        "model-missing": FaultPlan(model="missing", comprehend_throttle=0.2, comprehend_error=0.05),
        "model-corrupt": FaultPlan(model="corrupt"),
        "crash": FaultPlan(crash_every=7),
        "crash-invocation": FaultPlan(crash_every=7, crash_mode="invocation"),
        "redelivery": FaultPlan(),
    }[name]


# Concurrent redelivery: a 3 s visibility timeout and batches slowed 4.5 s, two workers on the one queue. A
# message's first receiver sleeps past the timeout, so the other worker receives it and settles it first; the
# first then finds its outcome claimed. The first receiver deletes the message at about 4.5 s plus its batch's
# work, well before a fourth receive (9 s) would send it to the DLQ.
REDELIVERY_VISIBILITY_S = 3
REDELIVERY_SLOW_BATCH_S = 4.5
REDELIVERY: dict[str, Any] = {
    "events_visibility_s": REDELIVERY_VISIBILITY_S,
    "slow_batch_s": REDELIVERY_SLOW_BATCH_S,
    "workers": 2,
}


def scenario_config(name: Scenario) -> dict[str, Any]:
    """RunConfig settings of a named scenario beyond its fault plan."""
    return {"faults": scenario_faults(name), **(REDELIVERY if name == "redelivery" else {})}
