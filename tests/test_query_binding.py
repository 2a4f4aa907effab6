"""Parameters are bound as RDF terms, never pasted into the query text."""

from __future__ import annotations

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql.parser import parseQuery

from datateam.graph.store.factory import load_knowledge_graph
from datateam.ontology.namespaces import BASE
from datateam.queries.sparql.binding import bind_as_values
from datateam.queries.sparql.errors import QueryParameterError, UnsafeQueryError
from datateam.queries.engine.execute import run_query
from datateam.queries.sparql.lexer import tokenize
from datateam.queries.named.library import Parameter, bind_parameters, convert_value, list_named_queries, parse_param_args
from datateam.queries.sparql.safety import inspect_query

MALICIOUS = '"x" } ; DROP ALL #'
ROLE = BASE + "role/"


def values_in(text: str) -> list[dict]:
    """The solutions of the VALUES block of a query, as rdflib's own parser and algebra read them."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    found = []

    def walk(node):
        if isinstance(node, CompValue):
            if node.name == "values":
                found.extend(node["res"])
            for child in node.values():
                walk(child)
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child)

    walk(translateQuery(parseQuery(text)).algebra)
    return found


def test_a_malicious_literal_stays_one_literal():
    bound = bind_as_values("SELECT ?label WHERE { ?r skos:prefLabel ?label }", {"label": Literal(MALICIOUS)})
    strings = [t for t in tokenize(bound) if t.kind == "STRING"]
    assert len(strings) == 1
    assert not any(t.is_word("DROP", "ALL") for t in tokenize(bound))
    inspect_query(bound, [])  # not an update: nothing outside the literal
    from rdflib import Variable

    assert values_in(bound) == [{Variable("label"): Literal(MALICIOUS)}]


def test_a_malicious_literal_matches_nothing_and_changes_nothing():
    kg = load_knowledge_graph()
    before = len(kg.store)
    text = bind_as_values("SELECT ?r ?label WHERE { ?r skos:prefLabel ?label }", {"label": Literal(MALICIOUS)})
    assert run_query(kg, text).rows == []
    assert run_query(kg, "SELECT ?r ?label WHERE { ?r skos:prefLabel ?label }",
                     bindings={"label": Literal(MALICIOUS)}).rows == []
    assert len(kg.store) == before


@pytest.mark.parametrize("value", ['a\\"b', "line\nbreak", "back\\slash", "tab\there", "ünïcødé ✓", "'single'"])
def test_awkward_literals_survive_binding_exactly(kg, value):
    text = bind_as_values("SELECT ?v WHERE { BIND(STRLEN(?v) AS ?n) }", {"v": Literal(value)})
    result = run_query(kg, text)
    assert [str(r["v"]) for r in result.rows] == [value]


def test_language_and_datatype_are_kept(kg):
    text = bind_as_values("SELECT ?r WHERE { ?r skos:prefLabel ?l }", {"l": Literal("data engineer", lang="en")})
    assert ROLE + "data-engineer" in [str(r["r"]) for r in run_query(kg, text).rows]
    text = bind_as_values("SELECT ?s WHERE { ?s dt:stageOrder ?n }", {"n": Literal(6, datatype=XSD.integer)})
    assert {str(r["s"]) for r in run_query(kg, text).rows} == {BASE + "stage/productionisation-and-serving"}


@pytest.mark.parametrize("bad", [URIRef("http://x/> } ; DROP ALL #"), URIRef("http://x/a b"), BNode("b1")])
def test_terms_that_cannot_be_written_safely_are_refused(bad):
    with pytest.raises(QueryParameterError):
        bind_as_values("SELECT ?x WHERE { ?x ?p ?o }", {"x": bad})


def test_the_values_block_goes_inside_the_where_clause():
    assert bind_as_values("SELECT ?x WHERE { ?x ?p ?o } LIMIT 1", {"x": URIRef("http://e/a")}) == \
        "SELECT ?x WHERE { VALUES (?x) { (<http://e/a>) } ?x ?p ?o } LIMIT 1"
    # a WHERE clause that is a sub-select is wrapped first
    bound = bind_as_values("SELECT * WHERE { SELECT ?x WHERE { ?x ?p ?o } LIMIT 2 }", {"x": URIRef("http://e/a")})
    assert bound == "SELECT * WHERE { VALUES (?x) { (<http://e/a>) } { SELECT ?x WHERE { ?x ?p ?o } LIMIT 2 } }"
    parseQuery(bound)
    # the template of a CONSTRUCT is skipped
    bound = bind_as_values("CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }", {"x": URIRef("http://e/a")})
    assert bound == "CONSTRUCT { ?x ?p ?o } WHERE { VALUES (?x) { (<http://e/a>) } ?x ?p ?o }"
    # ASK without WHERE, and an expression with braces in the projection
    assert bind_as_values("ASK { ?x ?p ?o }", {"x": URIRef("http://e/a")}).startswith("ASK { VALUES (?x)")
    bound = bind_as_values("SELECT ?x (EXISTS { ?x ?q ?r } AS ?e) WHERE { ?x ?p ?o }", {"x": URIRef("http://e/a")})
    assert "WHERE { VALUES (?x)" in bound


def test_queries_without_a_group_to_extend_are_refused():
    with pytest.raises(QueryParameterError, match="no WHERE"):
        bind_as_values("CONSTRUCT WHERE { ?x ?p ?o }", {"x": URIRef("http://e/a")})
    with pytest.raises(QueryParameterError, match="no WHERE"):
        bind_as_values("DESCRIBE ?x", {"x": URIRef("http://e/a")})


def test_substitution_and_values_give_the_same_answers_for_every_named_query(kg):
    """Two independent ways of binding: run_query's (the terms written into the patterns) and the VALUES rewrite."""
    checked = 0
    for query in list_named_queries():
        bindings = bind_parameters(kg, query, {})
        if not bindings:
            continue
        by_substitution = run_query(kg, query.text, bindings=bindings)
        by_values = run_query(kg, bind_as_values(query.text, bindings))
        # GROUP_CONCAT lists come in no fixed order: compare them as sets
        key = lambda r: sorted((k, sorted(str(v).split(", "))) for k, v in r.items())  # noqa: E731
        assert sorted(map(key, by_substitution.rows)) == sorted(map(key, by_values.rows)), query.name
        assert by_substitution.rows, query.name
        checked += 1
    assert checked >= 12


