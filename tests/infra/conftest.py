"""The CDK app is synthesised once per test session (cdk-nag runs as part of it) and shared by the infra tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from infra.local_deploy import synth_local

    # Write-back is off by default; switched on here so its queue, function and grants are synthesised and checked.
    return synth_local(
        tmp_path_factory.mktemp("cdk") / "cdk.out", stage="test", overrides={"writeback": ["zendesk", "intercom"]}
    )


@pytest.fixture(scope="session")
def template(assembly: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((assembly / "TicketSentiment-test.template.json").read_text())
    return data


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = resource.get("Properties", {})
    return value


def function_name(resource: dict[str, Any]) -> str:
    """The function's name in the stack (ingest, score, ...), from ticket-sentiment-<stage>-<name>."""
    name = props(resource)["FunctionName"]
    full: str = name["Fn::Join"][1][-1] if isinstance(name, dict) else name
    return full.rsplit("-", 1)[-1]


def function_layers(template: dict[str, Any]) -> dict[str, list[str]]:
    """Each function's layers by name (infra.layers: runtime, numpy, scoring, model), in the order it lists them."""
    from infra.constructs.layers import LAYER_IDS

    by_id = {
        logical_id: next(n for n, construct_id in LAYER_IDS.items() if logical_id.startswith(f"Layers{construct_id}"))
        for logical_id in resources(template, "AWS::Lambda::LayerVersion")
    }
    return {
        function_name(f): [by_id[layer["Ref"]] for layer in props(f).get("Layers", [])]
        for f in resources(template, "AWS::Lambda::Function").values()
    }


def asset_dir(assembly: Path, code: dict[str, Any]) -> Path:
    """The synthesised asset folder behind a function's Code or a layer's Content (S3Key <hash>.zip)."""
    manifest = json.loads(next(assembly.glob("*.assets.json")).read_text())
    source: dict[str, str] = manifest["files"][code["S3Key"].removesuffix(".zip")]["source"]
    return assembly / source["path"]


def code_asset(assembly: Path, template: dict[str, Any]) -> Path:
    """The functions' code asset folder; every function shares the one asset."""
    functions = resources(template, "AWS::Lambda::Function").values()
    codes = {json.dumps(props(f)["Code"], sort_keys=True) for f in functions}
    assert len(codes) == 1, codes
    return asset_dir(assembly, json.loads(codes.pop()))
