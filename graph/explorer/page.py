"""The explorer page: the view's data as JSON, pyvis's network options, and our own escaped template.

pyvis gives the network model (nodes, edges and the vis-network options object, read back with
`Network.get_network_data()`) and ships the vis-network script. Its own HTML template is not used:
it loads Bootstrap and vis from CDNs, writes a lib/ folder into the working directory and puts
labels into the page unescaped. Instead the page is rendered here with Jinja (autoescape on):

- the data travels as JSON in a `<script type="application/json">` block (with `<`, `>`, `&` and
  the two JavaScript line separators escaped, so no `</script>` can end it early) and is read with
  JSON.parse; the page script puts every label and description into the DOM with textContent;
- vis-network's script and ours are inlined, and a Content-Security-Policy allows exactly those two
  scripts (by hash) and no request to any host;
- nodes and edges are built as plain dicts in one pass (pyvis's add_edge is quadratic), positions
  come from layout.py and physics is off, so a 10,000-node page is drawn at once.

>>> from datateam.graph.explorer.views import select_view
>>> html = render_page(select_view(projection, "tools"), {"olx-interview": "Roles in data teams"})
>>> html.startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import networkx as nx
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..analysis.overlap import jaccard, role_items, weighted_jaccard
from ..defaults import EXPLORER_SEED
from ..errors import DatateamError
from .layout import compute_positions
from .story import COLUMN_GAP, EDGE_FONT, ROLE_FONT, expansion_positions, hat_size, hats
from .story import role_items as hat_items
from .views import SIDES, View

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Node types: legend label, colour and vis-network shape (Okabe-Ito colours, readable in colour blindness).
NODE_STYLES: dict[str, dict] = {
    "role": {"label": "Roles", "color": "#0072B2", "shape": "dot"},
    "skill": {"label": "Skills", "color": "#E69F00", "shape": "diamond"},
    "tool": {"label": "Tools", "color": "#009E73", "shape": "square"},
    "category": {"label": "Tool categories", "color": "#56B4E9", "shape": "hexagon"},
    "responsibility": {"label": "Responsibilities", "color": "#CC79A7", "shape": "triangle"},
    "artifact": {"label": "Artifacts", "color": "#D55E00", "shape": "triangleDown"},
    "stage": {"label": "Lifecycle stages", "color": "#6B6B6B", "shape": "star"},
}
OTHER_STYLE = {"label": "Other", "color": "#999999", "shape": "dot"}
SIDE_COLORS = {"a": "#0072B2", "b": "#D55E00", "shared": "#7A3E9D"}

# Relations: how a link reads from each end (for the details panel) and how it is drawn.
RELATIONS: dict[str, dict] = {
    "requires_skill": {"forward": "requires skill", "backward": "required by"},
    "uses_tool": {"forward": "uses tool", "backward": "used by"},
    "in_category": {"forward": "in category", "backward": "category of"},
    "has_responsibility": {"forward": "responsible for", "backward": "responsibility of"},
    "at_stage": {"forward": "at stage", "backward": "stage of"},
    "produces": {"forward": "produces", "backward": "produced by"},
    "hands_off_to": {"forward": "hands off to", "backward": "receives from"},
    "works_with": {"forward": "works with", "backward": "works with"},
}
EDGE_COLOR = "#B8C2CC"
HANDOFF_COLOR = "#C0392B"

LARGE_VIEW = 2000  # above this many nodes: no edge smoothing, edges hidden while dragging/zooming
SMALL_VIEW = 60    # up to this many nodes: every label drawn at any zoom
MAX_LABEL_ARTIFACTS = 2
COLUMN_FONT = 17   # px (canvas): the lifecycle column headings of the hats view


# ---------------------------------------------------------------------------------------------
# The data


def build_page_data(view: View, source_titles: dict[str, str] | None = None, *, seed: int = EXPLORER_SEED) -> dict:
    """Turn a View into the plain data the page draws: nodes, edges, legend, sources, colours.

    view: from select_view; source_titles: source id -> title for the source filter (ids without a
    title are shown as they are); seed: the layout seed (the same inputs give the same page).

    Returns {"view", "types", "sources", "sides", "relations", "colors", "nodes", "edges"}, and for
    the hats view "pairs" (every pair of hats scored) and "heatmap" (its rows, the roles listed apart).
    Node ids on the page are integers (compact for large graphs); each node keeps its IRI as "iri".
    Parallel edges of one relation between the same two nodes become one link whose "items" list
    every handoff (artifact, stage, mode, workflow, step, sources).

    >>> from datateam.graph.explorer.views import select_view
    >>> data = build_page_data(select_view(projection, "tools"))
    >>> sorted(data)
    ['colors', 'edges', 'nodes', 'relations', 'sides', 'sources', 'types', 'view']
    """
    graph = view.graph
    source_titles = source_titles or {}
    node_ids = {node: i for i, node in enumerate(graph.nodes)}
    links = _merge_edges(graph, node_ids)
    degree = Counter()
    for link in links:
        degree[link["from"]] += 1
        degree[link["to"]] += 1

    source_order = sorted({s for _, d in graph.nodes(data=True) for s in d.get("sources") or []}
                          | {s for link in links for s in link["sources"]},
                          key=lambda s: (s.startswith(("user/", "import/")), source_titles.get(s, s).casefold(), s))
    source_index = {s: i for i, s in enumerate(source_order)}
    for link in links:
        link["sources"] = sorted(source_index[s] for s in link["sources"])
        for item in link.get("items", ()):
            item["sources"] = sorted(source_index[s] for s in item["sources"])

    story = view.story
    if story is not None:
        positions = expansion_positions(graph, story["positions"], seed=seed)
        family_colors = _family_colors(graph)
    else:
        positions = {} if view.hierarchical else compute_positions(graph, seed=seed)
    nodes = []
    type_counts = Counter()
    source_counts = Counter()
    for node, attrs in graph.nodes(data=True):
        i = node_ids[node]
        kind = attrs.get("type") or "other"
        type_counts[kind] += 1
        sources = sorted(source_index[s] for s in attrs.get("sources") or [])
        source_counts.update(sources)
        entry = {
            "id": i,
            "iri": str(node),
            "label": str(attrs.get("label") or node),
            "type": kind,
            "value": node_value(degree[i]),
            "aliases": [str(a) for a in attrs.get("aliases") or []],
            "definition": str(attrs.get("definition") or ""),
            "sources": sources,
        }
        if kind == "role" and attrs.get("family"):
            entry["family"] = str(attrs["family"])
        if kind == "role" and attrs.get("stakeholder"):
            entry["stakeholder"] = True
        for key in ("note", "comparisons", "disputes", "card"):
            if attrs.get(key):
                entry[key] = attrs[key]
        if node in positions:
            x, y = positions[node]
            entry["x"], entry["y"] = round(x), round(y)  # vis-network reads positions with parseInt
        if view.hierarchical:
            entry["level"] = view.levels.get(node, 0)
        if node in view.sides:
            entry["side"] = view.sides[node]
        if story is not None and kind == "role" and node not in story["positions"]:
            entry["imported"] = True
        if story is not None and kind == "role" and node in story["positions"]:
            entry["draw"] = story["labels"][node]
            entry["size"] = story["sizes"][node]
            entry["column"] = story["column"][node]
            entry["color"] = family_colors.get(attrs.get("family"), OTHER_STYLE["color"])
        nodes.append(entry)
    if story is not None:
        for link in links:
            key = (nodes[link["from"]]["iri"], nodes[link["to"]]["iri"])
            if link["relation"] == "hands_off_to" and key in story["links"]:
                link["label"] = story["links"][key]
                link["curve"] = story["curves"][key]
                if key in story["nudges"]:
                    link["nudge"] = story["nudges"][key]

    types = [{"key": key, **_style(key), "count": type_counts[key]}
             for key in list(NODE_STYLES) + sorted(set(type_counts) - set(NODE_STYLES)) if type_counts[key]]
    sides = []
    if view.compare:
        labels = {"a": graph.nodes[view.compare[0]]["label"], "b": graph.nodes[view.compare[1]]["label"]}
        for key in ("shared", "a", "b"):
            count = sum(1 for n, s in view.sides.items() if s == key and n not in view.compare)
            sides.append({"key": key, "label": SIDES[key].format(**labels), "color": SIDE_COLORS[key], "count": count})
    data = {
        "view": {
            "name": view.name,
            "title": view.title,
            "subtitle": view.subtitle,
            "focus": node_ids.get(view.focus) if view.focus is not None else None,
            "compare": [node_ids[c] for c in view.compare] if view.compare else None,
            "hierarchical": view.hierarchical,
            "large": graph.number_of_nodes() > LARGE_VIEW,
            "summary": view.summary,
            "story": _story_data(view, graph, family_colors) if story is not None else None,
        },
        "types": types,
        "sources": [{"index": i, "id": s, "title": source_titles.get(s, s), "count": source_counts[i]}
                    for i, s in enumerate(source_order)],
        "sides": sides,
        "relations": RELATIONS,
        "colors": {"edge": EDGE_COLOR, "handoff": HANDOFF_COLOR},
        "nodes": nodes,
        "edges": links,
    }
    if story is not None:
        # The hats view's comparisons and heatmap: every pair of hats, scored when the page is written.
        data["pairs"] = _pair_overlaps(graph, node_ids)
        data["heatmap"] = _heatmap_roles(graph, node_ids, story)
    return data


# Role families: one colour each in the hats view (Okabe-Ito, then two more that stay apart from them).
FAMILY_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#8C6D31", "#7F3C8D",
                  "#4D4D4D", "#B8860B")


def _family_colors(graph: nx.MultiDiGraph) -> dict:
    families = sorted({graph.nodes[r].get("family") or "" for r in hats(graph)},
                      key=lambda f: (f == "", f.casefold()))
    return {f or None: FAMILY_PALETTE[i % len(FAMILY_PALETTE)] for i, f in enumerate(families)}


def _story_data(view: View, graph: nx.MultiDiGraph, family_colors: dict) -> dict:
    """What the hats view draws beside the network: the lifecycle columns and the colour and size legends."""
    story = view.story
    ys = [y for _, y in story["positions"].values()] or [0.0]
    counts = Counter(graph.nodes[r].get("family") for r in story["positions"])
    items = hat_items(graph)
    most = max((items[r] for r in story["positions"]), default=0)
    samples = sorted({0, round(most / 4), most}) if most else [0]
    return {
        "columns": story["columns"],
        "columnWidth": COLUMN_GAP,
        "top": min(ys) - 95,
        "bottom": max(ys) + 95,
        "families": [{"label": family or "no family", "color": color, "count": counts.get(family, 0)}
                     for family, color in family_colors.items()],
        "sizes": [{"count": n, "size": hat_size(n)} for n in samples],
        "fonts": {"role": ROLE_FONT, "edge": EDGE_FONT, "column": COLUMN_FONT},
    }


def counted_facts(graph: nx.MultiDiGraph):
    """A view of the projection without the conditional facts (those every stating source limits),
    as the analyses count them by default."""
    return nx.subgraph_view(graph, filter_edge=lambda u, v, k: not graph.edges[u, v, k].get("conditional"))


def _pair_overlaps(graph: nx.MultiDiGraph, node_ids: dict) -> dict:
    """Every pair of hats compared by graph/analysis/overlap.py (skills, tools and responsibilities):
    "a,b" (page ids, a < b) -> {jaccard, weighted, shared, only_a, only_b} with item page ids."""
    # The same items and scores as `datateam overlap` (overlap_of recomputes role_items per pair: too
    # slow for every pair of a graph with an import), read once, from the facts that count: the page
    # shows the conditional ones, marked, but the scores leave them out as the CLI does.
    items = role_items(counted_facts(graph), "all")
    roles = sorted(node_ids[n] for n in hats(graph))
    iris = {i: n for n, i in node_ids.items()}
    pairs = {}
    for x in range(len(roles)):
        for y in range(x + 1, len(roles)):
            a, b = roles[x], roles[y]
            wa, wb = items[iris[a]], items[iris[b]]
            if not wa and not wb:
                continue
            pairs[f"{a},{b}"] = {"jaccard": round(jaccard(set(wa), set(wb)), 6), "weighted": round(weighted_jaccard(wa, wb), 6),
                                 "shared": sorted(node_ids[i] for i in wa.keys() & wb.keys()),
                                 "only_a": sorted(node_ids[i] for i in wa.keys() - wb.keys()),
                                 "only_b": sorted(node_ids[i] for i in wb.keys() - wa.keys())}
    return pairs


FIT_QUANTILE = 0.95  # the heatmap's colour scale tops out at this quantile (as graph/output/heatmap.py does)
HEATMAP_SCORES = {"jaccard": "Jaccard of skills, tools and responsibilities",
                  "weighted": "level-weighted Jaccard of skills, tools and responsibilities"}


def _heatmap_roles(graph: nx.MultiDiGraph, node_ids: dict, story: dict) -> dict:
    """The heatmap's rows (roles with at least one skill, tool or responsibility, in lifecycle order)
    and the roles listed apart because the sources give them none."""
    found = role_items(counted_facts(graph), "all")
    items = {r: found[r] for r in hats(graph)}
    order = sorted(items, key=lambda r: (story["column"].get(r, 0), str(graph.nodes[r].get("label", r)).casefold()))
    return {"roles": [node_ids[r] for r in order if items[r]],
            "without": [node_ids[r] for r in order if not items[r]],
            "scores": HEATMAP_SCORES, "quantile": FIT_QUANTILE}


def node_value(degree: int) -> float:
    """The vis-network `value` of a node with `degree` links: its square root.

    vis scales both the shape (8 to 36 px) and the label (12 to 30 px) linearly with the value
    between the smallest and largest in the view, so hubs are big and labelled in an overview
    while leaves' labels appear on zooming in; the square root keeps a few huge hubs from
    flattening everything else.

    >>> node_value(16)
    4.0
    """
    return round(math.sqrt(degree), 3)


def _style(kind: str) -> dict:
    return NODE_STYLES.get(kind, {**OTHER_STYLE, "label": kind.capitalize()})


def _merge_edges(graph: nx.MultiDiGraph, node_ids: dict) -> list[dict]:
    """One link per (from, to, relation); handoffs keep each dt:Handoff as an item."""
    merged: dict[tuple, dict] = {}
    for u, v, data in graph.edges(data=True):
        relation = data.get("relation", "related")
        key = (node_ids[u], node_ids[v], relation)
        link = merged.get(key)
        if link is None:
            link = merged[key] = {"from": key[0], "to": key[1], "relation": relation, "sources": set()}
            if data.get("level"):
                link["level"] = data["level"]
            if relation != "hands_off_to":
                qualified = qualifier_notes(data)
                if qualified:
                    link["qualifiers"] = qualified
                if data.get("conditional"):
                    link["conditional"] = True
        link["sources"].update(data.get("sources") or [])
        if relation == "hands_off_to":
            item = {
                "artifact": data.get("artifact_label") or "",
                "stage": data.get("stage_label") or "",
                "mode": data.get("mode") or "",
                "workflow": data.get("workflow_label") or "",
                "step": data.get("step"),
                "sources": list(data.get("sources") or []),
            }
            if data.get("conditional"):
                item["conditional"] = True
                link["conditional"] = True
            if data.get("inferred"):
                item["inferred"] = True
            qualified = qualifier_notes(data)
            if qualified:
                item["qualifiers"] = qualified
            link.setdefault("items", []).append(item)
    links = []
    for i, link in enumerate(merged.values()):
        link["id"] = i
        link["sources"] = sorted(link["sources"])
        items = link.get("items")
        if items:
            items.sort(key=lambda it: (it["step"] is None, it["step"] or 0, it["artifact"].casefold()))
            artifacts = list(dict.fromkeys(it["artifact"] for it in items if it["artifact"]))
            label = ", ".join(artifacts[:MAX_LABEL_ARTIFACTS])
            if len(artifacts) > MAX_LABEL_ARTIFACTS:
                label += f" +{len(artifacts) - MAX_LABEL_ARTIFACTS}"
            link["label"] = label
        links.append(link)
    return links


def qualifier_notes(data: dict) -> list[str]:
    """The conditions and stances the sources give an edge's fact, as short texts ('olx-interview: only in ...')."""
    return [f"{q['source']}: {q['text']}" for q in (data.get("qualified") or {}).values() if q.get("limiting")]


