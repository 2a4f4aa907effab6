"""The result of a SPARQL query, independent of where it ran (embedded store, worker process or remote endpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph
from rdflib.term import Node

SELECT_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("ttl", "nt", "jsonld")


@dataclass
class QueryResult:
    """What a query returned.

    kind: "select", "ask" or "graph" (CONSTRUCT/DESCRIBE).
    variables: the projected variable names, in order (select).
    rows: one dict per solution, variable name -> rdflib term; unbound variables are absent (select).
    boolean: the answer (ask). graph: the triples (graph). truncated: a row cap cut the result.
    """

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    truncated: bool = False

    def serialize(self, fmt: str) -> bytes:
        """Serialize to `fmt`: table/csv/tsv/json/xml (W3C SPARQL 1.1 results) for select and ask,
        ttl/nt/jsonld for graph results."""
        raise NotImplementedError("completed by the query-layer engineer (issue 3)")
