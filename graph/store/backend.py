"""What every backend offers: the read methods the analyses, the CLI and the endpoint rely on.

The embedded store (memory.py), the persistent store (persistent.py, a KnowledgeGraph on disk) and
a remote endpoint (remote.py) all implement `Backend`; `count_triples` is the one triple count
they share, so an empty graph counts 0 on each of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from rdflib import Graph, URIRef
from rdflib.term import Node

Bindings = Mapping[str, Node]

UNION_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
GRAPH_COUNT = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@runtime_checkable
class Backend(Protocol):
    """A knowledge graph the project can read: SPARQL with the project's prefixes, graphs, counts."""

    description: str

    def select(self, query: str, bindings: Bindings | None = None) -> list[dict[str, Node]]:
        """Rows of a SELECT query, each a {variable: term} dict without the unbound variables."""

    def ask(self, query: str, bindings: Bindings | None = None) -> bool:
        """The answer of an ASK query."""

    def construct(self, query: str, bindings: Bindings | None = None) -> Graph:
        """The graph a CONSTRUCT or DESCRIBE query builds."""

    def graph_names(self) -> list[URIRef]:
        """The named graphs, sorted."""

    def triple_count(self, graph: URIRef | None = None) -> int:
        """Triples in one named graph (0 when it is empty or absent), or distinct triples of the union."""


def count_triples(backend: Backend, graph: URIRef | None = None) -> int:
    """Count the triples of one named graph, or the distinct triples of the union when `graph` is None.

    >>> count_triples(kg, URIRef("https://w3id.org/datateam-kg/graph/no-such-graph"))
    0
    """
    if graph is None:
        return int(backend.select(UNION_COUNT)[0]["n"])
    rows = backend.select(GRAPH_COUNT, {"g": URIRef(graph)})
    return int(rows[0]["n"]) if rows else 0
