"""Shared fixtures: the shipped knowledge graph (loaded once) and a click runner."""

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
    yield
    patch.undo()
