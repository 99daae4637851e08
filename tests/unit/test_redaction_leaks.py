"""The hostile review's leaks (issue 15), each replayed through what ingest queues and the scorer stores.

Every case goes through protect_event (ingest) and clean_for_scoring (the scorer's text: what DynamoDB, SNS,
Slack and the model get), not only through redact(): the leaks were in the preparation around it.
"""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from ticket_sentiment.events import TicketEvent
from ticket_sentiment.pipeline.protection import (
    clean_for_scoring,
    clean_label,
    metric_area,
    metric_areas_from,
    protect_event,
)
from ticket_sentiment.redaction import redact, redact_lines
from ticket_sentiment.textprep import clean_field, html_to_text, prepare_ticket_text

from .pipeline_fakes import T0, event_payload


def stored(text: str | None = None, *, html: str | None = None, subject: str = "", **fields: object) -> str:
    """Everything a protected event carries once scored: the queued event and the scorer's text and subject."""
    payload = event_payload(text=text, html=html, subject=subject, **fields)
    queued = protect_event(TicketEvent.model_validate(payload), T0)
    clean = clean_for_scoring(queued)
    return json.dumps([queued.model_dump(mode="json"), clean.text, clean.subject], ensure_ascii=False)


def digits_of(blob: str) -> str:
    return "".join(c for c in blob if c.isdigit())


# --- leak 2: values split across lines or inline tags --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "is_html"),
    [
        ("4111\n1111\n1111\n1111", False),
        ("my card is 4111\n1111 1111\n1111 thanks", False),
        ("<p>my card is 4111 <b>1111</b> 1111 1111</p>", True),
        ("<div>card <span>4111</span><span> 1111</span> <i>1111</i> <em>1111</em></div>", True),
    ],
)
def test_a_card_split_across_lines_or_inline_tags_is_not_stored(body: str, is_html: bool) -> None:
    blob = stored(html=body) if is_html else stored(body)
    assert "4111111111111111" not in digits_of(blob)
    assert "[CARD]" in blob


def test_a_name_and_birth_date_in_inline_tags_are_not_stored() -> None:
    blob = stored(html="<p>My name is <b>Maria Gonzalez</b>, date of birth <b>14/03/1985</b></p>")
    assert "Maria" not in blob
    assert "Gonzalez" not in blob
    assert "14/03/1985" not in blob


def test_html_keeps_inline_elements_inline_and_breaks_on_blocks() -> None:
    lines = html_to_text("<p>my card is 4111 <b>1111</b> 1111</p><p>next</p>").split("\n")
    assert [line for line in lines if line] == ["my card is 4111 1111 1111", "next"]
    assert prepare_ticket_text("<div>a<br>b</div><ul><li>x</li><li>y</li></ul>", keep_lines=True) == "a\nb\nx\ny"


def test_redact_lines_finds_values_in_the_lines_and_in_the_joined_text() -> None:
    result = redact_lines("Regards,\nAnna\ncall +44 20\n7946 0958")
    assert result.text == "Regards,\n[NAME]\ncall [PHONE]"
    assert redact_lines(result.text).text == result.text  # idempotent


# --- leak 3: subjects, tags, product areas and ids ----------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "card 4111\u00a01111\u00a01111\u00a01111",
        "card 4111\u200b1111\u200b1111\u200b1111",
        "card 4111\u00ad1111\u2060 1111 1111",
        "mail anna.kowalski\uff20example.com",
        "mail anna.kowalski@example\u200b.com",
    ],
)
def test_a_subject_is_cleaned_like_the_body_before_redaction(subject: str) -> None:
    blob = stored("the body", subject=subject)
    assert "4111111111111111" not in digits_of(blob)
    assert "kowalski" not in blob.lower()


