"""Secrets Manager (Powertools parameters, cached for a few minutes): the Slack webhook URL and the helpdesks'
webhook secrets."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.parameters import GetParameterError, SecretsProvider

from ...ports import SecretLookup, SecretUnavailableError


class WebhookSecret:
    """A secret holding either the URL itself or {"webhook_url": "..."}."""

    def __init__(self, secret_id: str, client: Any | None = None, max_age: int = 300) -> None:
        self.secret_id = secret_id
        self.provider = SecretsProvider(boto3_client=client) if client is not None else SecretsProvider()
        self.max_age = max_age

    def __call__(self) -> str:
        value = str(self.provider.get(self.secret_id, max_age=self.max_age))
        if value.lstrip().startswith("{"):
            return str(json.loads(value)["webhook_url"])
        return value.strip()


def secrets_manager_lookup(prefix: str, provider: Any | None = None, max_age: int = 300) -> SecretLookup:
    """`<prefix><platform>` from Secrets Manager, cached for `max_age` seconds; None when the secret does not exist."""
    held: list[Any] = [provider] if provider is not None else []

    def lookup(platform: str) -> str | None:
        if not held:  # the client is made on first use, not at import (cold start, tests without AWS)
            held.append(SecretsProvider())
        try:
            return str(held[0].get(f"{prefix}{platform}", max_age=max_age))
        except GetParameterError as exc:
            if "ResourceNotFoundException" in str(exc):
                return None
            raise SecretUnavailableError(type(exc).__name__) from None

    return lookup
