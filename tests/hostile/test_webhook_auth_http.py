"""Hypothesis through the HTTP route and the queue: forged, truncated, replayed and re-signed deliveries.

Each helpdesk's real payload is first delivered correctly (the positive control: accepted, enqueued), then
tampered with in the ways an attacker can: a forged signature or token, the signed body truncated, a correctly
signed but stale timestamp (replay), a signature made with another secret, credentials missing. Every one must
answer 401 (400 for a token-authenticated but truncated body) and leave the events queue exactly as it was.
The Slack review route gets the same treatment, and no review may be stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.helpdesk_support import (
    FRESHDESK_TOKEN,
    GENERIC_TOKEN,
    INTERCOM_SECRET,
    SF_ORG,
    SF_TOKEN,
    ZENDESK_SECRET,
    fixture,
)
from tests.unit.review_support import form_body, interaction

from .harness import OTHER_SECRET, ApiServer, slack_headers

FUZZ = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
TAMPERS = ["forged", "truncated", "replayed", "other-secret", "missing"]
BODIES = {
    "zendesk": "zendesk_comment_created.json",
    "intercom": "intercom_user_replied.json",
    "freshdesk": "freshdesk_reply.json",
    "generic": "generic_event.json",
    "salesforce": "salesforce_case.xml",
}


def post(api: ApiServer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST as the route's legitimate caller would: with its API key where the route needs one, so what is
    attacked here is the body and the signature (the key gate is attacked in test_schemathesis.py)."""
    headers = {**api.key_for("POST", path), **headers}
    request = urllib.request.Request(api.url + path, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def zendesk_headers(body: bytes, secret: str, at: datetime) -> dict[str, str]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }


def intercom_headers(body: bytes, secret: str) -> dict[str, str]:
    return {
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
        "Content-Type": "application/json",
    }


def signed(
    platform: str,
    body: bytes,
    *,
    secret: str | None = None,
    at: datetime | None = None,
) -> tuple[str, dict[str, str]]:
    """(path with query, headers) of a correct delivery; `secret` replaces the platform's own."""
    now = at or datetime.now(UTC)
    path = f"/v1/webhooks/{platform}"
    if platform == "zendesk":
        return path, zendesk_headers(body, secret or ZENDESK_SECRET, now)
    if platform == "intercom":
        return path, intercom_headers(body, secret or INTERCOM_SECRET)
    if platform == "freshdesk":
        return path, {"X-Ticket-Sentiment-Token": secret or FRESHDESK_TOKEN, "Content-Type": "application/json"}
    if platform == "generic":
        return path, {"X-Ticket-Sentiment-Token": secret or GENERIC_TOKEN, "Content-Type": "application/json"}
    return f"{path}?token={urllib.parse.quote(secret or SF_TOKEN)}", {"Content-Type": "text/xml"}


@pytest.mark.parametrize("platform", sorted(BODIES))
def test_a_correct_delivery_is_enqueued(api: ApiServer, platform: str) -> None:
    api.purge()
    body = fixture(BODIES[platform])
    path, headers = signed(platform, body)
    status, reply = post(api, path, body, headers)
    assert status in (200, 202), reply
    assert api.queued() >= 1  # the control: the same route does enqueue what is authentic
    api.purge()


@FUZZ
@given(platform=st.sampled_from(sorted(BODIES)), tamper=st.sampled_from(TAMPERS), data=st.data())
def test_tampered_deliveries_are_refused_and_nothing_is_enqueued(
    api: ApiServer, platform: str, tamper: str, data: st.DataObject
) -> None:
    api.purge()
    body = fixture(BODIES[platform])
    expected = {401}
    if tamper == "forged":
        forged = data.draw(
            st.text(min_size=1, max_size=80).filter(lambda s: s.strip() and s.isprintable() and s.isascii())
        )
        path, headers = signed(platform, body, secret=OTHER_SECRET)
        if platform == "zendesk":
            headers["X-Zendesk-Webhook-Signature"] = forged
        elif platform == "intercom":
            headers["X-Hub-Signature"] = "sha1=" + forged
        elif platform in ("freshdesk", "generic"):
            headers["X-Ticket-Sentiment-Token"] = forged
        else:
            path = f"/v1/webhooks/salesforce?token={urllib.parse.quote(forged)}"
    elif tamper == "truncated":
        path, headers = signed(platform, body)  # signed over the whole body, which arrives cut short
        body = body[: data.draw(st.integers(min_value=0, max_value=len(body.rstrip()) - 1))]
        if platform in ("freshdesk", "generic"):
            expected = {400}  # a shared token does not cover the body: authenticated, then not JSON
        elif platform == "salesforce":
            expected = {400, 401}  # the token is right; the XML without its OrganizationId is unauthenticated
    elif tamper == "replayed":
        age = data.draw(st.integers(min_value=6 * 60, max_value=90 * 24 * 3600))
        if platform == "zendesk":
            path, headers = signed(platform, body, at=datetime.now(UTC) - timedelta(seconds=age))
        else:
            # No timestamp in these schemes: a "replay" here is the delivery with the other org / a stale secret.
            path, headers = signed(platform, body, secret=f"rotated-away-{age}-0123456789")
    elif tamper == "other-secret":
        path, headers = signed(platform, body, secret=OTHER_SECRET)
        if platform == "salesforce":
            body = body.replace(SF_ORG.encode(), b"00D000000000001AAA")
            path, _ = signed(platform, body)  # the right token, another organization's message
    else:
        path, headers = f"/v1/webhooks/{platform}", {"Content-Type": "application/json"}
    status, reply = post(api, path, body, headers)
    assert status in expected, (platform, tamper, status, reply)
    assert json.loads(reply).get("error")
    assert api.queued() == 0, (platform, tamper)


def _items(api: ApiServer) -> int:
    return int(api.stack.client("dynamodb").scan(TableName=api.stack.res.table_name, Select="COUNT")["Count"])


def test_a_signed_slack_click_is_stored(api: ApiServer) -> None:
    body = form_body(interaction(ticket_id="HOSTILE-1", alert_id="e1:angry"))
    before = _items(api)
    status, _ = post(api, "/v1/slack/actions", body, slack_headers(body))
    assert status == 200
    assert _items(api) > before


@FUZZ
@given(tamper=st.sampled_from(["forged", "truncated", "replayed", "other-secret", "missing", "future"]), data=st.data())
def test_tampered_slack_clicks_are_401_and_store_nothing(api: ApiServer, tamper: str, data: st.DataObject) -> None:
    body = form_body(interaction(ticket_id="HOSTILE-2", alert_id="e2:angry"))
    headers = slack_headers(body)
    if tamper == "forged":
        headers["X-Slack-Signature"] = "v0=" + data.draw(st.text("0123456789abcdef", min_size=0, max_size=64))
    elif tamper == "truncated":
        body = body[: data.draw(st.integers(min_value=0, max_value=len(body) - 1))]
    elif tamper in ("replayed", "future"):
        age = data.draw(st.integers(min_value=6 * 60, max_value=10**7))
        headers = slack_headers(body, timestamp=int(time.time()) + (age if tamper == "future" else -age))
    elif tamper == "other-secret":
        headers = slack_headers(body, secret=OTHER_SECRET)
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    before = _items(api)
    status, reply = post(api, "/v1/slack/actions", body, headers)
    assert status == 401, (tamper, status, reply)
    assert json.loads(reply).get("error")
    assert _items(api) == before
