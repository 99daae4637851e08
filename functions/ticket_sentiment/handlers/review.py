"""Human review of escalations (API Gateway REST proxy).

POST /v1/slack/actions: Slack's interactivity request URL. The signature is checked on the raw bytes with the
Slack app's signing secret (401 when wrong, stale or missing; 503 while the secret has none), the click becomes a
review (400 when malformed), the review is stored, the alert message is replaced through `response_url` (best
effort: a failure is logged, the review stands) and Slack gets its empty 200, well within its 3 seconds.

POST /v1/tickets/{ticket_id}/review?source=...[&brand=...]: the same review as JSON {"alert_id", "verdict",
"reviewer"}, for teams without Slack (behind the API key); the ticket is named as on GET /v1/tickets; 404 when
the ticket or the alert does not exist, 400 with reasons otherwise.

The use cases are in review.usecases; the Slack adapters are built in review_wiring, the stores in wiring.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import metric_names as names
from ..ports import ReviewStore, SlackResponder, TicketStore
from ..review import signature
from ..review.errors import BadReview, ReviewError
from ..review.models import Review, ReviewRequest
from ..review.slack_payload import SlackInteraction
from ..review.usecases import record_api_review, updated_alert, verified_click
from .http import BadBody, add_fallback_handlers, error, json_object, json_response, raw_body, ticket_ref, validated
from .observability import logger, metrics
from .review_wiring import default_responder, signing_secret
from .wiring import review_store, ticket_store

MAX_REVIEW_BODY_BYTES = 10_000


def build_app(
    reviews: Callable[[], ReviewStore],
    tickets: Callable[[], TicketStore],
    signing_secret: Callable[[], str | None],
    responder: Callable[[], SlackResponder],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    replay_window: timedelta = signature.DEFAULT_REPLAY_WINDOW,
) -> APIGatewayRestResolver:
    """`signing_secret()` returns the Slack app's signing secret, or None while it is not configured."""
    app = APIGatewayRestResolver()

    @app.post("/v1/slack/actions")
    def slack_actions() -> Response[Any]:
        data = raw_body(app.current_event)
        if data is None:
            return _rejected(BadReview("body is not valid base64"), "slack")
        try:
            secret = signing_secret()
        except Exception:
            logger.exception("Slack signing secret unavailable")
            return error(503, "could not read the Slack signing secret, retry later")
        try:
            click = verified_click(app.current_event.headers or {}, data, secret, clock, replay_window)
        except ReviewError as exc:
            return _rejected(exc, "slack")
        stored = reviews().record(click.review)
        _recorded(stored)
        _update_message(responder, click, stored)
        # Slack only needs the 200; anything in the body would be posted to the channel as a reply.
        return Response(status_code=200, content_type="text/plain", body="")

    @app.post("/v1/tickets/<ticket_id>/review")
    def api_review(ticket_id: str) -> Response[Any]:
        ref = ticket_ref(app.current_event, ticket_id)
        if isinstance(ref, Response):
            return _counted(ref)
        payload = json_object(app.current_event, MAX_REVIEW_BODY_BYTES)
        if isinstance(payload, BadBody):  # 400 when oversized too (the reason says so), unlike ingest's 413
            return _rejected(BadReview(payload.reason), "api")
        request = validated(ReviewRequest, payload, "review")
        if isinstance(request, Response):
            return _counted(request)
        try:
            stored = record_api_review(reviews(), tickets(), ref, request, clock())
        except ReviewError as exc:
            return _rejected(exc, "api")
        _recorded(stored)
        return json_response(200, {"review": stored.model_dump(mode="json")})

    add_fallback_handlers(app)
    return app


def _recorded(review: Review) -> None:
    """Counted and logged the same way from Slack and from the API."""
    metrics.add_metric(name=names.REVIEWS_RECORDED, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=f"{names.REVIEW_VERDICT_PREFIX}{review.verdict}", unit=MetricUnit.Count, value=1)
    logger.info(
        "review recorded",
        extra={
            "ticket_id": review.ticket_id,
            "alert_id": review.alert_id,
            "verdict": review.verdict,
            "source": review.source,
        },
    )


def _rejected(exc: ReviewError, route: str) -> Response[Any]:
    logger.info("review rejected", extra={"route": route, "status": exc.status, "reason": exc.reason})
    return _counted(error(exc.status, exc.reason))


def _counted(rejection: Response[Any]) -> Response[Any]:
    metrics.add_metric(name=names.REVIEWS_REJECTED, unit=MetricUnit.Count, value=1)
    return rejection


def _update_message(responder: Callable[[], SlackResponder], click: SlackInteraction, stored: Review) -> None:
    """Best effort: the review is stored; a stale message is cosmetic, so a failure is logged and counted."""
    message = updated_alert(click, stored)
    if message is None or not click.response_url:
        return
    try:
        responder().post(click.response_url, message)
    except Exception as exc:
        logger.warning(
            "could not update the Slack message",
            extra={
                "ticket_id": stored.ticket_id,
                "alert_id": stored.alert_id,
                "error": type(exc).__name__,
                "detail": str(exc)[:200],
            },
        )
        metrics.add_metric(name=names.REVIEW_MESSAGE_UPDATE_FAILED, unit=MetricUnit.Count, value=1)


_app = build_app(review_store, ticket_store, signing_secret, default_responder)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _app.resolve(event, context)