def test_an_unprojected_variable_is_bound_with_values(kg):
    bindings = {"role": URIRef(ROLE + "data-engineer")}
    projected = run_query(kg, "SELECT DISTINCT ?role ?tool WHERE { ?role dt:usesTool ?tool }", bindings=bindings)
    hidden = run_query(kg, "SELECT DISTINCT ?tool WHERE { ?role dt:usesTool ?tool }", bindings=bindings)
    assert {str(r["tool"]) for r in projected.rows} == {str(r["tool"]) for r in hidden.rows}
    assert {str(r["role"]) for r in projected.rows} == {ROLE + "data-engineer"}


def test_parameters_are_not_allowed_in_updates():
    kg = load_knowledge_graph()
    with pytest.raises(QueryParameterError):
        run_query(kg, "INSERT DATA { <a:b> <a:c> <a:d> }", bindings={"x": Literal("y")}, allow_update=True)


def test_param_arguments():
    assert parse_param_args(["role=data engineer", "?n=3", "q=a=b"]) == {"role": "data engineer", "n": "3", "q": "a=b"}
    with pytest.raises(QueryParameterError, match="write NAME=VALUE"):
        parse_param_args(["role"])
    with pytest.raises(QueryParameterError, match="not a valid parameter name"):
        parse_param_args(["1x=2"])


def test_ad_hoc_parameters_read_iris_and_literals(kg):
    got = bind_parameters(kg, None, {"a": "role:data-engineer", "b": "<http://e/x>", "c": "plain words",
                                     "d": "https://example.org/y"})
    assert got == {"a": URIRef(ROLE + "data-engineer"), "b": URIRef("http://e/x"), "c": Literal("plain words"),
                   "d": URIRef("https://example.org/y")}


def test_typed_parameter_values(kg):
    assert convert_value(kg, Parameter("n", "integer"), " 7 ") == Literal(7, datatype=XSD.integer)
    assert convert_value(kg, Parameter("b", "boolean"), "yes") == Literal(True)
    assert convert_value(kg, Parameter("s", "source"), "olx-interview") == URIRef(BASE + "source/olx-interview")
    assert convert_value(kg, Parameter("r", "role"), "SRE") == URIRef(ROLE + "site-reliability-engineer")
    for param, value in [(Parameter("n", "integer"), "seven"), (Parameter("d", "decimal"), "1,5"),
                         (Parameter("b", "boolean"), "maybe"), (Parameter("i", "iri"), "two words")]:
        with pytest.raises(QueryParameterError, match=f"--param {param.name}"):
            convert_value(kg, param, value)


def test_unknown_parameter_of_a_named_query(kg):
    from datateam.queries.named.library import load_named_query

    with pytest.raises(QueryParameterError, match="tools-of-role has no parameter tool .*its parameters: role"):
        bind_parameters(kg, load_named_query("tools-of-role"), {"tool": "airflow"})


def test_binding_never_turns_a_read_into_an_update(kg):
    text = bind_as_values("SELECT ?x WHERE { ?x ?p ?o }", {"x": Literal("} INSERT DATA { <a:b> <a:c> <a:d> } #")})
    assert inspect_query(text, []).form == "select"
    with pytest.raises(UnsafeQueryError):
        inspect_query("SELECT ?x WHERE { ?x ?p ?o } } INSERT DATA { <a:b> <a:c> <a:d> }", [])


# -- terms written into the patterns ----------------------------------------------------------------

