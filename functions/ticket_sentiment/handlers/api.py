"""The read/admin API: GET /v1/tickets/{id} (the ticket's current and thread sentiment, trend, scored history,
escalation state) and DELETE /v1/tickets/{id} (erasure on request: every item of the ticket, and a receipt).

A ticket is named by its helpdesk id in its source's namespace: `?source=zendesk` (required) and `&brand=acme`
(when the helpdesk's secret sets a brand); see identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import metric_names as names
from ..pipeline.lifecycle import Eraser
from ..pipeline.ticket_query import ticket_with_history
from ..ports import TicketAdminStore
from .http import add_fallback_handlers, error, json_response, ticket_ref
from .observability import logger, metrics
from .wiring import table_eraser, ticket_store


def build_app(
    store: Callable[[], TicketAdminStore], eraser: Callable[[], Eraser] | None = None
) -> APIGatewayRestResolver:
    """`eraser` (default: over `store` alone) also sweeps the parked queues: the one a helpdesk deletion uses."""
    app = APIGatewayRestResolver()

    @app.get("/v1/tickets/<ticket_id>")
    def get_ticket(ticket_id: str) -> Response[Any]:
        ref = ticket_ref(app.current_event, ticket_id)
        if isinstance(ref, Response):
            return ref
        found = ticket_with_history(store(), ref)
        metrics.add_metric(name=names.TICKET_READS if found else names.TICKET_MISSES, unit=MetricUnit.Count, value=1)
        if found is None:
            return error(404, "ticket not found")
        return json_response(200, found.model_dump_json())

    @app.delete("/v1/tickets/<ticket_id>")
    def delete_ticket(ticket_id: str) -> Response[Any]:
        """Idempotent: 200 with the receipt each time; `erased` is false when nothing of the ticket was left."""
        ref = ticket_ref(app.current_event, ticket_id)
        if isinstance(ref, Response):
            return ref
        receipt = (eraser() if eraser is not None else Eraser(store())).ticket(ref)
        metrics.add_metric(name=names.TICKETS_ERASED, unit=MetricUnit.Count, value=int(receipt.erased))
        logger.info("ticket erased", extra={"ticket_hash": receipt.ticket_hash, "items": receipt.counts.total})
        return json_response(200, receipt.model_dump_json())

    add_fallback_handlers(app)
    return app


_app = build_app(ticket_store, table_eraser)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _app.resolve(event, context)
