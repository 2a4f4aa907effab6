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
def counted(kg):
    # the facts the analyses count by default (conditional ones left out), as `datateam overlap`
    return build_projection(kg)


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


# ---------------------------------------------------------------------------------------------
# The hats view: the first view


LABEL_BOXES = """() => {
    // Every label drawn in the first view, as a DOM box computed from the network's positions and
    // scale and the text measured with the label's own canvas font.
    const net = explorer.network, scale = net.getScale();
    const ctx = document.createElement('canvas').getContext('2d');
    const story = explorer.data.view.story, face = explorer.data.options.nodes.font.face;
    const measure = (text, font) => { ctx.font = font; return Math.max(...text.split('\\n').map(l => ctx.measureText(l).width)); };
    const boxes = [];
    const positions = net.getPositions();
    for (const id of explorer.shownIds()) {
        const node = net.body.nodes[id], label = node.options.label, f = node.labelModule.fontOptions;
        const width = measure(label, `${f.mod || ''} ${f.size}px ${f.face}`.trim());
        const lines = label.split('\\n').length;
        // vis draws a dot's label under it: its top edge is the dot's bottom plus the label margin.
        const p = net.canvasToDOM({x: positions[id].x, y: positions[id].y});
        const top = net.canvasToDOM({x: 0, y: node.labelModule.size.top}).y;
        boxes.push({what: 'node ' + label, x0: p.x - width * scale / 2, x1: p.x + width * scale / 2,
                    y0: top, y1: top + lines * f.size * scale, vis: node.labelModule.size.width, width});
    }
    for (const id of net.body.edgeIndices) {
        const edge = net.body.edges[id];
        if (!edge.connected || !edge.options.label) continue;
        const f = edge.labelModule.fontOptions, label = edge.options.label;
        const point = edge.edgeType.getPoint(0.5);
        const width = measure(label, `${f.mod || ''} ${f.size}px ${f.face}`.trim());
        const lines = label.split('\\n').length;
        const c = net.canvasToDOM({x: point.x, y: point.y + (f.vadjust || 0)});
        const h = lines * f.size * scale;
        boxes.push({what: 'edge ' + label, x0: c.x - width * scale / 2, x1: c.x + width * scale / 2,
                    y0: c.y - h / 2, y1: c.y + h / 2, vis: edge.labelModule.size.width, width});
    }
    for (const c of story.columns) {
        const width = measure(c.label, `600 ${story.fonts.column}px ${face}`);
        const p = net.canvasToDOM({x: c.x, y: story.top});
        boxes.push({what: 'column ' + c.label, x0: p.x - width * scale / 2, x1: p.x + width * scale / 2,
                    y0: p.y, y1: p.y + story.fonts.column * scale});
    }
    return {boxes, scale, width: net.canvas.frame.canvas.clientWidth, height: net.canvas.frame.canvas.clientHeight};
}"""


def _overlaps(boxes):
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > 0.5 and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > 0.5:
                found.append((a["what"], b["what"]))
    return found


@pytest.fixture(scope="module")
def hats_page(tmp_path_factory, kg):
    folder = tmp_path_factory.mktemp("hats")
    return Path(write_explorer(kg, folder / "hats.html")["path"])


