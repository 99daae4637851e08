"""Slack incoming webhook over the one HTTP transport: retries on 429 and 5xx, honouring Retry-After (a longer one
is waited `max_wait`), https only (http on localhost, for a local sink)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ...writeback.models import WritebackError
from . import transport
from .transport import RetrySettings, Transport, allowed_url

__all__ = ["RetryableSlackError", "SlackDeliveryError", "SlackWebhook", "allowed_url", "parse_retry_after"]


class SlackDeliveryError(RuntimeError):
    """Slack did not accept the message after all attempts (or refused it outright)."""


class RetryableSlackError(SlackDeliveryError):
    def __init__(self, status: int | None, retry_after: float | None, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


def parse_retry_after(value: str | None, max_wait: float) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), capped at max_wait; None if absent/bad."""
    seconds = transport.parse_retry_after(value, time.time())
    return None if seconds is None else min(seconds, max_wait)


def _no_error_code(_body: Any) -> str | None:
    return None  # Slack answers a plain-text reason; the status says enough


class SlackWebhook:
    def __init__(
        self,
        url: str | Callable[[], str],
        *,
        attempts: int = 5,
        base_wait: float = 0.5,
        max_wait: float = 20.0,
        timeout: float = 5.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
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

    def _transport(self) -> Transport:
        settings = RetrySettings(
            attempts=self.attempts,
            base_wait=self.base_wait,
            max_wait=self.max_wait,
            max_total_wait=float("inf"),
            timeout=self.timeout,
            cap_long_waits=True,
            sleep=self.sleep or time.sleep,
        )
        return Transport(
            "slack",
            _no_error_code,
            settings,
            retryable_statuses=frozenset({429}),
            retry_after_statuses=frozenset({429, *range(500, 600)}),
            user_agent="ticket-sentiment-notify/1",
            content_type="application/json",
        )

    def post(self, message: dict[str, Any]) -> None:
        url = self.url
        if not allowed_url(url):
            self.tries += 1
            raise SlackDeliveryError("webhook URL must be https (or http on localhost, for a local sink)")
        sender = self._transport()
        try:
            sender.request("POST", url, headers={}, body=message)
        except WritebackError as exc:
            raise _slack_error(exc) from None
        finally:
            self.tries += sender.calls


def _slack_error(exc: WritebackError) -> SlackDeliveryError:
    if not exc.retryable:
        return SlackDeliveryError(f"slack refused the message: {exc.status}")
    if exc.status is None:
        return RetryableSlackError(None, None, f"slack unreachable: {exc.reason.removeprefix('slack: ')}")
    return RetryableSlackError(exc.status, exc.retry_after, f"slack answered {exc.status}")
