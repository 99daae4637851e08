"""Pydantic models for everything the scorer returns or reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .labels import POLARITY_LABELS
from .severity import DEFAULT_THRESHOLDS

Label = Literal["negative", "neutral", "positive"]
Level = Literal["very_negative", "negative", "neutral", "positive", "very_positive"]


class ModelMeta(BaseModel):
    """`model_meta.json`, written by the training pipeline next to `model.onnx`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: str
    polarity_labels: tuple[str, str, str]
    emotions: tuple[str, ...]
    emotions_trained: bool = True
    polarity_temperature: float = Field(gt=0)
    emotion_temperature: float = Field(gt=0)
    emotion_thresholds: dict[str, float]
    max_length: int = Field(default=128, ge=16, le=512)
    onnx_external_data: str | None = Field(default=None, description="weights file beside model.onnx, if any")
    encoder_layers: int = Field(default=6, ge=1, le=6, description="MiniLM layers kept (the student keeps 3)")
    ffn_width: int = Field(default=1536, ge=1, le=1536, description="neurons per feed-forward block after pruning")
    severity_levels: tuple[str, ...] = Field(default=(), description="five-level head's levels; empty: no head")
    severity_thresholds: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))


class EmotionScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    probability: float = Field(ge=0, le=1)


def level_from_label(data: Any) -> Any:
    """Items and messages written before levels existed carry only the three-class label: read it as the level."""
    if isinstance(data, dict) and "level" not in data and data.get("label") in ("negative", "neutral", "positive"):
        return {**data, "level": data["label"]}
    return data


class SentimentResult(BaseModel):
    """Sentiment of one text: a signal for triage, not a verdict."""

    model_config = ConfigDict(frozen=True)

    label: Label
    level: Level = Field(description="five-level severity: very_negative, negative, neutral, positive, very_positive")
    score: float = Field(ge=-1, le=1, description="polarity: the expected five-level value / 2 (-1 very negative)")
    intensity: float = Field(ge=0, le=1, description="how strongly felt, either way: expected |level| / 2")
    confidence: float = Field(ge=0, le=1, description="calibrated probability of the label")
    probabilities: dict[str, float]
    emotions: list[EmotionScore] = Field(description="emotions above their calibrated thresholds, strongest first")
    low_signal: bool = Field(description="too short or empty of content to trust")
    language: str
    needs_fallback: bool = Field(
        default=False,
        description="in a language the bundled model does not cover: it "
        "gives no label (neutral, no signal); Comprehend scores it in AWS",
    )
    windows: int = Field(ge=0, description="model windows the text was split into")
    scorer: str = "onnx"
    model_version: str

    @classmethod
    def unscored(
        cls, language: str, *, scorer: str, model_version: str, low_signal: bool = True, needs_fallback: bool = False
    ) -> SentimentResult:
        """No label: neutral at zero confidence and intensity, so no rule fires (a text without content, or in a
        language the scorer does not cover)."""
        return cls(
            label="neutral",
            level="neutral",
            score=0.0,
            intensity=0.0,
            confidence=0.0,
            probabilities=dict.fromkeys(POLARITY_LABELS, 0.0),
            emotions=[],
            low_signal=low_signal,
            language=language,
            needs_fallback=needs_fallback,
            windows=0,
            scorer=scorer,
            model_version=model_version,
        )


class AuthorRole(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


class ThreadMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    author_role: AuthorRole = AuthorRole.CUSTOMER
    created_at: datetime | None = None


class Trend(StrEnum):
    IMPROVING = "improving"
    WORSENING = "worsening"
    STABLE = "stable"
    UNKNOWN = "unknown"


class ThreadSentiment(BaseModel):
    """Ticket-level view: the latest customer message drives priority, the thread drives trends."""

    model_config = ConfigDict(frozen=True)

    current: SentimentResult | None
    thread_score: float | None = Field(default=None, ge=-1, le=1)
    trend: Trend
    trend_delta: float | None = None
    customer_messages: int
    messages: list[SentimentResult]
