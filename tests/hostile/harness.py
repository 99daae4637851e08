"""The three API functions (ingest, query, review) served over real HTTP on 127.0.0.1, with moto behind them.

As API Gateway's REST proxy would: each request becomes the proxy event and is resolved by the very resolver the
Lambda runs (`build_app(...)` of handlers.ingest, handlers.api and handlers.review), with SQS, DynamoDB and Secrets
Manager in moto. Helpdesk secrets and the Slack signing secret are filled, so signed deliveries are accepted.
In front of them, the local stack's API-key gate (infra/routes.py): a key-protected route without its own API's
key answers 403 {"error": "Forbidden"} before any function runs, as API Gateway does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from ticket_sentiment.adapters.aws.reviews import DynamoReviewStore
from ticket_sentiment.adapters.aws.secrets import secrets_manager_lookup
from ticket_sentiment.handlers.api import build_app as build_api_app
from ticket_sentiment.handlers.ingest import build_app as build_ingest_app
from ticket_sentiment.handlers.review import build_app as build_review_app
from ticket_sentiment.pipeline.window import CreatedAtWindow
from ticket_sentiment_tools.local_stack import (
    FORBIDDEN,
    LocalStack,
    api_gateway_event,
    key_gate_admits,
    stack_api_keys,
)

from infra.routes import ApiKind, route_for
from tests.unit.helpdesk_support import SECRETS

HELPDESK_PREFIX = "hostile/helpdesk/"
SLACK_SIGNING_SECRET = "slack-signing-secret-0123456789abcdef"
OTHER_SECRET = "another-secret-entirely-0123456789"
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit; a larger request never reaches the function


class NullResponder:
    """Slack's response_url is never called here (the tests make no outbound calls)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []

    def post(self, url: str, message: dict[str, Any]) -> None:
        self.posts.append((url, message))


@dataclass
class Served:
    """One resolved request, for the figures: route, status, seconds inside the resolver."""

    method: str
    path: str
    status: int
    seconds: float


@dataclass
class ApiServer:
    stack: LocalStack
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # The helpdesk fixtures keep their recorded 2025-2026 dates while signatures use the wall clock, so the
    # created_at window is widened here to ten years (it is attacked in tests/unit/test_ingest_window.py).
    window: CreatedAtWindow = field(default_factory=lambda: CreatedAtWindow(max_age=timedelta(days=3650)))
    served: list[Served] = field(default_factory=list)

    def __post_init__(self) -> None:
        secrets = self.stack.client("secretsmanager")
        prefix = f"{self.stack.prefix}/{HELPDESK_PREFIX}"
        for platform, value in SECRETS.items():
            secrets.create_secret(Name=f"{prefix}{platform}", SecretString=value)
        lookup = secrets_manager_lookup(prefix, SecretsProvider(boto3_client=secrets), max_age=300)
        self.responder = NullResponder()
        self.ingest = build_ingest_app(
            self.stack.event_queue, clock=self.clock, helpdesk_secret=lookup, window=self.window
        )
        self.query = build_api_app(self.stack.store)
        reviews = DynamoReviewStore(self.stack.res.table_name, self.stack.resource("dynamodb"))
        self.review = build_review_app(
            lambda: reviews, self.stack.store, lambda: SLACK_SIGNING_SECRET, lambda: self.responder, clock=self.clock
        )
        self.api_keys: dict[ApiKind, str] = stack_api_keys(self.stack)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or 0)
                if length > MAX_REQUEST_BYTES:
                    self.rfile.read(length)
                    self._reply(413, "application/json", json.dumps({"error": "request too large"}).encode())
                    return
                body = self.rfile.read(length)
                if not key_gate_admits(server.api_keys, self.command, self.path, self.headers.get("x-api-key")):
                    self._reply(403, "application/json", FORBIDDEN)
                    return
                event = api_gateway_event(self.command, self.path, dict(self.headers.items()), body)
                started = time.perf_counter()
                with server.lock:  # a resolver keeps the current event on itself: one request at a time
                    response = server.app_for(event["path"]).resolve(event, None)  # type: ignore[arg-type]
                server.served.append(
                    Served(self.command, event["path"], int(response["statusCode"]), time.perf_counter() - started)
                )
                payload = str(response.get("body") or "").encode("utf-8", errors="surrogatepass")
                if response.get("isBase64Encoded"):
                    payload = base64.b64decode(payload)
                content_type = (response.get("multiValueHeaders") or {}).get("Content-Type", ["application/json"])
                self._reply(int(response["statusCode"]), content_type[0], payload)

            def _reply(self, status: int, content_type: str, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def app_for(self, path: str) -> APIGatewayRestResolver:
        path = path.split("?", 1)[0]
        if path == "/v1/slack/actions" or (path.startswith("/v1/tickets/") and path.endswith("/review")):
            return self.review
        if path.startswith("/v1/tickets/"):
            return self.query
        return self.ingest

    def key(self, kind: ApiKind) -> dict[str, str]:
        return {"x-api-key": self.api_keys[kind]}

    def key_for(self, method: str, path: str) -> dict[str, str]:
        """The header a legitimate caller of this route sends: its API's key, or nothing on a signed route."""
        route = route_for(method, path.split("?", 1)[0])
        return self.key(route.api) if route is not None and route.key_required else {}

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def queued(self) -> int:
        return self.stack.queue_depth(self.stack.res.events_queue_url)

    def purge(self) -> None:
        sqs = self.stack.client("sqs")
        while batch := sqs.receive_message(
            QueueUrl=self.stack.res.events_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages"):
            for message in batch:
                sqs.delete_message(QueueUrl=self.stack.res.events_queue_url, ReceiptHandle=message["ReceiptHandle"])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def slack_headers(body: bytes, secret: str = SLACK_SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Signature": f"v0={digest}",
        "X-Slack-Request-Timestamp": stamp,
        "Content-Type": "application/x-www-form-urlencoded",
    }
