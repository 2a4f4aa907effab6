"""Attribution lines: shown wherever data from an imported framework may be displayed (issue 6)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
ESCO_LINE = "This service uses the ESCO classification of the European Commission."


def datateam(*args, store=None):
    exe = str(Path(sys.executable).parent / "datateam")
    command = [exe] + (["--store", str(store)] if store else []) + list(args)
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def esco_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("attribution") / "kg"
    result = datateam("import", "esco", str(DATA / "esco-v1.1.1-slice"), store=store)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(ESCO_LINE)
    return store


def test_commands_on_a_store_with_esco_print_the_attribution_once(esco_store):
    for args in (["show", "data scientist"], ["roles", "--format", "json"], ["overlap", "data scientist", "data analyst"]):
        result = datateam(*args, store=esco_store)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr.count(ESCO_LINE) == 1, (args, result.stderr)
    # machine-readable output stays clean: the line goes to standard error
    roles = json.loads(datateam("roles", "--format", "json", store=esco_store).stdout)
    assert any(r["label"] == "data scientist" for r in roles)


def test_the_shipped_knowledge_base_alone_has_no_attribution():
    result = datateam("show", "data scientist")
    assert result.returncode == 0
    assert ESCO_LINE not in result.stderr


def test_the_explorer_page_carries_the_attribution(esco_store, tmp_path):
    page = tmp_path / "esco.html"
    result = datateam("explore", "--view", "role", "--focus", "data scientist", "-o", str(page), store=esco_store)
    assert result.returncode == 0, result.stderr
    assert f'<p class="attribution">{ESCO_LINE}</p>' in page.read_text(encoding="utf-8")


def test_the_query_server_reports_the_attribution(esco_store):
    import threading
    import urllib.request

    from datateam.graph.store.persistent import open_persistent
    from datateam.queries.server.http_server import make_server

    kg = open_persistent(esco_store)
    server = make_server(kg, "127.0.0.1", 0, log=False, warm_workers=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(server.url + "api/info", timeout=30) as response:
            info = json.loads(response.read())
        assert info["attributions"] == [ESCO_LINE]
    finally:
        server.shutdown()
        server.stop(grace=10)
        thread.join(10)
        kg.close()
