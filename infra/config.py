"""The deployment's settings, typed: CDK context key `ticket-sentiment` (cdk.json or `-c`), stage overrides merged in.

`npx cdk deploy -c stage=prod` picks `stages.prod` from the context on top of the defaults below;
`-c architecture=x86_64` overrides the architecture (the layer must be built for it: `make layers ARCH=x86_64`).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from ticket_sentiment.pipeline.lifecycle import Retention
from ticket_sentiment.pipeline.rules import DEFAULT_RULES, RuleConfig

Helpdesk = Literal["zendesk", "freshdesk", "intercom", "salesforce", "generic"]
CONTEXT_KEY = "ticket-sentiment"


class AlarmConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scorer_p95_ms: int = Field(20_000, gt=0, description="scorer p95 duration per SQS batch")
    comprehend_fallback_rate: float = Field(0.25, gt=0, le=1, description="share of messages scored by Comprehend")
    score_drift: float = Field(0.25, gt=0, description="drift statistic emitted by the drift job (PSI)")
    escalation_precision: float = Field(0.7, gt=0, le=1, description="reviewed escalations that were right")
    dlq_messages: int = Field(1, ge=1)


class StackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: str = Field("dev", pattern=r"^[a-z][a-z0-9-]{0,15}$")
    # arm64: Graviton runs onnxruntime's int8 kernels with dot-product instructions and costs 20% less per GB-s.
    architecture: Literal["arm64", "x86_64"] = "arm64"
    python_version: Literal["3.12", "3.13"] = "3.13"
    scorer: Literal["auto", "onnx", "comprehend"] = "auto"
    # Amazon Comprehend DetectPiiEntities as a second redaction pass after the local one (English and Spanish
    # messages only; pay per 100 characters, 3 units minimum per request): off unless switched on here.
    comprehend_pii: bool = False
    scorer_timeout_s: int = Field(60, ge=10, le=110)  # below the pipeline's 120 s processing lease
    scorer_memory_mb: int = Field(1769, ge=512, le=10240)  # 1769 MB buys one full vCPU
    scorer_max_concurrency: int = Field(10, ge=2, le=1000)  # caps Comprehend and DynamoDB load in a flood
    batch_size: int = Field(10, ge=1, le=100)
    batching_window_s: int = Field(2, ge=0, le=300)
    max_receive_count: int = Field(5, ge=1, le=1000)
    api_rate_limit: float = Field(50, gt=0)
    api_burst_limit: int = Field(100, gt=0)
    query_quota_per_day: int = Field(10_000, gt=0)
    log_retention_days: int = Field(30, ge=1)
    # Redacted message text, kept for reviewers and the monthly audit (which samples the whole previous month on the
    # 1st, so a month and a few days), then expired by TTL.
    text_retention_days: int = Field(35, ge=1, description="redacted message text kept for review, then expired")
    # Days each kind of table item is kept after its last write, enforced by TTL on every item (README, "Data
    # retention"); the text's days come from text_retention_days above.
    retention: Retention = Retention()
    slack_channel_label: str = "#support-escalations"
    helpdesks: tuple[Helpdesk, ...] = ("generic",)
    # Write-back of score, label and tags to the helpdesk's API: off unless a platform is listed here.
    writeback: tuple[Literal["zendesk", "freshdesk", "intercom", "salesforce"], ...] = ()
    writeback_max_concurrency: int = Field(2, ge=2, le=100)  # helpdesk APIs rate-limit per account
    alarm_email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+$")
    rules: RuleConfig = DEFAULT_RULES
    alarms: AlarmConfig = AlarmConfig()
    # A candidate model directory (relative to the repository, e.g. one `ticket-sentiment finetune --out` wrote):
    # shipped as a second model layer, it scores every message beside the live model, stored apart and never
    # alerting, until `ticket-sentiment report --compare-models` says whether to switch. Unset: no second model.
    shadow_model: str | None = Field(None, min_length=1)

    @property
    def retention_policy(self) -> str:
        """The functions' RETENTION_POLICY value: the policy with the text's days from text_retention_days."""
        return self.retention.model_copy(update={"text": self.text_retention_days}).model_dump_json()

    @field_validator("helpdesks", "writeback")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _writeback_needs_the_helpdesk(self) -> StackConfig:
        missing = sorted(set(self.writeback) - set(self.helpdesks))
        if missing:
            raise ValueError(f"writeback lists {', '.join(missing)}, which helpdesks does not enable")
        return self

    @property
    def prefix(self) -> str:
        return f"ticket-sentiment-{self.stage}"

    @property
    def visibility_timeout_s(self) -> int:
        """Six times the scorer's timeout, as AWS recommends for an SQS event source, plus the batching window."""
        return 6 * self.scorer_timeout_s + self.batching_window_s


def load_config(context: Any) -> StackConfig:
    """Defaults <- context[`ticket-sentiment`] <- its `stages[stage]`; a bad value fails synth with the field name."""
    raw = context(CONTEXT_KEY) if callable(context) else context
    data: dict[str, Any] = dict(json.loads(raw) if isinstance(raw, str) else raw or {})
    stage = (context("stage") if callable(context) else None) or data.get("stage", "dev")
    stages = data.pop("stages", {}) or {}
    merged = {**data, **stages.get(stage, {}), "stage": stage}
    if callable(context) and context("architecture"):  # `-c architecture=x86_64`, as `make synth ARCH=...` passes
        merged["architecture"] = context("architecture")
    return StackConfig.model_validate(merged)
