"""What `coverage` reads from the projection, saved beside a persistent store.

A team's coverage is measured against what every role of the knowledge graph brings, so it needs
the whole projection of six relations: on a store with ESCO and O*NET that is ~130,000 links and
half a minute of projecting. Only a few attributes of it are read (a node's type, label,
stakeholder flag and stage order; a tool link's categories; a handoff's artifact, stage, mode,
workflow, step and sources) and the projection's record of conditional facts. `SavedProjection`
keeps exactly those and answers the networkx calls coverage makes (`nodes[n]`, `nodes(data=...)`,
`edges(data=True)`, `graph`), so the same code runs on either and gives the same answer.

A persistent store keeps it as JSON under <store>/cache/ (graph/analysis/saved_files.py), keyed
like the requirements table by the database folder (a new folder for every change of the store),
the options and the version; JSON, so that reading it needs neither networkx nor numpy.
"""

from __future__ import annotations

import json
from pathlib import Path

from .saved_files import drop_saved, save_json, saved_file

COVERAGE_RELATIONS = ("requires_skill", "uses_tool", "in_category", "has_responsibility", "at_stage",
                      "hands_off_to")
NODE_KEYS = ("type", "label", "stakeholder", "order")
EDGE_KEYS = {"uses_tool": ("categories",),
             "hands_off_to": ("artifact_label", "stage_label", "mode", "workflow_label", "step", "sources")}
TABLE_FORMAT = 1
PREFIX = "coverage-"


class _Nodes(dict):
    """node -> attributes, also callable as networkx's `G.nodes(data=...)`."""

    def __call__(self, data=False):
        if data is True:
            return self.items()
        if data:
            return ((n, attrs.get(data)) for n, attrs in self.items())
        return iter(self)


class SavedProjection:
    """The part of a projection that coverage reads, with the networkx calls it makes; also
    `links_of(relation)`, the links of one relation without looking at the others."""

    def __init__(self, nodes: dict[str, dict], names: list[str], links: dict[str, list[int]],
                 attributes: dict[str, list], graph: dict):
        self.nodes = _Nodes(nodes)
        self._names, self._links, self._attributes = names, links, attributes
        self._made: dict[str, list] = {}
        self.graph = graph

    def links_of(self, relation: str) -> list[tuple[str, str, dict]]:
        """The (u, v, attributes) links of one relation, in the projection's order (made on first use)."""
        if relation not in self._made:
            names, flat = self._names, self._links.get(relation, [])
            keys = EDGE_KEYS.get(relation)
            if keys is None:
                plain = {"relation": relation}   # shared by links that carry nothing else (read, never changed)
                made = [(names[u], names[v], plain) for u, v in zip(flat[::2], flat[1::2])]
            else:
                made = [(names[u], names[v], dict(zip(keys, extra), relation=relation))
                        for u, v, extra in zip(flat[::2], flat[1::2], self._attributes.get(relation, []))]
            self._made[relation] = made
        return self._made[relation]

    def edges(self, data=False):
        """The links as (u, v, attributes) when data=True, else (u, v)."""
        edges = [link for relation in self._links for link in self.links_of(relation)]
        return edges if data is True else [(u, v) for u, v, _ in edges]


def _pack(graph) -> dict:
    nodes = list(graph.nodes)
    number = {n: i for i, n in enumerate(nodes)}
    links: dict[str, list[int]] = {}
    attributes: dict[str, list] = {}
    for u, v, d in graph.edges(data=True):
        relation = d["relation"]
        links.setdefault(relation, []).extend((number[u], number[v]))
        if relation in EDGE_KEYS:
            attributes.setdefault(relation, []).append([d.get(k) for k in EDGE_KEYS[relation]])
    return {
        "nodes": nodes,
        "node_attributes": [[graph.nodes[n].get(k) for k in NODE_KEYS] for n in nodes],
        "links": links, "link_attributes": attributes,
        "graph": {"include_conditional": bool(graph.graph.get("include_conditional")),
                  "conditional": graph.graph.get("conditional", []), "left_out": graph.graph.get("left_out", []),
                  "accept_conditions": sorted(graph.graph.get("accept_conditions", ()))},
    }


def _unpack(data: dict) -> SavedProjection:
    names = data["nodes"]
    links, attributes = data["links"], data["link_attributes"]
    if not (isinstance(names, list) and isinstance(links, dict) and isinstance(attributes, dict)
            and len(data["node_attributes"]) == len(names)
            and all(isinstance(flat, list) and len(flat) % 2 == 0 and all(isinstance(i, int) and 0 <= i < len(names)
                                                                          for i in flat) for flat in links.values())
            and all(len(attributes.get(r, ())) == len(links[r]) // 2 for r in EDGE_KEYS if r in links)):
        raise ValueError("not a saved coverage projection")
    nodes = {}
    for n, values in zip(names, data["node_attributes"]):
        nodes[n] = {k: v for k, v in zip(NODE_KEYS, values) if v is not None or k in ("type", "label")}
    graph = dict(data["graph"], accept_conditions=frozenset(data["graph"]["accept_conditions"]))
    return SavedProjection(nodes, names, links, attributes, graph)


def saved_projection(graph) -> SavedProjection:
    """The SavedProjection of a networkx projection (what saving and reading it back gives)."""
    return _unpack(json.loads(json.dumps(_pack(graph))))


def coverage_projection(kg, include_conditional: bool = False, accept_conditions=()):
    """The projection coverage reads: saved beside a persistent store (made on the first call), else built.

    >>> g = coverage_projection(kg)
    >>> g.nodes["https://w3id.org/datateam-kg/role/data-scientist"]["label"]
    'data scientist'
    """
    accepted = sorted(str(c) for c in accept_conditions)
    path = _cache_file(kg, include_conditional, accepted)
    if path is not None:
        try:
            return _unpack(json.loads(path.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            pass   # not made yet, or unreadable: make it again
    from ..projection import build_projection   # networkx: not needed to read the saved file

    graph = build_projection(kg, relations=COVERAGE_RELATIONS, include_conditional=include_conditional,
                             accept_conditions=accepted)
    if path is not None:
        save_json(path, PREFIX, _pack(graph))
    return graph


def _cache_file(kg, include_conditional: bool, accepted: list[str]) -> Path | None:
    return saved_file(kg, PREFIX, [TABLE_FORMAT, bool(include_conditional), accepted], ".json")


def drop_saved_coverage(store_path) -> int:
    """Delete the saved coverage projections of a persistent store folder; return how many were removed."""
    return drop_saved(store_path, PREFIX)


__all__ = ["COVERAGE_RELATIONS", "SavedProjection", "coverage_projection", "drop_saved_coverage", "saved_projection"]
