"""JSON replies shared by the API handlers: every error has a reason, never a stack trace."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from ..helpdesks.common import validation_details
from ..identity import BadTicketRefError, Source, TicketRef
from .observability import logger

__all__ = ["add_fallback_handlers", "error", "json_response", "raw_body", "ticket_ref", "validation_details"]

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
