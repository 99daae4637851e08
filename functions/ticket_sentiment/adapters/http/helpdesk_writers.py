"""One writer per helpdesk behind `HelpdeskWriter`: what each platform's REST API needs to carry our score.

Every writer sets the score and label fields and, where the platform has tags, adds our label tag and the marker
`sentiment-scored` and removes the other label tags. Ids from the queue are quoted into one path segment.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

from ...ports import HelpdeskWriter
from ...writeback.models import (
    Credentials,
    FreshdeskCredentials,
    IntercomCredentials,
    SalesforceCredentials,
    WritebackError,
    WritebackRequest,
    ZendeskCredentials,
    quote_id,
)
from .transport import RetrySettings, Transport


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


# --- Zendesk -------------------------------------------------------------------------------------------------------


def zendesk_error(body: Any) -> str | None:
    """{"error": "RecordNotFound", "description": ...} or {"error": {"title": ..., "message": ...}}."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("title") or "") or None
    return str(error) if error else None


class ZendeskWriter:
    """PUT /api/v2/tickets/{id}.json: custom fields, additional_tags and remove_tags in one update.

    additional_tags/remove_tags change only the named tags, so an agent's tags are never overwritten.
    """

    def __init__(self, credentials: ZendeskCredentials, settings: RetrySettings | None = None) -> None:
        self.credentials = credentials
        self.transport = Transport("zendesk", zendesk_error, settings or RetrySettings())

    def body(self, request: WritebackRequest) -> dict[str, Any]:
        c = self.credentials
        ticket: dict[str, Any] = {
            "custom_fields": [
                {"id": c.score_field_id, "value": request.score},
                {"id": c.label_field_id, "value": c.label_values.get(request.label, request.label)},
            ]
        }
        if request.tags:
            ticket["additional_tags"] = list(request.tags)
            ticket["remove_tags"] = list(request.stale_tags)
        if request.priority == "urgent":
            ticket["priority"] = "urgent"
        return {"ticket": ticket}

    def write(self, request: WritebackRequest) -> None:
        c = self.credentials
        auth = _basic(f"{c.email}/token", c.api_token.get_secret_value())
        self.transport.request(
            "PUT",
            f"{c.url}/api/v2/tickets/{quote_id(request.ticket_id)}.json",
            headers={"Authorization": auth},
            body=self.body(request),
        )


# --- Freshdesk -----------------------------------------------------------------------------------------------------


def freshdesk_error(body: Any) -> str | None:
    """{"description": "Validation failed", "errors": [{"field": ..., "message": ..., "code": "invalid_value"}]}."""
    if not isinstance(body, dict):
        return None
    first = _first(body.get("errors"))
    if isinstance(first, dict) and first.get("code"):
        return f"{first.get('field', '')}:{first['code']}".lstrip(":")
    return str(body.get("code") or body.get("description") or "") or None


class FreshdeskWriter:
    """PUT /api/v2/tickets/{id}: custom_fields and the full tag list (Freshdesk replaces tags on update).

    With merge_tags the current tags are read first (GET) and ours merged in; a tag added by someone else between
    the two calls is lost, which is the documented trade-off. Without it only the custom fields are written.
    """

    def __init__(self, credentials: FreshdeskCredentials, settings: RetrySettings | None = None) -> None:
        self.credentials = credentials
        self.transport = Transport("freshdesk", freshdesk_error, settings or RetrySettings())

    def _headers(self) -> dict[str, str]:
        return {"Authorization": _basic(self.credentials.api_key.get_secret_value(), "X")}

    def body(self, request: WritebackRequest, current_tags: list[str] | None) -> dict[str, Any]:
        c = self.credentials
        body: dict[str, Any] = {"custom_fields": {c.score_field: request.score, c.label_field: request.label}}
        if request.priority == "urgent":
            body["priority"] = 4  # Freshdesk: 1 low, 2 medium, 3 high, 4 urgent
        if current_tags is not None and request.tags:
            stale = set(request.stale_tags)
            kept = [t for t in current_tags if t not in stale and t not in request.tags]
            body["tags"] = kept + list(request.tags)
        return body

    def write(self, request: WritebackRequest) -> None:
        url = f"{self.credentials.url}/api/v2/tickets/{quote_id(request.ticket_id)}"
        current: list[str] | None = None
        if self.credentials.merge_tags and request.tags:
            ticket = self.transport.request("GET", url, headers=self._headers()).json()
            tags = ticket.get("tags") if isinstance(ticket, dict) else None
            current = [str(t) for t in tags] if isinstance(tags, list) else []
        self.transport.request("PUT", url, headers=self._headers(), body=self.body(request, current))


