"""The Comprehend DetectPiiEntities second pass through the score path (handlers.score.process_batch over a
ScoringService), with a real boto3 Comprehend client answered by botocore's Stubber: no request leaves the process,
and the Stubber checks every request's exact parameters.

What is held: the stub is sent only the locally redacted text (ingest's protect_event, then the scorer's pass),
never a raw value; the entities it returns are masked in what is stored and alerted, and counted; throttling is
retried with backoff; a pass that keeps failing loses nothing (the message is stored with the local redaction)
and counts PiiSecondPassFailed; with the flag off no client is built and no request is made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from ticket_sentiment import metric_names as names
from ticket_sentiment.events import TicketEvent
from ticket_sentiment.handlers import score, score_wiring
from ticket_sentiment.handlers.observability import metrics
from ticket_sentiment.pipeline.protection import protect_event
from ticket_sentiment.pipeline.rules import RuleConfig
from ticket_sentiment.pipeline.service import ScoringService
from ticket_sentiment.redaction.comprehend import FIELD_SEPARATOR

from .pipeline_fakes import T0, FakePublisher, FakeStore, KeywordScorer, event_payload, ref, sqs_event

# Lower case: the local pass (gazetteer and cues want a capital) leaves these names to Comprehend.
RAW = (
    "I spoke to karen miller twice and she did nothing. Mail me at anna.kowalski@example.com or call "
    "+44 20 7946 0958. This is unacceptable."
)
SUBJECT = "complaint about karen miller"
EVERY_ALERT = RuleConfig.model_validate({"cooldown_minutes": 0, "rules": [{"name": "any", "max_score": 1.0}]})


@pytest.fixture
def comprehend() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "comprehend", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )  # dummy credentials: the stub answers
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture(autouse=True)
def _emf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()


def _queued_body() -> str:
    event = TicketEvent.model_validate(event_payload(text=RAW, subject=SUBJECT, tags=[], ticket_url=None))
    return protect_event(event, T0).model_dump_json()


def _sent() -> str:
    """What the second pass must be sent: the scorer's locally redacted text and subject, nothing raw."""
    probe = ScoringService(FakeStore(), FakePublisher(), KeywordScorer(), EVERY_ALERT)
    from ticket_sentiment.events import QueuedEvent

    cleaned = probe.clean(QueuedEvent.model_validate_json(_queued_body()))
    return cleaned.text + FIELD_SEPARATOR + cleaned.subject


def _names(sent: str) -> list[dict[str, Any]]:
    found = []
    for start in (sent.index("karen miller"), sent.rindex("karen miller")):
        found.append({"Score": 0.99, "Type": "NAME", "BeginOffset": start, "EndOffset": start + 12})
    return found


def _service(client: Any, store: FakeStore, publisher: FakePublisher) -> ScoringService:
    pii = score_wiring.pii_second_pass(client)
    pii.retrying.wait = lambda _: 0.001  # the backoff's schedule is tenacity's; the test only needs its retries
    return ScoringService(store, publisher, KeywordScorer(), EVERY_ALERT, pii_second_pass=pii)


