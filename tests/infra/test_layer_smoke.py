"""The run-time layer's package set is complete: built by the same code as `make layers` (for this machine's
platform, since Lambda's cannot run here), every handler imports and the model scores with nothing else on the
path but the layer, the function code and the SDK the Lambda runtime provides."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What the Lambda Python runtime provides: boto3 and its dependencies.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")

SCRIPT = """
import importlib.util, json, sys
from pathlib import Path
from ticket_sentiment.handlers import (  # noqa: F401  (import = Lambda init)
    api, audit, drift, ingest, notify, precision, review, score, writeback)
from ticket_sentiment.scorer import OnnxSentimentScorer
result = OnnxSentimentScorer(Path(sys.argv[1])).score(["Still no refund after three weeks. Third time I'm writing."])[0]
print(json.dumps({"label": result.label, "sympy": importlib.util.find_spec("sympy") is not None,
                  "torch": importlib.util.find_spec("torch") is not None}))
"""


@pytest.mark.slow
def test_layer_alone_runs_the_handlers_and_the_model(tmp_path: Path) -> None:
    import boto3

    from infra.layers import build_runtime

    layer = build_runtime(tmp_path / "runtime", architecture=None) / "python"
    assert not (layer / "boto3").exists() and not (layer / "sympy").exists()
    sdk = tmp_path / "runtime-sdk"
    sdk.mkdir()
    site = Path(boto3.__file__).parents[1]
    for name in RUNTIME_SDK:
        if (site / name).exists():
            (sdk / name).symlink_to(site / name)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join([str(layer), str(REPO / "functions"),
                                                                              str(sdk)]),
           "PYTHONNOUSERSITE": "1", "AWS_DEFAULT_REGION": "eu-west-1", "POWERTOOLS_METRICS_DISABLED": "true",
           "TOKENIZERS_PARALLELISM": "false"}
    # -S: no site-packages, so nothing from this virtualenv can stand in for a missing layer package.
    done = subprocess.run([sys.executable, "-S", "-c", SCRIPT, str(REPO / "layers" / "model")], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith('"label": "negative", "sympy": false, "torch": false}')
