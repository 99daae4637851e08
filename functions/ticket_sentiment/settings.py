"""Each function's settings: one typed model per function, read from its environment in one place.

The environment variable names are defined here once; the stack (infra/) imports them to set the functions'
environment, so a rename cannot leave the two apart. Secrets never come through here: only their names/ARNs.
Values are read when a function first needs them (not at import), so a test can set its environment first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .pipeline.lifecycle import Retention

TABLE_NAME = "TABLE_NAME"
EVENTS_QUEUE_URL = "EVENTS_QUEUE_URL"
HELPDESK_SECRET_PREFIX = "HELPDESK_SECRET_PREFIX"
INGEST_MAX_AGE_DAYS = "INGEST_MAX_AGE_DAYS"
INGEST_MAX_AHEAD_MINUTES = "INGEST_MAX_AHEAD_MINUTES"
WRITEBACK_SECRET_PREFIX = "WRITEBACK_SECRET_PREFIX"
METRIC_PRODUCT_AREAS = "METRIC_PRODUCT_AREAS"
ALERTS_TOPIC_ARN = "ALERTS_TOPIC_ARN"
WRITEBACK_QUEUE_URL = "WRITEBACK_QUEUE_URL"
WRITEBACK_PLATFORMS = "WRITEBACK_PLATFORMS"
TEXT_RETENTION_DAYS = "TEXT_RETENTION_DAYS"
RETENTION_POLICY = "RETENTION_POLICY"  # JSON of pipeline.lifecycle.Retention: days per item kind
SCORER = "SCORER"
PII_SECOND_PASS = "PII_SECOND_PASS"  # "comprehend": DetectPiiEntities after the local redaction (off when unset)
ESCALATION_RULES = "ESCALATION_RULES"
ESCALATION_RULES_PARAM = "ESCALATION_RULES_PARAM"
MODEL_DIR = "TICKET_SENTIMENT_MODEL_DIR"
SHADOW_MODEL_DIR = "SHADOW_MODEL_DIR"  # a candidate model scoring beside the live one (pipeline/shadow.py)
SLACK_SECRET_ID = "SLACK_SECRET_ID"
NOTIFY_DLQ_URL = "NOTIFY_DLQ_URL"
AUDIT_QUEUE_URL = "AUDIT_QUEUE_URL"
AUDIT_SAMPLE_SIZE = "AUDIT_SAMPLE_SIZE"
DRIFT_MIN_CURRENT = "DRIFT_MIN_CURRENT"
DRIFT_MIN_BASELINE = "DRIFT_MIN_BASELINE"
PARKED_QUEUE_URLS = "PARKED_QUEUE_URLS"  # queues erasure sweeps: the audit queue, the notify DLQ (comma-separated)
REQUESTER_KEY_SECRET = "REQUESTER_KEY_SECRET"  # the HMAC key that hashes requester ids (pipeline.lifecycle)
SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"

DEFAULT_HELPDESK_SECRET_PREFIX = "ticket-sentiment/helpdesk/"


def _comma_separated(value: object) -> object:
    return frozenset(p for p in value.split(",") if p) if isinstance(value, str) else value


def _json_object(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


# Every function that writes to the table sets its items' TTL from this (the stack's `retention` context).
RetentionPolicy = Annotated[Retention, BeforeValidator(_json_object)]


class FunctionSettings(BaseModel):
    """Fields are read from the variables named by their aliases; an empty variable counts as unset."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        return cls.model_validate({name: value for name, value in env.items() if value != ""})


class ObservabilitySettings(FunctionSettings):
    service: str = Field("ticket-sentiment", alias=SERVICE_NAME)
    namespace: str = Field("TicketSentiment", alias=METRICS_NAMESPACE)


class IngestSettings(FunctionSettings):
    events_queue_url: str | None = Field(None, alias=EVENTS_QUEUE_URL)  # needed once an event is accepted
    helpdesk_secret_prefix: str = Field(DEFAULT_HELPDESK_SECRET_PREFIX, alias=HELPDESK_SECRET_PREFIX)
    # The created_at window (pipeline.window.CreatedAtWindow); unset keeps its defaults (30 days, 10 minutes).
    max_age_days: float | None = Field(None, gt=0, alias=INGEST_MAX_AGE_DAYS)
    max_ahead_minutes: float | None = Field(None, ge=0, alias=INGEST_MAX_AHEAD_MINUTES)