def test_the_first_view_shows_the_hats_along_the_lifecycle_without_overlapping_labels(browser, hats_page, projection):
    page = Page(browser, hats_page)
    try:
        roles = {n for n, t in projection.nodes(data="type") if t == "role"}
        shown = page.js("() => explorer.shownIds().map(id => explorer.data.nodes[id].iri)")
        assert set(shown) == roles
        drawn = page.js("() => explorer.network.body.edgeIndices.filter(id => explorer.network.body.edges[id].connected)"
                        ".map(id => explorer.data.edges[id].relation)")
        handoff_pairs = {(u, v) for u, v, r in projection.edges(data="relation") if r == "hands_off_to" and u != v}
        assert sorted(drawn) == ["hands_off_to"] * len(handoff_pairs)
        # Every arrow names what is handed over.
        labels = page.js("() => explorer.data.edges.filter(e => e.relation === 'hands_off_to').map(e => [e.label, e.items.map(i => i.artifact)])")
        for label, artifacts in labels:
            assert label.replace("\n", " ").startswith(artifacts[0])
        # Columns follow the lifecycle: the product manager frames, the data engineer prepares data,
        # the ML engineer productionises, the SRE operates.
        x = page.js("() => Object.fromEntries(explorer.data.nodes.filter(n => n.type === 'role').map(n => [n.iri, explorer.network.getPosition(n.id).x]))")
        order = [iri("role", r) for r in ("product-manager", "data-engineer", "data-analyst", "data-scientist",
                                          "ml-engineer", "site-reliability-engineer")]
        assert [x[r] for r in order] == sorted(x[r] for r in order)
        result = page.js(LABEL_BOXES)
        boxes = result["boxes"]
        assert len(boxes) == len(roles) + len(handoff_pairs) + 6
        for b in boxes:
            if "vis" in b:  # our measurement agrees with vis's own
                assert abs(b["width"] - b["vis"]) < 1.0, b
            # inside the network area, clear of the details panel
            assert b["x0"] >= 0 and b["y0"] >= 0 and b["x1"] <= result["width"] and b["y1"] <= result["height"], b
        assert _overlaps(boxes) == []
        # Readable: the hats' names at 13 px or more on screen, the artifacts at 10 px or more.
        fonts = page.js("() => explorer.data.view.story.fonts")
        assert fonts["role"] * result["scale"] >= 13 and fonts["edge"] * result["scale"] >= 10, result["scale"]
        legend = page.page.locator("#family-legend li .name").all_text_contents()
        families = sorted({projection.nodes[r]["family"] for r in roles}, key=str.casefold)
        assert legend == families
        page.shot("explorer-hats.png")
        page.assert_quiet()
    finally:
        page.close()


def test_clicking_a_hat_expands_and_collapses_its_neighbourhood(browser, hats_page, projection):
    page = Page(browser, hats_page)
    try:
        p = page.page
        de = iri("role", "data-engineer")
        node_id = page.js("(iri) => explorer.nodeByIri(iri)", de)
        point = page.js("(id) => explorer.network.canvasToDOM(explorer.network.getPosition(id))", node_id)
        box = p.locator("#network").bounding_box()
        p.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        p.wait_for_function("explorer.selected() !== null")
        items = {v for _, v, r in projection.out_edges(de, data="relation")
                 if r in ("requires_skill", "uses_tool", "has_responsibility")}
        roles = {n for n, t in projection.nodes(data="type") if t == "role"}
        shown = set(page.js("() => explorer.shownIds().map(id => explorer.data.nodes[id].iri)"))
        assert shown == roles | items
        assert p.locator("#details-title").text_content() == "data engineer"
        p.wait_for_timeout(300)
        page.shot("explorer-hats-expanded.png")
        # Without tools: the same hat shows its skills and responsibilities only.
        p.locator('#expand-types input[data-type="tool"]').uncheck()
        shown = set(page.js("() => explorer.shownIds().map(id => explorer.data.nodes[id].iri)"))
        assert shown == roles | {i for i in items if projection.nodes[i]["type"] != "tool"}
        # The camera took in the hat's items, left of the details panel.
        panel = p.locator("#details").bounding_box()
        inside = page.js("""(ids) => ids.map(id => explorer.network.canvasToDOM(explorer.network.getPosition(id)))""",
                         page.js("() => explorer.shownIds().filter(id => explorer.data.nodes[id].type !== 'role')"))
        assert all(0 <= q["x"] <= panel["x"] - box["x"] and 0 <= q["y"] <= box["height"] for q in inside)
        # A second click on the selected hat collapses it.
        point = page.js("(id) => explorer.network.canvasToDOM(explorer.network.getPosition(id))", node_id)
        p.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        assert set(page.js("() => explorer.shownIds().map(id => explorer.data.nodes[id].iri)")) == roles
        # "Show every" skill: all of them at once, when asked.
        p.locator('#type-filters input[data-type="skill"]').check()
        skills = {n for n, t in projection.nodes(data="type") if t == "skill"}
        assert set(page.js("() => explorer.shownIds().map(id => explorer.data.nodes[id].iri)")) == roles | skills
        page.assert_quiet()
    finally:
        page.close()


