"""The query page of `datateam serve`, in headless Chromium: offline, escaped, runs named queries."""

from __future__ import annotations

import csv
import glob
import io
import threading
from pathlib import Path

import pytest
import yaml

from datateam.ontology.namespaces import BASE
from datateam.queries.named.library import list_named_queries
from datateam.queries.server.http_server import make_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")]


def tools_of(role_id: str) -> set[str]:
    """The tool ids the source files list under a role."""
    tools = set()
    for path in sorted(glob.glob(str(ROOT / "ontology" / "sources" / "0*.yaml"))):
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        for items in ((doc.get("tools") or {}).get(role_id) or {}).values():
            for item in items:
                tools.update([item] if isinstance(item, str) else item)
    return tools


@pytest.fixture(scope="module")
def server(kg):
    srv = make_server(kg, port=0, log=False, timeout=20)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.stop(grace=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.requests_seen = []
    page.console_errors = []
    page.on("request", lambda request: page.requests_seen.append(request.url))
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.goto(server.url)
    page.wait_for_selector("body[data-ready='1']")
    yield page
    context.close()


def only_local_requests(page, server) -> None:
    outside = [u for u in page.requests_seen if not (u.startswith(server.url) or u.startswith("data:"))]
    assert outside == []
    assert any(u.startswith(server.url + "api/") for u in page.requests_seen)


def table(page) -> list[dict[str, str]]:
    headers = page.locator("#result-table thead th").all_text_contents()
    rows = []
    for row in page.locator("#result-table tbody tr").all():
        rows.append(dict(zip(headers, row.locator("td").all_text_contents())))
    return rows


def test_named_query_one_click_then_with_a_parameter(page, server):
    names = page.locator("#query-list button").evaluate_all("bs => bs.map(b => b.dataset.name)")
    assert names == [q.name for q in list_named_queries()]
    page.click("#query-list button[data-name='tools-of-role']")
    page.wait_for_selector("#result-table")
    rows = table(page)
    assert {r["tool"] for r in rows} == {f"tool:{t}" for t in tools_of("data-engineer")}
    assert page.locator("#params input[name='role']").input_value() == "data engineer"
    assert "row" in page.locator("#status").text_content()

    page.fill("#params input[name='role']", "ML engineer")
    page.press("#params input[name='role']", "Enter")
    page.wait_for_function("() => document.querySelector('#result-table') && "
                           "[...document.querySelectorAll('#result-table tbody tr td:first-child')]"
                           ".every(td => td.textContent === 'role:ml-engineer')")
    assert {r["tool"] for r in table(page)} == {f"tool:{t}" for t in tools_of("ml-engineer")}

    # download links: the same named query and parameter, in each format
    links = page.locator("#downloads a")
    assert links.evaluate_all("as => as.map(a => a.dataset.format)") == ["csv", "tsv", "json", "xml"]
    href = links.first.get_attribute("href")
    assert href.startswith("/api/queries/tools-of-role?") and "role=ML+engineer" in href
    response = page.request.get(server.url.rstrip("/") + href)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    reader = list(csv.DictReader(io.StringIO(response.text())))
    assert {r["tool"] for r in reader} == {BASE + "tool/" + t for t in tools_of("ml-engineer")}
    only_local_requests(page, server)
    assert page.console_errors == []


def test_typed_query_output_is_escaped(page, server):
    payload = '<img src=x onerror="window.pwned=1">&amp;<b>bold</b>'
    query = 'SELECT ?x ?iri WHERE { BIND("%s" AS ?x) BIND(role:data-engineer AS ?iri) }' % payload.replace('"', '\\"')
    page.fill("#editor", query)
    page.press("#editor", "Control+Enter")
    page.wait_for_selector("#result-table")
    rows = table(page)
    assert rows == [{"x": payload, "iri": "role:data-engineer"}]
    assert page.locator("#result img, #result b").count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("#result-table td.iri").get_attribute("title") == BASE + "role/data-engineer"
    only_local_requests(page, server)


def test_errors_in_plain_words(page):
    page.fill("#editor", "SELECT ?r WHERE {\n  ?r a dt:Role\n  FILTER(\n}")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    assert page.locator("#error").text_content().startswith("syntax error: line ")
    assert page.locator("#result-table").count() == 0

    page.fill("#editor", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    page.click("#run")
    page.wait_for_function("() => document.querySelector('#error').textContent.startsWith('query refused')")
    assert "SERVICE" in page.locator("#error").text_content()

    page.fill("#editor", "ASK { role:data-engineer dt:usesTool tool:apache-airflow }")
    page.click("#run")
    page.wait_for_selector("#ask-answer")
    assert page.locator("#ask-answer").text_content() == "yes"
    assert page.locator("#error").is_hidden()


def test_construct_result_and_editor_keys(page):
    page.fill("#editor", "")
    page.focus("#editor")
    page.keyboard.type("CONSTRUCT { role:data-engineer dt:usesTool ?t } WHERE {")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("role:data-engineer dt:usesTool ?t FILTER(?t = tool:apache-airflow)")
    page.keyboard.press("Enter")  # keeps the two-space indent
    page.keyboard.type("}")
    assert page.locator("#editor").input_value().splitlines() == [
        "CONSTRUCT { role:data-engineer dt:usesTool ?t } WHERE {",
        "  role:data-engineer dt:usesTool ?t FILTER(?t = tool:apache-airflow)",
        "  }",
    ]
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#result-graph")
    text = page.locator("#result-graph").text_content()
    assert "role:data-engineer dt:usesTool tool:apache-airflow" in text
    assert page.locator("#downloads a").evaluate_all("as => as.map(a => a.dataset.format)") == ["ttl", "nt", "jsonld"]


def test_explorer_link_opens_the_explorer_offline(page, server):
    link = page.locator("#explorer-link")
    assert link.is_visible()
    page.requests_seen.clear()
    link.click()
    page.wait_for_load_state("load")
    assert page.url == server.url + "explorer"
    page.wait_for_selector("canvas", timeout=30000)
    outside = [u for u in page.requests_seen if not (u.startswith(server.url) or u.startswith("data:"))]
    assert outside == []


def test_explorer_file_is_served(kg, browser, tmp_path):
    page_file = tmp_path / "my-explorer.html"
    page_file.write_text("<!DOCTYPE html><title>my explorer</title><p id=mark>from the file</p>", encoding="utf-8")
    srv = make_server(kg, port=0, log=False, explorer=page_file)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(srv.url)
        tab.wait_for_selector("body[data-ready='1']")
        tab.click("#explorer-link")
        tab.wait_for_selector("#mark")
        assert tab.locator("#mark").text_content() == "from the file"
        context.close()
    finally:
        srv.shutdown()
        srv.stop(grace=10)