def _emitted(capsys: pytest.CaptureFixture[str]) -> set[str]:
    metrics.flush_metrics()
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    return {m["Name"] for b in blobs for d in b["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


def test_comprehend_sees_only_locally_redacted_text_and_its_names_are_masked_before_storage(
    comprehend: tuple[Any, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    client, stubber = comprehend
    sent = _sent()
    assert "anna.kowalski" not in sent and "7946" not in sent and "[EMAIL]" in sent and "[PHONE]" in sent
    stubber.add_response("detect_pii_entities", {"Entities": _names(sent)}, {"Text": sent, "LanguageCode": "en"})
    store, publisher = FakeStore(), FakePublisher()
    response = score.process_batch(_service(client, store, publisher), sqs_event([_queued_body()]), None)
    assert response == {"batchItemFailures": []}
    [stored] = store.texts.values()
    assert "karen" not in stored.lower() and "miller" not in stored.lower()
    assert stored.startswith("I spoke to [NAME] twice") and "[EMAIL]" in stored and "[PHONE]" in stored
    [alert] = publisher.alerts
    assert alert.subject == "complaint about [NAME]"
    assert "karen" not in alert.model_dump_json().lower()
    view = store.tickets[ref("T-1", source="other").key].view
    assert view is not None
    assert view.subject == "complaint about [NAME]"
    emitted = _emitted(capsys)
    assert f"{names.PII_REDACTED}_NAME" in emitted  # the second pass's two names are counted with the rest
    assert names.PII_SECOND_PASS_FAILED not in emitted


def test_throttling_is_retried_and_the_retry_masks_the_names(comprehend: tuple[Any, Stubber]) -> None:
    client, stubber = comprehend
    sent = _sent()
    for code in ("ThrottlingException", "TooManyRequestsException"):
        stubber.add_client_error("detect_pii_entities", service_error_code=code, http_status_code=400)
    stubber.add_response("detect_pii_entities", {"Entities": _names(sent)}, {"Text": sent, "LanguageCode": "en"})
    store = FakeStore()
    score.process_batch(_service(client, store, FakePublisher()), sqs_event([_queued_body()]), None)
    [stored] = store.texts.values()
    assert "karen" not in stored.lower()


def test_a_pass_that_keeps_failing_keeps_the_message_with_the_local_redaction_and_counts_it(
    comprehend: tuple[Any, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    client, stubber = comprehend
    for _ in range(4):  # every attempt the redactor makes
        stubber.add_client_error("detect_pii_entities", service_error_code="ThrottlingException", http_status_code=400)
    store, publisher = FakeStore(), FakePublisher()
    response = score.process_batch(_service(client, store, publisher), sqs_event([_queued_body()]), None)
    assert response == {"batchItemFailures": []}  # not failed, not retried by SQS, not lost
    [stored] = store.texts.values()
    assert stored == _sent().split(FIELD_SEPARATOR)[0]  # the local result, as it would be without the pass
    assert "anna.kowalski" not in stored and "[EMAIL]" in stored
    assert len(publisher.alerts) == 1
    assert names.PII_SECOND_PASS_FAILED in _emitted(capsys)


def test_a_permanent_error_is_not_retried(comprehend: tuple[Any, Stubber], capsys: pytest.CaptureFixture[str]) -> None:
    client, stubber = comprehend
    stubber.add_client_error("detect_pii_entities", service_error_code="AccessDeniedException", http_status_code=403)
    store = FakeStore()
    score.process_batch(_service(client, store, FakePublisher()), sqs_event([_queued_body()]), None)
    assert len(store.texts) == 1  # one request (the Stubber has no second answer), and the message is kept
    assert names.PII_SECOND_PASS_FAILED in _emitted(capsys)


def test_languages_comprehend_cannot_read_are_not_sent(comprehend: tuple[Any, Stubber]) -> None:
    client, _ = comprehend  # no response queued: any request would fail the test
    event = TicketEvent.model_validate(
        event_payload(text="Ich habe mit karin gesprochen und nichts ist passiert. Das ist ärgerlich.", tags=[])
    )
    store = FakeStore()
    body = protect_event(event, T0).model_dump_json()
    score.process_batch(_service(client, store, FakePublisher()), sqs_event([body]), None)
    assert len(store.texts) == 1


def test_the_flag_builds_the_pass_and_its_absence_builds_none(monkeypatch: pytest.MonkeyPatch) -> None:
    from ticket_sentiment.redaction.comprehend import ComprehendPiiRedactor
    from ticket_sentiment.settings import ScoreSettings

    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("ALERTS_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:a")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # the client is built, never called
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("PII_SECOND_PASS", raising=False)
    assert score_wiring.configured_pii_pass(ScoreSettings.from_env()) is None
    monkeypatch.setenv("PII_SECOND_PASS", "comprehend")
    assert isinstance(score_wiring.configured_pii_pass(ScoreSettings.from_env()), ComprehendPiiRedactor)
    monkeypatch.setenv("PII_SECOND_PASS", "comprehnd")  # a typo is refused, not taken as off
    with pytest.raises(ValueError, match="PII_SECOND_PASS"):
        ScoreSettings.from_env()


def test_the_customers_own_words_stored_apart_from_the_models_text_are_masked_too(
    comprehend: tuple[Any, Stubber],
) -> None:
    """With an emoji the stored and shown text (the customer's words) differs from the model's; the pass must
    cover it, or a name only Comprehend finds would reach the table and Slack through it."""
    import re

    from ticket_sentiment.events import QueuedEvent

    client, stubber = comprehend
    event = TicketEvent.model_validate(event_payload(text=RAW + " 😡", subject=SUBJECT, tags=[], ticket_url=None))
    body = protect_event(event, T0).model_dump_json()
    cleaned = ScoringService(FakeStore(), FakePublisher(), KeywordScorer(), EVERY_ALERT).clean(
        QueuedEvent.model_validate_json(body)
    )
    assert cleaned.display != cleaned.text and "😡" in cleaned.display
    sent = FIELD_SEPARATOR.join([cleaned.text, cleaned.subject, cleaned.display])
    entities = [
        {"Score": 0.99, "Type": "NAME", "BeginOffset": m.start(), "EndOffset": m.end()}
        for m in re.finditer("karen miller", sent)
    ]
    stubber.add_response("detect_pii_entities", {"Entities": entities}, {"Text": sent, "LanguageCode": "en"})
    store, publisher = FakeStore(), FakePublisher()
    score.process_batch(_service(client, store, publisher), sqs_event([body]), None)
    [stored] = store.texts.values()
    assert "😡" in stored
    assert "karen" not in stored.lower()
    [alert] = publisher.alerts
    assert "karen" not in alert.excerpt.lower()