def test_compare_two_hats_side_by_side_with_the_overlap_score(browser, hats_page, counted, kg):
    from datateam.graph.analysis.overlap import overlap_of

    page = Page(browser, hats_page)
    try:
        p = page.page
        de, mle = iri("role", "data-engineer"), iri("role", "ml-engineer")
        page.js("(iri) => explorer.select(explorer.nodeByIri(iri), {move: 'none'})", de)
        p.select_option("#compare-with", label="ML engineer")
        assert p.locator("#compare").is_visible()
        expected = overlap_of(counted, de, mle, "all")  # = `datateam overlap DE MLE`
        shared = sum(len(items) for items in expected["shared"].values())
        assert p.locator("#compare-title").text_content() == "data engineer and ML engineer"
        from datateam.graph.analysis.similar import pair_similarity

        similarity = pair_similarity(kg, de, mle)
        assert p.locator("#compare-scores").text_content().startswith(
            f"Jaccard {expected['jaccard']:.2f} · level-weighted Jaccard {expected['weighted']:.2f}"
            f" · similarity {similarity['score']:.2f}")
        assert p.locator("#compare-driver").text_content().endswith(
            "The similarity score comes most from: " + ", ".join(f"{x['label']} {x['weight']:.2f}" for x in similarity["shared"]) + ".")
        assert p.locator("#compare-shared-title").text_content() == f"Shared ({shared})"
        assert p.locator("#compare-a-title").text_content() == f"Only data engineer ({len(expected['only_a'])})"
        assert p.locator("#compare-b-title").text_content() == f"Only ML engineer ({len(expected['only_b'])})"
        names = set(p.locator("#compare-shared li").all_text_contents())
        assert names == {item["label"] for items in expected["shared"].values() for item in items}
        assert set(p.locator("#compare-b li").all_text_contents()) == {i["label"] for i in expected["only_b"]}
        page.shot("explorer-compare.png")
        page.assert_quiet()
    finally:
        page.close()


def test_the_url_hash_holds_the_state_and_back_and_forward_walk_it(browser, hats_page):
    page = Page(browser, hats_page)
    try:
        p = page.page
        de = iri("role", "data-engineer")
        page.js("(iri) => explorer.expand(explorer.nodeByIri(iri), true)", de)
        page.js("(iri) => explorer.select(explorer.nodeByIri(iri), {move: 'none'})", de)
        assert p.evaluate("location.hash") == "#select=role%3Adata-engineer&expand=role%3Adata-engineer"
        expanded_count = page.js("() => explorer.shownIds().length")
        link = p.url
        # The same link in a new page opens the same state.
        other = Page.__new__(Page)
        other.context = browser.new_context(viewport={"width": 1280, "height": 800})
        other.page = other.context.new_page()
        other.page.goto(link)
        other.page.wait_for_function("window.explorerReady === true")
        assert other.page.evaluate("explorer.data.nodes[explorer.selected()].iri") == de
        assert other.page.evaluate("explorer.shownIds().length") == expanded_count
        other.close()
        # Keyboard: an arrow moves the selection to the next hat.
        p.keyboard.press("ArrowRight")
        moved = page.js("() => explorer.data.nodes[explorer.selected()].iri")
        assert moved != de and page.js("() => explorer.data.nodes[explorer.selected()].type") == "role"
        # Back returns to the data engineer, forward to the hat the arrow chose.
        p.go_back()
        p.wait_for_function("explorer.selected() !== null && explorer.data.nodes[explorer.selected()].label === 'data engineer'")
        p.go_forward()
        p.wait_for_function("(iri) => explorer.data.nodes[explorer.selected()].iri === iri", arg=moved)
        # Enter expands the selected hat.
        p.keyboard.press("Enter")
        assert page.js("(iri) => explorer.expanded().includes(explorer.nodeByIri(iri))", moved)
        page.assert_quiet()
    finally:
        page.close()


