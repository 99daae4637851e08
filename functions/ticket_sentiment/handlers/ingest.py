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

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from .. import bounded_json
from .. import metric_names as names
from ..adapters.aws.secrets import secrets_manager_lookup
from ..events import MAX_BODY_BYTES, QueuedEvent, TicketEvent
from ..helpdesks import WebhookError, error_response, handle_webhook, producer_claims
from ..helpdesks.generic import authorize
from ..identity import HELPDESK_SOURCES, BadTicketRefError, Origin
from ..pipeline.lifecycle import Eraser, Erasure, RequesterKeyMissingError, requester_hash
from ..pipeline.protection import protect_event
from ..pipeline.window import CreatedAtWindow
from ..ports import EventQueue, SecretLookup, SecretUnavailableError
from ..settings import EVENTS_QUEUE_URL, ErasureSettings, IngestSettings
from .http import add_fallback_handlers, error, json_response, raw_body, validation_details
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

    @app.post("/v1/webhooks/<platform>")
    def post_webhook(platform: str) -> Response[Any]:
        data = raw_body(app.current_event)
        if data is None:
            return error(400, "body is not valid base64")
        lookup = (lambda: helpdesk_secret(platform)) if helpdesk_secret is not None else None
        try:
            result = handle_webhook(
                platform,
                app.current_event.headers or {},
                data,
                lookup,
                clock(),
                query=app.current_event.query_string_parameters or {},
                window=window or _window(),
            )
        except WebhookError as exc:
            metrics.add_metric(name=names.WEBHOOKS_REJECTED, unit=MetricUnit.Count, value=1)
            logger.info(
                "webhook rejected", extra={"platform": platform[:32], "status": exc.status, "reason": exc.reason}
            )
            reply = error_response(exc)
            return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)
        except SecretUnavailableError:
            logger.exception("webhook secret unavailable", extra={"platform": platform})
            return error(503, "could not read the webhook secret, retry later")
        if result.erasures and (failure := _erase(eraser, platform, result.erasures)) is not None:
            return failure
        received = clock()
        try:
            key = _requester_key(eraser) if result.requesters else None
        except Exception:
            logger.exception("requester key unavailable", extra={"platform": platform})
            return error(503, "could not read the requester key, retry later")
        origin = Origin.of_webhook(result.platform)
        protected = [_with_requester(protect_event(e, received, origin), result.requesters, key) for e in result.events]
        try:
            for queued in protected:
                queue().send(queued)
        except Exception:
            logger.exception("enqueue failed", extra={"platform": platform, "events": len(result.events)})
            return error(503, "could not enqueue the events, retry later")
        if result.events:
            metrics.add_metric(name=names.EVENTS_ACCEPTED, unit=MetricUnit.Count, value=len(result.events))
        logger.info(
            "webhook accepted",
            extra={
                "platform": platform,
                "events": len(result.events),
                "skipped": len(result.skipped),
                "warnings": list(result.warnings),
                "truncated": sum(1 for q in protected if _truncated(q)),
            },
        )
        reply = result.response
        return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)

    def claim_refused(event: TicketEvent) -> Response[Any] | None:
        """403 when the producer names a helpdesk source or brand the generic secret's may_claim does not list."""
        if event.source not in HELPDESK_SOURCES:
            return None  # `other` (any brand) is no helpdesk's: no secret read on the common path
        try:
            authorize([event], producer_claims(lambda: helpdesk_secret("generic") if helpdesk_secret else None))
        except WebhookError as exc:
            metrics.add_metric(name=names.WEBHOOKS_REJECTED, unit=MetricUnit.Count, value=1)
            logger.info("event refused", extra={"source": str(event.source), "status": exc.status})
            reply = error_response(exc)
            return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)
        except SecretUnavailableError:
            logger.exception("producer secret unavailable")
            return error(503, "could not read the producer's secret, retry later")
        return None

    @app.post("/v1/events")
    def post_event() -> Response[Any]:
        data = raw_body(app.current_event)
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
        if out_of_window := (window or _window()).details(event, now):
            return error(400, "invalid ticket event", out_of_window)
        if refused := claim_refused(event):
            return refused
        queued = protect_event(event, now, Origin.EVENTS)
        try:
            queue().send(queued)
        except Exception:
            logger.exception("enqueue failed", extra={"event_id": queued.event_id})
            return error(503, "could not enqueue the event, retry later")
        metrics.add_metric(name=names.EVENTS_ACCEPTED, unit=MetricUnit.Count, value=1)
        logger.info(
            "event accepted",
            extra={"event_id": queued.event_id, "source": str(event.source), "truncated": _truncated(queued)},
        )
        return json_response(202, {"event_id": queued.event_id})

    add_fallback_handlers(app)
    return app


