"""Uploading the knowledge graph to a SPARQL server with the SPARQL 1.1 Graph Store Protocol.

Each named graph (the ontology, one graph per source document, curation, the ESCO alignment,
imported frameworks and the user's own --data graphs) is sent as N-Triples with one
`PUT <graph-store>?graph=<graph IRI>` request. PUT replaces the graph's content, so pushing twice
leaves the same triples, never duplicates. Blank nodes travel inside the N-Triples document, which
rdflib's SPARQLUpdateStore cannot do. After the upload the query endpoint is asked how many triples
each graph holds, and the numbers are compared with what was sent.

Graphs are serialized to temporary files before the first request, so a local problem stops the
push before anything is sent. Each PUT is one transaction on the server; if a request fails
midway, the graphs already sent hold their new content and re-running the push completes it.
Graphs on the server that this push does not name are left untouched.

When every graph is pushed to an Oxigraph server (its Server header), the server's default graph
is replaced as well, with the store's default graph: the RDF merge of the named graphs
(graph/store/merge.py). A client then reads that default graph as the embedded store's, each
triple once (RemoteKnowledgeGraph picks "native" for an Oxigraph server whose default graph holds
triples), where Oxigraph's union of the named graphs is a bag. Other servers keep their default
graph (Virtuoso has none a client may replace).

>>> rows = push_knowledge_graph(load_knowledge_graph(), "http://127.0.0.1:7878/query")  # doctest: +SKIP
>>> rows[0]                                                                              # doctest: +SKIP
{'graph': 'https://w3id.org/datateam-kg/graph/curation', 'triples': 412, 'stored': 412, 'status': 'created'}
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from urllib.parse import quote, urlsplit, urlunsplit

import pyoxigraph as ox
from rdflib import URIRef

from ...queries.sparql.binding import term_n3
from ...queries.sparql.results import compact_iri
from ..defaults import PUSH_TIMEOUT
from ..errors import DatateamError
from ..store.http_client import client_for, request
from ..store.remote import RemoteKnowledgeGraph, check_http_url, http_error, split_credentials
from ..text import format_rows

DEFAULT_PUSH_TIMEOUT = PUSH_TIMEOUT

# Query endpoint path ending -> Graph Store endpoint path ending, for the servers we know.
GRAPH_STORE_PATHS = {
    "/query": "/store",    # Oxigraph server: /query, /update, /store
    "/sparql": "/data",    # Apache Jena Fuseki: /ds/sparql (or /ds/query), /ds/data
}


def graph_store_url_for(endpoint_url: str) -> str:
    """Guess the Graph Store Protocol URL that goes with a SPARQL query endpoint.

    Oxigraph's `.../query` pairs with `.../store`, Fuseki's `.../sparql` with `.../data`.
    Anything else raises DatateamError asking for --graph-store.

    >>> graph_store_url_for("http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/store'
    >>> graph_store_url_for("http://localhost:3030/ds/sparql")
    'http://localhost:3030/ds/data'
    """
    parts = urlsplit(endpoint_url)
    path = parts.path.rstrip("/")
    for query_end, store_end in GRAPH_STORE_PATHS.items():
        if path.endswith(query_end):
            new_path = path[: -len(query_end)] + store_end
            return urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))
    raise DatateamError(
        f"cannot tell the Graph Store Protocol URL for {endpoint_url}: give it with --graph-store URL "
        "(Oxigraph: .../store, Fuseki: .../ds/data, GraphDB: .../repositories/NAME/rdf-graphs/service)")


def graph_store_request_url(graph_store_url: str, graph: str) -> str:
    """The Graph Store Protocol URL addressing one named graph (indirect identification, ?graph=)."""
    separator = "&" if urlsplit(graph_store_url).query else "?"
    return f"{graph_store_url}{separator}graph={quote(graph, safe='')}"


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """Turn "user:password" into a (user, password) pair; None stays None."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not user or not sep:
        raise DatateamError("--auth must be USER:PASSWORD")
    return user, password


def _local_store(kg) -> ox.Store:
    store = getattr(kg, "store", None)
    if not isinstance(store, ox.Store):
        raise DatateamError("push uploads a local knowledge graph (the embedded one or --store DIR); "
                            f"it cannot read from {getattr(kg, 'description', type(kg).__name__)}")
    return store


def serialize_graphs(kg, graphs: Iterable[URIRef] | None = None, directory: str | None = None) -> list[dict]:
    """Write each named graph of a local knowledge graph to its own N-Triples temporary file.

    Returns dicts with `graph` (IRI string), `path` (the file, to be deleted by the caller) and
    `triples` (how many were written). Graphs default to all named graphs of the store.
    """
    store = _local_store(kg)
    names = [str(g) for g in (graphs if graphs is not None else kg.graph_names())]
    out = []
    try:
        for name in names:
            fd, path = tempfile.mkstemp(prefix="datateam-push-", suffix=".nt", dir=directory)
            out.append({"graph": name, "path": path, "triples": 0})
            count = 0

            def triples(graph=ox.NamedNode(name)):
                nonlocal count
                for quad in store.quads_for_pattern(None, None, None, graph):
                    count += 1
                    yield ox.Triple(quad.subject, quad.predicate, quad.object)

            with os.fdopen(fd, "wb") as handle:
                ox.serialize(triples(), handle, ox.RdfFormat.N_TRIPLES)
            out[-1]["triples"] = count
    except BaseException:
        for item in out:
            _remove(item["path"])
        raise
    return out


def shared_blank_nodes(kg) -> int:
    """How many blank nodes occur in more than one named graph (they would be split by a per-graph upload)."""
    rows = kg.select("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { GRAPH ?g1 { ?b ?p1 ?o1 } GRAPH ?g2 { ?b ?p2 ?o2 } "
                     "FILTER(isBlank(?b) && ?g1 != ?g2) }")
    return int(rows[0]["n"]) if rows else 0


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def push_knowledge_graph(kg, endpoint_url: str, *, graph_store_url: str | None = None,
                         auth: tuple[str, str] | None = None, timeout: float = DEFAULT_PUSH_TIMEOUT,
                         graphs: Iterable[URIRef] | None = None, verify: bool = True) -> list[dict]:
    """Upload every named graph of `kg` to a SPARQL server, replacing each graph's previous content.

    kg: a local KnowledgeGraph (embedded or persistent). endpoint_url: the server's SPARQL query
    endpoint (used to verify the upload; `user:password@` in it is accepted). graph_store_url: the
    Graph Store Protocol endpoint (default: guessed by `graph_store_url_for`). auth: HTTP Basic
    (user, password). timeout: seconds per request. graphs: which named graphs (default: all).
    verify: count each graph's triples on the server after the upload.

    Returns one dict per graph, sorted by graph IRI: `graph`, `triples` (sent), `stored` (counted on
    the server afterwards, None without verify) and `status` ("created" or "replaced", from the
    HTTP status). Raises DatateamError (one line, naming the graph) on any failure, and when the
    server holds a different number of triples than was sent.
    """
    endpoint_url, url_auth = split_credentials(check_http_url(endpoint_url.strip(), "push target"))
    auth = auth or url_auth
    if graph_store_url:
        graph_store_url, store_auth = split_credentials(check_http_url(graph_store_url.strip(), "graph store"))
        auth = auth or store_auth
    else:
        graph_store_url = graph_store_url_for(endpoint_url)
    files = serialize_graphs(kg, graphs)
    results = []
    oxigraph = False
    client = client_for(graph_store_url, auth=auth)
    try:
        for item in sorted(files, key=lambda f: f["graph"]):
            url = graph_store_request_url(graph_store_url, item["graph"])
            size = os.path.getsize(item["path"])
            headers = {"Content-Type": "application/n-triples", "Content-Length": str(size)}
            with open(item["path"], "rb") as body:
                resp = request(client, "PUT", url, content=body, headers=headers, timeout=timeout,
                               what="the graph store", during=f"uploading <{item['graph']}>")
            if not 200 <= resp.status < 300:
                done = f" ({len(results)} graph(s) already replaced; re-run to finish)" if results else ""
                raise DatateamError(f"uploading <{item['graph']}> failed: {http_error(resp, url, 'the graph store')}{done}")
            results.append({"graph": item["graph"], "triples": item["triples"], "stored": None,
                            "status": "created" if resp.status == 201 else "replaced"})
            oxigraph = resp.headers.get("server", "").lower().startswith("oxigraph/")
    finally:
        client.close()
        for item in files:
            _remove(item["path"])
    merge_sent = _put_default_graph(kg, graph_store_url, auth, timeout) if graphs is None and results and oxigraph \
        else None
    if verify and results:
        remote = RemoteKnowledgeGraph(endpoint_url, timeout=timeout, union="native", auth=auth)
        try:
            counts = stored_triple_counts(remote, [r["graph"] for r in results])
            merge_stored = remote.triple_count() if merge_sent is not None else None
        finally:
            remote.close()
        if merge_sent is not None and merge_stored != merge_sent:
            raise DatateamError(f"after the upload the server's default graph holds {merge_stored} distinct triples "
                                f"but the merge of the named graphs sent has {merge_sent}")
        for row in results:
            row["stored"] = counts.get(row["graph"], 0)
        wrong = [r for r in results if r["stored"] != r["triples"]]
        if wrong:
            first = wrong[0]
            raise DatateamError(f"after the upload <{first['graph']}> holds {first['stored']} triples on the server "
                                f"but {first['triples']} were sent ({len(wrong)} graph(s) differ)")
    return results


def _put_default_graph(kg, graph_store_url: str, auth, timeout: float) -> int:
    """Replace the server's default graph with the store's (the merge); return the triples sent."""
    store = _local_store(kg)
    data = ox.serialize([ox.Triple(q.subject, q.predicate, q.object)
                         for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())],
                        format=ox.RdfFormat.N_TRIPLES) or b""
    count = data.count(b"\n")
    separator = "&" if urlsplit(graph_store_url).query else "?"
    url = f"{graph_store_url}{separator}default"
    client = client_for(graph_store_url, auth=auth)
    try:
        resp = request(client, "PUT", url, content=data, headers={"Content-Type": "application/n-triples"},
                       timeout=timeout, what="the graph store", during="uploading the default graph")
    finally:
        client.close()
    if not 200 <= resp.status < 300:
        raise DatateamError(f"uploading the default graph (the merge of the named graphs) failed: "
                            f"{http_error(resp, url, 'the graph store')}")
    return count