def test_a_hats_card_lists_skills_by_level_tools_by_category_and_handoffs(browser, hats_page, kg):
    from datateam.graph.analysis.describe import describe
    from datateam.graph.lookup.names import resolve

    expected = describe(kg, resolve(kg, "data engineer", ["role"]))
    page = Page(browser, hats_page)
    try:
        p = page.page
        page.js("(iri) => explorer.select(explorer.nodeByIri(iri), {move: 'none'})", iri("role", "data-engineer"))
        titles = p.locator("#details-card h3").all_text_contents()
        assert titles == [f"Skills by level ({len(expected['skills'])})",
                          f"Tools by category ({sum(len(t['categories'] or ['-']) for t in expected['tools'])})",
                          f"Responsibilities by stage ({len(expected['responsibilities'])})",
                          f"Hands off to ({len(expected['hands_off_to'])})",
                          f"Receives from ({len(expected['receives_from'])})"]
        groups = p.locator("#details-card .relation").all_text_contents()
        core = sum(1 for s in expected["skills"] if s["level"] == "core")
        assert groups[0] == f"core ({core})"
        out = p.locator("#details-card ul").nth(-2).locator("li").all_text_contents()
        assert sorted(t.split(" (")[0] for t in out) == sorted(f"\u2192 {h['role']}: {h['artifact']}" for h in expected["hands_off_to"])
        received = p.locator("#details-card ul").nth(-1).locator("li").all_text_contents()
        assert sorted(t.split(" (")[0] for t in received) == sorted(f"\u2190 {h['role']}: {h['artifact']}" for h in expected["receives_from"])
        # Every skill under its level and every tool under its categories, as describe() gives them.
        groups = page.js("""() => { const out = {}; let section = null, current = null;
            for (const el of document.querySelectorAll('#details-card > *')) {
              if (el.tagName === 'H3') section = el.textContent.replace(/ \\(\\d+\\)$/, '');
              else if (el.classList.contains('relation')) current = section + '|' + el.textContent.replace(/ \\(\\d+\\)$/, '');
              else if (el.tagName === 'UL') out[current] = Array.from(el.children).map(li => li.firstChild.textContent); }
            return out; }""")
        by_level = {}
        for skill in expected["skills"]:
            by_level.setdefault(f"Skills by level|{skill['level'] or 'level not stated'}", []).append(skill["label"])
        by_category = {}
        for tool in expected["tools"]:
            for category in tool["categories"] or ["no category"]:
                by_category.setdefault(f"Tools by category|{category}", []).append(tool["label"])
        for key, labels in {**by_level, **by_category}.items():
            assert groups[key] == sorted(labels, key=str.casefold), key
        conditional = p.locator("#details-card li", has_text="machine learning").first.text_content()
        assert conditional == "machine learning conditional: olx-interview: only in a small company or team"
        page.shot("explorer-hat-card.png")
        page.assert_quiet()
    finally:
        page.close()


