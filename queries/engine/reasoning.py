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
about 5 s, growing faster than linearly. The closure is computed once per store content and kept until the
store changes (`forget(kg)` drops it): in memory for the process, and in a file for later processes,
keyed by the store's `content_key` (the digest of the files the embedded store was loaded from, or
a persistent store's live database folder) and this module's rules: under $XDG_CACHE_HOME/datateam-kg
for the embedded store, in the store's .reasoning-cache folder for a persistent one. It runs in a
worker process under the query's time limit, and stores larger than MAX_TRIPLES are refused up
front with a clear message.

>>> inferred = reasoned_graph(kg, "owlrl")
>>> inferred.triple_count(INFERRED_GRAPH) > 0
True
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import weakref
from pathlib import Path

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
    """Drop the cached closures of `kg` (call after changing its store), in memory and on disk.

    A persistent store changed in place (a SPARQL update) keeps its database folder, so the
    closure files keyed by that folder are deleted; an in-memory store only forgets its key.
    """
    try:
        _cache.pop(kg, None)
    except TypeError:  # cannot be weakly referenced, so nothing was cached for it
        pass
    for mode in MAX_TRIPLES:
        path = _cache_file(kg, mode)
        if path is not None and getattr(kg, "store_path", None) is not None:
            path.unlink(missing_ok=True)
    if "content_key" in getattr(kg, "__dict__", {}):
        kg.content_key = None


def cache_folder() -> Path:
    """Where closures of stores without a folder of their own are kept: $XDG_CACHE_HOME/datateam-kg."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "datateam-kg"


def _reasoner_version() -> str:
    """What else decides a closure: this module's rules and axioms, and the owlrl release."""
    global _REASONER
    if _REASONER is None:
        from importlib.util import find_spec

        # The installed release's dist-info folder names its version; importlib.metadata would
        # scan every installed distribution to find it (tens of milliseconds).
        spec = find_spec("owlrl")
        origin = Path(spec.origin).parent if spec is not None and spec.origin else None
        releases = sorted(p.name for p in origin.parent.glob("owlrl-*.dist-info")) if origin else []
        _REASONER = hashlib.sha256(Path(__file__).read_bytes() + "|".join(releases).encode()).hexdigest()[:16]
    return _REASONER


_REASONER: str | None = None


# Bumped when what the file holds changes (2: the default graph holds the merge of the named graphs).
CLOSURE_FILE_FORMAT = 2


def _cache_file(kg, mode: str) -> Path | None:
    """The file holding kg's `mode` closure, or None when kg's content has no stable key."""
    key = getattr(kg, "content_key", None)
    if not key:
        return None
    folder = getattr(kg, "reasoning_cache_dir", None) or cache_folder()
    name = hashlib.sha256(f"{mode}\0{key}\0{_reasoner_version()}\0{CLOSURE_FILE_FORMAT}".encode()).hexdigest()[:32]
    return Path(folder) / f"closure-{mode}-{name}.nq"


def _read_cached(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write_cached(path: Path | None, data: bytes, kg) -> None:
    """Write a closure file atomically (a reader sees the old file, none, or the whole new one).

    A folder that cannot be written (a read-only store) only means the closure is computed again
    next time. In a persistent store's folder, closures of earlier databases are removed.
    """
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError:
        return
    if getattr(kg, "store_path", None) is not None:
        current = {_cache_file(kg, m).name for m in MAX_TRIPLES}
        for old in path.parent.glob("closure-*.nq"):
            if old.name not in current:
                old.unlink(missing_ok=True)


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
    # The file holds the whole reasoned store (stored and inferred quads) as N-Quads: blank nodes get
    # new labels whenever a store is loaded, so inferred triples about them are only right beside the
    # stored triples they were computed from. Oxigraph reads it in one call (no Python object per
    # quad), so a closure read from its file costs milliseconds and the worker forked next stays small.
    path = _cache_file(kg, mode)
    data = _read_cached(path)
    copy = ox.Store()
    if data is not None:
        try:
            copy.load(data, format=ox.RdfFormat.N_QUADS)   # one transaction: all or nothing
        except (SyntaxError, ValueError):  # a damaged file: computed again and rewritten
            data = None
    if data is None:
        copy = ox.Store()
        quads = list(store.quads_for_pattern(None, None, None, None))
        copy.extend(quads)
        try:
            inferred = run_in_worker(lambda: _closure_ntriples(copy, mode), timeout,
                                     what=f"computing the {mode} closure")
        except WorkerFailed as exc:
            raise QueryError(f"computing the {mode} closure failed: {exc.message.splitlines()[0] if exc.message else exc.kind}") from None
        if inferred:
            graph = ox.NamedNode(str(INFERRED_GRAPH))
            added = with_default_copies(ox.Quad(t.subject, t.predicate, t.object, graph)
                                        for t in ox.parse(inferred, format=ox.RdfFormat.N_TRIPLES))
            copy.extend(added)
            quads += added
        if path is not None:
            # in the order they went in, so that the store read back answers in the same order
            _write_cached(path, ox.serialize(quads, format=ox.RdfFormat.N_QUADS), kg)
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
