"""POST /v1/events (API Gateway REST proxy): validate a canonical ticket event, enqueue it, answer 202 fast.

Bad JSON, missing fields and wrong types answer 400, bodies over MAX_BODY_BYTES 413, always with a reason;
only a queue that cannot be reached answers 503. Validation errors name the field, never echo its value.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from ..pipeline.events import MAX_BODY_BYTES, QueuedEvent, TicketEvent
from ..pipeline.ports import EventQueue
from .http import add_fallback_handlers, error, json_response
from .observability import logger, metrics


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    """Field and message for each error, without the offending input (it may hold personal data)."""
    return [{"field": ".".join(str(p) for p in err["loc"]) or "body", "reason": err["msg"]}
            for err in exc.errors(include_input=False, include_url=False)[:20]]


def build_app(queue: Callable[[], EventQueue], clock: Callable[[], datetime] = lambda: datetime.now(UTC),
              ) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()

    @app.post("/v1/events")
    def post_event() -> Response[Any]:
        raw = app.current_event.body or ""
        try:
            data = base64.b64decode(raw, validate=True) if app.current_event.is_base64_encoded else raw.encode()
        except (binascii.Error, ValueError):
            return error(400, "body is not valid base64")
        if len(data) > MAX_BODY_BYTES:
            return error(413, f"body is larger than {MAX_BODY_BYTES} bytes")
        try:
            payload = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error(400, "body is not valid JSON")
        if not isinstance(payload, dict):
            return error(400, "body must be a JSON object")
        try:
            event = TicketEvent.model_validate(payload)
        except ValidationError as exc:
            return error(400, "invalid ticket event", validation_details(exc))
        queued = QueuedEvent(event_id=event.event_id, received_at=clock(), event=event)
        try:
            queue().send(queued)
        except Exception:
            logger.exception("enqueue failed", extra={"event_id": queued.event_id})
            return error(503, "could not enqueue the event, retry later")
        metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=1)
        logger.info("event accepted", extra={"event_id": queued.event_id, "source": str(event.source)})
        return json_response(202, {"event_id": queued.event_id})

    add_fallback_handlers(app)
    return app


@cache
def _default_queue() -> EventQueue:
    from ..adapters.sqs import SqsEventQueue

    return SqsEventQueue(os.environ["EVENTS_QUEUE_URL"])


_app = build_app(_default_queue)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _app.resolve(event, context)
