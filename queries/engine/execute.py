"""Running a SPARQL query safely: checks first, then evaluation under a time limit that really stops it.

`run_query(kg, text, ...)` is the one entry point the CLI, the endpoint and notebooks use:

1. queries/sparql/safety.py inspects the query's tokens: SERVICE and LOAD are refused, FROM / FROM NAMED
   must name the store's own graphs, updates need `allow_update`, unknown prefixes are reported,
   text over 1 MB is refused. Nothing has been evaluated when one of these errors is raised.
2. Parameters are bound as RDF terms (queries/sparql/binding.py): written into the query's patterns
   token by token where that means the same (`bind_in_text`), else Oxigraph substitutions when
   every bound variable is projected, else a VALUES block written with rdflib's `.n3()`; a
   rewritten text is checked again before it goes anywhere.
3. With `reasoning`, the query runs on a copy of the store that also holds the RDFS or OWL 2 RL
   entailments (queries/engine/reasoning.py).
4. A local store is queried in a forked worker process that cannot open a network connection
   (queries/engine/sandbox.py) and is killed when the time limit passes (queries/engine/worker.py); an on-disk
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

from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
from oxrdflib._converter import to_ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ...graph.store.merge import named_quad_count, outside_named_graphs, rebuild_default_graph
from ...ontology.namespaces import PREFIXES, bind_prefixes
from ..sparql.binding import bind_as_values, bind_in_text, check_variable_name
from ..sparql.errors import QueryError, QueryParameterError, UnsafeQueryError
from ..sparql.results import QueryResult
from ..sparql.safety import QueryInfo, inspect_query
from ..sparql.syntax import syntax_error
from . import sandbox
from .evaluate import (
    _WALL_MESSAGE,
    _WALL_STOPPED,
    DEFAULT_TIMEOUT,
    _engine_error,
    _result_from_payload,
    evaluate_local,
    query_options,
)
from .pool import retire_warm_workers, warm_workers
from .reasoning import INFERRED_GRAPH, forget, reasoned_graph
from .snapshot import forget_snapshot, worker_location
from .worker import WorkerFailed

REASONING_MODES = ("none", "rdfs", "owlrl")
# Relative IRIs in a query (`<s>`) are resolved against this base unless the caller gives another
# (the endpoint gives its own URL) or the query declares one with BASE.
DEFAULT_BASE_IRI = "https://w3id.org/datateam-kg/"

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_BASE_IRI", "REASONING_MODES", "run_query", "is_local", "normalise_bindings"]


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
              reasoning: str = "none", allow_update: bool = False, max_rows: int | None = None,
              base_iri: str | None = DEFAULT_BASE_IRI, default_graph: list[str] | None = None,
              named_graphs: list[str] | None = None) -> QueryResult:
    """Run a SPARQL query (or, with allow_update, an update) and return a QueryResult.

    kg: a KnowledgeGraph (local, in memory or on disk) or any backend with `query_result`.
    text: the query; the project's prefixes are predeclared.
    bindings: variable name -> rdflib term (IRI or literal), bound as RDF terms.
    timeout: seconds before evaluation is stopped (None: no limit).
    reasoning: "none", "rdfs" or "owlrl" (local stores only).
    allow_update: accept SPARQL Update (the caller checks that the store is the user's own).
    max_rows: cut SELECT results (and CONSTRUCT triples) after this many; `truncated` says so.
    base_iri: the base relative IRIs are resolved against (None: relative IRIs are errors).
    default_graph / named_graphs: a dataset given beside the query (the SPARQL Protocol's
    default-graph-uri / named-graph-uri): graph IRIs of the store, replacing the query's FROM /
    FROM NAMED. Without them the default graph is the RDF merge of the store's named graphs.

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
            graphs.append(str(INFERRED_GRAPH))
        return graphs

    info = inspect_query(text, store_graphs, allow_update=allow_update, base_iri=base_iri)
    if info.is_update:
        if values:
            raise QueryParameterError("parameters cannot be bound in an update")
        if reasoning != "none":
            raise QueryError("--reasoning applies to queries, not to updates")
        if default_graph is not None or named_graphs is not None:
            raise QueryError("a dataset (default-graph-uri / named-graph-uri) applies to queries, not to updates")
        return run_update(kg, text, base_iri=base_iri)
    if default_graph is not None or named_graphs is not None:
        _check_protocol_dataset(store_graphs(), default_graph, named_graphs)

    if not is_local(kg):
        if reasoning != "none":
            raise QueryError("--reasoning needs the embedded store or a --store directory; a remote endpoint "
                             "does its own reasoning, if any")
        result = kg.query_result(text, bindings=values or None, timeout=timeout, base_iri=base_iri,
                                 default_graph=default_graph, named_graphs=named_graphs)
        return _cap(result, max_rows)

    target = kg
    if reasoning != "none":
        target = reasoned_graph(kg, reasoning, timeout=timeout)
    query_text, substitutions = _prepare(text, info, values)
    if query_text != text:
        inspect_query(query_text, store_graphs, base_iri=base_iri)
    options = query_options(base_iri=base_iri, default_graph=default_graph, named_graphs=named_graphs,
                            from_graphs=info.from_graphs, from_named_graphs=info.from_named_graphs)
    if target is kg:  # the graphs listed are all the store's: its default graph is their merge already
        options["default_is_all"] = (set(default_graph or ()) or set(info.from_graphs)) == set(
            str(g) for g in kg.graph_names())

    pool = warm_workers(kg) if target is kg else None
    if pool is not None:
        try:
            payload = pool.evaluate(query_text, text, substitutions, options, max_rows, timeout)
        except WorkerFailed as exc:
            raise _engine_error(text, exc) from None
        if payload is not None:
            return _result_from_payload(payload)
    return evaluate_local(target.store, worker_location(target), query_text, original=text,
                          substitutions=substitutions, options=options, timeout=timeout, max_rows=max_rows)


def _check_protocol_dataset(graphs: list[str], default_graph: list[str] | None,
                            named_graphs: list[str] | None) -> None:
    """A protocol dataset may name only graphs the store holds (nothing is fetched from elsewhere)."""
    known = set(graphs)
    for kind, given in (("default-graph-uri", default_graph), ("named-graph-uri", named_graphs)):
        unknown = [g for g in given or () if g not in known]
        if unknown:
            raise UnsafeQueryError(f"{kind} <{unknown[0]}> names no graph of this store, and a query may not fetch "
                                   "data from elsewhere (GET /sparql lists the store's graphs)")


def _prepare(text: str, info: QueryInfo, values: dict[str, Node]) -> tuple[str, dict]:
    """Choose how to bind: the terms written into the query's patterns where that is exact, else
    substitutions when the engine accepts them, else a VALUES block.

    Oxigraph joins a substitution or a VALUES block only after evaluating the whole pattern, so
    on a store with ESCO a bound role costs seconds; written into the pattern it is an index look-up.
    SELECT * keeps the substitution: its columns come in the order the pattern names them.
    """
    if not values:
        return text, {}
    projected = info.projection
    if not (info.form == "select" and projected is None):
        rewritten = bind_in_text(text, values)
        if rewritten is not None:
            return rewritten, {}
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


# -- updates ---------------------------------------------------------------------------------------

def run_update(kg, text: str, *, base_iri: str | None = DEFAULT_BASE_IRI) -> QueryResult:
    """Apply a (checked) SPARQL Update to a local store in one transaction; report quad counts.

    The update runs on a thread that cannot open a network connection (queries/engine/sandbox.py), so
    even a LOAD or SERVICE that got past the checks fails there. The default graph is the merge of
    the named graphs: it is made again afterwards, so an update changes named graphs (GRAPH,
    WITH); triples it writes to the default graph alone are dropped, and the result says how many.
    Returns a QueryResult of kind "update" with one row: triples_before, triples_after (quads in
    the named graphs) and, when there were any, dropped_from_default.
    """
    store = getattr(kg, "store", None)
    if not isinstance(store, ox.Store):
        raise QueryError("updates can only be applied to a local store (--store DIR)")
    before = named_quad_count(store)
    try:
        sandbox.call_walled(lambda: store.update(text, prefixes=PREFIXES, base_iri=base_iri))
    except SyntaxError as exc:
        raise syntax_error(text, str(exc)) from None
    except (OSError, RuntimeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if _WALL_STOPPED in first:
            raise UnsafeQueryError(_WALL_MESSAGE + "; nothing was changed") from None
        raise QueryError(f"the update failed and nothing was changed: {first}") from None
    dropped = outside_named_graphs(store)
    rebuild_default_graph(store)
    if hasattr(store, "flush"):
        store.flush()
    after = named_quad_count(store)

    forget(kg)
    forget_snapshot(kg)
    retire_warm_workers(kg)
    row = {"triples_before": Literal(before), "triples_after": Literal(after)}
    if dropped:
        row["dropped_from_default"] = Literal(dropped)
    return QueryResult("update", variables=list(row), rows=[row])