# --- Intercom ------------------------------------------------------------------------------------------------------


def intercom_error(body: Any) -> str | None:
    """{"type": "error.list", "request_id": ..., "errors": [{"code": "not_found", "message": ...}]}."""
    first = _first(body.get("errors")) if isinstance(body, dict) else None
    return str(first.get("code") or "") or None if isinstance(first, dict) else None


class IntercomWriter:
    """PUT /conversations/{id} with custom_attributes (conversation data attributes). When an admin id is
    configured, tags follow: the PUT answers the conversation with its tags, so only a missing tag is attached
    (POST /conversations/{id}/tags) and only an attached stale label tag is removed (DELETE .../tags/{tag_id})."""

    def __init__(self, credentials: IntercomCredentials, settings: RetrySettings | None = None) -> None:
        self.credentials = credentials
        self.transport = Transport("intercom", intercom_error, settings or RetrySettings())
        self._tag_ids: dict[str, str] = dict(credentials.tag_ids)
        self._lock = threading.Lock()

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.credentials.access_token.get_secret_value()}",
            "Intercom-Version": self.credentials.intercom_version,
        }

    def body(self, request: WritebackRequest) -> dict[str, Any]:
        c = self.credentials
        return {"custom_attributes": {c.score_attribute: request.score, c.label_attribute: request.label}}

    def tag_id(self, name: str) -> str:
        """Configured id, else POST /tags {"name"} (creates the tag or returns the existing one), cached."""
        with self._lock:
            if name not in self._tag_ids:
                tag = self.transport.request(
                    "POST", f"{self.credentials.url}/tags", headers=self._headers(), body={"name": name}
                ).json()
                if not isinstance(tag, dict) or not tag.get("id"):
                    raise WritebackError(None, True, "intercom: tag create answered without an id")
                self._tag_ids[name] = str(tag["id"])
            return self._tag_ids[name]

    @staticmethod
    def attached_tags(conversation: Any) -> dict[str, str] | None:
        """{name: id} of the conversation's tags, or None when the answer does not list them."""
        tags = conversation.get("tags") if isinstance(conversation, dict) else None
        items = tags.get("tags") if isinstance(tags, dict) else None
        if not isinstance(items, list):
            return None
        return {str(t["name"]): str(t["id"]) for t in items if isinstance(t, dict) and "name" in t and "id" in t}

    def write(self, request: WritebackRequest) -> None:
        c = self.credentials
        conversation = f"{c.url}/conversations/{quote_id(request.ticket_id)}"
        answer = self.transport.request("PUT", conversation, headers=self._headers(), body=self.body(request))
        if c.admin_id is None or not request.tags:
            return
        attached = self.attached_tags(answer.json())
        for name in request.tags:
            if attached is None or name not in attached:
                self.transport.request(
                    "POST",
                    f"{conversation}/tags",
                    headers=self._headers(),
                    body={"id": self.tag_id(name), "admin_id": c.admin_id},
                )
        for name in request.stale_tags:
            if attached is not None and name in attached:
                # 404: removed meanwhile, which is the state we want.
                self.transport.request(
                    "DELETE",
                    f"{conversation}/tags/{quote_id(attached[name])}",
                    headers=self._headers(),
                    body={"admin_id": c.admin_id},
                    ok=frozenset({404}),
                )