def test_tags_and_product_areas_holding_personal_data_or_a_name_are_dropped() -> None:
    payload = event_payload(
        text="hello",
        tags=["refund", "anna\uff20example.com", "4111\u00a01111\u00a01111\u00a01111", "maria gonzalez"],
        product_area="maria gonzalez",
    )
    queued = protect_event(TicketEvent.model_validate(payload), T0)
    assert queued.event.tags == ["refund"]
    assert queued.event.product_area is None
    assert clean_label("Billing") == "Billing"
    assert clean_label("mobile\u00a0 app") == "mobile app"


def test_metric_dimensions_come_from_a_closed_configured_set_only() -> None:
    assert metric_area("Billing") == "billing"
    assert metric_area(None) == "none"
    assert metric_area("maria gonzalez") == "other"
    assert metric_area("Premium Support") == "other"
    allowed = metric_areas_from("Premium Support, billing")
    assert metric_area("premium\u00a0support", allowed) == "premium support"
    assert metric_area("login", allowed) == "other"
    assert metric_areas_from("") == metric_areas_from(None) != allowed


def test_clean_field_normalises_invisible_characters_and_unicode_digits() -> None:
    assert clean_field(" a\u200bb\u00adc\x00d\u00a0 \u3000e\n f ") == "abcd e f"
    assert clean_field("\u0664\u0661\u0661\u0661 \uff11\uff12") == "4111 12"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ticket_id", "maria.gonzalez@gmail.com"),
        ("message_id", "anna+x@example.org"),
        ("ticket_id", "4111111111111111"),
        ("ticket_id", "+442079460958"),
    ],
)
def test_an_identifier_holding_personal_data_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TicketEvent.model_validate(event_payload(text="hello", **{field: value}))
    [error] = caught.value.errors(include_input=False)
    assert error["loc"] == (field,)
    assert "personal data" in error["msg"]
    assert value not in str(error["msg"])


@pytest.mark.parametrize("value", ["ZD-48213", "00001026", "500Dn00000ABCDe", "m-1", "thread/123#4", "1234567"])
def test_ordinary_helpdesk_ids_are_accepted(value: str) -> None:
    assert TicketEvent.model_validate(event_payload(text="hello", ticket_id=value)).ticket_id == value


# --- leak 6: signatures -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Still broken.\n\n-- \nMaria Lopez\nHead of Ops\n+1 415 555 0132",
        "Still broken.\n\nSent from my iPhone",
        "Still broken.\n\nBest regards,\nMaria Lopez\nHead of Ops\nAcme Ltd\nTel: +1 415 555 0132",
    ],
)
def test_signature_blocks_are_removed(body: str) -> None:
    blob = stored(body)
    for raw in ("Maria", "Lopez", "Head of Ops", "iPhone", "555 0132", "4155550132"):
        assert raw not in blob
    assert "Still broken." in blob


def test_hyphen_lists_are_content_not_a_signature() -> None:
    assert prepare_ticket_text("Steps:\n- open the app\n- tap pay\nIt fails.", keep_lines=True) == (
        "Steps:\n- open the app\n- tap pay\nIt fails."
    )


# --- leak 1: names in running prose and greetings in more languages ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("I spoke to Maria Gonzalez yesterday and nothing happened.", ["Maria", "Gonzalez"]),
        ("my husband Tom Becker ordered it last week", ["Tom", "Becker"]),
        ("your agent Priya closed my ticket without asking", ["Priya"]),
        ("Ms Okonkwo promised a refund.", ["Okonkwo"]),
        ("Dzień dobry Pani Anno,\nnie działa logowanie.", ["Anno"]),
        ("Merhaba Ayşe,\nuygulama çalışmıyor.", ["Ayşe"]),
        ("Здравствуйте, Ольга!\nНе работает оплата.", ["Ольга"]),
        ("Не работает.\nС уважением,\nИван Петров", ["Иван", "Петров"]),
    ],
)
def test_names_in_prose_and_greetings_are_redacted(text: str, names: list[str]) -> None:
    out = redact(text).text
    for name in names:
        assert name not in out, out
    assert "[NAME]" in out


