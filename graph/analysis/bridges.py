"""Bridges: the skills and tools that connect the most roles, and the clusters of roles.

On the projection's role–skill–tool graph (undirected: roles joined to the skills they require and
the tools they use), an item's *role degree* is the number of distinct roles it connects, and its
*betweenness* is its networkx betweenness centrality (normalised): the share of shortest paths
between other nodes that pass through it. A skill with high betweenness is a bridge between
otherwise separate groups of roles — what a person moving between those groups can build on.

Exact betweenness costs O(nodes × edges); above EXACT_LIMIT nodes (an ESCO import) it is estimated
from BETWEENNESS_SAMPLES source nodes with a fixed seed, and the result says so.

>>> b = bridges(kg, top=3)
>>> b["items"][0]["label"]
'communication'
"""

from __future__ import annotations

import networkx as nx

from ..defaults import BRIDGES_TOP
from ..text import to_delimited, to_json, to_table
from .overlap import conditional_facts, format_matrix_notes, overlap_matrix, projection_for_overlap

EXACT_LIMIT = 3000
BETWEENNESS_SAMPLES = 100
SEED = 42
ITEM_RELATIONS = {"requires_skill": "skill", "uses_tool": "tool"}


def role_item_graph(graph, include_stakeholders: bool = True) -> nx.Graph:
    """The undirected graph of roles and the skills and tools they are linked to (from a projection)."""
    out = nx.Graph()
    for node, data in graph.nodes(data=True):
        if data["type"] in ("skill", "tool") or (data["type"] == "role" and
                                                  (include_stakeholders or not data.get("stakeholder"))):
            out.add_node(node, type=data["type"], label=data["label"])
    for u, v, data in graph.edges(data=True):
        if data["relation"] in ITEM_RELATIONS and u in out and v in out:
            out.add_edge(u, v)
    return out


def item_betweenness(undirected: nx.Graph) -> tuple[dict[str, float], dict]:
    """Normalised betweenness of every node, exact up to EXACT_LIMIT nodes, else sampled (fixed seed).

    Returns (scores, {"exact": bool, "samples": int | None}).
    """
    n = undirected.number_of_nodes()
    if n <= EXACT_LIMIT:
        return nx.betweenness_centrality(undirected, normalized=True), {"exact": True, "samples": None}
    k = min(BETWEENNESS_SAMPLES, n)
    return (nx.betweenness_centrality(undirected, k=k, normalized=True, seed=SEED),
            {"exact": False, "samples": k})


def bridges(kg, top: int | None = BRIDGES_TOP, by_type: str | None = None, clusters: bool = True, *, graph=None,
            include_conditional: bool = False) -> dict:
    """The skills and tools connecting the most roles, with betweenness, and the role clusters.

    top: how many items to list (None: all); by_type: "skill" or "tool" to list only one kind.
    Returns {"items": [{id, label, type, roles, role_labels, betweenness}], "betweenness": {exact,
    samples}, "clusters": [[role labels]], "unranked": roles left out of the clusters (no skills or
    tools in the sources), "conditional": {included, facts}}; items sorted by roles connected, then
    betweenness, then label. The clusters are those of the overlap matrix by all items (see
    graph/analysis/overlap.py). Conditional facts are not counted unless include_conditional=True.
    """
    graph = graph if graph is not None else projection_for_overlap(kg, include_conditional)
    undirected = role_item_graph(graph)
    scores, how = item_betweenness(undirected)
    rows = []
    for node, data in undirected.nodes(data=True):
        if data["type"] not in ("skill", "tool") or (by_type and data["type"] != by_type):
            continue
        roles = sorted((undirected.nodes[r]["label"] for r in undirected[node]), key=str.casefold)
        if not roles:
            continue
        rows.append({"id": node, "label": data["label"], "type": data["type"], "roles": len(roles),
                     "role_labels": roles, "betweenness": round(scores[node], 6)})
    rows.sort(key=lambda r: (-r["roles"], -r["betweenness"], r["label"].casefold()))
    out = {"items": rows[:top] if top else rows, "betweenness": how, "clusters": [], "unranked": [],
           "conditional": conditional_facts(graph, relations=tuple(ITEM_RELATIONS))}
    if clusters:
        matrix = overlap_matrix(kg, by="all", graph=graph)
        label = dict(zip(matrix.roles, matrix.labels))
        out["clusters"] = [[label[r] for r in c] for c in matrix.clusters]
        out["unranked"] = matrix.unranked
    return out


__all__ = ["bridges", "item_betweenness", "role_item_graph"]


def format_bridges(result: dict) -> str:
    """The result of `bridges` as text: a table of items, then the clusters."""
    rows = [dict(r, role_labels=", ".join(r["role_labels"])) for r in result["items"]]
    text = to_table(rows, ["type", "label", "roles", "betweenness", "role_labels"],
                    ["type", "skill/tool", "roles", "betweenness", "connects"])
    how = result["betweenness"]
    if not how["exact"]:
        text += f"(betweenness estimated from {how['samples']} sampled nodes, seed {SEED})\n"
    if result["clusters"]:
        text += "\nRole clusters (by skills, tools and responsibilities):\n"
        text += "".join(f"  {n}. {', '.join(c)}\n" for n, c in enumerate(result["clusters"], start=1))

    notes = format_matrix_notes(result)
    return text + ("\n" + notes if notes else "")


BRIDGE_COLUMNS = ["type", "label", "roles", "betweenness", "role_labels", "id"]


def render_bridges(result: dict, fmt: str = "table") -> str:
    """A bridges(...) result as "table" (format_bridges), "csv" (one row per item) or "json" text."""
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_delimited(result["items"], BRIDGE_COLUMNS)
    return format_bridges(result)
