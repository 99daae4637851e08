"""Which credential opens which route: the one table the CDK API and the local stack both enforce.

Two API keys, each on its own REST API and usage plan: the ingest key (configured in every helpdesk's trigger,
so it must be assumed leaked sooner or later) opens only the write routes; the read key (dashboards, back-office
tools) opens only the ticket and review routes. API Gateway accepts a usage plan's key on every key-required
method of the stages the plan is attached to, so splitting the routes across two APIs is what scopes each key.
Routes with no key are the helpdesk and Slack callbacks that cannot send a custom header: the function verifies
their signature or token on the raw body instead. Pure Python: no CDK import, so tools/ can read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ApiKind(StrEnum):
    """The REST API a route lives on; each has its own key and usage plan."""

    INGEST = "ingest"
    READ = "read"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as API Gateway writes it: {name} for a path parameter
    api: ApiKind
    key_required: bool

    def matches(self, method: str, path: str) -> bool:
        want, got = self.path.strip("/").split("/"), path.strip("/").split("/")
        return (
            method == self.method
            and len(want) == len(got)
            and all(w == g or (w.startswith("{") and bool(g)) for w, g in zip(want, got, strict=True))
        )


KEYLESS_HELPDESKS = ("zendesk", "freshdesk", "intercom", "salesforce")  # signed by the platform, no custom header

ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/events", ApiKind.INGEST, key_required=True),
    Route("POST", "/v1/webhooks/generic", ApiKind.INGEST, key_required=True),
    *(Route("POST", f"/v1/webhooks/{p}", ApiKind.INGEST, key_required=False) for p in KEYLESS_HELPDESKS),
    Route("GET", "/v1/tickets/{ticket_id}", ApiKind.READ, key_required=True),
    Route("DELETE", "/v1/tickets/{ticket_id}", ApiKind.READ, key_required=True),  # erasure: never the ingest key
    Route("POST", "/v1/tickets/{ticket_id}/review", ApiKind.READ, key_required=True),
    Route("POST", "/v1/slack/actions", ApiKind.READ, key_required=False),  # Slack signs; it sends no API key
)


def route_for(method: str, path: str) -> Route | None:
    return next((r for r in ROUTES if r.matches(method, path)), None)


def key_admits(route: Route | None, key_kind: ApiKind | None) -> bool:
    """Whether a request carrying a key of `key_kind` (None: no or an unknown key) may call `route`.

    An unknown route is left to the API's own 404; a key-required route needs its own API's key, as a usage plan
    attached only to that API's stage enforces."""
    return route is None or not route.key_required or key_kind == route.api
