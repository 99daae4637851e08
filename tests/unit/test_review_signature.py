"""Slack request signatures: valid, forged, another app's secret, stale and future timestamps, missing headers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ticket_sentiment.review.errors import SignatureError
from ticket_sentiment.review.signature import sign, verify

from .pipeline_fakes import T0
from .review_support import SIGNING_SECRET, form_body, interaction, signed_headers

BODY = form_body(interaction())


def test_slack_documentation_example() -> None:
    # https://api.slack.com/authentication/verifying-requests-from-slack (its example request, verbatim).
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
        b"channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
        b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRs"
        b"kXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert sign(SIGNING_SECRET, "1531420618", body) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_valid_signature_passes() -> None:
    verify(signed_headers(BODY, T0), BODY, SIGNING_SECRET, T0 + timedelta(seconds=3))


def test_header_names_are_case_insensitive() -> None:
    headers = {k.lower(): v for k, v in signed_headers(BODY, T0).items()}
    verify(headers, BODY, SIGNING_SECRET, T0)
    verify({k.upper(): v for k, v in headers.items()}, BODY, SIGNING_SECRET, T0)


@pytest.mark.parametrize("tamper", ["body", "signature", "version", "timestamp"])
def test_forged_requests_are_refused(tamper: str) -> None:
    headers = signed_headers(BODY, T0)
    body = BODY
    if tamper == "body":
        body = form_body(interaction("right_call"))
    elif tamper == "signature":
        headers["X-Slack-Signature"] = headers["X-Slack-Signature"][:-1] + (
            "0" if headers["X-Slack-Signature"][-1] != "0" else "1"
        )
    elif tamper == "version":
        headers["X-Slack-Signature"] = "v1=" + headers["X-Slack-Signature"][3:]
    else:
        headers["X-Slack-Request-Timestamp"] = str(int(T0.timestamp()) + 1)
    with pytest.raises(SignatureError) as info:
        verify(headers, body, SIGNING_SECRET, T0)
    assert info.value.status == 401
    assert info.value.reason == "Slack signature does not match"


def test_resigned_with_another_apps_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify(signed_headers(BODY, T0, secret="another-apps-signing-secret"), BODY, SIGNING_SECRET, T0)


@pytest.mark.parametrize("skew", [timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1), timedelta(days=1)])
def test_stale_and_future_timestamps_are_refused(skew: timedelta) -> None:
    # Signed correctly, but at a time outside the window: a replay (or a clock far off) is refused either way.
    headers = signed_headers(BODY, T0 - skew)
    with pytest.raises(SignatureError, match="replay window"):
        verify(headers, BODY, SIGNING_SECRET, T0)


def test_window_edges_and_injectable_window() -> None:
    verify(signed_headers(BODY, T0 - timedelta(minutes=5)), BODY, SIGNING_SECRET, T0)
    with pytest.raises(SignatureError):
        verify(signed_headers(BODY, T0 - timedelta(seconds=61)), BODY, SIGNING_SECRET, T0, window=timedelta(minutes=1))


@pytest.mark.parametrize("missing", ["X-Slack-Signature", "X-Slack-Request-Timestamp"])
def test_missing_headers(missing: str) -> None:
    headers = signed_headers(BODY, T0)
    del headers[missing]
    with pytest.raises(SignatureError, match="missing"):
        verify(headers, BODY, SIGNING_SECRET, T0)


@pytest.mark.parametrize("timestamp", ["", "soon", "-5", "1e9", "99999999999999999999"])
def test_malformed_timestamps(timestamp: str) -> None:
    headers = signed_headers(BODY, T0) | {"X-Slack-Request-Timestamp": timestamp}
    with pytest.raises(SignatureError):
        verify(headers, BODY, SIGNING_SECRET, T0)


def test_non_ascii_signature_is_refused_not_crashing() -> None:
    headers = signed_headers(BODY, T0) | {"X-Slack-Signature": "v0=ü" + "0" * 63}
    with pytest.raises(SignatureError):
        verify(headers, BODY, SIGNING_SECRET, T0)


def test_empty_secret_is_a_configuration_bug() -> None:
    with pytest.raises(ValueError, match="empty"):
        verify(signed_headers(BODY, T0, secret="x"), BODY, "", T0)
