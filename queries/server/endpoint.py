"""`datateam serve`: a read-only SPARQL 1.1 Protocol endpoint with an offline query page.

Routes:
  GET  /sparql?query=...        a query (SPARQL 1.1 Protocol, query via GET)
  POST /sparql                  a query as application/x-www-form-urlencoded (`query=`) or as an
                                application/sparql-query body
  GET  /sparql                  (no query) the SPARQL 1.1 Service Description, Turtle by default
  GET  /                        the query page (editor, named queries, result table, downloads)
  GET  /assets/page.js|page.css the page's script and style (served by us: no CDN)
  GET  /assets/editor.js        the page's SPARQL editor (CodeMirror, bundled by `make editor`)
  GET  /api/info                what the page needs to know (JSON)
  GET  /api/queries             the named queries of the library, with their text (JSON)
  GET  /api/queries/NAME?k=v    run a named query with parameters (negotiated like /sparql)
  GET  /api/vocabulary          the store's classes and properties, for the editor's completion (JSON)
  GET  /api/show?iri=IRI        `datateam show <IRI>`: JSON, or its text table with format=text
  GET  /explorer                the explorer page (from --explorer FILE, or generated)
  GET  /api/similar, /api/overlap, /api/transition, /api/coverage, /api/handoffs
                                the analyses as JSON (queries/server/analysis_api.py)

This module is the endpoint's logic, independent of sockets: `SparqlEndpoint.handle(Request) ->
Response`. Every query runs through `queries.execute.run_query` - the same safety checks, time
limit and row cap as `datateam query` - so SERVICE, LOAD, FROM naming other graphs and updates are
refused before evaluation. Results follow the Accept header (q-values honoured; 406 when nothing
fits); a non-standard `format=csv|tsv|json|xml|ttl|nt|jsonld` parameter overrides it when the
format fits the result (download links use it). Errors are one plain-text line: 400 for syntax
errors and refused queries, 403 for SPARQL Update, 503 when the time limit stops a query, 502 when
a remote backend fails.

The HTTP side is uvicorn with Starlette: queries/server/http_server.py (sockets, malformed requests,
timeouts, connection caps), queries/server/application.py (Host and cross-origin checks, bounded bodies,
per-client turns), queries/engine/limits.py (every bound in one place). `make_server` binds it all.

>>> server = make_server(load_knowledge_graph(), port=0)          # doctest: +SKIP
>>> threading.Thread(target=server.serve_forever).start()         # doctest: +SKIP
>>> server.url                                                     # doctest: +SKIP
'http://127.0.0.1:43817/'
"""

from __future__ import annotations

import functools
import json
import re
import sys
import threading
import traceback
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl

from ... import __version__
from ...graph.defaults import SERVER_MAX_ROWS, SERVER_PORT
from ...graph.errors import AmbiguousNameError, DatateamError, NameNotFoundError
from ...ontology.namespaces import PREFIXES
from ..engine.limits import HttpLimits
from ..engine.worker import WorkerCrashed
from ..named.library import bind_parameters, list_named_queries, load_named_query, run_named_query
from ..sparql.errors import QueryParameterError, QuerySyntaxError, QueryTimeoutError, UnsafeQueryError
from ..sparql.results import MEDIA_TYPES
from . import negotiation as neg
from .analysis_api import ROUTES as ANALYSIS_ROUTES
from .analysis_api import AnalysisApi
from .page_data import describe_iri, vocabulary
from .service_description import service_description

DEFAULT_PORT = SERVER_PORT
DEFAULT_MAX_ROWS = SERVER_MAX_ROWS
DEFAULT_MAX_CONCURRENT = 8
DEFAULT_WARM_WORKERS = 4
PAGE_ASSETS = {"page.js": "text/javascript; charset=utf-8", "page.css": "text/css; charset=utf-8",
               "editor.js": "text/javascript; charset=utf-8"}
# The query page may talk to this server only: no CDN, no other host, no inline script.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# The explorer page inlines its script and styles; it still may not reach any other host.
EXPLORER_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:; "
                "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'")
