"""The interactive explorer: one self-contained HTML page to search, filter and click through the graph.

The page opens from a file with no network (vis-network inlined, no CDN, a Content-Security-Policy
that allows no request), shows every label as text (nothing in the data can become markup or
script), and is drawn at once even for 10,000 nodes (positions computed in Python, physics off).

    views.py    what each view shows (hats, all, role, overlap, handoffs, tools), as networkx subgraphs
    story.py    the hats view's lifecycle layout: columns, label-aware annealing, positions on demand
    layout.py   seeded positions: spring layout for small graphs, Pivot MDS + mesh FR for large ones
    page.py     page data (JSON), pyvis network options, the escaped Jinja template
    templates/  explorer.html.j2, explorer.js, explorer.css

>>> from datateam.graph.store import load_knowledge_graph
>>> summary = write_explorer(load_knowledge_graph(), "explorer.html", view="role", focus="data engineer")
>>> summary["view"], summary["nodes"] > 10
('role', True)
>>> write_explorer(load_knowledge_graph(), "hats.html")["view"]
'hats'
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from ..analysis.coverage import coverage
from ..analysis.describe import described_only_note
from ..analysis.similar import explain_pair, similarity_index
from ..analysis.statements import disputed_questions, role_comparisons
from ..defaults import EXPLORER_SEED
from ..errors import DatateamError
from ..files import write_atomically
from ..importers import attributions
from ..lookup.names import resolve
from ..lookup.sources import source_index
from ..projection import build_projection
from .page import build_page_data, network_options, qualifier_notes, render_data, render_page, script_json
from .story import hats
from .views import VIEWS, View, select_view

__all__ = [
    "VIEWS", "View", "build_page_data", "explorer_data", "explorer_html", "graph_explorer_html",
    "network_options", "render_page", "script_json", "select_view", "write_explorer", "write_graph_explorer",
    "format_written",
]


def _resolve(kg, name: str | None, types=None) -> str | None:
    if name is None:
        return None

    return str(resolve(kg, name, types).iri)


def _source_titles(kg) -> dict[str, str]:
    titles = {}
    for source in source_index(kg).values():
        titles.setdefault(source["id"], source["title"])
    return titles


def explorer_view(kg, view: str | None = "hats", *, focus: str | None = None, depth: int | None = None,
                  compare: tuple[str, str] | list[str] | None = None, graph: nx.MultiDiGraph | None = None) -> View:
    """Build the View for the knowledge graph: resolve the names, project, select.

    kg: any backend (embedded, --store, --endpoint); view: one of VIEWS, or None to pick "overlap"
    when `compare` is given and "hats" otherwise; focus: a name, alias or id (a role for the role
    view); depth: steps around the focus; compare: two role names for the overlap view; graph: a
    projection to reuse (built with graph.projection.build_projection when None).
    """
    if view is None:
        view = "overlap" if compare else "hats"
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
        # The page shows every fact, conditional ones marked, so a reader sees what the analyses leave out.
        graph = build_projection(kg, include_conditional=True)
        annotate_roles(kg, graph)
    if view == "hats":
        add_hat_cards(graph)
    return select_view(graph, view, focus=focus_id, depth=depth, compare=compare_ids)


LEVEL_ORDER = ("core", "working", "basic", None)


def add_hat_cards(graph: nx.MultiDiGraph) -> None:
    """Give each hat (story.hats) a "card": skills by level, tools by category, responsibilities by
    stage, handoffs out and in, and the conditions the sources put on them.

    Read from the projection (the same facts graph.analysis.describe lists for a role, without its
    per-role queries, which take a second each once ESCO is imported).
    """
    def label(node) -> str:
        return str(graph.nodes[node].get("label", node))

    def group(rows: list[tuple], order=None) -> list[dict]:
        found: dict = {}
        for name, entry in rows:
            found.setdefault(name, []).append(entry)
        names = sorted(found, key=lambda n: (order.index(n) if order and n in order else len(order or ()), str(n)))
        return [{"group": name if name is not None else "level not stated",
                 "items": sorted(found[name], key=lambda i: i["label"].casefold())} for name in names]

    def item(node, data) -> dict:
        notes = qualifier_notes(data)
        return {"label": label(node), **({"condition": "; ".join(notes)} if notes else {})}

    def stage_of(responsibility):
        stages = [(graph.nodes[v].get("order") or 99, label(v)) for _, v, d in graph.out_edges(responsibility, data=True)
                  if d.get("relation") == "at_stage"]
        return min(stages)[1] if stages else "no stage"

    def handoff(other, data) -> dict:
        row = {"role": label(other), "artifact": data.get("artifact_label") or "", "stage": data.get("stage_label") or ""}
        if data.get("workflow_label"):
            step = data.get("step")
            row["workflow"] = f"{data['workflow_label']}, step {step}" if step is not None else data["workflow_label"]
        notes = qualifier_notes(data)
        if notes:
            row["condition"] = "; ".join(notes)
        return row

    def handoff_key(row):
        return (row["role"].casefold(), row["artifact"].casefold())

    for hat in hats(graph):
        skills, tools, responsibilities, out = [], [], [], []
        for _, v, d in graph.out_edges(hat, data=True):
            relation = d.get("relation")
            if relation == "requires_skill":
                skills.append((d.get("level"), item(v, d)))
            elif relation == "uses_tool":
                categories = [label(c) for c in d.get("categories") or [] if c in graph] or [
                    label(c) for _, c, e in graph.out_edges(v, data=True) if e.get("relation") == "in_category"]
                tools.extend((c, item(v, d)) for c in sorted(set(categories)) or ["no category"])
            elif relation == "has_responsibility":
                responsibilities.append((stage_of(v), item(v, d)))
            elif relation == "hands_off_to" and v != hat:
                out.append(handoff(v, d))
        received = [handoff(u, d) for u, _, d in graph.in_edges(hat, data=True)
                    if d.get("relation") == "hands_off_to" and u != hat]
        graph.nodes[hat]["card"] = {
            "skills": group(skills, list(LEVEL_ORDER)),
            "tools": group(tools),
            "responsibilities": group(responsibilities),
            "hands_off_to": sorted(out, key=handoff_key),
            "receives_from": sorted(received, key=handoff_key),
        }


def annotate_roles(kg, graph: nx.MultiDiGraph) -> None:
    """Add to each role node what the details panel shows beyond its links: a note when the sources
    give it no skills or tools, the sources' comparisons with other roles, and the disputed questions
    about it with each source's answer."""
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


