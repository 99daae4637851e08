"""Unauthenticated (and authenticated) requests that used to crash with a 500 and an ERROR stack trace (issue #16
item 6): Slack timestamps of superscript digits pass str.isdigit and 12-digit ones pass the length check, then
overflow; a JSON integer longer than 4,300 digits raises an uncaught ValueError in ingest and the helpdesk
parsers. Each now answers 400/401 with a JSON reason and logs no ERROR."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from ticket_sentiment.handlers.ingest import build_app as build_ingest_app
from ticket_sentiment.helpdesks import BadPayload
from ticket_sentiment.review.errors import SignatureError
from ticket_sentiment.review.signature import sign, verify

from .helpdesk_support import deliver, fixture
from .pipeline_fakes import T0, FakeQueue, api_event, body_of, event_payload
from .review_support import SIGNING_SECRET, form_body, interaction, review_event, signed_headers, slack_event
from .test_review_handlers import NOW, Setup

HUGE = "1" * 5000  # past Python's 4,300-digit int conversion limit
BODY = form_body(interaction())


def _no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "an ERROR (stack trace) was logged"


@pytest.mark.parametrize("timestamp", ["¹⁷⁷²⁴⁴²⁰⁰⁰", "١٧٧٢٤٤٢٠٠٠", "999999999999", "-1", "1e9", " 17 ", "0" * 13])
def test_hostile_slack_timestamps_are_401_before_any_arithmetic(
    timestamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"X-Slack-Signature": sign(SIGNING_SECRET, timestamp, BODY), "X-Slack-Request-Timestamp": timestamp}
    with pytest.raises(SignatureError):
        verify(headers, BODY, SIGNING_SECRET, NOW)
    response = Setup().call(slack_event(BODY, headers))
    assert response["statusCode"] == 401
    assert body_of(response)["error"]
    _no_error_logged(caplog)


def _with_huge_int(raw: bytes) -> bytes:
    return raw.replace(b"{", b'{"n": ' + HUGE.encode() + b", ", 1)


def test_a_5000_digit_integer_in_an_event_is_400(caplog: pytest.LogCaptureFixture) -> None:
    queue = FakeQueue()
    app = build_ingest_app(lambda: queue, clock=lambda: T0)
    for body in (
        _with_huge_int(json.dumps(event_payload()).encode()),
        json.dumps(event_payload()).replace('"high"', HUGE).encode(),
        f"[{HUGE}]".encode(),
        HUGE.encode(),
    ):
        response: dict[str, Any] = app.resolve(api_event(body.decode()), None)  # type: ignore[arg-type]
        assert response["statusCode"] == 400, response
        assert body_of(response)["error"], response
    assert queue.sent == []
    _no_error_logged(caplog)


@pytest.mark.parametrize(
    ("platform", "sample"),
    [
        ("zendesk", "zendesk_comment_created.json"),
        ("freshdesk", "freshdesk_reply.json"),
        ("intercom", "intercom_user_replied.json"),
        ("generic", "generic_event.json"),
    ],
)
def test_a_5000_digit_integer_in_each_helpdesk_payload_is_400(platform: str, sample: str) -> None:
    with pytest.raises(BadPayload) as info:
        deliver(platform, _with_huge_int(fixture(sample)))
    assert info.value.status == 400
    assert "integer" in info.value.reason


def test_a_5000_digit_integer_in_a_review_is_400(caplog: pytest.LogCaptureFixture) -> None:
    setup = Setup()
    api = setup.call(review_event("T-1", '{"alert_id": "e1:angry", "verdict": "correct", "n": ' + HUGE + "}"))
    assert api["statusCode"] == 400
    assert body_of(api)["error"]
    body = form_body('{"type": "block_actions", "n": ' + HUGE + "}")
    slack = setup.call(slack_event(body, signed_headers(body, NOW)))  # signed: the parse is what is attacked
    assert slack["statusCode"] == 400
    _no_error_logged(caplog)
