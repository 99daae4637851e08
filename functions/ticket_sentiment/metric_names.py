"""CloudWatch metric names the functions emit and the CDK alarms and dashboard read: one list, so they cannot drift.

Namespace TicketSentiment, dimension `service` = the stage's prefix; per-area metrics add `ProductArea`.
"""

from __future__ import annotations

NAMESPACE = "TicketSentiment"
PRODUCT_AREA_DIMENSION = "ProductArea"

EVENTS_ACCEPTED = "EventsAccepted"
EVENTS_SCORED = "EventsScored"
EVENTS_FAILED = "EventsFailed"
SCORED_BY_MODEL = "ScoredBy_onnx"
SCORED_BY_COMPREHEND = "ScoredBy_comprehend"
ALERTS_PUBLISHED = "AlertsPublished"
SENTIMENT_SCORE = "SentimentScore"  # polarity of each scored customer message, in [-1, 1]
NEGATIVE_MESSAGES = "NegativeMessages"  # with ProductArea
NEGATIVE_FIRST_RESPONSE = "NegativeTicketFirstResponseSeconds"  # first agent reply on a negative ticket
SLACK_DELIVERED = "SlackDelivered"
SLACK_FAILED = "SlackFailed"
MODEL_UNAVAILABLE = "ModelUnavailable"  # the bundled model failed to load: everything falls back to Comprehend
SCORE_DRIFT = "ScoreDrift"  # emitted by the drift job (population stability index of the score distribution)
ESCALATION_PRECISION = "EscalationPrecision7d"  # from human reviews of escalations
