"""Slack incoming webhook over urllib, with tenacity retries on 429 and 5xx (honouring Retry-After)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter


class SlackDeliveryError(RuntimeError):
    """Slack did not accept the message after all attempts (or refused it outright)."""


class RetryableSlackError(SlackDeliveryError):
    def __init__(self, status: int | None, retry_after: float | None, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


def parse_retry_after(value: str | None, max_wait: float) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), capped at max_wait; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), max_wait)
    try:
        from datetime import UTC, datetime

        when = parsedate_to_datetime(value)
        return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), max_wait)
    except (TypeError, ValueError):
        return None


def allowed_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"})


class SlackWebhook:
    def __init__(self, url: str | Callable[[], str], *, attempts: int = 5, base_wait: float = 0.5,
                 max_wait: float = 20.0, timeout: float = 5.0, sleep: Callable[[float], None] | None = None) -> None:
        self._url = url
        self.attempts = attempts
        self.base_wait = base_wait
        self.max_wait = max_wait
        self.timeout = timeout
        self.sleep = sleep
        self.tries = 0

    @property
    def url(self) -> str:
        return self._url() if callable(self._url) else self._url

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableSlackError) and exc.retry_after is not None:
            return exc.retry_after
        return float(wait_exponential_jitter(initial=self.base_wait, max=self.max_wait,
                                             jitter=self.base_wait)(state))

    def post(self, message: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {"sleep": self.sleep} if self.sleep is not None else {}
        retrying = Retrying(stop=stop_after_attempt(self.attempts), wait=self._wait, reraise=True,
                            retry=retry_if_exception_type(RetryableSlackError), **kwargs)
        retrying(self._post_once, json.dumps(message).encode())

    def _post_once(self, data: bytes) -> None:
        self.tries += 1
        url = self.url
        if not allowed_url(url):
            raise SlackDeliveryError("webhook URL must be https (or http on localhost, for a local sink)")
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                raise RetryableSlackError(exc.code, parse_retry_after(exc.headers.get("Retry-After"), self.max_wait),
                                          f"slack answered {exc.code}") from None
            raise SlackDeliveryError(f"slack refused the message: {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise RetryableSlackError(None, None, f"slack unreachable: {type(exc).__name__}") from None
