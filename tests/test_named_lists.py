"""Every GROUP_CONCAT list of the named queries comes sorted, whatever order the store yields."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from datateam.graph.store.factory import load_knowledge_graph
from datateam.graph.store.memory import KnowledgeGraph
from datateam.queries.engine.execute import run_query
from datateam.queries.named.library import list_named_queries, run_named_query
from datateam.queries.named.lists import concatenations, runnable_text

WITH_LISTS = [q for q in list_named_queries() if concatenations(q.text)]


@pytest.fixture(scope="module")
def kg():
    return load_knowledge_graph()


@pytest.fixture(scope="module")
def reversed_kg(kg):
    """The same quads, added in the opposite order and graph by graph: another layout of the store."""
    store = ox.Store()
    quads = [q for q in kg.store.quads_for_pattern(None, None, None, None) if not isinstance(q.graph_name, ox.DefaultGraph)]
    fresh = KnowledgeGraph(store)
    for quad in reversed(quads):
        fresh.add_quads([quad])
    return fresh


def test_every_group_concat_of_the_library_is_found():
    found = sum(len(concatenations(q.text)) for q in list_named_queries())
    written = sum(q.text.count("GROUP_CONCAT") for q in list_named_queries())
    assert found == written == 25


def test_the_separator_is_swapped_and_nothing_else():
    text = 'SELECT (GROUP_CONCAT(DISTINCT ?l; separator=", ") AS ?labels) WHERE { ?s rdfs:label ?l }'
    assert runnable_text(text) == 'SELECT (GROUP_CONCAT(DISTINCT ?l; separator="\x1f") AS ?labels) WHERE { ?s rdfs:label ?l }'


@pytest.mark.parametrize("query", WITH_LISTS, ids=lambda q: q.name)
def test_lists_are_sorted(kg, query):
    result = run_named_query(kg, query)
    lists = concatenations(query.text)
    seen = 0
    for row in result.rows:
        for column, separator in lists:
            if column in row:
                parts = str(row[column]).split(separator)
                assert parts == sorted(parts), (column, parts)
                seen += len(parts) > 1
    if query.name not in ("common-technical-skills",):  # no role shares a technical skill widely enough
        assert seen, "some row has a list of more than one value"


@pytest.mark.parametrize("query", WITH_LISTS, ids=lambda q: q.name)
def test_the_same_lists_from_another_store_layout(kg, reversed_kg, query):
    assert run_named_query(reversed_kg, query).serialize("csv") == run_named_query(kg, query).serialize("csv")


def test_tools_in_category_lists_its_roles_exactly(kg):
    from datateam.queries.named.library import load_named_query

    rows = run_named_query(kg, load_named_query("tools-in-category")).rows
    python = next(r for r in rows if str(r["tool_label"]) == "Python")
    expected = sorted(str(r["l"]) for r in run_query(kg, """
        SELECT DISTINCT ?l WHERE { ?r dt:usesTool tool:python ; skos:prefLabel ?l }"""
    ).rows)
    assert str(python["roles"]) == ", ".join(expected)
    assert str(python["roles"]).startswith("DevOps engineer, ML engineer, data analyst")
