"""The per-event flow against in-memory fakes: redaction, idempotency, ordering, rules, cooldown, shadow mode."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError
from ticket_sentiment.adapters.aws.ssm import load_rules
from ticket_sentiment.events import EscalationState, Outcome
from ticket_sentiment.handlers.score import process_batch
from ticket_sentiment.models import Trend
from ticket_sentiment.pipeline.rules import DEFAULT_RULES, EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import LEASE_SECONDS, EventInFlightError, ScoringService, aggregate

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, queued, ref, sqs_event

RULES = RuleConfig(cooldown_minutes=60, rules=(EscalationRule(name="angry", max_score=-0.5, min_intensity=0.5),))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def make(rules: RuleConfig = RULES) -> tuple[ScoringService, FakeStore, FakePublisher, KeywordScorer, Clock]:
    store, publisher, scorer, clock = FakeStore(), FakePublisher(), KeywordScorer(), Clock()
    return ScoringService(store, publisher, scorer, rules, clock=clock), store, publisher, scorer, clock


def test_negative_message_is_scored_stored_and_alerted_redacted() -> None:
    service, store, publisher, scorer, _ = make()
    text = "Hi, I'm Anna Smith, call me on +44 20 7946 0958. This is unacceptable."
    result = service.process(queued(text=text, subject="Refund for anna.smith@example.com"))
    assert result.outcome == Outcome.SCORED
    assert result.alert == "published"
    assert result.rule == "angry"
    assert "7946" not in scorer.seen[0]
    assert "[PHONE]" in scorer.seen[0]
    [alert] = publisher.alerts
    dumped = alert.model_dump_json()
    for secret in ("7946", "anna.smith@example.com", "Anna Smith"):
        assert secret not in dumped
        assert all(secret not in t for t in store.texts.values())
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.escalation_state == EscalationState.ALERTED
    assert ticket.current is not None
    assert ticket.current.label == "negative"


def test_replay_changes_nothing_and_alerts_nobody_twice() -> None:
    service, store, publisher, scorer, _ = make()
    first = service.process(queued())
    before = store.get_ticket(ref("T-1"))
    second = service.process(queued())
    assert first.outcome == Outcome.SCORED
    assert second.outcome == Outcome.DUPLICATE
    assert len(publisher.alerts) == 1
    assert len(scorer.seen) == 1
    assert store.get_ticket(ref("T-1")) == before


def test_redelivery_after_a_crash_finishes_the_work_once() -> None:
    service, _store, publisher, _, clock = make()
    original = publisher.publish

    def crash(alert):  # type: ignore[no-untyped-def]
        raise ConnectionError("sns down")

    publisher.publish = crash  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        service.process(queued())
    publisher.publish = original  # type: ignore[method-assign]
    with pytest.raises(EventInFlightError):  # still leased: could be a concurrent duplicate, retry later
        service.process(queued())
    assert publisher.alerts == []
    clock.now = T0 + timedelta(seconds=LEASE_SECONDS + 1)
    assert service.process(queued()).alert == "published"  # the claim is this message's own: not a cooldown
    assert len(publisher.alerts) == 1
    assert service.process(queued()).outcome == Outcome.DUPLICATE


def test_cooldown_allows_one_alert_per_ticket() -> None:
    service, _, publisher, _, clock = make()
    assert service.process(queued(message_id="m-1")).alert == "published"
    clock.now = T0 + timedelta(minutes=30)
    later = service.process(queued(message_id="m-2", created_at=(T0 + timedelta(minutes=30)).isoformat()))
    assert later.alert == "cooldown"
    clock.now = T0 + timedelta(minutes=120)
    again = service.process(queued(message_id="m-3", created_at=(T0 + timedelta(minutes=120)).isoformat()))
    assert again.alert == "published"
    assert len(publisher.alerts) == 2


def test_shadow_mode_records_but_sends_nothing() -> None:
    service, store, publisher, _, _ = make(RULES.model_copy(update={"shadow": True}))
    assert service.process(queued()).alert == "shadow"
    assert publisher.alerts == []
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.escalation_state == EscalationState.SHADOW


def test_older_message_never_overwrites_the_newer_one_and_never_alerts() -> None:
    service, store, publisher, _, _ = make()
    newer = queued(
        message_id="m-2",
        text="Thanks, that fixed it!",
        created_at=(T0 + timedelta(hours=1)).isoformat(),
        priority="low",
        product_area="app",
    )
    older = queued(message_id="m-1", text="This is unacceptable, I am furious.", priority="urgent")
    service.process(newer)
    result = service.process(older)
    assert result.outcome == Outcome.SCORED
    assert result.alert is None
    assert publisher.alerts == []
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.current is not None
    assert ticket.current.message_id == "m-2"
    assert ticket.current.label == "positive"
    assert ticket.priority == "low"
    assert ticket.product_area == "app"  # metadata stays with the latest message
    assert ticket.message_count == 2
    assert ticket.trend == Trend.IMPROVING
    assert ticket.first_seen == T0


def test_arrival_order_does_not_change_the_ticket() -> None:
    events = [
        queued(message_id=f"m-{i}", text=t, created_at=(T0 + timedelta(hours=i)).isoformat())
        for i, t in enumerate(["it broke", "This is unacceptable", "still broken", "thanks a lot"])
    ]
    views = []
    for order in (events, events[::-1], [events[2], events[0], events[3], events[1]]):
        service, store, *_ = make(RuleConfig())
        for e in order:
            service.process(e)
        views.append(store.get_ticket(ref("T-1")))
    assert views[0] == views[1] == views[2]


def test_agent_messages_are_skipped() -> None:
    service, store, _, scorer, _ = make()
    assert service.process(queued(author_role="agent")).outcome == Outcome.SKIPPED
    assert scorer.seen == []
    assert store.tickets == {}


def test_rules_combine_priority_tier_and_area() -> None:
    rule = EscalationRule(
        name="r",
        max_score=-0.5,
        priorities=frozenset({"urgent"}),
        tiers=frozenset({"enterprise"}),
        product_areas=frozenset({"billing"}),
    )
    config = RuleConfig(rules=(rule,))
    assert make(config)[0].process(queued(priority="urgent")).rule == "r"
    assert make(config)[0].process(queued(priority="high")).rule is None
    assert make(config)[0].process(queued(priority="urgent", customer_tier="free")).rule is None
    assert make(config)[0].process(queued(priority="urgent", product_area="app")).rule is None


def test_low_signal_never_fires() -> None:
    rule = EscalationRule(name="any", max_score=1.0)
    assert make(RuleConfig(rules=(rule,)))[0].process(queued(text="unacceptable")).rule is None


def test_rule_config_from_env_and_validation() -> None:
    config = {"shadow": True, "cooldown_minutes": 10, "rules": [{"name": "x", "max_score": -0.3, "tiers": ["free"]}]}
    loaded = load_rules({"ESCALATION_RULES": json.dumps(config)})
    assert loaded.shadow
    assert loaded.cooldown_minutes == 10
    assert loaded.rules[0].name == "x"
    assert load_rules({}) == DEFAULT_RULES
    with pytest.raises(ValidationError):
        load_rules({"ESCALATION_RULES": json.dumps({"rules": [{"name": "x", "max_score": -3}]})})
    with pytest.raises(ValidationError):
        load_rules({"ESCALATION_RULES": json.dumps({"rules": [{"name": "x", "typo": 1}]})})


def test_aggregate_of_nothing() -> None:
    assert aggregate([]) == (None, None, Trend.UNKNOWN, None)


def test_score_batch_reports_only_the_bad_records_as_failures() -> None:
    service, _, publisher, _, _ = make()
    good = queued().model_dump_json()
    other = queued(ticket_id="T-2", text="how do I export csv").model_dump_json()
    response = process_batch(service, sqs_event([good, "{poison", other, good]), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "sqs-1"}]}
    assert len(publisher.alerts) == 1


def test_invalid_record_error_does_not_quote_the_body() -> None:
    service, *_ = make()
    secret = "anna.smith@example.com"
    bad = json.dumps({"event_id": "x", "received_at": T0.isoformat(), "event": {"text": secret}})
    response = process_batch(service, sqs_event([bad]), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "sqs-0"}]}
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from ticket_sentiment.handlers.score import InvalidRecordError, handle_record

    with pytest.raises(InvalidRecordError) as info:
        handle_record(service, SQSRecord(sqs_event([bad])["Records"][0]))
    assert secret not in str(info.value)
    assert "event.source" in str(info.value)


def test_ticket_url_with_personal_data_is_dropped() -> None:
    service, store, publisher, _, _ = make()
    service.process(queued(ticket_url="https://help.example.com/tickets/1?email=anna.smith@example.com"))
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.ticket_url is None
    assert publisher.alerts[0].ticket_url is None
    service.process(queued(ticket_id="T-2"))
    assert publisher.alerts[1].ticket_url == "https://example.zendesk.com/agent/tickets/1"


class CountingScorer(KeywordScorer):
    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.fail = fail

    def score_prepared(self, texts, languages=None):  # type: ignore[no-untyped-def]
        self.calls.append(len(texts))
        if self.fail and len(texts) > 1:
            raise RuntimeError("batch scoring unavailable")
        return super().score_prepared(texts, languages)


def test_an_sqs_batch_is_scored_in_one_call_and_agents_are_not_scored() -> None:
    scorer = CountingScorer()
    service = ScoringService(FakeStore(), FakePublisher(), scorer, RULES)
    events = [
        queued(ticket_id=f"T-{i}", message_id=f"m-{i}", text=f"Order {i} never arrived, this is unacceptable.")
        for i in range(5)
    ] + [queued(ticket_id="T-9", message_id="a-1", author_role="agent", text="On it!")]
    response = process_batch(service, sqs_event([q.model_dump_json() for q in events]), None)
    assert response["batchItemFailures"] == []
    assert scorer.calls == [5]  # one call for the five customer messages, none per record


def test_when_batch_scoring_fails_each_record_is_scored_on_its_own() -> None:
    scorer = CountingScorer(fail=True)
    store = FakeStore()
    service = ScoringService(store, FakePublisher(), scorer, RULES)
    events = [queued(ticket_id=f"T-{i}", message_id=f"m-{i}") for i in range(3)]
    response = process_batch(service, sqs_event([q.model_dump_json() for q in events]), None)
    assert response["batchItemFailures"] == []
    assert scorer.calls == [3, 1, 1, 1]
    assert all(store.message_status(ref(f"T-{i}"), f"m-{i}") is not None for i in range(3))


def test_agent_replies_are_not_scored_but_the_first_one_is_recorded() -> None:
    service, store, _, scorer, _ = make()
    service.process(queued(message_id="c-1", text="Still no refund, this is unacceptable."))
    later = queued(
        message_id="a-2", author_role="agent", text="Refund sent.", created_at=(T0 + timedelta(hours=5)).isoformat()
    )
    first = queued(
        message_id="a-1", author_role="agent", text="Looking into it.", created_at=(T0 + timedelta(hours=1)).isoformat()
    )
    assert service.process(later).outcome == Outcome.SKIPPED
    assert service.process(first).outcome == Outcome.SKIPPED
    ticket = store.get_ticket(ref("T-1"))
    assert ticket is not None
    assert ticket.first_agent_reply_at == T0 + timedelta(hours=1)
    assert len(scorer.seen) == 1


def test_rule_modes_and_the_legacy_shadow_flag() -> None:
    assert EscalationRule(name="a", max_score=-0.5).mode == "alert"
    assert EscalationRule(name="b", max_score=-0.5, shadow=True).mode == "shadow"
    assert (
        EscalationRule.model_validate({"name": "c", "levels": ["very_negative"], "mode": "escalate"}).mode == "escalate"
    )
    with pytest.raises(ValidationError):
        EscalationRule.model_validate({"name": "d", "max_score": -0.5, "mode": "page-everyone"})
    service, _, publisher, _, _ = make(
        RuleConfig(shadow=True, rules=(EscalationRule(name="angry", max_score=-0.5, mode="escalate"),))
    )
    result = service.process(queued())
    assert result.alert == "shadow"
    assert publisher.alerts == []  # the global switch wins
