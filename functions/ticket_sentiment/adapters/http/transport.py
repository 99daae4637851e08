"""The one HTTP transport, for the helpdesk writers and Slack: urllib (stdlib), tenacity retries, Retry-After, the
helpdesks' rate-limit headers, and https only (http on localhost, for the local sinks).

One `Transport` per client, kept for the container's life, so a rate limit seen by one record delays the next.
Waits are bounded twice: one wait never exceeds `max_wait` (a longer Retry-After or rate-limit reset is not slept
through: the write fails as retryable and SQS redelivers it later), and all waits of one call together stay under
`max_total_wait`. Errors carry the status and the platform's error code only: never a token, never ticket text.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from ...writeback.models import WritebackError

# 408/409/425 are transient too: Zendesk answers 409 when two updates of one ticket collide.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})
_CODE = re.compile(r"[^A-Za-z0-9_.:-]+")
# Unix time in seconds: a reset above this is an absolute time (Intercom), below it a delay (Zendesk ratelimit-reset).
_EPOCH_FLOOR = 1_000_000_000


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, WritebackError) and exc.retryable


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def safe_code(value: object, limit: int = 60) -> str:
    """An error code fit for a log line: short, and only the characters codes are made of."""
    return _CODE.sub("_", str(value)).strip("_")[:limit]


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from Retry-After: delta-seconds ("30", "1.5") or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)


def _header(headers: Message | Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return str(value)
    return None


def rate_limit_wait(headers: Message | Mapping[str, str], now: float, default_wait: float) -> float | None:
    """Seconds to hold the next call when the response says no requests are left in the window, else None.

    Remaining: X-RateLimit-Remaining (Intercom, Freshdesk), X-Rate-Limit-Remaining / ratelimit-remaining (Zendesk).
    Reset: a Unix time (Intercom) or seconds from now (Zendesk's ratelimit-reset); Freshdesk sends none, so the
    window's default applies.
    """
    remaining = _header(headers, "X-RateLimit-Remaining", "X-Rate-Limit-Remaining", "RateLimit-Remaining")
    try:
        if remaining is None or int(float(remaining)) > 0:
            return None
    except ValueError:
        return None
    reset = _header(headers, "X-RateLimit-Reset", "X-Rate-Limit-Reset", "RateLimit-Reset")
    try:
        value = float(reset) if reset is not None else None
    except ValueError:
        value = None
    if value is None:
        return default_wait
    return max(value - now, 0.0) if value >= _EPOCH_FLOOR else max(value, 0.0)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message | Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


ErrorCode = Callable[[Any], str | None]


def allowed_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"})


@dataclass(frozen=True)
class RetrySettings:
    """Bounds on one write's retries and waits (seconds). Tests inject `sleep` and `clock` and tiny waits."""

    attempts: int = 4
    base_wait: float = 0.5
    max_wait: float = 20.0  # a longer Retry-After / reset is left to SQS's redelivery instead
    max_total_wait: float = 45.0  # well inside the write-back function's timeout
    rate_limit_default_wait: float = 10.0  # remaining 0 and no reset header (Freshdesk): a window is a minute
    timeout: float = 10.0
    # True (Slack): a longer Retry-After is waited `max_wait` and the call retried, instead of handed back to SQS.
    cap_long_waits: bool = False
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time


class _StopOnLongWait(stop_base):
    """Rather than hold a Lambda for minutes, hand a long wait back to SQS's visibility timeout."""

    def __init__(self, settings: RetrySettings) -> None:
        self.settings = settings

    def __call__(self, retry_state: RetryCallState) -> bool:
        upcoming = retry_state.upcoming_sleep
        return upcoming > self.settings.max_wait or retry_state.idle_for + upcoming > self.settings.max_total_wait


@dataclass
class Transport:
    """Sends one request with retries. `error_code` pulls the platform's error code out of an error body;
    `retryable_codes` are codes that make an otherwise permanent status retryable."""

    platform: str
    error_code: ErrorCode
    settings: RetrySettings = field(default_factory=RetrySettings)
    retryable_codes: frozenset[str] = frozenset()
    retryable_statuses: frozenset[int] = RETRYABLE_STATUSES  # and every 5xx
    retry_after_statuses: frozenset[int] = frozenset({429, 503})  # whose Retry-After header is honoured
    user_agent: str = "ticket-sentiment-writeback/1"
    content_type: str = "application/json; charset=utf-8"
    calls: int = field(default=0, init=False)
    _not_before: float = field(default=0.0, init=False)

    @property
    def sleep(self) -> Callable[[float], None]:
        return self.settings.sleep

    @property
    def clock(self) -> Callable[[], float]:
        return self.settings.clock

    @property
    def max_wait(self) -> float:
        return self.settings.max_wait

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: Any = None,
        form: bool = False,
        ok: frozenset[int] = frozenset(),
    ) -> Response:
        """JSON (or form) `body`; returns a 2xx response, or one whose status is in `ok`; raises WritebackError."""
        if not allowed_url(url):
            raise WritebackError(None, False, f"{self.platform}: base URL must be https (http only on localhost)")
        data: bytes | None = None
        all_headers = {"Accept": "application/json", "User-Agent": self.user_agent, **headers}
        if body is not None:
            data = (urllib.parse.urlencode(body) if form else json.dumps(body, separators=(",", ":"))).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded" if form else self.content_type
        retrying = Retrying(
            stop=stop_any(stop_after_attempt(self.settings.attempts), _StopOnLongWait(self.settings)),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            sleep=self.sleep,
            reraise=True,
        )
        response: Response = retrying(self._once, method, url, all_headers, data, ok)
        return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, WritebackError) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait) if self.settings.cap_long_waits else exc.retry_after
        base = self.settings.base_wait
        return float(wait_exponential_jitter(initial=base, max=self.max_wait, jitter=base)(state))

    def _hold(self) -> None:
        """Wait out a rate-limit window an earlier response announced (X-RateLimit-Remaining: 0)."""
        wait = self._not_before - self.clock()
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise WritebackError(
                429, True, f"{self.platform}: rate limit window resets in {wait:.0f}s", retry_after=wait
            )
        self.sleep(wait)

    def _once(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        data: bytes | None,
        ok: frozenset[int],
    ) -> Response:
        self._hold()
        self.calls += 1
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as raw:
                response = Response(raw.status, raw.headers, raw.read())
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read()
            except OSError:
                body = b""
            response = Response(exc.code, exc.headers, body)
            exc.close()
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            # HTTPException: a connection cut mid-answer (IncompleteRead, BadStatusLine); the next try may work.
            reason = getattr(exc, "reason", exc)
            kind = "timeout" if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError) else "unreachable"
            raise WritebackError(None, True, f"{self.platform}: {kind} ({type(reason).__name__})") from None
        now = self.clock()
        retry_after = (
            parse_retry_after(_header(response.headers, "Retry-After"), now)
            if response.status in self.retry_after_statuses
            else None
        )
        hold = rate_limit_wait(response.headers, now, self.settings.rate_limit_default_wait)
        if retry_after is not None:  # the server's own word beats our guess at its window
            self._not_before = now + retry_after
        elif hold is not None:
            self._not_before = max(self._not_before, now + hold)
        if 200 <= response.status < 300 or response.status in ok:
            return response
        raise self.error(response, now)

    def error(self, response: Response, now: float | None = None) -> WritebackError:
        status = response.status
        code = self.error_code(response.json()) if response.body else None
        reason = f"{self.platform} answered {status}" + (f": {safe_code(code)}" if code else "")
        now = self.clock() if now is None else now
        retry_after = None
        if status in self.retry_after_statuses:
            retry_after = parse_retry_after(_header(response.headers, "Retry-After"), now)
            if retry_after is None and status == 429:
                retry_after = rate_limit_wait(response.headers, now, self.settings.rate_limit_default_wait)
        retryable = (
            status in self.retryable_statuses
            or status >= 500
            or (code is not None and safe_code(code) in self.retryable_codes)
        )
        return WritebackError(status, retryable, reason, retry_after=retry_after)
