"""The layering of the Lambda package, enforced: import-linter's contracts (.importlinter) and the environment rule.

handlers -> domain, ports and adapters (wiring only); adapters -> ports and the domain's models; the domain imports
no adapters, handlers, settings, boto3/botocore or onnxruntime and reads no environment; the runtime package never
imports the tools or the training code. Each rule is shown to bite: a synthetic package with one forbidden import
breaks its contract.
"""

from __future__ import annotations

import ast
import configparser
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / ".importlinter"
PACKAGE = REPO / "functions" / "ticket_sentiment"


def _contracts() -> dict[str, dict[str, list[str]]]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    return {
        section.split(":")[-1]: {
            key: [line.split("#")[0].strip() for line in value.splitlines() if line.split("#")[0].strip()]
            for key, value in parser[section].items()
        }
        for section in parser.sections()
        if section.startswith("importlinter:contract:")
    }


def _domain() -> list[str]:
    return _contracts()["pure-domain"]["source_modules"]


def test_the_package_keeps_every_contract() -> None:
    # In a child process: import-linter's CLI configures logging with dictConfig, whose default
    # disable_existing_loggers=True would silence every logger this process already has (the handlers'
    # Powertools logger among them, so a later test capturing its output would capture nothing).
    probe = logging.getLogger("tests.infra.test_architecture.probe")
    result = _lint(REPO, pythonpath=REPO / "functions")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not probe.disabled


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan): each holds an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return cycles


def test_the_cycle_check_finds_a_cycle() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": {"c"}, "d": {"a"}}) == []


def test_no_module_of_the_package_imports_itself_back() -> None:
    """Run-time imports and TYPE_CHECKING ones alike: a cycle hidden behind TYPE_CHECKING is still a cycle."""
    graph = grimp.build_graph("ticket_sentiment", cache_dir=None)
    edges = {
        m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith("ticket_sentiment")}
        for m in graph.modules
    }
    assert import_cycles(edges) == []


def _package(module: str) -> str:
    """ticket_sentiment.pipeline.service -> ticket_sentiment.pipeline; a top-level module stays itself."""
    return ".".join(module.split(".")[:2])


def test_no_two_packages_of_the_runtime_import_each_other() -> None:
    """pipeline <-> review and pipeline <-> writeback once did: the shared kernel (events, identity, models) now
    sits at the top and the alert message in review. `ports` is the one hub allowed both ways: it names each
    package's models in its Protocols (type-checking imports), and the packages import the Protocols."""
    graph = grimp.build_graph("ticket_sentiment", cache_dir=None)
    edges: dict[str, set[str]] = {}
    for m in graph.modules:
        for i in graph.find_modules_directly_imported_by(m):
            if i.startswith("ticket_sentiment.") and _package(i) != _package(m):
                edges.setdefault(_package(m), set()).add(_package(i))
    mutual = {tuple(sorted((a, b))) for a, imported in edges.items() for b in imported if a in edges.get(b, set())}
    assert {pair for pair in mutual if "ticket_sentiment.ports" not in pair} == set()


@pytest.mark.parametrize(
    ("contract", "source", "forbidden"),
    [
        ("runtime-ships-alone", "ticket_sentiment", "ticket_sentiment_tools"),
        ("runtime-ships-alone", "ticket_sentiment", "sentiment_training"),
        ("pure-domain", "ticket_sentiment.pipeline", "ticket_sentiment.adapters"),
        ("pure-domain", "ticket_sentiment.ports", "ticket_sentiment.adapters"),
        ("pure-domain", "ticket_sentiment.review", "ticket_sentiment.handlers"),
        ("pure-domain", "ticket_sentiment.writeback", "boto3"),
        ("pure-domain", "ticket_sentiment.drift", "botocore"),
        ("pure-domain", "ticket_sentiment.thread", "onnxruntime"),
        ("pure-domain", "ticket_sentiment.pipeline", "ticket_sentiment.settings"),
        ("adapters-below-handlers", "ticket_sentiment.adapters", "ticket_sentiment.handlers"),
    ],
)
def test_each_rule_has_its_contract(contract: str, source: str, forbidden: str) -> None:
    found = _contracts()[contract]
    assert found["type"] == ["forbidden"]
    assert source in found["source_modules"]
    assert forbidden in found["forbidden_modules"]


