"""Label sets shared by the model, the scorer and the training pipeline."""

from __future__ import annotations

POLARITY_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")

# Five-level severity, the scale of Zendesk's satisfaction prediction and SemEval-2017 Task 4C; values -2..2.
SEVERITY_LEVELS: tuple[str, ...] = ("very_negative", "negative", "neutral", "positive", "very_positive")

# Emotions a support team acts on, each pooled from GoEmotions' 27 categories.
# worry: customers afraid of losing data or money escalate fast; satisfaction: the
# positive end that tells a save from a churn.
EMOTION_SOURCES: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "disgust"),
    "annoyance": ("annoyance",),
    "confusion": ("confusion",),
    "disappointment": ("disappointment",),
    "worry": ("fear", "nervousness"),
    "sadness": ("sadness", "grief"),
    "gratitude": ("gratitude",),
    "satisfaction": ("joy", "admiration", "love", "relief", "excitement"),
}
EMOTIONS: tuple[str, ...] = tuple(EMOTION_SOURCES)
# Emotions that would contradict the polarity shown to agents: "gratitude" is not what a complaint that ends in
# "thanks" feels, and "anger" is not what a thank-you feels.
EMOTIONS_CONTRADICTING: dict[str, frozenset[str]] = {
    "negative": frozenset({"gratitude", "satisfaction"}),
    "positive": frozenset({"anger", "annoyance", "disappointment", "sadness"}),
    "neutral": frozenset(),
}
