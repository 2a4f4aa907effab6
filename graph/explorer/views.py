"""What each explorer view shows: a subgraph of the projection, chosen by plain networkx functions.

Views (all work on any graph with the projection's attributes, see graph/projection.py):

    hats       the first view: the roles along the lifecycle with the handoffs between them
               (graph/explorer/story.py); the page holds the whole projection and shows a hat's
               skills, tools and responsibilities when it is clicked
    all        the whole projection
    role       one role and its neighbourhood (--depth steps, default 1), plus the categories of its
               tools and the stages and artifacts of its responsibilities
    overlap    two roles and their skills, tools and responsibilities, each marked shared, only-A or
               only-B (computed by graph/analysis/overlap.py)
    handoffs   the roles that hand work to each other (graph/analysis/handoffs.py), as arrows labelled with
               the artifact, laid out left to right
    tools      roles, the tools they use and the tools' categories

Any view can be centred on a node (`focus`); with `depth`, only what lies within that many steps of
the focus is kept.

>>> view = select_view(projection, "role", focus="https://w3id.org/datateam-kg/role/data-engineer")
>>> view.graph.nodes["https://w3id.org/datateam-kg/role/data-engineer"]["label"]
'data engineer'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from ..analysis.handoffs import handoff_graph
from ..analysis.overlap import overlap_of
from ..errors import DatateamError
from .story import hat_story, hats

VIEWS = ("hats", "all", "role", "overlap", "handoffs", "tools")
ROLE_VIEW_DEPTH = 1
MAX_DEPTH = 10
SIDES = {
    "shared": "shared by both",
    "a": "only {a}",
    "b": "only {b}",
}


@dataclass
class View:
    """One view of the graph, ready to be drawn.

    name: the view's name (one of VIEWS); title and subtitle: what the page header says;
    graph: the nodes and edges shown (a MultiDiGraph with the projection's attributes);
    focus: the node selected when the page opens (or None); hierarchical: lay out left to right by
    `levels` instead of computing positions; sides: for the overlap view, node -> "a" | "b" |
    "shared"; compare: the two compared roles; summary: numbers the header shows; story: for the
    hats view, the lifecycle layout (story.hat_story).
    """

    name: str
    title: str
    subtitle: str
    graph: nx.MultiDiGraph
    focus: str | None = None
    hierarchical: bool = False
    levels: dict[str, int] = field(default_factory=dict)
    sides: dict[str, str] = field(default_factory=dict)
    compare: tuple[str, str] | None = None
    summary: dict = field(default_factory=dict)
    story: dict | None = None


def select_view(graph: nx.MultiDiGraph, view: str = "all", *, focus: str | None = None, depth: int | None = None,
                compare: tuple[str, str] | None = None, overlap: dict | None = None) -> View:
    """Choose what a view shows from a projection.

    graph: the projection (node ids are IRIs); view: one of VIEWS; focus: a node id to centre on
    (required for "role"); depth: keep only nodes within that many steps of `focus` (the role view
    defaults to 1); compare: two role ids (required for "overlap"); overlap: the result of
    graph.overlap.overlap_of for those roles (computed here when not given).

    Returns a View. Raises DatateamError when a required argument is missing or the focus is not
    part of the view.

    >>> select_view(projection, "tools").graph.number_of_nodes() > 0
    True
    """
    if view not in VIEWS:
        raise DatateamError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    if depth is not None and not 0 <= depth <= MAX_DEPTH:
        raise DatateamError(f"--depth must be between 0 and {MAX_DEPTH}, not {depth}")
    if depth is not None and focus is None and view != "role":
        raise DatateamError("--depth needs --focus NAME (the node to count the steps from)")
    if view == "role":
        result = _role_view(graph, focus, ROLE_VIEW_DEPTH if depth is None else depth)
    elif view == "overlap":
        result = _overlap_view(graph, compare, overlap)
    elif view == "handoffs":
        result = _handoff_view(graph)
    elif view == "tools":
        result = _tools_view(graph)
    elif view == "hats":
        result = _hats_view(graph)
    else:
        count = graph.number_of_nodes()
        result = View("all", "Data team knowledge graph",
                      f"Every role, skill, tool, responsibility and artifact: {count:,} nodes", graph)
    if focus is not None and view != "role":
        if focus not in result.graph:
            label = graph.nodes[focus]["label"] if focus in graph else focus
            raise DatateamError(f"{label!r} is not part of the {view} view; try --view all or --view role")
        result.focus = focus
        if depth is not None:
            keep = neighbourhood(result.graph, focus, depth)
            result.graph = result.graph.subgraph(keep).copy()
            steps = f"{depth} step{'s' if depth != 1 else ''}"
            result.subtitle = (f"{result.graph.number_of_nodes():,} nodes of the {view} view within {steps} "
                               f"of the {graph.nodes[focus]['label']}")
            result.levels = {n: lv for n, lv in result.levels.items() if n in keep}
            result.sides = {n: s for n, s in result.sides.items() if n in keep}
    return result


def neighbourhood(graph: nx.MultiDiGraph, centre: str, depth: int) -> set[str]:
    """The nodes within `depth` steps of `centre`, following edges in either direction.

    >>> sorted(neighbourhood(nx.MultiDiGraph([(1, 2), (3, 2), (3, 4)]), 1, 2))
    [1, 2, 3]
    """
    lengths = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), centre, cutoff=depth)
    return set(lengths)


def _check_role(graph: nx.MultiDiGraph, node: str | None, what: str) -> str:
    if node is None:
        raise DatateamError(f"the {what} needs a role: give --focus NAME")
    if node not in graph:
        raise DatateamError(f"<{node}> is not in the graph")
    if graph.nodes[node].get("type") != "role":
        raise DatateamError(f"{graph.nodes[node]['label']!r} is a {graph.nodes[node].get('type')}, not a role")
    return node


def _role_view(graph: nx.MultiDiGraph, focus: str | None, depth: int) -> View:
    focus = _check_role(graph, focus, "role view")
    keep = neighbourhood(graph, focus, depth)
    # What the role's own items lead to, short of other roles: tool categories, stages, artifacts.
    for node in list(keep):
        if graph.nodes[node].get("type") != "role":
            keep.update(v for v in graph.successors(node) if graph.nodes[v].get("type") != "role")
    sub = graph.subgraph(keep).copy()
    label = graph.nodes[focus]["label"]
    steps = f"{depth} step{'s' if depth != 1 else ''}"
    return View("role", label, f"Everything within {steps} of the {label}: {sub.number_of_nodes():,} nodes",
                sub, focus=focus)


def _overlap_view(graph: nx.MultiDiGraph, compare, result: dict | None) -> View:
    if not compare or len(compare) != 2:
        raise DatateamError("the overlap view needs two roles: give --compare A B")
    a, b = (_check_role(graph, r, "overlap view") for r in compare)
    if a == b:
        raise DatateamError(f"--compare needs two different roles, got {graph.nodes[a]['label']!r} twice")
    if result is None:
        result = overlap_of(graph, a, b, "all")
    sides = {a: "a", b: "b"}
    for items in result["shared"].values():
        for item in items:
            sides[item["id"]] = "shared"
    for item in result["only_a"]:
        sides[item["id"]] = "a"
    for item in result["only_b"]:
        sides[item["id"]] = "b"
    sub = graph.subgraph(sides).copy()
    # Keep the links from the two roles to their items and between the two roles; drop the rest
    # (e.g. a skill's links to nothing else shown).
    drop = [(u, v, k) for u, v, k in sub.edges(keys=True) if u not in (a, b) and v not in (a, b)]
    sub.remove_edges_from(drop)
    la, lb = graph.nodes[a]["label"], graph.nodes[b]["label"]
    shared = sum(1 for s in sides.values() if s == "shared")
    only_a = sum(1 for n, s in sides.items() if s == "a" and n != a)
    only_b = sum(1 for n, s in sides.items() if s == "b" and n != b)
    subtitle = (f"{shared} shared, {only_a} only the {la}, {only_b} only the {lb}; "
                f"Jaccard {result['jaccard']:.2f}, level-weighted {result['weighted']:.2f}")
    summary = {"shared": shared, "only_a": only_a, "only_b": only_b, "jaccard": result["jaccard"],
               "weighted": result["weighted"]}
    return View("overlap", f"{la} and {lb}", subtitle, sub, focus=None, sides=sides, compare=(a, b),
                summary=summary)


def _handoff_view(graph: nx.MultiDiGraph) -> View:

    handoffs = handoff_graph(None, graph)
    handoffs.remove_nodes_from([n for n in list(handoffs) if handoffs.degree(n) == 0])
    levels = handoff_levels(handoffs)
    edges = handoffs.number_of_edges()
    return View("handoffs", "Who hands what to whom",
                f"{edges} handoffs between {handoffs.number_of_nodes()} roles, each arrow labelled with what is handed over",
                handoffs, hierarchical=True, levels=levels)


def handoff_levels(graph: nx.MultiDiGraph) -> dict[str, int]:
    """A column for each role so that handoffs run left to right where they can.

    Handoffs are taken in workflow step order (then by label), and one that would close a cycle is
    set aside; each role's column is the longest chain of kept handoffs leading to it. Deterministic.

    >>> handoff_levels(nx.MultiDiGraph([("a", "b"), ("b", "c"), ("c", "a")]))
    {'a': 0, 'b': 1, 'c': 2}
    """
    def label(n):
        return str(graph.nodes[n].get("label", n)).casefold() if n in graph.nodes else str(n)

    ordered = sorted(graph.edges(data=True),
                     key=lambda e: (e[2].get("step") is None, e[2].get("step") or 0, label(e[0]), label(e[1])))
    dag = nx.DiGraph()
    dag.add_nodes_from(sorted(graph.nodes, key=label))
    for u, v, _ in ordered:
        if u == v or dag.has_edge(u, v):
            continue
        if nx.has_path(dag, v, u):
            continue  # would close a cycle: drawn, but not used for the columns
        dag.add_edge(u, v)
    levels: dict[str, int] = {}
    for node in nx.lexicographical_topological_sort(dag, key=label):
        levels[node] = max((levels[p] + 1 for p in dag.predecessors(node)), default=0)
    return levels


def _hats_view(graph: nx.MultiDiGraph) -> View:
    roles = len(hats(graph))
    imported = sum(1 for _, t in graph.nodes(data="type") if t == "role") - roles
    handoffs = sum(1 for _, _, r in graph.edges(data="relation") if r == "hands_off_to")
    more = f" ({imported:,} imported occupations appear when searched)" if imported else ""
    return View("hats", "Who does what, from a request to a model in production",
                f"{roles} hats along the lifecycle and the {handoffs} handoffs between them; "
                f"click a hat for its skills, tools and responsibilities{more}", graph, story=hat_story(graph))


def _tools_view(graph: nx.MultiDiGraph) -> View:
    relations = {"uses_tool", "in_category"}
    keep = {n for n, t in graph.nodes(data="type") if t in ("tool", "category")}
    keep |= {u for u, _, r in graph.edges(data="relation") if r == "uses_tool"}
    sub = nx.MultiDiGraph()
    sub.add_nodes_from((n, graph.nodes[n]) for n in graph if n in keep)
    sub.add_edges_from((u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True)
                       if d["relation"] in relations and u in keep and v in keep)
    tools = sum(1 for _, t in sub.nodes(data="type") if t == "tool")
    cats = sum(1 for _, t in sub.nodes(data="type") if t == "category")
    return View("tools", "Tools and who uses them",
                f"{tools} tools in {cats} categories, linked to the roles that use them", sub)
