"""Reasoning: query a copy of the store that also holds what the ontology entails.

`reasoned_graph(kg, "rdfs" | "owlrl")` copies every quad of the store into a new in-memory store,
computes the deductive closure of their union with the owlrl package (plus the SKOS axioms below,
which rdflib does not ship as data) and stores the triples the closure adds in one named graph,
`graph:inferred`. Queries on the copy see stored and inferred triples in the default graph, and
`GRAPH graph:inferred { ... }` shows what only reasoning gives.

- rdfs: subclasses, subproperties, domains and ranges (dt:handsOffTo is a subproperty of
  dt:worksWith; a dt:Role is a skos:Concept and a schema:Occupation; skos:prefLabel is a
  subproperty of rdfs:label).
- owlrl: OWL 2 RL on top: inverse properties (dt:usedBy, dt:requiredBy, dt:receivesFrom,
  dt:responsibilityOf, skos:narrower), symmetric dt:worksWith and skos:related, transitive
  skos:broaderTransitive (skos:broader chains), and the rest of the RL rules.

Cost (measured on the 2-core development machine): the shipped knowledge base (about 4,600
triples) takes about 1.5 s with rdfs and 3 s with owlrl; owlrl on 30,000 triples about 17 s, rdfs
about 5 s, growing faster than linearly. The closure is computed once per store and kept until the
store changes (`forget(kg)` drops it); it runs in a worker process under the query's time limit,
and stores larger than MAX_TRIPLES are refused up front with a clear message.

>>> inferred = reasoned_graph(kg, "owlrl")
>>> inferred.triple_count(INFERRED_GRAPH) > 0
True
"""

from __future__ import annotations

import os
import threading
import weakref

import pyoxigraph as ox
from oxrdflib._converter import from_ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDFS

from ...graph.store.memory import KnowledgeGraph
from ...graph.store.merge import with_default_copies
from ...ontology.namespaces import BASE
from ..sparql.errors import QueryError, QueryTimeoutError
from .worker import WorkerFailed, run_in_worker

INFERRED_GRAPH = URIRef(BASE + "graph/inferred")

MAX_TRIPLES = {
    "rdfs": int(os.environ.get("DATATEAM_RDFS_MAX_TRIPLES", "150000")),
    "owlrl": int(os.environ.get("DATATEAM_OWLRL_MAX_TRIPLES", "50000")),
}

# The SKOS axioms reasoning needs (from the SKOS Reference, W3C 2009), written as Turtle.
SKOS_AXIOMS = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

skos:prefLabel rdfs:subPropertyOf rdfs:label .
skos:altLabel rdfs:subPropertyOf rdfs:label .
skos:hiddenLabel rdfs:subPropertyOf rdfs:label .
skos:broader rdfs:subPropertyOf skos:broaderTransitive ; owl:inverseOf skos:narrower .
skos:narrower rdfs:subPropertyOf skos:narrowerTransitive .
skos:broaderTransitive a owl:TransitiveProperty ; rdfs:subPropertyOf skos:semanticRelation ;
    owl:inverseOf skos:narrowerTransitive .
