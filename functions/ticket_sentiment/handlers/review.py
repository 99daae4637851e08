"""Human review of escalations (API Gateway REST proxy).

POST /v1/slack/actions: Slack's interactivity request URL. The signature is checked on the raw bytes with the
Slack app's signing secret (401 when wrong, stale or missing; 503 while the secret has none), the click becomes a
review (400 when malformed), the review is stored, the alert message is replaced through `response_url` (best
effort: a failure is logged, the review stands) and Slack gets its empty 200, well within its 3 seconds.

POST /v1/tickets/{ticket_id}/review?source=...[&brand=...]: the same review as JSON {"alert_id", "verdict",
"reviewer"}, for teams without Slack (behind the API key); the ticket is named as on GET /v1/tickets; 404 when
the ticket or the alert does not exist, 400 with reasons otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from .. import bounded_json
from .. import metric_names as names
from ..ports import ReviewStore, SlackResponder, TicketStore
from ..review import signature
from ..review.errors import BadReview, NotConfigured, ReviewError
from ..review.message import reviewed_message
from ..review.models import Review, ReviewRequest
from ..review.slack_payload import SlackInteraction, parse_interaction
from ..review.usecases import record_api_review
from ..settings import ReviewSettings, TableSettings
from .http import add_fallback_handlers, error, json_response, raw_body, ticket_ref, validation_details
from .observability import logger, metrics

MAX_REVIEW_BODY_BYTES = 10_000


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
    metrics.add_metric(name=names.REVIEWS_REJECTED, unit=MetricUnit.Count, value=1)
    logger.info("review rejected", extra={"route": route, "status": exc.status, "reason": exc.reason})
    return error(exc.status, exc.reason)


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

    def update_message(click: SlackInteraction, stored: Review) -> None:
        if not click.response_url:
            return
        # The stored verdict: an older click arriving late shows what actually stands.
        message = reviewed_message(click.message_blocks, click.message_text, stored.reviewer, stored.verdict)
        try:
            responder().post(click.response_url, message)
        except Exception as exc:  # the review is stored; a stale message is cosmetic
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
            if not secret:
                raise NotConfigured("the Slack secret has no signing_secret yet")
            signature.verify(app.current_event.headers or {}, data, secret, clock(), replay_window)
            click = parse_interaction(data, clock())
        except ReviewError as exc:
            return _rejected(exc, "slack")
        stored = reviews().record(click.review)
        _recorded(stored)
        update_message(click, stored)
        # Slack only needs the 200; anything in the body would be posted to the channel as a reply.
        return Response(status_code=200, content_type="text/plain", body="")

    @app.post("/v1/tickets/<ticket_id>/review")
    def api_review(ticket_id: str) -> Response[Any]:
        ref = ticket_ref(app.current_event, ticket_id)
        if isinstance(ref, Response):
            metrics.add_metric(name=names.REVIEWS_REJECTED, unit=MetricUnit.Count, value=1)
            return ref
        data = raw_body(app.current_event)
        if data is None:
            return _rejected(BadReview("body is not valid base64"), "api")
        if len(data) > MAX_REVIEW_BODY_BYTES:
            return _rejected(BadReview(f"body is larger than {MAX_REVIEW_BODY_BYTES} bytes"), "api")
        try:
            payload = bounded_json.loads(data)
        except bounded_json.JsonInputError as exc:  # bad JSON, nested too deep, or an integer past the bound
            return _rejected(BadReview(exc.reason("body")), "api")
        if not isinstance(payload, dict):
            return _rejected(BadReview("body must be a JSON object"), "api")
        try:
            request = ReviewRequest.model_validate(payload)
        except ValidationError as exc:
            metrics.add_metric(name=names.REVIEWS_REJECTED, unit=MetricUnit.Count, value=1)
            return error(400, "invalid review", validation_details(exc))
        try:
            stored = record_api_review(reviews(), tickets(), ref, request, clock())
        except ReviewError as exc:
            return _rejected(exc, "api")
        _recorded(stored)
        return json_response(200, {"review": stored.model_dump(mode="json")})

    add_fallback_handlers(app)
    return app


@cache
def _default_reviews() -> ReviewStore:
    from ..adapters.aws.reviews import DynamoReviewStore

    settings = TableSettings.from_env()
    return DynamoReviewStore(settings.table_name, retention=settings.retention)


@cache
def _default_tickets() -> TicketStore:
    from ..adapters.aws.dynamodb import DynamoTicketStore

    settings = TableSettings.from_env()
    return DynamoTicketStore(settings.table_name, retention=settings.retention)


@cache
def _default_secret() -> Callable[[], str | None]:
    from ..adapters.http.slack_interactivity import SlackSigningSecret

    return SlackSigningSecret(ReviewSettings.from_env().slack_secret_id)  # cached by Powertools for 5 minutes


@cache
def _default_responder() -> SlackResponder:
    from ..adapters.http.slack_interactivity import SlackResponder as HttpSlackResponder

    return HttpSlackResponder()  # hooks.slack.com over https only


def _signing_secret() -> str | None:
    return _default_secret()()  # the provider (a boto3 client) is made on first use, not at import


_app = build_app(_default_reviews, _default_tickets, _signing_secret, _default_responder)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _app.resolve(event, context)
