"""POST /v1/events and POST /v1/webhooks/{platform} (API Gateway REST proxy): authenticate and validate ticket
events, enqueue them, answer fast.

/v1/events takes the canonical event (400 for bad JSON or fields, 413 for bodies over MAX_BODY_BYTES).
/v1/webhooks/{zendesk|freshdesk|intercom|salesforce|generic} takes each helpdesk's own payload, verified on the raw
bytes with the platform's signature or token from Secrets Manager (401 when wrong or missing, 400 when malformed,
404 for an unknown platform, 503 when the secret is not filled in yet); events are enqueued before the reply, so
an acknowledged delivery (Salesforce's SOAP Ack) is never lost. Only a queue or secret that cannot be reached
answers 503. Errors name fields and reasons, never values.

Nothing personal is queued: each event is prepared and redacted (pipeline.protection.protect_event) before it
is sent, and carries its entity counts, so the events queue holds no raw ticket text.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from .. import bounded_json
from ..adapters.secrets import SecretUnavailableError
from ..helpdesks import WebhookError, error_response, handle_webhook
from ..helpdesks.rotation import SecretVersions
from ..pipeline.events import MAX_BODY_BYTES, QueuedEvent, TicketEvent
from ..pipeline.ports import EventQueue
from ..pipeline.protection import protect_event
from ..pipeline.window import CreatedAtWindow
from .http import add_fallback_handlers, error, json_response
from .observability import logger, metrics


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    """Field and message for each error, without the offending input (it may hold personal data)."""
    return [{"field": ".".join(str(p) for p in err["loc"]) or "body", "reason": err["msg"]}
            for err in exc.errors(include_input=False, include_url=False)[:20]]


SecretLookup = Callable[[str], str | SecretVersions | None]


def boto3_client(service: str) -> Any:
    import boto3

    return boto3.client(service)


def build_app(queue: Callable[[], EventQueue], clock: Callable[[], datetime] = lambda: datetime.now(UTC),
              helpdesk_secret: SecretLookup | None = None,
              window: CreatedAtWindow | None = None) -> APIGatewayRestResolver:
    """`helpdesk_secret(platform)` returns the platform's secret JSON, or None when there is none; `window` bounds
    created_at (default: CreatedAtWindow.from_env(), read per request)."""
    app = APIGatewayRestResolver()

    def raw_body() -> bytes | None:
        raw = app.current_event.body or ""
        try:
            return base64.b64decode(raw, validate=True) if app.current_event.is_base64_encoded else raw.encode()
        except (binascii.Error, ValueError):
            return None

    @app.post("/v1/webhooks/<platform>")
    def post_webhook(platform: str) -> Response[Any]:
        data = raw_body()
        if data is None:
            return error(400, "body is not valid base64")
        lookup = (lambda: helpdesk_secret(platform)) if helpdesk_secret is not None else None
        try:
            result = handle_webhook(platform, app.current_event.headers or {}, data, lookup, clock(),
                                    query=app.current_event.query_string_parameters or {},
                                    window=window or CreatedAtWindow.from_env())
        except WebhookError as exc:
            metrics.add_metric(name="WebhooksRejected", unit=MetricUnit.Count, value=1)
            logger.info("webhook rejected", extra={"platform": platform[:32], "status": exc.status,
                                                   "reason": exc.reason})
            reply = error_response(exc)
            return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)
        except SecretUnavailableError:
            logger.exception("webhook secret unavailable", extra={"platform": platform})
            return error(503, "could not read the webhook secret, retry later")
        received = clock()
        protected = [protect_event(event, received) for event in result.events]
        try:
            for queued in protected:
                queue().send(queued)
        except Exception:
            logger.exception("enqueue failed", extra={"platform": platform, "events": len(result.events)})
            return error(503, "could not enqueue the events, retry later")
        if result.events:
            metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=len(result.events))
        logger.info("webhook accepted", extra={"platform": platform, "events": len(result.events),
                                               "skipped": len(result.skipped), "warnings": list(result.warnings),
                                               "truncated": sum(1 for q in protected if _truncated(q))})
        reply = result.response
        return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)

    @app.post("/v1/events")
    def post_event() -> Response[Any]:
        data = raw_body()
        if data is None:
            return error(400, "body is not valid base64")
        if len(data) > MAX_BODY_BYTES:
            return error(413, f"body is larger than {MAX_BODY_BYTES} bytes")
        try:
            payload = bounded_json.loads(data)
        except bounded_json.JsonInputError as exc:  # bad JSON, nested too deep, or an integer past the bound
            return error(400, exc.reason("body"))
        if not isinstance(payload, dict):
            return error(400, "body must be a JSON object")
        try:
            event = TicketEvent.model_validate(payload)
        except ValidationError as exc:
            return error(400, "invalid ticket event", validation_details(exc))
        now = clock()
        if out_of_window := (window or CreatedAtWindow.from_env()).details(event, now):
            return error(400, "invalid ticket event", out_of_window)
        queued = protect_event(event, now)
        try:
            queue().send(queued)
        except Exception:
            logger.exception("enqueue failed", extra={"event_id": queued.event_id})
            return error(503, "could not enqueue the event, retry later")
        metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=1)
        logger.info("event accepted", extra={"event_id": queued.event_id, "source": str(event.source),
                                             "truncated": _truncated(queued)})
        return json_response(202, {"event_id": queued.event_id})

    add_fallback_handlers(app)
    return app


def _truncated(queued: QueuedEvent) -> bool:
    return queued.redaction is not None and queued.redaction.truncated


@cache
def _default_queue() -> EventQueue:
    from ..adapters.sqs import SqsEventQueue

    return SqsEventQueue(os.environ["EVENTS_QUEUE_URL"])


def secrets_manager_lookup(prefix: str, provider: Any | None = None, max_age: int = 300) -> SecretLookup:
    """`<prefix><platform>`'s versions in Secrets Manager (current and previous, cached for `max_age` seconds, so
    a rotation is verified across: helpdesks.rotation); a secret that does not exist reads as None."""
    from ..adapters.secrets import SecretsManagerVersions

    held: dict[str, SecretsManagerVersions] = {}

    def lookup(platform: str) -> SecretVersions:
        if platform not in held:  # the client is made on first use, not at import (cold start, tests without AWS)
            client = provider.client if provider is not None else boto3_client("secretsmanager")
            held[platform] = SecretsManagerVersions(client, f"{prefix}{platform}", max_age=max_age)
        return held[platform]

    return lookup


_app = build_app(_default_queue, helpdesk_secret=secrets_manager_lookup(os.environ.get("HELPDESK_SECRET_PREFIX",
                                                                                       "ticket-sentiment/helpdesk/")))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _app.resolve(event, context)
