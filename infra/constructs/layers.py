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
    REPO,
    RUNTIME,
    SCORING,
    SHADOW_MODEL,
    build_model,
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
    SHADOW_MODEL: "ticket-sentiment shadow (candidate) model, mounted at /opt/shadow-model: scores beside the live "
    "model, never alerts",
}
# Construct ids (the layers' logical ids start with Layers<id>); `Dependencies` is the run-time layer's from before
# the split.
LAYER_IDS = {RUNTIME: "Dependencies", NUMPY: "Numpy", SCORING: "Scoring", MODEL: "Model", SHADOW_MODEL: "ShadowModel"}


class ServiceLayers(Construct):
    """The layers `make layers` built: one per name in infra.layers.FUNCTION_LAYERS; `for_function` picks a
    function's own."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        architecture: str,
        python_version: str,
        build_dir: Path = BUILD,
        shadow_model: str | None = None,
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
        self.shadow: lambda_.LayerVersion | None = None
        self.shadow_model_version: str | None = None
        if shadow_model:
            self._add_shadow(Path(shadow_model), build_dir, arch, runtime)

    def _add_shadow(self, source: Path, build_dir: Path, arch: lambda_.Architecture, runtime: lambda_.Runtime) -> None:
        """The shadow model's layer, copied at synth from the directory the context names (so what ships is exactly
        that model, never a stale build), refused when it is the live model again."""
        source = source if source.is_absolute() else REPO / source
        if not (source / "model_meta.json").is_file():
            raise LayerNotBuiltError(f"shadow_model: {source} is not a model directory (no model_meta.json)")
        out = build_model(build_dir / SHADOW_MODEL, source, mount=SHADOW_MODEL)
        self.shadow_model_version = model_version(out / SHADOW_MODEL)
        if self.shadow_model_version == self.model_version:
            raise LayerNotBuiltError(
                f"shadow_model: {source} is the live model's version ({self.model_version}); a comparison needs two"
            )
        self.shadow = lambda_.LayerVersion(
            self,
            LAYER_IDS[SHADOW_MODEL],
            code=lambda_.Code.from_asset(str(out)),
            compatible_architectures=[arch],
            compatible_runtimes=[runtime],
            removal_policy=RemovalPolicy.RETAIN,
            description=f"{_DESCRIPTIONS[SHADOW_MODEL]} ({self.shadow_model_version})",
        )

    def for_function(self, function: str) -> list[lambda_.ILayerVersion]:
        """The layers infra.layers.FUNCTION_LAYERS gives this function of the stack, and the scorer the shadow
        model's when there is one."""
        shadow = [self.shadow] if self.shadow is not None and MODEL in FUNCTION_LAYERS[function] else []
        return [self.layers[layer] for layer in FUNCTION_LAYERS[function]] + shadow
