"""Shared fixtures: the shipped knowledge graph (loaded once) and a click runner; the run's order.

`make test` runs the files on two processes (pytest-xdist, `--dist loadfile`: a file's tests stay
in one process, so a module's server or imported store is made once; `--no-loadscope-reorder`: the
files are handed out in this order). The longest files (LONGEST, measured) go first, then the other
files holding slow, browser or full-data tests, so that no long file starts last and runs alone at
the end while the other process has nothing left to do.
"""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from datateam.graph.store.factory import load_knowledge_graph

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
SHARED_DATA = SHARED / "data"

# The files that take longest under `make test` (tens of seconds each), longest first.
LONGEST = ("test_import_full.py", "test_explorer_browser.py", "test_default_graph.py", "test_query_reasoning.py",
           "test_persistent.py", "test_focused_projection.py", "test_import_esco.py", "test_server_endpoint.py",
           "test_query_safety.py", "security/test_http_load.py", "security/test_query_fuzz.py")


@pytest.fixture(scope="session")
def kg():
    """The embedded knowledge graph with the shipped knowledge base (read-only use)."""
    return load_knowledge_graph()


@pytest.fixture()
def runner():
    return CliRunner()


def run_folder(tmp_path_factory) -> Path:
    """The temporary folder of this whole test run, the same in every pytest-xdist worker
    (a worker's own base folder is a subfolder of it; without xdist it is the base folder)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Caches (the reasoning closures) go to a folder of this test run, never the user's.

    The folder is shared by the run's workers, so a closure of the shipped knowledge base is
    computed once per run (closure files are written atomically). Tests of computing and caching
    closures set a folder of their own.
    """
    cache = run_folder(tmp_path_factory) / "xdg-cache"
    cache.mkdir(exist_ok=True)
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(cache))
    # pytest-xdist sets COLUMNS=80 in its workers; tables fit the terminal, so every test (and the
    # commands it starts) sees the width of a run without a terminal, whatever runs the tests.
    patch.delenv("COLUMNS", raising=False)
    patch.delenv("LINES", raising=False)
    yield
    patch.undo()


def pytest_collection_modifyitems(config, items):
    """The LONGEST files first, then the other files with slow, browser or full-data tests, the
    rest after; each file's tests in order."""
    rank = {ROOT / "tests" / name: i for i, name in enumerate(LONGEST)}
    heavy = {item.path for item in items
             if any(item.get_closest_marker(mark) for mark in ("slow", "browser", "full_data"))}
    items.sort(key=lambda item: (rank.get(item.path, len(rank)), item.path not in heavy))
