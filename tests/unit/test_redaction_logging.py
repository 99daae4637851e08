"""Log redaction: the Powertools formatter and the stdlib filter mask whatever slips into a record."""

from __future__ import annotations

import io
import json
import logging

import pytest
from aws_lambda_powertools import Logger
from ticket_sentiment.redaction import RedactionConfig
from ticket_sentiment.redaction.log_filter import PiiRedactingFilter, PiiRedactingFormatter, redact_value

EMAIL, PHONE = "anna.k@example.com", "+44 20 7946 0958"
CARD, IBAN = "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00"
RAW = (EMAIL, PHONE, CARD, IBAN, "7946", "4111")


def _assert_clean(output: str) -> None:
    for value in RAW:
        assert value not in output, value


def test_powertools_formatter_redacts_message_extras_keys_and_exceptions() -> None:
    stream = io.StringIO()
    logger = Logger(service="redaction-test", stream=stream, logger_formatter=PiiRedactingFormatter())
    logger.append_keys(customer=EMAIL)
    logger.info("call %s now", PHONE, extra={"card": CARD, "nested": {"iban": [IBAN]}, "count": 3})
    try:
        raise ValueError(f"refund to {IBAN} failed")
    except ValueError:
        logger.exception("failed for %s", EMAIL)
    output = stream.getvalue()
    _assert_clean(output)
    first, second = (json.loads(line) for line in output.splitlines())
    assert first["message"] == "call [PHONE] now"
    assert first["customer"] == "[EMAIL]"
    assert first["card"] == "[CARD]"
    assert first["nested"] == {"iban": ["[IBAN]"]}
    assert first["count"] == 3
    assert first["service"] == "redaction-test"
    assert first["level"] == "INFO"
    assert "[IBAN]" in second["exception"]
    assert second["exception_name"] == "ValueError"


def test_stdlib_filter_redacts_formatted_message_extras_and_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(card)s"))
    handler.addFilter(PiiRedactingFilter())
    logger = logging.getLogger("redaction-test-stdlib")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError(f"bad card {CARD}")
        except RuntimeError:
            logger.exception("payment for %s by %s", EMAIL, PHONE, extra={"card": CARD})
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    _assert_clean(output)
    assert "payment for [EMAIL] by [PHONE] [CARD]" in output
    assert "RuntimeError: bad card [CARD]" in output


def test_filter_on_a_logger_reaches_pytest_capture(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("redaction-test-caplog")
    redactor = PiiRedactingFilter(RedactionConfig())
    logger.addFilter(redactor)
    try:
        with caplog.at_level(logging.INFO, logger="redaction-test-caplog"):
            logger.info("ticket from %s", EMAIL, extra={"phone": PHONE})
    finally:
        logger.removeFilter(redactor)
    _assert_clean(caplog.text)
    assert caplog.records[0].phone == "[PHONE]"  # type: ignore[attr-defined]


def test_a_record_that_cannot_be_redacted_is_withheld() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d apples", ("not a number",), None)
    assert PiiRedactingFilter().filter(record)
    assert record.getMessage() == "[log record withheld: redaction failed]"


def test_redact_value_walks_structures_and_checks_long_integers() -> None:
    assert redact_value({"a": [EMAIL, (PHONE,)], "n": 42, "ok": True, "x": None, "f": 1.5}) == {
        "a": ["[EMAIL]", ["[PHONE]"]],
        "n": 42,
        "ok": True,
        "x": None,
        "f": 1.5,
    }
    assert redact_value(4111111111111111) == "[CARD]"
    assert redact_value(20260302) == 20260302
