"""The interactive explorer: one self-contained HTML page to search, filter and click through the graph.

The page opens from a file with no network (vis-network inlined, no CDN, a Content-Security-Policy
that allows no request), shows every label as text (nothing in the data can become markup or
script), and is drawn at once even for 10,000 nodes (positions computed in Python, physics off).

    views.py    what each view shows (all, role, overlap, handoffs, tools), as networkx subgraphs
    layout.py   seeded positions: spring layout for small graphs, Pivot MDS + mesh FR for large ones
    page.py     page data (JSON), pyvis network options, the escaped Jinja template
    templates/  explorer.html.j2, explorer.js, explorer.css

>>> from datateam.graph.store import load_knowledge_graph
>>> summary = write_explorer(load_knowledge_graph(), "explorer.html", view="role", focus="data engineer")
>>> summary["view"], summary["nodes"] > 10
('role', True)
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from ..errors import DatateamError
from ..defaults import EXPLORER_SEED
from ..files import write_atomically
from .page import build_page_data, network_options, render_data, render_page, script_json
from .views import VIEWS, View, select_view

__all__ = [
    "VIEWS", "View", "build_page_data", "explorer_data", "explorer_html", "graph_explorer_html",
    "network_options", "render_page", "script_json", "select_view", "write_explorer", "write_graph_explorer",
    "format_written",
]


def _resolve(kg, name: str | None, types=None) -> str | None:
    if name is None:
        return None
    from ..lookup.names import resolve

    return str(resolve(kg, name, types).iri)


def _source_titles(kg) -> dict[str, str]:
    from ..lookup.sources import source_index

    titles = {}
    for source in source_index(kg).values():
        titles.setdefault(source["id"], source["title"])
    return titles


def explorer_view(kg, view: str | None = "all", *, focus: str | None = None, depth: int | None = None,
                  compare: tuple[str, str] | list[str] | None = None, graph: nx.MultiDiGraph | None = None) -> View:
    """Build the View for the knowledge graph: resolve the names, project, select.

    kg: any backend (embedded, --store, --endpoint); view: one of VIEWS, or None to pick "overlap"
    when `compare` is given and "all" otherwise; focus: a name, alias or id (a role for the role
    view); depth: steps around the focus; compare: two role names for the overlap view; graph: a
    projection to reuse (built with graph.projection.build_projection when None).
    """
    if view is None:
        view = "overlap" if compare else "all"
    if view not in VIEWS:
        raise DatateamError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    if compare and view != "overlap":
        raise DatateamError(f"--compare is for the overlap view, not --view {view}")
    focus_id = _resolve(kg, focus, ["role"] if view == "role" else None)
    compare_ids = None
    if compare:
        if len(compare) != 2:
            raise DatateamError("--compare needs exactly two roles")
        compare_ids = (_resolve(kg, compare[0], ["role"]), _resolve(kg, compare[1], ["role"]))
    if graph is None:
        from ..projection import build_projection

        # The page shows every fact, conditional ones marked, so a reader sees what the analyses leave out.
        graph = build_projection(kg, include_conditional=True)
        annotate_roles(kg, graph)
    return select_view(graph, view, focus=focus_id, depth=depth, compare=compare_ids)


def annotate_roles(kg, graph: nx.MultiDiGraph) -> None:
    """Add to each role node what the details panel shows beyond its links: a note when the sources
    give it no skills or tools, the sources' comparisons with other roles, and the disputed questions
    about it with each source's answer."""
    from ..analysis.describe import described_only_note
    from ..analysis.statements import disputed_questions, role_comparisons

    counts: dict[str, dict] = {}
    for u, _, d in graph.edges(data=True):
        key = {"requires_skill": "skills", "uses_tool": "tools", "has_responsibility": "responsibilities",
               "hands_off_to": "handoffs"}.get(d["relation"])
        if key and u in graph and graph.nodes[u].get("type") == "role":
            entry = counts.setdefault(u, {})
            name = f"conditional_{key}" if d.get("conditional") else key
            entry[name] = entry.get(name, 0) + 1
    for u, v, d in graph.edges(data=True):
        if d["relation"] == "hands_off_to" and not d.get("conditional"):
            counts.setdefault(v, {})["handoffs"] = counts.get(v, {}).get("handoffs", 0) + 1
    for node, attrs in graph.nodes(data=True):
        if attrs.get("type") != "role":
            continue
        found = counts.get(node, {})
        note = described_only_note({k: found.get(k, 0) for k in ("skills", "tools", "responsibilities", "handoffs",
                                                                 "conditional_skills", "conditional_tools")})
        if note:
            attrs["note"] = note[0].upper() + note[1:] + "."
    for comparison in role_comparisons(kg):
        ids = [r["id"] for r in comparison["roles"]]
        for role in ids:
            if role not in graph:
                continue
            others = ", ".join(r["label"] for r in comparison["roles"] if r["id"] != role)
            condition = f" ({comparison['condition']})" if comparison["condition"] else ""
            graph.nodes[role].setdefault("comparisons", []).append(
                f"With {others}: {', '.join(comparison['kinds'])}{condition} [{comparison['source']['id']}]. "
                f"{comparison['note']}")
    for question in disputed_questions(kg):
        for role in question["concern_ids"]:
            if role in graph:
                graph.nodes[role].setdefault("disputes", []).append(
                    {"question": question["label"],
                     "positions": [f"[{p['source']['id']}] {p['answer']}" for p in question["positions"]]})


