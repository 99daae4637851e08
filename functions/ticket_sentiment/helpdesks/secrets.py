"""Typed helpdesk secrets, parsed from the JSON string Secrets Manager holds (`<prefix>/helpdesk/<platform>`).

The stack creates each secret holding `{}`; until the operator fills it the route answers 503 (NotConfigured),
never "accept everything".
"""

from __future__ import annotations

import json
import re
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from ..identity import Brand, valid_claim
from .common import validation_details
from .errors import NotConfigured

DEFAULT_TOKEN_HEADER = "X-Ticket-Sentiment-Token"

Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=16, max_length=512)]
HeaderName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9-]{1,64}$")]
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def _claim(value: str) -> str:
    if not valid_claim(value):
        raise ValueError("a claim is source, source/brand or source/*, e.g. zendesk or zendesk/acme")
    return value


Claim = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80), AfterValidator(_claim)]


class _SecretModel(BaseModel):
    # forbid: a misspelt key ("signing_secrte") must fail loudly, not leave the route unauthenticated.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class _HelpdeskSecret(_SecretModel):
    # The helpdesk's brand/workspace (Zendesk subdomain, Freshdesk domain, Intercom app id, Salesforce org id):
    # part of every ticket's identity from this route, so two accounts with the same ticket ids stay apart.
    # Verified with the secret, never read from the payload. Changing it re-keys new tickets (README, "Tenancy").
    brand: Brand | None = None


class ZendeskSecret(_HelpdeskSecret):
    signing_secret: Secret
    # The event webhook's own secret (Zendesk signs each webhook with its own): the one subscribed to deletion and
    # redaction events (docs/helpdesks.md); a trigger webhook cannot be subscribed to events.
    events_signing_secret: Secret | None = None
    # The Zendesk user our write-back acts as; its updates and comments are skipped (loop guard).
    integration_user_id: UserId | None = None


class IntercomSecret(_HelpdeskSecret):
    client_secret: Secret
    # The admin our write-back acts as; its notes and replies are skipped (loop guard).
    integration_admin_id: UserId | None = None


class FreshdeskSecret(_HelpdeskSecret):
    token: Secret
    header: HeaderName = DEFAULT_TOKEN_HEADER
    allow_basic_auth: bool = True


class SalesforceSecret(_HelpdeskSecret):
    organization_id: str
    # Outbound Messages cannot send headers, so a token in the endpoint URL (?token=...) is the only secret
    # they can carry. Required: org ids are public (Web-to-Case forms), so without it anyone could post cases.
    endpoint_token: Secret
    # The user our write-back acts as (LastModifiedById / CreatedById); its changes are skipped (loop guard).
    integration_user_id: UserId | None = None

    @field_validator("organization_id")
    @classmethod
    def _org_id(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?", value):
            raise ValueError("must be a 15- or 18-character Salesforce organization id starting with 00D")
        return value


class GenericSecret(_SecretModel):
    # Optional: without a token the route relies on the API Gateway key alone.
    token: Secret | None = None
    header: HeaderName = DEFAULT_TOKEN_HEADER
    allow_basic_auth: bool = False
    # The canonical producer's claims, for POST /v1/events and /v1/webhooks/generic alike: which helpdesk sources
    # (and brands) it may name. Default none: it may send `other` only; naming zendesk etc. is a 403.
    may_claim: tuple[Claim, ...] = Field(default=(), max_length=50)


S = TypeVar("S", bound=_SecretModel)

PlatformSecret = ZendeskSecret | IntercomSecret | FreshdeskSecret | SalesforceSecret | GenericSecret


def load_secret(model: type[S], secret_json: str | None, platform: str) -> S:
    if secret_json is None or not secret_json.strip():
        raise NotConfigured(f"the {platform} secret is not set")
    try:
        data = json.loads(secret_json)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise NotConfigured(f"the {platform} secret is not valid JSON") from exc
    if not isinstance(data, dict):
        raise NotConfigured(f"the {platform} secret must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise NotConfigured(f"the {platform} secret is incomplete or invalid", validation_details(exc)) from exc
