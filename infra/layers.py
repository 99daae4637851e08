"""`make layers`: the Lambda layers, built without Docker.

runtime: the run-time dependencies from pyproject.toml, installed with `pip install --platform ... --only-binary`
for the functions' architecture and Python version. boto3 is left out (the Lambda runtime provides it), so are
onnxruntime's and tokenizers' install-time extras (sympy, coloredlogs, huggingface-hub: never imported when
scoring), and pip's byte-code caches (compiled for this interpreter, not Lambda's).
model: layers/model/ (the ONNX graph, tokenizer and model card), mounted at /opt/model.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build" / "layers"
MODEL_SOURCE = REPO / "layers" / "model"
ARCHITECTURES = ("arm64", "x86_64")
PYTHON_VERSION = "3.13"
# Provided by the Lambda runtime: shipping our own copy only adds size.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer"}
# Installed without their dependencies: what they pull in is for tooling we never call at run time.
NO_DEPS = {"onnxruntime", "tokenizers"}
# Dependencies of NO_DEPS packages that scoring does import.
NO_DEPS_NEEDS = ["numpy>=1.26"]
MODEL_FILES = ("model.onnx", "model.onnx.data", "tokenizer.json", "model_meta.json", "MODEL_CARD.md")


def runtime_requirements(pyproject: Path = REPO / "pyproject.toml") -> tuple[list[str], list[str]]:
    """(with dependencies, without dependencies) from the project's run-time dependency list."""
    deps: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    with_deps: list[str] = []
    without: list[str] = []
    for spec in deps:
        name = spec.split(";")[0].split("[")[0].strip()
        for sep in "<>=!~ ":
            name = name.split(sep)[0]
        if name.lower() in RUNTIME_PROVIDED:
            continue
        (without if name.lower() in NO_DEPS else with_deps).append(spec)
    return with_deps + NO_DEPS_NEEDS, without


def platform_args(architecture: str) -> list[str]:
    machine = {"arm64": "aarch64", "x86_64": "x86_64"}[architecture]
    # Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34): newer manylinux tags are fine too.
    tags = [f"manylinux2014_{machine}", f"manylinux_2_28_{machine}", f"manylinux_2_34_{machine}"]
    return [arg for tag in tags for arg in ("--platform", tag)]


def pip_install(target: Path, specs: list[str], extra: list[str]) -> None:
    if not specs:
        return
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
           "--target", str(target), *extra, *specs]
    env = {**os.environ, "PIP_NO_CACHE_DIR": os.environ.get("PIP_NO_CACHE_DIR", "")}
    subprocess.run(cmd, check=True, env=env)


def build_runtime(out: Path, architecture: str | None, python_version: str = PYTHON_VERSION) -> Path:
    """Install the run-time group into out/python; architecture None means this machine (for the smoke test)."""
    site = out / "python"
    shutil.rmtree(out, ignore_errors=True)
    site.mkdir(parents=True)
    with_deps, without = runtime_requirements()
    target_args: list[str] = []
    if architecture is not None:
        target_args = [*platform_args(architecture), "--implementation", "cp", "--python-version", python_version,
                       "--only-binary=:all:"]
    pip_install(site, with_deps, target_args)
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: unused, and the second install trips on them
    pip_install(site, without, [*target_args, "--no-deps"])
    prune(site)
    return out


def prune(site: Path) -> None:
    """Drop what never runs in Lambda: byte-code caches, test suites, provided SDKs, console scripts."""
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for name in RUNTIME_PROVIDED:
        shutil.rmtree(site / name, ignore_errors=True)
    for tests in [site / "numpy" / "tests", *site.glob("numpy/*/tests")]:
        shutil.rmtree(tests, ignore_errors=True)
    shutil.rmtree(site / "bin", ignore_errors=True)


def build_model(out: Path, source: Path = MODEL_SOURCE) -> Path:
    """The model layer: layers/model/* under model/, which Lambda mounts at /opt/model (the scorer's default)."""
    missing = [f for f in MODEL_FILES if not (source / f).is_file()]
    if missing:
        raise SystemExit(f"model layer: {source} lacks {', '.join(missing)}; run `make model` first")
    shutil.rmtree(out, ignore_errors=True)
    (out / "model").mkdir(parents=True)
    for name in MODEL_FILES:
        shutil.copy2(source / name, out / "model" / name)
    return out


def tree_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--architecture", choices=ARCHITECTURES, default="arm64")
    parser.add_argument("--python-version", default=PYTHON_VERSION)
    parser.add_argument("--out", type=Path, default=BUILD)
    args = parser.parse_args(argv)
    runtime = build_runtime(args.out / f"runtime-{args.architecture}", args.architecture, args.python_version)
    model = build_model(args.out / "model")
    code = REPO / "functions"
    code_mb = sum(f.stat().st_size for f in code.rglob("*.py")) / 1e6
    total = tree_mb(runtime) + tree_mb(model) + code_mb
    print(f"runtime layer ({args.architecture}, Python {args.python_version}): {tree_mb(runtime):.1f} MB unzipped")
    print(f"model layer: {tree_mb(model):.1f} MB unzipped")
    print(f"function code: {code_mb:.1f} MB; total {total:.1f} MB of Lambda's 250 MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
