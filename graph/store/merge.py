"""The default graph of a local store: the RDF merge of its named graphs, kept in the store.

SPARQL evaluates a pattern outside GRAPH against the default graph. Oxigraph's "union default
graph" option reads every named graph in turn, so a triple stated by five sources matches five
times (a bag): `SELECT ?t { role:data-engineer a ?t }` would return dt:Role five times. Here the
default graph is a set instead, the RDF merge of the named graphs: every triple of a named graph
is also stored once in Oxigraph's default graph, and queries read that graph
(`use_default_graph_as_union=False`). `GRAPH ?g { ... }` still ranges over the named graphs
only: Oxigraph never lists its default graph as a named graph.

The copies are written whenever quads are added (`with_default_copies`), and made again after a
SPARQL Update (`rebuild_default_graph`). The importers write them into the N-Quads stream they
bulk-load (graph/importers/common.py QuadWriter), which costs far less than copying the graph
afterwards. Measured on the 2-core development machine: rebuilding the merge takes 9 ms for the
shipped knowledge base and 1.8 s for 500,000 quads in memory; copying a graph of 1,000,000 quads
into it on disk 12 s, which is why a persistent store keeps the merge and maintains it graph by
graph when it is written (docs/query.md).

>>> s, p, o = (ox.NamedNode(f"http://example.org/{n}") for n in "spo")
>>> store = ox.Store()
>>> store.extend(with_default_copies([ox.Quad(s, p, o, ox.NamedNode("http://example.org/g1")),
...                                   ox.Quad(s, p, o, ox.NamedNode("http://example.org/g2"))]))
>>> len(store), len(list(store.query("SELECT * WHERE { ?s ?p ?o }")))   # two quads, one merged triple
(3, 1)
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

DEFAULT = ox.DefaultGraph()
# Copies every triple of the named graphs into the default graph, in one operation inside the engine.
_COPY_ALL = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


def with_default_copies(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """`quads` followed by a default-graph copy of each quad that is in a named graph."""
    quads = list(quads)
    copies = [ox.Quad(q.subject, q.predicate, q.object, DEFAULT) for q in quads
              if not isinstance(q.graph_name, ox.DefaultGraph)]
    return quads + copies


def rebuild_default_graph(store: ox.Store) -> None:
    """Make the default graph of `store` exactly the merge of its named graphs."""
    store.clear_graph(DEFAULT)
    store.update(_COPY_ALL)


def copy_graphs_to_default(store: ox.Store, graphs: Iterable[str]) -> None:
    """Add the triples of the named graphs `graphs` (IRIs) to the default graph."""
    for graph in graphs:
        node = ox.NamedNode(graph)  # a valid IRI: it cannot close the <...> below
        store.update(f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH {node} {{ ?s ?p ?o }} }}")


def drop_from_default(store: ox.Store, triples: Iterable[ox.Triple]) -> None:
    """Remove from the default graph those of `triples` that no named graph holds any more."""
    for triple in triples:
        still = any(not isinstance(q.graph_name, ox.DefaultGraph)
                    for q in store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None))
        if not still:
            store.remove(ox.Quad(triple.subject, triple.predicate, triple.object, DEFAULT))


def drop_orphans_from_default(store: ox.Store) -> None:
    """Remove every triple of the default graph that no named graph holds (one pass in the engine:
    cheaper than `drop_from_default` when a large graph was removed)."""
    store.update("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }")


def named_quad_count(store: ox.Store) -> int:
    """The quads of the named graphs (what was loaded), leaving out the default graph's copies."""
    result = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(next(iter(result))["n"].value)


def outside_named_graphs(store: ox.Store) -> int:
    """Triples of the default graph that no named graph holds (an update wrote them there)."""
    result = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }")
    return int(next(iter(result))["n"].value)
