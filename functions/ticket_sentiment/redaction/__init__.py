"""PII redaction: nothing personal leaves the scoring step (logs, metrics, DynamoDB, SNS, Slack, Comprehend).

from ticket_sentiment.redaction import redact
result = redact("Hi Anna, call me on +44 20 7946 0958")
result.text      # "Hi [NAME], call me on [PHONE]"
result.entities  # {"NAME": 1, "PHONE": 1}: counts for metrics, never values
"""

from __future__ import annotations

from ..textprep import well_formed as sanitize
from .engine import DEFAULT_CONFIG, apply_spans, detect, merge_counts, merge_spans, redact, redact_lines
from .models import EntityType, MaskStyle, RedactionConfig, RedactionResult, Span

__all__ = [
    "DEFAULT_CONFIG",
    "EntityType",
    "MaskStyle",
    "RedactionConfig",
    "RedactionResult",
    "Span",
    "apply_spans",
    "detect",
    "merge_counts",
    "merge_spans",
    "redact",
    "redact_lines",
    "sanitize",
]
