"""A remote SPARQL 1.1 endpoint as a knowledge-graph backend (`--endpoint URL`).

`RemoteKnowledgeGraph` offers what every command needs from a backend (`select`, `ask`,
`construct`, `graph_names`, `triple_count`) with the same meaning as the embedded store: the
project's prefixes are predeclared and the default graph is the union of the named graphs (the
merge, when the server holds it: see below). It also
has `query_result(...)`, which `queries.execute.run_query` calls after its safety checks.

How the union default graph is obtained, portably (`union=`):

- "dataset": every query is sent with the SPARQL 1.1 Protocol dataset parameters, one
  `default-graph-uri` and one `named-graph-uri` per named graph of the endpoint. The protocol
  defines the default graph as the merge of the graphs listed, so this works on any conforming
  server (Oxigraph, Fuseki, GraphDB, Virtuoso) with no server setting. A query with its own
  FROM / FROM NAMED keeps its own dataset (no parameters are sent).
- "native": the query is sent as it is; use it for a server whose default graph already is the
  union (Oxigraph `serve --union-default-graph`, Fuseki with `tdb2:unionDefaultGraph true`,
  GraphDB, Amazon Neptune, `datateam serve`).
- "oxigraph": Oxigraph server's own `union-default-graph` query parameter (measured about 3x
  faster than "dataset" on Oxigraph for the heaviest named query).
- "auto" (the default): read the endpoint's SPARQL 1.1 Service Description once; if it declares
  `sd:feature sd:UnionDefaultGraph` use "native"; for an Oxigraph server (its Server header)
  "native" when its own default graph holds triples (`datateam push` writes the merge of the
  named graphs there), else "oxigraph"; for Virtuoso "dataset", its system graphs left out of
  the graph list (its own union holds them); otherwise "dataset".

The embedded store's default graph is the RDF merge of the named graphs (a set: a triple stated by
five sources is there once; graph/store/merge.py). "native" against a server holding that merge
(Oxigraph after `datateam push`, `datateam serve`) gives the same answers, row for row. "oxigraph"
and "dataset" read the union of the named graphs the way that server does: Oxigraph reads it as
a bag, so a query without DISTINCT may repeat a row once per source.
The environment variable DATATEAM_ENDPOINT_UNION overrides the default.

Query parameters are bound as terms written into the query's patterns where that means the same
(`queries.sparql.binding.bind_in_text`, so the server can use its indexes), else with a VALUES block
(`bind_as_values`), each term written by rdflib's `.n3()`; never pasted into the text. HTTP goes through graph/store/http_client.py
(httpx with one deadline per exchange). A query's time limit covers every request made for it:
the service description and the graph list asked for on the way as well as the query itself.
Answers are read by Oxigraph's parsers, strictly: an answer that is not what the protocol says
(an HTML page, JSON that is not SPARQL results, XML declaring entities, a body cut short) is
reported on one line naming the endpoint and the request, as is an unreachable endpoint, an HTTP
error (with its status and the server's first line) and a timeout (`QueryTimeoutError`).

>>> kg = RemoteKnowledgeGraph("http://127.0.0.1:7878/query")
>>> kg.select("SELECT ?r WHERE { ?r a dt:Role } LIMIT 1")   # doctest: +SKIP
[{'r': rdflib.term.URIRef('https://w3id.org/datateam-kg/role/...')}]
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import pyoxigraph as ox
from oxrdflib._converter import from_ox
from rdflib import Graph, URIRef
from rdflib.namespace import Namespace
from rdflib.term import Node

from ...ontology.namespaces import PREFIXES, bind_prefixes
from ...queries.sparql.binding import bind_as_values, bind_in_text
from ...queries.sparql.errors import QuerySyntaxError
from ...queries.sparql.lexer import tokenize
from ...queries.sparql.results import QueryResult
from ...queries.sparql.syntax import syntax_error
from ..errors import DatateamError
from .backend import count_triples
from .http_client import HttpResponse, RemoteEndpointError, client_for, deadline, request, url_for_display
from .xml_guard import refuse_entity_declarations

__all__ = ["RemoteKnowledgeGraph", "RemoteEndpointError", "HttpResponse", "check_http_url", "split_credentials",
           "http_error", "parse_results", "parse_graph", "url_for_display", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 60.0
OXIGRAPH_SYNTAX_ERROR = re.compile(r"^error at (\d+):(\d+): (.*)$", re.S)
UNION_MODES = ("auto", "dataset", "native", "oxigraph")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

# One Accept header for every query form: the server picks among the formats of its result kind.
QUERY_ACCEPT = ("application/sparql-results+json, application/n-triples;q=0.95, text/turtle;q=0.9, "
                "application/sparql-results+xml;q=0.8, application/rdf+xml;q=0.7, application/ld+json;q=0.6")
SD_ACCEPT = "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.8, application/ld+json;q=0.7"

# Response media type -> Oxigraph format, for graph results and for query results.
GRAPH_PARSERS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
RESULT_PARSERS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
}


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """Take `user:password@` out of a URL; return the clean URL and the credentials (or None).

    >>> split_credentials("http://ann:secret@host:3030/ds/sparql")
    ('http://host:3030/ds/sparql', ('ann', 'secret'))
    """
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, (unquote(parts.username), unquote(parts.password or ""))


def check_http_url(url: str, what: str = "endpoint") -> str:
    """Return `url` if it is an absolute http(s) URL with a host, else raise DatateamError naming it.

    A URL holding a space or a control character (CR, LF, ESC, ...) is refused: some parsers drop
    such characters silently and others would send or echo them raw.
    """
    bad = re.search(r"[\x00-\x20\x7f-\x9f]", url)
    if bad:
        raise DatateamError(f"{what} URL {url!r} is not valid: it holds {bad.group()!r} "
                            "(percent-encode spaces and control characters)")
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise DatateamError(f"{what} URL {url!r} is not valid: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DatateamError(f"{what} URL {url!r} is not an http:// or https:// URL with a host "
                            "(for example http://127.0.0.1:7878/query)")
    return url


def http_error(resp: HttpResponse, url: str, what: str = "the SPARQL endpoint") -> RemoteEndpointError:
    """A one-line RemoteEndpointError for a non-2xx response (status, reason, server's message)."""
    detail = resp.error_text()
    return RemoteEndpointError(
        f"{what} at {url_for_display(url)} answered HTTP {resp.status} {resp.reason}"
        + (f": {detail}" if detail else ""), resp.status)


# ---------------------------------------------------------------------------------------------
# Reading answers


def parse_results(body: bytes, media_type: str, where: str = "the answer"):
    """Parse a W3C SPARQL 1.1 Query Results document (JSON or XML) into a QueryResult (select or ask).

    Oxigraph's parsers check the format strictly (valid JSON that is not SPARQL results is refused);
    XML whose DOCTYPE declares entities is refused before parsing. Raises SyntaxError or
    DataFileError; the caller names the endpoint.
    """
    fmt = RESULT_PARSERS[media_type]
    if fmt == ox.QueryResultsFormat.XML:
        refuse_entity_declarations(body, where)
    parsed = ox.parse_query_results(body, fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return QueryResult(kind="ask", boolean=bool(parsed))
    variables = [v.value for v in parsed.variables]
    rows = [{name: from_ox(value) for name, value in zip(variables, solution) if value is not None}
            for solution in parsed]
    return QueryResult(kind="select", variables=variables, rows=rows)


def parse_graph(body: bytes, media_type: str, base: str, where: str = "the answer") -> Graph:
    """Parse an RDF document (a CONSTRUCT/DESCRIBE answer, a service description) into an rdflib Graph.

    Oxigraph's parsers read it: they never fetch anything (rdflib's JSON-LD parser would load a
    remote @context the answer names), and RDF/XML declaring entities is refused first.
    """
    fmt = GRAPH_PARSERS[media_type]
    if fmt == ox.RdfFormat.RDF_XML:
        refuse_entity_declarations(body, where)
    graph = Graph()
    bind_prefixes(graph)
    for quad in ox.parse(body, fmt, base_iri=base, rename_blank_nodes=True):
        graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    return graph


def one_line_prologue(base_iri: str | None = None) -> str:
    """The project's PREFIX declarations (and the BASE, if given) on one line, so the server's line
    numbers are off by one only."""
    base = f"BASE <{base_iri}> " if base_iri else ""
    return base + " ".join(f"PREFIX {prefix}: <{iri}>" for prefix, iri in PREFIXES.items()) + "\n"


# Graphs a Virtuoso server keeps for itself: its RDF views (virtrdf#), the LDP vocabulary, its
# service description (<http://HOST/sparql>) and WebDAV folder (<http://HOST/DAV/>).
VIRTUOSO_SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#")
_VIRTUOSO_OWN = re.compile(r"^https?://[^/]+/(sparql|DAV/?)$")


def is_virtuoso_system_graph(iri: str) -> bool:
    """True for a graph Virtuoso keeps for itself (left out of the union and the graph list).

    >>> is_virtuoso_system_graph("http://localhost:8890/DAV/"), is_virtuoso_system_graph("https://w3id.org/datateam-kg/graph/ontology")
    (True, False)
    """
    return iri.startswith(VIRTUOSO_SYSTEM_GRAPHS) or bool(_VIRTUOSO_OWN.match(iri))


def has_dataset_clause(text: str) -> bool:
    """True when the query names its own dataset (FROM or FROM NAMED as a keyword token)."""
    try:
        return any(tok.is_word("FROM") for tok in tokenize(text))
    except QuerySyntaxError:
        return False  # the server reports the syntax error


# ---------------------------------------------------------------------------------------------
# The backend


class RemoteKnowledgeGraph:
    """Read access to a knowledge graph held by a remote SPARQL 1.1 endpoint.

    endpoint_url: the query endpoint (e.g. http://127.0.0.1:7878/query for Oxigraph,
      http://host:3030/ds/sparql for Fuseki); `user:password@` in the URL or the environment
      variable DATATEAM_ENDPOINT_AUTH=user:password give HTTP Basic credentials.
    timeout: seconds allowed for each operation (a query with the service description and graph
      list it needs, connection, evaluation and transfer together); default from
      DATATEAM_ENDPOINT_TIMEOUT, else 60. An enclosing `graph.http_client.deadline(...)` that ends
      earlier wins, so one limit can cover several operations.
    union: "auto", "dataset", "native" or "oxigraph" (see the module docstring); default from
      DATATEAM_ENDPOINT_UNION, else "auto".

    Nothing is sent until the first query. Connections are reused; `close()` releases them. Safe
    to share between threads.

    >>> kg = RemoteKnowledgeGraph("http://127.0.0.1:7878/query", timeout=10)
    >>> kg.ask("ASK { role:data-engineer a dt:Role }")   # doctest: +SKIP
    True
    """

    location = None  # not an on-disk store

    def __init__(self, endpoint_url: str, timeout: float | None = None, *, union: str | None = None,
                 auth: tuple[str, str] | None = None):
        url, url_auth = split_credentials(check_http_url(endpoint_url.strip()))
        self.endpoint_url = url
        if timeout is None:
            timeout = os.environ.get("DATATEAM_ENDPOINT_TIMEOUT") or DEFAULT_TIMEOUT
        try:
            self.timeout = float(timeout)
        except ValueError:
            raise DatateamError(f"the endpoint timeout must be a number of seconds, not {timeout!r} "
                                "(check DATATEAM_ENDPOINT_TIMEOUT)") from None
        if not self.timeout > 0:
            raise DatateamError(f"the endpoint timeout must be positive, not {timeout}")
        if auth is None and url_auth is None and os.environ.get("DATATEAM_ENDPOINT_AUTH"):
            user, _, password = os.environ["DATATEAM_ENDPOINT_AUTH"].partition(":")
            auth = (user, password)
        self.auth = auth or url_auth
        union = (union or os.environ.get("DATATEAM_ENDPOINT_UNION") or "auto").strip().lower()
        if union not in UNION_MODES:
            raise DatateamError(f"union mode {union!r} is not one of {', '.join(UNION_MODES)} "
                                "(check DATATEAM_ENDPOINT_UNION)")
        self.union_setting = union
        self.description = f"remote SPARQL endpoint {url_for_display(url)}"
        self._lock = threading.Lock()
        self._union_mode: str | None = None if union == "auto" else union
        self._dataset_graphs: list[str] | None = None
        self._virtuoso = False
        self._client = None

    def __repr__(self) -> str:
        return f"RemoteKnowledgeGraph({self.endpoint_url!r}, union={self.union_setting!r})"

    # -- HTTP --------------------------------------------------------------------------------
    @property
    def client(self):
        """The httpx client (created on first use, connections reused)."""
        with self._lock:
            if self._client is None:
                self._client = client_for(self.endpoint_url, auth=self.auth)
            return self._client

    def close(self) -> None:
        """Close the connections; a later query opens new ones."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _request(self, method: str, during: str, **kwargs) -> HttpResponse:
        return request(self.client, method, self.endpoint_url, during=during, **kwargs)

    def _post_query(self, text: str, dataset: list[str] | tuple[list[str], list[str]] | None, timeout: float,
                    during: str, limit: float | None = None, union_parameter: bool = False) -> HttpResponse:
        """POST a query; `dataset` is the graph list (each as default and named graph) or a pair
        (default graphs, named graphs)."""
        fields: list[tuple[str, str]] = [("query", text)]
        if union_parameter:
            fields.append(("union-default-graph", ""))
        default, named = dataset if isinstance(dataset, tuple) else (dataset or (), dataset or ())
        for graph in default:
            fields.append(("default-graph-uri", graph))
        for graph in named:
            fields.append(("named-graph-uri", graph))
        body = urlencode(fields, quote_via=quote).encode("utf-8")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": QUERY_ACCEPT}
        resp = self._request("POST", during, content=body, headers=headers, timeout=timeout, limit=limit)
        if resp.status == 400:
            raise self._bad_request(resp, text)
        if not 200 <= resp.status < 300:
            raise http_error(resp, self.endpoint_url)
        return resp

    def _bad_request(self, resp: HttpResponse, sent: str) -> DatateamError:
        """A 400 answer: a syntax error in the user's terms when the server says where, else its message."""
        body = resp.body[:20000].decode("utf-8", "replace").strip()
        match = OXIGRAPH_SYNTAX_ERROR.match(body)
        if match and int(match.group(1)) > 1:
            user_text = sent.split("\n", 1)[1] if "\n" in sent else sent
            line, column = int(match.group(1)) - 1, int(match.group(2))  # minus the prologue line
            return syntax_error(user_text, f"error at {line}:{column}: {match.group(3)}")
        error = http_error(resp, self.endpoint_url)
        if re.search(r"\bline\b", str(error), re.I):
            error = RemoteEndpointError(f"{error} (the server counts one extra line: the predeclared prefixes)", 400)
        return error

    def _unreadable(self, resp: HttpResponse, during: str, exc: BaseException) -> RemoteEndpointError:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        detail = re.sub(r"^Parser error (at|between) line \d+ .*?: ", "", detail)
        return RemoteEndpointError(f"the SPARQL endpoint at {url_for_display(self.endpoint_url)} sent a "
                                   f"{resp.media_type or 'untyped'} answer that cannot be read while {during}: "
                                   f"{detail[:300]}", resp.status)

    def _results(self, resp: HttpResponse, during: str, graphs: bool = True):
        """The QueryResult in an answer: SPARQL results (JSON, XML) or, when `graphs`, an RDF graph."""
        media = resp.media_type
        readable = media in RESULT_PARSERS or (graphs and media in GRAPH_PARSERS)
        if not readable:
            expected = "SPARQL results or RDF" if graphs else "SPARQL results (JSON or XML)"
            raise RemoteEndpointError(f"the SPARQL endpoint at {url_for_display(self.endpoint_url)} answered with "
                                      f"{media or 'no content type'!r} while {during}, not {expected} "
                                      "(is the URL its SPARQL query endpoint?)", resp.status)
        where = f"the answer of {url_for_display(self.endpoint_url)}"
        try:
            if media in RESULT_PARSERS:
                return parse_results(resp.body, media, where)
            return QueryResult(kind="graph", graph=parse_graph(resp.body, media, self.endpoint_url, where))
        except (SyntaxError, ValueError, DatateamError) as exc:
            raise self._unreadable(resp, during, exc) from exc

    # -- the union default graph ---------------------------------------------------------------
    @property
    def union_mode(self) -> str:
        """"native", "oxigraph" or "dataset": how this endpoint gets the union default graph (asked once)."""
        with self._lock:
            mode = self._union_mode
        if mode is None:
            mode = self.detect_union_mode()
            with self._lock:
                self._union_mode = mode
        return mode

    def detect_union_mode(self) -> str:
        """Read the endpoint's Service Description and pick the union mode.

        "native" when it declares sd:UnionDefaultGraph; "oxigraph" when the server is Oxigraph (its
        `union-default-graph` parameter is much faster than listing graphs); else "dataset". An
        unreachable endpoint raises RemoteEndpointError, a slow one QueryTimeoutError.
        """
        resp = self._request("GET", "reading its service description", headers={"Accept": SD_ACCEPT},
                             timeout=self.timeout)
        server = resp.headers.get("server", "").lower()
        oxigraph = server.startswith("oxigraph/")
        if server.startswith("virtuoso/"):
            # Virtuoso declares a union default graph, but its union holds its own system graphs
            # (virtrdf#, ldp#, its service description): ask for the merge of the listed graphs.
            with self._lock:
                self._virtuoso = True
            return "dataset"
        if 200 <= resp.status < 300 and resp.media_type in GRAPH_PARSERS:
            try:
                graph = parse_graph(resp.body, resp.media_type, self.endpoint_url)
            except (SyntaxError, ValueError, DatateamError):
                graph = Graph()  # a broken (or refused) description only means "not declared"
            if (None, SD.feature, SD.UnionDefaultGraph) in graph:
                return "native"
        if oxigraph and self._default_graph_holds_data():
            return "native"
        return "oxigraph" if oxigraph else "dataset"

    def _default_graph_holds_data(self) -> bool:
        """True when the server's own default graph is not empty: `datateam push` writes the merge
        of the named graphs there, which is the default graph the project means (a set of triples,
        where the union of the named graphs is a bag)."""
        during = "looking at its default graph"
        resp = self._post_query("ASK { ?s ?p ?o }", None, self.timeout, during)
        result = self._results(resp, during, graphs=False)
        return result.kind == "ask" and bool(result.boolean)

    def _dataset_for(self, text: str) -> list[str] | None:
        if self.union_mode != "dataset" or has_dataset_clause(text):
            return None
        with self._lock:
            graphs = self._dataset_graphs
        if graphs is None:
            graphs = [str(g) for g in self.graph_names()]
            if not graphs:
                raise RemoteEndpointError(
                    f"the SPARQL endpoint at {url_for_display(self.endpoint_url)} lists no named graphs, so its "
                    "default graph cannot be made their union: load the knowledge base with `datateam push`, or, "
                    "if the server's own default graph already holds it, set DATATEAM_ENDPOINT_UNION=native")
            with self._lock:
                self._dataset_graphs = graphs
        return graphs

    # -- queries -----------------------------------------------------------------------------
    def query_result(self, text: str, bindings: Mapping[str, Node] | None = None,
                     timeout: float | None = None, *, base_iri: str | None = None,
                     default_graph: list[str] | None = None, named_graphs: list[str] | None = None):
        """Run a query on the endpoint and return a `queries.results.QueryResult`.

        text: SPARQL (the project's prefixes are predeclared). bindings: variable -> rdflib term,
        written into the patterns or added as a VALUES block. timeout: seconds (default: the backend's) for everything the query
        needs: the service description and graph list when not known yet, and the query itself.
        base_iri: sent as a BASE declaration. default_graph / named_graphs: a protocol dataset,
        sent as default-graph-uri / named-graph-uri instead of the union.
        Raises RemoteEndpointError, QueryTimeoutError or QueryParameterError.
        """
        if bindings:
            text = bind_in_text(text, bindings) or bind_as_values(text, bindings)
        timeout = self.timeout if timeout is None else float(timeout)
        given = default_graph is not None or named_graphs is not None
        with deadline(timeout):
            dataset = (default_graph or [], named_graphs or []) if given else self._dataset_for(text)
            union_parameter = self.union_mode == "oxigraph" and not given and not has_dataset_clause(text)
            during = "running the query"
            resp = self._post_query(one_line_prologue(base_iri) + text, dataset, timeout, during,
                                    union_parameter=union_parameter)
        return self._results(resp, during)

    # -- the backend contract ----------------------------------------------------------------
    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[dict[str, Node]]:
        """Run a SELECT query; one dict per solution, variable name -> rdflib term (unbound absent)."""
        result = self.query_result(query, bindings)
        if result.kind != "select":
            raise TypeError("select() needs a SELECT query")
        return result.rows

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        """Run an ASK query and return its answer."""
        result = self.query_result(query, bindings)
        if result.kind != "ask":
            raise TypeError("ask() needs an ASK query")
        return bool(result.boolean)

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query and return the triples as an rdflib Graph."""
        result = self.query_result(query, bindings)
        if result.kind != "graph":
            raise TypeError("construct() needs a CONSTRUCT or DESCRIBE query")
        return result.graph

    def graph_names(self) -> list[URIRef]:
        """The IRIs of the endpoint's named graphs, sorted (asked without dataset parameters).

        `GRAPH ?g { }` is asked first (cheap); a server that answers it with a row binding no
        graph (Virtuoso) or with none is asked `GRAPH ?g { ?s ?p ?o }`, grouped by ?g: Virtuoso 7.2
        turns the DISTINCT form of that query into its SPARQL_SELECT_KNOWN_GRAPHS procedure, which
        takes about 1.6 s even on a small database, where GROUP BY takes milliseconds. A Virtuoso
        server's own system graphs are left out (VIRTUOSO_SYSTEM_GRAPHS).
        """
        names = self._graph_list("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        if names is None:
            names = self._graph_list("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g") or []
        if self.union_mode == "dataset" and self._virtuoso:
            names = [g for g in names if not is_virtuoso_system_graph(str(g))]
        return sorted(names)

    def _graph_list(self, text: str) -> list[URIRef] | None:
        """The graphs a listing query gives, or None when its answer lists none (or unbound rows)."""
        during = "listing its named graphs"
        resp = self._post_query(one_line_prologue() + text, None, self.timeout, during)
        result = self._results(resp, during, graphs=False)
        if result.kind != "select":
            raise RemoteEndpointError(f"the SPARQL endpoint at {url_for_display(self.endpoint_url)} answered "
                                      f"a yes/no result while {during}, not a list of graphs")
        names = [URIRef(r["g"]) for r in result.rows if isinstance(r.get("g"), URIRef)]
        if not names or len(names) < len(result.rows):
            return None
        return names

    def triple_count(self, graph: URIRef | None = None) -> int:
        """Count the triples in one named graph (0 if empty), or the distinct triples of the union."""
        return count_triples(self, graph)