UPDATE_REFUSED = "this endpoint is read-only: SPARQL Update is refused"


@dataclass
class Request:
    """An HTTP request as the endpoint sees it: method, path, query-string pairs, headers, body."""

    method: str
    path: str
    params: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    """An HTTP response: status, headers and body bytes."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def text_response(status: int, message: str, **headers: str) -> Response:
    """A plain-text response of one line (error messages are plain words)."""
    return Response(status, (message.rstrip("\n") + "\n").encode("utf-8"), headers=dict(headers))


class EndpointConfig:
    """The endpoint's settings.

    timeout: seconds per query; max_rows: cap on SELECT rows / CONSTRUCT triples; cors: send
    Access-Control-Allow-* headers and let pages of other origins run queries; explorer: an HTML
    file to serve at /explorer (else the page is generated when the explorer module is installed);
    max_concurrent: queries evaluated at once (of these, one client address may hold
    `limits.client_queries`; more wait in a bounded queue, beyond it 503); warm_workers: worker
    processes forked in advance for a local store (queries.pool; 0: fork one per query);
    log: print one line per request on stderr; allow_hosts: extra names the Host header may give
    (--allow-host); limits: the HTTP layer's bounds (queries.limits.HttpLimits).
    """

    def __init__(self, *, timeout: float | None = None, max_rows: int | None = DEFAULT_MAX_ROWS, cors: bool = False,
                 explorer: str | Path | None = None, max_concurrent: int = DEFAULT_MAX_CONCURRENT,
                 warm_workers: int = DEFAULT_WARM_WORKERS, log: bool = True, allow_hosts=(),
                 limits: HttpLimits | None = None):
        from ..engine.execute import DEFAULT_TIMEOUT  # lazy: start-up time (rdflib)

        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        if not self.timeout > 0:
            raise DatateamError(f"--timeout must be a positive number of seconds, not {timeout}")
        if max_rows is not None and max_rows < 1:
            raise DatateamError(f"--max-rows must be at least 1, not {max_rows}")
        if max_concurrent < 1:
            raise DatateamError("at least one query must be allowed to run at a time")
        self.max_rows = max_rows
        self.cors = cors
        self.explorer = Path(explorer) if explorer else None
        if self.explorer is not None and not self.explorer.is_file():
            raise DatateamError(f"{self.explorer}: no such file (--explorer expects the HTML file "
                                "`datateam explore -o FILE` wrote)")
        self.max_concurrent = max_concurrent
        self.warm_workers = max(0, int(warm_workers))
        self.log = log
        self.allow_hosts = tuple(allow_hosts)
        self.limits = limits or HttpLimits()


# Routes answered from memory, without the backend: served on the event loop, no turn needed.
STATIC_PATHS = frozenset({"/", "/index.html", "/favicon.ico"})


class SparqlEndpoint:
    """The endpoint's logic, independent of sockets: `handle(Request) -> Response`.

    kg: any knowledge-graph backend (embedded, --store or --endpoint). Thread-safe. `handle`
    evaluates a query in the calling thread's worker process (queries/engine/worker.py), which is tied to
    that thread: call it from a thread that outlives the query (the HTTP layer uses long-lived
    query threads).
    """

    def __init__(self, kg, config: EndpointConfig | None = None):
        self.kg = kg
        self.config = config or EndpointConfig()
        self._lock = threading.Lock()
        self._graphs: list[str] | None = None
        self._description_counts: tuple[dict[str, int], int] | None = None
        self._explorer_html: bytes | None = None
        self._analyses = None
        self._vocabulary: dict | None = None

    @staticmethod
    def runs_query(method: str, path: str, params: list[tuple[str, str]]) -> bool:
        """True when a request to `path` would evaluate a query (or try to change data)."""
        if path == "/sparql":
            return method == "POST" or any(k in ("query", "update") for k, _ in params)
        return path.startswith("/api/queries/") or path == "/api/show" or path in ANALYSIS_ROUTES

    @staticmethod
    def is_static(request: Request) -> bool:
        """True for requests answered from memory (the page, its assets, OPTIONS), which never
        reach the backend and so need no query thread."""
        if request.method == "OPTIONS":
            return True
        return request.method in ("GET", "HEAD") and (request.path in STATIC_PATHS
                                                     or request.path.startswith("/assets/"))

    # -- dispatch ------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Answer one request; never raises (unexpected errors become a 500 with a one-line message)."""
        try:
            response = self._route(request)
        except DatateamError as exc:
            response = text_response(400, str(exc))
        except MemoryError:
            response = text_response(503, "the request needed more memory than the server may use "
                                          "(--memory-limit); try a smaller one")
        except Exception as exc:  # noqa: BLE001 - reported to the client and logged with its traceback
            traceback.print_exc(file=sys.stderr)
            response = text_response(500, f"internal error: {type(exc).__name__}: {exc}")
        if self.config.cors:
            response.headers.update({
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Accept, Content-Type",
                "Access-Control-Expose-Headers": "X-Datateam-Truncated",
                "Access-Control-Max-Age": "600",
            })
        return response

    def _route(self, request: Request) -> Response:
        path = request.path
        method = request.method
        if method == "OPTIONS":
            return Response(204, b"", headers={"Allow": "GET, HEAD, POST, OPTIONS"})
        if path == "/sparql":
            if method not in ("GET", "HEAD", "POST"):
                return self._not_allowed("GET, HEAD, POST, OPTIONS")
            return self._sparql(request)
        if method not in ("GET", "HEAD"):
            return self._not_allowed("GET, HEAD, OPTIONS")
        if path in ("/", "/index.html"):
            return self._page()
        if path.startswith("/assets/"):
            return self._asset(path[len("/assets/"):])
        if path == "/api/info":
            return self._json(self.info())
        if path == "/api/queries":
            return self._json(self.named_queries())
        if path.startswith("/api/queries/"):
            return self._run_named(request, path[len("/api/queries/"):])
        if path == "/api/vocabulary":
            return self._vocabulary_response()
        if path == "/api/show":
            return self._show(request)
        if path in ANALYSIS_ROUTES:
            return self._analysis(request)
        if path == "/explorer":
            return self._explorer()
        if path == "/favicon.ico":
            return Response(204, b"")
        return text_response(404, f"no such page: {_printable(path)} (the SPARQL endpoint is /sparql, the query page is /)")

    @staticmethod
    def _not_allowed(allow: str) -> Response:
        return text_response(405, f"method not allowed here; use {allow.replace(', OPTIONS', '')}", Allow=allow)

    # -- the SPARQL 1.1 Protocol --------------------------------------------------------------
    def _sparql(self, request: Request) -> Response:
        params = list(request.params)
        query_text: str | None = None
        if request.method == "POST":
            header = request.header("content-type") or ""
            ctype = header.split(";")[0].strip().lower()
            charset = re.search(r";\s*charset\s*=\s*\"?([^\";\s]+)", header, re.I)
            if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
                return text_response(415, f"the body must be UTF-8, not {_printable(charset.group(1))}")
            if ctype == "application/x-www-form-urlencoded":
                try:
                    form = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True,
                                     max_num_fields=self.config.limits.max_params)
                except UnicodeDecodeError:
                    return text_response(400, "the form body is not UTF-8")
                except ValueError:
                    return text_response(400, f"too many form fields (at most {self.config.limits.max_params})")
                params += form
            elif ctype == "application/sparql-query":
                try:
                    query_text = request.body.decode("utf-8")
                except UnicodeDecodeError:
                    return text_response(400, "the query body is not UTF-8")
                if any(k in ("query", "update") for k, _ in params):
                    return text_response(400, "a query sent as application/sparql-query must not also have a "
                                              "query= or update= parameter")
            elif ctype == "application/sparql-update":
                return text_response(403, UPDATE_REFUSED)
            else:
                return text_response(415, f"unsupported Content-Type {ctype or '(none)'!r}: send the query as "
                                          "application/x-www-form-urlencoded (query=...) or application/sparql-query")
        if any(k == "update" for k, _ in params):
            return text_response(403, UPDATE_REFUSED)
        queries = [v for k, v in params if k == "query"]
        if query_text is None:
            if len(queries) > 1:
                return text_response(400, "give exactly one query= parameter")
            if not queries:
                if request.method == "POST":
                    return text_response(400, "the request has no query= parameter")
                return self._description(request)
            query_text = queries[0]
        default_graph, named_graphs, problem = self._dataset(params)
        if problem:
            return text_response(400, problem)
        fmt_name = _last(params, "format")
        accept = request.header("accept")
        if not fmt_name and not neg.acceptable_anything(accept):
            return self._not_acceptable(accept)
        base = self._base_url(request) + "sparql"
        return self._evaluate(lambda: self._run(query_text, base_iri=base, default_graph=default_graph,
                                                named_graphs=named_graphs), accept, fmt_name)

    def _run(self, text: str, bindings=None, *, base_iri: str, default_graph=None, named_graphs=None):
        from ..engine.execute import run_query  # lazy: start-up time (rdflib)

        return run_query(self.kg, text, bindings=bindings, timeout=self.config.timeout,
                         max_rows=self.config.max_rows, base_iri=base_iri, default_graph=default_graph,
                         named_graphs=named_graphs)

    def _evaluate(self, run, accept: str | None, fmt_name: str | None) -> Response:
        """Run a query (in this thread's worker) and write its result in the negotiated format."""
        from ...graph.store.remote import RemoteEndpointError  # lazy: start-up time (rdflib, httpx)

        try:
            result = run()
        except QueryTimeoutError as exc:
            return text_response(503, f"query timed out: {exc}", **{"Retry-After": "5"})
        except UnsafeQueryError as exc:
            return text_response(400, f"query refused: {exc}")
        except QuerySyntaxError as exc:
            return text_response(400, f"syntax error: {exc}")
        except (QueryParameterError, NameNotFoundError, AmbiguousNameError) as exc:
            return text_response(400, f"bad parameter: {exc}")
        except RemoteEndpointError as exc:
            return text_response(502, f"the remote store failed: {exc}")
        except WorkerCrashed as exc:
            return text_response(500, f"query stopped: {exc}")
        offer = neg.override(fmt_name, result.kind)
        if offer is None:
            offer = neg.choose(accept, neg.offers_for(result.kind))
        if offer is None:
            return self._not_acceptable(accept, result.kind)
        body = result.serialize(offer.fmt)
        headers = {"Vary": "Accept"}
        if result.truncated:
            headers["X-Datateam-Truncated"] = str(self.config.max_rows)
        return Response(200, body, _content_type(offer), headers)

    def close(self) -> None:
        """Release what the endpoint holds (nothing today: the HTTP layer owns the threads)."""

    def _not_acceptable(self, accept: str | None, kind: str | None = None) -> Response:
        offers = neg.offers_for(kind) if kind else None
        types = [o.media_type for o in offers] if offers else neg.all_media_types()
        what = {"graph": "a CONSTRUCT/DESCRIBE result is", "select": "a SELECT result is",
                "ask": "an ASK result is"}.get(kind or "", "query results are")
        return text_response(406, f"cannot answer with any type in Accept: {accept!r}; {what} available as "
                                  f"{', '.join(dict.fromkeys(types))}")

    def _dataset(self, params: list[tuple[str, str]]) -> tuple[list[str] | None, list[str] | None, str | None]:
        """The protocol dataset of a request: (default graphs, named graphs, problem).

        Both lists are None when the request gives no default-graph-uri / named-graph-uri (the
        query's FROM, or the store's default graph, the merge of its named graphs, applies). Given,
        they replace the query's FROM / FROM NAMED, as the SPARQL 1.1 Protocol says; a list left
        out is empty. They may name only graphs the endpoint holds: problem is the message for the
        400 answer otherwise.
        """
        default = list(dict.fromkeys(v for k, v in params if k == "default-graph-uri"))
        named = list(dict.fromkeys(v for k, v in params if k == "named-graph-uri"))
        if not default and not named:
            return None, None, None
        graphs = set(self.graph_names())
        for kind, given in (("default-graph-uri", default), ("named-graph-uri", named)):
            unknown = [g for g in given if g not in graphs]
            if unknown:
                return None, None, (f"{kind} {_printable(unknown[0])!r} names no graph of this endpoint, which does "
                                    "not fetch data from elsewhere; its graphs are listed by GET /sparql "
                                    "(the service description) and /api/info")
        return default, named, None

    def graph_names(self) -> list[str]:
        """The named graphs of the knowledge graph (asked once)."""
        with self._lock:
            if self._graphs is None:
                self._graphs = [str(g) for g in self.kg.graph_names()]
            return list(self._graphs)

    # -- the service description ---------------------------------------------------------------
    def _description(self, request: Request) -> Response:
        offer = neg.choose(request.header("accept"), neg.DESCRIPTION_OFFERS)
        if offer is None:
            return text_response(406, "the service description is available as "
                                      + ", ".join(dict.fromkeys(o.media_type for o in neg.DESCRIPTION_OFFERS)))
        with self._lock:
            cached = self._description_counts
        if cached is None:
            counts = {str(g): self.kg.triple_count(g) for g in self.kg.graph_names()}
            cached = (counts, self.kg.triple_count())
            with self._lock:
                self._description_counts = cached
        graph = service_description(self.kg, self._base_url(request) + "sparql", cached[0], cached[1])
        body = graph.serialize(format=offer.fmt)
        return Response(200, body.encode("utf-8") if isinstance(body, str) else body,
                        neg.content_type(offer.media_type), {"Vary": "Accept"})

    @staticmethod
    def _base_url(request: Request) -> str:
        host = request.header("host") or "127.0.0.1"
        if not re.fullmatch(r"[A-Za-z0-9.\-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?", host):
            host = "127.0.0.1"
        return f"http://{host}/"

    # -- the page and its data -----------------------------------------------------------------
    def _page(self) -> Response:
        html = _asset_bytes("index.html")
        return Response(200, html, "text/html; charset=utf-8", _page_headers(PAGE_CSP))

    def _asset(self, name: str) -> Response:
        if name not in PAGE_ASSETS:
            return text_response(404, f"no such asset: {_printable(name)}")
        return Response(200, _asset_bytes(name), PAGE_ASSETS[name], _page_headers(PAGE_CSP))

    def info(self) -> dict:
        """What the query page shows about the server (JSON-ready)."""
        return {
            "name": "datateam-kg",
            "version": __version__,
            "endpoint": "/sparql",
            "backend": getattr(self.kg, "description", type(self.kg).__name__),
            "timeout": self.config.timeout,
            "max_rows": self.config.max_rows,
            "explorer": "/explorer" if self._explorer_available() else None,
            "graphs": self.graph_names(),
            "prefixes": PREFIXES,
            "attributions": self._attributions(),
        }

    def _attributions(self) -> list[str]:
        """Attribution lines of the imported frameworks (ESCO, O*NET) this server's data includes."""
        from ...graph.importers import attributions  # lazy: start-up time (rdflib)

        return attributions(self.kg)

    def named_queries(self) -> list[dict]:
        """The named queries of the library: name, title, description, params, examples and text."""
        return [dict(q.as_dict(), text=q.text) for q in list_named_queries()]

    def _run_named(self, request: Request, name: str) -> Response:

        try:
            query = load_named_query(name)
        except DatateamError as exc:
            return text_response(404, str(exc))
        given = {k: v for k, v in request.params if k != "format"}
        fmt_name = _last(request.params, "format")
        accept = request.header("accept")
        if not fmt_name and not neg.acceptable_anything(accept):
            return self._not_acceptable(accept)

        base = self._base_url(request) + "sparql"

        def run():

            return run_named_query(self.kg, query, bind_parameters(self.kg, query, given),
                                   timeout=self.config.timeout, max_rows=self.config.max_rows, base_iri=base)

        return self._evaluate(run, accept, fmt_name)

    def _analysis(self, request: Request) -> Response:
        with self._lock:
            if self._analyses is None:
                self._analyses = AnalysisApi(self.kg)
            api = self._analyses
        status, body = api.handle(request.path, list(request.params))
        return Response(status, body, "application/json")

    def vocabulary(self) -> dict:
        """The store's classes and properties, for the editor's completion (asked once)."""
        with self._lock:
            cached = self._vocabulary
        if cached is None:
            cached = vocabulary(self.kg)
            with self._lock:
                self._vocabulary = cached
        return cached

    def _vocabulary_response(self) -> Response:
        from ...graph.store.remote import RemoteEndpointError  # lazy: start-up time (rdflib, httpx)

        try:
            return self._json(self.vocabulary())
        except RemoteEndpointError as exc:
            return text_response(502, f"the remote store failed: {exc}")

    def _show(self, request: Request) -> Response:
        """`datateam show` for the entity an IRI names: its JSON, or (format=text) its text table."""
        from ...graph.store.remote import RemoteEndpointError  # lazy: start-up time (rdflib, httpx)

        iris = [v for k, v in request.params if k == "iri"]
        if len(iris) != 1:
            return text_response(400, "give exactly one iri= parameter (the IRI of a role, skill, tool, ...)")
        fmt = _last(request.params, "format") or "json"
        if fmt not in ("json", "text"):
            return text_response(400, f"format={_printable(fmt)!r}: use json or text")
        try:
            text = describe_iri(self.kg, iris[0], "table" if fmt == "text" else "json")
        except (NameNotFoundError, AmbiguousNameError) as exc:
            return text_response(404, str(exc))
        except RemoteEndpointError as exc:
            return text_response(502, f"the remote store failed: {exc}")
        if fmt == "text":
            return Response(200, text.encode("utf-8"))
        return Response(200, text.encode("utf-8"), "application/json")

    def _explorer_available(self) -> bool:
        if self.config.explorer is not None:
            return True
        try:
            from ...graph import explorer  # noqa: F401
        except ImportError:
            return False
        return hasattr(explorer, "explorer_html")

    def _explorer(self) -> Response:
        if self.config.explorer is not None:
            try:
                html = self.config.explorer.read_bytes()
            except OSError as exc:
                return text_response(500, f"cannot read the explorer page {self.config.explorer}: {exc.strerror}")
            return Response(200, html, "text/html; charset=utf-8", _page_headers(EXPLORER_CSP))
        if not self._explorer_available():
            return text_response(404, "no explorer page: start the server with --explorer FILE "
                                      "(written by `datateam explore -o FILE`)")
        with self._lock:
            html = self._explorer_html
        if html is None:
            from ...graph.explorer import explorer_html  # lazy: start-up time (networkx, scipy, jinja2)

            html = explorer_html(self.kg, served=True).encode("utf-8")
            with self._lock:
                self._explorer_html = html
        return Response(200, html, "text/html; charset=utf-8", _page_headers(EXPLORER_CSP))

    @staticmethod
    def _json(data) -> Response:
        return Response(200, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
                        "application/json")


def _printable(text: str, limit: int = 200) -> str:
    """`text` for a one-line message: control characters escaped, cut at `limit` characters."""
    if text.isprintable() and len(text) <= limit:
        return text
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


def _last(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    return values[-1] if values else None


def _content_type(offer: neg.Offer) -> str:

    declared = MEDIA_TYPES.get(offer.fmt, "")
    if declared.split(";")[0].strip() == offer.media_type:
        return declared
    return neg.content_type(offer.media_type)


def _page_headers(csp: str) -> dict[str, str]:
    return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache"}


@functools.lru_cache(maxsize=None)
def _asset_bytes(name: str) -> bytes:
    return resources.files("datateam.queries.server").joinpath("page", name).read_bytes()
