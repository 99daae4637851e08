"""POST /v1/webhooks/{platform}: a helpdesk's own delivery, verified on its raw bytes (helpdesks.handle_webhook),
its reported deletions carried out and its events queued, protected, before the helpdesk gets the answer it
expects; a 503 (the helpdesk retries) wherever that cannot be done yet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from .. import metric_names as names
from ..helpdesks import WebhookError, WebhookResult, error_response, handle_webhook
from ..identity import BadTicketRefError, Origin
from ..pipeline.lifecycle import Eraser, Erasure, RequesterKeyMissingError
from ..pipeline.protection import protect_delivery
from ..pipeline.window import CreatedAtWindow
from ..ports import EventQueue, SecretLookup, SecretUnavailableError
from .http import error, raw_body, reply
from .ingest_wiring import created_at_window
from .observability import logger, metrics


def add_webhook_route(
    app: APIGatewayRestResolver,
    *,
    queue: Callable[[], EventQueue],
    clock: Callable[[], datetime],
    helpdesk_secret: SecretLookup | None,
    window: CreatedAtWindow | None,
    eraser: Callable[[], Eraser | None] | None,
) -> None:
    """The route on `app`, with ingest.build_app's dependencies."""

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
                window=window or created_at_window(),
            )
        except WebhookError as exc:
            return refused(exc, "webhook rejected", {"platform": platform[:32], "reason": exc.reason})
        except SecretUnavailableError:
            logger.exception("webhook secret unavailable", extra={"platform": platform})
            return error(503, "could not read the webhook secret, retry later")
        if result.erasures and (failure := _erase(eraser, platform, result.erasures)) is not None:
            return failure
        return _enqueue_delivery(queue, eraser, result, clock(), platform)


def refused(exc: WebhookError, message: str, extra: dict[str, Any]) -> Response[Any]:
    metrics.add_metric(name=names.WEBHOOKS_REJECTED, unit=MetricUnit.Count, value=1)
    logger.info(message, extra={**extra, "status": exc.status})
    return reply(error_response(exc))


def _enqueue_delivery(
    queue: Callable[[], EventQueue],
    eraser: Callable[[], Eraser | None] | None,
    result: WebhookResult,
    received: datetime,
    platform: str,
) -> Response[Any]:
    """Queue a verified delivery's events, protected and with their requesters' hashes, then give the helpdesk
    the answer it expects; 503 (the helpdesk retries) when the requester key or the queue cannot be reached."""
    try:
        target = eraser() if eraser is not None and result.requesters else None
        key = target.hashing_key() if target is not None else None
    except Exception:
        logger.exception("requester key unavailable", extra={"platform": platform})
        return error(503, "could not read the requester key, retry later")
    protected = protect_delivery(result.events, received, Origin.of_webhook(result.platform), result.requesters, key)
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
            "truncated": sum(1 for q in protected if q.truncated),
        },
    )
    return reply(result.response)


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
