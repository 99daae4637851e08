"""POST /v1/events and POST /v1/webhooks/{platform} (API Gateway REST proxy): authenticate and validate ticket
events, enqueue them, answer fast.

/v1/events takes the canonical event (400 for bad JSON or fields, 413 for bodies over MAX_BODY_BYTES).
/v1/webhooks/{zendesk|freshdesk|intercom|salesforce|generic} takes each helpdesk's own payload, verified on the raw
bytes with the platform's signature or token from Secrets Manager (401 when wrong or missing, 400 when malformed,
404 for an unknown platform, 503 when the secret is not filled in yet); events are enqueued before the reply, so
an acknowledged delivery (Salesforce's SOAP Ack) is never lost. Only a queue or secret that cannot be reached
answers 503. Errors name fields and reasons, never values.

Nothing personal is queued: each event is prepared and redacted (pipeline.protection.protect_event) before it
is sent, and carries its entity counts, so the events queue holds no raw ticket text. The webhook route is in
ingest_webhook, the adapters are built in ingest_wiring.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import metric_names as names
from ..events import MAX_BODY_BYTES, TicketEvent
from ..helpdesks import WebhookError, producer_claims
from ..helpdesks.generic import authorize_producer
from ..identity import Origin
from ..pipeline.lifecycle import Eraser
from ..pipeline.protection import protect_event
from ..pipeline.window import CreatedAtWindow
from ..ports import EventQueue, SecretLookup, SecretUnavailableError
from .http import BadBody, add_fallback_handlers, error, json_object, json_response, validated
from .ingest_webhook import add_webhook_route, refused
from .ingest_wiring import created_at_window, default_eraser, default_queue, helpdesk_secrets
from .observability import logger, metrics


def build_app(
    queue: Callable[[], EventQueue],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    helpdesk_secret: SecretLookup | None = None,
    window: CreatedAtWindow | None = None,
    eraser: Callable[[], Eraser | None] | None = None,
) -> APIGatewayRestResolver:
    """`helpdesk_secret(platform)` returns the platform's secret (JSON or versions), or None when there is none;
    `window` bounds created_at (default: the function's settings, read per request); `eraser` carries out the
    deletions a helpdesk's verified webhook reports (None: such a delivery is answered 503, never dropped) and
    hashes requester ids with its key."""
    app = APIGatewayRestResolver()

    add_webhook_route(app, queue=queue, clock=clock, helpdesk_secret=helpdesk_secret, window=window, eraser=eraser)

    @app.post("/v1/events")
    def post_event() -> Response[Any]:
        payload = json_object(app.current_event, MAX_BODY_BYTES)
        if isinstance(payload, BadBody):
            return error(payload.status, payload.reason)
        event = validated(TicketEvent, payload, "ticket event")
        if isinstance(event, Response):
            return event
        now = clock()
        if out_of_window := (window or created_at_window()).details(event, now):
            return error(400, "invalid ticket event", out_of_window)
        try:
            authorize_producer(
                event, lambda: producer_claims(lambda: helpdesk_secret("generic") if helpdesk_secret else None)
            )
        except WebhookError as exc:  # 403: a helpdesk source or brand the generic secret's may_claim does not list
            return refused(exc, "event refused", {"source": str(event.source)})
        except SecretUnavailableError:
            logger.exception("producer secret unavailable")
            return error(503, "could not read the producer's secret, retry later")
        queued = protect_event(event, now, Origin.EVENTS)
        try:
            queue().send(queued)
        except Exception:
            logger.exception("enqueue failed", extra={"event_id": queued.event_id})
            return error(503, "could not enqueue the event, retry later")
        metrics.add_metric(name=names.EVENTS_ACCEPTED, unit=MetricUnit.Count, value=1)
        logger.info(
            "event accepted",
            extra={"event_id": queued.event_id, "source": str(event.source), "truncated": queued.truncated},
        )
        return json_response(202, {"event_id": queued.event_id})

    add_fallback_handlers(app)
    return app


_app = build_app(default_queue, helpdesk_secret=helpdesk_secrets(), eraser=default_eraser)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _app.resolve(event, context)
