"""The embedded store: the knowledge base in an rdflib Dataset over an in-memory Oxigraph store.

Every query sees the RDF merge of all named graphs as its default graph (one named graph per
source, plus the ontology and any user data), so a plain `?role dt:usesTool ?tool` pattern sees
every source's claims, each distinct triple once, while `GRAPH ?g { ... }` still tells them apart.
The merge is kept in Oxigraph's default graph (graph/store/merge.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from oxrdflib._converter import from_ox, to_ox
from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from ...ontology.namespaces import BASE, ONTOLOGY_GRAPH, PREFIXES, bind_prefixes
from ...queries.sparql.binding import bind_in_text
from ...queries.sparql.errors import QueryError
from .backend import Bindings, count_triples
from .merge import rebuild_default_graph, with_default_copies
from .rdf_files import ONTOLOGY_FILE, knowledge_base_files, parse_file, user_graph_iri


class KnowledgeGraph:
    """Read access to a knowledge graph held in a local Oxigraph store.

    `select`, `ask` and `construct` run SPARQL with the project's prefixes predeclared and the
    RDF merge of all named graphs as the default graph. Bindings are bound as RDF terms, never pasted
    into the query text: written into its patterns token by token where that means the same
    (queries/sparql/binding.py), else substituted by the engine. The rdflib `Dataset` view over the
    same store is `.dataset`.

    >>> from datateam.graph.store import load_knowledge_graph
    >>> kg = load_knowledge_graph()
    >>> rows = kg.select("SELECT ?r WHERE { ?r a dt:Role } LIMIT 1")
    """

    # What the store holds, as a stable key (a digest of the files it was loaded from), for caches
    # kept beside it such as the reasoning closures; None when unknown or changed since.
    content_key: str | None = None
    reasoning_cache_dir: Path | None = None   # None: the user's cache folder

    def __init__(self, store: ox.Store | None = None, *, location: Path | None = None,
                 description: str = "embedded in-memory store", derive_default: bool = True):
        """store: an Oxigraph store to read (default: a new, empty one). A store whose default graph
        is empty while it has named graphs is given the merge in its default graph first (unless
        `derive_default` is False: the persistent store maintains its own)."""
        if store is not None and derive_default and not store.query("ASK { ?s ?p ?o }") \
                and store.query("ASK { GRAPH ?g { ?s ?p ?o } }"):
            rebuild_default_graph(store)
        self.store = store if store is not None else ox.Store()
        self.location = Path(location) if location is not None else None  # None: in memory
        self.description = description
        self._dataset: Dataset | None = None

    # -- queries -----------------------------------------------------------------------------
    def _run(self, query: str, bindings: Bindings | None):
        if bindings:
            # Written into the patterns the engine can use its indexes; a substitution is joined
            # only after the whole pattern is evaluated (seconds on a store with ESCO). A text the
            # rewrite cannot read, or a term it cannot write (a blank node), is left to the engine,
            # and so is any text the engine would not read once rewritten: the error is its own.
            try:
                rewritten = bind_in_text(query, bindings)
            except QueryError:
                rewritten = None
            if rewritten is not None:
                try:
                    return self.store.query(rewritten, prefixes=PREFIXES, use_default_graph_as_union=False)
                except SyntaxError:
                    pass
        substitutions = {ox.Variable(k): to_ox(v) for k, v in (bindings or {}).items()}
        return self.store.query(
            query,
            prefixes=PREFIXES,
            use_default_graph_as_union=False,
            substitutions=substitutions or None,
        )

    def select(self, query: str, bindings: Bindings | None = None) -> list[dict[str, Node]]:
        """Run a SELECT query; return one dict per solution mapping variable names to rdflib terms.

        Unbound variables are absent from the dict. A bound variable must appear in the SELECT
        clause (Oxigraph substitutes it as an RDF term before evaluation, as in SEP-0007).
        """
        result = self._run(query, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        rows = []
        for solution in result:
            row = {}
            for name, value in zip(names, solution):
                if value is not None:
                    row[name] = from_ox(value)
            rows.append(row)
        return rows

    def ask(self, query: str, bindings: Bindings | None = None) -> bool:
        """Run an ASK query and return its answer."""
        result = self._run(query, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise TypeError("ask() needs an ASK query")
        return bool(result)

    def construct(self, query: str, bindings: Bindings | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query and return the triples as an rdflib Graph."""
        result = self._run(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise TypeError("construct() needs a CONSTRUCT or DESCRIBE query")
        graph = Graph()
        bind_prefixes(graph)
        for triple in result:
            graph.add(from_ox(triple))
        return graph

    # -- contents ----------------------------------------------------------------------------
    def graph_names(self) -> list[URIRef]:
        """Return the IRIs of the named graphs in the store, sorted."""
        return sorted(URIRef(g.value) for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def triple_count(self, graph: URIRef | None = None) -> int:
        """Count the triples in one named graph (0 if empty), or the distinct triples of the union."""
        return count_triples(self, graph)

    @property
    def dataset(self) -> Dataset:
        """An rdflib Dataset over the same Oxigraph store (default graph = merge of the named graphs)."""
        if self._dataset is None:
            self._dataset = Dataset(store=OxigraphStore(store=self.store), default_union=False)
            bind_prefixes(self._dataset)
        return self._dataset

    # -- loading -----------------------------------------------------------------------------
    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads in one transaction (with their copies in the default graph, the merge)."""
        self.store.extend(with_default_copies(quads))

    def load_file(self, path: Path, graph: URIRef | None = None) -> list[URIRef]:
        """Load an RDF file; return the named graphs it wrote to.

        Triples outside any named graph go to `graph`, or to a user graph named after the file.
        """
        path = Path(path)
        quads = parse_file(path, graph or user_graph_iri(path))
        self.add_quads(quads)
        return sorted({URIRef(q.graph_name.value) for q in quads})


def load_shipped(kg: KnowledgeGraph) -> None:
    """Load the ontology and the shipped knowledge base (one named graph per source) into `kg`."""
    kg.add_quads(parse_file(ONTOLOGY_FILE, ONTOLOGY_GRAPH))
    for path in knowledge_base_files():
        kg.add_quads(parse_file(path, URIRef(BASE + "graph/" + path.stem)))


