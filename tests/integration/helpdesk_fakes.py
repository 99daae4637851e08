"""Local helpdesk APIs on 127.0.0.1: answer like Zendesk, Freshdesk, Intercom and Salesforce, record every request.

Each fake has a default responder per platform (the documented success shapes) and a script: `fake.queue(method,
pattern, reply, ...)` makes the next requests matching the method and path regex get those replies first.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)


Responder = Callable[[Recorded], Reply]


class HelpdeskFake:
    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[Recorded] = []
        self._script: list[tuple[str, re.Pattern[str], Reply]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                recorded = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                reply = fake.reply_for(recorded)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = (
                    b""
                    if reply.body is None
                    else (reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode())
                )
                self.send_response(reply.status)
                if payload:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PATCH(self) -> None:
                self._serve()

            def do_DELETE(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def queue(self, method: str, pattern: str, *replies: Reply) -> None:
        with self._lock:
            self._script.extend((method, re.compile(pattern), reply) for reply in replies)

    def reply_for(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            for i, (method, pattern, reply) in enumerate(self._script):
                if method == recorded.method and pattern.search(recorded.path):
                    del self._script[i]
                    return reply
        return self.responder(recorded)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def calls(self, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if method is None or r.method == method]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- default responders: the documented success answers ------------------------------------------------------------


def zendesk(request: Recorded) -> Reply:
    match = re.fullmatch(r"/api/v2/tickets/(\d+)\.json", request.path)
    if request.method != "PUT" or match is None:
        return Reply(404, {"error": "InvalidEndpoint", "description": "Not found"})
    ticket = request.json()["ticket"]
    return Reply(
        200,
        {
            "ticket": {
                "id": int(match[1]),
                "custom_fields": ticket.get("custom_fields", []),
                "tags": ticket.get("additional_tags", []),
            },
            "audit": {"id": 1, "ticket_id": int(match[1])},
        },
        {"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "699"},
    )


FRESHDESK_TAGS = ["vip", "sentiment-positive", "sentiment-scored"]


def freshdesk(request: Recorded) -> Reply:
    match = re.fullmatch(r"/api/v2/tickets/(\d+)", request.path)
    if match is None:
        return Reply(404, None)
    headers = {"X-RateLimit-Total": "200", "X-RateLimit-Remaining": "199", "X-RateLimit-Used-CurrentRequest": "1"}
    ticket: dict[str, Any] = {
        "id": int(match[1]),
        "subject": "Refund",
        "tags": FRESHDESK_TAGS,
        "custom_fields": {"cf_sentiment_score": None, "cf_sentiment_label": None},
    }
    if request.method == "GET":
        return Reply(200, ticket, headers)
    if request.method == "PUT":
        update = request.json()
        return Reply(200, {**ticket, **update}, headers)
    return Reply(405, {"code": "method_not_allowed"})


INTERCOM_ATTACHED = [
    {"type": "tag", "id": "3", "name": "sentiment-positive"},
    {"type": "tag", "id": "9", "name": "sentiment-scored"},
    {"type": "tag", "id": "5", "name": "billing"},
]


def intercom(request: Recorded) -> Reply:
    headers = {"X-RateLimit-Limit": "10000", "X-RateLimit-Remaining": "9999", "X-RateLimit-Reset": "4102444800"}
    if request.method == "POST" and request.path == "/tags":
        name = request.json()["name"]
        return Reply(200, {"type": "tag", "id": str(100 + len(name)), "name": name}, headers)
    conversation = re.fullmatch(r"/conversations/(\d+)", request.path)
    if request.method == "PUT" and conversation:
        return Reply(
            200,
            {
                "type": "conversation",
                "id": conversation[1],
                "custom_attributes": request.json()["custom_attributes"],
                "tags": {"type": "tag.list", "tags": INTERCOM_ATTACHED},
            },
            headers,
        )
    if request.method == "POST" and re.fullmatch(r"/conversations/\d+/tags", request.path):
        return Reply(200, {"type": "tag", "id": request.json()["id"], "name": "x"}, headers)
    if request.method == "DELETE" and re.fullmatch(r"/conversations/\d+/tags/\w+", request.path):
        return Reply(200, {"type": "tag", "id": request.path.rsplit("/", 1)[1], "name": "x"}, headers)
    return Reply(
        404,
        {"type": "error.list", "request_id": "r1", "errors": [{"code": "not_found", "message": "Resource Not Found"}]},
    )


class SalesforceOrg:
    """Token endpoint plus sObject PATCH; a PATCH with any token but the latest issued answers 401."""

    def __init__(self) -> None:
        self.issued: list[str] = []
        self.revoked: set[str] = set()

    def __call__(self, request: Recorded) -> Reply:
        if request.method == "POST" and request.path == "/services/oauth2/token":
            token = f"00Dxx!token{len(self.issued) + 1}"
            self.issued.append(token)
            return Reply(
                200,
                {
                    "access_token": token,
                    "signature": "sig",
                    "scope": "api",
                    "instance_url": "https://example.my.salesforce.com",
                    "id": "https://login/id/00D/005",
                    "token_type": "Bearer",
                    "issued_at": "1700000000000",
                },
            )
        if request.method == "PATCH" and re.fullmatch(r"/services/data/v\d+\.\d/sobjects/Case/\w+", request.path):
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if token not in self.issued or token in self.revoked:
                return Reply(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
            return Reply(204, None, {"Sforce-Limit-Info": "api-usage=18/15000"})
        return Reply(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
