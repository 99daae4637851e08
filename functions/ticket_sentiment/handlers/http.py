"""JSON replies shared by the API handlers: every error has a reason, never a stack trace."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel, ValidationError

from .. import bounded_json
from ..helpdesks import WebhookResponse
from ..helpdesks.common import validation_details
from ..identity import BadTicketRefError, Source, TicketRef
from .observability import logger

__all__ = [
    "BadBody",
    "add_fallback_handlers",
    "error",
    "json_object",
    "json_response",
    "raw_body",
    "reply",
    "ticket_ref",
    "validated",
    "validation_details",
]

Model = TypeVar("Model", bound=BaseModel)

SOURCE_REQUIRED = "query parameter source is required (" + ", ".join(s.value for s in Source) + ")"


def ticket_ref(event: APIGatewayProxyEvent, ticket_id: str) -> TicketRef | Response[Any]:
    """The ticket a /v1/tickets/{ticket_id} route names: the path's id in the namespace of the `source` (required:
    the same id in two helpdesks is two tickets) and `brand` (optional) query parameters; a 400 otherwise."""
    query = event.query_string_parameters or {}
    source = query.get("source")
    if not source:
        return error(400, SOURCE_REQUIRED)
    try:
        return TicketRef.of(source, ticket_id, query.get("brand"))
    except BadTicketRefError as exc:
        return error(400, str(exc))


def raw_body(event: APIGatewayProxyEvent) -> bytes | None:
    """The request body's bytes (API Gateway base64-encodes binary bodies); None when that encoding is broken."""
    raw = event.body or ""
    try:
        return base64.b64decode(raw, validate=True) if event.is_base64_encoded else raw.encode()
    except (binascii.Error, ValueError):
        return None


@dataclass(frozen=True)
class BadBody:
    """Why a request body was refused (413 over the size limit, 400 otherwise); the reason quotes no value."""

    status: int
    reason: str


def json_object(event: APIGatewayProxyEvent, max_bytes: int) -> dict[str, Any] | BadBody:
    """The request body as a JSON object, or why it is not one."""
    data = raw_body(event)
    if data is None:
        return BadBody(400, "body is not valid base64")
    if len(data) > max_bytes:
        return BadBody(413, f"body is larger than {max_bytes} bytes")
    try:
        payload = bounded_json.loads(data)
    except bounded_json.JsonInputError as exc:  # bad JSON, nested too deep, or an integer past the bound
        return BadBody(400, exc.reason("body"))
    if not isinstance(payload, dict):
        return BadBody(400, "body must be a JSON object")
    return payload


def validated(model: type[Model], payload: dict[str, Any], what: str) -> Model | Response[Any]:
    """`payload` as `model`, or a 400 "invalid <what>" naming the fields and reasons (never the values)."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        return error(400, f"invalid {what}", validation_details(exc))


def reply(response: WebhookResponse) -> Response[Any]:
    """The helpdesk domain's answer (its status, content type and body) as the route's response."""
    return Response(status_code=response.status, content_type=response.content_type, body=response.body)


def json_response(status: int, body: dict[str, Any] | str) -> Response[Any]:
    return Response(
        status_code=status, content_type="application/json", body=body if isinstance(body, str) else json.dumps(body)
    )


def error(status: int, reason: str, details: list[dict[str, str]] | None = None) -> Response[Any]:
    body: dict[str, Any] = {"error": reason}
    if details:
        body["details"] = details
    return json_response(status, body)


def add_fallback_handlers(app: APIGatewayRestResolver) -> None:
    """Unknown routes answer 404 and bugs a JSON 500, both with a reason."""

    def not_found(_exc: Exception) -> Response[Any]:
        return error(404, "not found")

    def unexpected(_exc: Exception) -> Response[Any]:
        logger.exception("unexpected error")
        return error(500, "internal error")

    app.not_found(not_found)
    app.exception_handler(Exception)(unexpected)
