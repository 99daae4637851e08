"""The trust loop on the local stack (moto over HTTP, the bundled model): the drift job's metrics, the monthly
audit from table to review queue to labelled CSV, and the leads' report."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ticket_sentiment import metric_names as names
from ticket_sentiment.adapters.aws.history import DynamoHistory
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.audit.models import EXPORT_COLUMNS
from ticket_sentiment.audit.sampler import previous_month
from ticket_sentiment.events import QueuedEvent, TicketEvent
from ticket_sentiment.handlers import audit as audit_handler
from ticket_sentiment.handlers import drift as drift_handler
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.pipeline.rules import RuleConfig
from ticket_sentiment_tools.cli import app
from ticket_sentiment_tools.local_stack import LocalStack
from typer.testing import CliRunner

from ..emf import emf_values
from ..lambda_runtime import Context, sdk_env, set_env
from ..unit.pipeline_fakes import event_payload

runner = CliRunner()
NEGATIVE = [
    "I'm still waiting for my refund, third time I'm writing. This is unacceptable.",
    "Your app crashed again and I lost all my work. Worst service ever.",
    "I was charged twice and nobody answers. I'm furious and cancelling.",
]
NEUTRAL = [
    "Can you tell me how to change the billing address on my account?",
    "Where can I find the invoice for last month?",
    "I'd like to update the shipping address for order 5521.",
]
POSITIVE = [
    "Thanks a lot, that fixed it! Great support.",
    "The replacement arrived today, thank you so much for the quick help.",
    "Brilliant, everything works now. Really appreciate it.",
]
MIX = NEGATIVE + NEUTRAL + POSITIVE


def score(stack: LocalStack, scorer: OnnxSentimentScorer, events: Sequence[dict[str, Any]]) -> None:
    """Through the real ScoringService into the stack's table, in batches as the score handler runs them."""
    service = stack.scoring_service(scorer, RuleConfig())
    queued = [
        QueuedEvent(event_id=e.event_id, received_at=datetime.now(UTC), event=e)
        for e in (TicketEvent.model_validate(p) for p in events)
    ]
    for i in range(0, len(queued), 32):
        batch = queued[i : i + 32]
        service.prescore(batch)
        for q in batch:
            service.process(q)


def spread(
    texts: Sequence[str],
    start: datetime,
    end: datetime,
    prefix: str,
    **overrides: Any,
) -> list[dict[str, Any]]:
    step = (end - start) / (len(texts) + 1)
    return [
        event_payload(
            ticket_id=f"{prefix}-{i}",
            message_id=f"{prefix}-m{i}",
            text=text,
            created_at=(start + (i + 1) * step).isoformat(),
            **overrides,
        )
        for i, text in enumerate(texts)
    ]


