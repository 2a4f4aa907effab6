"""Running a SPARQL query safely: checks first, then evaluation under a time limit that really stops it.

`run_query(kg, text, ...)` is the one entry point the CLI, the endpoint and notebooks use:

1. queries/safety.py inspects the query's tokens: SERVICE and LOAD are refused, FROM / FROM NAMED
   must name the store's own graphs, updates need `allow_update`, unknown prefixes are reported,
   text over 1 MB is refused. Nothing has been evaluated when one of these errors is raised.
2. Parameters are bound as RDF terms: Oxigraph substitutions when every bound variable is
   projected, otherwise a VALUES block written with rdflib's `.n3()` (queries/binding.py); a
   rewritten text is checked again before it goes anywhere.
3. With `reasoning`, the query runs on a copy of the store that also holds the RDFS or OWL 2 RL
   entailments (queries/reasoning.py).
4. A local store is queried in a forked worker process that cannot open a network connection
   (queries/sandbox.py) and is killed when the time limit passes (queries/worker.py); an on-disk
   store is reopened read-only in the worker. Any other backend (a remote endpoint) is asked
   through its `query_result(text, timeout=)` method, with parameters already written into the
   checked text.

Updates (only with `allow_update`) run in the calling process as one transaction, on a thread
that cannot open a network connection either: Oxigraph applies all of an update or none of it.
The time limit does not apply to them.

>>> result = run_query(kg, "SELECT ?r WHERE { ?r a dt:Role } ORDER BY ?r LIMIT 1")
>>> result.kind, result.variables
('select', ['r'])
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from oxrdflib._converter import to_ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from ..ontology.namespaces import PREFIXES, bind_prefixes
from . import sandbox
from .binding import bind_as_values, check_variable_name
from .errors import QueryError, QueryParameterError, QuerySyntaxError, UnsafeQueryError
from .lexer import token_at
from .results import QueryResult
from .safety import QueryInfo, inspect_query
from .worker import WorkerFailed, run_in_worker

DEFAULT_TIMEOUT = 30.0
REASONING_MODES = ("none", "rdfs", "owlrl")

__all__ = ["DEFAULT_TIMEOUT", "REASONING_MODES", "run_query", "is_local", "normalise_bindings"]


def is_local(kg) -> bool:
    """True for a knowledge graph held in a local Oxigraph store (in memory or on disk)."""
    return isinstance(getattr(kg, "store", None), ox.Store)


def normalise_bindings(bindings: Mapping[str, Any] | None) -> dict[str, Node]:
    """Variable names without ?/$ mapped to rdflib terms; plain Python values become literals."""
    out: dict[str, Node] = {}
    for name, value in (bindings or {}).items():
        key = check_variable_name(name)
        if isinstance(value, (URIRef, Literal, BNode)):
            out[key] = value
        elif isinstance(value, (str, int, float, bool)):
            out[key] = Literal(value)
        else:
            raise QueryParameterError(f"cannot bind ?{key} to {value!r}: give an rdflib URIRef or Literal")
    return out


def run_query(kg, text: str, *, bindings: Mapping[str, Any] | None = None, timeout: float | None = DEFAULT_TIMEOUT,
              reasoning: str = "none", allow_update: bool = False, max_rows: int | None = None) -> QueryResult:
    """Run a SPARQL query (or, with allow_update, an update) and return a QueryResult.

    kg: a KnowledgeGraph (local, in memory or on disk) or any backend with `query_result`.
    text: the query; the project's prefixes are predeclared.
    bindings: variable name -> rdflib term (IRI or literal), bound as RDF terms.
    timeout: seconds before evaluation is stopped (None: no limit).
    reasoning: "none", "rdfs" or "owlrl" (local stores only).
    allow_update: accept SPARQL Update (the caller checks that the store is the user's own).
    max_rows: cut SELECT results (and CONSTRUCT triples) after this many; `truncated` says so.

    Raises UnsafeQueryError, QuerySyntaxError, QueryTimeoutError, QueryParameterError or
    QueryError; nothing is evaluated when the checks fail.

    >>> run_query(kg, "ASK { role:data-engineer dt:usesTool tool:apache-airflow }").boolean
    True
    """
    if reasoning not in REASONING_MODES:
        raise QueryError(f"unknown reasoning {reasoning!r}; use one of {', '.join(REASONING_MODES)}")
    if timeout is not None and timeout <= 0:
        raise QueryError(f"the time limit must be a positive number of seconds, not {timeout}")
    if max_rows is not None and max_rows < 0:
        raise QueryError("max_rows must not be negative")
    values = normalise_bindings(bindings)

    def store_graphs() -> list[str]:  # asked only when the query names graphs with FROM/USING
        graphs = [str(g) for g in kg.graph_names()]
        if reasoning != "none":
            from .reasoning import INFERRED_GRAPH

            graphs.append(str(INFERRED_GRAPH))
        return graphs

    info = inspect_query(text, store_graphs, allow_update=allow_update)
    if info.is_update:
        if values:
            raise QueryParameterError("parameters cannot be bound in an update")
        if reasoning != "none":
            raise QueryError("--reasoning applies to queries, not to updates")
        return run_update(kg, text)

    if not is_local(kg):
        if reasoning != "none":
            raise QueryError("--reasoning needs the embedded store or a --store directory; a remote endpoint "
                             "does its own reasoning, if any")
        result = kg.query_result(text, bindings=values or None, timeout=timeout)
        return _cap(result, max_rows)

    target = kg
    if reasoning != "none":
        from .reasoning import reasoned_graph

        target = reasoned_graph(kg, reasoning, timeout=timeout)
    query_text, substitutions = _prepare(text, info, values)
    if query_text != text:
        inspect_query(query_text, store_graphs)
    from .pool import warm_workers
    from .snapshot import worker_location

    pool = warm_workers(kg) if target is kg else None
    if pool is not None:
        try:
            payload = pool.evaluate(query_text, text, substitutions, not info.has_dataset_clause, max_rows, timeout)
        except WorkerFailed as exc:
            raise _engine_error(text, exc) from None
        if payload is not None:
            return _result_from_payload(payload)
    return evaluate_local(target.store, worker_location(target), query_text, original=text,
                          substitutions=substitutions, union=not info.has_dataset_clause,
                          timeout=timeout, max_rows=max_rows)


def _prepare(text: str, info: QueryInfo, values: dict[str, Node]) -> tuple[str, dict]:
    """Choose how to bind: substitutions when the engine accepts them, else a VALUES block."""
    if not values:
        return text, {}
    projected = info.projection
    if info.form == "select" and projected is not None and not set(values) <= set(projected):
        return bind_as_values(text, values), {}
    return text, {ox.Variable(k): to_ox(v) for k, v in values.items()}


def _cap(result: QueryResult, max_rows: int | None) -> QueryResult:
    if max_rows is None:
        return result
    if result.kind == "select" and len(result.rows) > max_rows:
        result.rows = result.rows[:max_rows]
        result.truncated = True
    elif result.kind == "graph" and result.graph is not None and len(result.graph) > max_rows:
        kept = Graph()
        bind_prefixes(kept)
        for i, triple in enumerate(sorted(result.graph)):
            if i >= max_rows:
                break
            kept.add(triple)
        result.graph, result.truncated = kept, True
    return result


# -- local evaluation in a worker -----------------------------------------------------------------

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


_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.S)


def syntax_error(text: str, message: str) -> QuerySyntaxError:
    """Turn Oxigraph's parser message into a QuerySyntaxError with line, column and the token there."""
    m = _POSITION.match(message.strip())
    if not m:
        return QuerySyntaxError(f"invalid SPARQL: {message.splitlines()[0] if message else 'syntax error'}")
    line, column, rest = int(m.group(1)), int(m.group(2)), m.group(3)
    token = token_at(text, line, column)
    if token is None:
        # Oxigraph's parser reports the farthest point it reached, which for some mistakes is the end
        # of the text; rdflib's parser usually stops where the mistake is.
        located = _rdflib_position(text)
        if located is not None:
            line, column, token = located
            return QuerySyntaxError(f"line {line}, column {column}: unexpected {token!r}{_expected(rest)}",
                                    line, column, token)
    found = f"unexpected {token!r}" if token is not None else "unexpected end of the query"
    return QuerySyntaxError(f"line {line}, column {column}: {found}{_expected(rest)}", line, column, token)


def _rdflib_position(text: str) -> tuple[int, int, str] | None:
    """Where rdflib's SPARQL parser (which only parses, never evaluates) finds the first mistake."""
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from pyparsing import ParseException

    parse = parseUpdate if query_is_update(text) else parseQuery
    try:
        parse(text)
    except ParseException as exc:
        token = token_at(text, exc.lineno, exc.col)
        if token is not None:
            return exc.lineno, exc.col, token
    except Exception:  # rdflib rejects what it cannot read in many ways; Oxigraph's message stands then
        return None
    return None


def query_is_update(text: str) -> bool:
    from .safety import query_form

    return query_form(text) == "update"


def _expected(rest: str) -> str:
    rest = " ".join(rest.split())
    if "Prefix not found" in rest:
        return " (unknown prefix)"
    m = re.match(r"expected (one of )?(.*)", rest)
    if not m:
        return f" ({rest})" if rest else ""
    items = [i.strip() for i in re.split(r",\s*(?![^\[]*\])", m.group(2))]
    words = [i for i in items if re.fullmatch(r"[A-Za-z_]+|'[^']*'|\"[^\"]*\"", i)]
    if not words:
        return ""
    shown = ", ".join(words[:10]) + (", ..." if len(words) > 10 else "")
    return f"; expected {'one of ' if len(words) > 1 else ''}{shown}"


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


# -- updates ---------------------------------------------------------------------------------------

def run_update(kg, text: str) -> QueryResult:
    """Apply a (checked) SPARQL Update to a local store in one transaction; report triple counts.

    The update runs on a thread that cannot open a network connection (queries/sandbox.py), so
    even a LOAD or SERVICE that got past the checks fails there.
    Returns a QueryResult of kind "update" with one row: triples_before, triples_after.
    """
    store = getattr(kg, "store", None)
    if not isinstance(store, ox.Store):
        raise QueryError("updates can only be applied to a local store (--store DIR)")
    before = len(store)
    try:
        sandbox.call_walled(lambda: store.update(text, prefixes=PREFIXES))
    except SyntaxError as exc:
        raise syntax_error(text, str(exc)) from None
    except (OSError, RuntimeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if _WALL_STOPPED in first:
            raise UnsafeQueryError(_WALL_MESSAGE + "; nothing was changed") from None
        raise QueryError(f"the update failed and nothing was changed: {first}") from None
    if hasattr(store, "flush"):
        store.flush()
    after = len(store)
    from .pool import retire_warm_workers
    from .reasoning import forget
    from .snapshot import forget_snapshot

    forget(kg)
    forget_snapshot(kg)
    retire_warm_workers(kg)
    return QueryResult("update", variables=["triples_before", "triples_after"],
                       rows=[{"triples_before": Literal(before), "triples_after": Literal(after)}])
