"""generic: the canonical TicketEvent JSON itself (what POST /v1/events takes), for any other producer.

Authentication is optional: with a token in the secret, it must come in the token header (or basic auth if
allowed); without one the route relies on the API Gateway key alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..pipeline.events import TicketEvent
from .common import Parsed, check_shared_token, load_json_object, validate
from .secrets import GenericSecret


def verify(headers: Mapping[str, str], secret: GenericSecret) -> None:
    if secret.token is not None:
        check_shared_token(headers, secret.token, secret.header, secret.allow_basic_auth)


def parse(raw_body: bytes) -> Parsed:
    return Parsed(events=[validate(TicketEvent, load_json_object(raw_body), "ticket event")])
