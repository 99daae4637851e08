"""CloudWatch metric names the functions emit and the CDK alarms and dashboard read: one list, so they cannot drift.

Namespace TicketSentiment, dimension `service` = the stage's prefix; per-area metrics add `ProductArea`.
"""

from __future__ import annotations

NAMESPACE = "TicketSentiment"
PRODUCT_AREA_DIMENSION = "ProductArea"
MODEL_VERSION_DIMENSION = "ModelVersion"

EVENTS_ACCEPTED = "EventsAccepted"
WEBHOOKS_REJECTED = "WebhooksRejected"  # helpdesk webhooks refused (auth, payload, unknown platform)
TICKET_READS = "TicketReads"  # query API: ticket found
TICKET_MISSES = "TicketMisses"  # query API: no such ticket
TICKETS_ERASED = "TicketsErased"  # read/admin API: erasures that removed something (repeats count 0)
EVENTS_SCORED = "EventsScored"
# The terminal outcomes, counted once per SQS message however often SQS delivers it (pipeline.records.OutcomeClaim):
# EventsScored + EventsSkipped + EventsDuplicate = the events that left the queue without failing.
EVENTS_SKIPPED = "EventsSkipped"  # agent and system messages
EVENTS_DUPLICATE = "EventsDuplicate"  # another post of an event already processed
EVENTS_REDELIVERED = "EventsRedelivered"  # receives of an SQS message whose outcome was already claimed: no outcome
EVENTS_FAILED = "EventsFailed"
SCORED_BY_PREFIX = "ScoredBy_"  # + the scorer's name
SCORED_BY_MODEL = f"{SCORED_BY_PREFIX}onnx"
SCORED_BY_COMPREHEND = f"{SCORED_BY_PREFIX}comprehend"
# With ModelVersion: one line per model version on the dashboard, so a model change shows where one line hands
# over to the next (pipeline.dimensions.model_version_dimension keeps the values a closed set).
SCORED_BY_MODEL_VERSION = "ScoredByModelVersion"
SHADOW_SCORED = "ShadowScored"  # with ModelVersion: messages the shadow model scored beside the live one
SHADOW_FAILED = "ShadowFailed"  # the shadow model or its store failed; the live result stood
ALERTS_PREFIX = "Alerts"  # + the alert state, capitalised: AlertsPublished, AlertsShadow, ...
ALERTS_PUBLISHED = f"{ALERTS_PREFIX}Published"
SENTIMENT_SCORE = "SentimentScore"  # polarity of each scored customer message, in [-1, 1]
NEGATIVE_MESSAGES = "NegativeMessages"  # with ProductArea
# Scored messages at level very_negative (same population as SentimentScore: not low-signal), for the weekly share.
VERY_NEGATIVE_MESSAGES = "VeryNegativeMessages"
NEGATIVE_FIRST_RESPONSE = "NegativeTicketFirstResponseSeconds"  # first agent reply on a negative ticket
SLACK_DELIVERED = "SlackDelivered"
SLACK_FAILED = "SlackFailed"
REVIEW_MESSAGE_UPDATE_FAILED = "ReviewMessageUpdateFailed"  # the review stands, the Slack message is stale
WRITEBACKS_DONE = "WritebacksDone"
WRITEBACKS_RETRYABLE = "WritebacksRetryable"
WRITEBACKS_PERMANENT = "WritebacksPermanent"
WRITEBACKS_REFUSED = "WritebacksRefused"  # due, but the ticket did not arrive through its helpdesk's own webhook
MODEL_UNAVAILABLE = "ModelUnavailable"  # the bundled model failed to load: everything falls back to Comprehend
SCORE_DRIFT = "ScoreDrift"  # emitted by the drift job (population stability index of the score distribution)
ESCALATION_PRECISION = "EscalationPrecision7d"  # from human reviews of escalations
# Drift job, daily, over the last 7 days (fractions in [0, 1]); they explain a ScoreDrift when it moves.
SHARE_NEGATIVE_7D = "ShareNegative7d"
MEAN_CONFIDENCE_7D = "MeanConfidence7d"
FALLBACK_RATE_7D = "FallbackRate7d"  # share scored by Amazon Comprehend instead of the bundled model
LOW_SIGNAL_RATE_7D = "LowSignalRate7d"
# Human review of escalations (handlers/review.py, handlers/precision.py)
ESCALATION_PRECISION_30D = "EscalationPrecision30d"
REVIEWS_RECORDED = "ReviewsRecorded"
REVIEWS_REJECTED = "ReviewsRejected"  # bad signature or payload on the review routes
REVIEW_VERDICT_PREFIX = "Review_"  # + right_call | false_alarm | wrong_emotion
REVIEWS_7D = "Reviews7d"
REVIEWS_30D = "Reviews30d"
FALSE_ALARMS_7D = "FalseAlarms7d"
FALSE_ALARMS_30D = "FalseAlarms30d"
WRONG_EMOTION_7D = "WrongEmotionReviews7d"  # correct escalations with the wrong emotion named, reported apart
WRONG_EMOTION_30D = "WrongEmotionReviews30d"
AUDIT_ROWS_QUEUED = "AuditRowsQueued"  # monthly audit job: rows put on the review queue
# The optional Comprehend DetectPiiEntities pass given up after its retries: the local redaction was stored.
PII_SECOND_PASS_FAILED = "PiiSecondPassFailed"
PII_REDACTED = "PiiRedacted"  # entities redacted from scored messages; per type as PiiRedacted_<TYPE>
TEXTS_TRUNCATED = "TextsTruncated"  # scored messages over textprep.MODEL_TEXT_CHARS whose middle was cut
