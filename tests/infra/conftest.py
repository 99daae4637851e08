"""The CDK app is synthesised once per test session (cdk-nag runs as part of it) and shared by the infra tests."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from infra.local_deploy import synth_local

    # Write-back is off by default; switched on here so its queue, function and grants are synthesised and checked.
    return synth_local(tmp_path_factory.mktemp("cdk") / "cdk.out", stage="test",
                       overrides={"writeback": ["zendesk", "intercom"]})


@pytest.fixture(scope="session")
def template(assembly: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((assembly / "TicketSentiment-test.template.json").read_text())
    return data


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from ticket_sentiment.local_stack import start_moto

    server, endpoint = start_moto()
    yield endpoint
    server.stop()


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = resource.get("Properties", {})
    return value
