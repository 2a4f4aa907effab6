"""The layout keeps its promises: no import cycle (imports inside functions count), the layers hold.

Two independent checks: our own reading of every import statement (ast, networkx), and
import-linter's contracts from pyproject.toml, run as its own command.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_PACKAGE = {"tests", "bench", "docs", "build", "dist", "out"}


def package_modules() -> dict[str, Path]:
    """Every module of the `datateam` package (the repository root), by dotted name."""
    found = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in NOT_PACKAGE or any(part.startswith(".") for part in rel.parts):
            continue
        parts = ("datateam",) + rel.with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def import_graph(modules: dict[str, Path]) -> nx.DiGraph:
    """Module -> module it imports, for every import statement anywhere in the file."""
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{alias.name}" for alias in node.names] + [module]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                # importing a submodule runs its package's __init__ too, but that is not an import of it
                if target and target != name and not name.startswith(target + "."):
                    graph.add_edge(name, target)
                    break
    return graph


def test_the_import_graph_reads_every_module():
    modules = package_modules()
    assert "datateam.cli" in modules
    assert "datateam.queries.engine.execute" in modules
    graph = import_graph(modules)
    # cross-check two ways: the CLI reaches the engine and the store through its imports
    assert nx.has_path(graph, "datateam.cli", "datateam.queries.engine.execute")
    assert nx.has_path(graph, "datateam.queries.engine.execute", "datateam.queries.sparql.safety")


def test_no_import_cycle_even_through_imports_inside_functions():
    graph = import_graph(package_modules())
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_the_checker_finds_a_cycle_when_there_is_one():
    graph = import_graph(package_modules())
    graph.add_edge("datateam.queries.sparql.lexer", "datateam.queries.engine.execute")
    cycles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert any("datateam.queries.engine.execute" in c and "datateam.queries.sparql.lexer" in c for c in cycles)


def test_the_layers_hold_as_import_linter_reads_them():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency (pyproject.toml [test] extra)"
    done = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("lower, higher", [
    ("datateam.queries.sparql.lexer", "datateam.queries.engine.execute"),
    ("datateam.graph.store.memory", "datateam.graph.analysis.overlap"),
    ("datateam.graph.analysis.overlap", "datateam.graph.output.overview"),
])
def test_import_linter_refuses_an_import_up_the_layers(tmp_path, lower, higher):
    """The contract is not vacuous: a copy of the package with one upward import breaks it."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    copy = tmp_path / "datateam"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".*", "tests", "bench", "docs", "out", "*.egg-info",
                                                               "__pycache__"))
    module_file = copy.joinpath(*lower.split(".")[1:]).with_suffix(".py")
    module_file.write_text(module_file.read_text(encoding="utf-8") + f"\n\ndef _upward():\n    import {higher}\n",
                           encoding="utf-8")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([lint, "--config", str(copy / "pyproject.toml"), "--no-cache"], cwd=copy,
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout
    assert f"{lower} -> {higher}" in done.stdout


def readme_layout() -> list[str]:
    """The paths the README's Layout section lists, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```\n", 2)[1]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def test_the_readme_layout_matches_the_tree():
    listed = readme_layout()
    assert all((ROOT / path).exists() for path in listed), [p for p in listed if not (ROOT / p).exists()]
    # every subpackage of graph/ and queries/, and every module directly under them, is listed
    expected = set()
    for top in ("graph", "queries"):
        for child in (ROOT / top).iterdir():
            if child.is_dir() and (child / "__init__.py").exists():
                expected.add(f"{top}/{child.name}/")
    expected |= {"graph/projection.py", "graph/text.py", "graph/errors.py", "cli.py", "pyproject.toml", "ontology/", "tests/"}
    assert expected - set(listed) == set()