def _erase(
    eraser: Callable[[], Eraser | None] | None, platform: str, erasures: Sequence[Erasure]
) -> Response[Any] | None:
    """Carry out the helpdesk's deletions before answering (a 200 tells it they are done); None when all were, else
    the 503 that makes the helpdesk retry (erasure is idempotent, so a retry after a partial run is safe)."""
    target = eraser() if eraser is not None else None
    if target is None:
        logger.error("deletion webhook but erasure is not configured", extra={"platform": platform})
        return error(503, "erasure is not configured here, retry later")
    try:
        receipts = [receipt for erasure in erasures for receipt in target.carry_out(erasure)]
    except RequesterKeyMissingError:
        logger.error("requester deletion but no requester key", extra={"platform": platform})
        return error(503, "erasure by requester is not configured here, retry later")
    except BadTicketRefError as exc:  # an id no ticket can have: nothing to erase, and a retry would not help
        return error(400, str(exc))
    except Exception:
        logger.exception("erasure failed", extra={"platform": platform, "erasures": len(erasures)})
        return error(503, "could not erase, retry later")
    erased = [r for r in receipts if r.erased]
    metrics.add_metric(name=names.TICKETS_ERASED, unit=MetricUnit.Count, value=len(erased))
    logger.info(
        "helpdesk deletion carried out",
        extra={
            "platform": platform,
            "kinds": [e.kind.value for e in erasures],
            "ticket_hashes": [r.ticket_hash for r in erased],
            "items": sum(r.counts.total for r in receipts),
        },
    )
    return None


def _requester_key(eraser: Callable[[], Eraser | None] | None) -> bytes | None:
    target = eraser() if eraser is not None else None
    return target.requester_key() if target is not None and target.requester_key is not None else None


def _with_requester(queued: QueuedEvent, requesters: Mapping[str, str], key: bytes | None) -> QueuedEvent:
    """Queued with the requester's keyed hash, never the id; without a key, without a requester."""
    requester = requesters.get(queued.event_id)
    if key is None or requester is None:
        return queued
    return queued.model_copy(update={"requester_hash": requester_hash(key, str(queued.event.source), requester)})


def _truncated(queued: QueuedEvent) -> bool:
    return queued.redaction is not None and queued.redaction.truncated


def _window() -> CreatedAtWindow:
    """The created_at window from INGEST_MAX_AGE_DAYS / INGEST_MAX_AHEAD_MINUTES (read per request)."""
    settings = IngestSettings.from_env()
    return CreatedAtWindow.with_limits(settings.max_age_days, settings.max_ahead_minutes)


@cache
def _default_queue() -> EventQueue:
    from ..adapters.aws.sqs import SqsEventQueue

    queue_url = IngestSettings.from_env().events_queue_url  # read when first needed: after the test's setenv
    if queue_url is None:
        raise KeyError(EVENTS_QUEUE_URL)
    return SqsEventQueue(queue_url)


@cache
def _default_eraser() -> Eraser | None:
    settings = ErasureSettings.from_env()
    if settings.table_name is None:
        return None
    from ..adapters.aws.erasure import aws_eraser

    return aws_eraser(settings)


_app = build_app(
    _default_queue,
    helpdesk_secret=secrets_manager_lookup(IngestSettings.from_env().helpdesk_secret_prefix),
    eraser=_default_eraser,
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _app.resolve(event, context)
