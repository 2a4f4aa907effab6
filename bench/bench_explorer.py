"""Benchmark: the explorer page for a 10,000-node graph against stock pyvis on the same graph.

Measured in one run, on the same graph:

- writing the HTML: ours (`write_graph_explorer`: layout in Python, JSON built directly, our
  template) against stock pyvis (`Network().from_nx(graph)` then `write_html`, whose add_edge
  checks every existing edge, so building is quadratic);
- ready in headless Chromium (Debian's /usr/bin/chromium, page opened from file://): ours is
  ready when it has drawn once (physics off, positions precomputed); stock pyvis when its
  stabilisation ends (default physics, the loading bar goes away);
- responsiveness of our page: searching a label and clicking a node, each until the details panel
  shows the node.

Stock runs are capped (default 60 s each) and reported as "not finished after 60 s". The stock
page's CDN requests (Bootstrap) are refused, as they would be offline.

Targets (issue 5): HTML written in under 2 s, ready in under 3 s, for 10,000 nodes.

Usage:
    .venv/bin/python bench/bench_explorer.py            # prints the rows as JSON
    from bench.bench_explorer import run; run(graph)     # e.g. the ESCO projection

Importing this module has no side effect.
"""

from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
WRITE_TARGET_S = 2.0
READY_TARGET_S = 3.0


def synthetic_graph(n_nodes: int = 10_000, seed: int = 1):
    """A seeded graph shaped like the projection: roles, skills, tools, categories, responsibilities,
    stages and artifacts, with popular items shared by many roles (Zipf-like) and every item used.

    >>> g = synthetic_graph(1000)
    >>> g.number_of_nodes()
    1000
    """
    import networkx as nx

    rng = random.Random(seed)
    shares = [("role", 0.06), ("skill", 0.5), ("tool", 0.25), ("category", 0.015), ("responsibility", 0.12),
              ("artifact", 0.05), ("stage", 0.005)]
    ids: dict[str, list[str]] = {}
    graph = nx.MultiDiGraph()
    counts = [max(1, int(n_nodes * share)) for _, share in shares]
    counts[1] += n_nodes - sum(counts)  # exactly n_nodes
    for (kind, _), count in zip(shares, counts):
        ids[kind] = [f"https://example.org/{kind}/{i}" for i in range(count)]
        for i, node in enumerate(ids[kind]):
            graph.add_node(node, type=kind, label=f"{kind} {i}", aliases=[f"{kind[:2]}{i}"],
                           definition=f"Synthetic {kind} number {i}.", sources=[f"source-{i % 5}"])
    roles = ids["role"]

    def popular(items, k):
        weights = [1.0 / (rank + 1) for rank in range(len(items))]
        return set(rng.choices(items, weights=weights, k=k))

    for kind, relation, low, high in [("skill", "requires_skill", 15, 40), ("tool", "uses_tool", 5, 15),
                                      ("responsibility", "has_responsibility", 3, 8)]:
        used = set()
        for role in roles:
            for item in sorted(popular(ids[kind], rng.randint(low, high))):
                graph.add_edge(role, item, key=relation, relation=relation, sources=["source-0"], level="working")
                used.add(item)
        for i, item in enumerate(ids[kind]):
            if item not in used:
                graph.add_edge(roles[i % len(roles)], item, key=relation, relation=relation, sources=["source-1"])
    for tool in ids["tool"]:
        graph.add_edge(tool, rng.choice(ids["category"]), key="in_category", relation="in_category", sources=["source-2"])
    for resp in ids["responsibility"]:
        graph.add_edge(resp, rng.choice(ids["stage"]), key="at_stage", relation="at_stage", sources=["source-3"])
        graph.add_edge(resp, rng.choice(ids["artifact"]), key="produces", relation="produces", sources=["source-3"])
    for i in range(len(roles)):
        a, b = rng.sample(roles, 2)
        graph.add_edge(a, b, key=f"handoff-{i}", relation="hands_off_to", sources=["source-4"],
                       artifact_label=f"artifact {i % 40}")
    return graph


# ---------------------------------------------------------------------------------------------
# Ours


def _ours(graph, folder: Path, browser, cap_s: float) -> list[dict]:
    from datateam.graph.explorer import write_graph_explorer

    path = folder / "ours.html"
    start = time.perf_counter()
    summary = write_graph_explorer(graph, path, title="Benchmark graph")
    write_s = time.perf_counter() - start
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    start = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.explorerReady === true", timeout=cap_s * 1000)
    ready_s = time.perf_counter() - start
    # Search: type a label, press Enter, until the details panel names it.
    target = page.evaluate("() => explorer.data.nodes[Math.floor(explorer.data.nodes.length / 2)]")
    start = time.perf_counter()
    page.fill("#search", target["label"])
    page.keyboard.press("Enter")
    page.wait_for_function("(id) => explorer.selected() === id && !document.getElementById('details').hidden",
                           arg=target["id"], timeout=cap_s * 1000)
    search_s = time.perf_counter() - start
    # Click: the node nearest the middle of the canvas, until its details show.
    page.keyboard.press("Escape")
    page.evaluate("() => explorer.network.fit({animation: false})")
    box = page.locator("#network").bounding_box()
    middle = {"x": box["width"] / 2, "y": box["height"] / 2}
    clicked = page.evaluate("""(p) => { const c = explorer.network.DOMtoCanvas(p); let best = null, d = Infinity;
        const pos = explorer.network.getPositions();
        for (const id in pos) { const dd = (pos[id].x - c.x) ** 2 + (pos[id].y - c.y) ** 2; if (dd < d) { d = dd; best = Number(id); } }
        return {id: best, dom: explorer.network.canvasToDOM(pos[best])}; }""", middle)
    start = time.perf_counter()
    page.mouse.click(box["x"] + clicked["dom"]["x"], box["y"] + clicked["dom"]["y"])
    page.wait_for_function("() => explorer.selected() !== null && !document.getElementById('details').hidden",
                           timeout=cap_s * 1000)
    click_s = time.perf_counter() - start
    context.close()
    nodes, edges = summary["nodes"], summary["edges"]
    note = f"{nodes:,} nodes, {edges:,} links, {summary['bytes'] / 1e6:.1f} MB page; requests: {len(requests)}"
    return [
        {"name": "explorer: write HTML", "ours_s": write_s, "target_s": WRITE_TARGET_S, "note": note},
        {"name": "explorer: ready in Chromium", "ours_s": ready_s, "target_s": READY_TARGET_S, "note": note},
        {"name": "explorer: search to details shown", "ours_s": search_s, "target_s": None, "note": "after ready"},
        {"name": "explorer: click to details shown", "ours_s": click_s, "target_s": None, "note": "after ready"},
    ]