@pytest.fixture
def aws_env(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    set_env(monkeypatch, sdk_env(stack) | {"AWS_REGION": "us-east-1", "TABLE_NAME": stack.res.table_name})
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()
    yield stack


def _drift_run(
    stack: LocalStack,
    scorer: OnnxSentimentScorer,
    current_texts: Sequence[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[dict[str, float], dict[str, Any]]:
    now = datetime.now(UTC).replace(microsecond=0)
    # Baseline: the mix, 8 times over 28 days; current: 27 messages over the last 7 days.
    score(
        stack,
        scorer,
        spread(MIX * 8, now - timedelta(days=35), now - timedelta(days=7), "B")
        + spread(current_texts, now - timedelta(days=7), now, "C"),
    )
    monkeypatch.setenv("DRIFT_MIN_CURRENT", "25")  # a small fixture; the defaults (200/400) are unit-tested
    monkeypatch.setenv("DRIFT_MIN_BASELINE", "70")
    capsys.readouterr()
    result = drift_handler.handler(
        {"time": now.isoformat().replace("+00:00", "Z"), "detail-type": "Scheduled Event"}, Context()
    )
    return emf_values(capsys.readouterr().out), result


def test_drift_job_flags_a_shifted_week(
    aws_env: LocalStack,
    scorer: OnnxSentimentScorer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shifted = NEGATIVE * 8 + NEUTRAL  # a week of outage complaints
    values, result = _drift_run(aws_env, scorer, shifted, capsys, monkeypatch)
    assert result["baseline"]["messages"] == 72
    assert result["current"]["messages"] == 27
    assert values[names.SCORE_DRIFT] > 0.25
    assert result["level"] == "major"
    assert values[names.SHARE_NEGATIVE_7D] > 0.7
    assert result["deltas"]["share_negative"] > 0.4
    for name in (names.MEAN_CONFIDENCE_7D, names.FALLBACK_RATE_7D, names.LOW_SIGNAL_RATE_7D):
        assert name in values
    assert values[names.FALLBACK_RATE_7D] == 0.0  # the bundled model scored everything


def test_drift_job_stays_quiet_on_an_unshifted_week(
    aws_env: LocalStack,
    scorer: OnnxSentimentScorer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values, result = _drift_run(aws_env, scorer, MIX * 3, capsys, monkeypatch)
    assert values[names.SCORE_DRIFT] < 0.1
    assert result["level"] == "stable"
    assert abs(result["deltas"]["share_negative"]) < 0.05


def _last_month_events(now: datetime) -> list[dict[str, Any]]:
    start, end, _ = previous_month(now)
    events = spread(MIX * 4, start, end, "A", product_area="billing")
    events += spread(MIX * 2, start, end, "S", product_area="shipping")
    # Personal data in the raw text: only its redacted form may reach the review queue and the CSV.
    events += spread(
        ["Hi, I'm Anna Smith, call me on +44 20 7946 0958. The refund never came, unacceptable."],
        start,
        end,
        "P",
        product_area="billing",
    )
    return events


def test_audit_job_export_and_import_round_trip(
    aws_env: LocalStack, scorer: OnnxSentimentScorer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = aws_env
    now = datetime.now(UTC)
    events = _last_month_events(now)
    score(stack, scorer, events)
    # One message whose redacted text has expired (TTL passed, not yet deleted by DynamoDB): never sampled.
    stack.resource("dynamodb").Table(stack.res.table_name).update_item(
        Key={"PK": "TICKET#other:A-0", "SK": "TEXT#A-m0"},
        UpdateExpression="SET expires_at = :t",
        ExpressionAttributeValues={":t": int((now - timedelta(days=1)).timestamp())},
    )
    queue_url = stack.client("sqs").create_queue(QueueName=f"{stack.prefix}-audit")["QueueUrl"]
    monkeypatch.setenv("AUDIT_QUEUE_URL", queue_url)
    monkeypatch.setenv("AUDIT_SAMPLE_SIZE", "50")
    summary = audit_handler.handler({"time": now.isoformat()}, Context())
    assert summary["population"] == len(events) == 55
    assert summary["rows"] == 50

    audit_csv, labelled = tmp_path / "audit.csv", tmp_path / "labelled.csv"
    result = runner.invoke(
        app,
        ["audit", "export", "--queue-url", queue_url, "--endpoint-url", stack.endpoint_url, "--out", str(audit_csv)],
    )
    assert result.exit_code == 0, result.output
    assert "50 rows written" in result.output
    assert "Messages" not in stack.client("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)
    with audit_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert len(rows) == 50
    assert ("other:A-0", "A-m0") not in {(r["ticket_id"], r["message_id"]) for r in rows}
    assert {r["product_area"] for r in rows} == {"billing", "shipping"}
    everything = audit_csv.read_text()
    assert "Anna Smith" not in everything
    assert "7946 0958" not in everything
    by_text = {
        t: label
        for label, texts in (("negative", NEGATIVE), ("neutral", NEUTRAL), ("positive", POSITIVE))
        for t in texts
    }
    for row in rows:  # the labeller: the truth for the mix, negative for the PII message
        row["human_label"] = by_text.get(row["text"], "negative")
    assert sum(r["human_label"] == r["model_label"] for r in rows) >= 40
    with audit_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(EXPORT_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)

    result = runner.invoke(app, ["audit", "import", str(audit_csv), "--out", str(labelled)])
    assert result.exit_code == 0, result.output
    # The labelled file goes straight into eval (and calibrate/finetune, which read the same columns).
    result = runner.invoke(app, ["eval", str(labelled), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["n"] == 50


def test_audit_sample_command_against_the_table(
    aws_env: LocalStack, scorer: OnnxSentimentScorer, tmp_path: Path
) -> None:
    stack = aws_env
    score(stack, scorer, _last_month_events(datetime.now(UTC)))
    out_a, out_b = tmp_path / "a.csv", tmp_path / "b.csv"
    for target in (out_a, out_b):
        result = runner.invoke(
            app,
            [
                "audit",
                "sample",
                "--endpoint-url",
                stack.endpoint_url,
                "--table",
                stack.res.table_name,
                "--since",
                "62d",
                "--size",
                "20",
                "--seed",
                "7",
                "--out",
                str(target),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "20 rows written" in result.output
        assert "billing" in result.output
    assert out_a.read_text() == out_b.read_text()  # same seed, same sample


def test_report_on_a_populated_table(aws_env: LocalStack, scorer: OnnxSentimentScorer, tmp_path: Path) -> None:
    stack = aws_env
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=21)
    events = spread(NEGATIVE * 2 + NEUTRAL, start, now - timedelta(days=1), "B", product_area="billing")
    events += spread(POSITIVE * 2 + NEGATIVE[:1], start, now - timedelta(days=1), "S", product_area="shipping")
    score(stack, scorer, events)
    # Agents answer two of the negative billing tickets, 2 h and 4 h after the customer wrote.
    replies = []
    for ticket, hours in (("B-0", 2), ("B-1", 4)):
        first_seen = next(datetime.fromisoformat(e["created_at"]) for e in events if e["ticket_id"] == ticket)
        replies.append(
            event_payload(
                ticket_id=ticket,
                message_id=f"{ticket}-agent",
                author_role="agent",
                text="Sorry about this, refunding now.",
                created_at=(first_seen + timedelta(hours=hours)).isoformat(),
            )
        )
    score(stack, scorer, replies)
    table = stack.resource("dynamodb").Table(stack.res.table_name)
    day = now - timedelta(days=2)
    for i, verdict in enumerate(["right_call", "right_call", "false_alarm", "wrong_emotion"]):
        table.put_item(
            Item={
                "PK": f"TICKET#other:B-{i}",
                "SK": f"REVIEW#alert-{i}",
                "type": "review",
                "ticket_id": f"other:B-{i}",
                "verdict": verdict,
                "reviewed_at": day.isoformat(),
                "GSI3PK": f"REVIEWED#{day:%Y-%m-%d}",
                "GSI3SK": f"{day.isoformat()}#other:B-{i}#alert-{i}",
            }
        )
    table.put_item(
        Item={"PK": "TICKET#other:B-9", "SK": "REVIEW#odd", "GSI3PK": f"REVIEWED#{day:%Y-%m-%d}", "GSI3SK": "x"}
    )  # no verdict: skipped, not a crash

    html_path = tmp_path / "report.html"
    result = runner.invoke(
        app,
        [
            "report",
            "--since",
            "30d",
            "--table",
            stack.res.table_name,
            "--endpoint-url",
            stack.endpoint_url,
            "--out",
            str(html_path),
        ],
    )
    assert result.exit_code == 0, result.output
    for heading in (
        "Average sentiment by week",
        "Negative volume by product area",
        "First response time, negative tickets",
        "Precision of automated escalations",
    ):
        assert heading in result.output
    result = runner.invoke(
        app,
        ["report", "--since", "30d", "--table", stack.res.table_name, "--endpoint-url", stack.endpoint_url, "--json"],
    )
    data = json.loads(result.output)
    assert data["messages"] == 16
    assert sum(w["messages"] for w in data["weeks"]) == data["scored"]
    areas = {a["product_area"]: a for a in data["areas"]}
    assert areas["billing"]["negative_messages"] == 6
    assert areas["shipping"]["negative_messages"] == 1
    response = data["response"]
    assert response["negative_tickets"] == 7
    assert response["answered"] == 2
    assert response["unanswered"] == 5
    assert response["median_hours"] == pytest.approx(3.0)
    assert data["precision"]["reviews"] == 4
    assert data["precision"]["precision"] == pytest.approx(0.75)
    page = html_path.read_text()
    assert page.count("data:image/png;base64,") == 2
    assert "billing" in page
    # Every message is found again by day through GSI3.
    assert (
        len(
            list(
                DynamoHistory(stack.res.table_name, stack.resource("dynamodb")).scored_between(
                    now - timedelta(days=30), now
                )
            )
        )
        == 16
    )
