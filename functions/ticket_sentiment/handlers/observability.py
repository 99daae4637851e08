"""Powertools logger and metrics shared by the handlers; every log record is redacted before it is written."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

from ..redaction.log_filter import PiiRedactingFormatter

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "ticket-sentiment")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "TicketSentiment")

logger = Logger(service=SERVICE, logger_formatter=PiiRedactingFormatter())
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