# ---------------------------------------------------------------------------------------------
# pyvis: the network options


def network_options(view: View, *, large: bool) -> dict:
    """vis-network options for a view, built with pyvis's Network/Options model.

    Physics is off (positions are precomputed, or the hierarchical layout places the handoff view);
    large views draw straight edges and hide them while dragging or zooming.
    """
    from pyvis.network import Network

    net = Network(height="100%", width="100%", directed=True, layout=view.hierarchical or None,
                  cdn_resources="in_line")
    net.toggle_physics(False)
    net.options.interaction.hideEdgesOnDrag = large
    net.options.interaction.dragNodes = True
    net.options.edges.color.inherit = False
    if view.hierarchical:
        layout = net.options.layout
        layout.hierarchical.direction = "LR"
        layout.hierarchical.sortMethod = "directed"
        layout.hierarchical.levelSeparation = 240
        layout.hierarchical.nodeSpacing = 110
        layout.hierarchical.treeSpacing = 140
        layout.hierarchical.blockShifting = True
        layout.hierarchical.edgeMinimization = True
        layout.hierarchical.parentCentralization = True
        net.set_edge_smooth("cubicBezier")
        net.options.edges.smooth.forceDirection = "horizontal"
        net.options.edges.smooth.roundness = 0.45
    elif large:
        net.options.edges.smooth.enabled = False
    else:
        net.set_edge_smooth("continuous")
    _, _, _, _, _, options_json = net.get_network_data()
    options = json.loads(options_json)
    options.setdefault("layout", {})["improvedLayout"] = False
    options["interaction"].update({"hover": not large, "hideEdgesOnZoom": large, "tooltipDelay": 250,
                                   "multiselect": False, "navigationButtons": False, "keyboard": False})
    if large:
        # Links are painted by the page script in batches (explorer.js), not by vis.
        options["nodes"] = {
            "borderWidth": 1,
            "borderWidthSelected": 3,
            "font": {"face": FONT_STACK, "size": 14, "color": "#1F2933", "strokeWidth": 4, "strokeColor": "#FFFFFF"},
            "scaling": {"label": {"drawThreshold": 9}},
        }
        options["groups"] = {key: _group(style) for key, style in NODE_STYLES.items()}
        options["groups"]["other"] = _group(OTHER_STYLE)
        return options
    options["nodes"] = {
        "borderWidth": 1.5,
        "borderWidthSelected": 3,
        "font": {"face": FONT_STACK, "size": 14, "color": "#1F2933", "strokeWidth": 4, "strokeColor": "#FFFFFF"},
        # Size and label size grow with the value (square root of the degree). Labels smaller than
        # about 8 px on screen are not drawn, so an overview names the hubs rather than showing a
        # wall of text, and the leaves' labels appear as the user zooms in.
        "scaling": {"min": 8, "max": 36,
                    "label": {"enabled": True, "min": 12, "max": 30, "maxVisible": 26, "drawThreshold": 8}},
        "widthConstraint": {"maximum": 300},
    }
    options["edges"].update({
        "width": 1,
        "selectionWidth": 2,
        "color": {"color": EDGE_COLOR, "highlight": "#52606D", "hover": "#52606D", "inherit": False},
        "font": {"face": FONT_STACK, "size": 12, "color": "#7B2418", "strokeWidth": 4, "strokeColor": "#FFFFFF",
                 "align": "middle"},
        "arrows": {"to": {"enabled": False, "scaleFactor": 0.6}},
        # Edge labels (the handed-over artifact) likewise only once they are readable.
        "scaling": {"label": {"enabled": False, "drawThreshold": 9}},
    })
    if view.story is not None:
        # Sizes and fonts are set per node (the layout measured its labels at these sizes).
        options["nodes"]["scaling"] = {"label": {"enabled": False, "drawThreshold": 1}}
        options["nodes"]["font"]["size"] = 13
        options["nodes"].pop("widthConstraint", None)
        options["edges"]["font"].update({"size": EDGE_FONT, "align": "horizontal"})
        options["edges"]["smooth"] = {"enabled": False}
        options["edges"]["scaling"]["label"]["drawThreshold"] = 1
    elif view.hierarchical or view.graph.number_of_nodes() <= SMALL_VIEW:
        # Few nodes: every label and every artifact on the arrows stays readable and drawn.
        options["nodes"]["scaling"]["label"].update({"min": 13, "max": 20, "drawThreshold": 4})
        options["edges"]["scaling"]["label"]["drawThreshold"] = 4
    options["groups"] = {key: _group(style) for key, style in NODE_STYLES.items()}
    options["groups"]["other"] = _group(OTHER_STYLE)
    return options


