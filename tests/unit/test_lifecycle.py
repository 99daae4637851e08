"""Retention policy and erasure on request in the domain, over the in-memory fake store (the same scenarios run on
moto in tests/integration/test_lifecycle.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from ticket_sentiment.pipeline.lifecycle import ErasureCounts, Retention, erase_ticket, ticket_hash
from ticket_sentiment.pipeline.rules import EscalationRule, RuleConfig
from ticket_sentiment.settings import RETENTION_POLICY, ScoreSettings, TableSettings

from .pipeline_fakes import FakePublisher, FakeStore, KeywordScorer, queued, ref

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_retention_defaults_keep_scores_a_year_on_year_and_text_for_the_monthly_audit() -> None:
    policy = Retention()
    assert policy.message >= 395
    assert policy.ticket >= 395
    assert policy.review >= 365
    assert 31 < policy.text <= 40
    assert policy.expires_at("message", T0) == int((T0 + timedelta(days=policy.message)).timestamp())


def test_delivery_claims_cannot_be_kept_shorter_than_sqs_can_redeliver() -> None:
    with pytest.raises(ValidationError):
        Retention(delivery=7)
    with pytest.raises(ValidationError):
        Retention(messages=30)  # type: ignore[call-arg]  # a typo in the policy is an error, not a default


def test_functions_read_the_policy_from_their_environment() -> None:
    env = {"TABLE_NAME": "t", "ALERTS_TOPIC_ARN": "arn", RETENTION_POLICY: json.dumps({"message": 800, "ticket": 800})}
    assert ScoreSettings.from_env(env).retention.message == 800
    assert TableSettings.from_env(env).retention.ticket == 800
    assert TableSettings.from_env({"TABLE_NAME": "t"}).retention == Retention()
    with pytest.raises(ValidationError):
        TableSettings.from_env({"TABLE_NAME": "t", RETENTION_POLICY: json.dumps({"text": 0})})


def _scored_store() -> FakeStore:
    from ticket_sentiment.pipeline.service import ScoringService

    store = FakeStore()
    service = ScoringService(
        store, FakePublisher(), KeywordScorer(), RuleConfig(rules=(EscalationRule(name="angry", max_score=-0.5),))
    )
    for ticket in ("T-1", "T-2"):
        for i, text in enumerate(["Where is my invoice?", "This is unacceptable, I'm furious."]):
            service.process(
                queued(
                    ticket_id=ticket, message_id=f"m{i}", text=text, created_at=(T0 + timedelta(minutes=i)).isoformat()
                )
            )
    return store


def test_erasure_removes_the_ticket_and_records_a_receipt_without_content() -> None:
    store = _scored_store()
    receipt = erase_ticket(store, ref("T-1"), clock=lambda: T0)
    assert receipt.erased
    assert receipt.counts == ErasureCounts(ticket=1, message=2, text=2)
    assert store.get_ticket(ref("T-1")) is None
    assert store.list_messages(ref("T-1")) == []
    assert not [k for k in store.texts if k[0] == ref("T-1").key]
    assert store.get_ticket(ref("T-2")) is not None
    assert len(store.list_messages(ref("T-2"))) == 2
    assert store.receipts == [receipt]
    assert "T-1" not in receipt.model_dump_json()
    assert receipt.ticket_hash == ticket_hash(ref("T-1"))


def test_erasing_twice_is_a_no_op() -> None:
    store = _scored_store()
    erase_ticket(store, ref("T-1"), clock=lambda: T0)
    again = erase_ticket(store, ref("T-1"), clock=lambda: T0 + timedelta(hours=1))
    assert not again.erased
    assert again.counts.total == 0
    assert len(store.receipts) == 1, "a repeat records no second receipt"


def test_ticket_hash_tells_tickets_apart() -> None:
    assert ticket_hash(ref("T-1")) != ticket_hash(ref("T-2"))
    assert len(ticket_hash(ref("T-1"))) == 64


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["forget", "--ticket", "T-1"], "error: no table"),
        (["forget", "--ticket", "x" * 129, "--table", "t"], "error: --ticket"),
        (["forget", "--ticket", "  ", "--table", "t"], "error: --ticket"),
    ],
)
def test_forget_rejects_bad_input_with_one_line(args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ticket_sentiment_tools.cli import app
    from typer.testing import CliRunner

    monkeypatch.delenv("TABLE_NAME", raising=False)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith(message), result.output
    assert "Traceback" not in result.output
