"""Escalation rules: configurable thresholds combined with priority, tier and product area.

Config (JSON, from $ESCALATION_RULES, or the SSM parameter named by $ESCALATION_RULES_PARAM: `adapters.aws.ssm`):

    {"shadow": false, "cooldown_minutes": 240,
     "rules": [{"name": "escalation", "levels": ["very_negative"]},
               {"name": "strong-negative-enterprise", "labels": ["negative"], "min_intensity": 0.7,
                "tiers": ["enterprise", "premium"]},
               {"name": "billing", "max_score": -0.7, "priorities": ["high", "urgent"],
                "product_areas": ["billing"]}]}

Sentiment conditions: `levels` (the five-level severity is one of these), `labels` (the three-class polarity is one
of these), `max_score` (polarity at or below) and `min_intensity` (how strongly felt, at or above); a rule sets at
least one of levels, labels or max_score. A rule matches when every condition it sets holds (unset lists match
anything): "level == very_negative" is one rule, "intensity >= 0.8 and label == negative" another; the first
matching rule fires.
Low-signal messages ("ok", "?") never fire. Each rule has a rollout `mode`: "shadow" records the would-be alert
and sends nothing, "alert" (the default) posts to Slack, "escalate" also raises the ticket's priority in the
helpdesk (through write-back). A global `"shadow": true` turns every rule to shadow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ..events import CustomerTier, Priority, TicketEvent
from ..models import Label, Level, SentimentResult


class EscalationRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    levels: frozenset[Level] | None = Field(
        default=None, description="fires when the five-level severity is one of these"
    )
    labels: frozenset[Label] | None = Field(default=None, description="fires when the polarity label is one of these")
    max_score: float | None = Field(default=None, ge=-1, le=1, description="fires at or below this polarity")
    min_intensity: float = Field(default=0.0, ge=0, le=1, description="fires at or above this intensity")
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

    @model_validator(mode="after")
    def _has_sentiment_condition(self) -> EscalationRule:
        # Without one, a rule would alert on every message (and before levels existed, max_score defaulted to
        # -0.5: a config that relied on that default now says so instead of changing meaning silently).
        if self.levels is None and self.labels is None and self.max_score is None:
            raise ValueError(f"rule {self.name!r} needs a sentiment condition: levels, labels or max_score")
        return self

    def matches(self, event: TicketEvent, result: SentimentResult, thread_score: float | None) -> bool:
        return self._sentiment_matches(result, thread_score) and self._ticket_matches(event)

    def _sentiment_matches(self, result: SentimentResult, thread_score: float | None) -> bool:
        if result.low_signal or result.intensity < self.min_intensity:
            return False
        if self.max_score is not None and result.score > self.max_score:
            return False
        if not _allowed(self.levels, result.level) or not _allowed(self.labels, result.label):
            return False
        return self.max_thread_score is None or (thread_score is not None and thread_score <= self.max_thread_score)

    def _ticket_matches(self, event: TicketEvent) -> bool:
        return (
            _allowed(self.priorities, event.priority)
            and _allowed(self.tiers, event.customer_tier)
            and _allowed(self.product_areas, event.product_area)
        )


def _allowed(allowed: frozenset[Any] | None, value: object) -> bool:
    """An unset list matches anything."""
    return allowed is None or value in allowed


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


# Escalations alert; an ordinary complaint does not, unless the customer or the ticket is one a lead watches and
# the complaint is strongly felt.
DEFAULT_RULES = RuleConfig(
    rules=(
        EscalationRule(name="very-negative", levels=frozenset({"very_negative"})),
        EscalationRule(
            name="negative-high-value",
            labels=frozenset({"negative"}),
            min_intensity=0.7,
            tiers=frozenset({CustomerTier.PREMIUM, CustomerTier.ENTERPRISE}),
        ),
        EscalationRule(
            name="negative-urgent",
            labels=frozenset({"negative"}),
            min_intensity=0.7,
            priorities=frozenset({Priority.HIGH, Priority.URGENT}),
        ),
    )
)


def evaluate(
    config: RuleConfig,
    event: TicketEvent,
    result: SentimentResult,
    thread_score: float | None,
) -> RuleMatch | None:
    for rule in config.rules:
        if rule.matches(event, result, thread_score):
            return RuleMatch(rule=rule.name, mode="shadow" if config.shadow else rule.mode)
    return None


def rules_from(inline: str | None, stored: Callable[[], str] | None = None) -> RuleConfig:
    """The inline JSON when set, else the stored one (an SSM parameter, read by `adapters.aws.ssm`), else
    DEFAULT_RULES. Invalid JSON or fields raise pydantic's ValidationError."""
    if inline:
        return RuleConfig.model_validate_json(inline)
    if stored is not None:
        return RuleConfig.model_validate_json(stored())
    return DEFAULT_RULES