def test_the_heatmap_fits_its_colour_scale_and_a_cell_opens_the_comparison(browser, hats_page, counted, kg):
    from datateam.graph.analysis.overlap import overlap_of, role_items
    from datateam.graph.output.heatmap import fitted_range

    page = Page(browser, hats_page)
    try:
        p = page.page
        p.click("#open-heatmap")
        cells = page.js("""() => Array.from(document.querySelectorAll('#heatmap-grid button.cell')).map(c =>
                              [explorer.data.nodes[+c.dataset.a].iri, explorer.data.nodes[+c.dataset.b].iri, +c.dataset.value,
                               getComputedStyle(c).backgroundColor])""")
        items = role_items(counted, "all")
        with_items = {r for r, found in items.items() if found}
        assert {a for a, _, _, _ in cells} == with_items
        assert len(cells) == len(with_items) * (len(with_items) - 1)
        values = {}
        for a, b, value, _ in cells:
            assert value == overlap_of(counted, a, b, "all")["jaccard"]
            values[a, b] = value
        # The same fitted scale as `overlap --matrix --plot`: lowest to the 95th percentile.
        lo, hi = fitted_range(list(values.values()))
        assert lo == min(values.values()) and hi < max(values.values())  # DevOps and SRE share everything
        assert p.locator("#heatmap-min").text_content() == f"{lo:.2f}"
        assert p.locator("#heatmap-max").text_content() == f"{hi:.2f}"
        # The lowest value gets the lightest colour, the fitted top and above the darkest.
        colour = {(a, b): c for a, b, _, c in cells}
        assert colour[min(values, key=values.get)] == "rgb(247, 251, 255)"
        assert colour[max(values, key=values.get)] == "rgb(8, 48, 107)"
        assert {colour[k] for k, v in values.items() if v >= hi} == {"rgb(8, 48, 107)"}
        assert len({colour[k] for k, v in values.items() if v < hi}) > 8  # the low values are told apart
        assert "Jaccard of skills, tools and responsibilities" in p.locator("#heatmap-scale-note").text_content()
        apart = sorted(counted.nodes[r]["label"] for r, found in items.items() if not found)
        assert p.locator("#heatmap-without").text_content() == (
            "Listed apart, the sources give them no skill, tool or responsibility: " + ", ".join(apart) + ".")
        page.shot("explorer-heatmap.png")
        # The level-weighted score refits the scale.
        p.select_option("#heatmap-score", "weighted")
        weighted = page.js("() => Array.from(document.querySelectorAll('#heatmap-grid button.cell')).map(c => +c.dataset.value)")
        assert p.locator("#heatmap-max").text_content() == f"{fitted_range(weighted)[1]:.2f}"
        # The similarity score too, from graph/analysis/similar.py.
        from datateam.graph.analysis.similar import pair_similarity

        p.select_option("#heatmap-score", "similarity")
        cell = p.locator("#heatmap-grid button.cell").first
        a_iri, b_iri = (page.js("(id) => explorer.data.nodes[id].iri", int(cell.get_attribute(k))) for k in ("data-a", "data-b"))
        assert float(cell.get_attribute("data-value")) == pair_similarity(kg, a_iri, b_iri)["score"]
        p.select_option("#heatmap-score", "weighted")
        # A click on a cell opens the comparison of the two hats.
        de, mle = iri("role", "data-engineer"), iri("role", "ml-engineer")
        a, b = page.js("(ids) => [explorer.nodeByIri(ids[0]), explorer.nodeByIri(ids[1])]", [de, mle])
        p.locator(f'#heatmap-grid button.cell[data-a="{a}"][data-b="{b}"]').click()
        assert p.locator("#compare").is_visible()
        assert p.locator("#compare-title").text_content() == "data engineer and ML engineer"
        assert "panel=heatmap" in p.evaluate("location.hash") and "score=weighted" in p.evaluate("location.hash")
        page.assert_quiet()
    finally:
        page.close()


def test_the_handoff_flow_of_a_workflow_runs_step_by_step(browser, hats_page, projection):
    page = Page(browser, hats_page)
    try:
        p = page.page
        p.click("#open-flow")
        workflow = "automatic categorisation of classified listings"
        steps = sorted(((d["step"], projection.nodes[u]["label"], projection.nodes[v]["label"], d["artifact_label"])
                        for u, v, d in projection.edges(data=True)
                        if d["relation"] == "hands_off_to" and d.get("workflow_label") == workflow and d.get("step") is not None),
                       key=lambda s: (s[0], s[2].casefold()))
        p.select_option("#flow-workflow", label=f"{workflow} ({len(steps)} handoffs)")
        assert p.locator("#flow-steps li").all_text_contents() == [f"{f} \u2192 {t}: {a}" for _, f, t, a in steps]
        assert p.locator("#flow-position").text_content() == f"1 of {len(steps)}"
        p.click("#flow-next")
        p.click("#flow-next")
        step, giver, receiver, artifact = steps[2]
        assert p.locator("#flow-now").text_content().startswith(f"Step {step}: {giver} \u2192 {receiver}: {artifact}")
        lit = page.js("() => explorer.lit().nodes.map(id => explorer.data.nodes[id].label).sort()")
        assert lit == sorted([giver, receiver])
        assert p.evaluate("location.hash").endswith("panel=flow&workflow=0&step=2")
        page.shot("explorer-flow.png")
        p.go_back()
        p.wait_for_function("explorer.flow().step === 1")
        assert p.locator("#flow-position").text_content() == f"2 of {len(steps)}"
        page.assert_quiet()
    finally:
        page.close()


TEAM_FILE = """team: marketplace data team
size: small
people:
  - name: Ana
    hats: [data scientist, data engineer]
  - name: Ben
    hats: data analyst
"""


