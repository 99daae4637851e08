"""Erasure on request over AWS: the table, the parked queues and the requester key, wired into one Eraser for the
query function, the ingest function (a helpdesk's deletion events) and `ticket-sentiment forget`."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from ...pipeline.lifecycle import Eraser
from ...settings import ErasureSettings
from .dynamodb import DynamoTicketStore
from .sqs import SqsParkedQueue

# The key never rotates (a new key would orphan every stored hash), so one read per container is enough.
KEY_MAX_AGE_SECONDS = 3600


class RequesterKey:
    """The HMAC key for requester ids: the secret's string, as Secrets Manager generated it."""

    def __init__(self, secret_id: str, client: Any | None = None) -> None:
        self.secret_id = secret_id
        self.provider = SecretsProvider(boto3_client=client) if client is not None else SecretsProvider()

    def __call__(self) -> bytes:
        value = str(self.provider.get(self.secret_id, max_age=KEY_MAX_AGE_SECONDS)).strip()
        if len(value) < 32:
            raise ValueError("the requester key secret is shorter than 32 characters")
        return value.encode()


def aws_eraser(
    settings: ErasureSettings,
    *,
    dynamodb: Any | None = None,
    sqs: Any | None = None,
    secretsmanager: Any | None = None,
) -> Eraser:
    """Raises KeyError when no table is configured."""
    if settings.table_name is None:
        raise KeyError("TABLE_NAME")
    sqs_client = sqs or boto3.client("sqs")
    return Eraser(
        DynamoTicketStore(settings.table_name, dynamodb, retention=settings.retention),
        parked=[SqsParkedQueue(url, sqs_client) for url in sorted(settings.parked_queue_urls)],
        requester_key=RequesterKey(settings.requester_key_secret, secretsmanager)
        if settings.requester_key_secret
        else None,
    )
