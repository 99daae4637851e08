"""Each Lambda handler imports with what its function ships and nothing else: the code asset (the run-time package
alone), the packages of its own layers, and the SDK the Lambda runtime provides. The tools (CLI, local stack, bench,
...) are unimportable, and so are the packages of layers the function is not given (onnxruntime for notify, ...).

Two checks: every handler module is imported in a fresh interpreter from the synthesised asset with those packages
blocked; and every import the handler can reach in the source, including those inside functions (made on first
call, not at import), is followed statically. tests/infra/test_layer_smoke.py does the same against layers built
for this machine with nothing else on the path.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from infra.layers import FUNCTION_LAYERS, LAYER_PACKAGES

from .conftest import code_asset, function_name, props, resources

REPO = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGE = REPO / "functions" / "ticket_sentiment"
TOOLS = "ticket_sentiment_tools"
# Packages only the tools use (the cli extra, the local stack's moto): a handler reaching one reaches tool code.
TOOL_ONLY_PACKAGES = frozenset({TOOLS, "typer", "rich", "matplotlib", "moto", "werkzeug", "pytest"})

IMPORT_SCRIPT = """
import importlib, importlib.abc, json, sys

blocked = set(sys.argv[2].split(","))


class Unshipped(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not shipped with this function", name=name)
        return None


sys.meta_path.insert(0, Unshipped())
importlib.import_module(sys.argv[1])
import ticket_sentiment
print(json.dumps({"package": ticket_sentiment.__file__, "modules": sorted({m.partition(".")[0] for m in sys.modules})}))
"""


def unshipped(function: str) -> frozenset[str]:
    """What this function's handler must never import: the tools, and the packages of layers it does not get."""
    missing = [layer for layer in LAYER_PACKAGES if layer not in FUNCTION_LAYERS[function]]
    return TOOL_ONLY_PACKAGES.union(*(LAYER_PACKAGES[layer] for layer in missing))


def handlers(template: dict[str, Any]) -> dict[str, str]:
    """function name -> handler module, from the template."""
    return {
        function_name(f): props(f)["Handler"].rsplit(".", 1)[0]
        for f in resources(template, "AWS::Lambda::Function").values()
    }


def test_every_handler_imports_from_the_asset_with_only_its_layers_packages(
    assembly: Path, template: dict[str, Any]
) -> None:
    asset = code_asset(assembly, template)
    # -S: no site-packages processing, so no editable install can add the repository's other packages; the
    # virtualenv's packages stand in for the layers (built for Lambda's platform, they cannot run here). -B: no
    # byte-code written into the synthesised asset, which the template test checks is free of it.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONNOUSERSITE": "1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "PYDANTIC_DISABLE_PLUGINS": "__all__",
        "PYTHONPATH": os.pathsep.join([str(asset), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]),
    }
    for function, module in handlers(template).items():
        blocked = unshipped(function)
        done = subprocess.run(
            [sys.executable, "-B", "-S", "-c", IMPORT_SCRIPT, module, ",".join(sorted(blocked))],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{function} ({module}):\n{done.stderr[-3000:]}"
        loaded = json.loads(done.stdout.strip().splitlines()[-1])
        assert loaded["package"].startswith(str(asset)), (function, loaded["package"])
        assert not blocked & set(loaded["modules"]), function


def _module_files() -> dict[str, Path]:
    files = {}
    for path in RUNTIME_PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(RUNTIME_PACKAGE.parent).with_suffix("").parts)
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def _imports(module: str, path: Path) -> set[str]:
    """Every module named by an import statement anywhere in the file (inside functions too), resolved."""
    names: set[str] = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (
                ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])])
                if node.level
                else node.module or ""
            )
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def _reachable(start: str, files: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(run-time package modules, other top-level packages) reachable from `start` through import statements."""
    seen: set[str] = set()
    external: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in _imports(module, files[module]):
            parts = name.split(".")
            found = [".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in files]
            todo.extend(m for m in found if m not in seen)
            if parts[0] != "ticket_sentiment":
                external.add(parts[0])
    return seen, external


def test_no_import_a_handler_can_reach_leaves_its_asset_and_layers(template: dict[str, Any]) -> None:
    files = _module_files()
    for function, module in handlers(template).items():
        modules, external = _reachable(module, files)
        assert module in modules
        assert not external & unshipped(function), (function, sorted(external & unshipped(function)))
    score_modules, score_external = _reachable(handlers(template)["score"], files)
    # The check sees lazy imports.
    assert "ticket_sentiment.adapters.aws.onnx_scorer" in score_modules
    assert "onnxruntime" in score_external


def test_the_runtime_package_never_imports_the_tools() -> None:
    for module, path in _module_files().items():
        assert not {name for name in _imports(module, path) if name.partition(".")[0] in TOOL_ONLY_PACKAGES}, module
