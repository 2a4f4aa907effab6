"""The explorer page in a real browser: Debian's Chromium driven by playwright, pages loaded from file://.

Each test checks what a person would: the network holds the graph's nodes and links, the search box
finds a node by label or alias and focuses it, a click opens the details panel, the filters hide
what they should, the overlap view colours shared and own items, a hostile label stays text, and
the page logs no error and asks no host for anything. Screenshots go to tests/artifacts/ for people
to look at (they are not compared pixel by pixel).
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
import yaml

from datateam.graph.explorer import write_explorer, write_graph_explorer
from datateam.graph.projection import build_projection
from datateam.graph.store.factory import load_knowledge_graph

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason="Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium")]

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
XSS_FILE = HERE / "data" / "explorer-xss.ttl"
SOURCES = HERE.parent / "ontology" / "sources"
BASE = "https://w3id.org/datateam-kg/"
XSS_LABEL = '<img src=x onerror="window.__xss=1">'
XSS_ALIAS = "</script><script>window.__xss=2</script>"
XSS_SOURCE_TITLE = "Mallory's <b onmouseover=\"window.__xss=5\">guide</b>"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def iri(kind: str, key: str) -> str:
    return f"{BASE}{kind}/{key}"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


class Page:
    """A page opened from a file, recording console messages, page errors and requests."""

    def __init__(self, browser, path: Path):
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.page = self.context.new_page()
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(self.url)
        self.page.wait_for_function("window.explorerReady === true", timeout=30000)

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def assert_quiet(self):
        """No console error or warning, no uncaught exception, and no request but the page itself."""
        assert self.errors == []
        assert [m for m in self.console if m[0] in ("error", "warning")] == []
        assert self.requests == [self.url]

    def shot(self, name: str):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name))

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory, kg):
    folder = tmp_path_factory.mktemp("explorer")
    written = {
        "all": write_explorer(kg, folder / "all.html", view="all"),
        "role": write_explorer(kg, folder / "role.html", view="role", focus="data engineer"),
        "overlap": write_explorer(kg, folder / "overlap.html", view="overlap", compare=("data engineer", "ML engineer")),
        "handoffs": write_explorer(kg, folder / "handoffs.html", view="handoffs"),
        "tools": write_explorer(kg, folder / "tools.html", view="tools"),
    }
    return {name: Path(summary["path"]) for name, summary in written.items()}


@pytest.fixture(scope="module")
def projection(kg):
    # the page shows every fact, the conditional ones marked
    return build_projection(kg, include_conditional=True)


def _brightness_at_nodes(page) -> dict[str, float]:
    """Mean of R, G, B of the canvas pixel at each node's centre, for nodes inside the visible canvas
    and clear of the details panel."""
    return page.js("""() => {
        const canvas = document.querySelector('#network canvas');
        const ctx = canvas.getContext('2d');
        const ratio = canvas.width / canvas.clientWidth;
        const panel = document.getElementById('details');
        const limit = panel.hidden ? canvas.clientWidth : panel.offsetLeft - 10;
        const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;  // one readback
        const out = {};
        for (const n of explorer.data.nodes) {
            const p = explorer.network.canvasToDOM(explorer.network.getPosition(n.id));
            if (p.x < 10 || p.y < 10 || p.x > limit || p.y > canvas.clientHeight - 10) continue;
            const i = 4 * (Math.round(p.y * ratio) * canvas.width + Math.round(p.x * ratio));
            out[n.iri] = (pixels[i] + pixels[i + 1] + pixels[i + 2]) / 3;
        }
        return out; }""")


def _legend(page, selector: str) -> list[str]:
    rows = page.locator(selector)
    return [f"{rows.nth(i).locator('.name').text_content()} {rows.nth(i).locator('.count').text_content()}"
            for i in range(rows.count())]


def merged_link_count(graph) -> int:
    return len({(u, v, d.get("relation")) for u, v, d in graph.edges(data=True)})


# ---------------------------------------------------------------------------------------------


def test_the_network_holds_every_node_and_link(browser, pages, projection):
    page = Page(browser, pages["all"])
    try:
        counts = page.js("""() => ({nodes: explorer.network.body.data.nodes.length,
                                     edges: explorer.network.body.data.edges.length,
                                     drawn: Object.keys(explorer.network.body.nodes).length,
                                     physics: explorer.network.physics.options.enabled})""")
        assert counts["nodes"] == projection.number_of_nodes() == counts["drawn"]
        assert counts["edges"] == merged_link_count(projection)
        assert counts["physics"] is False
        # Every node is where Python put it.
        moved = page.js("""() => { const body = explorer.network.body.nodes; let worst = 0;
                          for (const n of explorer.data.nodes) { worst = Math.max(worst, Math.abs(body[n.id].x - n.x), Math.abs(body[n.id].y - n.y)); }
                          return worst; }""")
        assert moved == 0
        assert page.page.locator("#node-count").text_content() == str(projection.number_of_nodes())
        legend = _legend(page.page, "#type-filters li")
        by_type = Counter(t for _, t in projection.nodes(data="type"))
        assert legend == [
            f"{label} {by_type[key]}" for key, label in [
                ("role", "Roles"), ("skill", "Skills"), ("tool", "Tools"), ("category", "Tool categories"),
                ("responsibility", "Responsibilities"), ("artifact", "Artifacts"), ("stage", "Lifecycle stages")]]
        # The legend does not overlap the network.
        sidebar = page.page.locator("#sidebar").bounding_box()
        network = page.page.locator("#network").bounding_box()
        assert sidebar["x"] + sidebar["width"] <= network["x"] + 0.5
        page.shot("explorer-all.png")
        page.assert_quiet()
    finally:
        page.close()


def test_search_by_alias_focuses_the_node_and_opens_its_details(browser, pages, projection):
    page = Page(browser, pages["all"])
    try:
        p = page.page
        p.fill("#search", "DE")
        first = p.locator("#search-results li").first
        assert first.locator(".match").text_content() == "data engineer"
        assert first.locator(".via").text_content() == "aka DE"
        p.keyboard.press("Enter")
        de = iri("role", "data-engineer")
        selected = page.js("() => explorer.network.getSelectedNodes().map(id => explorer.data.nodes[id].iri)")
        assert selected == [de]
        assert p.locator("#details").is_visible()
        assert p.locator("#details-title").text_content() == "data engineer"
        assert p.locator("#details-type").text_content() == "role"
        assert p.locator("#details-definition").text_content() == projection.nodes[de]["definition"]
        assert p.locator("#details-aliases").text_content() == "; ".join(projection.nodes[de]["aliases"])
        links = len({(u, v, d["relation"]) for u, v, d in projection.in_edges(de, data=True)}
                    | {(u, v, d["relation"]) for u, v, d in projection.out_edges(de, data=True)})
        assert p.locator("#details-neighbour-count").text_content() == str(links)
        assert p.locator("#details-neighbours button").count() == links
        tools = {projection.nodes[v]["label"] for _, v, r in projection.out_edges(de, data="relation") if r == "uses_tool"}
        groups = p.locator("#details-neighbours .relation").all_text_contents()
        assert f"uses tool ({len(tools)})" in groups
        assert "Apache Airflow" in p.locator("#details-neighbours button").all_text_contents()
        sources = p.locator("#details-sources li").all_text_contents()
        assert "Roles in data teams, an interview with a lead data scientist at OLX Group" in sources
        # The neighbourhood stays at full strength, everything else is veiled: read the canvas.
        neighbours = {de} | set(projection.predecessors(de)) | set(projection.successors(de))
        assert page.js("() => explorer.highlighted().map(id => explorer.data.nodes[id].iri)") == sorted(
            neighbours, key=lambda n: page.js("(iri) => explorer.nodeByIri(iri)", n))
        p.wait_for_timeout(600)  # the camera animation
        bright = _brightness_at_nodes(page)
        lit = [b for iri_, b in bright.items() if iri_ in neighbours]
        veiled = [b for iri_, b in bright.items() if iri_ not in neighbours]
        assert len(lit) > 10 and len(veiled) > 10
        veiled_mean, lit_mean = sum(veiled) / len(veiled), sum(lit) / len(lit)
        assert veiled_mean > 215 and veiled_mean - lit_mean > 30, (veiled_mean, lit_mean)
        page.shot("explorer-search-data-engineer.png")
        # Following a neighbour from the panel moves the selection there.
        p.locator("#details-neighbours button", has_text="Apache Airflow").first.click()
        assert p.locator("#details-title").text_content() == "Apache Airflow"
        assert page.js("() => explorer.data.nodes[explorer.selected()].iri") == iri("tool", "apache-airflow")
        # A search that matches nothing says so.
        p.fill("#search", "zzzz no such thing")
        p.keyboard.press("Enter")
        assert p.locator("#search-status").text_content() == "Nothing matches \u201czzzz no such thing\u201d."
        page.assert_quiet()
    finally:
        page.close()


def test_clicking_a_node_on_the_canvas_opens_its_details(browser, pages, projection):
    page = Page(browser, pages["tools"])
    try:
        p = page.page
        ml = iri("role", "ml-engineer")
        node_id = page.js("(iri) => explorer.nodeByIri(iri)", ml)
        point = page.js("(id) => explorer.network.canvasToDOM(explorer.network.getPosition(id))", node_id)
        box = p.locator("#network").bounding_box()
        p.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        p.wait_for_function("explorer.selected() !== null")
        assert page.js("() => explorer.data.nodes[explorer.selected()].iri") == ml
        assert p.locator("#details-title").text_content() == "ML engineer"
        used = {projection.nodes[v]["label"] for _, v, r in projection.out_edges(ml, data="relation") if r == "uses_tool"}
        shown = set(p.locator("#details-neighbours button .name").all_text_contents())
        assert shown == used
        p.wait_for_timeout(600)
        page.shot("explorer-tools-click.png")
        # Clicking empty space closes the panel.
        p.keyboard.press("Escape")
        assert not p.locator("#details").is_visible()
        page.assert_quiet()
    finally:
        page.close()


def test_type_and_source_filters_hide_what_they_should(browser, pages):
    page = Page(browser, pages["all"])
    try:
        p = page.page
        data = page.js("() => ({nodes: explorer.data.nodes, edges: explorer.data.edges, sources: explorer.data.sources})")
        p.locator('#type-filters input[data-type="tool"]').uncheck()
        shown = page.js("() => explorer.shownCounts()")
        kept = {n["id"] for n in data["nodes"] if n["type"] != "tool"}
        assert shown["nodes"] == len(kept) == page.js("() => explorer.network.body.data.nodes.length")
        assert shown["edges"] == sum(1 for e in data["edges"] if e["from"] in kept and e["to"] in kept)
        assert p.locator("#node-count").text_content() == f"{len(kept)} of {len(data['nodes'])}"
        p.locator("#types-all").click()
        # Hide every source but the OLX interview: what only other sources state disappears.
        olx = next(s["index"] for s in data["sources"] if s["id"] == "olx-interview")
        for s in data["sources"]:
            if s["index"] != olx:
                p.locator(f'#source-filters input[data-source="{s["index"]}"]').uncheck()
        kept = {n["id"] for n in data["nodes"] if not n["sources"] or olx in n["sources"]}
        kept_edges = [e for e in data["edges"] if e["from"] in kept and e["to"] in kept and (not e["sources"] or olx in e["sources"])]
        shown = page.js("() => explorer.shownCounts()")
        assert shown == {"nodes": len(kept), "edges": len(kept_edges)}
        page.shot("explorer-filter-olx.png")
        # Searching for a hidden node brings its source back.
        p.fill("#search", "Terraform")
        p.keyboard.press("Enter")
        assert p.locator("#details-title").text_content() == "Terraform"
        p.locator("#sources-all").click()
        assert page.js("() => explorer.shownCounts()") == {"nodes": len(data["nodes"]), "edges": len(data["edges"])}
        page.assert_quiet()
    finally:
        page.close()


def _yaml_items(role_key: str) -> set[str]:
    items = set()
    for path in sorted(SOURCES.glob("0*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        items |= {iri("skill", k) for k in (doc.get("skills") or {}).get(role_key) or {}}
        for entries in ((doc.get("tools") or {}).get(role_key) or {}).values():
            for entry in entries:
                items |= {iri("tool", k) for k in (entry if isinstance(entry, dict) else [entry])}
        items |= {iri("responsibility", k) for k in (doc.get("responsibilities") or {}).get(role_key) or []}
    return items


def test_overlap_view_colours_shared_and_own_items(browser, pages):
    page = Page(browser, pages["overlap"])
    try:
        colours = page.js("""() => { const out = {}; for (const n of explorer.data.nodes) {
                               out[n.iri] = explorer.network.body.nodes[n.id].options.color.background; } return out; }""")
        sides = {s["key"]: s["color"] for s in page.js("() => explorer.data.sides")}
        de, mle = _yaml_items("data-engineer"), _yaml_items("ml-engineer")
        for item in de & mle:
            assert colours[item] == sides["shared"], item
        for item in de - mle:
            assert colours[item] == sides["a"], item
        for item in mle - de:
            assert colours[item] == sides["b"], item
        assert len({sides["shared"], sides["a"], sides["b"]}) == 3
        legend = _legend(page.page, "#side-legend li")
        assert legend == [f"shared by both {len(de & mle)}", f"only data engineer {len(de - mle)}",
                          f"only ML engineer {len(mle - de)}"]
        page.shot("explorer-overlap-de-mle.png")
        page.assert_quiet()
    finally:
        page.close()


def test_handoff_view_runs_left_to_right_with_labelled_arrows(browser, pages):
    page = Page(browser, pages["handoffs"])
    try:
        info = page.js("""() => { const pos = explorer.network.getPositions(); const out = [];
                            for (const e of explorer.data.edges) {
                              const edge = explorer.network.body.edges[e.id];
                              out.push({from: e.from, to: e.to, label: edge.options.label,
                                        arrow: edge.options.arrows.to.enabled, dataLabel: e.label}); }
                            return {edges: out, pos: pos, nodes: explorer.data.nodes,
                                    hierarchical: explorer.network.layoutEngine.options.hierarchical}; }""")
        assert info["hierarchical"]["enabled"] is True and info["hierarchical"]["direction"] == "LR"
        level = {n["id"]: n["level"] for n in info["nodes"]}
        x = {int(k): v["x"] for k, v in info["pos"].items()}
        for a in level:
            for b in level:
                if level[a] < level[b]:
                    assert x[a] < x[b]
        assert all(e["arrow"] for e in info["edges"])
        assert all(e["label"] == e["dataLabel"] and e["label"] for e in info["edges"])
        page.shot("explorer-handoffs.png")
        page.assert_quiet()
    finally:
        page.close()


def test_role_view_opens_on_its_role(browser, pages):
    page = Page(browser, pages["role"])
    try:
        assert page.js("() => explorer.data.nodes[explorer.selected()].iri") == iri("role", "data-engineer")
        assert page.page.locator("#details-title").text_content() == "data engineer"
        page.shot("explorer-role-data-engineer.png")
        page.assert_quiet()
    finally:
        page.close()


def test_the_details_panel_says_what_the_sources_qualify_compare_and_dispute(browser, pages, kg, tmp_path):
    page = Page(browser, pages["role"])
    try:
        p = page.page
        assert p.locator("#details-note").is_hidden()
        comparisons = p.locator("#details-comparisons li").all_text_contents()
        assert len(comparisons) == 3
        assert comparisons[2].startswith("With ML engineer: similar skills [olx-interview].")
        disputes = p.locator("#details-disputes > li .question").all_text_contents()
        assert disputes == ["how a small data team starts", "one cross-functional team or separate teams",
                            "who builds and deploys models to production", "who owns the data pipelines"]
        answers = p.locator("#details-disputes > li").nth(3).locator(".answers li").all_text_contents()
        assert "[ds-vs-de-teams] the data science team" in answers and len(answers) == 5
        ml = p.locator("#details-neighbours li", has=p.locator("button", has_text="machine learning"))
        assert ml.locator(".extra").text_content() == "basic; conditional: olx-interview: only in a small company or team"
        dashed = page.js("""() => { const e = explorer.data.edges.find(e => e.conditional && e.relation === 'requires_skill');
                                   return explorer.network.body.edges[e.id].options.dashes; }""")
        assert dashed == [2, 4]
        page.assert_quiet()
    finally:
        page.close()
    path = write_explorer(kg, tmp_path / "governor.html", view="role", focus="data governor")["path"]
    page = Page(browser, Path(path))
    try:
        note = page.page.locator("#details-note")
        assert note.is_visible()
        assert note.text_content() == ("The sources give no skills or tools for this role; they describe only its "
                                       "responsibility.")
        assert page.page.locator("#details-comparisons-section").is_hidden()
        page.shot("explorer-role-data-governor.png")
        page.assert_quiet()
    finally:
        page.close()


def test_a_hostile_label_renders_as_text_and_runs_nothing(browser, tmp_path):
    kg = load_knowledge_graph([XSS_FILE])
    path = tmp_path / "xss.html"
    write_explorer(kg, path, view="all")
    page = Page(browser, path)
    try:
        p = page.page
        assert page.js("() => window.__xss") is None
        p.fill("#search", "<img")
        assert p.locator("#search-results li .match").first.text_content() == XSS_LABEL
        p.keyboard.press("Enter")
        assert p.locator("#details-title").text_content() == XSS_LABEL
        assert p.locator("#details-aliases").text_content() == XSS_ALIAS
        assert "<script>window.__xss=3</script>" in p.locator("#details-definition").text_content()
        assert XSS_SOURCE_TITLE in p.locator("#details-sources li").all_text_contents()
        assert XSS_SOURCE_TITLE in [" ".join(t.split()) for t in p.locator("#source-filters .name").all_text_contents()]
        # The search by alias finds it too, and the tooltip element holds plain text.
        p.fill("#search", "</script")
        assert p.locator("#search-results li .via").first.text_content() == f"aka {XSS_ALIAS}"
        assert p.locator("#details-title").is_visible()
        p.mouse.move(5, 5)
        counts = page.js("""() => ({img: document.querySelectorAll('img').length,
                                     scripts: document.scripts.length,
                                     bold: document.querySelectorAll('#sidebar b, #details b').length,
                                     anchors: document.querySelectorAll('a').length})""")
        assert counts == {"img": 0, "scripts": 3, "bold": 0, "anchors": 0}
        page.shot("explorer-xss.png")
        assert page.js("() => window.__xss") is None
        page.assert_quiet()
    finally:
        page.close()


def _big_graph(n_roles=150, n_items=2850, seed=11) -> nx.MultiDiGraph:
    rng = random.Random(seed)
    graph = nx.MultiDiGraph()
    for i in range(n_roles):
        graph.add_node(f"urn:role:{i}", type="role", label=f"role {i}", aliases=[f"r{i}"], definition="", sources=["synthetic"])
    for i in range(n_items):
        graph.add_node(f"urn:skill:{i}", type="skill", label=f"skill {i}", aliases=[], definition="", sources=["synthetic"])
        for r in {i % n_roles, rng.randrange(n_roles), rng.randrange(n_roles)}:
            graph.add_edge(f"urn:role:{r}", f"urn:skill:{i}", relation="requires_skill", sources=["synthetic"], level="core")
    return graph


def test_a_large_graph_is_drawn_at_once_and_stays_searchable(browser, tmp_path):
    graph = _big_graph()
    path = tmp_path / "big.html"
    summary = write_graph_explorer(graph, path, title="Synthetic graph")
    assert summary["nodes"] == 3000
    page = Page(browser, path)
    try:
        counts = page.js("""() => ({nodes: explorer.network.body.data.nodes.length, links: explorer.drawnLinkCount(),
                                     data: explorer.edges.length, large: explorer.data.view.large,
                                     physics: explorer.network.physics.options.enabled})""")
        # Large views: vis draws the nodes, the page paints the links from its own list.
        assert counts == {"nodes": 3000, "links": merged_link_count(graph), "data": merged_link_count(graph),
                          "large": True, "physics": False}
        assert page.page.locator("#node-count").text_content() == "3,000"
        # Hiding the skills hides their links from the painter too.
        page.page.locator('#type-filters input[data-type="skill"]').uncheck()
        assert page.js("() => explorer.shownCounts()") == {"nodes": 150, "edges": 0}
        page.page.locator("#types-all").click()
        page.page.fill("#search", "r42")
        page.page.keyboard.press("Enter")
        assert page.js("() => explorer.data.nodes[explorer.selected()].iri") == "urn:role:42"
        degree = len({v for _, v in graph.out_edges("urn:role:42")})
        assert page.page.locator("#details-neighbour-count").text_content() == str(degree)
        page.page.wait_for_timeout(600)
        page.shot("explorer-large-3000.png")
        page.assert_quiet()
    finally:
        page.close()
