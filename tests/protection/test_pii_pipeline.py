"""A corpus of tickets full of personal data through the whole local pipeline, and every output searched.

HTTP ingest -> SQS -> score (redact, language, ONNX or Comprehend) -> DynamoDB -> SNS -> notify -> Slack, on moto,
with every alert firing (one rule that matches any score). Captured: all log output (the Powertools handler's
stream and a root stdlib handler), every DynamoDB item (a scan), every AWS call's parameters and responses
(SQS, SNS, DynamoDB, Secrets Manager), SNS deliveries, every Slack payload, every Comprehend request, the EMF
metric lines (their dimensions) and the query API's answers. None of the raw values may appear in any of them
(case-insensitive; cards and phones also as digits only): a ticket's value is looked for in the records that are
that ticket's, and in other tickets' records that did not post it themselves (sinks.py).

That includes the events queue between ingest and score: ingest prepares and redacts each event before it
sends it (pipeline.protection), so every message body sent to and received from it is searched like the rest.
The posted events themselves are searched too, as the control: the raw values must be found there.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.comprehend import ComprehendScorer
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment.handlers.observability import logger
from ticket_sentiment.pipeline.routing import RoutingScorer, ScorerMode
from ticket_sentiment.pipeline.rules import RuleConfig
from ticket_sentiment.redaction.comprehend import ComprehendPiiRedactor
from ticket_sentiment_tools.local_stack import LocalRuntime, LocalStack, http

from tests.integration.slack_sink import SlackSink
from tests.unit.pipeline_fakes import FIXTURE_WINDOW

from .corpus import Ticket, build_corpus
from .helpdesk_formats import Delivery, Helpdesks
from .recorder import Call, recording
from .sinks import Attribution, Record, search

POSTED = "posted events (raw: the control)"
# A long run shares two cores with whatever else runs: a request may wait well past a live caller's patience.
HTTP_TIMEOUT = 300
EVERY_ALERT = RuleConfig.model_validate({"cooldown_minutes": 0, "rules": [{"name": "any", "max_score": 1.0}]})


class RecordingComprehend:
    """Stands in for the Comprehend client and keeps every request it is sent."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def batch_detect_sentiment(self, TextList: list[str], LanguageCode: str) -> dict[str, Any]:  # noqa: N803
        self.requests.append(
            {"operation": "BatchDetectSentiment", "TextList": list(TextList), "LanguageCode": LanguageCode}
        )
        score = {"Positive": 0.05, "Negative": 0.9, "Neutral": 0.05, "Mixed": 0.0}
        return {
            "ResultList": [
                {"Index": i, "Sentiment": "NEGATIVE", "SentimentScore": score} for i in range(len(TextList))
            ],
            "ErrorList": [],
        }

    def detect_pii_entities(self, Text: str, LanguageCode: str) -> dict[str, Any]:  # noqa: N803
        self.requests.append({"operation": "DetectPiiEntities", "Text": Text, "LanguageCode": LanguageCode})
        return {"Entities": []}


