"""Authentication runs on the raw bytes before parsing, in constant time, and fails closed."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from ticket_sentiment.helpdesks import (
    AuthError,
    BadPayload,
    NotConfigured,
    PayloadTooLarge,
    error_response,
    handle_webhook,
)
from ticket_sentiment.helpdesks.common import MAX_WEBHOOK_BYTES

from .helpdesk_support import (
    FRESHDESK_TOKEN,
    GENERIC_TOKEN,
    NOW,
    SECRETS,
    SF_TOKEN,
    ZENDESK_SECRET,
    deliver,
    fixture,
    intercom_headers,
    token_headers,
    zendesk_headers,
)

ZD_BODY = fixture("zendesk_comment_created.json")
IC_BODY = fixture("intercom_user_replied.json")
SF_BODY = fixture("salesforce_case.xml")


def zendesk(headers: dict[str, str], body: bytes = ZD_BODY, **kwargs: object) -> object:
    return handle_webhook("zendesk", headers, body, SECRETS["zendesk"], NOW, **kwargs)  # type: ignore[arg-type]


# -- Zendesk ---------------------------------------------------------------------------------------------------


def test_zendesk_valid_signature_with_any_header_case() -> None:
    headers = {k.upper(): v for k, v in zendesk_headers(ZD_BODY).items()}
    assert handle_webhook("zendesk", headers, ZD_BODY, SECRETS["zendesk"], NOW).events


@pytest.mark.parametrize(
    "case",
    ["forged", "truncated", "other_secret", "no_signature", "no_timestamp", "timestamp_swapped", "empty_signature"],
)
def test_zendesk_bad_signatures_are_rejected(case: str) -> None:
    headers = zendesk_headers(ZD_BODY)
    body = ZD_BODY
    if case == "forged":
        headers["X-Zendesk-Webhook-Signature"] = base64.b64encode(b"x" * 32).decode()
    elif case == "truncated":
        body = ZD_BODY[:-10]
    elif case == "other_secret":
        headers = zendesk_headers(ZD_BODY, secret="another-secret-0123456789abcdef")
    elif case == "no_signature":
        del headers["X-Zendesk-Webhook-Signature"]
    elif case == "no_timestamp":
        del headers["X-Zendesk-Webhook-Signature-Timestamp"]
    elif case == "timestamp_swapped":
        headers["X-Zendesk-Webhook-Signature-Timestamp"] = "2025-03-14T11:59:31Z"
    elif case == "empty_signature":
        headers["X-Zendesk-Webhook-Signature"] = ""
    with pytest.raises(AuthError):
        zendesk(headers, body)


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6), timedelta(days=-400)])
def test_zendesk_stale_or_future_timestamps_are_rejected(offset: timedelta) -> None:
    stamp = (NOW + offset).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(AuthError, match="replay window"):
        zendesk(zendesk_headers(ZD_BODY, timestamp=stamp))


def test_zendesk_replay_window_is_configurable_and_inclusive() -> None:
    stamp = (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert zendesk(zendesk_headers(ZD_BODY, timestamp=stamp))
    with pytest.raises(AuthError):
        zendesk(zendesk_headers(ZD_BODY, timestamp=stamp), replay_window=timedelta(minutes=1))


def test_zendesk_unix_timestamp_header_is_accepted() -> None:
    stamp = str(int(NOW.timestamp()) - 10)
    assert zendesk(zendesk_headers(ZD_BODY, timestamp=stamp))


def test_verify_runs_before_parsing() -> None:
    # Garbage with a bad signature is an auth failure, not a parse error: nothing is parsed unauthenticated.
    with pytest.raises(AuthError):
        zendesk(zendesk_headers(b"not json", secret="wrong-secret-0123456789abcdef"), b"not json")
    with pytest.raises(BadPayload):
        zendesk(zendesk_headers(b"not json"), b"not json")


# -- Intercom --------------------------------------------------------------------------------------------------


def test_intercom_valid_signature() -> None:
    assert handle_webhook("intercom", intercom_headers(IC_BODY), IC_BODY, SECRETS["intercom"], NOW).events


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature": "sha1=" + "0" * 40},
        {"X-Hub-Signature": "sha256=abc"},
        {"X-Hub-Signature": "sha1="},
        {"X-Hub-Signature": "garbage"},
    ],
)
def test_intercom_bad_signatures_are_rejected(headers: dict[str, str]) -> None:
    with pytest.raises(AuthError):
        handle_webhook("intercom", headers, IC_BODY, SECRETS["intercom"], NOW)


def test_intercom_resigned_or_truncated_is_rejected() -> None:
    with pytest.raises(AuthError):
        handle_webhook(
            "intercom", intercom_headers(IC_BODY, "another-secret-0123456789"), IC_BODY, SECRETS["intercom"], NOW
        )
    with pytest.raises(AuthError):
        handle_webhook("intercom", intercom_headers(IC_BODY), IC_BODY[:-1], SECRETS["intercom"], NOW)


def test_intercom_ping_must_be_signed_too() -> None:
    with pytest.raises(AuthError):
        handle_webhook("intercom", {}, fixture("intercom_ping.json"), SECRETS["intercom"], NOW)


def test_intercom_uppercase_hex_digest_is_accepted() -> None:
    headers = intercom_headers(IC_BODY)
    headers["x-hub-signature"] = "sha1=" + headers["x-hub-signature"][5:].upper()
    assert handle_webhook("intercom", headers, IC_BODY, SECRETS["intercom"], NOW).events


# -- shared tokens ---------------------------------------------------------------------------------------------

FD_BODY = fixture("freshdesk_reply.json")


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_freshdesk_token_header_or_basic_password() -> None:
    assert handle_webhook("freshdesk", token_headers(), FD_BODY, SECRETS["freshdesk"], NOW).events
    assert handle_webhook("freshdesk", _basic("freshdesk", FRESHDESK_TOKEN), FD_BODY, SECRETS["freshdesk"], NOW).events


@pytest.mark.parametrize(
    "headers",
    [
        {},
        token_headers("wrong-token-0123456789abcdef"),
        _basic("x", "nope"),
        {"Authorization": "Basic !!!"},
        {"Authorization": "Bearer " + FRESHDESK_TOKEN},
    ],
)
def test_freshdesk_missing_or_wrong_token_is_rejected(headers: dict[str, str]) -> None:
    with pytest.raises(AuthError):
        handle_webhook("freshdesk", headers, FD_BODY, SECRETS["freshdesk"], NOW)


def test_freshdesk_custom_header_and_basic_auth_off() -> None:
    secret = json.dumps({"token": FRESHDESK_TOKEN, "header": "X-Acme-Auth", "allow_basic_auth": False})
    assert handle_webhook("freshdesk", {"x-acme-auth": FRESHDESK_TOKEN}, FD_BODY, secret, NOW).events
    with pytest.raises(AuthError):
        handle_webhook("freshdesk", token_headers(), FD_BODY, secret, NOW)
    with pytest.raises(AuthError):
        handle_webhook("freshdesk", _basic("u", FRESHDESK_TOKEN), FD_BODY, secret, NOW)


def test_generic_token_when_configured() -> None:
    body = fixture("generic_event.json")
    assert handle_webhook("generic", token_headers(GENERIC_TOKEN), body, SECRETS["generic"], NOW).events
    with pytest.raises(AuthError):
        handle_webhook("generic", {}, body, SECRETS["generic"], NOW)


# -- Salesforce ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("configured", ["00D5g000004XmplEAC", "00D5g000004Xmpl"])
def test_salesforce_org_id_15_and_18_forms(configured: str) -> None:
    secret = json.dumps({"organization_id": configured, "endpoint_token": SF_TOKEN})
    assert handle_webhook("salesforce", {}, SF_BODY, secret, NOW, query={"token": SF_TOKEN}).events
    fifteen = SF_BODY.replace(b"00D5g000004XmplEAC</OrganizationId>", b"00D5g000004Xmpl</OrganizationId>")
    assert handle_webhook("salesforce", {}, fifteen, secret, NOW, query={"token": SF_TOKEN}).events


@pytest.mark.parametrize("configured", ["00D5g000004XmplEAD", "00D5g000004Xmpm", "00D5g000004xMPLEAC"])
def test_salesforce_other_org_is_rejected(configured: str) -> None:
    secret = json.dumps({"organization_id": configured, "endpoint_token": SF_TOKEN})
    with pytest.raises(AuthError):
        handle_webhook("salesforce", {}, SF_BODY, secret, NOW, query={"token": SF_TOKEN})


def test_salesforce_without_an_endpoint_token_is_not_configured() -> None:
    """The org id is public: a secret holding only it leaves the route unconfigured (503), never open."""
    with pytest.raises(NotConfigured):
        handle_webhook("salesforce", {}, SF_BODY, json.dumps({"organization_id": "00D5g000004XmplEAC"}), NOW)


def test_salesforce_endpoint_token() -> None:
    assert handle_webhook("salesforce", {}, SF_BODY, SECRETS["salesforce"], NOW, query={"token": SF_TOKEN}).events
    for query in ({}, {"token": "wrong"}, {"token": ""}):
        with pytest.raises(AuthError):
            handle_webhook("salesforce", {}, SF_BODY, SECRETS["salesforce"], NOW, query=query)


def test_salesforce_missing_org_id_is_rejected() -> None:
    body = SF_BODY.replace(b"<OrganizationId>00D5g000004XmplEAC</OrganizationId>", b"")
    with pytest.raises(AuthError):
        deliver("salesforce", body)


# -- secrets and limits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["zendesk", "intercom", "freshdesk", "salesforce"])
@pytest.mark.parametrize("secret", [None, "", "{}", "not json", "[]", '{"signing_secrte": "x"}'])
def test_missing_or_invalid_secret_fails_closed(platform: str, secret: str | None) -> None:
    with pytest.raises(NotConfigured) as info:
        handle_webhook(platform, {}, b"{}", secret, NOW)
    assert info.value.status == 503


def test_secret_callable_is_only_called_for_known_platforms() -> None:
    calls: list[int] = []

    def fetch() -> str:
        calls.append(1)
        return json.dumps({"signing_secret": ZENDESK_SECRET})

    assert handle_webhook("zendesk", zendesk_headers(ZD_BODY), ZD_BODY, fetch, NOW).events
    assert calls == [1]


def test_oversized_body_is_413_before_anything_else() -> None:
    with pytest.raises(PayloadTooLarge) as info:
        handle_webhook("generic", {}, b" " * (MAX_WEBHOOK_BYTES + 1), None, NOW)
    assert error_response(info.value).status == 413


def test_error_response_never_echoes_the_secret_or_values() -> None:
    with pytest.raises(AuthError) as info:
        handle_webhook("freshdesk", token_headers("wrong-token-0123456789abcdef"), FD_BODY, SECRETS["freshdesk"], NOW)
    response = error_response(info.value)
    assert response.status == 401
    assert response.content_type == "application/json"
    assert FRESHDESK_TOKEN not in response.body
    assert "wrong-token" not in response.body
