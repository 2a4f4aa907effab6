"""Exporting the knowledge graph: RDF (one named graph per source or merged), graph files, CSV."""

from __future__ import annotations

import io

import networkx as nx
import pyoxigraph as ox
from oxrdflib._converter import to_ox

from ...ontology.namespaces import PREFIXES
from ..errors import DatateamError
from ..projection import build_projection
from ..text import write_spreadsheet_csv

RDF_EXPORTS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
}
GRAPH_EXPORTS = ("graphml", "gexf", "csv")


def export_graph(kg, fmt: str) -> bytes:
    """Serialize the knowledge graph to `fmt` and return the bytes.

    ttl, nt: the union of all graphs (each distinct triple once). trig, nquads, jsonld: every named
    graph kept, so each fact still says which source states it. graphml, gexf: the typed networkx
    projection (list attributes joined with '; '). csv: one row per projection edge, spreadsheet-safe
    (graph/text.py).

    >>> export_graph(kg, "trig")[:7]
    b'@prefix'
    """
    if fmt in RDF_EXPORTS:
        return _export_rdf(kg, fmt)
    if fmt in GRAPH_EXPORTS:
        return _export_projection(kg, fmt)
    raise DatateamError(f"unknown export format {fmt!r}; choose one of {', '.join(list(RDF_EXPORTS) + list(GRAPH_EXPORTS))}")


def _quads(kg) -> list[ox.Quad]:
    store = getattr(kg, "store", None)
    if isinstance(store, ox.Store):
        return [q for q in store.quads_for_pattern(None, None, None, None) if not isinstance(q.graph_name, ox.DefaultGraph)]
    rows = kg.select("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return [ox.Quad(to_ox(r["s"]), to_ox(r["p"]), to_ox(r["o"]), to_ox(r["g"])) for r in rows]


def _export_rdf(kg, fmt: str) -> bytes:
    quads = _quads(kg)
    quads.sort(key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    rdf_format = RDF_EXPORTS[fmt]
    if fmt in ("ttl", "nt"):
        seen, triples = set(), []
        for q in quads:
            triple = ox.Triple(q.subject, q.predicate, q.object)
            if triple not in seen:
                seen.add(triple)
                triples.append(triple)
        data = triples
    else:
        data = quads
    kwargs = {"prefixes": PREFIXES} if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else {}
    return ox.serialize(data, format=rdf_format, **kwargs)


def _flat(value):
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_flat(v)}" for k, v in sorted(value.items()))
    if value is None:
        return ""
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _export_projection(kg, fmt: str) -> bytes:

    graph = build_projection(kg)
    flat = nx.MultiDiGraph()
    for node, attrs in graph.nodes(data=True):
        flat.add_node(node, **{k: _flat(v) for k, v in attrs.items()})
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        flat.add_edge(u, v, key=key, **{k: _flat(val) for k, val in attrs.items()})
    if fmt == "graphml":
        out = io.BytesIO()
        nx.write_graphml(flat, out)
        return out.getvalue()
    if fmt == "gexf":
        out = io.BytesIO()
        nx.write_gexf(flat, out)
        return out.getvalue()
    attr_keys = sorted({k for _, _, attrs in flat.edges(data=True) for k in attrs if k != "relation"})
    header = ["source", "source_label", "source_type", "relation", "target", "target_label", "target_type"] + attr_keys
    rows = ([u, flat.nodes[u].get("label", ""), flat.nodes[u].get("type", ""), attrs.get("relation", ""),
             v, flat.nodes[v].get("label", ""), flat.nodes[v].get("type", "")] + [attrs.get(k, "") for k in attr_keys]
            for u, v, attrs in sorted(flat.edges(data=True), key=lambda e: (e[2].get("relation", ""), e[0], e[1])))
    return write_spreadsheet_csv(header, rows).encode("utf-8")