def team_data(kg, team) -> dict:
    """What the team view draws, from graph.analysis.coverage for a team file (or dict): the people
    and their hats, the hats worn and the hats missing, each lifecycle stage's covered and missing
    responsibilities, and the next hires that close the most gaps."""
    result = coverage(kg, team=team, next_hire=True)
    worn = [r["id"] for r in result["team"]["roles"]]
    return {
        "name": result["team"]["name"] or "your team",
        "size": result["team"]["size"],
        "people": [{"name": p["name"], "hats": [h["id"] for h in p["hats"]]} for p in result["team"]["people"]],
        "worn": worn,
        "stages": [{"stage": st["stage"], "covered": len(st["covered"]), "missing": [m["label"] for m in st["missing"]]}
                   for st in result["stages"]],
        "totals": result["totals"],
        "next_hire": [{"id": h["id"], "closes": h["closes"], "by_kind": h["closes_by_kind"]} for h in result["next_hire"]],
        "unranked": [r["id"] for r in result["unranked"]],
    }


def _with_similarity(kg, data: dict) -> dict:
    """Add the similarity score (graph/analysis/similar.py, as `datateam similar` computes it) and what
    drove it to every pair of hats the hats view compares, and offer it in the heatmap."""
    if data.get("pairs") is None:
        return data

    index = similarity_index(kg, "all")
    position = {iri: i for i, iri in enumerate(index.roles)}
    iri_of = {n["id"]: n["iri"] for n in data["nodes"]}
    for key, pair in data["pairs"].items():
        a, b = (iri_of[int(x)] for x in key.split(","))
        if a in position and b in position:
            found = explain_pair(index, position[a], position[b], 5)
            pair["similarity"] = found["score"]
            pair["similarity_shared"] = [{"label": s["label"], "weight": s["weight"]} for s in found["shared"]]
    data["heatmap"]["scores"]["similarity"] = "similarity score (graph/analysis/similar.py)"
    return data


