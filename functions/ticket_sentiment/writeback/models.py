"""Write-back boundary models: the queued request and each platform's credentials (one Secrets Manager JSON each).

Credentials live in their own secret, `<prefix>/writeback/<platform>`, apart from the inbound webhook's
`<prefix>/helpdesk/<platform>` (each readable only by the function that needs it). Unknown keys are refused, as in
the inbound secrets: a misspelt field, or a signing secret pasted into the wrong secret, fails loudly naming it.
"""

from __future__ import annotations

import json
import urllib.parse
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, ValidationError, field_validator

from ..events import Identifier, Tag
from ..identity import Brand, Source, TicketRef
from ..models import Label

TAG_PREFIX = "sentiment-"
MARKER_TAG = "sentiment-scored"  # on every ticket we wrote to: the loop guard's first signal
LABEL_TAGS: dict[str, str] = {label: f"{TAG_PREFIX}{label}" for label in ("negative", "neutral", "positive")}
OWN_TAGS = frozenset({MARKER_TAG, *LABEL_TAGS.values()})


class Platform(StrEnum):
    """The helpdesks we write back to; values equal `events.Source`'s so a source converts directly."""

    ZENDESK = "zendesk"
    FRESHDESK = "freshdesk"
    INTERCOM = "intercom"
    SALESFORCE = "salesforce"


class WritebackRequest(BaseModel):
    """One write-back, as the scorer puts it on the write-back queue (JSON body of the SQS message)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Platform
    brand: Brand | None = None  # with platform and ticket_id, the ticket's identity in our table
    ticket_id: Identifier
    score: float = Field(ge=-1, le=1)
    label: Label
    tags: tuple[Tag, ...] = Field(default=(), max_length=10)
    event_id: str = Field(min_length=1, max_length=64)
    # Optional: lets the consumer skip a write that a newer message of the same ticket has superseded.
    message_id: Identifier | None = None
    # Set by an "escalate" rule: raise the ticket's priority too (only ever raised, never lowered).
    priority: Literal["urgent"] | None = None

    @field_validator("score")
    @classmethod
    def _round(cls, value: float) -> float:
        # Two decimals: Salesforce's Number(3,2) and what an agent can read; more digits are noise, not signal.
        return round(value, 2)

    @property
    def ref(self) -> TicketRef:
        return TicketRef.model_construct(source=Source(self.platform.value), brand=self.brand, ticket_id=self.ticket_id)

    @property
    def stale_tags(self) -> tuple[str, ...]:
        """The other label tags, removed where the platform can, so a ticket never shows two labels."""
        return tuple(tag for label, tag in LABEL_TAGS.items() if label != self.label)


HttpsUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=300)]
Subdomain = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")]


class _Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    # Tests and proxies point this at another host; https only, except http on localhost (see transport).
    base_url: HttpsUrl | None = None

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value


class ZendeskCredentials(_Credentials):
    platform: Literal["zendesk"] = "zendesk"
    subdomain: Subdomain
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
    api_token: SecretStr
    score_field_id: int = Field(gt=0)
    label_field_id: int = Field(gt=0)
    # A dropdown field takes its options' tag values, not the labels: map them here (text fields need nothing).
    label_values: dict[Label, str] = Field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.base_url or f"https://{self.subdomain}.zendesk.com"


class FreshdeskCredentials(_Credentials):
    platform: Literal["freshdesk"] = "freshdesk"
    domain: Subdomain
    api_key: SecretStr
    score_field: str = Field(default="cf_sentiment_score", pattern=r"^cf_[a-z0-9_]{1,60}$")
    label_field: str = Field(default="cf_sentiment_label", pattern=r"^cf_[a-z0-9_]{1,60}$")
    # Freshdesk's PUT replaces the whole tag list: True reads the ticket first and merges (one extra call, and a
    # tag an agent adds between our read and write is lost); False writes the custom fields only.
    merge_tags: bool = True

    @property
    def url(self) -> str:
        return self.base_url or f"https://{self.domain}.freshdesk.com"


class IntercomCredentials(_Credentials):
    platform: Literal["intercom"] = "intercom"
    access_token: SecretStr
    region: Literal["us", "eu", "au"] = "us"
    intercom_version: str = Field(default="2.11", pattern=r"^\d+\.\d+$")
    # Tagging a conversation needs an admin to act as; without one only the data attributes are written.
    admin_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")] | None = None
    # Tag name -> Intercom tag id; missing ones are created (or found) by name once per container.
    tag_ids: dict[str, str] = Field(default_factory=dict)
    score_attribute: str = "sentiment_score"
    label_attribute: str = "sentiment_label"

    @property
    def url(self) -> str:
        hosts = {
            "us": "https://api.intercom.io",
            "eu": "https://api.eu.intercom.io",
            "au": "https://api.au.intercom.io",
        }
        return self.base_url or hosts[self.region]


class SalesforceCredentials(_Credentials):
    platform: Literal["salesforce"] = "salesforce"
    instance_url: HttpsUrl  # the org's My Domain URL: token endpoint and REST API both live there
    client_id: SecretStr
    client_secret: SecretStr
    api_version: str = Field(default="61.0", pattern=r"^\d{2,3}\.\d$")
    score_field: str = Field(default="Sentiment_Score__c", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,40}__c$")
    label_field: str = Field(default="Sentiment_Label__c", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,40}__c$")

    @property
    def url(self) -> str:
        return self.base_url or self.instance_url.rstrip("/")


Credentials = ZendeskCredentials | FreshdeskCredentials | IntercomCredentials | SalesforceCredentials

_MODELS: dict[
    Platform, type[ZendeskCredentials | FreshdeskCredentials | IntercomCredentials | SalesforceCredentials]
] = {
    Platform.ZENDESK: ZendeskCredentials,
    Platform.FRESHDESK: FreshdeskCredentials,
    Platform.INTERCOM: IntercomCredentials,
    Platform.SALESFORCE: SalesforceCredentials,
}


class CredentialsError(ValueError):
    """The secret is not valid credentials for the platform. Names the fields, never their values."""


def load_credentials(platform: Platform | str, secret_string: str) -> Credentials:
    """Parse the platform's secret JSON; a placeholder `{}` or a wrong field fails naming the fields only."""
    platform = Platform(platform)
    try:
        data = json.loads(secret_string)
    except ValueError:
        raise CredentialsError(f"{platform} secret is not JSON") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{platform} secret is not a JSON object")
    data.pop("platform", None)
    try:
        return _MODELS[platform].model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "secret" for e in exc.errors(include_input=False)})
        raise CredentialsError(f"{platform} secret: missing or invalid {', '.join(fields)}") from None


def quote_id(value: str) -> str:
    """A ticket id as one URL path segment: nothing in it can change the path or the query."""
    return urllib.parse.quote(value, safe="")


class WritebackError(RuntimeError):
    """A write-back that did not happen. `retryable`: 429, 5xx, timeouts, connection errors (try again later);
    otherwise permanent (400/401/403/404/422: retrying the same request cannot succeed)."""

    def __init__(self, status: int | None, retryable: bool, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.retryable = retryable
        self.reason = reason
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"WritebackError(status={self.status!r}, retryable={self.retryable!r}, reason={self.reason!r})"
