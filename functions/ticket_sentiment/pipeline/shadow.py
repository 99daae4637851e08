"""Shadow model: a candidate model scores every customer message beside the live one, so a team can switch models
with evidence (`ticket-sentiment report --compare-models`) instead of finding out from the drift alarm.

What the shadow produces is only recorded: it is stored apart from the scored messages (its own items, with the
scored messages' retention), never alerts, never reaches Slack, SNS or the helpdesk, never changes the ticket. Its
failures never fail the live message: they are reported (`on_failure`: a metric and a log line naming the
exception type, never the text) and the live result stands.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from ..events import TicketEvent
from ..models import SentimentResult
from .records import StoredMessage
from .rules import RuleConfig, evaluate
from .shadow_records import ModelScore, ShadowRecord

if TYPE_CHECKING:
    from ..ports import ShadowStore, TextScorer

__all__ = ["ModelScore", "ShadowRecord", "ShadowScoring", "model_score"]


def model_score(scored: StoredMessage | SentimentResult, rule: str | None) -> ModelScore:
    """One model's score of a message: the live one as stored, or the shadow's result (the same fields)."""
    return ModelScore(
        label=scored.label,
        level=scored.level,
        score=scored.score,
        intensity=scored.intensity,
        confidence=scored.confidence,
        low_signal=scored.low_signal,
        needs_fallback=scored.needs_fallback,
        scorer=scored.scorer,
        model_version=scored.model_version,
        rule=rule,
    )


class ShadowScoring:
    """The shadow scorer port beside the live one: scores, evaluates the live rules, stores; never raises.

    `scorer` gives the shadow model, loading it on first use: a candidate that cannot load is a shadow failure
    like any other (counted on every message it misses), never a failed cold start of the live path.
    """

    def __init__(
        self,
        scorer: Callable[[], TextScorer],
        store: ShadowStore,
        rules: RuleConfig,
        *,
        on_failure: Callable[[Exception], None] | None = None,
    ) -> None:
        self.scorer = scorer
        self.store = store
        self.rules = rules
        self.on_failure = on_failure

    def observe(
        self,
        event: TicketEvent,
        message: StoredMessage,
        text: str,
        *,
        live_rule: str | None,
        thread_score: float | None,
        is_current: bool,
        now: datetime,
    ) -> ShadowRecord | None:
        """Score the message with the shadow model and store both scores; None (and `on_failure` told) when any
        step failed.

        The shadow's rule is evaluated on the live thread score: the shadow scores each message, not a thread of
        its own, so a rule on the thread score sees the same thread for both models. Only the ticket's latest
        message can fire, as on the live path.
        """
        try:
            result = self.scorer().score_prepared([text], [message.language])[0]
            match = evaluate(self.rules, event, result, thread_score) if is_current else None
            record = ShadowRecord(
                ticket_id=event.ref.key,
                message_id=message.message_id,
                created_at=message.created_at,
                live=model_score(message, live_rule),
                shadow=model_score(result, match.rule if match is not None else None),
            )
            self.store.put_shadow(record, now=now)
        except Exception as exc:  # whatever the candidate model or the store does, the live message stands
            if self.on_failure is not None:
                self.on_failure(exc)
            return None
        return record