# --- Salesforce ----------------------------------------------------------------------------------------------------

# 403 with this code is the org's rolling 24-hour API allowance, not a permission problem: it clears by itself.
SALESFORCE_RETRYABLE = frozenset({"REQUEST_LIMIT_EXCEEDED"})


def salesforce_error(body: Any) -> str | None:
    """REST: [{"message": ..., "errorCode": "NOT_FOUND", "fields": []}]; OAuth: {"error": "invalid_client"}."""
    first = _first(body)
    if isinstance(first, dict):
        return str(first.get("errorCode") or "") or None
    if isinstance(body, dict):
        return str(body.get("error") or "") or None
    return None


class SalesforceWriter:
    """PATCH /services/data/vXX.X/sobjects/Case/{id} with the two custom fields (Cases have no tags).

    The bearer token comes from the OAuth 2.0 client-credentials flow of a connected app, is cached for the
    container's life and fetched again once when a call answers 401 (expired or revoked session).
    """

    def __init__(self, credentials: SalesforceCredentials, settings: RetrySettings | None = None) -> None:
        self.credentials = credentials
        self.transport = Transport(
            "salesforce", salesforce_error, settings or RetrySettings(), retryable_codes=SALESFORCE_RETRYABLE
        )
        self._token: str | None = None
        self._lock = threading.Lock()
        self.token_fetches = 0

    def body(self, request: WritebackRequest) -> dict[str, Any]:
        c = self.credentials
        body: dict[str, Any] = {c.score_field: request.score, c.label_field: request.label}
        if request.priority == "urgent":
            body["Priority"] = "High"  # the highest of Case's standard picklist values
        return body

    def _fetch_token(self) -> str:
        c = self.credentials
        self.token_fetches += 1
        try:
            answer = self.transport.request(
                "POST",
                f"{c.url}/services/oauth2/token",
                headers={},
                form=True,
                body={
                    "grant_type": "client_credentials",
                    "client_id": c.client_id.get_secret_value(),
                    "client_secret": c.client_secret.get_secret_value(),
                },
            ).json()
        except WritebackError as exc:
            raise WritebackError(
                exc.status, exc.retryable, f"token request failed: {exc.reason}", retry_after=exc.retry_after
            ) from None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise WritebackError(None, False, "salesforce token response has no access_token")
        return token

    def token(self, *, refresh: bool = False, stale: str | None = None) -> str:
        with self._lock:
            # Only the caller that saw the stale token refreshes; a concurrent one reuses the new token.
            if self._token is None or (refresh and self._token == stale):
                self._token = self._fetch_token()
            return self._token

    def write(self, request: WritebackRequest) -> None:
        c = self.credentials
        url = f"{c.url}/services/data/v{c.api_version}/sobjects/Case/{quote_id(request.ticket_id)}"
        token = self.token()
        answer = self.transport.request(
            "PATCH", url, headers={"Authorization": f"Bearer {token}"}, body=self.body(request), ok=frozenset({401})
        )
        if answer.status == 401:
            token = self.token(refresh=True, stale=token)
            answer = self.transport.request(
                "PATCH", url, headers={"Authorization": f"Bearer {token}"}, body=self.body(request), ok=frozenset({401})
            )
            if answer.status == 401:
                raise self.transport.error(answer)


def build_writer(credentials: Credentials, settings: RetrySettings | None = None) -> HelpdeskWriter:
    if isinstance(credentials, ZendeskCredentials):
        return ZendeskWriter(credentials, settings)
    if isinstance(credentials, FreshdeskCredentials):
        return FreshdeskWriter(credentials, settings)
    if isinstance(credentials, IntercomCredentials):
        return IntercomWriter(credentials, settings)
    return SalesforceWriter(credentials, settings)