def _bound_positions(text: str, name: str) -> list[int]:
    """Indexes of the tokens ?name inside the WHERE group of `text`."""
    from datateam.queries.sparql.safety import _form, _matching_brace, where_group_index

    tokens = tokenize(text)
    start = where_group_index(tokens, _form(tokens))
    end = _matching_brace(tokens, start)
    return [i for i in range(start, end) if tokens[i].kind == "VAR" and tokens[i].text[1:] == name]


def test_named_query_parameters_are_written_into_the_patterns_without_substitutions(kg):
    """The engine sees the bound term where the variable stood (it can use its indexes there), and is
    given no substitutions, which it would join only after evaluating the whole pattern."""
    from datateam.queries.engine.execute import _prepare
    from datateam.queries.sparql.safety import _form, where_group_index

    checked = 0
    for query in list_named_queries():
        bindings = bind_parameters(kg, query, {})
        if not bindings:
            continue
        text, substitutions = _prepare(query.text, inspect_query(query.text, []), bindings)
        assert substitutions == {}, query.name
        before = tokenize(query.text)
        positions = {i: name for name in bindings for i in _bound_positions(query.text, name)}
        assert set(positions.values()) == set(bindings), query.name
        term_tokens = {name: [t.text for t in tokenize(term.n3())] for name, term in bindings.items()}
        brace = where_group_index(before, _form(before))
        expected = [t.text for t in before[:brace + 1]]
        for name in bindings:
            expected += ["BIND", "(", *term_tokens[name], "AS", "?" + name, ")"]
        for i in range(brace + 1, len(before)):
            expected += term_tokens[positions[i]] if i in positions else [before[i].text]
        assert [t.text for t in tokenize(text)] == expected, query.name
        checked += 1
    assert checked >= 12


def test_terms_written_into_the_text_keep_the_projection():
    from datateam.queries.sparql.binding import bind_in_text

    iri = URIRef(ROLE + "data-engineer")
    assert bind_in_text("SELECT ?r ?t WHERE { ?r dt:usesTool ?t FILTER(?r != ?t) } ORDER BY ?r", {"r": iri}) == (
        f"SELECT ?r ?t WHERE {{ BIND(<{iri}> AS ?r) <{iri}> dt:usesTool ?t FILTER(<{iri}> != ?t) }} ORDER BY ?r")
    # names in strings and comments are not variables
    got = bind_in_text('SELECT ?r WHERE { ?r rdfs:label "?r" # ?r\n }', {"r": iri})
    assert got == f'SELECT ?r WHERE {{ BIND(<{iri}> AS ?r) <{iri}> rdfs:label "?r" # ?r\n }}'
    # glued to its neighbours, the term is set apart by spaces
    assert bind_in_text("ASK { ?x dt:usesTool?r }", {"r": iri}) == f"ASK {{ BIND(<{iri}> AS ?r) ?x dt:usesTool <{iri}> }}"


@pytest.mark.parametrize("text", [
    "SELECT ?r WHERE { { SELECT ?r WHERE { ?r a dt:Role } } }",          # a sub-select's own ?r
    "SELECT ?r (COUNT(*) AS ?n) WHERE { SELECT ?r WHERE { ?r a dt:Role } } GROUP BY ?r",   # the whole WHERE
    "SELECT ?r WHERE { ?r a dt:Role MINUS { ?r dt:usesTool ?t } }",      # MINUS joins on shared variables
    "SELECT ?r WHERE { ?x a dt:Role { ?x dt:usesTool ?t OPTIONAL { ?t dt:p ?r } } }",  # OPTIONAL apart from the binding
    "SELECT ?r WHERE { ?x a dt:Role { ?x dt:usesTool ?t FILTER(?t != ?r) } }",          # a nested group's FILTER
    "SELECT ?r WHERE { ?x a dt:Role FILTER(BOUND(?r)) }",
    "SELECT ?r WHERE { ?x a dt:Role BIND(?x AS ?r) }",
    "SELECT ?x (?x AS ?r) WHERE { ?x a dt:Role }",
    "SELECT ?r WHERE { VALUES ?r { role:data-engineer } ?r a dt:Role }",
])
def test_binding_falls_back_where_writing_the_term_would_change_the_answer(kg, text):
    from datateam.queries.sparql.binding import bind_in_text

    bindings = {"r": URIRef(ROLE + "data-engineer")}
    assert bind_in_text(text, bindings) is None
    assert run_query(kg, text, bindings=bindings).kind == "select"   # bound the way it was before


def test_a_literal_is_written_only_into_expressions():
    from datateam.queries.sparql.binding import bind_in_text

    label = Literal("data engineer", lang="en")
    assert bind_in_text("SELECT ?r WHERE { ?r skos:prefLabel ?l }", {"l": label}) is None
    assert bind_in_text("SELECT ?r WHERE { ?r skos:prefLabel ?x FILTER(?x = ?l) }", {"l": label}) == (
        'SELECT ?r WHERE { BIND("data engineer"@en AS ?l) ?r skos:prefLabel ?x FILTER(?x = "data engineer"@en) }')
