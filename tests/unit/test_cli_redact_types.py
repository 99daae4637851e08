"""`redact --types` masks only the chosen types but detects every type, so a value of another type is never
partly masked; `--allow` keeps a value only when the pattern matches all of it."""

from __future__ import annotations

import json
import re

from ticket_sentiment.redaction import EntityType, RedactionConfig, redact, redact_lines
from ticket_sentiment_tools.cli import app
from typer.testing import CliRunner

runner = CliRunner()
IBAN = "DE89 3704 0044 0532 0130 00"
TEXT = f"Refund to IBAN {IBAN} or call +44 20 7946 0958, mail anna@example.com"


def test_types_email_phone_leave_an_iban_whole_instead_of_masking_its_tail_as_a_phone() -> None:
    result = runner.invoke(app, ["redact", "--json", "--types", "EMAIL,PHONE", TEXT])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert IBAN in record["text"]  # whole: not "DE89 3704 0044 [PHONE]"
    assert record["text"].count("[PHONE]") == 1 and "[EMAIL]" in record["text"]
    assert record["entities"] == {"EMAIL": 1, "PHONE": 1}


def test_chosen_types_mask_as_all_types_do_and_the_lined_redaction_agrees() -> None:
    chosen = RedactionConfig(entities=frozenset({EntityType.EMAIL, EntityType.PHONE}))
    assert redact(TEXT).text == "Refund to IBAN [IBAN] or call [PHONE], mail [EMAIL]"
    assert redact(TEXT, chosen).text == f"Refund to IBAN {IBAN} or call [PHONE], mail [EMAIL]"
    assert redact_lines(TEXT.replace(" or ", "\nor "), chosen).text.replace("\n", " ") == redact(TEXT, chosen).text
    iban_only = RedactionConfig(entities=frozenset({EntityType.IBAN}))
    assert redact(TEXT, iban_only).text == "Refund to IBAN [IBAN] or call +44 20 7946 0958, mail anna@example.com"


def test_allow_is_a_full_match_of_the_detected_value() -> None:
    partial = runner.invoke(app, ["redact", "--json", "--allow", r"example\.com", "mail anna@example.com"])
    full = runner.invoke(app, ["redact", "--json", "--allow", r".*@example\.com", "mail anna@example.com"])
    assert json.loads(partial.stdout)["text"] == "mail [EMAIL]"
    assert json.loads(full.stdout)["text"] == "mail anna@example.com"
    help_text = runner.invoke(app, ["redact", "--help"]).stdout
    words = " ".join(re.sub(r"[│╭╮╰╯─]", " ", help_text).split())  # rich's help box, unwrapped
    assert "matches all of it, not part of it" in words
