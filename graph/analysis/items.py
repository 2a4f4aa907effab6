"""What each role has, for the analyses that compare roles: its skills, tools and responsibilities
with their level weights, which roles are compared by default, and which are left out and why.

Weights follow LEVEL_WEIGHTS: core 3, working 2, basic 1, no level stated 2 (counted as working);
responsibilities carry no level and weigh 2. See graph/analysis/overlap.py and similar.py.
"""

from __future__ import annotations

from ..errors import DatateamError

BY_CHOICES = ("skills", "tools", "responsibilities", "all")
ITEM_RELATIONS = {
    "skills": ("requires_skill",),
    "tools": ("uses_tool",),
    "responsibilities": ("has_responsibility",),
    "all": ("requires_skill", "uses_tool", "has_responsibility"),
}
# What the overlap analyses need from the projection: the items and what groups them.
OVERLAP_RELATIONS = ("requires_skill", "uses_tool", "in_category", "has_responsibility", "at_stage")
UNSPECIFIED_WEIGHT = 2
LEVEL_WEIGHTS = {"core": 3, "working": 2, "basic": 1, None: UNSPECIFIED_WEIGHT}
MAX_WEIGHT = max(LEVEL_WEIGHTS.values())


def _check_by(by: str) -> None:
    if by not in BY_CHOICES:
        raise DatateamError(f"unknown --by {by!r}; choose one of {', '.join(BY_CHOICES)}")


def projection_for_overlap(kg, include_conditional: bool = False):
    """The projection with just the relations the overlap analyses read (faster than the full one)."""
    from ..projection import build_projection   # networkx: not needed to read a saved similarity index

    return build_projection(kg, relations=OVERLAP_RELATIONS, include_conditional=include_conditional)


def projection_of_roles(kg, roles, relations=OVERLAP_RELATIONS, include_conditional: bool = False,
                        accept_conditions=()):
    """The projection around the given role IRIs only (graph/projection.py build_focused_projection): what
    comparing a few roles reads, equal to the whole projection's view of them."""
    from ..projection import build_focused_projection   # networkx: not needed to read a saved similarity index

    return build_focused_projection(kg, roles, relations, include_conditional=include_conditional,
                                    accept_conditions=accept_conditions)


def conditional_facts(graph, roles=None, relations=None) -> dict:
    """What the projection did with conditional facts: {"included": bool, "facts": [...]}.

    roles: only the facts about these role IRIs (default: all); relations: only these relations.
    """
    included = bool(graph.graph.get("include_conditional"))
    facts = graph.graph.get("conditional" if included else "left_out", [])
    if roles is not None:
        wanted = set(roles)
        facts = [f for f in facts if f["from"] in wanted or f["to"] in wanted]
    if relations is not None:
        facts = [f for f in facts if f["relation"] in relations]
    return {"included": included, "facts": list(facts)}


UNRANKED_REASON = "the sources give no skills or tools for it; they describe only its responsibilities or handoffs"


def links_of(graph, relations) -> list[tuple[str, str, dict]]:
    """The (u, v, attributes) links of the given relations: from a networkx projection by looking at
    every edge, from a graph that keeps them by relation (coverage_table.SavedProjection) directly."""
    if hasattr(graph, "links_of"):
        if len(relations) == 1:
            return graph.links_of(relations[0])
        return [link for relation in relations for link in graph.links_of(relation)]
    wanted = set(relations)
    return [(u, v, d) for u, v, d in graph.edges(data=True) if d["relation"] in wanted]


def described_roles(graph) -> set[str]:
    """Roles with at least one skill or tool in the projection (the ones an overlap ranking can use)."""
    return {u for u, _, _ in links_of(graph, ("requires_skill", "uses_tool"))}


def unranked_roles(graph) -> list[dict]:
    """Non-stakeholder roles without any skill or tool, with the reason they are left out of rankings."""
    described = described_roles(graph)
    out = [{"id": n, "label": d["label"], "reason": UNRANKED_REASON} for n, d in graph.nodes(data=True)
           if d["type"] == "role" and not d.get("stakeholder") and n not in described]
    return sorted(out, key=lambda r: (r["label"].casefold(), r["id"]))


# ---------------------------------------------------------------------------------------------
# What each role has


def role_items(graph, by: str = "all") -> dict[str, dict[str, int]]:
    """Map every role of the projection to {item id: weight} for the chosen kind of item.

    Weights follow LEVEL_WEIGHTS (core 3, working 2, basic 1, unstated 2). Roles without any item
    of that kind map to {}.

    >>> role_items(projection_for_overlap(kg), "skills")["https://w3id.org/datateam-kg/role/data-scientist"][
    ...     "https://w3id.org/datateam-kg/skill/machine-learning"]
    3
    """
    _check_by(by)
    relations = set(ITEM_RELATIONS[by])
    items: dict[str, dict[str, int]] = {n: {} for n, t in graph.nodes(data="type") if t == "role"}
    for u, v, d in graph.edges(data=True):
        if d["relation"] in relations and u in items:
            items[u][v] = LEVEL_WEIGHTS[d.get("level")]
    return items


def default_roles(graph, items: dict[str, dict[str, int]], by: str = "all") -> list[str]:
    """The roles compared when none are named: every non-stakeholder role with at least one item and,
    unless comparing responsibilities, at least one skill or tool."""
    described = described_roles(graph) if by != "responsibilities" else set(items)
    return sorted((r for r, its in items.items() if its and r in described and not graph.nodes[r].get("stakeholder")),
                  key=lambda r: (graph.nodes[r]["label"].casefold(), r))


__all__ = [
    "BY_CHOICES", "ITEM_RELATIONS", "LEVEL_WEIGHTS", "MAX_WEIGHT", "OVERLAP_RELATIONS", "UNRANKED_REASON",
    "UNSPECIFIED_WEIGHT", "conditional_facts", "default_roles", "described_roles", "links_of", "projection_for_overlap",
    "projection_of_roles",
    "role_items", "unranked_roles",
]
