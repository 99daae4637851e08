"""The dependency layers and the model layer, from what `make layers` built (no Docker anywhere)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ..layers import (
    BUILD,
    FUNCTION_LAYERS,
    LAYER_PACKAGES,
    MODEL,
    NUMPY,
    RUNTIME,
    SCORING,
    layer_dir,
    model_files,
    model_version,
)


def python_runtime(version: str) -> lambda_.Runtime:
    return {"3.12": lambda_.Runtime.PYTHON_3_12, "3.13": lambda_.Runtime.PYTHON_3_13}[version]


def lambda_architecture(name: str) -> lambda_.Architecture:
    return lambda_.Architecture.ARM_64 if name == "arm64" else lambda_.Architecture.X86_64


class LayerNotBuiltError(RuntimeError):
    pass


def _require(path: Path, what: str, architecture: str) -> str:
    if not path.is_dir() or not any(path.iterdir()):
        raise LayerNotBuiltError(
            f"The {what} layer is not built ({path} is missing or empty). Run `make layers "
            f"ARCH={architecture}` first: it installs the run-time dependencies for Lambda with pip --platform."
        )
    return str(path)


_DESCRIPTIONS = {
    RUNTIME: "ticket-sentiment run-time dependencies every function imports (pydantic, Powertools, the text and PII "
    "libraries, ...)",
    NUMPY: "numpy, for the functions that compute with it (scorer, drift, audit)",
    SCORING: "the scorer's engine: onnxruntime, tokenizers, py3langid",
    MODEL: "ticket-sentiment bundled ONNX model, mounted at /opt/model",
}
# Construct ids (the layers' logical ids start with Layers<id>); `Dependencies` is the run-time layer's from before
# the split.
LAYER_IDS = {RUNTIME: "Dependencies", NUMPY: "Numpy", SCORING: "Scoring", MODEL: "Model"}


class ServiceLayers(Construct):
    """The layers `make layers` built: one per name in infra.layers.FUNCTION_LAYERS; `for_function` picks a
    function's own."""

    def __init__(
        self, scope: Construct, construct_id: str, *, architecture: str, python_version: str, build_dir: Path = BUILD
    ) -> None:
        super().__init__(scope, construct_id)
        arch = lambda_architecture(architecture)
        runtime = python_runtime(python_version)
        for layer in (RUNTIME, *LAYER_PACKAGES):
            _require(layer_dir(build_dir, layer, architecture) / "python", f"{layer} dependency", architecture)
        model_dir = layer_dir(build_dir, MODEL, architecture)
        _require(model_dir / "model", "model", architecture)
        missing = [f for f in model_files(model_dir / "model") if not (model_dir / "model" / f).is_file()]
        if missing:
            raise LayerNotBuiltError(f"The model layer lacks {', '.join(missing)}; run `make layers` again.")
        self.model_version = model_version(model_dir / "model")  # the stack output ModelVersion
        self.layers: dict[str, lambda_.LayerVersion] = {
            layer: lambda_.LayerVersion(
                self,
                LAYER_IDS[layer],
                code=lambda_.Code.from_asset(str(layer_dir(build_dir, layer, architecture))),
                compatible_architectures=[arch],
                compatible_runtimes=[runtime],
                removal_policy=RemovalPolicy.RETAIN,
                description=_DESCRIPTIONS[layer] + (f" ({self.model_version})" if layer == MODEL else ""),
            )
            for layer in (RUNTIME, *LAYER_PACKAGES, MODEL)
        }

    def for_function(self, function: str) -> list[lambda_.ILayerVersion]:
        """The layers infra.layers.FUNCTION_LAYERS gives this function of the stack."""
        return [self.layers[layer] for layer in FUNCTION_LAYERS[function]]
