"""The scorer hands write-backs to the helpdesk only for the ticket's latest customer message, only for the
platforms the deployment enabled, and before the message is marked done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ticket_sentiment.pipeline.rules import DEFAULT_RULES, EscalationRule, RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.writeback.models import MARKER_TAG, WritebackRequest

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, queued


class FakeWriteback:
    def __init__(self) -> None:
        self.sent: list[WritebackRequest] = []

    def send(self, request: WritebackRequest) -> None:
        self.sent.append(request)


def make(platforms: frozenset[str] = frozenset({"zendesk"})) -> tuple[ScoringService, FakeWriteback]:
    sink = FakeWriteback()
    service = ScoringService(
        FakeStore(),
        FakePublisher(),
        KeywordScorer(),
        DEFAULT_RULES,
        clock=lambda: T0,
        writeback=sink,
        writeback_platforms=platforms,
    )
    return service, sink


def test_latest_customer_message_is_written_back_with_label_tags() -> None:
    service, sink = make()
    service.process(
        queued(
            text="This is unacceptable, I want a refund now.",
            message_id="m-2",
            created_at=(T0 + timedelta(minutes=5)).isoformat(),
        )
    )
    [request] = sink.sent
    assert request.platform == "zendesk"
    assert request.ticket_id == "T-1"
    assert request.label == "negative"
    assert set(request.tags) == {"sentiment-negative", MARKER_TAG}
    assert request.message_id == "m-2"


def test_late_older_message_agent_replies_and_duplicates_write_nothing() -> None:
    service, sink = make()
    service.process(
        queued(
            text="Still broken, third time I'm writing.",
            message_id="m-2",
            created_at=(T0 + timedelta(minutes=5)).isoformat(),
        )
    )
    service.process(queued(text="Thanks for the quick help!", message_id="m-1", created_at=T0.isoformat()))
    service.process(queued(author_role="agent", message_id="a-1", text="Looking into it"))
    service.process(
        queued(
            text="Still broken, third time I'm writing.",
            message_id="m-2",
            created_at=(T0 + timedelta(minutes=5)).isoformat(),
        )
    )
    assert [r.message_id for r in sink.sent] == ["m-2"]


@pytest.mark.parametrize(("mode", "priority"), [("escalate", "urgent"), ("alert", None), ("shadow", None)])
def test_rollout_mode_escalate_also_raises_priority(mode: str, priority: str | None) -> None:
    rules = RuleConfig(rules=(EscalationRule(name="angry", max_score=-0.5, mode=mode),))
    sink = FakeWriteback()
    service = ScoringService(
        FakeStore(),
        FakePublisher(),
        KeywordScorer(),
        rules,
        clock=lambda: T0,
        writeback=sink,
        writeback_platforms=frozenset({"zendesk"}),
    )
    service.process(queued(text="This is unacceptable, I want a refund now."))
    [request] = sink.sent
    assert request.priority == priority


def test_platforms_not_enabled_are_never_written_to() -> None:
    service, sink = make(frozenset({"intercom"}))
    service.process(queued(text="This is unacceptable."))
    assert sink.sent == []
