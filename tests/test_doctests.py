"""The docstring examples of the package run as tests, against the installed `datateam` package.

pytest's --doctest-modules would import the repository root (which is the package) under the
folder's own name, a second copy of every module; so the examples are found here, in the modules
imported as `datateam.*`, and run with the standard library's doctest runner. Each runs in an empty
temporary working directory, with `kg` (the shipped knowledge graph, loaded once for the session),
`projection` (its networkx projection) and a few names the examples take for granted. The folder
beside the working directory links ../shared, so the examples that import the real ESCO and O*NET
read them where the README says they are; the working directory links tests/, so an example can
read the committed slices (tests/data) as from the repository's root.
"""

from __future__ import annotations

import doctest
import importlib
import io
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Literal, URIRef

from conftest import ROOT, SHARED, SHARED_DATA

PACKAGE_FOLDERS = ("graph", "queries", "ontology")
ROOT_MODULES = ("__init__.py", "cli.py")

# Examples that read the full ESCO and O*NET downloads in ../shared/data, and those that take seconds.
FULL_DATA = {
    "datateam.graph.importers.common.find_inputs",
    "datateam.graph.importers.esco",
    "datateam.graph.importers.onet.write_onet_nquads",
}
SLOW = {"datateam.queries.engine.reasoning"}


def package_modules() -> list[str]:
    """The dotted names of the package's modules: the root ones and every .py under the package folders."""
    names = ["datateam" if f == "__init__.py" else "datateam." + f[:-3] for f in ROOT_MODULES]
    for folder in PACKAGE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.append(".".join(("datateam", *parts)))
    return names


def collect() -> list[doctest.DocTest]:
    """Every docstring with examples in the package, in module order."""
    finder = doctest.DocTestFinder()
    found = []
    for name in package_modules():
        module = importlib.import_module(name)
        found.extend(t for t in sorted(finder.find(module, name), key=lambda t: t.name) if t.examples)
    return found


DOCTESTS = collect()


def _param(test: doctest.DocTest):
    marks = [pytest.mark.full_data] if test.name in FULL_DATA else []
    marks += [pytest.mark.slow] if test.name in SLOW else []
    return pytest.param(test, id=test.name, marks=marks)


def test_examples_were_found():
    """The finder sees the modules as `datateam.*` and finds the examples (guards against an empty run)."""
    assert all(t.name.startswith("datateam.") for t in DOCTESTS)
    assert sum(len(t.examples) for t in DOCTESTS) >= 150


@pytest.fixture(scope="session")
def projection(kg):
    from datateam.graph.projection import build_projection

    return build_projection(kg)


@pytest.mark.parametrize("test", [_param(t) for t in DOCTESTS])
def test_docstring_example(test, kg, projection, tmp_path, monkeypatch):
    if test.name in FULL_DATA and not SHARED_DATA.is_dir():
        pytest.skip(f"needs the ESCO and O*NET downloads in {SHARED_DATA}")
    work = tmp_path / "cwd"
    work.mkdir()
    (tmp_path / "shared").symlink_to(SHARED, target_is_directory=True)
    (work / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    monkeypatch.chdir(work)
    test.globs.update(kg=kg, projection=projection, Path=Path, nx=nx, URIRef=URIRef, Literal=Literal)
    report = io.StringIO()
    runner = doctest.DocTestRunner()
    runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()
