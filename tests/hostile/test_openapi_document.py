"""docs/openapi.json is generated from the code; the build fails when the committed document drifts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ticket_sentiment.handlers.api import build_app as build_api_app
from ticket_sentiment.handlers.ingest import build_app as build_ingest_app
from ticket_sentiment.handlers.review import build_app as build_review_app
from ticket_sentiment.helpdesks import PLATFORMS
from ticket_sentiment_tools.openapi import DEFAULT_PATH, SCHEMES, build_document, check, main

from infra.routes import KEYLESS_HELPDESKS, ROUTES, ApiKind, Route


def test_committed_document_matches_the_code() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ticket_sentiment_tools.openapi", "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_check_reports_a_diff_when_the_file_drifts(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(DEFAULT_PATH.read_text().replace('"version": "1"', '"version": "0"'))
    diff = check(stale)
    assert diff is not None
    assert '-    "version": "0"' in diff
    assert main(["--check", "--path", str(stale)]) == 1
    assert main(["--path", str(stale)]) == 0
    assert check(stale) is None


def _routes(*apps: object) -> set[tuple[str, str]]:
    return {
        (str(route.method).upper(), str(route.path))
        for app in apps
        for route in app._static_routes + app._dynamic_routes  # type: ignore[attr-defined]
    }


def test_every_route_of_the_resolvers_is_documented() -> None:
    apps = (
        build_ingest_app(lambda: None),  # type: ignore[arg-type,return-value]
        build_api_app(lambda: None),  # type: ignore[arg-type,return-value]
        build_review_app(lambda: None, lambda: None, lambda: None, lambda: None),  # type: ignore[arg-type,return-value]
    )
    routes = {(m, p.replace("<", "{").replace(">", "}")) for m, p in _routes(*apps)}
    # /v1/webhooks/generic is its own operation (it needs the ingest key) but the resolver's {platform} route.
    documented = {
        next(r for r in routes if r[0] == m and Route(m, r[1], ApiKind.INGEST, False).matches(m, path))
        for path, ops in build_document()["paths"].items()
        for m in (method.upper() for method in ops)
    }
    assert routes == documented
    assert set(PLATFORMS) == {*KEYLESS_HELPDESKS, "generic"}  # the two webhook operations cover every platform


def _operation(route: Route) -> dict[str, Any]:
    """The documented operation serving `route` (a concrete platform path falls back to /v1/webhooks/{platform})."""
    paths = build_document()["paths"]
    path = route.path if route.path in paths else "/v1/webhooks/{platform}"
    operation: dict[str, Any] = paths[path][route.method.lower()]
    if path != route.path:
        assert route.path.rsplit("/", 1)[1] in operation["parameters"][0]["schema"]["enum"]
    return operation


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_each_operation_states_the_key_infra_routes_requires(route: Route) -> None:
    operation = _operation(route)
    if route.key_required:
        assert operation["security"] == [{SCHEMES[route.api]: []}]
        forbidden = operation["responses"]["403"]["content"]["application/json"]["schema"]
        assert forbidden == {"$ref": "#/components/schemas/ErrorResponse"}
    else:  # signed by the platform: no API key, and the key gate never answers 403
        assert operation["security"] == []
        assert "403" not in operation["responses"]


def test_one_x_api_key_scheme_per_key_kind() -> None:
    schemes = build_document()["components"]["securitySchemes"]
    assert set(schemes) == {"IngestKey", "ReadKey"} == {SCHEMES[kind] for kind in ApiKind}
    assert all(s["type"] == "apiKey" and s["in"] == "header" and s["name"] == "x-api-key" for s in schemes.values())
