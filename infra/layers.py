"""`make layers`: the Lambda layers, built without Docker, and each function's unzipped size.

The run-time dependencies from pyproject.toml are split so each function gets only what it imports (Lambda merges
a function's layers into /opt/python): `runtime` for every function; `numpy` for those that compute with it (the
drift statistics, which the audit sampler also uses, and the scorer); `scoring` for the ONNX scorer alone
(onnxruntime, tokenizers, and py3langid for its language check). Each is installed with `pip install --platform
... --only-binary` for the functions' architecture and Python version. boto3 is left out (the Lambda runtime
provides it), so are onnxruntime's and tokenizers' install-time extras (sympy, coloredlogs, huggingface-hub: never
imported when scoring), and pip's byte-code caches (compiled for this interpreter, not Lambda's). Every version
comes from requirements-lambda.txt (`make lock`), given to pip as constraints so each layer still resolves only its
own packages; a layer holding a distribution the lock does not pin fails the build.
model: layers/model/ (the ONNX graph, tokenizer and model card), or the fine-tuned model directory given with
`--model` / $TICKET_SENTIMENT_MODEL_DIR (`make layers MODEL=my-model`), mounted at /opt/model.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build" / "layers"
MODEL_SOURCE = REPO / "layers" / "model"
LOCK = REPO / "requirements-lambda.txt"
# The functions' code asset: the run-time package alone (functions/ holds nothing else; the CLI, local stack and
# other tools live in tools/ and never ship).
ASSET_DIR = REPO / "functions"
ASSET_EXCLUDES = ["**/__pycache__", "*.pyc", "*.egg-info", ".mypy_cache"]
ARCHITECTURES = ("arm64", "x86_64")
PYTHON_VERSION = "3.13"
# Provided by the Lambda runtime: shipping our own copy only adds size.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer"}
RUNTIME, NUMPY, SCORING, MODEL = "runtime", "numpy", "scoring", "model"
# The shadow model's layer (the stack context's `shadow_model`): mounted at /opt/shadow-model, beside /opt/model.
SHADOW_MODEL = "shadow-model"
# The dependency layers besides `runtime` and the packages each holds (distribution and module names are the same):
# a function without the layer must never import them. Every other run-time dependency goes in `runtime`.
LAYER_PACKAGES: dict[str, frozenset[str]] = {
    NUMPY: frozenset({"numpy"}),
    SCORING: frozenset({"onnxruntime", "tokenizers", "py3langid"}),
}
# Installed without their dependencies: what they pull in is for tooling we never call at run time, or (numpy)
# comes from the numpy layer.
NO_DEPS = {"onnxruntime", "tokenizers", "py3langid"}
# Which layers each function of the stack gets (infra/stack.py reads this; the template test asserts it, and
# tests/infra/test_handler_imports.py imports each handler with nothing else). Only the scorer runs the model.
FUNCTION_LAYERS: dict[str, tuple[str, ...]] = {
    "ingest": (RUNTIME,),
    "score": (RUNTIME, NUMPY, SCORING, MODEL),
    "writeback": (RUNTIME,),
    "notify": (RUNTIME,),
    "query": (RUNTIME,),
    "review": (RUNTIME,),
    "precision": (RUNTIME,),
    "drift": (RUNTIME, NUMPY),
    "audit": (RUNTIME, NUMPY),
}
MODEL_FILES = ("model.onnx", "model.onnx.data", "tokenizer.json", "model_meta.json", "MODEL_CARD.md")


def layer_dir(build_dir: Path, layer: str, architecture: str) -> Path:
    """Where `make layers` puts a layer (the model layer is the same for both architectures)."""
    return build_dir / (MODEL if layer == MODEL else f"{layer}-{architecture}")


def _distribution(spec: str) -> str:
    name = spec.split(";", maxsplit=1)[0].split("[", maxsplit=1)[0].strip()
    for sep in "<>=!~ ":
        name = name.split(sep)[0]
    return name.lower()


def layer_requirements(pyproject: Path = REPO / "pyproject.toml") -> dict[str, tuple[list[str], list[str]]]:
    """Per dependency layer: (with dependencies, without dependencies), from the project's run-time dependencies."""
    deps: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    layers: dict[str, tuple[list[str], list[str]]] = {name: ([], []) for name in (RUNTIME, *LAYER_PACKAGES)}
    for spec in deps:
        name = _distribution(spec)
        if name in RUNTIME_PROVIDED:
            continue
        layer = next((layer for layer, names in LAYER_PACKAGES.items() if name in names), RUNTIME)
        with_deps, without = layers[layer]
        (without if name in NO_DEPS else with_deps).append(spec)
    return layers


