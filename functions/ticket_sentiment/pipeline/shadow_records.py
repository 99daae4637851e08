"""What the shadow model leaves behind (pipeline/shadow.py): both models' scores of one message, numbers only.

Apart from shadow.py so the ports can name these records without importing the module that uses the ports.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from ..models import Label, Level


class ModelScore(BaseModel):
    """One model's score of a message: numbers and the model's name, never text."""

    model_config = ConfigDict(frozen=True)

    label: Label
    level: Level
    score: float
    intensity: float
    confidence: float
    low_signal: bool
    needs_fallback: bool = False  # the model does not cover the message's language: not a comparable score
    scorer: str
    model_version: str
    # The escalation rule it would fire under the live rules (cooldown and rollout mode aside), or None.
    rule: str | None = None

    @property
    def comparable(self) -> bool:
        return not self.needs_fallback


class ShadowRecord(BaseModel):
    """A message scored by both models: the live score as stored, the shadow's beside it."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str  # the ticket's key (identity.TicketRef: source, brand and the helpdesk's id)
    message_id: str
    created_at: datetime
    live: ModelScore
    shadow: ModelScore
