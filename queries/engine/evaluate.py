"""Evaluating a checked query on a local Oxigraph store, in a worker process killed at the time limit.

The worker sends its answer back as plain tuples (terms encoded by `_encode`); the parent turns
them into a QueryResult. Used by `run_query` (a forked worker per query) and by the warm workers of
queries/engine/pool.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from ...ontology.namespaces import PREFIXES, bind_prefixes
from ..sparql.errors import QueryError, QueryParameterError, UnsafeQueryError
from ..sparql.results import QueryResult
from ..sparql.syntax import syntax_error
from .worker import WorkerFailed, run_in_worker
from ...graph.defaults import QUERY_TIMEOUT

DEFAULT_TIMEOUT = QUERY_TIMEOUT

def _encode(term) -> tuple:
    if isinstance(term, ox.NamedNode):
        return ("u", term.value)
    if isinstance(term, ox.BlankNode):
        return ("b", term.value)
    if isinstance(term, ox.Literal):
        return ("l", term.value, term.language, term.datatype.value)
    if isinstance(term, ox.Triple):
        return ("t", _encode(term.subject), _encode(term.predicate), _encode(term.object))
    raise TypeError(f"unexpected term {term!r}")


_XSD_STRING = str(XSD.string)


def _decode(enc: tuple):
    kind = enc[0]
    if kind == "u":
        return URIRef(enc[1])
    if kind == "l":
        _, value, lang, datatype = enc
        if lang:
            return Literal(value, lang=lang)
        if datatype == _XSD_STRING:
            return Literal(value)
        # keep the lexical form exactly as stored (rdflib would rewrite "1500" as a double to "1500.0")
        return Literal(value, datatype=URIRef(datatype), normalize=False)
    if kind == "b":
        return BNode(enc[1])
    return (_decode(enc[1]), _decode(enc[2]), _decode(enc[3]))


def _evaluate_in_child(store: ox.Store, location: Path | None, text: str, original: str, substitutions: dict,
                       union: bool, max_rows: int | None):
    if location is None:
        return _evaluate_on(store, text, original, substitutions, union, max_rows)
    # A store this process also holds open for writing may be compacting right after a write; a
    # read-only view opened at that moment can miss a file. That passes within moments: try again
    # (the parent's time limit still applies).
    for attempt in range(8):
        try:
            return _evaluate_on(ox.Store.read_only(str(location)), text, original, substitutions, union, max_rows)
        except OSError as exc:
            if "No such file" not in str(exc) or attempt == 7:
                raise
            time.sleep(0.05 * (attempt + 1))


def _evaluate_on(store: ox.Store, text: str, original: str, substitutions: dict, union: bool,
                 max_rows: int | None):
    try:
        result = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=union,
                             substitutions=substitutions or None)
    except SyntaxError as exc:
        if text != original:
            # Report the position in the text the user wrote, not in the rewritten one (an empty
            # store parses it and has nothing to evaluate it on).
            try:
                ox.Store().query(original, prefixes=PREFIXES)
            except SyntaxError as first:
                raise first from None
        raise exc
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows, truncated = [], False
        for i, solution in enumerate(result):
            if max_rows is not None and i >= max_rows:
                truncated = True
                break
            rows.append(tuple(None if value is None else _encode(value) for value in solution))
        return ("select", names, rows, truncated)
    if isinstance(result, ox.QueryBoolean):
        return ("ask", bool(result))
    triples, truncated = [], False
    for i, triple in enumerate(result):
        if max_rows is not None and i >= max_rows:
            truncated = True
            break
        triples.append(triple)
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) if triples else b""
    return ("graph", data, truncated)


def evaluate_local(store: ox.Store, location: Path | None, text: str, *, original: str | None = None,
                   substitutions: dict | None = None, union: bool = True, timeout: float | None = DEFAULT_TIMEOUT,
                   max_rows: int | None = None) -> QueryResult:
    """Evaluate an already checked query on a local Oxigraph store in a worker process.

    store: the store (in memory, inherited by the forked worker). location: the store's directory
    when it is on disk (the worker reopens it read-only). union: default graph = union of all graphs
    (False when the query names its dataset with FROM). Returns a QueryResult.
    """
    original = text if original is None else original
    try:
        payload = run_in_worker(
            lambda: _evaluate_in_child(store, location, text, original, substitutions or {}, union, max_rows),
            timeout, what="the query")
    except WorkerFailed as exc:
        raise _engine_error(original, exc) from None
    return _result_from_payload(payload)


def _result_from_payload(payload: tuple) -> QueryResult:
    kind = payload[0]
    if kind == "select":
        _, names, rows, truncated = payload
        with _quiet_rdflib_terms():
            decoded = [{name: _decode(value) for name, value in zip(names, row) if value is not None}
                       for row in rows]
        return QueryResult("select", variables=names, rows=decoded, truncated=truncated)
    if kind == "ask":
        return QueryResult("ask", boolean=payload[1])
    _, data, truncated = payload
    graph = Graph()
    bind_prefixes(graph)
    if data:
        with _quiet_rdflib_terms():
            for triple in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
                graph.add(tuple(_decode(_encode(t)) for t in (triple.subject, triple.predicate, triple.object)))
    return QueryResult("graph", graph=graph, truncated=truncated)


class _quiet_rdflib_terms:
    """rdflib logs a warning with a traceback for every ill-typed literal ("x"^^xsd:integer) it
    builds; the literal itself is kept as it is, so the warning is only noise on the terminal."""

    _lock = threading.Lock()
    _active = 0
    _saved_level = 0

    def __enter__(self):
        import logging

        cls = type(self)
        with cls._lock:
            logger = logging.getLogger("rdflib.term")
            if cls._active == 0:
                cls._saved_level = logger.level
                logger.setLevel(logging.ERROR)
            cls._active += 1

    def __exit__(self, *exc):
        import logging

        cls = type(self)
        with cls._lock:
            cls._active -= 1
            if cls._active == 0:
                logging.getLogger("rdflib.term").setLevel(cls._saved_level)


# What Oxigraph's HTTP client reports when the network wall denies it a socket.
_WALL_STOPPED = "Operation not permitted (os error 1)"
_WALL_MESSAGE = ("the query tried to open a network connection (SERVICE or LOAD) and was stopped: queries may not "
                 "reach the network")


def _engine_error(text: str, exc: WorkerFailed) -> QueryError:
    if exc.kind == "SyntaxError":
        return syntax_error(text, exc.message)
    first = exc.message.splitlines()[0] if exc.message else exc.kind
    if _WALL_STOPPED in first:
        return UnsafeQueryError(_WALL_MESSAGE)
    if "SELECT projection" in first:
        return QueryParameterError(f"cannot bind a parameter: {first}")
    return QueryError(f"the query failed: {first}")