FONT_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif'


def _group(style: dict) -> dict:
    color = style["color"]
    return {"shape": style["shape"],
            "color": {"background": color, "border": _darker(color),
                      "highlight": {"background": color, "border": "#111111"},
                      "hover": {"background": color, "border": "#111111"}}}


def _darker(color: str, factor: float = 0.7) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "#%02X%02X%02X" % (int(r * factor), int(g * factor), int(b * factor))


# ---------------------------------------------------------------------------------------------
# The HTML


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@lru_cache(maxsize=1)
def vis_network_script() -> str:
    """The vis-network script that pyvis ships (read from the installed pyvis package)."""
    import pyvis

    base = Path(pyvis.__file__).resolve().parent
    candidates = sorted(base.glob("templates/lib/vis-*/vis-network.min.js")) or sorted(base.glob("lib/vis-*/vis-network.min.js"))
    if not candidates:
        raise DatateamError(f"the vis-network script was not found inside pyvis ({base}); reinstall pyvis")
    return _inline_script(candidates[-1].read_text(encoding="utf-8"), candidates[-1].name)


@lru_cache(maxsize=1)
def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _inline_script(text: str, name: str) -> str:
    if re.search(r"</script", text, re.IGNORECASE):
        raise DatateamError(f"{name} contains '</script' and cannot be inlined safely")
    return text


