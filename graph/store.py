"""The store: the knowledge base in an rdflib Dataset over an embedded Oxigraph store.

Every query sees the union of all named graphs as its default graph (one named graph per source,
plus the ontology and any user data), so a plain `?role dt:usesTool ?tool` pattern sees every
source's claims while `GRAPH ?g { ... }` still tells them apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from oxrdflib._converter import from_ox, to_ox
from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from ..ontology.namespaces import BASE, ONTOLOGY_GRAPH, PREFIXES, bind_prefixes
from .errors import DataFileError

ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "datateam.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
KB_DIR = ONTOLOGY_DIR / "kb"
USER_GRAPH_BASE = BASE + "graph/user/"

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}

Bindings = Mapping[str, Node]


def knowledge_base_files() -> list[Path]:
    """Return the shipped knowledge-base files (one TriG file per source), in a stable order."""
    return sorted(KB_DIR.glob("*.trig"))


def rdf_format_for(path: Path) -> ox.RdfFormat:
    """Return the RDF format of a file from its extension, or raise DataFileError naming the file."""
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(RDF_FORMATS))
        raise DataFileError(f"{path}: unknown RDF file extension {path.suffix!r} (known: {known})")
    return fmt


def user_graph_iri(path: Path) -> URIRef:
    """Return the named graph that holds the triples of a user's data file."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-") or "data"
    return URIRef(USER_GRAPH_BASE + slug)


UTF8_BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 8192