# ---------------------------------------------------------------------------------------------
# Stock pyvis

_STOCK_WRITE = """
import pickle, sys, time
from pyvis.network import Network
graph = pickle.load(open(sys.argv[1], "rb"))
start = time.perf_counter()
net = Network(directed=True, cdn_resources="in_line")
net.from_nx(graph)
net.write_html(sys.argv[2])
print(time.perf_counter() - start)
"""


def _stock_write(graph, folder: Path, cap_s: float) -> float | None:
    """Seconds stock pyvis takes to build (from_nx) and write the page, or None past the cap."""
    pickled = folder / "graph.pickle"
    pickled.write_bytes(pickle.dumps(_plain(graph)))
    try:
        proc = subprocess.run([sys.executable, "-c", _STOCK_WRITE, str(pickled), str(folder / "stock-written.html")],
                              cwd=folder, capture_output=True, text=True, timeout=cap_s)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"stock pyvis failed: {proc.stderr.strip().splitlines()[-1:]}")
    return float(proc.stdout.strip().splitlines()[-1])


def _plain(graph):
    """The graph with only what stock pyvis shows (label, title), without list attributes it cannot draw."""
    import networkx as nx

    plain = nx.DiGraph()
    for node, data in graph.nodes(data=True):
        plain.add_node(node, label=str(data.get("label", node)), title=str(data.get("type", "")))
    for u, v in graph.edges():
        plain.add_edge(u, v)
    return plain


def _stock_page(graph, folder: Path) -> Path:
    """The stock pyvis page for the same graph, built without add_edge (so it exists even when
    from_nx would take minutes): default options, default physics, its own template."""
    from pyvis.network import Network

    plain = _plain(graph)
    net = Network(directed=True, cdn_resources="in_line")
    net.nodes = [{"id": n, "label": d["label"], "title": d["title"], "shape": "dot", "color": "#97c2fc",
                  "size": 10} for n, d in plain.nodes(data=True)]
    net.node_ids = list(plain.nodes)
    net.node_map = {n["id"]: n for n in net.nodes}
    net.edges = [{"from": u, "to": v, "arrows": "to"} for u, v in plain.edges()]
    path = folder / "stock.html"
    net.write_html(str(path))
    return path


def _stock_ready(graph, folder: Path, browser, cap_s: float) -> float | None:
    path = _stock_page(graph, folder)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    start = time.perf_counter()
    try:
        page.goto(path.resolve().as_uri(), timeout=cap_s * 1000)
        remaining = max(cap_s - (time.perf_counter() - start), 0.1)
        page.wait_for_function("""() => typeof network !== 'undefined' && (
                                      !document.getElementById('loadingBar') ||
                                      document.getElementById('loadingBar').style.opacity === '0')""",
                               timeout=remaining * 1000, polling=100)
        return time.perf_counter() - start
    except Exception as exc:  # playwright's TimeoutError: reported as "not ready after cap"
        if "Timeout" not in type(exc).__name__:
            raise
        return None
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------


def run(graph=None, *, cap_s: float = 60.0) -> list[dict]:
    """Time our explorer against stock pyvis on `graph` (default: a synthetic 10,000-node graph).

    Returns one dict per measurement: name, ours_s, baseline_s (None when stock pyvis did not
    finish within cap_s), baseline, ratio (baseline / ours, or None), target_s, met (ours under
    target, or None), note.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    graph = graph if graph is not None else synthetic_graph()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-explorer-") as tmp, sync_playwright() as p:
        folder = Path(tmp)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            ours = _ours(graph, folder, browser, cap_s)
            stock_write = _stock_write(graph, folder, cap_s)
            stock_ready = _stock_ready(graph, folder, browser, cap_s)
        finally:
            browser.close()
    baselines = {
        "explorer: write HTML": (stock_write, "stock pyvis: Network().from_nx(graph) + write_html"),
        "explorer: ready in Chromium": (stock_ready, "stock pyvis page, default physics, until stabilised"),
    }
    for row in ours:
        baseline, what = baselines.get(row["name"], (None, None))
        row["baseline"] = what
        row["baseline_s"] = baseline
        row["ratio"] = baseline / row["ours_s"] if baseline and row["ours_s"] else None
        if what and baseline is None:
            row["note"] += f"; stock pyvis not finished after {cap_s:.0f} s"
        row["met"] = row["ours_s"] < row["target_s"] if row["target_s"] else None
        rows.append(row)
    return rows


if __name__ == "__main__":
    for result in run():
        print(json.dumps(result))
