"""Career transitions: what carries over from role A to role B, what to learn, and a route between them.

A role's requirements are its skills and tools, each weighted by the strongest level any source
gives (core 3, working 2, basic 1, no level stated 2 — the overlap weights). The learning distance
from A to B is the share of B's weighted requirements that A does not already meet:

    distance(A → B) = Σ_i max(0, wB_i − wA_i) / Σ_i wB_i        (0 = nothing to learn, 1 = everything)

It is directed: an ML engineer moving to data engineering has a different gap than the reverse.
Because it is a share of the *target's* requirements, a stepping stone can be shorter in total
than the direct move: the route is the weighted shortest path over the complete role-to-role
graph of these distances (Dijkstra, scipy.sparse.csgraph), reported when it is strictly shorter
than the direct distance. Stakeholders are never stepping stones, and neither are roles the
sources give no skills or tools (the result names them). Conditional facts (graph/lookup/qualifiers.py)
are not counted unless `include_conditional=True`; the result lists them.

>>> t = transition(kg, "data analyst", "data scientist")
>>> sorted(t)[:4]
['a', 'b', 'carries_over', 'conditional']
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from ..errors import DatateamError
from .overlap import LEVEL_WEIGHTS, UNRANKED_REASON, conditional_facts, incidence_matrices, role_items
from ..projection import build_projection

TRANSITION_RELATIONS = ("requires_skill", "uses_tool")
TYPE_ORDER = {"skill": 0, "tool": 1}
LEVEL_ORDER = {"core": 0, "working": 1, None: 2, "basic": 3}
# Edges of zero distance must stay edges for Dijkstra (scipy reads 0 as "no edge").
_ZERO = 1e-12


def learning_distance(wa: dict[str, int], wb: dict[str, int]) -> float:
    """Σ max(0, wB_i − wA_i) / Σ wB_i: the share of B's weighted requirements that A lacks (0 when B needs nothing).

    >>> learning_distance({"sql": 3}, {"sql": 2, "python": 2})
    0.5
    """
    total = sum(wb.values())
    if not total:
        return 0.0
    return sum(max(0, w - wa.get(item, 0)) for item, w in wb.items()) / total


def distance_matrix(role_ids: list[str], items: dict[str, dict[str, int]]) -> np.ndarray:
    """All directed learning distances at once: D[i, j] = distance(role i → role j).

    Σ max(0, wB − wA) = ΣwB − Σ min(wA, wB), and Σ min for all pairs is one sparse product of the
    level-threshold incidence blocks (see graph/analysis/overlap.py).
    """
    _, thresholds, weight_sums, _ = incidence_matrices(role_ids, items)
    mins = (thresholds @ thresholds.T).toarray().astype(float)
    totals = weight_sums.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = (totals[np.newaxis, :] - mins) / totals[np.newaxis, :]
    dist[:, totals == 0] = 0.0
    return dist


def _requirement(graph, role: str, item: str) -> dict:
    for d in (graph.get_edge_data(role, item) or {}).values():
        if d["relation"] in TRANSITION_RELATIONS:
            return d
    return {}


def best_route(role_ids: list[str], dist: np.ndarray, start: int, goal: int) -> tuple[list[int], float]:
    """The shortest path (indices) from start to goal over the complete graph of distances, and its length."""
    weights = np.where(dist > 0, dist, _ZERO)
    np.fill_diagonal(weights, 0.0)
    lengths, predecessors = dijkstra(sparse.csr_matrix(weights), directed=True, indices=start,
                                     return_predecessors=True)
    path = [goal]
    while path[-1] != start:
        previous = predecessors[path[-1]]
        if previous < 0:
            return [start, goal], float(dist[start, goal])
        path.append(int(previous))
    path.reverse()
    total = float(sum(dist[u, v] for u, v in zip(path, path[1:])))
    return path, total


def transition(kg, a: str, b: str, *, graph=None, include_conditional: bool = False) -> dict:
    """What moving from role `a` to role `b` (names or ids) takes.

    Returns {"a": {id, label}, "b": {id, label},
             "carries_over": [{id, label, type, level_a, level_b, sources, sources_a, sources_b}],
             "to_learn": [{id, label, type, level, have, gap, sources, levels}],
             "distance": float, "direct_distance": float,
             "route": {"roles": [labels], "ids": [...], "legs": [{from, to, distance}], "total": float} | None}.
    `to_learn` lists skills, then tools, core before working before basic; `have` is A's level when A
    has the item but below B's level, `gap` the weight still missing. `distance` is the shorter of
    the direct distance and the route's total. `sources` are the sources that ask B for the item;
    for what carries over, `sources_a` and `sources_b` name the sources of each role's claim.
    Also "unranked": roles left out as stepping stones (no skills or tools in the sources), and
    "conditional": {included, facts} for the facts about A and B that every source qualifies.

    >>> transition(kg, "DevOps engineer", "site reliability engineer")["distance"]
    0.041667
    """
    from ..lookup.names import resolve

    ra, rb = resolve(kg, a, ["role"]), resolve(kg, b, ["role"])
    src, dst = str(ra.iri), str(rb.iri)
    if src == dst:
        raise DatateamError(f"{a!r} and {b!r} are the same role ({ra.label})")
    graph = graph if graph is not None else build_projection(kg, relations=TRANSITION_RELATIONS,
                                                             include_conditional=include_conditional)
    skills, tools = role_items(graph, "skills"), role_items(graph, "tools")
    items = {r: {**skills.get(r, {}), **tools.get(r, {})} for r in skills}
    wa, wb = items[src], items[dst]
    if not wb:
        raise DatateamError(f"the knowledge graph lists no skills or tools for {rb.label!r}: nothing to compare")

    def node(item):
        return graph.nodes[item]

    carries, learn = [], []
    for item, weight in wb.items():
        need = _requirement(graph, dst, item)
        have = _requirement(graph, src, item) if item in wa else None
        entry = {"id": item, "label": node(item)["label"], "type": node(item)["type"]}
        if have is not None:
            carries.append(dict(entry, level_a=have.get("level"), level_b=need.get("level"),
                                sources=list(need.get("sources", [])), sources_a=list(have.get("sources", [])),
                                sources_b=list(need.get("sources", []))))
        gap = weight - wa.get(item, 0)
        if gap > 0:
            learn.append(dict(entry, level=need.get("level"), have=have.get("level") if have else None,
                              gap=gap, sources=list(need.get("sources", [])), levels=dict(need.get("levels", {}))))
    carries.sort(key=lambda e: (TYPE_ORDER[e["type"]], LEVEL_ORDER[e["level_b"]], e["label"].casefold()))
    learn.sort(key=lambda e: (TYPE_ORDER[e["type"]], LEVEL_ORDER[e["level"]], e["label"].casefold()))

    direct = learning_distance(wa, wb)
    candidates = sorted(r for r, its in items.items()
                        if its and not graph.nodes[r].get("stakeholder") or r in (src, dst))
    unranked = sorted(({"id": r, "label": graph.nodes[r]["label"], "reason": UNRANKED_REASON}
                       for r, its in items.items() if not its and not graph.nodes[r].get("stakeholder")
                       and r not in (src, dst)), key=lambda e: e["label"].casefold())
    index = {r: i for i, r in enumerate(candidates)}
    dist = distance_matrix(candidates, items)
    path, total = best_route(candidates, dist, index[src], index[dst])
    route = None
    if len(path) > 2 and total < direct - 1e-9:
        legs = [{"from": graph.nodes[candidates[u]]["label"], "to": graph.nodes[candidates[v]]["label"],
                 "distance": round(float(dist[u, v]), 6)} for u, v in zip(path, path[1:])]
        route = {"roles": [graph.nodes[candidates[i]]["label"] for i in path],
                 "ids": [candidates[i] for i in path], "legs": legs, "total": round(total, 6)}
    return {
        "a": {"id": src, "label": ra.label},
        "b": {"id": dst, "label": rb.label},
        "carries_over": carries,
        "to_learn": learn,
        "distance": round(min(direct, route["total"]) if route else direct, 6),
        "direct_distance": round(direct, 6),
        "route": route,
        "undescribed_start": not wa,
        "unranked": unranked,
        "conditional": conditional_facts(graph, (src, dst), TRANSITION_RELATIONS),
    }


__all__ = ["LEVEL_WEIGHTS", "best_route", "distance_matrix", "learning_distance", "transition"]


def format_transition(result: dict) -> str:
    """The result of `transition` as readable text."""
    a, b = result["a"]["label"], result["b"]["label"]
    lines = [f"{a} → {b}", f"learning distance {result['distance']:.3f}"
             + (f" (direct {result['direct_distance']:.3f})" if result["route"] else ""), ""]
    if result.get("undescribed_start"):
        lines += [f"Note: the sources give no skills or tools for the {a}, so everything counts as to learn.", ""]
    if result["route"]:
        route = result["route"]
        legs = "; ".join(f"{leg['from']} → {leg['to']} {leg['distance']:.3f}" for leg in route["legs"])
        lines += [f"Shorter route via {', '.join(route['roles'][1:-1])}: total {route['total']:.3f} ({legs})", ""]
    lines.append(f"Carries over ({len(result['carries_over'])})  [level in {a} / {b}; sources for {a} | for {b}]")
    for item in result["carries_over"]:
        lines.append(f"  {item['type']:<5} {item['label']}  [{item['level_a'] or '-'}/{item['level_b'] or '-'}]  "
                     f"({', '.join(item['sources_a'])} | {', '.join(item['sources_b'])})")
    if not result["carries_over"]:
        lines.append("  (nothing)")
    lines += ["", f"To learn ({len(result['to_learn'])})  [level {b} needs; sources asking for it]"]
    for item in result["to_learn"]:
        have = f", have {item['have']}" if item["have"] else ""
        lines.append(f"  {item['type']:<5} {item['label']}  [{item['level'] or 'unspecified'}{have}]  "
                     f"({', '.join(item['sources'])})")
    if not result["to_learn"]:
        lines.append("  (nothing)")
    from .overlap import format_matrix_notes

    notes = format_matrix_notes({"unranked": result.get("unranked"), "conditional": result.get("conditional")},
                                left_out="Not used as stepping stones")
    if notes:
        lines += ["", notes.rstrip("\n")]
    return "\n".join(lines) + "\n"


TRANSITION_COLUMNS = ["status", "type", "label", "level", "have", "sources", "id"]


def transition_rows(result: dict) -> list[dict]:
    """A transition(...) result as rows (TRANSITION_COLUMNS): what to learn, then what carries over."""
    rows = [dict(item, status="to learn") for item in result["to_learn"]]
    rows += [dict(item, status="carries over", level=item["level_b"], have=item["level_a"])
             for item in result["carries_over"]]
    return rows


def render_transition(result: dict, fmt: str = "table") -> str:
    """A transition(...) result as "table" (format_transition), "csv" (transition_rows) or "json" text."""
    from ..text import to_delimited, to_json

    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_delimited(transition_rows(result), TRANSITION_COLUMNS)
    return format_transition(result)
