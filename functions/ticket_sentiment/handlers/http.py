"""JSON replies shared by the API handlers: every error has a reason, never a stack trace."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from .observability import logger


def json_response(status: int, body: dict[str, Any] | str) -> Response[Any]:
    return Response(status_code=status, content_type="application/json",
                    body=body if isinstance(body, str) else json.dumps(body))


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
