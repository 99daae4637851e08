"""Escalation rules: configurable thresholds combined with priority, tier and product area.

Config (JSON, from $ESCALATION_RULES, or the SSM parameter named by $ESCALATION_RULES_PARAM):

    {"shadow": false, "cooldown_minutes": 240,
     "rules": [{"name": "angry-enterprise", "max_score": -0.4, "min_intensity": 0.4,
                "tiers": ["enterprise", "premium"]},
               {"name": "very-negative", "max_score": -0.7, "min_intensity": 0.6,
                "priorities": ["high", "urgent"], "product_areas": ["billing"]}]}

A rule matches when every condition it sets holds (unset lists match anything); the first matching rule fires.
Low-signal messages ("ok", "?") never fire. Each rule has a rollout `mode`: "shadow" records the would-be alert
and sends nothing, "alert" (the default) posts to Slack, "escalate" also raises the ticket's priority in the
helpdesk (through write-back). A global `"shadow": true` turns every rule to shadow.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ..models import SentimentResult
from .events import CustomerTier, Priority, TicketEvent


class EscalationRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    max_score: float = Field(default=-0.5, ge=-1, le=1, description="fires at or below this polarity")
    min_intensity: float = Field(default=0.0, ge=0, le=1)
    max_thread_score: float | None = Field(default=None, ge=-1, le=1)
    priorities: frozenset[Priority] | None = None
    tiers: frozenset[CustomerTier] | None = None
    product_areas: frozenset[str] | None = None
    # The rollout the field recommends, per rule: shadow (score and record only) -> alert (Slack) -> escalate
    # (also raise the ticket's priority in the helpdesk, where write-back is on). `shadow: true` is kept as
    # the older spelling of mode "shadow".
    mode: Literal["shadow", "alert", "escalate"] = "alert"
    shadow: bool = False

    @model_validator(mode="after")
    def _legacy_shadow(self) -> EscalationRule:
        if self.shadow and self.mode != "shadow":
            object.__setattr__(self, "mode", "shadow")
        return self

    def matches(self, event: TicketEvent, result: SentimentResult, thread_score: float | None) -> bool:
        if result.low_signal or result.score > self.max_score or result.intensity < self.min_intensity:
            return False
        if self.max_thread_score is not None and (thread_score is None or thread_score > self.max_thread_score):
            return False
        if self.priorities is not None and event.priority not in self.priorities:
            return False
        if self.tiers is not None and event.customer_tier not in self.tiers:
            return False
        return self.product_areas is None or event.product_area in self.product_areas


class RuleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    shadow: bool = False
    cooldown_minutes: int = Field(default=240, ge=0, le=60 * 24 * 30)
    rules: tuple[EscalationRule, ...] = ()


class RuleMatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str
    mode: Literal["shadow", "alert", "escalate"]

    @property
    def shadow(self) -> bool:
        return self.mode == "shadow"


DEFAULT_RULES = RuleConfig(rules=(
    EscalationRule(name="negative-high-value", max_score=-0.4, min_intensity=0.4,
                   tiers=frozenset({CustomerTier.PREMIUM, CustomerTier.ENTERPRISE})),
    EscalationRule(name="negative-urgent", max_score=-0.4, min_intensity=0.4,
                   priorities=frozenset({Priority.HIGH, Priority.URGENT})),
    EscalationRule(name="very-negative", max_score=-0.7, min_intensity=0.6),
))


def evaluate(config: RuleConfig, event: TicketEvent, result: SentimentResult, thread_score: float | None,
             ) -> RuleMatch | None:
    for rule in config.rules:
        if rule.matches(event, result, thread_score):
            return RuleMatch(rule=rule.name, mode="shadow" if config.shadow else rule.mode)
    return None


def load_rules(env: dict[str, str] | None = None, ssm: Any | None = None) -> RuleConfig:
    """$ESCALATION_RULES (JSON), else the SSM parameter named by $ESCALATION_RULES_PARAM, else DEFAULT_RULES."""
    import os

    env = dict(os.environ) if env is None else env
    if env.get("ESCALATION_RULES"):
        return RuleConfig.model_validate_json(env["ESCALATION_RULES"])
    if env.get("ESCALATION_RULES_PARAM"):
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        provider = SSMProvider(boto3_client=ssm) if ssm is not None else SSMProvider()
        return RuleConfig.model_validate_json(str(provider.get(env["ESCALATION_RULES_PARAM"], max_age=300)))
    return DEFAULT_RULES