def test_the_team_view_shows_the_hats_covered_and_missing(browser, kg, tmp_path, projection):
    from datateam.graph.analysis.coverage import coverage

    team_file = tmp_path / "team.yaml"
    team_file.write_text(TEAM_FILE, encoding="utf-8")
    path = Path(write_explorer(kg, tmp_path / "team.html", team=team_file)["path"])
    expected = coverage(kg, team=team_file, next_hire=True)
    page = Page(browser, path)
    try:
        p = page.page
        assert p.locator("#team").is_visible()  # a page written with a team opens on it
        assert p.locator("#team-title").text_content() == "marketplace data team"
        assert p.locator("#team-people li").all_text_contents() == [
            "Ana: data scientist, data engineer", "Ben: data analyst"]
        worn = ["data analyst", "data engineer", "data scientist"]
        assert p.locator("#team-worn-title").text_content() == "Hats covered (3)"
        assert p.locator("#team-worn").text_content() == ", ".join(worn)
        missing = sorted((d["label"] for _, d in projection.nodes(data=True)
                          if d["type"] == "role" and not d.get("stakeholder") and d["label"] not in worn), key=str.casefold)
        assert p.locator("#team-missing-title").text_content() == f"Hats missing ({len(missing)})"
        assert sorted(p.locator("#team-missing").text_content().split(", "), key=str.casefold) == missing
        t = expected["totals"]
        assert p.locator("#team-summary").text_content() == (
            f"Covers {t['responsibilities']['covered']} of {t['responsibilities']['all']} responsibilities, "
            f"{t['skills']['covered']} of {t['skills']['all']} skills, {t['tool categories']['covered']} of "
            f"{t['tool categories']['all']} tool categories (a small organisation).")
        first = expected["next_hire"][0]
        assert p.locator("#team-next li").first.text_content().startswith(f"{first['role']}: closes {first['closes']}")
        stages = p.locator("#team-stages li").all_text_contents()
        assert stages[0].startswith(f"{expected['stages'][0]['stage']}: {len(expected['stages'][0]['covered'])} covered, "
                                    f"{len(expected['stages'][0]['missing'])} missing")
        lit = page.js("() => explorer.lit().nodes.map(id => explorer.data.nodes[id].label).sort()")
        assert lit == worn
        page.shot("explorer-team.png")
        page.assert_quiet()
    finally:
        page.close()


def test_a_hostile_label_stays_text_in_the_hats_view_its_card_heatmap_and_comparison(browser, tmp_path):
    kg = load_knowledge_graph([XSS_FILE])
    path = tmp_path / "xss-hats.html"
    write_explorer(kg, path)
    page = Page(browser, path)
    try:
        p = page.page
        mallory = page.js("() => explorer.data.nodes.find(n => n.label.startsWith('<img')).id")
        page.js("(id) => explorer.select(id, {move: 'none'})", mallory)
        assert p.locator("#details-title").text_content() == XSS_LABEL
        assert p.locator("#details-card li", has_text="Apache Airflow").count() == 1
        p.select_option("#compare-with", label="data engineer")
        assert p.locator("#compare-title").text_content() == f"{XSS_LABEL} and data engineer"
        p.click("#open-heatmap")
        assert XSS_LABEL in p.locator("#heatmap-grid .row-label").all_text_contents()
        assert p.locator(f'#heatmap-grid button.cell[data-a="{mallory}"]').first.get_attribute("title").startswith(XSS_LABEL)
        counts = page.js("""() => ({img: document.querySelectorAll('img').length, scripts: document.scripts.length,
                                     bold: document.querySelectorAll('aside b').length, anchors: document.querySelectorAll('a').length})""")
        assert counts == {"img": 0, "scripts": 3, "bold": 0, "anchors": 0}
        assert page.js("() => window.__xss") is None
        page.assert_quiet()
    finally:
        page.close()


ESCO_SLICE = HERE / "data" / "esco-v1.1.1-slice"


