"""The run-time dependency layer and the model layer, from what `make layers` built (no Docker anywhere)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ..layers import BUILD, MODEL_FILES


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
            f"ARCH={architecture}` first: it installs the run-time dependencies for Lambda with pip --platform.")
    return str(path)


class ServiceLayers(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, architecture: str, python_version: str,
                 build_dir: Path = BUILD) -> None:
        super().__init__(scope, construct_id)
        arch = lambda_architecture(architecture)
        runtime = python_runtime(python_version)
        runtime_dir = build_dir / f"runtime-{architecture}"
        model_dir = build_dir / "model"
        _require(runtime_dir / "python", "run-time dependency", architecture)
        _require(model_dir / "model", "model", architecture)
        missing = [f for f in MODEL_FILES if not (model_dir / "model" / f).is_file()]
        if missing:
            raise LayerNotBuiltError(f"The model layer lacks {', '.join(missing)}; run `make layers` again.")
        self.dependencies = lambda_.LayerVersion(
            self, "Dependencies", code=lambda_.Code.from_asset(str(runtime_dir)),
            compatible_architectures=[arch], compatible_runtimes=[runtime], removal_policy=RemovalPolicy.RETAIN,
            description="ticket-sentiment run-time dependencies (onnxruntime, tokenizers, numpy, pydantic, ...)")
        self.model = lambda_.LayerVersion(
            self, "Model", code=lambda_.Code.from_asset(str(model_dir)), compatible_architectures=[arch],
            compatible_runtimes=[runtime], removal_policy=RemovalPolicy.RETAIN,
            description="ticket-sentiment bundled ONNX model, mounted at /opt/model")
