"""The query page of `datateam serve`, in headless Chromium: offline, escaped, runs named queries; its
CodeMirror editor highlights, completes prefixes, classes and properties, and marks syntax errors at
their line; IRIs in results open `datateam show`."""

from __future__ import annotations

import csv
import glob
import io
import json
import re
import threading
from pathlib import Path

import pytest
import yaml

from datateam.graph.analysis.describe import describe, render_details
from datateam.graph.lookup.names import resolve
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


EDITOR = "#editor .cm-content"  # CodeMirror's editable element (Playwright's CSS reaches into the shadow root)


def set_query(page, text: str) -> None:
    """Replace the editor's text as a user would: select all, delete, then type (insert) the text."""
    page.click(EDITOR)
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def editor_lines(page) -> list[str]:
    return page.locator("#editor .cm-line").all_text_contents()


def completions(page) -> list[str]:
    page.wait_for_selector("#editor .cm-tooltip-autocomplete")
    return page.locator("#editor .cm-tooltip-autocomplete .cm-completionLabel").all_text_contents()


def accept(page, key: str = "Enter") -> None:
    """Press `key` in the completion list; CodeMirror ignores keys in the first 75 ms after it opens
    (its interactionDelay, against accidental picks)."""
    page.wait_for_timeout(150)
    page.keyboard.press(key)


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
    set_query(page, query)
    page.press(EDITOR, "Control+Enter")
    page.wait_for_selector("#result-table")
    rows = table(page)
    assert rows == [{"x": payload, "iri": "role:data-engineer"}]
    assert page.locator("#result img, #result b").count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("#result-table td.iri").get_attribute("title") == BASE + "role/data-engineer"
    only_local_requests(page, server)
    assert page.console_errors == []


