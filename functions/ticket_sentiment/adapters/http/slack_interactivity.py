"""Slack interactivity: the app's signing secret (Secrets Manager, cached) and updates through `response_url`.

`response_url` arrives inside a payload, so it is only followed to Slack's own host (hooks.slack.com, https);
anything else would let a forged-but-signed payload (or a misconfigured proxy) turn the function into an
open relay. The allowed hosts are injectable so the tests can stand in for Slack on 127.0.0.1.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from .slack import SlackDeliveryError, SlackWebhook

SLACK_RESPONSE_HOSTS = frozenset({"hooks.slack.com"})


class SlackSigningSecret:
    """The `signing_secret` of the Slack secret JSON ({"webhook_url": ..., "signing_secret": ...}); None when the
    secret holds no signing secret (yet), e.g. only the webhook URL."""

    def __init__(self, secret_id: str, client: Any | None = None, max_age: int = 300) -> None:
        self.secret_id = secret_id
        self.provider = SecretsProvider(boto3_client=client) if client is not None else SecretsProvider()
        self.max_age = max_age

    def __call__(self) -> str | None:
        value = str(self.provider.get(self.secret_id, max_age=self.max_age))
        if not value.lstrip().startswith("{"):
            return None
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            return None
        secret = data.get("signing_secret") if isinstance(data, dict) else None
        return secret.strip() if isinstance(secret, str) and secret.strip() else None


def allowed_response_url(
    url: str, hosts: frozenset[str] = SLACK_RESPONSE_HOSTS, schemes: frozenset[str] = frozenset({"https"})
) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    # `hostname` is what urllib connects to (userinfo such as https://hooks.slack.com@evil.example is not).
    return (
        parts.scheme in schemes
        and parts.hostname is not None
        and parts.hostname in hosts
        and parts.username is None
        and parts.password is None
    )


class SlackResponder:
    """POSTs a message to an interaction's response_url. Short on purpose: Slack wants its 200 within 3 s."""

    def __init__(
        self,
        hosts: frozenset[str] = SLACK_RESPONSE_HOSTS,
        schemes: frozenset[str] = frozenset({"https"}),
        *,
        attempts: int = 2,
        base_wait: float = 0.2,
        max_wait: float = 0.5,
        timeout: float = 1.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.hosts = hosts
        self.schemes = schemes
        self.attempts = attempts
        self.base_wait = base_wait
        self.max_wait = max_wait
        self.timeout = timeout
        self.sleep = sleep

    def post(self, url: str, message: dict[str, Any]) -> None:
        if not allowed_response_url(url, self.hosts, self.schemes):
            raise SlackDeliveryError("response_url is not on an allowed Slack host")
        SlackWebhook(
            url,
            attempts=self.attempts,
            base_wait=self.base_wait,
            max_wait=self.max_wait,
            timeout=self.timeout,
            sleep=self.sleep,
        ).post(message)