def test_with_an_esco_import_the_first_view_stays_the_hats_and_an_occupation_is_found_on_demand(browser, tmp_path):
    import time

    from datateam.graph.importers import import_esco

    kg = load_knowledge_graph()
    import_esco(kg, sorted(ESCO_SLICE.glob("*.zip")))
    graph = build_projection(kg, include_conditional=True)
    occupations = [n for n, d in graph.nodes(data=True) if d["type"] == "role" and d.get("sources") == ["esco"]]
    assert len(occupations) > 50
    path = tmp_path / "esco.html"
    write_explorer(kg, path)
    started = time.monotonic()
    page = Page(browser, path)
    try:
        assert time.monotonic() - started < 3.0
        p = page.page
        shown = page.js("() => explorer.shownIds().map(id => explorer.data.nodes[id])")
        assert {n["type"] for n in shown} == {"role"} and not any(n.get("imported") for n in shown)
        assert len(shown) == 21 and page.js("() => explorer.data.nodes.length") == graph.number_of_nodes()
        assert "imported occupations appear when searched" in p.locator("#subtitle").text_content()
        # No overlap in the first view either.
        assert _overlaps(page.js(LABEL_BOXES)["boxes"]) == []
        # Searching an ESCO occupation shows it; a click on it shows its ESCO skills.
        label = graph.nodes[occupations[0]]["label"]
        p.fill("#search", label)
        p.keyboard.press("Enter")
        node_id = page.js("(iri) => explorer.nodeByIri(iri)", occupations[0])
        assert page.js("() => explorer.selected()") == node_id and node_id in page.js("() => explorer.shownIds()")
        page.js("(id) => explorer.expand(id, true)", node_id)
        skills = {v for _, v, r in graph.out_edges(occupations[0], data="relation") if r == "requires_skill"}
        shown = set(page.js("() => explorer.shownIds().map(id => explorer.data.nodes[id].iri)"))
        assert skills and skills <= shown
        page.shot("explorer-esco-slice.png")
        page.assert_quiet()
    finally:
        page.close()


def test_the_served_explorer_asks_the_json_api_to_compare_any_two_hats_and_check_a_team(browser, kg):
    import threading

    from datateam.graph.analysis.coverage import coverage
    from datateam.graph.analysis.overlap import overlap
    from datateam.queries.server.http_server import make_server

    server = make_server(kg, "127.0.0.1", 0, log=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        requests, problems = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.goto(server.url + "explorer")
        page.wait_for_function("window.explorerReady === true", timeout=30000)
        assert page.evaluate("explorer.data.api") is True
        page.evaluate("(iri) => explorer.select(explorer.nodeByIri(iri), {move: 'none'})", iri("role", "data-engineer"))
        page.select_option("#compare-with", label="ML engineer")
        page.wait_for_function("() => document.getElementById('compare-scores').textContent.startsWith('Jaccard')")
        expected = overlap(kg, "data engineer", "ML engineer")
        assert page.locator("#compare-scores").text_content().startswith(
            f"Jaccard {expected['jaccard']:.2f} · level-weighted Jaccard {expected['weighted']:.2f}")
        assert "/api/overlap" in page.locator("#compare-scores").text_content()
        assert page.locator("#compare-b-title").text_content() == f"Only ML engineer ({len(expected['only_b'])})"
        page.click("#compare-close")
        # Any team, checked by the server.
        page.click("#open-team")
        page.fill("#team-roles", "data analyst, data engineer")
        page.click("#team-check")
        page.wait_for_function("() => document.getElementById('team-worn-title').textContent === 'Hats covered (2)'")
        result = coverage(kg, roles=["data analyst", "data engineer"], next_hire=True)
        t = result["totals"]
        assert page.locator("#team-summary").text_content().startswith(
            f"Covers {t['responsibilities']['covered']} of {t['responsibilities']['all']} responsibilities")
        assert page.locator("#team-next li").first.text_content().startswith(
            f"{result['next_hire'][0]['role']}: closes {result['next_hire'][0]['closes']}")
        # An unknown name comes back as the server's one-line error.
        page.fill("#team-roles", "data enginer")
        page.click("#team-check")
        page.wait_for_function("() => document.getElementById('team-summary').textContent.includes('could not')")
        assert "no role named 'data enginer'" in page.locator("#team-summary").text_content()
        page.screenshot(path=str(ARTIFACTS / "explorer-served-team.png"))
        assert {r.split("?")[0] for r in requests} == {server.url + "explorer", server.url + "api/overlap", server.url + "api/coverage"}
        assert [p for p in problems if "400" not in p] == []
    finally:
        context.close()
        server.shutdown()
        server.stop(grace=5)
        thread.join(10)
