"""The write-back function's writers, one per platform, built from each platform's secret in Secrets Manager
(`<prefix><platform>`, cached by Powertools). Apart from `secrets.py` so ingest never loads the HTTP writers."""

from __future__ import annotations

import hashlib
import threading

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from ...ports import HelpdeskWriter
from ...writeback.models import Platform, load_credentials
from ..http.helpdesk_writers import build_writer
from ..http.transport import RetrySettings

SECRET_MAX_AGE = 300


class SecretWriters:
    """Platform -> writer, built from the platform's secret. The writer (and Salesforce's cached token, and the
    rate-limit window it has seen) lives as long as the secret's value: a rotated secret builds a new one."""

    def __init__(
        self,
        prefix: str,
        provider: SecretsProvider | None = None,
        *,
        max_age: int = SECRET_MAX_AGE,
        settings: RetrySettings | None = None,
    ) -> None:
        self.prefix = prefix
        self.provider = provider or SecretsProvider()
        self.max_age = max_age
        self.settings = settings
        self._writers: dict[Platform, tuple[str, HelpdeskWriter]] = {}
        self._lock = threading.Lock()

    def __call__(self, platform: Platform) -> HelpdeskWriter:
        secret = str(self.provider.get(f"{self.prefix}{platform.value}", max_age=self.max_age))
        digest = hashlib.sha256(secret.encode()).hexdigest()  # compare versions without keeping a second copy
        with self._lock:
            held = self._writers.get(platform)
            if held is None or held[0] != digest:
                held = (digest, build_writer(load_credentials(platform, secret), self.settings))
                self._writers[platform] = held
            return held[1]
