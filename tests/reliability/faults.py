"""Faults injected at the adapters while the load runs: each fake or hook counts what it injected.

- `FaultyComprehend`: a Comprehend client (moto has no BatchDetectSentiment) that throttles and errs as botocore
  would, with ClientError codes the real service returns.
- `dynamodb_throttling`: a botocore `before-send` hook on the table's client that answers a share of writes with
  an HTTP 400 ProvisionedThroughputExceededException, exactly what the service sends; botocore's retry handler
  sees it as it would see the real one.
- `FaultySlack`: an incoming-webhook sink on 127.0.0.1 answering 429 (with Retry-After) and 500 to a share of posts,
  recording only what it accepted (200).
- `FaultyHelpdesk`: a Zendesk API on 127.0.0.1 answering 429 (Retry-After) to a share of ticket updates.
- `broken_model_dir`: a model directory that is missing, or present with corrupt files.
- `CrashingProcessor`: the scorer crashing on a record in the middle of a batch, either with an exception (the
  function survives) or by taking the whole invocation down (`InvocationCrash`, a BaseException).
- `SlowBatches`: a batch that outlives the events queue's visibility timeout, so SQS delivers its messages to
  another worker while the first still holds them (concurrent redelivery of one SQS message).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field
from ticket_sentiment.events import ProcessResult, QueuedEvent
from ticket_sentiment.ports import EventProcessor


class FaultPlan(BaseModel):
    """Shares of calls that fail, per adapter (0 turns a fault off)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    comprehend_throttle: float = Field(0.0, ge=0, le=1)
    comprehend_error: float = Field(0.0, ge=0, le=1)
    dynamodb_throughput: float = Field(0.0, ge=0, le=1)
    slack_429: float = Field(0.0, ge=0, le=1)
    slack_500: float = Field(0.0, ge=0, le=1)
    helpdesk_429: float = Field(0.0, ge=0, le=1)
    model: Literal["ok", "missing", "corrupt"] = "ok"
    crash_every: int = Field(0, ge=0)  # the k-th record handed to the scorer crashes (0: never)
    crash_mode: Literal["exception", "invocation"] = "exception"

    @classmethod
    def issue(cls) -> FaultPlan:
        """The faults the reliability issue asks for, all at once."""
        return cls(
            comprehend_throttle=0.2,
            comprehend_error=0.05,
            dynamodb_throughput=0.05,
            slack_429=0.1,
            slack_500=0.1,
            helpdesk_429=0.2,
            crash_every=97,
        )


class _Dice:
    """A seeded, thread-safe random source shared by the injectors of one run."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def roll(self) -> float:
        with self._lock:
            return self._rng.random()


class FaultyComprehend:
    """BatchDetectSentiment with ThrottlingException on `throttle` of calls and InternalServerException on `error`.

    Answers like LocalComprehend otherwise (every document NEUTRAL): the point is the failure handling."""

    def __init__(self, throttle: float, error: float, seed: int = 1) -> None:
        self.throttle = throttle
        self.error = error
        self.dice = _Dice(seed)
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.calls[key] += n

    def batch_detect_sentiment(self, TextList: list[str], LanguageCode: str) -> dict[str, Any]:  # noqa: N803
        roll = self.dice.roll()
        if roll < self.throttle:
            self._count("throttled")
            raise ClientError(
                {
                    "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "BatchDetectSentiment",
            )
        if roll < self.throttle + self.error:
            self._count("errors")
            raise ClientError(
                {
                    "Error": {"Code": "InternalServerException", "Message": "internal error"},
                    "ResponseMetadata": {"HTTPStatusCode": 500},
                },
                "BatchDetectSentiment",
            )
        self._count("ok")
        self._count("documents", len(TextList))
        score = {"Positive": 0.05, "Negative": 0.05, "Neutral": 0.9, "Mixed": 0.0}
        return {
            "ResultList": [{"Index": i, "Sentiment": "NEUTRAL", "SentimentScore": score} for i in range(len(TextList))],
            "ErrorList": [],
        }


DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
_PTE_BODY = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded.",
    }
)


class DynamoThrottling:
    """A `before-send` hook: a share of DynamoDB writes never reach the table and get the service's 400 answer."""

    def __init__(self, share: float, seed: int = 2) -> None:
        self.share = share
        self.dice = _Dice(seed)
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse | None:
        operation = str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]
        if self.dice.roll() >= self.share:
            return None  # sent as usual
        with self._lock:
            self.injected[operation] += 1
        raw = _RawBody(_PTE_BODY.encode())
        return AWSResponse(
            request.url, 400, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"}, raw
        )

    def install(self, client: Any) -> None:
        for operation in DYNAMODB_WRITES:
            client.meta.events.register(f"before-send.dynamodb.{operation}", self)


