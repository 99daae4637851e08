"""Powertools logger and metrics shared by the handlers; every log record is redacted before it is written."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from ..redaction.log_filter import PiiRedactingFormatter
from ..settings import ObservabilitySettings

_settings = ObservabilitySettings.from_env()
SERVICE = _settings.service
NAMESPACE = _settings.namespace

logger = Logger(service=SERVICE, logger_formatter=PiiRedactingFormatter())
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
