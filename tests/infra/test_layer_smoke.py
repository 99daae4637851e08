"""Each function's layers are complete: built by the same code as `make layers` (for this machine's platform, since
Lambda's cannot run here), every handler imports, and the scorer's model scores, with nothing else on the path but
the synthesised code asset, that function's own layers and the SDK the Lambda runtime provides."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import code_asset, function_layers, function_name, props, resources

REPO = Path(__file__).resolve().parents[2]
# What the Lambda Python runtime provides: boto3 and its dependencies.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")

SCRIPT = """
import importlib, importlib.util, json, sys
from pathlib import Path
importlib.import_module(sys.argv[1])  # import = Lambda init
found = {name: importlib.util.find_spec(name) is not None
         for name in ("sympy", "torch", "numpy", "onnxruntime", "tokenizers", "ticket_sentiment_tools", "typer")}
label = None
if sys.argv[2]:
    from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
    label = OnnxSentimentScorer(Path(sys.argv[2])).score(
        ["Still no refund after three weeks. Third time I'm writing."])[0].label
print(json.dumps({"label": label, **found}))
"""


@pytest.mark.slow
def test_each_function_runs_with_only_its_asset_and_layers(
    tmp_path: Path, assembly: Path, template: dict[str, Any]
) -> None:
    import json

    import boto3

    from infra.layers import LAYER_PACKAGES, MODEL, RUNTIME, build_layer, layer_dir

    built = {
        layer: build_layer(layer, layer_dir(tmp_path, layer, "host"), architecture=None) / "python"
        for layer in (RUNTIME, *LAYER_PACKAGES)
    }
    assert not (built[RUNTIME] / "boto3").exists()
    assert not (built[RUNTIME] / "sympy").exists()
    assert not (built[RUNTIME] / "numpy").exists()
    assert not (built[RUNTIME] / "onnxruntime").exists()
    sdk = tmp_path / "runtime-sdk"
    sdk.mkdir()
    site = Path(boto3.__file__).parents[1]
    for name in RUNTIME_SDK:
        if (site / name).exists():
            (sdk / name).symlink_to(site / name)
    asset = code_asset(assembly, template)
    layers = function_layers(template)
    for function in resources(template, "AWS::Lambda::Function").values():
        name = function_name(function)
        path = [str(asset), *(str(built[layer]) for layer in layers[name] if layer != MODEL), str(sdk)]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join(path),
            "PYTHONNOUSERSITE": "1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "TOKENIZERS_PARALLELISM": "false",
        }
        model = str(REPO / "layers" / "model") if MODEL in layers[name] else ""  # mounted at /opt/model in Lambda
        # -S: no site-packages, so nothing from this virtualenv can stand in for a missing layer package; -B: no
        # byte-code written into the synthesised asset.
        done = subprocess.run(
            [sys.executable, "-B", "-S", "-c", SCRIPT, props(function)["Handler"].rsplit(".", 1)[0], model],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{name}:\n{done.stderr[-3000:]}"
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert not result["sympy"], name
        assert not result["torch"], name
        assert not result["ticket_sentiment_tools"], name
        assert not result["typer"], name
        assert result["onnxruntime"] == result["tokenizers"] == ("scoring" in layers[name]), name
        assert result["numpy"] == ("numpy" in layers[name]), name
        assert result["label"] == ("negative" if model else None), name
