"""Five-level severity: the arithmetic (pure), the rules on level and intensity, and the shipped model on the
guideline's worked examples and on calm requests against their escalated twins."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.events import CustomerTier, Source, TicketEvent
from ticket_sentiment.labels import SEVERITY_LEVELS
from ticket_sentiment.models import AuthorRole, SentimentResult
from ticket_sentiment.pipeline.rules import DEFAULT_RULES, EscalationRule, RuleConfig, evaluate
from ticket_sentiment.severity import decide_level, extreme_shares, five_level_distribution, polarity_and_intensity
from ticket_sentiment_tools.threshold_calibration import CalibrationError, calibrate, intensity_keys

GUIDELINE = Path(__file__).resolve().parents[2] / "training" / "data" / "GUIDELINE.md"
# The guideline's worked examples, each at the level the guideline gives it.
WORKED_EXAMPLES = [
    ("Sort this out today or I'm cancelling and moving to Apple Music.", "very_negative"),
    ("I want to speak to a manager.", "very_negative"),
    ("This is the fourth time I'm asking. Nobody answers.", "very_negative"),
    ("You took my money and deleted everything I had. Disgusting.", "very_negative"),
    ("Wow, thanks for deleting all my data. Really helpful.", "very_negative"),
    ("I was charged twice for the March invoice. Please refund the duplicate payment.", "negative"),
    ("The app keeps crashing when I open my playlists.", "negative"),
    ("Why does the app log me out every day??", "negative"),
    ("Thanks, but it's still broken.", "negative"),
    ("How do I change the email on my account?", "neutral"),
    ("That worked, thanks!", "positive"),
    ("Thanks for the quick reply.", "positive"),
]
# The same problem asked calmly and as an escalation.
TWINS = [
    (
        "I was charged twice for the March invoice. Please refund the duplicate payment.",
        "This is the fourth time I'm asking. Refund it today or I'm cancelling my account.",
    ),
    (
        "My order hasn't arrived yet and tracking hasn't updated since Monday. Could you check on it?",
        "Two weeks late, no reply to three emails. If it isn't here by Friday I'm filing a chargeback and leaving "
        "a review everywhere I can.",
    ),
    (
        "The export keeps failing with an error, could you take a look?",
        "The export has failed for a week, nobody replies, and I want to speak to your manager today.",
    ),
]


def result(level: str, intensity: float, *, low_signal: bool = False) -> SentimentResult:
    label = level.removeprefix("very_")
    score = {"very_negative": -0.9, "negative": -0.5, "neutral": 0.0, "positive": 0.5, "very_positive": 0.9}[level]
    return SentimentResult(
        label=label,
        level=level,
        score=score,
        intensity=intensity,
        confidence=0.9,
        probabilities={},
        emotions=[],
        low_signal=low_signal,
        language="en",
        windows=1,
        model_version="t",
    )


def event(tier: CustomerTier = CustomerTier.STANDARD) -> TicketEvent:
    return TicketEvent(
        source=Source.OTHER,
        ticket_id="T-1",
        message_id="m-1",
        author_role=AuthorRole.CUSTOMER,
        text="-",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        customer_tier=tier,
    )


# --- the arithmetic --------------------------------------------------------------------------------------------


def test_five_level_distribution_splits_each_side_and_sums_to_one() -> None:
    dist = five_level_distribution([0.8, 0.15, 0.05], extreme_shares([0.3, 0.3, 0.2, 0.1, 0.1]))
    assert sum(dist) == pytest.approx(1.0)
    assert dist[0] == pytest.approx(0.4)
    assert dist[1] == pytest.approx(0.4)  # 0.8 split 1:1
    assert dist[2] == pytest.approx(0.15)


def test_a_calm_complaint_does_not_saturate_and_an_escalation_is_more_intense() -> None:
    calm = polarity_and_intensity(
        five_level_distribution([0.98, 0.01, 0.01], extreme_shares([0.05, 0.9, 0.03, 0.01, 0.01]))
    )
    escalation = polarity_and_intensity(
        five_level_distribution([0.98, 0.01, 0.01], extreme_shares([0.9, 0.08, 0.01, 0.005, 0.005]))
    )
    assert -0.65 < calm[0] < -0.45
    assert 0.45 < calm[1] < 0.65
    assert escalation[0] < -0.85
    assert escalation[1] > 0.85


def test_the_level_never_contradicts_the_label() -> None:
    thresholds = {"very_negative": 0.5, "very_positive": 0.5}
    extreme = [0.45, 0.05, 0.0, 0.05, 0.45]
    assert decide_level(0, extreme_shares(extreme), thresholds) == "very_negative"
    assert decide_level(1, extreme_shares(extreme), thresholds) == "neutral"
    assert decide_level(2, extreme_shares(extreme), thresholds) == "very_positive"
    assert decide_level(0, extreme_shares(None), thresholds) == "negative"  # a model without the severity head


# --- rules on level and intensity ----------------------------------------------------------------------------


def test_a_level_rule_fires_on_that_level_only() -> None:
    config = RuleConfig(rules=(EscalationRule(name="escalation", levels=frozenset({"very_negative"})),))
    assert evaluate(config, event(), result("very_negative", 0.9), None) is not None
    assert evaluate(config, event(), result("negative", 0.99), None) is None
    assert evaluate(config, event(), result("very_negative", 0.9, low_signal=True), None) is None


def test_intensity_and_label_conditions_combine() -> None:
    rule = EscalationRule(name="strong-negative", labels=frozenset({"negative"}), min_intensity=0.8)
    config = RuleConfig(rules=(rule,))
    assert evaluate(config, event(), result("negative", 0.8), None) is not None
    assert evaluate(config, event(), result("negative", 0.79), None) is None
    assert evaluate(config, event(), result("positive", 0.95), None) is None


def test_the_default_rules_alert_on_escalations_not_on_every_negative() -> None:
    assert evaluate(DEFAULT_RULES, event(), result("very_negative", 0.9), None) is not None
    assert evaluate(DEFAULT_RULES, event(), result("negative", 0.6), None) is None
    # A premium customer's strongly felt complaint is watched; a calm one is not.
    assert evaluate(DEFAULT_RULES, event(CustomerTier.PREMIUM), result("negative", 0.75), None) is not None
    assert evaluate(DEFAULT_RULES, event(CustomerTier.PREMIUM), result("negative", 0.55), None) is None


def test_a_rule_without_a_sentiment_condition_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs a sentiment condition"):
        RuleConfig.model_validate({"rules": [{"name": "everything", "min_intensity": 0.2}]})
    with pytest.raises(ValidationError):
        RuleConfig.model_validate({"rules": [{"name": "typo", "levels": ["furious"]}]})


# --- calibration on five-level labels --------------------------------------------------------------------------


def test_calibrate_on_five_levels_thresholds_intensity_for_very_negative_precision() -> None:
    # 30 escalations the model calls negative with intensity 0.9, 60 calm complaints at 0.55, 30 neutral.
    labels = ["very_negative"] * 30 + ["negative"] * 60 + ["neutral"] * 30
    predicted = ["negative"] * 90 + ["neutral"] * 30
    intensities = [0.9] * 30 + [0.55] * 60 + [0.1] * 30
    outcome = calibrate(intensity_keys(predicted, intensities), labels, 0.9, kind="intensity")
    choice = outcome.overall
    assert choice.kind == "intensity"
    assert choice.target_label == "very_negative"
    assert choice.threshold == pytest.approx(0.9)
    assert choice.precision == 1.0
    assert choice.recall == 1.0
    assert choice.alerts_per_1000 == pytest.approx(250.0)
    rule = outcome.rules().rules[-1]
    assert rule.labels == frozenset({"negative"})
    assert rule.min_intensity == 0.9
    assert rule.mode == "shadow"


def test_calibrate_on_five_levels_needs_very_negative_examples() -> None:
    labels = ["negative"] * 60 + ["neutral"] * 30 + ["very_negative"] * 3
    keys = intensity_keys(["negative"] * 93, [0.5] * 93)
    with pytest.raises(CalibrationError, match="3 very_negative"):
        calibrate(keys, labels, 0.9, kind="intensity")


# --- the shipped model ------------------------------------------------------------------------------------------


def test_the_worked_examples_are_the_guidelines_own() -> None:
    text = GUIDELINE.read_text(encoding="utf-8")
    for example, level in WORKED_EXAMPLES:
        assert example in text, example
        assert level in SEVERITY_LEVELS


# Measured misses of model 3.2.1 (issue #14 stays open on them): the bare "I want to speak to a manager." is
# scored neutral and the deleted-data sarcasm positive (3.0.0 also called the calm double-charge request
# very_negative). The floor keeps today's 10 of 12 from slipping; the goal is all of them.
WORKED_EXAMPLES_FLOOR = 10


def test_the_guidelines_worked_examples_come_out_at_their_level(scorer: OnnxSentimentScorer) -> None:
    results = scorer.score([text for text, _ in WORKED_EXAMPLES])
    right = [text for (text, level), r in zip(WORKED_EXAMPLES, results, strict=True) if r.level == level]
    assert len(right) >= WORKED_EXAMPLES_FLOOR, [
        (t, lv, r.level) for (t, lv), r in zip(WORKED_EXAMPLES, results, strict=True)
    ]
    # Whatever else moves, escalations with an explicit threat or repeated contact are very_negative.
    for text, level in WORKED_EXAMPLES[:1] + WORKED_EXAMPLES[2:4]:
        assert text in right, (text, level)


def test_an_escalated_twin_outranks_its_calm_request(scorer: OnnxSentimentScorer) -> None:
    calm_levels = []
    for calm_text, escalated_text in TWINS:
        calm, escalated = scorer.score([calm_text, escalated_text])
        assert calm.label == "negative", calm_text
        assert escalated.level == "very_negative", escalated_text
        assert escalated.intensity > calm.intensity, (calm_text, calm.intensity, escalated.intensity)
        assert escalated.score < calm.score
        calm_levels.append(calm.level)
        if calm.level == "negative":  # a calm twin called calm sits well below its escalation
            assert escalated.intensity > calm.intensity + 0.1, (calm_text, calm.intensity, escalated.intensity)
    # The double-charge request is the known miss (very_negative, intensity ~0.9 against its twin's ~1.0): the
    # other calm twins stay negative.
    assert calm_levels.count("negative") >= len(TWINS) - 1, calm_levels


def test_a_complaint_ending_in_thanks_shows_no_gratitude(scorer: OnnxSentimentScorer) -> None:
    r = scorer.score_one("The refund still hasn't arrived after three weeks and nobody replies. Thanks.")
    assert r.label == "negative"
    assert {e.name for e in r.emotions}.isdisjoint({"gratitude", "satisfaction"})
