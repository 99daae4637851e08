"""Synth-time checks: cdk-nag fails synth on an unacknowledged finding, cfn-lint finds no error, and a stack
whose layers are not built fails with a message that says what to run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_cfn_lint_finds_no_errors(assembly: Path) -> None:
    from cfnlint.api import lint_file

    matches = lint_file(assembly / "TicketSentiment-test.template.json")
    errors = [f"{m.rule.id} {m.message}" for m in matches if m.rule.severity.lower() == "error"]
    assert errors == []


def test_cdk_nag_fails_synth_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs

    from infra.app import build_app
    from infra.local_deploy import local_layers

    context = json.loads((Path(__file__).parents[2] / "cdk.json").read_text())["context"]
    app = App(outdir=str(tmp_path / "out"), context={**context, "stage": "nag"})
    _, stack = build_app(app, layers_dir=local_layers(tmp_path / "layers"))
    sqs.Queue(Stack.of(stack), "UnencryptedNoDlq", encryption=sqs.QueueEncryption.UNENCRYPTED)
    with pytest.raises(RuntimeError, match="ValidationFailed") as failure:
        app.synth()
    message = str(failure.value)
    assert "AwsSolutions-SQS2" in message  # unencrypted
    flagged = {line.split()[0] for line in message.splitlines() if line.startswith("   TicketSentiment-nag/")}
    assert flagged == {"TicketSentiment-nag/UnencryptedNoDlq/Resource"}  # the service's own resources stay clean


def test_synth_without_built_layers_says_how_to_build_them(tmp_path: Path) -> None:
    from aws_cdk import App

    from infra.app import build_app
    from infra.constructs.layers import LayerNotBuiltError

    with pytest.raises(LayerNotBuiltError, match="make layers ARCH=arm64"):
        build_app(App(outdir=str(tmp_path / "out")), layers_dir=tmp_path / "nothing-here")


def test_runtime_layer_leaves_out_the_sdk_and_install_time_extras() -> None:
    from infra.layers import layer_requirements, platform_args

    layers = layer_requirements()
    assert set(layers) == {"runtime", "numpy", "scoring"}
    names = " ".join(spec for with_deps, without in layers.values() for spec in with_deps + without)
    assert "boto3" not in names
    assert "torch" not in names
    with_deps, without = layers["scoring"]
    assert with_deps == []  # onnxruntime, tokenizers, py3langid: their numpy comes from the numpy layer
    assert {s.split(">")[0].split("=")[0] for s in without} == {"onnxruntime", "tokenizers", "py3langid"}
    runtime = " ".join(layers["runtime"][0] + layers["runtime"][1])
    assert "onnxruntime" not in runtime
    assert "tokenizers" not in runtime
    assert "numpy" not in runtime
    assert [s.split(">")[0] for s in layers["numpy"][0]] == ["numpy"]
    assert "--platform" in platform_args("arm64")
    assert "manylinux2014_aarch64" in platform_args("arm64")
