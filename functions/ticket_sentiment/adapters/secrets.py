"""Secrets Manager: the Slack webhook URL, cached for a few minutes (Powertools parameters)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider


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