def platform_args(architecture: str) -> list[str]:
    machine = {"arm64": "aarch64", "x86_64": "x86_64"}[architecture]
    # Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34): newer manylinux tags are fine too.
    tags = [f"manylinux2014_{machine}", f"manylinux_2_28_{machine}", f"manylinux_2_34_{machine}"]
    return [arg for tag in tags for arg in ("--platform", tag)]


def locked_versions(lock: Path = LOCK) -> dict[str, set[str]]:
    """Distribution name (normalised) -> the versions a `make lock` requirements file pins (more than one only where
    markers split it by platform or Python version)."""
    pins: dict[str, set[str]] = {}
    for line in lock.read_text().splitlines():
        requirement = line.split("#", maxsplit=1)[0].split(";", maxsplit=1)[0].strip()
        if "==" in requirement:
            name, version = requirement.split("==", maxsplit=1)
            pins.setdefault(_normalise(name), set()).add(version.strip())
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def unlocked(site: Path, lock: Path = LOCK) -> list[str]:
    """The distributions installed in `site` that the lock does not pin at the installed version."""
    pins = locked_versions(lock)
    installed = (info.name.removesuffix(".dist-info").rsplit("-", maxsplit=1) for info in site.glob("*.dist-info"))
    return sorted(
        f"{name}=={version}" for name, version in installed if version not in pins.get(_normalise(name), set())
    )


def pip_install(target: Path, specs: list[str], extra: list[str], lock: Path = LOCK) -> None:
    if not specs:
        return
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        "--constraint",
        str(lock),
        *extra,
        *specs,
    ]
    env = {**os.environ, "PIP_NO_CACHE_DIR": os.environ.get("PIP_NO_CACHE_DIR", "")}
    subprocess.run(cmd, check=True, env=env)


def build_layer(layer: str, out: Path, architecture: str | None, python_version: str = PYTHON_VERSION) -> Path:
    """Install one dependency layer into out/python; architecture None means this machine (for the smoke test)."""
    site = out / "python"
    shutil.rmtree(out, ignore_errors=True)
    site.mkdir(parents=True)
    with_deps, without = layer_requirements()[layer]
    target_args: list[str] = []
    if architecture is not None:
        target_args = [
            *platform_args(architecture),
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--only-binary=:all:",
        ]
    pip_install(site, with_deps, target_args)
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: unused, and the second install trips on them
    pip_install(site, without, [*target_args, "--no-deps"])
    prune(site, layer)
    if stray := unlocked(site):
        raise SystemExit(f"{layer} layer: {', '.join(stray)} not pinned in {LOCK.name}; run `make lock`")
    return out


def build_runtime(out: Path, architecture: str | None, python_version: str = PYTHON_VERSION) -> Path:
    """The layer every function gets."""
    return build_layer(RUNTIME, out, architecture, python_version)


def prune(site: Path, layer: str = RUNTIME) -> None:
    """Drop what never runs in Lambda: byte-code caches, test suites, provided SDKs, console scripts, and any
    package another layer provides (pulled in as a dependency: it must come from that layer, not this one)."""
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for name in RUNTIME_PROVIDED:
        shutil.rmtree(site / name, ignore_errors=True)
    for other, modules in LAYER_PACKAGES.items():
        if other == layer:
            continue
        for module in modules:
            for path in [site / module, *site.glob(f"{module}-*.dist-info"), *site.glob(f"{module}.libs")]:
                shutil.rmtree(path, ignore_errors=True)
    for tests in [site / "numpy" / "tests", *site.glob("numpy/*/tests")]:
        shutil.rmtree(tests, ignore_errors=True)
    shutil.rmtree(site / "bin", ignore_errors=True)


def model_source() -> Path:
    """The model to ship: $TICKET_SENTIMENT_MODEL_DIR (a fine-tuned model, as `make layers MODEL=...` and
    `ticket-sentiment local --model-dir` set it), else the bundled layers/model."""
    env = os.environ.get("TICKET_SENTIMENT_MODEL_DIR")
    return Path(env) if env else MODEL_SOURCE