skos:narrowerTransitive a owl:TransitiveProperty ; rdfs:subPropertyOf skos:semanticRelation .
skos:related a owl:SymmetricProperty ; rdfs:subPropertyOf skos:semanticRelation .
skos:semanticRelation rdfs:domain skos:Concept ; rdfs:range skos:Concept .
skos:mappingRelation rdfs:subPropertyOf skos:semanticRelation .
skos:closeMatch a owl:SymmetricProperty ; rdfs:subPropertyOf skos:mappingRelation .
skos:exactMatch a owl:SymmetricProperty , owl:TransitiveProperty ; rdfs:subPropertyOf skos:closeMatch .
skos:broadMatch rdfs:subPropertyOf skos:mappingRelation , skos:broader ; owl:inverseOf skos:narrowMatch .
skos:narrowMatch rdfs:subPropertyOf skos:mappingRelation , skos:narrower .
skos:relatedMatch a owl:SymmetricProperty ; rdfs:subPropertyOf skos:mappingRelation , skos:related .
"""

# "x owl:sameAs x" and the like hold for everything and only bury the useful entailments.
_TRIVIAL_WHEN_REFLEXIVE = {OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf,
                           RDFS.subPropertyOf}

_compute_lock = threading.Lock()
_cache: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def forget(kg) -> None:
    """Drop the cached closures of `kg` (call after changing its store)."""
    try:
        _cache.pop(kg, None)
    except TypeError:  # cannot be weakly referenced, so nothing was cached for it
        pass


def _fingerprint(store: ox.Store) -> tuple:
    names = tuple(sorted(str(g) for g in store.named_graphs()))
    return (len(store), names)


def count_quads(store: ox.Store, cap: int) -> int:
    """Count the triples of a store's default graph (the merge of its named graphs: what the
    closure reads), stopping at `cap` + 1 (so a huge store costs little)."""
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT * WHERE {{ ?s ?p ?o }} LIMIT {cap + 1} }}")
    return int(next(iter(rows))[0].value)


def reasoned_graph(kg, mode: str, *, timeout: float | None = None) -> KnowledgeGraph:
    """Return an in-memory KnowledgeGraph holding kg's quads plus the `mode` closure in graph:inferred.

    mode: "rdfs" or "owlrl". timeout: seconds the closure may take (None: no limit).
    Raises QueryError when the store is larger than MAX_TRIPLES[mode] or the closure fails,
    QueryTimeoutError when it takes too long.
    """
    if mode not in MAX_TRIPLES:
        raise QueryError(f"unknown reasoning {mode!r}; use rdfs or owlrl")
    store: ox.Store = kg.store
    limit = MAX_TRIPLES[mode]
    size = count_quads(store, limit)
    if size > limit:
        raise QueryError(
            f"--reasoning {mode} is refused on more than {limit:,} triples (this store has more): the closure "
            f"would take minutes; query without reasoning (write the entailment into the query, e.g. "
            f"dt:handsOffTo|^dt:handsOffTo for works-with), or raise DATATEAM_{mode.upper()}_MAX_TRIPLES")
    fingerprint = _fingerprint(store)
    cached = _cache.get(kg, {}).get(mode)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    # One closure at a time: concurrent queries (a server) wait for the one being computed.
    if not _compute_lock.acquire(timeout=-1 if timeout is None else timeout):
        raise QueryTimeoutError(f"waiting for the {mode} closure took longer than the time limit "
                                f"({timeout:g} s); try again in a moment", timeout)
    try:
        cached = _cache.get(kg, {}).get(mode)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        return _compute(kg, store, mode, fingerprint, timeout)
    finally:
        _compute_lock.release()


def _compute(kg, store: ox.Store, mode: str, fingerprint: tuple, timeout: float | None) -> KnowledgeGraph:
    copy = ox.Store()
    copy.extend(store.quads_for_pattern(None, None, None, None))
    try:
        data = run_in_worker(lambda: _closure_ntriples(copy, mode), timeout,
                             what=f"computing the {mode} closure")
    except WorkerFailed as exc:
        raise QueryError(f"computing the {mode} closure failed: {exc.message.splitlines()[0] if exc.message else exc.kind}") from None
    graph = ox.NamedNode(str(INFERRED_GRAPH))
    if data:
        copy.extend(with_default_copies(ox.Quad(t.subject, t.predicate, t.object, graph)
                                        for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)))
    reasoned = KnowledgeGraph(copy, description=f"{getattr(kg, 'description', 'store')} with {mode} entailments")
    try:
        _cache.setdefault(kg, {})[mode] = (fingerprint, reasoned)
    except TypeError:  # a backend object that cannot be weakly referenced: no cache, computed each time
        pass
    return reasoned


def _closure_ntriples(store: ox.Store, mode: str) -> bytes:
    """In the worker: the triples the closure adds to the union of the store's graphs, as N-Triples."""
    import owlrl

    graph = Graph()
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    stored = set(graph)
    graph.parse(data=SKOS_AXIOMS, format="turtle")
    semantics = owlrl.RDFS_Semantics if mode == "rdfs" else owlrl.OWLRL_Semantics
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    added = Graph()
    for s, p, o in graph:
        if (s, p, o) in stored or isinstance(s, Literal) or not isinstance(p, URIRef):
            continue
        if s == o and p in _TRIVIAL_WHEN_REFLEXIVE:
            continue
        added.add((s, p, o))
    return added.serialize(format="nt", encoding="utf-8")
