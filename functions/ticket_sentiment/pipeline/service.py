"""The per-event flow: redact -> detect language -> score -> persist -> rules -> alert. Pure Python over ports.

Ingest has already prepared and redacted the event (pipeline.protection); the redaction here is the idempotent
second pass, and the whole preparation only for an event an older ingest queued raw."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from ..events import Alert, AlertState, EscalationState, Outcome, ProcessResult, QueuedEvent, TicketEvent
from ..language import detect_language
from ..models import AuthorRole, SentimentResult, Trend
from ..ports import AlertPublisher, PiiSecondPass, TextScorer, TicketStore, WritebackSink
from ..redaction import RedactionResult, merge_counts
from ..thread import summarise
from ..writeback.policy import unverified_origin, writeback_request
from .protection import CleanMessage, clean_for_scoring, safe_url
from .records import OutcomeClaim, PutStatus, StoredMessage, TicketView
from .rules import RuleConfig, RuleMatch, evaluate
from .shadow import ShadowRecord, ShadowScoring

EXCERPT_CHARS = 280
# Longer than the score function's timeout, shorter than the queue's visibility timeout: a redelivery after a
# crash finds the lease expired and finishes the work; a concurrent duplicate finds it held and retries later.
LEASE_SECONDS = 120
# A delivery's outcome claim must outlive every redelivery of its SQS message: 14 days, SQS's longest retention.
OUTCOME_RETENTION = timedelta(days=14)


def second_pass(cleaned: CleanMessage, pii: PiiSecondPass) -> CleanMessage:
    """The configured second pass (Comprehend DetectPiiEntities) over the scorer's locally redacted text, subject
    and display text (the customer's words as stored and shown, where they differ from the model's text): it sees
    nothing the local pass found, and what it finds is masked and counted before anything is stored. When it fails
    the local result stands (PiiSecondPass's contract). Here, not in pipeline.protection: ingest imports that
    module and ships without the language detector this needs."""
    fields = [RedactionResult(text=cleaned.text), RedactionResult(text=cleaned.subject)]
    shown_apart = bool(cleaned.display) and cleaned.display != cleaned.text
    if shown_apart:
        fields.append(RedactionResult(text=cleaned.display))
    results = pii.redact_fields(fields, detect_language(cleaned.text))
    text, subject = results[0], results[1]
    return cleaned.model_copy(
        update={
            "text": text.text,
            "subject": subject.text,
            # Shown apart: its own pass; else it is the text itself (or empty), so it follows the text.
            "display": results[2].text if shown_apart else text.text if cleaned.display else "",
            # The display text is the same message again: its entities are the text's, counted once.
            "entities": merge_counts(cleaned.entities, text.entities, subject.entities),
        }
    )


class EventInFlightError(RuntimeError):
    """The same message is being processed by another invocation; the record is retried later."""


def aggregate(messages: list[StoredMessage]) -> tuple[StoredMessage | None, float | None, Trend, float | None]:
    """Current message, thread score and trend, exactly as `thread.summarise` computes them for a live thread.

    Messages are ordered by created_at (then id), so the result does not depend on arrival order.
    """
    if not messages:
        return None, None, Trend.UNKNOWN, None
    ordered = sorted(messages, key=lambda m: (m.created_at, m.message_id))
    summary = summarise([m.score for m in ordered], [m.low_signal for m in ordered])
    return ordered[summary.current_index], summary.thread_score, summary.trend, summary.trend_delta


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


KNOWN_METADATA = ("customer_tier", "priority", "product_area", "ticket_url")


def with_known_metadata(event: TicketEvent, subject: str, previous: TicketView | None) -> tuple[TicketEvent, str]:
    """The event with what its helpdesk left out taken from the stored ticket (an absent field never overwrites a
    known one: a follow-up without customer_tier is still the premium customer's), and the subject likewise."""
    if previous is None:
        return event, subject
    known = {k: getattr(previous, k) for k in KNOWN_METADATA if k not in event.model_fields_set}
    return event.model_copy(update=known), subject if "subject" in event.model_fields_set else previous.subject


class ScoringService:
    def __init__(
        self,
        store: TicketStore,
        publisher: AlertPublisher,
        scorer: TextScorer,
        rules: RuleConfig,
        *,
        scorer_name: str = "onnx",
        keep_text_days: int | None = 30,
        lease_seconds: int = LEASE_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        writeback: WritebackSink | None = None,
        writeback_platforms: frozenset[str] = frozenset(),
        shadow: ShadowScoring | None = None,
        pii_second_pass: PiiSecondPass | None = None,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.scorer = scorer
        self.rules = rules
        self.scorer_name = scorer_name
        self.keep_text_days = keep_text_days
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.writeback = writeback
        self.writeback_platforms = writeback_platforms
        self.shadow = shadow  # a candidate model beside the live one: recorded only (pipeline/shadow.py)
        self.pii_second_pass = pii_second_pass
        self._prescored: dict[str, tuple[CleanMessage, SentimentResult]] = {}

    def clean(self, queued: QueuedEvent) -> CleanMessage:
        """Nothing personal goes further than this: the model, the store, SNS and Slack only see redacted text.
        The entity counts (never the values; ingest's and this pass's, each once) become the PII-hit metrics.
        With a second pass configured (Comprehend), it runs here, on the locally redacted text only."""
        cleaned = clean_for_scoring(queued)
        return cleaned if self.pii_second_pass is None else second_pass(cleaned, self.pii_second_pass)

    def prescore(self, batch: Sequence[QueuedEvent]) -> None:
        """Score the customer messages of a whole SQS batch in one call, so the model runs one batch and Comprehend
        gets up to 25 documents a request instead of one; `process` then takes these results.

        Replaces the previous batch's results, so nothing accumulates across invocations.
        """
        todo = [q for q in batch if q.event.author_role == AuthorRole.CUSTOMER]
        self._prescored = {}
        if not todo:
            return
        cleaned = [self.clean(q) for q in todo]
        texts = [c.text for c in cleaned]
        results = self.scorer.score_prepared(texts, [detect_language(t) for t in texts])
        self._prescored = {q.event_id: (c, r) for q, c, r in zip(todo, cleaned, results, strict=True)}

    def process(self, queued: QueuedEvent, *, delivery_id: str | None = None) -> ProcessResult:
        """One delivery of an event. `delivery_id` is the SQS message id, the same for every receive of that
        message: its terminal outcome (scored, duplicate, skipped) is claimed once (`OutcomeClaim`), so a receive
        whose delivery was already settled, or is settled by a concurrent receive first, returns REDELIVERED and
        records nothing. Without a delivery id (direct calls) no outcome is claimed."""
        if delivery_id is not None and self.store.delivery_outcome(delivery_id) is not None:
            return ProcessResult(event_id=queued.event_id, outcome=Outcome.REDELIVERED)
        event = queued.event
        if event.author_role != AuthorRole.CUSTOMER:
            return self._skip(queued, delivery_id)
        if self.store.message_status(event.ref, event.message_id) == PutStatus.DONE:
            return self._duplicate(queued, delivery_id)
        cleaned, result = self._score(queued)
        message = self._stored_message(queued, result)
        now = self.clock()
        # Stored and shown: the customer's words, redacted (the model's normalised text is for the model only).
        if self._put(queued, message, cleaned.display or cleaned.text, now) == PutStatus.DONE:
            return self._duplicate(queued, delivery_id)
        view, event = self._save_view(queued, cleaned, result)
        # From here the event carries what its helpdesk left out, known from the stored ticket (rules, alert,
        # write-back and metrics see the premium customer's follow-up as the premium customer's).
        queued = queued.model_copy(update={"event": event})
        is_current = view.current is not None and view.current.message_id == message.message_id
        # Only the ticket's latest message can escalate it: a late, older message never alerts.
        match = evaluate(self.rules, event, result, view.thread_score) if is_current else None
        alert_state = self._escalate(
            queued, match, view=view, result=result, message=message, text=cleaned.display or cleaned.text, now=now
        )
        refused = self._write_back(queued, result, view, match, alert_state)
        # Done and this delivery's SCORED outcome in one transaction: a concurrent receive of the same delivery can
        # never find the message done and claim DUPLICATE for it first.
        claim = self._outcome_claim(queued, delivery_id, Outcome.SCORED, now)
        if not self.store.mark_done(event.ref, event.message_id, claim):
            # Another receive of this delivery (whose lease ran out on us) scored and claimed it: nothing to add.
            return ProcessResult(event_id=queued.event_id, outcome=Outcome.REDELIVERED)
        # After the live result is stored and settled: nothing the shadow does can hold up or change it.
        shadowed = self._observe_shadow(event, message, cleaned.text, match=match, view=view, now=now)
        return ProcessResult(
            event_id=queued.event_id,
            outcome=Outcome.SCORED,
            scorer=message.scorer,
            alert=alert_state,
            rule=match.rule if match is not None else None,
            label=result.label,
            level=result.level,
            score=result.score,
            low_signal=result.low_signal,
            product_area=event.product_area,
            pii_entities=cleaned.entities,
            truncated=cleaned.truncated,
            model_version=message.model_version,
            shadow_model_version=shadowed.shadow.model_version if shadowed is not None else None,
            writeback_refused=refused,
        )

    def _observe_shadow(
        self,
        event: TicketEvent,
        message: StoredMessage,
        text: str,
        *,
        match: RuleMatch | None,
        view: TicketView,
        now: datetime,
    ) -> ShadowRecord | None:
        if self.shadow is None:
            return None
        return self.shadow.observe(
            event,
            message,
            text,
            live_rule=match.rule if match is not None else None,
            thread_score=view.thread_score,
            is_current=view.current is not None and view.current.message_id == message.message_id,
            now=now,
        )

    def _skip(self, queued: QueuedEvent, delivery_id: str | None) -> ProcessResult:
        """Agents' words do not count towards sentiment, but their first reply times the response."""
        event = queued.event
        response: float | None = None
        # Idempotent (the earliest time is kept) and True only for the call that set the ticket's first reply
        # time, however often the message is delivered: the first-response metric follows it, whichever
        # receive wins the outcome claim below (tying it to the claim could lose it in that race).
        if event.author_role == AuthorRole.AGENT and self.store.record_agent_reply(event.ref, event.created_at):
            ticket = self.store.get_ticket(event.ref)
            if ticket is not None and ticket.current is not None and ticket.current.label == "negative":
                response = max(0.0, (event.created_at - ticket.first_seen).total_seconds())
        claimed = self._claim(queued, delivery_id, Outcome.SKIPPED)
        return ProcessResult(
            event_id=queued.event_id,
            outcome=Outcome.SKIPPED if claimed else Outcome.REDELIVERED,
            first_response_seconds=response,
            product_area=event.product_area,
        )

    def _score(self, queued: QueuedEvent) -> tuple[CleanMessage, SentimentResult]:
        """The batch's result from `prescore` when there is one, else this message scored on its own."""
        prescored = self._prescored.pop(queued.event_id, None)
        if prescored is not None:
            return prescored
        cleaned = self.clean(queued)
        return cleaned, self.scorer.score_prepared([cleaned.text], [detect_language(cleaned.text)])[0]

    def _stored_message(self, queued: QueuedEvent, result: SentimentResult) -> StoredMessage:
        event = queued.event
        return StoredMessage(
            message_id=event.message_id,
            event_id=queued.event_id,
            created_at=event.created_at,
            label=result.label,
            level=result.level,
            score=result.score,
            intensity=result.intensity,
            confidence=result.confidence,
            emotions=result.emotions,
            low_signal=result.low_signal,
            language=result.language,
            needs_fallback=result.needs_fallback,
            scorer=result.scorer if result.scorer else self.scorer_name,
            model_version=result.model_version,
        )

    def _put(self, queued: QueuedEvent, message: StoredMessage, text: str, now: datetime) -> PutStatus:
        """Store the message under a lease: NEW or PENDING (ours now), DONE (a replay), or raise while another
        invocation holds it (the record is retried later)."""
        expires = now + timedelta(days=self.keep_text_days) if self.keep_text_days else None
        status = self.store.put_message(
            queued.event.ref,
            message,
            text if self.keep_text_days else None,
            expires,
            now=now,
            lease_seconds=self.lease_seconds,
        )
        if status == PutStatus.IN_FLIGHT:
            raise EventInFlightError(f"event {queued.event_id} is being processed by another invocation")
        return status

    def _save_view(
        self,
        queued: QueuedEvent,
        cleaned: CleanMessage,
        result: SentimentResult,
    ) -> tuple[TicketView, TicketEvent]:
        """The ticket aggregate rebuilt from all its stored messages (metadata refreshed by its latest one), and
        the event with the metadata its helpdesk left out taken from the stored ticket."""
        event = queued.event
        messages = self.store.list_messages(event.ref)
        current, thread_score, trend, delta = aggregate(messages)
        is_current = current is not None and current.message_id == event.message_id
        previous = self.store.get_ticket(event.ref)
        event, subject = with_known_metadata(event, cleaned.subject, previous)
        view = TicketView(
            ticket_id=event.ticket_id,
            source=event.source,
            brand=event.brand,
            origin=queued.origin,
            subject=subject,
            ticket_url=safe_url(str(event.ticket_url)) if event.ticket_url else None,
            current=current,
            thread_score=thread_score,
            trend=trend,
            trend_delta=delta,
            message_count=len(messages),
            product_area=event.product_area,
            priority=event.priority,
            customer_tier=event.customer_tier,
            first_seen=min((m.created_at for m in messages), default=event.created_at),
            model_version=result.model_version,
        )
        self.store.save_ticket(view, refresh_meta=is_current or previous is None, requester_hash=queued.requester_hash)
        return view, event

    def _escalate(
        self,
        queued: QueuedEvent,
        match: RuleMatch | None,
        *,
        view: TicketView,
        result: SentimentResult,
        message: StoredMessage,
        text: str,
        now: datetime,
    ) -> AlertState | None:
        """Claim the alert (cooldown) and publish it, unless the rule is in shadow mode."""
        if match is None:
            return None
        event = queued.event
        state = EscalationState.SHADOW if match.shadow else EscalationState.ALERTED
        claimed = self.store.claim_alert(
            event.ref,
            event.message_id,
            rule=match.rule,
            state=state,
            now=now,
            cooldown_minutes=self.rules.cooldown_minutes,
        )
        if not claimed:
            return "cooldown"
        if match.shadow:
            return "shadow"
        self.publisher.publish(
            Alert(
                alert_id=f"{queued.event_id}:{match.rule}",
                event_id=queued.event_id,
                ticket_id=event.ticket_id,
                source=event.source,
                brand=event.brand,
                subject=view.subject,
                ticket_url=view.ticket_url,
                label=result.label,
                level=result.level,
                score=result.score,
                intensity=result.intensity,
                thread_score=view.thread_score,
                emotions=result.emotions,
                excerpt=excerpt(text),
                rule=match.rule,
                customer_tier=event.customer_tier,
                priority=event.priority,
                product_area=event.product_area,
                scorer=message.scorer,
                created_at=event.created_at,
            )
        )
        return "published"

    def _write_back(
        self,
        queued: QueuedEvent,
        result: SentimentResult,
        view: TicketView,
        match: RuleMatch | None,
        alert_state: AlertState | None,
    ) -> str | None:
        """Send the write-back, if any; the reason when one was due but refused (not the helpdesk's own route)."""
        # Before mark_done: a crash between the two redelivers the record and sends again, which is harmless.
        if self.writeback is None or not self.writeback_platforms:
            return None
        current = view.current
        request = writeback_request(
            queued.event,
            queued.event_id,
            result,
            current_message_id=current.message_id if current else None,
            enabled=self.writeback_platforms,
        )
        if request is not None and match is not None and match.mode == "escalate" and alert_state == "published":
            request = request.model_copy(update={"priority": "urgent"})
        if request is None:
            return None
        if refused := unverified_origin(request, queued.origin, view.origin):
            return refused
        self.writeback.send(request)
        return None

    def _outcome_claim(
        self, queued: QueuedEvent, delivery_id: str | None, outcome: Outcome, now: datetime | None = None
    ) -> OutcomeClaim | None:
        if delivery_id is None:
            return None
        return OutcomeClaim(
            delivery_id=delivery_id,
            event_id=queued.event_id,
            outcome=outcome,
            expires_at=(now or self.clock()) + OUTCOME_RETENTION,
        )

    def _claim(self, queued: QueuedEvent, delivery_id: str | None, outcome: Outcome) -> bool:
        """True when this delivery's outcome is now `outcome` by this call (always, without a delivery id)."""
        claim = self._outcome_claim(queued, delivery_id, outcome)
        return claim is None or self.store.claim_outcome(claim)

    def _duplicate(self, queued: QueuedEvent, delivery_id: str | None) -> ProcessResult:
        """The message was fully processed before, by another delivery (its SCORED claim and `done` are written
        together): DUPLICATE, or REDELIVERED when another receive of this delivery claimed that first."""
        claimed = self._claim(queued, delivery_id, Outcome.DUPLICATE)
        return ProcessResult(event_id=queued.event_id, outcome=Outcome.DUPLICATE if claimed else Outcome.REDELIVERED)