def model_files(source: Path) -> tuple[str, ...]:
    """The files a model layer holds: the external weights file only where the graph keeps its weights outside
    (model_meta.json names it), as the bundled model does and a fine-tuned one may not."""
    meta_path = source / "model_meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    external = meta.get("onnx_external_data")
    return tuple(f for f in MODEL_FILES if f != "model.onnx.data" or external == "model.onnx.data")


def model_version(model_dir: Path) -> str:
    """The version in a model directory's model_meta.json (what every scored message records)."""
    return str(json.loads((model_dir / "model_meta.json").read_text())["version"])


def build_model(out: Path, source: Path | None = None, *, mount: str = MODEL) -> Path:
    """The model layer: the model directory's files under model/, which Lambda mounts at /opt/model (the scorer's
    default), or under `mount` (the shadow model's: /opt/shadow-model). `source` defaults to model_source()."""
    source = source or model_source()
    if not (source / "model_meta.json").is_file():
        raise SystemExit(
            f"model layer: {source} is not a model directory (no model_meta.json); run `make model` or "
            f"`ticket-sentiment finetune ... --out {source}` first"
        )
    missing = [f for f in model_files(source) if not (source / f).is_file()]
    if missing:
        raise SystemExit(
            f"model layer: {source} lacks {', '.join(missing)}; run `make model` (or `ticket-sentiment "
            f"finetune`, which writes them all) first"
        )
    shutil.rmtree(out, ignore_errors=True)
    (out / mount).mkdir(parents=True)
    for name in model_files(source):
        shutil.copy2(source / name, out / mount / name)
    return out


def tree_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def asset_files(code: Path = ASSET_DIR) -> list[Path]:
    """The files the functions' code asset holds: `code` less ASSET_EXCLUDES, as CDK's glob exclusion applies them."""

    def excluded(relative: Path) -> bool:
        return any(
            fnmatch.fnmatch(part, pattern.removeprefix("**/")) for part in relative.parts for pattern in ASSET_EXCLUDES
        )

    return sorted(f for f in code.rglob("*") if f.is_file() and not excluded(f.relative_to(code)))


def asset_mb(code: Path = ASSET_DIR) -> float:
    return sum(f.stat().st_size for f in asset_files(code)) / 1e6


def function_sizes(build_dir: Path, architecture: str, code: Path = ASSET_DIR) -> dict[str, float]:
    """Each function's unzipped size in MB: the code asset plus its layers."""
    layer_mb = {
        layer: tree_mb(layer_dir(build_dir, layer, architecture))
        for layer in {name for names in FUNCTION_LAYERS.values() for name in names}
    }
    code_mb = asset_mb(code)
    return {
        function: code_mb + sum(layer_mb[layer] for layer in layers) for function, layers in FUNCTION_LAYERS.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--architecture", choices=ARCHITECTURES, default="arm64")
    parser.add_argument("--python-version", default=PYTHON_VERSION)
    parser.add_argument("--out", type=Path, default=BUILD)
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model directory for the model layer (default: $TICKET_SENTIMENT_MODEL_DIR or layers/model)",
    )
    parser.add_argument("--model-only", action="store_true", help="rebuild the model layer alone")
    args = parser.parse_args(argv)
    for layer in () if args.model_only else (RUNTIME, *LAYER_PACKAGES):
        built = build_layer(
            layer, layer_dir(args.out, layer, args.architecture), args.architecture, args.python_version
        )
        print(f"{layer} layer ({args.architecture}, Python {args.python_version}): {tree_mb(built):.1f} MB unzipped")
    model = build_model(layer_dir(args.out, MODEL, args.architecture), args.model)
    print(f"model layer: {model_version(model / 'model')}, {tree_mb(model):.1f} MB unzipped")
    if args.model_only:
        return 0
    print(f"function code ({ASSET_DIR.relative_to(REPO)}/): {asset_mb():.2f} MB unzipped")
    print("each function, code and layers, unzipped (Lambda's limit is 250 MB):")
    for function, mb in function_sizes(args.out, args.architecture).items():
        print(f"  {function:<10} {mb:6.1f} MB  ({' + '.join(('code', *FUNCTION_LAYERS[function]))})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
