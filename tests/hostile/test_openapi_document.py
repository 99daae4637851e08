"""docs/openapi.json is generated from the code; the build fails when the committed document drifts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ticket_sentiment.handlers.api import build_app as build_api_app
from ticket_sentiment.handlers.ingest import build_app as build_ingest_app
from ticket_sentiment.handlers.review import build_app as build_review_app
from ticket_sentiment_tools.openapi import DEFAULT_PATH, build_document, check, main


def test_committed_document_matches_the_code() -> None:
    result = subprocess.run([sys.executable, "-m", "ticket_sentiment_tools.openapi", "--check"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def test_check_reports_a_diff_when_the_file_drifts(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(DEFAULT_PATH.read_text().replace('"version": "1"', '"version": "0"'))
    diff = check(stale)
    assert diff is not None and '-    "version": "0"' in diff
    assert main(["--check", "--path", str(stale)]) == 1
    assert main(["--path", str(stale)]) == 0 and check(stale) is None


def _routes(*apps: object) -> set[tuple[str, str]]:
    return {(str(route.method).upper(), str(route.path))
            for app in apps for route in app._static_routes + app._dynamic_routes}  # type: ignore[attr-defined]


def test_every_route_of_the_resolvers_is_documented() -> None:
    apps = (build_ingest_app(lambda: None),  # type: ignore[arg-type,return-value]
            build_api_app(lambda: None),  # type: ignore[arg-type,return-value]
            build_review_app(lambda: None, lambda: None, lambda: None, lambda: None))  # type: ignore[arg-type,return-value]
    documented = {(method.upper(), path) for path, ops in build_document()["paths"].items() for method in ops}
    routes = {(m, p.replace("<", "{").replace(">", "}")) for m, p in _routes(*apps)}
    assert routes == documented