@dataclass
class Captured:
    """Every sink's output as records attributed to their tickets (sinks.py), what was posted per ticket, counts."""

    sinks: dict[str, list[Record]] = field(default_factory=dict)
    posted: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def captured_logs() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    powertools, stdlib = io.StringIO(), io.StringIO()
    handler = logger.registered_handler
    previous_stream = handler.stream if isinstance(handler, logging.StreamHandler) else None
    previous_level = logger.log_level
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(powertools)
    logger.setLevel("DEBUG")  # the most a misconfigured function could write
    root_handler = logging.StreamHandler(stdlib)
    root_handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(root_handler)
    old_root_level = root.level
    root.setLevel(logging.INFO)
    try:
        yield powertools, stdlib
    finally:
        root.removeHandler(root_handler)
        root.setLevel(old_root_level)
        logger.setLevel(previous_level)
        if isinstance(handler, logging.StreamHandler) and previous_stream is not None:
            handler.setStream(previous_stream)


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _post(url: str, delivery: Delivery) -> tuple[int, str]:
    """POST as the caller sends it; the answer as text (Salesforce's is a SOAP acknowledgement, not JSON)."""
    headers = {"Content-Type": "application/json", **delivery.headers}
    request = urllib.request.Request(url, data=delivery.body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()


def canonical(runtime: LocalRuntime, ticket: Ticket) -> Delivery:
    """The ticket's event as POST /v1/events takes it."""
    return Delivery("/v1/events", _dump(ticket.event).encode(), runtime.key("ingest"), ticket.ticket_id)


def run_corpus(
    endpoint: str,
    scorer: OnnxSentimentScorer,
    tickets: list[Ticket],
    logs: tuple[io.StringIO, io.StringIO],
    prefix: str,
    *,
    send: Callable[[LocalRuntime, Ticket], Delivery] = canonical,
    helpdesks: Helpdesks | None = None,
) -> Captured:
    """Every ticket posted as `send` makes it (the canonical event by default; a helpdesk's signed webhook with
    `helpdesks`, whose secrets are configured first), drained, read back; every sink captured. The Comprehend
    DetectPiiEntities second pass is on, its requests recorded with the sentiment ones."""
    stack = LocalStack(endpoint, prefix=prefix)
    stack.provision()
    if helpdesks is not None:
        helpdesks.configure(stack)
    comprehend = RecordingComprehend()
    routing = RoutingScorer(ScorerMode.AUTO, lambda: scorer, lambda: ComprehendScorer(comprehend))
    sink = SlackSink()
    runtime = LocalRuntime(
        stack, routing, EVERY_ALERT, sink.url, window=FIXTURE_WINDOW, pii_second_pass=ComprehendPiiRedactor(comprehend)
    )
    answers: list[tuple[str, Any]] = []  # (ticket id, answer)
    posted: dict[str, str] = {}  # ticket id -> the event and the request it was posted as
    metrics = io.StringIO()  # Powertools prints its EMF metric lines (dimensions included) to stdout
    try:
        with recording() as recorder, contextlib.redirect_stdout(metrics):
            stored_as: list[tuple[Ticket, str, str]] = []
            for ticket in tickets:
                delivery = send(runtime, ticket)
                posted[ticket.ticket_id] = _dump(ticket.event) + "\n" + delivery.body.decode()
                status, body = _post(runtime.url + delivery.path, delivery)
                assert status == (200 if "/salesforce" in delivery.path else 202), (ticket.ticket_id, body)
                answers.append((ticket.ticket_id, body))
                stored_as.append((ticket, delivery.ticket_id, delivery.source))
            runtime.drain(rounds=10 + len(tickets) // 5)
            for ticket, ticket_id, source in stored_as:
                status, body = http(
                    "GET",
                    f"{runtime.url}/v1/tickets/{urllib.parse.quote(ticket_id)}?source={source}",
                    headers=runtime.key("read"),
                    timeout=HTTP_TIMEOUT,
                )
                assert status == 200, (ticket_id, body)
                answers.append((ticket.ticket_id, body))
            items = stack.client("dynamodb").get_paginator("scan").paginate(TableName=stack.res.table_name)
            table = [item for page in items for item in page["Items"]]
    finally:
        runtime.close()
        sink.close()
    outcomes = runtime.processor.outcomes
    assert outcomes["scored"] == len(tickets)
    assert runtime.dlq_count() == 0
    assert len(sink.received) == outcomes["alert_published"] > 0
    events_queue = stack.res.events_queue_url
    transport, events = _split_events_queue(recorder.calls, events_queue)
    powertools, stdlib = logs
    marks = {t.ticket_id: {ticket_id, *_event_ids(answers, t.ticket_id)} for t, ticket_id, _ in stored_as}
    whose = Attribution(marks, posted)
    sinks = {
        "logs (Powertools)": whose.each(powertools.getvalue().splitlines()),
        "logs (stdlib)": whose.each(stdlib.getvalue().splitlines()),
        "metrics (EMF on stdout)": whose.each(metrics.getvalue().splitlines()),
        "DynamoDB items": whose.each(table),
        "AWS calls (SQS/SNS/DynamoDB/Secrets Manager, events queue aside)": whose.each(transport),
        "SNS publishes": whose.each([c.params for c in recorder.calls if c.action == "sns:Publish"]),
        "Slack payloads": whose.each(sink.received),
        "Comprehend requests": whose.each(comprehend.requests),
        "API answers": [r for tid, answer in answers for r in whose.owned(tid, answer)],
        "events queue (SQS sends and receives)": whose.each(events),
        POSTED: [r for t in tickets for r in whose.owned(t.ticket_id, posted[t.ticket_id])],
    }
    counts = {
        "tickets": len(tickets),
        "DynamoDB items": len(table),
        "AWS calls": len(recorder.calls),
        "SQS messages sent": sum(1 for c in recorder.calls if c.action == "sqs:SendMessage"),
        "SNS publishes": sum(1 for c in recorder.calls if c.action == "sns:Publish"),
        "Slack payloads": len(sink.received),
        "Comprehend requests": len(comprehend.requests),
        "Comprehend texts": sum(len(r.get("TextList", [])) for r in comprehend.requests),
        "log bytes": len(powertools.getvalue()) + len(stdlib.getvalue()),
        "metric lines": len(metrics.getvalue().splitlines()),
        "records searched": sum(len(records) for records in sinks.values()),
        "records of every ticket (unattributed)": sum(
            1 for records in sinks.values() for r in records if len(r.owners) > 1 and r.owners == whose.everyone
        ),
    }
    assert counts["Comprehend requests"] > 0  # the Spanish tickets went the Comprehend way
    assert counts["log bytes"] > 0
    assert counts["metric lines"] > 0  # the metrics were captured: they are searched like the logs
    # The attribution works on the real output: each alert (SNS publish, Slack post) is one ticket's record.
    for name, sent in (("SNS publishes", counts["SNS publishes"]), ("Slack payloads", len(sink.received))):
        assert [len(r.owners) for r in sinks[name]] == [1] * sent, name
    tear_down(stack)
    return Captured(sinks, posted, counts)


def _event_ids(answers: list[tuple[str, Any]], ticket_id: str) -> list[str]:
    """The event ids the API accepted the ticket's post under (Salesforce answers with a SOAP ack: none)."""
    ids: list[str] = []
    for tid, body in answers:
        if tid == ticket_id and isinstance(body, str) and body.startswith("{"):
            accepted = json.loads(body).get("accepted", [])
            ids += [a for a in accepted if isinstance(a, str)]
    return ids


def tear_down(stack: LocalStack) -> None:
    """Delete the run's table, queues, topic and secrets from the session's moto server, so the next run's calls
    do not pay for them (moto's TransactWriteItems deep-copies every table it writes to, per call)."""
    res = stack.res
    stack.client("dynamodb").delete_table(TableName=res.table_name)
    sqs = stack.client("sqs")
    for url in (res.events_queue_url, res.events_dlq_url, res.alerts_delivery_url, res.notify_dlq_url):
        sqs.delete_queue(QueueUrl=url)
    stack.client("sns").delete_topic(TopicArn=res.alerts_topic_arn)
    manager = stack.client("secretsmanager")
    names = [res.slack_secret_arn]
    if stack.helpdesk_secret_prefix:
        listed = manager.list_secrets(Filters=[{"Key": "name", "Values": [stack.helpdesk_secret_prefix]}])
        names += [secret["ARN"] for secret in listed["SecretList"]]
    for name in names:
        manager.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


@dataclass
class Found:
    """What a run in chunks keeps of each chunk once it is searched: the raw values found per sink, and counts."""

    hits: dict[str, set[str]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, hits: dict[str, list[str]], counts: dict[str, int]) -> None:
        for sink, found in hits.items():
            self.hits.setdefault(sink, set()).update(found)
        self.counts.update(counts)


CHUNK = 100  # tickets per stack: moto's cost per transactional write grows with the table (see tear_down)


def run_in_chunks(
    endpoint: str,
    scorer: OnnxSentimentScorer,
    tickets: list[Ticket],
    logs: tuple[io.StringIO, io.StringIO],
    prefix: str,
    *,
    send: Callable[[LocalRuntime, Ticket], Delivery] = canonical,
    helpdesks: Helpdesks | None = None,
    size: int = CHUNK,
) -> Found:
    """`run_corpus` over consecutive chunks of `tickets`, each on a fresh stack torn down after it; each chunk's
    sinks (its logs included) are searched for its own tickets' raw values once it is drained (each value where
    its own ticket's records hold it, or another's that did not post it: sinks.py), then let go, so memory and the
    cost per ticket stay flat however long the run."""
    found = Found()
    chunks = -(-len(tickets) // size)
    for n in range(chunks):
        part = tickets[n * len(tickets) // chunks : (n + 1) * len(tickets) // chunks]
        captured = run_corpus(endpoint, scorer, part, logs, f"{prefix}-{n}", send=send, helpdesks=helpdesks)
        found.add(search(part, captured.sinks, captured.posted), captured.counts)
        for stream in logs:  # searched: the next chunk's logs start empty
            stream.seek(0)
            stream.truncate()
        _progress(prefix, n + 1, chunks, found)
    return found


def _progress(prefix: str, done: int, chunks: int, found: Found) -> None:
    """With PROTECTION_FIGURES set, a line per chunk in <it>.<prefix>.progress: how far a long run got, and the
    values found in each sink so far (a run stopped before its end still tells what it saw)."""
    out = os.environ.get("PROTECTION_FIGURES")
    if out:
        hits = {sink: sorted(found)[:5] for sink, found in found.hits.items() if found and sink != POSTED}
        with open(f"{out}.{prefix}.progress", "a", encoding="utf-8") as handle:
            at = datetime.now(UTC).strftime("%H:%M:%S")
            line = {"chunk": f"{done}/{chunks}", "at": at, "tickets": found.counts["tickets"], "found": hits}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def _split_events_queue(calls: list[Call], events_queue: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    transport: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for call in calls:
        record = {"action": call.action, "params": call.params, "response": call.response}
        (events if call.params.get("QueueUrl") == events_queue else transport).append(record)
    return transport, events


@pytest.mark.parametrize(
    "written",
    [
        json.dumps({"text": "Best regards,\nAnna Kowalski"}),  # after a line break JSON writes as \n
        json.dumps({"tags": ["Anna_Kowalski"]}),  # as a Zendesk tag
        json.dumps({"text": "card\u00a04111111111111111"}),  # digits after an escaped no-break space
        "ANNA KOWALSKI called",
    ],
)
def test_the_search_finds_a_raw_value_wherever_a_sink_writes_it(written: str) -> None:
    ticket = Ticket("t", {}, ["Anna Kowalski"], ["4111111111111111"])
    assert search([ticket], {"sink": written})["sink"]


def test_the_search_finds_no_value_that_is_only_part_of_other_words() -> None:
    ticket = Ticket("t", {}, ["Anna Kowalski"], ["4111111111111111"])
    assert search([ticket], {"sink": json.dumps({"text": "Annabel Kowalskian 94111111111111111"})})["sink"] == []


def check(tickets: list[Ticket], captured: Captured) -> dict[str, Any]:
    hits = search(tickets, captured.sinks, captured.posted)
    control = hits.pop(POSTED)
    figures = {
        **captured.counts,
        "values searched": sum(len(t.values) + len(t.digit_forms) for t in tickets),
        "hits": {k: len(v) for k, v in hits.items()},
        "control hits (posted events)": len(control),
    }
    out = os.environ.get("PROTECTION_FIGURES")
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
    leaked = {k: sorted(set(v))[:5] for k, v in hits.items() if v}
    assert not leaked, f"raw personal data found: {leaked}"
    assert len(control) >= len(tickets)  # the search works: it finds the raw values where they are
    return figures


def test_25_pii_tickets_leave_no_raw_value_anywhere(
    moto_endpoint: str, scorer: OnnxSentimentScorer, captured_logs: tuple[io.StringIO, io.StringIO]
) -> None:
    tickets = build_corpus(25)
    check(tickets, run_corpus(moto_endpoint, scorer, tickets, captured_logs, "pii25"))


@pytest.mark.reliability_long
def test_1000_pii_tickets_leave_no_raw_value_anywhere(
    moto_endpoint: str, scorer: OnnxSentimentScorer, captured_logs: tuple[io.StringIO, io.StringIO]
) -> None:
    tickets = build_corpus(1000, seed=1000)
    check(tickets, run_corpus(moto_endpoint, scorer, tickets, captured_logs, "pii1000"))
