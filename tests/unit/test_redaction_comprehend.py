"""The Comprehend second pass: chunking, offset mapping, and that raw values never reach the API.

The boto3 client is real but stubbed with botocore's Stubber, so no request leaves the process.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from ticket_sentiment.redaction import redact
from ticket_sentiment.redaction.comprehend import MAX_BYTES, ComprehendPiiRedactor, redact_with_comprehend, utf8_chunks


@pytest.fixture
def client() -> Iterator[tuple[object, Stubber]]:
    comprehend = boto3.client(
        "comprehend", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )  # dummy credentials: the stub answers
    with Stubber(comprehend) as stubber:
        yield comprehend, stubber
        stubber.assert_no_pending_responses()


def _entity(text: str, value: str, kind: str, score: float = 0.99) -> dict[str, object]:
    start = text.index(value)
    return {"Score": score, "Type": kind, "BeginOffset": start, "EndOffset": start + len(value)}


def test_local_pass_runs_first_and_comprehend_adds_names_in_running_text(client: tuple[object, Stubber]) -> None:
    comprehend, stubber = client
    # Written in lower case: a name the local pass (gazetteer and cues need a capital) leaves to Comprehend.
    raw = "I spoke with karen miller yesterday, mail me at anna@example.com or call +44 20 7946 0958."
    sent = redact(raw).text  # what Comprehend must receive: the local pass's output
    assert "anna@example.com" not in sent
    assert "7946" not in sent
    stubber.add_response(
        "detect_pii_entities",
        {"Entities": [_entity(sent, "karen miller", "NAME"), _entity(sent, "yesterday", "DATE_TIME")]},
        {"Text": sent, "LanguageCode": "en"},
    )
    result = redact_with_comprehend(raw, ComprehendPiiRedactor(comprehend), "en")
    assert result.text == "I spoke with [NAME] yesterday, mail me at [EMAIL] or call [PHONE]."
    assert result.entities == {"EMAIL": 1, "NAME": 1, "PHONE": 1}


def test_spanish_is_sent_other_languages_are_not(client: tuple[object, Stubber]) -> None:
    comprehend, stubber = client
    text = "Hablé con lucía fernández ayer."
    stubber.add_response(
        "detect_pii_entities",
        {"Entities": [_entity(text, "lucía fernández", "NAME")]},
        {"Text": text, "LanguageCode": "es"},
    )
    redactor = ComprehendPiiRedactor(comprehend)
    assert redact_with_comprehend(text, redactor, "es").text == "Hablé con [NAME] ayer."
    # German is not supported by DetectPiiEntities: no call at all (the stubber would fail on one).
    assert redact_with_comprehend("Ich sprach mit jürgen.", redactor, "de").text == "Ich sprach mit jürgen."


def test_low_scores_dates_and_harmless_urls_are_ignored(client: tuple[object, Stubber]) -> None:
    comprehend, stubber = client
    text = "Maybe Paris on 2026-03-02, see https://example.com/help/export."
    stubber.add_response(
        "detect_pii_entities",
        {
            "Entities": [
                _entity(text, "Paris", "NAME", score=0.4),
                _entity(text, "2026-03-02", "DATE_TIME"),
                _entity(text, "https://example.com/help/export", "URL"),
            ]
        },
        {"Text": text, "LanguageCode": "en"},
    )
    assert ComprehendPiiRedactor(comprehend).redact(redact(text), "en").text == text


def test_spans_are_trimmed_off_earlier_placeholders(client: tuple[object, Stubber]) -> None:
    comprehend, stubber = client
    local = redact("Regards,\nAnna\nBob Lee")
    assert local.text == "Regards,\n[NAME]\nBob Lee"
    stubber.add_response(
        "detect_pii_entities",
        {"Entities": [_entity(local.text, "[NAME]\nBob Lee", "NAME")]},
        {"Text": local.text, "LanguageCode": "en"},
    )
    result = ComprehendPiiRedactor(comprehend).redact(local, "en")
    assert result.text == "Regards,\n[NAME]\n[NAME]"
    assert result.entities["NAME"] == local.entities["NAME"] + 1


def test_api_errors_keep_the_local_result(client: tuple[object, Stubber]) -> None:
    comprehend, stubber = client
    stubber.add_client_error("detect_pii_entities", service_error_code="ThrottlingException", http_status_code=400)
    redactor = ComprehendPiiRedactor(comprehend, attempts=1)  # one error queued: no retry (they are tested apart)
    result = redact_with_comprehend("mail anna@example.com, ask karen", redactor, "en")
    assert result.text == "mail [EMAIL], ask karen"


def test_long_text_is_chunked_and_offsets_map_back(client: tuple[object, Stubber]) -> None:
    comprehend, stubber = client
    filler = "Der Zugang klappt nicht, bitte prüfen. 😀 データ "  # multi-byte characters on purpose
    text = filler * 3000 + "I spoke with karen miller. " + filler * 600
    assert len(text.encode("utf-8")) > MAX_BYTES
    redactor = ComprehendPiiRedactor(comprehend)
    chunks = list(utf8_chunks(text, redactor.max_bytes, redactor.overlap))
    assert len(chunks) == 2
    for offset, chunk in chunks:
        entities = (
            [
                {
                    "Score": 0.99,
                    "Type": "NAME",
                    "BeginOffset": chunk.index("karen miller"),
                    "EndOffset": chunk.index("karen miller") + len("karen miller"),
                }
            ]
            if "karen" in chunk
            else []
        )
        stubber.add_response("detect_pii_entities", {"Entities": entities}, {"Text": chunk, "LanguageCode": "en"})
        assert text[offset : offset + len(chunk)] == chunk
    result = redactor.redact(redact(text), "en")
    assert "karen miller" not in result.text
    assert "I spoke with [NAME]. " in result.text
    assert result.entities == {"NAME": 1}


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1000,
        "é" * 999,
        "😀" * 700 + "x",
        ("word " * 50 + "データ\n") * 30,
        "日本語のテキスト" * 300,
    ],
)
def test_chunks_respect_the_byte_limit_and_character_boundaries(text: str) -> None:
    max_bytes, overlap = 256, 16
    chunks = list(utf8_chunks(text, max_bytes, overlap))
    covered = 0
    for offset, chunk in chunks:
        assert 0 < len(chunk.encode("utf-8")) <= max_bytes
        assert text[offset : offset + len(chunk)] == chunk
        assert offset <= covered  # no gap
        if covered:
            assert covered - offset <= overlap + max_bytes  # overlap, not restart
        covered = offset + len(chunk)
    assert covered == len(text)


def test_chunk_overlap_must_leave_room() -> None:
    with pytest.raises(ValueError, match="overlap"):
        list(utf8_chunks("text", max_bytes=100, overlap=50))
