"""A local Slack webhook on 127.0.0.1: answers a scripted list of statuses, then 200, and records every body."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SlackSink:
    def __init__(self, statuses: list[int] | None = None, retry_after: str | None = None) -> None:
        self.statuses = list(statuses or [])
        self.retry_after = retry_after
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sink.attempts += 1
                status = sink.statuses.pop(0) if sink.statuses else 200
                if status == 200:
                    sink.received.append(json.loads(body))
                self.send_response(status)
                if status == 429 and sink.retry_after is not None:
                    self.send_header("Retry-After", sink.retry_after)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"error")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/services/T000/B000/XXX"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
