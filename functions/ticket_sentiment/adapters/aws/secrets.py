"""Secrets Manager: the Slack webhook URL (Powertools parameters, cached for a few minutes) and the helpdesks'
webhook secrets' current and previous versions (for verification across a rotation: helpdesks.rotation)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from ...helpdesks.rotation import SecretVersion
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


class SecretsManagerVersions:
    """One secret's AWSCURRENT and AWSPREVIOUS values with their CreatedDate (helpdesks.rotation.SecretVersions),
    cached for `max_age` seconds; a refresh is honoured at most once per `min_refresh` seconds, so a flood of
    forged requests cannot turn into a flood of GetSecretValue calls."""

    def __init__(
        self,
        client: Any,
        secret_id: str,
        *,
        max_age: float = 300,
        min_refresh: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.secret_id = client, secret_id
        self.max_age, self.min_refresh, self.clock = max_age, min_refresh, clock
        self._held: dict[str, tuple[float, SecretVersion]] = {}

    def current(self, *, refresh: bool = False) -> SecretVersion:
        return self._get("AWSCURRENT", refresh=refresh)

    def previous(self) -> SecretVersion | None:
        version = self._get("AWSPREVIOUS", refresh=False)
        return version if version.value is not None else None

    def _get(self, stage: str, *, refresh: bool) -> SecretVersion:
        now = self.clock()
        held = self._held.get(stage)
        if held is None or now - held[0] > self.max_age or (refresh and now - held[0] >= self.min_refresh):
            held = (now, self._fetch(stage))
            self._held[stage] = held
            if refresh:
                self._held.pop("AWSPREVIOUS", None)  # a rotation moves both stages: reread the previous one too
        return held[1]

    def _fetch(self, stage: str) -> SecretVersion:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_secret_value(SecretId=self.secret_id, VersionStage=stage)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == "ResourceNotFoundException":
                return SecretVersion(None)
            raise SecretUnavailableError(code or type(exc).__name__) from None
        except BotoCoreError as exc:
            raise SecretUnavailableError(type(exc).__name__) from None
        return SecretVersion(answer.get("SecretString"), answer.get("CreatedDate"))


def _boto3_client(service: str) -> Any:
    import boto3

    return boto3.client(service)


def secrets_manager_lookup(prefix: str, provider: Any | None = None, max_age: int = 300) -> SecretLookup:
    """`<prefix><platform>`'s versions in Secrets Manager (current and previous, cached for `max_age` seconds, so
    a rotation is verified across); a secret that does not exist reads as None. `provider` (a Powertools
    SecretsProvider) lends its client, for tests and the local stack."""
    held: dict[str, SecretsManagerVersions] = {}

    def lookup(platform: str) -> SecretsManagerVersions:
        if platform not in held:  # the client is made on first use, not at import (cold start, tests without AWS)
            client = provider.client if provider is not None else _boto3_client("secretsmanager")
            held[platform] = SecretsManagerVersions(client, f"{prefix}{platform}", max_age=max_age)
        return held[platform]

    return lookup