@pytest.mark.parametrize(
    "text",
    [
        "Will you fix this today? Can I pay with Apple Pay instead?",
        "Dear Zendesk Team, the Chrome extension v2.3.4.5 broke after the update.",
        "Mark as read does not work on my Mac or in Outlook.",
        "Thanks, Apple Pay works again. Order 48213 cost $1,249.00 on 02/03/2026.",
        "The Galaxy app crashes when I open Google Drive.",
    ],
)
def test_product_names_and_sentence_openings_are_not_names(text: str) -> None:
    assert redact(text).text == text


# --- leak 4: card brands and formats, phone extensions -------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [
        "3530 1113 3330 0000",  # JCB
        "213100000000001",  # JCB, 15 digits
        "180000000000002",  # JCB, 15 digits
        "6759 6498 2643 8453",  # Maestro
        "501800000009",  # Maestro, 12 digits
        "6304 0000 0000 0000 018",  # Maestro, 19 digits
        "2200 0000 0000 0004",  # Mir
        "6521 0000 0000 0007",  # RuPay
        "9792 0000 0000 0003",  # Troy
        "6200 0000 0000 0005",  # UnionPay
        "5555 5555 5555 4444",  # Mastercard
        "2223 0000 4841 0010",  # Mastercard 2-series
        "3782 822463 10005",  # Amex
        "4111.1111.1111.1111",
        "4111/1111/1111/1111",
        "4111-1111 1111.1111",
    ],
)
def test_cards_of_every_scheme_and_separator_are_redacted(card: str) -> None:
    blob = stored(f"please refund card {card} today")
    assert card not in blob, blob
    assert "".join(c for c in card if c.isdigit()) not in digits_of(blob), blob
    assert "[CARD]" in blob


@pytest.mark.parametrize(
    "body",
    [
        "card 4111\x001111\x0011111111",
        "card 4111\u00ad1111\u00ad1111\u00ad1111",
        "card \u0664\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661",
        "card \u09ea\u09e7\u09e7\u09e7 \u09e7\u09e7\u09e7\u09e7 \u09e7\u09e7\u09e7\u09e7 \u09e7\u09e7\u09e7\u09e7",
        "card \uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11",
    ],
)
def test_cards_hidden_by_control_characters_or_other_digits_are_redacted(body: str) -> None:
    blob = stored(body)
    assert "[CARD]" in blob
    assert "1111" not in blob
    assert "\u0661" not in blob
    assert "\u09e7" not in blob


@pytest.mark.parametrize(
    ("body", "raw"),
    [
        ("call me on 415-555-0132 x204 after 5", "204"),
        ("call (216)476-5657x104 please", "104"),
        ("tel +44 20 7946 0958 ext. 12, thanks", "12"),
    ],
)
def test_phone_extensions_are_masked_with_the_number(body: str, raw: str) -> None:
    out = redact(body).text
    assert out.count("[PHONE]") == 1, out
    assert raw not in out.replace("[PHONE]", ""), out


# --- leak 5: e-mail obfuscations -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "raw"),
    [
        ("write to john dot doe at gmail dot com please", "john"),
        ("my mail is anna_b @ gmail.com", "anna"),
        ("reach me: x at gmail.com", "x at"),
        ("mail a.kowalski (at) firma-xyz.de", "kowalski"),
        ("contact jan punkt nowak at wp dot pl", "nowak"),
    ],
)
def test_obfuscated_email_addresses_are_redacted(body: str, raw: str) -> None:
    blob = stored(body)
    assert raw not in blob, blob
    assert "[EMAIL]" in blob, blob


@pytest.mark.parametrize(
    "text",
    [
        "I bought it at amazon.com and it broke at home.",
        "Order 123456789012 shipped, tracking 1Z999AA10123456784, SKU AB-1234-5678.",
        "Version 2.3.4.5 costs $1,249.00 since 02/03/2026, meeting at 12.05.2024 14:00.",
        "Serial 5018-2026-0001, invoice INV-2026-00042, build 6759.1.2.3.",
    ],
)
def test_hard_negatives_survive(text: str) -> None:
    assert redact(text).text == text
