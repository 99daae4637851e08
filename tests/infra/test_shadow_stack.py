"""The shadow model in the stack: off by default (one model, no SHADOW_MODEL_DIR), a second model layer on the scorer
alone when the context names one, refused when it is not a model or is the live model again; and the dashboard
marks model version changes with the ModelVersion metric dimension."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ticket_sentiment import metric_names as m
from ticket_sentiment import settings as env

from infra.constructs.layers import LayerNotBuiltError, ServiceLayers
from infra.layers import MODEL_SOURCE, SHADOW_MODEL

from .conftest import function_layers, function_name, props, resources

Template = dict[str, Any]
SHADOW_VERSION = "ticket-sentiment-shadow-candidate-0.1.0"


def _environments(template: Template) -> dict[str, dict[str, str]]:
    return {
        function_name(f): props(f).get("Environment", {}).get("Variables", {})
        for f in resources(template, "AWS::Lambda::Function").values()
    }


def _candidate(out: Path, version: str = SHADOW_VERSION) -> Path:
    """The bundled model under another version: a stand-in for a fine-tuned candidate."""
    meta = json.loads((MODEL_SOURCE / "model_meta.json").read_text())
    for name in ("model.onnx", meta["onnx_external_data"], "tokenizer.json", "MODEL_CARD.md"):
        (out / name).symlink_to(MODEL_SOURCE / name)
    (out / "model_meta.json").write_text(json.dumps(meta | {"version": version}))
    return out


def test_without_a_shadow_model_the_scorer_loads_one_model(template: Template) -> None:
    assert all(env.SHADOW_MODEL_DIR not in variables for variables in _environments(template).values())
    assert all(SHADOW_MODEL not in layers for layers in function_layers(template).values())
    assert "ShadowModelVersion" not in template["Outputs"]


@pytest.fixture(scope="module")
def shadow_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    from infra.local_deploy import synth_local

    candidate = _candidate(tmp_path_factory.mktemp("candidate"))
    assembly = synth_local(
        tmp_path_factory.mktemp("cdk-shadow") / "cdk.out", stage="shadow", overrides={"shadow_model": str(candidate)}
    )
    data: Template = json.loads((assembly / "TicketSentiment-shadow.template.json").read_text())
    return data


def test_a_shadow_model_ships_as_a_second_layer_on_the_scorer_alone(shadow_template: Template) -> None:
    layers = function_layers(shadow_template)
    assert layers["score"][-2:] == ["model", SHADOW_MODEL]
    assert [name for name, found in layers.items() if SHADOW_MODEL in found] == ["score"]
    environments = _environments(shadow_template)
    assert environments["score"][env.SHADOW_MODEL_DIR] == f"/opt/{SHADOW_MODEL}"
    assert [name for name, variables in environments.items() if env.SHADOW_MODEL_DIR in variables] == ["score"]
    assert shadow_template["Outputs"]["ShadowModelVersion"]["Value"] == SHADOW_VERSION


def test_a_shadow_model_that_is_no_model_or_the_live_one_fails_synth(tmp_path: Path) -> None:
    from aws_cdk import App, Stack

    from infra.local_deploy import local_layers

    build = local_layers(tmp_path / "layers")
    live = json.loads((MODEL_SOURCE / "model_meta.json").read_text())["version"]
    (tmp_path / "same").mkdir()
    for source, why in ((tmp_path / "missing", "not a model directory"), (_candidate(tmp_path / "same", live), live)):
        with pytest.raises(LayerNotBuiltError, match=why):
            ServiceLayers(
                Stack(App(), "S"),
                "Layers",
                architecture="arm64",
                python_version="3.13",
                build_dir=build,
                shadow_model=str(source),
            )


def test_the_dashboard_marks_model_version_changes(template: Template) -> None:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(props(dashboard)["DashboardBody"])
    assert "Model versions" in body
    # One line per version, found by SEARCH, so a new version appears without a redeploy: live and shadow.
    assert body.count(f"SEARCH('{{{m.NAMESPACE},{m.MODEL_VERSION_DIMENSION},service}} MetricName=") == 2
    assert m.SCORED_BY_MODEL_VERSION in body
    assert m.SHADOW_SCORED in body
    assert f"PROP('Dim.{m.MODEL_VERSION_DIMENSION}')" in body
    assert m.SHADOW_FAILED in body
