"""A remote SPARQL 1.1 endpoint as a knowledge-graph backend (`--endpoint URL`).

`RemoteKnowledgeGraph` offers what every command needs from a backend (`select`, `ask`,
`construct`, `graph_names`, `triple_count`) with the same meaning as the embedded store: the
project's prefixes are predeclared and the default graph is the union of the named graphs. It also
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
  `sd:feature sd:UnionDefaultGraph` use "native", else "oxigraph" when the server says it is
  Oxigraph (its Server header), otherwise "dataset".
The environment variable DATATEAM_ENDPOINT_UNION overrides the default.

Query parameters are bound with `queries.binding.bind_as_values` (a VALUES block with each term
written by rdflib's `.n3()`), never pasted into the text. Network trouble is reported on one line:
an unreachable endpoint, an HTTP error (with its status and the server's first line), a timeout
(`QueryTimeoutError`; the whole exchange, not each socket read, is bounded by the time limit).

>>> kg = RemoteKnowledgeGraph("http://127.0.0.1:7878/query")
>>> kg.select("SELECT ?r WHERE { ?r a dt:Role } LIMIT 1")   # doctest: +SKIP
[{'r': rdflib.term.URIRef('https://w3id.org/datateam-kg/role/...')}]
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import Namespace
from rdflib.term import Node

from ..ontology.namespaces import PREFIXES, bind_prefixes
from .errors import DatateamError

DEFAULT_TIMEOUT = 60.0
OXIGRAPH_SYNTAX_ERROR = re.compile(r"^error at (\d+):(\d+): (.*)$", re.S)
UNION_MODES = ("auto", "dataset", "native", "oxigraph")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
USER_AGENT = "datateam-kg (SPARQL 1.1 Protocol client)"

# One Accept header for every query form: the server picks among the formats of its result kind.
QUERY_ACCEPT = ("application/sparql-results+json, application/n-triples;q=0.95, text/turtle;q=0.9, "
                "application/sparql-results+xml;q=0.8, application/rdf+xml;q=0.7, application/ld+json;q=0.6")
SD_ACCEPT = "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.8, application/ld+json;q=0.7"

# Response media type -> rdflib parser name, for graph results.
GRAPH_PARSERS = {
    "application/n-triples": "nt",
    "text/plain": "nt",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


class RemoteEndpointError(DatateamError):
    """The remote endpoint could not be reached or answered with an error.

    `status` is the HTTP status (None when no answer came back).
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class HttpResponse:
    """A complete HTTP response: status, reason, headers (lower-case names) and body bytes."""

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower case ("" when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def error_text(self) -> str:
        """The first non-empty line of the body (servers put their message there), shortened."""
        text = self.body[:4000].decode("utf-8", "replace")
        for line in text.splitlines():
            line = " ".join(line.split())
            if line and not line.lower().startswith(("<!doctype", "<html", "<head", "<title")):
                return line[:300]
        return ""


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
    """Return `url` if it is an absolute http(s) URL with a host, else raise DatateamError naming it."""
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise DatateamError(f"{what} URL {url!r} is not valid: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DatateamError(f"{what} URL {url!r} is not an http:// or https:// URL with a host "
                            "(for example http://127.0.0.1:7878/query)")
    return url


def basic_auth_header(credentials: tuple[str, str] | None) -> dict[str, str]:
    """The Authorization header for HTTP Basic credentials (empty dict when there are none)."""
    if not credentials:
        return {}
    token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def http_request(method: str, url: str, *, body: bytes | io.IOBase | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT,
                 what: str = "the SPARQL endpoint", limit: float | None = None) -> HttpResponse:
    """Send one HTTP request and read the whole answer within `timeout` seconds in total.

    body: bytes or a binary file (streamed; give Content-Length in `headers`). limit: the time
    limit to name in the timeout message, when `timeout` is what is left of it.
    Returns the response whatever its status. Raises RemoteEndpointError when the host cannot be
    reached and QueryTimeoutError when the exchange takes longer than `timeout` (the connection is
    closed, so the time limit holds even for a server that sends its answer slowly).
    """
    from ..queries.errors import QueryTimeoutError

    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    deadline = time.monotonic() + timeout
    conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    kwargs = {"context": ssl.create_default_context()} if parts.scheme == "https" else {}
    conn = conn_cls(parts.hostname, parts.port, timeout=timeout, **kwargs)
    all_headers = {"User-Agent": USER_AGENT, "Connection": "close", **(headers or {})}

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline")
        return left

    try:
        conn.connect()
        sock = conn.sock
        sock.settimeout(remaining())
        conn.request(method, path, body=body, headers=all_headers)
        sock.settimeout(remaining())
        resp = conn.getresponse()
        chunks = []
        while True:
            sock.settimeout(remaining())
            chunk = resp.read1(1 << 16) if hasattr(resp, "read1") else resp.read(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        headers_out = {k.lower(): v for k, v in resp.getheaders()}
        return HttpResponse(resp.status, resp.reason, headers_out, b"".join(chunks))
    except (socket.timeout, TimeoutError) as exc:
        limit = timeout if limit is None else limit
        raise QueryTimeoutError(f"{what} at {url_for_display(url)} did not answer within {limit:g} s "
                                "(raise the limit with --timeout)", limit) from exc
    except ssl.SSLError as exc:
        raise RemoteEndpointError(f"TLS error talking to {what} at {url_for_display(url)}: {exc.reason or exc}") from exc
    except (ConnectionError, OSError, http.client.HTTPException) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else (str(exc) or type(exc).__name__)
        raise RemoteEndpointError(f"cannot reach {what} at {url_for_display(url)}: {reason}") from exc
    finally:
        conn.close()


def url_for_display(url: str) -> str:
    """The URL without query string or credentials (for messages)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def http_error(resp: HttpResponse, url: str, what: str = "the SPARQL endpoint") -> RemoteEndpointError:
    """A one-line RemoteEndpointError for a non-2xx response (status, reason, server's message)."""
    detail = resp.error_text()
    return RemoteEndpointError(
        f"{what} at {url_for_display(url)} answered HTTP {resp.status} {resp.reason}"
        + (f": {detail}" if detail else ""), resp.status)


# ---------------------------------------------------------------------------------------------
# Result parsing


def term_from_json(value: Mapping) -> Node:
    """One RDF term of the W3C SPARQL 1.1 Query Results JSON format, as an rdflib term."""
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text)
    if kind in ("literal", "typed-literal"):
        lang = value.get("xml:lang")
        if lang:
            return Literal(text, lang=lang)
        datatype = value.get("datatype")
        return Literal(text, datatype=URIRef(datatype) if datatype else None)
    raise ValueError(f"unsupported RDF term type {kind!r} in the results")


def parse_results_json(body: bytes):
    """Parse SPARQL 1.1 Query Results JSON into a QueryResult (select or ask)."""
    from ..queries.results import QueryResult

    doc = json.loads(body.decode("utf-8"))
    if "boolean" in doc:
        return QueryResult(kind="ask", boolean=bool(doc["boolean"]))
    variables = list(doc.get("head", {}).get("vars", []))
    rows = []
    for binding in doc.get("results", {}).get("bindings", []):
        rows.append({name: term_from_json(value) for name, value in binding.items()})
    return QueryResult(kind="select", variables=variables, rows=rows)


def parse_results_xml(body: bytes):
    """Parse SPARQL Query Results XML into a QueryResult (select or ask), with rdflib's parser."""
    from rdflib.query import Result

    from ..queries.results import QueryResult

    result = Result.parse(io.BytesIO(body), format="xml")
    if result.type == "ASK":
        return QueryResult(kind="ask", boolean=bool(result.askAnswer))
    variables = [str(v) for v in result.vars or []]
    rows = [{str(k): v for k, v in binding.items() if v is not None} for binding in result.bindings]
    return QueryResult(kind="select", variables=variables, rows=rows)


def parse_graph(body: bytes, media_type: str, base: str) -> Graph:
    """Parse an RDF document returned by a CONSTRUCT/DESCRIBE query into an rdflib Graph."""
    graph = Graph()
    bind_prefixes(graph)
    graph.parse(data=body, format=GRAPH_PARSERS[media_type], publicID=base)
    return graph


def one_line_prologue() -> str:
    """The project's PREFIX declarations on one line, so the server's line numbers are off by one only."""
    return " ".join(f"PREFIX {prefix}: <{iri}>" for prefix, iri in PREFIXES.items()) + "\n"


def has_dataset_clause(text: str) -> bool:
    """True when the query names its own dataset (FROM or FROM NAMED as a keyword token)."""
    from ..queries.lexer import tokenize
    from ..queries.errors import QuerySyntaxError

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
    timeout: seconds allowed for each query (connection, evaluation and transfer together);
      default from DATATEAM_ENDPOINT_TIMEOUT, else 60.
    union: "auto", "dataset", "native" or "oxigraph" (see the module docstring); default from
      DATATEAM_ENDPOINT_UNION, else "auto".

    Nothing is sent until the first query. Safe to share between threads.

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
        if self.timeout <= 0:
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

    def __repr__(self) -> str:
        return f"RemoteKnowledgeGraph({self.endpoint_url!r}, union={self.union_setting!r})"

    # -- the protocol ------------------------------------------------------------------------
    def _post_query(self, text: str, dataset: list[str] | None, timeout: float,
                    limit: float | None = None, union_parameter: bool = False) -> HttpResponse:
        fields: list[tuple[str, str]] = [("query", text)]
        if union_parameter:
            fields.append(("union-default-graph", ""))
        for graph in dataset or ():
            fields.append(("default-graph-uri", graph))
        for graph in dataset or ():
            fields.append(("named-graph-uri", graph))
        body = urlencode(fields, quote_via=quote).encode("utf-8")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                   "Accept": QUERY_ACCEPT, **basic_auth_header(self.auth)}
        resp = http_request("POST", self.endpoint_url, body=body, headers=headers, timeout=timeout, limit=limit)
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
            from ..queries.execute import syntax_error

            user_text = sent.split("\n", 1)[1] if "\n" in sent else sent
            line, column = int(match.group(1)) - 1, int(match.group(2))  # minus the prologue line
            return syntax_error(user_text, f"error at {line}:{column}: {match.group(3)}")
        error = http_error(resp, self.endpoint_url)
        if re.search(r"\bline\b", str(error), re.I):
            error = RemoteEndpointError(f"{error} (the server counts one extra line: the predeclared prefixes)", 400)
        return error

    @property
    def union_mode(self) -> str:
        """"native", "oxigraph" or "dataset": how this endpoint gets the union default graph (asked once)."""
        with self._lock:
            if self._union_mode is None:
                self._union_mode = self.detect_union_mode()
            return self._union_mode

    def detect_union_mode(self) -> str:
        """Read the endpoint's Service Description and pick the union mode.

        "native" when it declares sd:UnionDefaultGraph; "oxigraph" when the server is Oxigraph (its
        `union-default-graph` parameter is much faster than listing graphs); else "dataset". An
        unreachable endpoint raises RemoteEndpointError.
        """
        headers = {"Accept": SD_ACCEPT, **basic_auth_header(self.auth)}
        resp = http_request("GET", self.endpoint_url, headers=headers, timeout=self.timeout)
        oxigraph = resp.headers.get("server", "").lower().startswith("oxigraph/")
        if 200 <= resp.status < 300 and resp.media_type in GRAPH_PARSERS:
            try:
                graph = parse_graph(resp.body, resp.media_type, self.endpoint_url)
            except Exception:  # noqa: BLE001 - a broken description only means "not declared"
                graph = Graph()
            if (None, SD.feature, SD.UnionDefaultGraph) in graph:
                return "native"
        return "oxigraph" if oxigraph else "dataset"

    def _dataset_for(self, text: str) -> list[str] | None:
        if self.union_mode != "dataset" or has_dataset_clause(text):
            return None
        with self._lock:
            graphs = self._dataset_graphs
        if graphs is None:
            graphs = [str(g) for g in self.graph_names()]
            with self._lock:
                self._dataset_graphs = graphs
        return graphs

    def query_result(self, text: str, bindings: Mapping[str, Node] | None = None,
                     timeout: float | None = None):
        """Run a query on the endpoint and return a `queries.results.QueryResult`.

        text: SPARQL (the project's prefixes are predeclared). bindings: variable -> rdflib term,
        added as a VALUES block. timeout: seconds (default: the backend's). Raises
        RemoteEndpointError, QueryTimeoutError or QueryParameterError.
        """
        from ..queries.results import QueryResult

        if bindings:
            from ..queries.binding import bind_as_values

            text = bind_as_values(text, bindings)
        timeout = self.timeout if timeout is None else float(timeout)
        deadline = time.monotonic() + timeout
        dataset = self._dataset_for(text)
        union_parameter = self.union_mode == "oxigraph" and not has_dataset_clause(text)
        left = max(deadline - time.monotonic(), 0.001)
        resp = self._post_query(one_line_prologue() + text, dataset, left, limit=timeout,
                                union_parameter=union_parameter)
        media = resp.media_type
        try:
            if media in ("application/sparql-results+json", "application/json"):
                return parse_results_json(resp.body)
            if media in ("application/sparql-results+xml", "application/xml", "text/xml"):
                return parse_results_xml(resp.body)
            if media in GRAPH_PARSERS:
                return QueryResult(kind="graph", graph=parse_graph(resp.body, media, self.endpoint_url))
        except Exception as exc:  # noqa: BLE001 - reported as one line naming the endpoint
            raise RemoteEndpointError(
                f"the SPARQL endpoint at {url_for_display(self.endpoint_url)} sent a {media} answer that "
                f"cannot be read: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
        raise RemoteEndpointError(f"the SPARQL endpoint at {url_for_display(self.endpoint_url)} answered with "
                                  f"an unsupported content type {media or '(none)'!r}")

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
        """The IRIs of the endpoint's named graphs, sorted (asked without dataset parameters)."""
        resp = self._post_query(one_line_prologue() + "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", None, self.timeout)
        result = parse_results_json(resp.body) if resp.media_type.endswith("json") else parse_results_xml(resp.body)
        return sorted(URIRef(r["g"]) for r in result.rows if isinstance(r.get("g"), URIRef))

    def triple_count(self, graph: URIRef | None = None) -> int:
        """Count the triples in one named graph, or the distinct triples of the union when `graph` is None."""
        if graph is None:
            query = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
            return int(self.select(query)[0]["n"])
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        rows = self.select(query, {"g": URIRef(graph)})
        return int(rows[0]["n"]) if rows else 0