class _RawBody:
    """What AWSResponse reads its content from (urllib3's response shape)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, chunk_size: int = 1024, decode_content: bool = True) -> Any:
        yield self._data


class _FaultyServer:
    """A local HTTP server whose replies a subclass decides; counts statuses."""

    def __init__(self, seed: int) -> None:
        self.dice = _Dice(seed)
        self.statuses: Counter[int] = Counter()
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                status, headers, payload = owner.reply(self.command, self.path, body)
                with owner.lock:
                    owner.statuses[status] += 1
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_PUT = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_ALERT_ID = re.compile(r"alert (\S+)$")


class FaultySlack(_FaultyServer):
    """Slack's incoming webhook: 429 + Retry-After on `rate_limited`, 500 on `failing`, else 200 and recorded."""

    def __init__(self, rate_limited: float = 0.0, failing: float = 0.0, seed: int = 3) -> None:
        self.rate_limited = rate_limited
        self.failing = failing
        self.delivered: list[tuple[float, str, str]] = []  # (epoch seconds, ticket id, alert id)
        super().__init__(seed)

    def reply(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        roll = self.dice.roll()
        if roll < self.rate_limited:
            return 429, {"Retry-After": "1" if roll < self.rate_limited / 2 else "0"}, b"rate_limited"
        if roll < self.rate_limited + self.failing:
            return 500, {}, b"internal_error"
        message = json.loads(body)
        ticket = str(message["blocks"][0]["text"]["text"]).removeprefix("Ticket ")
        context = str(message["blocks"][4]["elements"][0]["text"])
        match = _ALERT_ID.search(context)
        with self.lock:
            self.delivered.append((time.time(), ticket, match[1] if match else "?"))
        return 200, {}, b"ok"

    @property
    def url(self) -> str:
        return f"{self.base_url}/services/T000/B000/XXX"


class FaultyHelpdesk(_FaultyServer):
    """Zendesk's ticket update API: 429 with Retry-After on `rate_limited` of the PUTs, else 200 and recorded."""

    def __init__(self, rate_limited: float = 0.0, seed: int = 4) -> None:
        self.rate_limited = rate_limited
        self.written: Counter[str] = Counter()  # ticket id -> successful updates
        super().__init__(seed)

    def reply(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        match = re.fullmatch(r"/api/v2/tickets/(\d+)\.json", path)
        if method != "PUT" or match is None:
            return 404, {}, b'{"error": "InvalidEndpoint"}'
        if self.dice.roll() < self.rate_limited:
            return 429, {"Retry-After": "1", "Content-Type": "application/json"}, b'{"error": "TooManyRequests"}'
        with self.lock:
            self.written[match[1]] += 1
        ticket = json.loads(body)["ticket"]
        return (
            200,
            {"Content-Type": "application/json", "X-Rate-Limit-Remaining": "699"},
            json.dumps({"ticket": {"id": int(match[1]), "tags": ticket.get("additional_tags", [])}}).encode(),
        )


def broken_model_dir(root: Path, kind: Literal["missing", "corrupt"]) -> Path:
    """A model directory the scorer cannot load: absent, or with files that are not a model."""
    path = root / f"model-{kind}"
    if kind == "corrupt":
        path.mkdir(parents=True, exist_ok=True)
        (path / "model.onnx").write_bytes(b"\x00not an onnx graph\xff" * 64)
        (path / "tokenizer.json").write_text("{truncated", encoding="utf-8")
        (path / "model_meta.json").write_text("{}", encoding="utf-8")
    return path


class InvocationCrash(BaseException):
    """The invocation dies (out of memory, a segfault in a native library): no partial batch response at all."""


class CrashingProcessor:
    """Crashes on every `every`-th record handed to it, before the record reaches the store (a scorer crash)."""

    def __init__(self, inner: EventProcessor, every: int, mode: Literal["exception", "invocation"]) -> None:
        self.inner = inner
        self.every = every
        self.mode = mode
        self.seen = 0
        self.crashed: list[str] = []  # event ids
        self._lock = threading.Lock()

    def prescore(self, batch: Sequence[QueuedEvent]) -> None:
        self.inner.prescore(batch)

    def process(self, queued: QueuedEvent, *, delivery_id: str | None = None) -> ProcessResult:
        with self._lock:
            self.seen += 1
            # A record crashes at most once, so a redelivery succeeds (a crash is not a poison message).
            crash = self.every > 0 and self.seen % self.every == 0 and queued.event_id not in self.crashed
            if crash:
                self.crashed.append(queued.event_id)
        if crash and self.mode == "invocation":
            raise InvocationCrash(f"scorer crashed on {queued.event_id}")
        if crash:
            raise RuntimeError(f"scorer crashed on {queued.event_id}")
        return self.inner.process(queued, delivery_id=delivery_id)


class SlowBatches:
    """Sleeps `seconds` in `prescore` when the batch holds a message no worker has received before (an SQS message
    is its event id and ingest time: a re-post is another message). With `seconds` longer than the visibility
    timeout, SQS hands those messages to another worker while this one is still inside its invocation; that
    worker's batch (messages received before) runs at once and settles them first, and this one then processes
    them again. Only first receives sleep, so a message is received two or three times, never the four times
    that would move it to the DLQ."""

    def __init__(
        self, inner: EventProcessor, seconds: float, received: set[tuple[str, float]], lock: threading.Lock
    ) -> None:
        self.inner = inner
        self.seconds = seconds
        self.received = received  # shared by the run's workers
        self.lock = lock
        self.slowed = 0  # batches slept

    def prescore(self, batch: Sequence[QueuedEvent]) -> None:
        keys = {(q.event_id, q.received_at.timestamp()) for q in batch}
        with self.lock:
            first = bool(keys - self.received)
            self.received |= keys
            self.slowed += first
        if first:
            time.sleep(self.seconds)
        self.inner.prescore(batch)

    def process(self, queued: QueuedEvent, *, delivery_id: str | None = None) -> ProcessResult:
        return self.inner.process(queued, delivery_id=delivery_id)