def explorer_data(kg, view: str | None = None, **options) -> dict:
    """The page data (nodes, edges, legend, sources) of a view as plain JSON-ready data.

    Takes the same arguments as explorer_view (plus seed). Node ids are integers; each node keeps
    its IRI as "iri".

    >>> data = explorer_data(kg, "handoffs")
    >>> all(e["relation"] == "hands_off_to" for e in data["edges"])
    True
    """
    seed = options.pop("seed", EXPLORER_SEED)
    chosen = explorer_view(kg, view, **options)
    return _with_attributions(kg, build_page_data(chosen, _source_titles(kg), seed=seed))


def _with_attributions(kg, data: dict) -> dict:
    """Add the attribution lines of imported frameworks (ESCO, O*NET) the page may show."""
    from ..importers import attributions

    data["attributions"] = attributions(kg)
    return data


def explorer_html(kg, view: str | None = None, **options) -> str:
    """The explorer page of a view as HTML text (see write_explorer for the arguments)."""
    seed = options.pop("seed", EXPLORER_SEED)
    chosen = explorer_view(kg, view, **options)
    data = _with_attributions(kg, build_page_data(chosen, _source_titles(kg), seed=seed))
    return render_data(data, chosen)


def write_explorer(kg, path, view: str | None = "all", *, focus: str | None = None, depth: int | None = None,
                   compare: tuple[str, str] | list[str] | None = None, graph: nx.MultiDiGraph | None = None,
                   seed: int = EXPLORER_SEED) -> dict:
    """Write the explorer page for the knowledge graph to `path` (atomically) and describe what was written.

    kg: the knowledge graph (embedded, persistent or remote).
    path: the HTML file to write; its folder must exist. Nothing else is written (no lib/ folder).
    view: "all" (default), "role", "overlap", "handoffs" or "tools"; None picks "overlap" when
        `compare` is given, else "all".
    focus: a name, alias or id to select when the page opens (required for the role view, which
        shows that role's neighbourhood); depth: keep only what lies within that many steps of the
        focus (role view default 1); compare: two role names for the overlap view; graph: a
        projection to reuse; seed: the layout seed (same inputs, same page).

    Returns {"path", "view", "title", "nodes", "edges", "bytes", "layout"}. Raises DatateamError
    (NameNotFoundError for an unknown name) before anything is written.

    >>> write_explorer(kg, "handoffs.html", view="handoffs")["layout"]
    'hierarchical'
    """
    path = Path(path)
    chosen = explorer_view(kg, view, focus=focus, depth=depth, compare=compare, graph=graph)
    data = _with_attributions(kg, build_page_data(chosen, _source_titles(kg), seed=seed))
    html = render_data(data, chosen)
    write_atomically(path, html)
    return _summary(path, chosen, data, html)


def graph_explorer_html(graph: nx.MultiDiGraph, *, title: str = "Knowledge graph", subtitle: str = "",
                        source_titles: dict[str, str] | None = None, seed: int = EXPLORER_SEED) -> str:
    """The explorer page for any networkx graph with the projection's attributes (no store needed).

    Nodes need at least `type` and `label`; `aliases`, `definition`, `sources` and edge `relation`,
    `sources`, `artifact_label` are used when present. Used by the benchmark and handy in notebooks.

    >>> html = graph_explorer_html(nx.MultiDiGraph([("a", "b")]), title="Tiny")
    """
    chosen = View("all", title, subtitle or f"{graph.number_of_nodes():,} nodes", graph)
    return render_page(chosen, source_titles, seed=seed)


def write_graph_explorer(graph: nx.MultiDiGraph, path, **options) -> dict:
    """Write graph_explorer_html(graph, **options) to `path` atomically; return the same summary as write_explorer."""
    path = Path(path)
    seed = options.pop("seed", EXPLORER_SEED)
    title = options.pop("title", "Knowledge graph")
    chosen = View("all", title, options.pop("subtitle", "") or f"{graph.number_of_nodes():,} nodes", graph)
    data = build_page_data(chosen, options.pop("source_titles", None), seed=seed)
    if options:
        raise TypeError(f"unexpected options: {', '.join(options)}")
    html = render_data(data, chosen)
    write_atomically(path, html)
    return _summary(path, chosen, data, html)


def _summary(path: Path, chosen: View, data: dict, html: str) -> dict:
    return {
        "path": str(path),
        "view": chosen.name,
        "title": chosen.title,
        "nodes": len(data["nodes"]),
        "edges": len(data["edges"]),
        "bytes": len(html.encode("utf-8")),
        "layout": "hierarchical" if chosen.hierarchical else "precomputed",
    }


def format_written(summary: dict) -> str:
    """One line about a written page (a write_explorer summary): its path, view, size in nodes, links and MB."""
    return (f"wrote {summary['path']}: {summary['view']} view, {summary['nodes']:,} nodes, "
            f"{summary['edges']:,} links ({summary['bytes'] / 1e6:.1f} MB)")