def test_every_domain_package_is_under_the_pure_domain_contract() -> None:
    """A new top-level module or package is either domain (and listed) or one of the wiring layers."""
    wiring = {"adapters", "handlers", "settings", "__init__"}
    present = {p.stem for p in PACKAGE.iterdir() if (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert {f"ticket_sentiment.{name}" for name in present - wiring} == set(_domain())


def _synthetic_package(root: Path, importer: str | None, imported: str | None) -> None:
    """Every module the contracts name, empty, plus `importer` importing `imported`."""
    modules = {
        m
        for c in _contracts().values()
        for key in ("source_modules", "forbidden_modules")
        for m in c.get(key, [])
        if m.startswith("ticket_sentiment.")
    }
    modules |= {
        "ticket_sentiment.redaction.comprehend",
        "ticket_sentiment.adapters.aws.sqs",
        "ticket_sentiment.handlers.ingest",
    }
    for module in sorted(modules):
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            package = root.joinpath(*parts[:depth])
            package.mkdir(exist_ok=True)
            (package / "__init__.py").touch()
    # The contract's one ignored import must exist, or import-linter reports the ignore as unmatched.
    (root / "ticket_sentiment" / "redaction" / "comprehend" / "__init__.py").write_text("import botocore\n")
    if importer is not None:
        path = root.joinpath(*importer.split("."), "__init__.py")
        path.write_text(path.read_text() + f"import {imported}\n")


def _lint(root: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    """import-linter over the package found on `pythonpath` (default `root`), in its own process."""
    script = textwrap.dedent(f"""
        import sys
        from importlinter.cli import lint_imports
        sys.exit(lint_imports(config_filename={str(CONFIG)!r}, no_cache=True, no_logo=True))
    """)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env={"PYTHONPATH": str(pythonpath or root), "COLUMNS": "400"},  # one line per contract
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_synthetic_package_without_forbidden_imports_passes(tmp_path: Path) -> None:
    _synthetic_package(tmp_path, None, None)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        ("ticket_sentiment.pipeline", "boto3", "The domain imports no adapters"),
        ("ticket_sentiment.ports", "ticket_sentiment.adapters.aws.sqs", "The domain imports no adapters"),
        ("ticket_sentiment.thread", "onnxruntime", "The domain imports no adapters"),
        ("ticket_sentiment.review", "ticket_sentiment.settings", "The domain imports no adapters"),
        ("ticket_sentiment.adapters.aws.sqs", "ticket_sentiment.handlers.ingest", "Adapters implement ports"),
        ("ticket_sentiment.handlers.ingest", "ticket_sentiment_tools", "The runtime package never imports the tools"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, importer: str, imported: str, contract: str) -> None:
    _synthetic_package(tmp_path, importer, imported)
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert len(broken) == 1, result.stdout
    assert broken[0].startswith(contract), result.stdout


ENVIRONMENT_NAMES = frozenset({"environ", "getenv", "environb", "getenvb"})


def reads_environment(source: str) -> bool:
    """`os.environ[...]`, `os.getenv(...)`, `from os import environ`: any way in to the process environment."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_NAMES:
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {a.name for a in node.names} & ENVIRONMENT_NAMES
        ):
            return True
    return False


@pytest.mark.parametrize(
    ("source", "reads"),
    [
        ("import os\nTABLE = os.environ['TABLE_NAME']\n", True),
        ("import os\nTABLE = os.getenv('TABLE_NAME')\n", True),
        ("from os import environ\n", True),
        ("import os\nPATH = os.path.join('a', 'b')\n", False),
    ],
)
def test_the_environment_check_sees_each_way_in(source: str, reads: bool) -> None:
    assert reads_environment(source) is reads


def test_the_domain_reads_no_environment() -> None:
    readers = []
    for module in _domain():
        base = PACKAGE.joinpath(*module.split(".")[1:])
        files = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        readers += [str(f.relative_to(REPO)) for f in files if reads_environment(f.read_text())]
    assert readers == []


def test_the_comprehend_path_never_loads_the_model_runtime() -> None:
    """The Comprehend scorer shares only the pure low-signal check with the ONNX scorer, not its module."""
    script = (
        "import sys, ticket_sentiment.adapters.aws.comprehend\n"
        "print(sorted({'onnxruntime', 'tokenizers'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PYTHONPATH": str(REPO / "functions")},
        cwd=REPO,
    )
    assert result.stdout.strip() == "[]"
