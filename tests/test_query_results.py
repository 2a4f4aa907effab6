"""Query results in the W3C formats, checked against Oxigraph's own serializers and parsers.

The same query runs once through `run_query` (worker process, rdflib terms, our writers) and once
directly on pyoxigraph (its own writers); the outputs must mean the same, and for CSV and TSV be the
same bytes.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from datateam.graph.store.memory import KnowledgeGraph
from datateam.ontology.namespaces import PREFIXES
from datateam.queries.sparql.errors import QueryError
from datateam.queries.engine.execute import run_query
from datateam.queries.sparql.results import ALL_FORMATS, MEDIA_TYPES, QueryResult, choose_format, compact_iri, tsv_term

E = "http://example.org/"
G = ox.NamedNode("https://w3id.org/datateam-kg/graph/user/test")


def lit(value, datatype=None, language=None):
    return ox.Literal(value, datatype=ox.NamedNode(str(datatype)) if datatype else None, language=language)


TRICKY = [
    lit("plain"),
    lit('quote " comma , and\nnew line\tand tab'),
    lit("hé ünïcode ✓", language="fr"),
    lit("en-GB text", language="en-gb"),
    lit("42", XSD.integer),
    lit("-7", XSD.integer),
    lit("1.50", XSD.decimal),
    lit("1.5e3", XSD.double),
    lit("true", XSD.boolean),
    lit("2024-03-27", XSD.date),
    lit("not a number", XSD.integer),
    ox.NamedNode(E + "thing?x=1&y=%3C2%3E"),
    ox.BlankNode("b0"),
]


@pytest.fixture(scope="module")
def small():
    store = ox.Store()
    for i, value in enumerate(TRICKY):
        store.add(ox.Quad(ox.NamedNode(f"{E}s{i:02d}"), ox.NamedNode(E + "p"), value, G))
    store.add(ox.Quad(ox.BlankNode("b0"), ox.NamedNode(E + "p"), lit("on a blank node"), G))
    return KnowledgeGraph(store)


SELECT = f"SELECT ?s ?o ?missing WHERE {{ ?s <{E}p> ?o OPTIONAL {{ ?s <{E}nothing> ?missing }} }} ORDER BY STR(?s)"
FORMATS = {"csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
           "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML}


def direct(kg, text):
    return kg.store.query(text, prefixes=PREFIXES)  # the default graph: the merge


def solutions(data: bytes, fmt) -> list[dict]:
    parsed = ox.parse_query_results(data, format=fmt)
    names = [v.value for v in parsed.variables]
    return [{n: str(v) for n, v in zip(names, s) if v is not None} for s in parsed]


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_select_means_the_same_as_oxigraphs_own_output(small, fmt):
    ours = run_query(small, SELECT).serialize(fmt)
    theirs = direct(small, SELECT).serialize(format=FORMATS[fmt])
    assert solutions(ours, FORMATS[fmt]) == solutions(theirs, FORMATS[fmt])
    assert len(solutions(ours, FORMATS[fmt])) == len(TRICKY) + 1


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_csv_and_tsv_are_byte_for_byte_oxigraphs(small, fmt):
    ours = run_query(small, SELECT).serialize(fmt)
    theirs = direct(small, SELECT).serialize(format=FORMATS[fmt])
    assert ours == theirs


def test_csv_follows_rfc_4180(small):
    text = run_query(small, SELECT).serialize("csv").decode("utf-8")
    assert text.startswith("s,o,missing\r\n")
    assert '"quote "" comma , and\nnew line\tand tab"' in text
    import csv

    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["s", "o", "missing"] and len(parsed) == len(TRICKY) + 2


def test_tsv_terms_by_hand():
    assert tsv_term(Literal("42", datatype=XSD.integer)) == "42"
    assert tsv_term(Literal("1.50", datatype=XSD.decimal)) == "1.50"
    assert tsv_term(Literal("x", datatype=XSD.integer)) == '"x"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert tsv_term(Literal("a\tb", lang="en")) == '"a\\tb"@en'
    assert tsv_term(URIRef(E + "x")) == f"<{E}x>"
    assert tsv_term(BNode("b1")) == "_:b1"


def test_json_follows_the_w3c_results_format(small):
    doc = json.loads(run_query(small, SELECT).serialize("json"))
    assert doc["head"] == {"vars": ["s", "o", "missing"]}
    bindings = doc["results"]["bindings"]
    assert all("missing" not in b for b in bindings)  # unbound variables are left out
    objects = [b["o"] for b in bindings]
    assert {"type": "literal", "value": "hé ünïcode ✓", "xml:lang": "fr"} in objects
    assert {"type": "literal", "value": "42", "datatype": str(XSD.integer)} in objects
    assert {"type": "literal", "value": "plain"} in objects  # xsd:string is left implicit
    assert {"type": "uri", "value": E + "thing?x=1&y=%3C2%3E"} in objects
    assert {"type": "bnode", "value": "b0"} in objects


def test_xml_follows_the_w3c_results_format(small):
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(run_query(small, SELECT).serialize("xml"))
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["s", "o", "missing"]
    results = root.findall("r:results/r:result", ns)
    assert len(results) == len(TRICKY) + 1
    langs = [lit.get("{http://www.w3.org/XML/1998/namespace}lang") for lit in root.iter("{%s}literal" % ns["r"])]
    assert "fr" in langs


@pytest.mark.parametrize("answer", [True, False])
def test_ask_in_every_select_format(small, answer):
    text = f"ASK {{ ?s <{E}p> {'?o' if answer else '<' + E + 'absent>'} }}"
    result = run_query(small, text)
    assert result.kind == "ask" and result.boolean is answer
    for fmt in ("json", "xml"):
        parsed = ox.parse_query_results(result.serialize(fmt), format=FORMATS[fmt])
        assert bool(parsed) is answer
    assert json.loads(result.serialize("json")) == {"head": {}, "boolean": answer}
    assert result.serialize("csv") == result.serialize("tsv") == (b"true" if answer else b"false")
    assert result.serialize("table") == (b"yes\n" if answer else b"no\n")


@pytest.mark.parametrize("fmt,parse_as", [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_construct_results_round_trip(small, fmt, parse_as):
    # (the ill-typed "not a number"^^xsd:integer is left out: rdflib's JSON-LD writer drops its datatype)
    text = (f"CONSTRUCT {{ ?s <{E}q> ?o }} WHERE {{ ?s <{E}p> ?o FILTER(isLiteral(?o) && "
            f"STR(?o) != 'not a number') }}")
    result = run_query(small, text)
    assert result.kind == "graph"
    expected = Graph().parse(data=ox.serialize(direct(small, text), format=ox.RdfFormat.N_TRIPLES).decode(),
                             format="nt")
    back = Graph().parse(data=result.serialize(fmt).decode("utf-8"), format=parse_as)
    assert isomorphic(back, expected)
    assert len(back) == len(TRICKY) - 3 + 1


def test_nt_output_is_sorted_and_stable(small):
    text = f"CONSTRUCT {{ ?s <{E}p> ?o }} WHERE {{ ?s <{E}p> ?o FILTER(isIRI(?s)) }}"
    first = run_query(small, text).serialize("nt")
    lines = first.decode().splitlines()
    assert lines == sorted(lines) and first == run_query(small, text).serialize("nt")


def test_describe_gives_a_graph(kg):
    result = run_query(kg, "DESCRIBE role:data-engineer")
    labels = {str(o) for s, p, o in result.graph if str(p).endswith("prefLabel")}
    assert labels == {"data engineer"}


def test_a_graph_format_for_a_select_result_is_an_error(small):
    with pytest.raises(QueryError, match="does not fit a SELECT/ASK result"):
        run_query(small, SELECT).serialize("ttl")
    with pytest.raises(QueryError, match="does not fit a CONSTRUCT/DESCRIBE result"):
        QueryResult("graph", graph=Graph()).serialize("csv")


def test_table_shows_prefixed_names_and_plain_text(kg):
    text = run_query(kg, "SELECT ?r ?l WHERE { BIND(role:data-engineer AS ?r) ?r skos:prefLabel ?l } LIMIT 1")
    table = text.serialize("table").decode()
    assert table.splitlines()[0].split() == ["r", "l"]
    assert "role:data-engineer" in table and "data engineer" in table and "@en" not in table


def test_media_types_cover_every_format():
    assert set(MEDIA_TYPES) == set(ALL_FORMATS)
    assert MEDIA_TYPES["json"] == "application/sparql-results+json"
    assert MEDIA_TYPES["xml"] == "application/sparql-results+xml"
    assert MEDIA_TYPES["tsv"].startswith("text/tab-separated-values")
    assert MEDIA_TYPES["ttl"].startswith("text/turtle")


def test_compact_iri():
    assert compact_iri("https://w3id.org/datateam-kg/role/data-engineer") == "role:data-engineer"
    assert compact_iri("https://w3id.org/datateam-kg/ontology#Role") == "dt:Role"
    assert compact_iri("http://example.org/x") == "<http://example.org/x>"
    assert compact_iri("https://w3id.org/datateam-kg/role/a b") == "<https://w3id.org/datateam-kg/role/a b>"


@pytest.mark.parametrize("fmt,output,form,tty,expected", [
    (None, None, "select", True, "table"),
    (None, None, "select", False, "csv"),
    (None, None, "construct", True, "ttl"),
    (None, "out.json", "select", True, "json"),
    (None, "out.srx", "ask", False, "xml"),
    (None, "out.nt", "describe", False, "nt"),
    ("tsv", "out.json", "select", False, "tsv"),
])
def test_choose_format(fmt, output, form, tty, expected):
    assert choose_format(fmt, output, form, tty) == expected


def test_choose_format_refuses_a_misfit():
    with pytest.raises(QueryError, match="--format ttl does not fit a SELECT/ASK query"):
        choose_format("ttl", None, "select", True)


def test_max_rows_cuts_and_says_so(kg):
    result = run_query(kg, "SELECT ?s WHERE { ?s a dt:Role }", max_rows=3)
    assert len(result.rows) == 3 and result.truncated
    whole = run_query(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s a dt:Role }")
    assert not run_query(kg, "SELECT ?s WHERE { ?s a dt:Role }", max_rows=int(whole.rows[0]["n"])).truncated