def _with_team(kg, data: dict, team) -> dict:
    if team is None:
        return data
    if data["view"]["name"] != "hats":
        raise DatateamError("--team is for the hats view (the default), not --view " + data["view"]["name"])
    found = team_data(kg, team)
    index = {n["iri"]: n["id"] for n in data["nodes"]}
    found["worn"] = [index[r] for r in found["worn"] if r in index]
    for person in found["people"]:
        person["hats"] = [index[r] for r in person["hats"] if r in index]
    for hire in found["next_hire"]:
        hire["id"] = index.get(hire["id"])
    found["next_hire"] = [h for h in found["next_hire"] if h["id"] is not None]
    found["unranked"] = [index[r] for r in found["unranked"] if r in index]
    data["team"] = found
    return data


def explorer_data(kg, view: str | None = None, **options) -> dict:
    """The page data (nodes, edges, legend, sources) of a view as plain JSON-ready data.

    Takes the same arguments as explorer_view (plus seed). Node ids are integers; each node keeps
    its IRI as "iri".

    >>> data = explorer_data(kg, "handoffs")
    >>> all(e["relation"] == "hands_off_to" for e in data["edges"])
    True
    """
    seed = options.pop("seed", EXPLORER_SEED)
    team = options.pop("team", None)
    chosen = explorer_view(kg, view, **options)
    return _with_team(kg, _with_similarity(kg, _with_attributions(kg, build_page_data(chosen, _source_titles(kg), seed=seed))), team)


def _with_attributions(kg, data: dict) -> dict:
    """Add the attribution lines of imported frameworks (ESCO, O*NET) the page may show."""
    data["attributions"] = attributions(kg)
    return data


def explorer_html(kg, view: str | None = None, **options) -> str:
    """The explorer page of a view as HTML text (see write_explorer for the arguments).

    served=True gives the page that `datateam serve` answers at /explorer: it may ask its own server
    (connect-src 'self', nothing else) for the analyses (/api/overlap, /api/coverage, ...), so any two
    roles can be compared and any team checked; the written file asks nothing of anyone.
    """
    seed = options.pop("seed", EXPLORER_SEED)
    team = options.pop("team", None)
    served = options.pop("served", False)
    chosen = explorer_view(kg, view, **options)
    data = _with_team(kg, _with_similarity(kg, _with_attributions(kg, build_page_data(chosen, _source_titles(kg), seed=seed))), team)
    data["api"] = bool(served)
    return render_data(data, chosen)


def write_explorer(kg, path, view: str | None = "hats", *, focus: str | None = None, depth: int | None = None,
                   compare: tuple[str, str] | list[str] | None = None, graph: nx.MultiDiGraph | None = None,
                   seed: int = EXPLORER_SEED, team=None) -> dict:
    """Write the explorer page for the knowledge graph to `path` (atomically) and describe what was written.

    kg: the knowledge graph (embedded, persistent or remote).
    path: the HTML file to write; its folder must exist. Nothing else is written (no lib/ folder).
    view: "hats" (default: the roles along the lifecycle, the rest on demand), "all", "role",
        "overlap", "handoffs" or "tools"; None picks "overlap" when `compare` is given, else "hats".
    focus: a name, alias or id to select when the page opens (required for the role view, which
        shows that role's neighbourhood); depth: keep only what lies within that many steps of the
        focus (role view default 1); compare: two role names for the overlap view; graph: a
        projection to reuse; seed: the layout seed (same inputs, same page); team: a team file (or
        the dict graph.analysis.coverage.read_team_file returns) for the team view: the hats it
        wears, the ones it misses and the next hires (hats view only).

    Returns {"path", "view", "title", "nodes", "edges", "bytes", "layout"}. Raises DatateamError
    (NameNotFoundError for an unknown name) before anything is written.

    >>> write_explorer(kg, "handoffs.html", view="handoffs")["layout"]
    'hierarchical'
    """
    path = Path(path)
    chosen = explorer_view(kg, view, focus=focus, depth=depth, compare=compare, graph=graph)
    data = _with_team(kg, _with_similarity(kg, _with_attributions(kg, build_page_data(chosen, _source_titles(kg), seed=seed))), team)
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
