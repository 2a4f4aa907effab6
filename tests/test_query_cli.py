"""The `query`, `queries` and `prefixes` commands through click's CliRunner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.plugins.sparql.parser import parseQuery

from datateam.cli import main
from datateam.ontology.namespaces import BASE, PREFIXES
from datateam.queries.engine.execute import run_query
from datateam.queries.named.library import bind_parameters, list_named_queries, load_named_query

TOOLS_OF_DE = "SELECT ?tool WHERE { role:data-engineer dt:usesTool ?tool } ORDER BY ?tool"


def invoke(runner, *args, input=None):
    return runner.invoke(main, list(args), input=input)


def test_named_query_with_a_parameter(runner, kg):
    result = invoke(runner, "query", "tools-of-role", "--param", "role=data engineer", "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    query = load_named_query("tools-of-role")
    expected = run_query(kg, query.text, bindings=bind_parameters(kg, query, {"role": "data engineer"}))
    assert len(doc["results"]["bindings"]) == len(expected.rows) > 10
    assert {b["tool"]["value"] for b in doc["results"]["bindings"]} == {str(r["tool"]) for r in expected.rows}


def test_inline_file_and_stdin_give_the_same_answer(runner, tmp_path):
    path = tmp_path / "tools.rq"
    path.write_text(TOOLS_OF_DE, encoding="utf-8")
    inline = invoke(runner, "query", "-f", "csv", "-e", TOOLS_OF_DE)
    from_file = invoke(runner, "query", "-f", "csv", str(path))
    from_stdin = invoke(runner, "query", "-f", "csv", "-", input=TOOLS_OF_DE)
    assert inline.exit_code == from_file.exit_code == from_stdin.exit_code == 0
    assert inline.stdout == from_file.stdout == from_stdin.stdout
    rows = list(csv.reader(io.StringIO(inline.stdout, newline="")))
    assert rows[0] == ["tool"] and [BASE + "tool/apache-airflow"] in rows


def test_a_query_file_with_a_header_gets_typed_parameters(runner, tmp_path):
    path = tmp_path / "mine.rq"
    path.write_text("# title: My tools\n# description: tools of a role\n# param: role (role) = DE -- who\n"
                    "SELECT DISTINCT ?role ?tool WHERE { ?role dt:usesTool ?tool }\n", encoding="utf-8")
    default = invoke(runner, "query", "-f", "csv", str(path))
    named = invoke(runner, "query", "-f", "csv", str(path), "--param", "role=machine learning engineer")
    assert default.exit_code == named.exit_code == 0
    assert {r.split(",")[0] for r in default.stdout.splitlines()[1:]} == {BASE + "role/data-engineer"}
    assert {r.split(",")[0] for r in named.stdout.splitlines()[1:]} == {BASE + "role/ml-engineer"}


def test_ad_hoc_parameters_on_an_inline_query(runner):
    result = invoke(runner, "query", "-f", "csv", "-e", "SELECT DISTINCT ?tool WHERE { ?role dt:usesTool ?tool }",
                    "--param", "role=role:data-engineer")
    plain = invoke(runner, "query", "-f", "csv", "-e",
                   "SELECT DISTINCT ?tool WHERE { role:data-engineer dt:usesTool ?tool }")
    assert result.exit_code == 0 and sorted(result.stdout.splitlines()) == sorted(plain.stdout.splitlines())


@pytest.mark.parametrize("suffix,check", [
    (".json", lambda text: json.loads(text)["head"]["vars"] == ["tool"]),
    (".tsv", lambda text: text.splitlines()[0] == "?tool"),
    (".srx", lambda text: "sparql-results#" in text),
])
def test_output_file_format_follows_its_extension(runner, tmp_path, suffix, check):
    out = tmp_path / f"result{suffix}"
    result = invoke(runner, "query", "-e", TOOLS_OF_DE, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert check(out.read_text(encoding="utf-8"))
    assert result.stdout == ""


def test_a_failing_query_leaves_an_existing_output_file_alone(runner, tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n", encoding="utf-8")
    result = invoke(runner, "query", "-e", "SELECT * WHERE { ?s ?p ?o", "-o", str(out))
    assert result.exit_code == 1
    result = invoke(runner, "query", "--timeout", "0.5", "-o", str(out), "-e",
                    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert result.exit_code == 3
    assert out.read_text(encoding="utf-8") == "precious\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.csv"]  # no temporary file left behind


def test_construct_defaults_to_turtle(runner):
    result = invoke(runner, "query", "-e", "CONSTRUCT { ?r dt:usesTool ?t } WHERE { ?r dt:usesTool ?t }")
    assert result.exit_code == 0
    graph = Graph().parse(data=result.stdout, format="turtle")
    distinct = invoke(runner, "query", "-f", "csv", "-e",
                      "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?r ?t WHERE { ?r dt:usesTool ?t } }")
    assert len(graph) == int(distinct.stdout.splitlines()[1])


def test_table_format(runner):
    result = invoke(runner, "query", "-f", "table", "-e",
                    "SELECT ?label WHERE { role:data-engineer skos:prefLabel ?label } LIMIT 1")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["label", "-------------", "data engineer"]


def test_max_rows_notes_the_cut_on_stderr(runner):
    result = invoke(runner, "query", "-f", "csv", "--max-rows", "2", "-e", TOOLS_OF_DE)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 3
    assert "cut at 2 rows" in result.stderr


@pytest.mark.parametrize("args,message,code", [
    (["query"], "give a query", 1),
    (["query", "x.rq", "-e", "ASK {}"], "not both", 1),
    (["query", "missing/file.rq"], "missing/file.rq: no such file", 1),
    (["query", "tool-of-role"], "did you mean tools-of-role", 2),
    (["query", "-f", "ttl", "-e", TOOLS_OF_DE], "--format ttl does not fit a SELECT/ASK query", 1),
    (["query", "tools-of-role", "--param", "role=astronaut"], "no role named 'astronaut'", 2),
    (["query", "tools-of-role", "--param", "rolle=DE"], "has no parameter rolle", 1),
    (["query", "--timeout", "0", "-e", TOOLS_OF_DE], "Invalid value for '--timeout'", 2),
])
def test_errors_are_one_line_without_traceback(runner, args, message, code):
    result = invoke(runner, *args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    if code != 2 or "Invalid value" not in message:
        assert len(result.stderr.strip().splitlines()) == 1


def test_queries_lists_every_named_query(runner):
    result = invoke(runner, "queries", "-f", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == [q.name for q in list_named_queries()]
    by_name = {r["name"]: r for r in rows}
    assert by_name["shared-tools"]["parameters"] == ["role (role) = data engineer", "other (role) = ML engineer"]
    table = invoke(runner, "queries")
    assert all(q.name in table.stdout for q in list_named_queries())


def test_queries_shows_one_query(runner):
    result = invoke(runner, "queries", "workflow-chain")
    assert result.exit_code == 0
    assert result.stdout == (Path(load_named_query("workflow-chain").path).read_text(encoding="utf-8"))


def test_prefixes(runner):
    result = invoke(runner, "prefixes", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["prefix"]: r["iri"] for r in rows} == PREFIXES
    declarations = invoke(runner, "prefixes", "-f", "sparql").stdout
    parseQuery(declarations + TOOLS_OF_DE)  # the PREFIX lines make the query stand-alone for other tools
    assert declarations.count("PREFIX ") == len(PREFIXES)


def test_every_named_query_runs_from_the_cli_with_its_defaults(runner, kg):
    for query in list_named_queries():
        result = invoke(runner, "query", query.name, "-f", "json")
        assert result.exit_code == 0, (query.name, result.output)
        expected = run_query(kg, query.text, bindings=bind_parameters(kg, query, {}))
        assert len(json.loads(result.stdout)["results"]["bindings"]) == len(expected.rows), query.name
