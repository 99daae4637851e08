"""A ticket full of personal data goes through every path that exists; the raw values must appear in no
output, no error message and no captured log: the redact CLI (text, JSON, JSON lines), Powertools and stdlib
logging, the Comprehend second pass (stubbed), and the scorer and `score --jsonl` when the model is built."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools import Logger
from botocore.stub import ANY, Stubber
from ticket_sentiment.adapters.aws.onnx_scorer import default_model_dir
from ticket_sentiment.redaction import redact
from ticket_sentiment.redaction.comprehend import ComprehendPiiRedactor, redact_with_comprehend
from ticket_sentiment.redaction.log_filter import PiiRedactingFilter, PiiRedactingFormatter
from ticket_sentiment_tools.cli import app
from typer.testing import CliRunner

TICKET = (
    "Hi Anna,\n\nmy order #48213 (paid $1,249.00 on 2026-03-02) never arrived. Charge it back to card "
    "4111 1111 1111 1111 or refund IBAN DE89 3704 0044 0532 0130 00. Call me on +44 20 7946 0958 or "
    "(415) 555-0132, mail john.smith@example.com. My SSN is 536-22-8790, I log in from 203.0.113.42 with "
    "password: Summer2024! and token=ghp_16C7e42F292c6912E7710c838347Ae178B4a. Ship to 221B Baker Street, "
    "London NW1 6XE. Reset link: https://app.example.com/reset?token=Zx8Qk2LmP9rT4vW7yB1n\n\nThanks,\nJohn Smith"
)
RAW_VALUES = [
    "Anna",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "+44 20 7946 0958",
    "(415) 555-0132",
    "john.smith@example.com",
    "536-22-8790",
    "203.0.113.42",
    "Summer2024!",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "221B Baker Street",
    "NW1 6XE",
    "Zx8Qk2LmP9rT4vW7yB1n",
    "John Smith",
    # Fragments too: a partial redaction would leak these.
    "4111",
    "0532 0130",
    "7946",
    "555-0132",
    "john.smith",
    "8790",
    "Summer2024",
]
SURVIVES = ["#48213", "$1,249.00", "2026-03-02"]
runner = CliRunner()


def _assert_no_raw_values(*outputs: str) -> None:
    joined = "\n".join(outputs)
    leaked = [value for value in RAW_VALUES if value in joined]
    assert not leaked, f"leaked: {leaked}"


def test_redact_result_is_clean_and_keeps_what_is_not_personal() -> None:
    result = redact(TICKET)
    _assert_no_raw_values(result.text, result.model_dump_json())
    for value in SURVIVES:
        assert value in result.text
    assert result.entities == {
        "ADDRESS": 1,
        "CARD": 1,
        "EMAIL": 1,
        "IBAN": 1,
        "IP": 1,
        "NAME": 2,
        "PHONE": 2,
        "SECRET": 2,
        "SSN": 1,
        "URL": 1,
    }


def test_cli_text_json_and_jsonl(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        text = runner.invoke(app, ["redact", TICKET])
        as_json = runner.invoke(app, ["redact", "--json", TICKET])
        lines = "\n".join(
            [
                json.dumps({"id": "t1", "text": TICKET}),
                f"not json but full of data: {TICKET.splitlines()[2]}",
                json.dumps({"id": "t2", "text": 4111111111111111, "card": "4111 1111 1111 1111"}),
                json.dumps({"id": "t3", "email": "john.smith@example.com"}),
                json.dumps({"id": "t4", "text": "call +44 20 7946 0958"}),
            ]
        )
        jsonl = runner.invoke(app, ["redact", "--jsonl"], input=lines + "\n")
    assert text.exit_code == 0
    assert as_json.exit_code == 0
    assert jsonl.exit_code == 1
    _assert_no_raw_values(
        text.stdout, text.stderr, as_json.stdout, as_json.stderr, jsonl.stdout, jsonl.stderr, caplog.text
    )
    assert "entities: ADDRESS=1, CARD=1" in text.stdout
    assert json.loads(as_json.stdout)["entities"]["PHONE"] == 2
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["id"] for r in records] == ["t1", "t4"]
    assert records[1] == {"id": "t4", "text": "call [PHONE]", "entities": {"PHONE": 1}}
    assert "line 2: not JSON" in jsonl.stderr
    assert "line 3: 'text' must be a string, got int" in jsonl.stderr
    assert "line 4: no 'text' field" in jsonl.stderr


def test_powertools_and_stdlib_logging() -> None:
    stream = io.StringIO()
    powertools = Logger(service="paths", stream=stream, logger_formatter=PiiRedactingFormatter())
    powertools.append_keys(ticket_text=TICKET)
    powertools.info(TICKET, extra={"body": TICKET, "parts": TICKET.split(". ")})
    try:
        raise ValueError(TICKET)
    except ValueError:
        powertools.exception("scoring failed")

    stdlib_stream = io.StringIO()
    handler = logging.StreamHandler(stdlib_stream)
    handler.addFilter(PiiRedactingFilter())
    stdlib = logging.getLogger("paths-stdlib")
    stdlib.addHandler(handler)
    stdlib.propagate = False
    try:
        stdlib.warning("ticket: %s", TICKET, extra={"body": TICKET})
        try:
            raise KeyError(TICKET)
        except KeyError:
            stdlib.exception("lookup failed")
    finally:
        stdlib.removeHandler(handler)
    _assert_no_raw_values(stream.getvalue(), stdlib_stream.getvalue())
    assert "[CARD]" in stream.getvalue()
    assert "[CARD]" in stdlib_stream.getvalue()


@pytest.fixture
def comprehend() -> Iterator[tuple[object, Stubber]]:
    client = boto3.client(
        "comprehend", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )  # dummy credentials: the stub answers
    with Stubber(client) as stubber:
        yield client, stubber


def test_comprehend_never_receives_raw_values(comprehend: tuple[object, Stubber]) -> None:
    client, stubber = comprehend
    sent: list[str] = []

    def capture(params: dict[str, object], **_: object) -> None:
        sent.append(str(params.get("Text", "")))

    client.meta.events.register_first("provide-client-params.comprehend.DetectPiiEntities", capture)  # type: ignore[attr-defined]
    stubber.add_response("detect_pii_entities", {"Entities": []}, {"Text": ANY, "LanguageCode": "en"})
    result = redact_with_comprehend(TICKET, ComprehendPiiRedactor(client), "en")
    assert len(sent) == 1
    _assert_no_raw_values(sent[0], result.text)


def _model_built() -> bool:
    return (default_model_dir() / "model.onnx").is_file()


@pytest.mark.skipif(not _model_built(), reason="the bundled model is not built yet (make model)")
def test_scorer_and_score_jsonl(caplog: pytest.LogCaptureFixture) -> None:
    from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer

    with caplog.at_level(logging.DEBUG):
        scorer = OnnxSentimentScorer()
        results = scorer.score([redact(TICKET).text, TICKET])
        scored = runner.invoke(app, ["score", "--jsonl"], input=json.dumps({"id": "t1", "text": TICKET}) + "\n")
    assert scored.exit_code == 0
    _assert_no_raw_values(*(r.model_dump_json() for r in results), scored.stdout, scored.stderr, caplog.text)
