"""A hostile web page in the user's browser, in a real Chromium: the page tries every way a page
has to make the endpoint run a query (fetch, a form, an image), and a DNS-rebinding page reaches
it under its own name. The endpoint must refuse, and the query must not run.

The attacking page is served by a second loopback server on another port; a spy around
`run_query` (the real one still runs) records every query that reaches evaluation.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .http_attacks import running_server, spy  # noqa: F401 - spy is a fixture

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP rebind.test 127.0.0.1"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")]

ATTACK_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>cute cats</title></head><body>
<iframe name="sink" id="sink"></iframe>
<form id="form" method="POST" action="TARGET" target="sink" enctype="application/x-www-form-urlencoded">
  <input type="hidden" name="query" value="SELECT ?who WHERE { BIND('attack-form' AS ?who) }">
</form>
<script>
const target = "TARGET";
const query = tag => `SELECT ?who WHERE { BIND('${tag}' AS ?who) }`;
window.report = {};
async function attack() {
  // a "simple" request: no preflight, the browser sends it whatever the server says
  try {
    await fetch(target, {method: "POST", mode: "no-cors", body: new URLSearchParams({query: query("attack-fetch")})});
    report.fetch = "sent";
  } catch (e) { report.fetch = String(e); }
  try {
    await fetch(target, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
                         body: query("attack-text")});
    report.text = "sent";
  } catch (e) { report.text = String(e); }
  // trying to read the answer
  try {
    const response = await fetch(target + "?query=" + encodeURIComponent(query("attack-read")));
    report.read = await response.text();
  } catch (e) { report.read = "blocked: " + e; }
  await new Promise(done => {
    const img = new Image();
    img.onload = img.onerror = done;
    img.src = target + "?query=" + encodeURIComponent(query("attack-img"));
  });
  await new Promise(done => {
    document.getElementById("sink").onload = done;
    document.getElementById("form").submit();
  });
  document.title = "done";
}
attack();
</script></body></html>
"""


def _attacker(page_html: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = page_html.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_a_page_of_another_origin_cannot_make_the_endpoint_run_a_query(kg, browser, spy, capfd):
    with running_server(kg, timeout=20, log=True) as endpoint:
        attacker = _attacker(ATTACK_PAGE.replace("TARGET", endpoint.url + "sparql"))
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{attacker.server_address[1]}/cats.html")
            page.wait_for_function("document.title === 'done'", timeout=30000)
            report = page.evaluate("window.report")
            # The endpoint's own page, same origin, as the control: its query runs.
            page.goto(endpoint.url)
            page.wait_for_selector("body[data-ready='1']")
            control = page.evaluate("""async () => {
                const r = await fetch('/sparql', {method: 'POST', headers: {Accept: 'application/sparql-results+json'},
                    body: new URLSearchParams({query: "SELECT ?who WHERE { BIND('page-control' AS ?who) }"})});
                return [r.status, await r.text()];
            }""")
        finally:
            context.close()
            attacker.shutdown()
            attacker.server_close()
    assert report["fetch"] == "sent" and report["text"] == "sent"  # the browser did send them ...
    assert report["read"].startswith("blocked")
    assert [spy.ran(tag) for tag in ("attack-fetch", "attack-text", "attack-read", "attack-img", "attack-form")] \
        == [0, 0, 0, 0, 0]                                           # ... and none of them ran
    assert control[0] == 200 and "page-control" in control[1]
    assert spy.ran("page-control") == 1
    log = capfd.readouterr().err
    refused = [line for line in log.splitlines() if " /sparql" in line and " 403 " in line]
    assert len(refused) == 5, log   # fetch, text/plain fetch, the read attempt, the image, the form


def test_a_rebinding_page_is_refused_by_its_host_name(kg, browser, spy):
    with running_server(kg, timeout=20) as endpoint:
        port = endpoint.server_address[1]
        context = browser.new_context()
        try:
            page = context.new_page()
            # The attacker's domain now resolves to 127.0.0.1: to the browser this is its own origin.
            response = page.goto(f"http://rebind.test:{port}/")
            assert response.status == 400
            assert "--allow-host rebind.test:" in page.content()
            answer = page.evaluate("""async () => {
                const r = await fetch('/sparql', {method: 'POST', headers: {Accept: 'application/sparql-results+json'},
                    body: new URLSearchParams({query: "SELECT ?who WHERE { BIND('attack-rebind' AS ?who) }"})});
                return [r.status, await r.text()];
            }""")
        finally:
            context.close()
    assert answer[0] == 400 and "is not an address of this server" in answer[1]
    assert spy.ran("attack-rebind") == 0


def test_a_name_given_with_allow_host_serves_the_page(kg, browser, spy):
    with running_server(kg, timeout=20, allow_hosts=("rebind.test",)) as endpoint:
        port = endpoint.server_address[1]
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"http://rebind.test:{port}/")
            page.wait_for_selector("body[data-ready='1']")
            page.click("#editor .cm-content")  # the CodeMirror editor (tests/test_server_page.py drives it the same way)
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.insert_text("SELECT ?who WHERE { BIND('allowed-name' AS ?who) }")
            page.click("#run")
            page.wait_for_selector("#result-table")
            cells = page.locator("#result-table tbody td").all_text_contents()
        finally:
            context.close()
    assert cells == ["allowed-name"]
    assert spy.ran("allowed-name") == 1