def script_json(data) -> str:
    """JSON that is safe inside a <script type="application/json"> element.

    `<`, `>` and `&` become \\u escapes (so `</script>` or `<!--` in a label cannot end the element),
    and so do U+2028/U+2029. JSON.parse reads the same values back.

    >>> script_json({"label": "</script><b>"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_page(view: View, source_titles: dict[str, str] | None = None, *, seed: int = EXPLORER_SEED) -> str:
    """The complete, self-contained explorer page for a view, as HTML text.

    view: from select_view; source_titles: source id -> title; seed: the layout seed.

    >>> from datateam.graph.explorer.views import select_view
    >>> "vis.Network" in render_page(select_view(projection, "handoffs"))
    True
    """
    data = build_page_data(view, source_titles, seed=seed)
    return render_data(data, view)


def render_data(data: dict, view: View) -> str:
    """Render page data (from build_page_data) for its view into HTML."""
    data["options"] = network_options(view, large=data["view"]["large"])
    data.setdefault("team", None)
    data.setdefault("api", False)
    vis_js = vis_network_script()
    app_js = _inline_script(_asset("explorer.js"), "explorer.js")
    css = _asset("explorer.css")
    if re.search(r"</style", css, re.IGNORECASE):
        raise DatateamError("explorer.css contains '</style' and cannot be inlined safely")
    # The page `datateam serve` answers may ask that server for the analyses; a written file asks no one.
    connect = "'self'" if data.get("api") else "'none'"
    csp = ("default-src 'none'; "
           f"script-src {_sha256(vis_js)} {_sha256(app_js)}; "
           "style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
           f"connect-src {connect}; "
           "media-src 'none'; object-src 'none'; frame-src 'none'; worker-src 'none'; "
           "base-uri 'none'; form-action 'none'")
    template = _environment().get_template("explorer.html.j2")
    types = [{**t, "svg": Markup(legend_svg(t["shape"], t["color"] if not data["sides"] else "#8A96A3"))}
             for t in data["types"]]
    return template.render(
        csp=csp,
        title=data["view"]["title"],
        subtitle=data["view"]["subtitle"],
        node_count=len(data["nodes"]),
        edge_count=len(data["edges"]),
        types=types,
        sides=data["sides"],
        sources=data["sources"],
        hierarchical=data["view"]["hierarchical"],
        attributions=data.get("attributions", []),
        has_handoffs=any(e["relation"] == "hands_off_to" for e in data["edges"]),
        has_works_with=any(e["relation"] == "works_with" for e in data["edges"]),
        story=data["view"]["story"],
        has_team=bool(data.get("team")) or bool(data.get("api")),
        api=bool(data.get("api")),
        expand_types=[t for t in types if t["key"] in ("skill", "tool", "responsibility")],
        css=Markup(css),
        data_json=Markup(script_json(data)),
        vis_js=Markup(vis_js),
        app_js=Markup(app_js),
    )


def legend_svg(shape: str, color: str) -> str:
    """A 16 x 16 inline SVG of a vis-network node shape (fixed markup: no user text goes in it)."""
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", color):
        raise ValueError(f"not a colour: {color!r}")
    border = _darker(color)
    paint = f'fill="{color}" stroke="{border}" stroke-width="1.2"'
    shapes = {
        "dot": f'<circle cx="8" cy="8" r="6" {paint}/>',
        "square": f'<rect x="2.5" y="2.5" width="11" height="11" {paint}/>',
        "diamond": f'<polygon points="8,1.5 14.5,8 8,14.5 1.5,8" {paint}/>',
        "triangle": f'<polygon points="8,2 14.5,13.5 1.5,13.5" {paint}/>',
        "triangleDown": f'<polygon points="1.5,2.5 14.5,2.5 8,14" {paint}/>',
        "hexagon": f'<polygon points="4.5,2 11.5,2 15,8 11.5,14 4.5,14 1,8" {paint}/>',
        "star": f'<polygon points="8,1 9.8,6 15,6 10.8,9.2 12.4,14.5 8,11.3 3.6,14.5 5.2,9.2 1,6 6.2,6" {paint}/>',
    }
    body = shapes.get(shape, shapes["dot"])
    return f'<svg class="swatch" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">{body}</svg>'