def stored_triple_counts(remote: RemoteKnowledgeGraph, graphs: list[str]) -> dict[str, int]:
    """Count the triples of each named graph on a remote endpoint with one GROUP BY query."""
    values = " ".join(term_n3(URIRef(g)) for g in graphs)
    rows = remote.select("SELECT ?g (COUNT(*) AS ?n) WHERE { VALUES ?g { %s } GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
                         % values)
    return {str(r["g"]): int(r["n"]) for r in rows}


PUSH_COLUMNS = ["graph", "triples", "stored", "status"]


def render_push(rows: list[dict], fmt: str = "table") -> str:
    """push_knowledge_graph(...) rows as a table (graphs as prefixed names) or "json", "csv", "tsv" rows."""
    if fmt == "table":
        shown = [dict(r, graph=compact_iri(r["graph"])) for r in rows]
        return format_rows(shown, PUSH_COLUMNS, fmt, ["graph", "triples sent", "triples stored", "status"])
    return format_rows(rows, PUSH_COLUMNS, fmt)


def push_summary(rows: list[dict]) -> str:
    """The one line `datateam push` ends with: how many graphs and triples were sent."""
    return f"pushed {len(rows)} graph(s), {sum(r['triples'] for r in rows)} triples"


def shared_blank_nodes_warning(kg) -> str | None:
    """The warning `datateam push` gives when blank nodes span named graphs (see shared_blank_nodes), or None."""
    shared = shared_blank_nodes(kg)
    if not shared:
        return None
    return (f"warning: {shared} blank node(s) occur in several named graphs; each graph is uploaded "
            "on its own, so the server will hold them as separate nodes")