def test_errors_in_plain_words(page):
    set_query(page, "SELECT ?r WHERE {\n  ?r a dt:Role\n  FILTER(\n}")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    assert page.locator("#error").text_content().startswith("syntax error: line ")
    assert page.locator("#result-table").count() == 0

    set_query(page, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    page.click("#run")
    page.wait_for_function("() => document.querySelector('#error').textContent.startsWith('query refused')")
    assert "SERVICE" in page.locator("#error").text_content()

    set_query(page, "ASK { role:data-engineer dt:usesTool tool:apache-airflow }")
    page.click("#run")
    page.wait_for_selector("#ask-answer")
    assert page.locator("#ask-answer").text_content() == "yes"
    assert page.locator("#error").is_hidden()


def test_construct_result_and_editor_keys(page):
    set_query(page, "")
    page.keyboard.type("CONSTRUCT { role:data-engineer dt:usesTool ?t } WHERE {")
    page.keyboard.press("Enter")  # indents inside the braces
    page.keyboard.type("role:data-engineer dt:usesTool ?t")
    page.keyboard.press("Home")
    page.keyboard.press("Tab")  # one more level
    page.keyboard.press("End")
    page.keyboard.type(" FILTER(?t = tool:apache-airflow) }")
    assert editor_lines(page) == [
        "CONSTRUCT { role:data-engineer dt:usesTool ?t } WHERE {",
        "    role:data-engineer dt:usesTool ?t FILTER(?t = tool:apache-airflow) }",
    ]
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#result-graph")
    text = page.locator("#result-graph").text_content()
    assert "role:data-engineer dt:usesTool tool:apache-airflow" in text
    assert page.locator("#downloads a").evaluate_all("as => as.map(a => a.dataset.format)") == ["ttl", "nt", "jsonld"]


def test_editor_highlights_and_completes_prefixes_classes_and_properties(page, server):
    vocabulary = json.loads(page.request.get(server.url + "api/vocabulary").text())["terms"]
    dt_classes = {"dt:" + t["iri"].split("#")[1] for t in vocabulary
                  if t["kind"] == "class" and t["iri"].startswith(BASE + "ontology#")}
    assert "dt:Role" in dt_classes
    set_query(page, "")
    page.keyboard.type("SELECT ?r WHERE {")
    page.keyboard.press("Enter")
    page.keyboard.type("?r a dt:Ro")
    offered = completions(page)
    assert offered[:3] == ["dt:Role", "dt:RoleComparison", "dt:RoleFamily"]
    assert {"dt:role", "dt:roleFamily"} <= set(offered)  # properties too
    assert set(offered) <= {"dt:" + t["iri"].split("#")[1] for t in vocabulary if "#" in t["iri"]} | \
        {n for n in offered if not n.startswith("dt:")}
    accept(page)  # takes dt:Role
    page.keyboard.type(" ; sk")
    offered = completions(page)
    assert offered[:2] == ["skill:", "skos:"]  # the predeclared prefixes first
    accept(page, "ArrowDown")
    page.keyboard.press("Enter")  # takes skos:
    page.keyboard.type("prefL")
    assert completions(page) == ["skos:prefLabel"]
    accept(page)
    page.keyboard.type(" ?label")
    page.keyboard.press("Enter")
    page.keyboard.type("}")
    assert [line.strip() for line in editor_lines(page)] == ["SELECT ?r WHERE {", "?r a dt:Role ; skos:prefLabel ?label",
                                                             "}"]
    # PREFIX declarations complete to the full declaration
    set_query(page, "PREFIX ro")
    page.keyboard.type("l")
    assert completions(page)[0] == "role:"
    accept(page)
    assert editor_lines(page) == [f"PREFIX role: <{BASE}role/>"]

    # highlighting: keywords, variables and prefixed names each in their own colour
    set_query(page, "SELECT ?r WHERE { ?r a dt:Role }")
    colours = dict(page.locator("#editor .cm-line span").evaluate_all(
        "spans => spans.map(s => [s.textContent, getComputedStyle(s).color])"))
    plain = page.locator("#editor .cm-line").first.evaluate("line => getComputedStyle(line).color")
    assert colours["SELECT"] == colours["WHERE"]
    assert len({colours["SELECT"], colours["?r"], colours["dt:Role"], plain}) == 4
    assert page.console_errors == []


def test_syntax_error_is_marked_at_its_line_and_column(page):
    set_query(page, "SELECT ?r WHERE {\n  ?r a dt:Role\n  FILTER(\n}")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    message = page.locator("#error").text_content()
    assert message.startswith("syntax error: line 3, column 3: unexpected 'FILTER'")
    marked = page.locator("#editor [data-error-line]")
    assert marked.count() == 1 and marked.get_attribute("data-error-line") == "3"
    assert marked.text_content() == "  FILTER("
    assert page.locator("#editor .cm-lintRange-error").all_text_contents() == ["FILTER"]
    assert page.locator("#editor .cm-gutter-lint .cm-lint-marker-error").count() == 1
    # the cursor is put at the error; typing there clears the mark
    page.keyboard.type("#")
    assert editor_lines(page)[2] == "  #FILTER("
    assert page.locator("#editor [data-error-line], #editor .cm-lintRange-error").count() == 0

    # a position on the first line, after a multi-byte character
    set_query(page, 'SELECT ?x WHERE { BIND("é" AS ?x) ?x }')
    page.click("#run")
    page.wait_for_function("() => !document.querySelector('#error').hidden")
    m = re.match(r"syntax error: line (\d+), column (\d+): unexpected '([^']+)'", page.locator("#error").text_content())
    assert m and m.group(1) == "1"
    column = int(m.group(2))
    text = 'SELECT ?x WHERE { BIND("é" AS ?x) ?x }'
    assert page.locator("#editor [data-error-line]").get_attribute("data-error-line") == "1"
    assert page.locator("#editor .cm-lintRange-error").all_text_contents() == [text[column - 1:column - 1 + len(m.group(3))]]


def test_iri_links_open_show(page, kg):
    set_query(page, "SELECT ?iri ?class WHERE { BIND(role:data-engineer AS ?iri) BIND(dt:Role AS ?class) }")
    page.press(EDITOR, "Control+Enter")
    page.wait_for_selector("#result-table a")
    link = page.locator("#result-table a[data-iri]").first
    assert link.text_content() == "role:data-engineer"
    assert link.get_attribute("href") == "/api/show?iri=https%3A%2F%2Fw3id.org%2Fdatateam-kg%2Frole%2Fdata-engineer&format=text"
    link.click()
    page.wait_for_selector("#description-text:not(:empty)")
    expected = render_details(describe(kg, resolve(kg, "role:data-engineer")), "table")
    assert page.locator("#description-text").text_content() == expected
    assert page.locator("#description-title").text_content() == "role:data-engineer"
    assert page.url.endswith("/")  # the page stays; the description opens beside the results
    json_href = page.locator("#description-json").get_attribute("href")
    assert json.loads(page.request.get(page.url.rstrip("/") + json_href).text())["id"] == BASE + "role/data-engineer"

    page.locator("#result-table a[data-iri]").nth(1).click()  # a class is no entity `show` describes
    page.wait_for_selector("#description-error:not([hidden])")
    assert page.locator("#description-error").text_content() == f"no entity with IRI <{BASE}ontology#Role>"
    page.click("#description-close")
    assert page.locator("#description").is_hidden()


def test_default_query_returns_no_duplicate_rows(page, kg):
    page.click("#run")
    page.wait_for_selector("#result-table")
    rows = [tuple(r.values()) for r in table(page)]
    assert len(rows) == len(set(rows))
    roles = kg.select("SELECT DISTINCT ?role ?label WHERE { ?role a dt:Role ; skos:prefLabel ?label }")
    assert len(rows) == len(roles) > 0


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