def parse_file(path: Path, default_graph: URIRef) -> list[ox.Quad]:
    """Parse an RDF file into quads; triples outside any named graph go to `default_graph`.

    A UTF-8 byte order mark is skipped (editors on Windows write one). Refused with a one-line
    DataFileError naming the file: a binary file (a NUL byte near its start), RDF/XML whose
    DOCTYPE declares entities (see graph/xml_guard.py), and the first syntax error (with its line
    and column).
    """
    path = Path(path)
    fmt = rdf_format_for(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    target = ox.NamedNode(str(default_graph))
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
            _refuse_binary(path, head, fmt)
            if fmt == ox.RdfFormat.RDF_XML:
                from .xml_guard import refuse_entity_declarations_in_file

                refuse_entity_declarations_in_file(path)
            handle.seek(len(UTF8_BOM) if head.startswith(UTF8_BOM) and fmt != ox.RdfFormat.RDF_XML else 0)
            quads = []
            for quad in ox.parse(handle, format=fmt, base_iri=path.resolve().as_uri()):
                if isinstance(quad.graph_name, ox.DefaultGraph):
                    quad = ox.Quad(quad.subject, quad.predicate, quad.object, target)
                quads.append(quad)
        return quads
    except SyntaxError as exc:
        raise DataFileError(f"{path}:{_syntax_location(exc)}{_first_line(exc)}") from exc
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: {_first_line(exc)}") from exc


def _refuse_binary(path: Path, head: bytes, fmt: ox.RdfFormat) -> None:
    """Refuse a file whose first bytes hold a NUL: no RDF text format allows one (UTF-16 XML excepted)."""
    if fmt == ox.RdfFormat.RDF_XML and head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return
    index = head.find(b"\x00")
    if index < 0:
        return
    line = head.count(b"\n", 0, index) + 1
    column = index - (head.rfind(b"\n", 0, index) + 1) + 1
    raise DataFileError(f"{path}:{line}:{column}: this is not a {fmt.name} text file: it holds binary data "
                        f"(a NUL byte at byte {index + 1}); give a Turtle, TriG, N-Triples, N-Quads, JSON-LD "
                        "or RDF/XML file")


def _syntax_location(exc: SyntaxError) -> str:
    line = getattr(exc, "lineno", None)
    col = getattr(exc, "offset", None)
    if line:
        return f"{line}:{col}: " if col else f"{line}: "
    return " "


def _first_line(exc: BaseException) -> str:
    text = str(exc.args[0] if exc.args else exc)
    text = re.sub(r"^Parser error (at|between) line \d+ (between )?(column|columns) \d+( and (line \d+ column )?\d+)?: ", "", text)
    return text.splitlines()[0] if text else type(exc).__name__


class KnowledgeGraph:
    """Read access to a knowledge graph held in a local Oxigraph store.

    `select`, `ask` and `construct` run SPARQL with the project's prefixes predeclared and the
    union of all named graphs as the default graph. Bindings are substituted as RDF terms, never
    pasted into the query text. The rdflib `Dataset` view over the same store is `.dataset`.

    >>> kg = load_knowledge_graph()
    >>> rows = kg.select("SELECT ?r WHERE { ?r a dt:Role } LIMIT 1")
    """

    def __init__(self, store: ox.Store | None = None, *, location: Path | None = None,
                 description: str = "embedded in-memory store"):
        self.store = store if store is not None else ox.Store()
        self.location = Path(location) if location is not None else None  # None: in memory
        self.description = description
        self._dataset: Dataset | None = None

    # -- queries -----------------------------------------------------------------------------
    def _run(self, query: str, bindings: Bindings | None):
        substitutions = {ox.Variable(k): to_ox(v) for k, v in (bindings or {}).items()}
        return self.store.query(
            query,
            prefixes=PREFIXES,
            use_default_graph_as_union=True,
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
        """Count the triples in one named graph, or the distinct triples of the union when `graph` is None."""
        if graph is None:
            query = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
            return int(self.select(query)[0]["n"])
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        return int(self.select(query, {"g": graph})[0]["n"])

    @property
    def dataset(self) -> Dataset:
        """An rdflib Dataset over the same Oxigraph store (default graph = union of named graphs)."""
        if self._dataset is None:
            self._dataset = Dataset(store=OxigraphStore(store=self.store), default_union=True)
            bind_prefixes(self._dataset)
        return self._dataset

    # -- loading -----------------------------------------------------------------------------
    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads in one transaction."""
        self.store.extend(list(quads))

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


def load_knowledge_graph(data_files: Iterable[Path] = (), *, validate: bool = True) -> KnowledgeGraph:
    """Build the embedded in-memory knowledge graph: ontology, shipped sources and user data.

    User files are checked against the SHACL shapes first (unless `validate` is False); a
    violation raises ValidationError and nothing is loaded.
    """
    kg = KnowledgeGraph()
    load_shipped(kg)
    data_files = [Path(p) for p in data_files]
    if data_files:
        user_quads = [q for p in data_files for q in parse_file(p, user_graph_iri(p))]
        if validate:
            from .validate import check_user_data

            check_user_data(kg, user_quads, data_files)
        kg.add_quads(user_quads)
    return kg


def open_knowledge_graph(data_files: Iterable[Path] = (), *, store_path: str | Path | None = None,
                         endpoint: str | None = None, writable: bool = False, validate: bool = True):
    """Open the knowledge graph the user asked for.

    - `endpoint`: a remote SPARQL 1.1 endpoint (read-only; see graph/remote.py);
    - `store_path`: a persistent on-disk Oxigraph store (see graph/persistent.py);
    - neither: the embedded in-memory store with the shipped knowledge base.
    `data_files` are the user's own RDF files, checked against the SHACL shapes before merging.
    """
    from .errors import DatateamError

    data_files = [Path(p) for p in data_files]
    if endpoint and store_path:
        raise DatateamError("--store and --endpoint cannot be used together")
    if endpoint:
        if data_files:
            raise DatateamError("--data cannot be merged into a remote endpoint; upload it with `datateam push`")
        from .remote import RemoteKnowledgeGraph

        return RemoteKnowledgeGraph(endpoint)
    if store_path:
        from .persistent import open_persistent

        return open_persistent(Path(store_path), data_files, writable=writable, validate=validate)
    return load_knowledge_graph(data_files, validate=validate)
