"""The HTTP API's OpenAPI 3.1 document, built from the pydantic models the handlers validate and answer with.

`python -m ticket_sentiment_tools.openapi` rewrites docs/openapi.json; `--check` fails (exit 1, with a diff) when the
committed document no longer matches the code. The document describes the routes of the ingest, query and
review functions (API Gateway REST proxy) and which credential each needs: an `x-api-key` scheme per key kind
(IngestKey, ReadKey), each operation's `security` taken from infra/routes.py (the table API Gateway and the local
stack enforce); the signed helpdesk webhooks and Slack's actions need no key (`security: []`), their signature is
verified on the raw body. Schemathesis tests run against it with every key kind (tests/hostile/).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema
from ticket_sentiment.events import MAX_BODY_BYTES, TicketEvent
from ticket_sentiment.helpdesks.salesforce import ACK_CONTENT_TYPE
from ticket_sentiment.identity import BRAND_PATTERN, TICKET_ID_PATTERN, Source
from ticket_sentiment.pipeline.lifecycle import ErasureReceipt
from ticket_sentiment.pipeline.ticket_query import TicketResponse
from ticket_sentiment.review.models import Review, ReviewRequest

from infra.routes import KEYLESS_HELPDESKS, ApiKind, route_for

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REF = "#/components/schemas/{model}"
CLAIM_REFUSED = (
    "the event names a helpdesk source (or brand) this producer may not claim: list it in the generic "
    "secret's may_claim, or send source other; nothing is enqueued"
)


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str
    reason: str


class ErrorResponse(BaseModel):
    """Every 4xx and 5xx: a reason, and for validation errors the fields and rules (never the values)."""

    model_config = ConfigDict(extra="allow")

    error: str
    details: list[ErrorDetail] | None = None


class EventAccepted(BaseModel):
    event_id: str


class WebhookAccepted(BaseModel):
    accepted: list[str]
    skipped: list[dict[str, str]]


class WebhookPong(BaseModel):
    pong: bool


class ReviewRecorded(BaseModel):
    review: Review


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel] | dict[str, Any], description: str) -> dict[str, Any]:
    schema = model if isinstance(model, dict) else _ref(model)
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: tuple[int, str]) -> dict[str, Any]:
    return {str(status): _json(ErrorResponse, description) for status, description in statuses}


_COMMON = ((404, "unknown route"), (500, "a bug: a JSON reason, never a stack trace"))
SCHEMES = {ApiKind.INGEST: "IngestKey", ApiKind.READ: "ReadKey"}
_SCHEME_TEXT = {
    ApiKind.INGEST: "The ingest key: event producers and helpdesk triggers; opens only the ingest API's "
    "routes (POST /v1/events, POST /v1/webhooks/generic).",
    ApiKind.READ: "The read key: dashboards and back-office tools; opens only the read API's routes "
    "(GET /v1/tickets/{ticket_id}, POST /v1/tickets/{ticket_id}/review).",
}
FORBIDDEN = 'missing API key, or another API\'s key (API Gateway\'s own answer: {"error": "Forbidden"})'
SIGNED = " No API key: the platform cannot send one; its signature or token is verified on the raw body."


def security_schemes() -> dict[str, Any]:
    return {
        SCHEMES[kind]: {"type": "apiKey", "in": "header", "name": "x-api-key", "description": _SCHEME_TEXT[kind]}
        for kind in ApiKind
    }


def _secured(method: str, path: str, operation: dict[str, Any]) -> dict[str, Any]:
    """`operation` with the security infra/routes.py gives (method, path), and its 403 when a key is needed."""
    route = route_for(method.upper(), path)
    if route is None:
        raise ValueError(f"{method.upper()} {path} is not in infra/routes.py")
    if not route.key_required:
        return {**operation, "security": []}
    responses = dict(operation["responses"])
    responses["403"] = _json(ErrorResponse, FORBIDDEN)
    return {**operation, "security": [{SCHEMES[route.api]: []}], "responses": dict(sorted(responses.items()))}


def _with_security(paths: dict[str, Any]) -> dict[str, Any]:
    # `{platform}` is checked with each platform it admits: every one must need the same credential.
    def concrete(path: str, operation: dict[str, Any]) -> list[str]:
        enums = [p["schema"]["enum"] for p in operation.get("parameters", []) if "enum" in p["schema"]]
        return [path.replace("{platform}", v) for v in enums[0]] if "{platform}" in path else [path]

    secured: dict[str, Any] = {}
    for path, operations in paths.items():
        secured[path] = {}
        for method, operation in operations.items():
            variants = [_secured(method, p, operation) for p in concrete(path, operation)]
            if any(v != variants[0] for v in variants):
                raise ValueError(f"{method.upper()} {path}: its values need different credentials; split it")
            secured[path][method] = variants[0]
    return secured


def _webhook(operation_id: str, summary: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "requestBody": {"required": True, "content": content},
        "responses": {
            "200": {
                "description": "authenticated: nothing to enqueue, a ping, or Salesforce's SOAP Ack",
                "content": {
                    "application/json": {"schema": {"anyOf": [_ref(WebhookAccepted), _ref(WebhookPong)]}},
                    ACK_CONTENT_TYPE: {"schema": {"type": "string"}},
                },
            },
            "202": _json(WebhookAccepted, "authenticated and enqueued"),
            **_errors(
                (400, "authenticated but malformed"),
                (401, "missing, wrong or stale credentials"),
                (413, "body too large"),
                (503, "secret not configured or unreachable, retry"),
                *_COMMON,
            ),
        },
    }


def build_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        TicketEvent,
        TicketResponse,
        ReviewRequest,
        ReviewRecorded,
        ErrorResponse,
        EventAccepted,
        WebhookAccepted,
        WebhookPong,
        ErasureReceipt,
    ]
    _, defs = models_json_schema(
        [(m, "validation" if m in {TicketEvent, ReviewRequest} else "serialization") for m in models], ref_template=REF
    )
    schemas: dict[str, Any] = dict(sorted(defs.get("$defs", {}).items()))
    ticket_id = {
        "name": "ticket_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": TICKET_ID_PATTERN},
        "description": "the helpdesk's own ticket id; the ticket is this id in the namespace of `source` and `brand`",
    }
    # The same id in two helpdesks (or two brands of one) is two tickets: the route names which one.
    namespace = [
        {
            "name": "source",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "enum": [s.value for s in Source]},
            "description": "the helpdesk the ticket is from (as its events named it)",
        },
        {
            "name": "brand",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "pattern": BRAND_PATTERN},
            "description": "the brand/workspace set in that helpdesk's secret, if any",
        },
    ]
    generic = _webhook(
        "postGenericWebhook",
        "Any other producer's webhook: the ingest key and the X-Ticket-Sentiment-Token",
        {"application/json": {"schema": {"type": "object"}}},
    )
    generic["responses"] |= _errors((403, CLAIM_REFUSED))
    paths: dict[str, Any] = {
        "/v1/events": {
            "post": {
                "operationId": "postEvent",
                "summary": "Enqueue one canonical ticket event",
                "description": f"Bodies over {MAX_BODY_BYTES} bytes answer 413.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(TicketEvent)}}},
                "responses": {
                    "202": _json(EventAccepted, "accepted and enqueued"),
                    **_errors(
                        (400, "not JSON, not an object or invalid fields"),
                        (403, CLAIM_REFUSED),
                        (413, "body too large"),
                        (503, "the queue could not be reached, retry"),
                        *_COMMON,
                    ),
                },
            }
        },
        "/v1/webhooks/generic": {"post": generic},
        "/v1/webhooks/{platform}": {
            "post": {
                **_webhook(
                    "postWebhook",
                    "A helpdesk's own webhook payload, verified on the raw bytes",
                    {"application/json": {"schema": {"type": "object"}}, "text/xml": {"schema": {"type": "string"}}},
                ),
                "description": SIGNED.strip(),
                "parameters": [
                    {
                        "name": "platform",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(KEYLESS_HELPDESKS)},
                    }
                ],
            }
        },
        "/v1/tickets/{ticket_id}": {
            "get": {
                "operationId": "getTicket",
                "summary": "Current and thread sentiment, trend, history, escalation",
                "parameters": [ticket_id, *namespace],
                "responses": {
                    "200": _json(TicketResponse, "the ticket"),
                    **_errors(
                        (400, "invalid ticket id, source or brand, or no source"),
                        (404, "ticket not found"),
                        (500, "a bug: a JSON reason, never a stack trace"),
                    ),
                },
            },
            "delete": {
                "operationId": "eraseTicket",
                "summary": "Erase every stored item of the ticket (right to erasure)",
                "description": "Idempotent: 200 with the receipt each time; `erased` is false when nothing of the "
                "ticket was left (no second receipt is written). Query/admin API key only.",
                "parameters": [ticket_id, *namespace],
                "responses": {
                    "200": _json(ErasureReceipt, "erased, or nothing left to erase"),
                    **_errors(
                        (400, "invalid ticket id, source or brand, or no source"),
                        (500, "a bug: a JSON reason, never a stack trace"),
                    ),
                },
            },
        },
        "/v1/tickets/{ticket_id}/review": {
            "post": {
                "operationId": "postReview",
                "summary": "A human verdict on an escalation (teams without Slack)",
                "parameters": [ticket_id, *namespace],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(ReviewRequest)}}},
                "responses": {
                    "200": _json(ReviewRecorded, "stored"),
                    **_errors(
                        (400, "invalid body, ticket id, source or brand, or no source"),
                        (404, "ticket or alert not found"),
                        (500, "a bug: a JSON reason, never a stack trace"),
                    ),
                },
            }
        },
        "/v1/slack/actions": {
            "post": {
                "operationId": "postSlackAction",
                "summary": "Slack interactivity (review buttons), signed by Slack",
                "description": SIGNED.strip(),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"payload": {"type": "string"}},
                                "required": ["payload"],
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "stored; Slack wants an empty body",
                        "content": {"text/plain": {"schema": {"type": "string", "maxLength": 0}}},
                    },
                    **_errors(
                        (400, "signed but malformed"),
                        (401, "missing, wrong or stale signature"),
                        (503, "signing secret not configured or unreachable"),
                        *_COMMON,
                    ),
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ticket-sentiment",
            "version": "1",
            "description": "Generated from the code by `python -m ticket_sentiment_tools.openapi`; do not edit.",
        },
        "paths": _with_security(paths),
        "components": {"schemas": schemas, "securitySchemes": security_schemes()},
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def check(path: Path = DEFAULT_PATH) -> str | None:
    """None when `path` matches the code, else a unified diff (committed -> generated)."""
    wanted = render()
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current == wanted:
        return None
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        wanted.splitlines(keepends=True),
        fromfile=f"{path} (committed)",
        tofile="generated from the code",
    )
    return "".join(diff) or f"{path} is missing\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ticket_sentiment_tools.openapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail with a diff when the committed file drifts")
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    if args.check:
        diff = check(args.path)
        if diff is None:
            print(f"{args.path} is up to date")
            return 0
        sys.stderr.write(f"{args.path} has drifted from the code; run `python -m ticket_sentiment_tools.openapi`.\n")
        sys.stderr.write(diff)
        return 1
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(render(), encoding="utf-8")
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
