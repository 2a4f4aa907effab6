"""Shared fixtures: the shipped knowledge graph (loaded once) and a click runner; the run's order.

`make test` runs the files on two processes (pytest-xdist, `--dist loadfile`: a file's tests stay
in one process, so a module's server or imported store is made once). The files holding slow,
browser or full-data tests go first, so that no long file starts last and runs alone at the end.
"""

from pathlib import Path

import pytest
from click.testing import CliRunner

from datateam.graph.store.factory import load_knowledge_graph

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
SHARED_DATA = SHARED / "data"


@pytest.fixture(scope="session")
def kg():
    """The embedded knowledge graph with the shipped knowledge base (read-only use)."""
    return load_knowledge_graph()


@pytest.fixture()
def runner():
    return CliRunner()


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Caches (the reasoning closures) go to a folder of this test run, never the user's."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    # pytest-xdist sets COLUMNS=80 in its workers; tables fit the terminal, so every test (and the
    # commands it starts) sees the width of a run without a terminal, whatever runs the tests.
    patch.delenv("COLUMNS", raising=False)
    patch.delenv("LINES", raising=False)
    yield
    patch.undo()


def pytest_collection_modifyitems(config, items):
    """Files with slow, browser or full-data tests first, the rest after, each file's tests in order."""
    heavy = {item.path for item in items
             if any(item.get_closest_marker(mark) for mark in ("slow", "browser", "full_data"))}
    items.sort(key=lambda item: item.path not in heavy)