class MetricSettings(FunctionSettings):
    """The scoring function's metric dimensions: the closed set of product areas (comma-separated) that may
    name one (pipeline.dimensions); unset uses the default set."""

    metric_product_areas: str | None = Field(None, alias=METRIC_PRODUCT_AREAS)


class ScoreSettings(FunctionSettings):
    table_name: str = Field(alias=TABLE_NAME)
    alerts_topic_arn: str = Field(alias=ALERTS_TOPIC_ARN)
    # Write-back is off unless the stack enabled it for some platforms (comma-separated).
    writeback_platforms: Annotated[frozenset[str], BeforeValidator(_comma_separated)] = Field(
        frozenset(), alias=WRITEBACK_PLATFORMS
    )
    writeback_queue_url: str | None = Field(None, alias=WRITEBACK_QUEUE_URL)
    text_retention_days: int = Field(35, alias=TEXT_RETENTION_DAYS)
    retention: RetentionPolicy = Field(default_factory=Retention, alias=RETENTION_POLICY)
    escalation_rules: str | None = Field(None, alias=ESCALATION_RULES)
    escalation_rules_param: str | None = Field(None, alias=ESCALATION_RULES_PARAM)
    # Unset (the default): no shadow model is loaded, the live path is exactly as without the feature.
    shadow_model_dir: str | None = Field(None, alias=SHADOW_MODEL_DIR)
    pii_second_pass: Literal["none", "comprehend"] = Field("none", alias=PII_SECOND_PASS)


class ScorerSettings(FunctionSettings):
    scorer: str | None = Field(None, alias=SCORER)  # onnx, comprehend or auto (pipeline.routing.ScorerMode)


class TableSettings(FunctionSettings):
    """query, review and precision: the ticket table only."""

    table_name: str = Field(alias=TABLE_NAME)
    retention: RetentionPolicy = Field(default_factory=Retention, alias=RETENTION_POLICY)


class ErasureSettings(FunctionSettings):
    """What erasure on request needs (pipeline.lifecycle.Eraser): the ingest function has it only to carry out a
    helpdesk's deletion events, the query function for DELETE."""

    table_name: str | None = Field(None, alias=TABLE_NAME)
    retention: RetentionPolicy = Field(default_factory=Retention, alias=RETENTION_POLICY)
    parked_queue_urls: Annotated[frozenset[str], BeforeValidator(_comma_separated)] = Field(
        frozenset(), alias=PARKED_QUEUE_URLS
    )
    requester_key_secret: str | None = Field(None, alias=REQUESTER_KEY_SECRET)


class ReviewSettings(FunctionSettings):
    slack_secret_id: str = Field(alias=SLACK_SECRET_ID)


class NotifySettings(FunctionSettings):
    slack_secret_id: str = Field(alias=SLACK_SECRET_ID)
    notify_dlq_url: str = Field(alias=NOTIFY_DLQ_URL)


class WritebackSettings(FunctionSettings):
    # Its own secrets (`<prefix><platform>`), apart from the inbound webhooks' (HELPDESK_SECRET_PREFIX).
    writeback_secret_prefix: str = Field(alias=WRITEBACK_SECRET_PREFIX)
    table_name: str | None = Field(None, alias=TABLE_NAME)  # with it, a superseded message is not written back


class DriftSettings(FunctionSettings):
    table_name: str = Field(alias=TABLE_NAME)
    # For a helpdesk too small for the defaults, knowing that PSI on fewer messages is noisier.
    min_current: int | None = Field(None, alias=DRIFT_MIN_CURRENT)
    min_baseline: int | None = Field(None, alias=DRIFT_MIN_BASELINE)


class AuditSettings(FunctionSettings):
    table_name: str = Field(alias=TABLE_NAME)
    audit_queue_url: str = Field(alias=AUDIT_QUEUE_URL)
    sample_size: int | None = Field(None, alias=AUDIT_SAMPLE_SIZE)
