"""The core CLI of issue 2: roles, show, validate, export, errors — through click's runner and the
installed console command."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from datateam import __version__
from datateam.cli import main

DATA = Path(__file__).resolve().parent / "data"

ACME = """\
@prefix dt: <https://w3id.org/datateam-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ex: <https://example.org/acme/> .
@prefix tool: <https://w3id.org/datateam-kg/tool/> .
@prefix skill: <https://w3id.org/datateam-kg/skill/> .

ex:guide a dt:Source ; dcterms:title "ACME role guide" ; dcterms:identifier "acme-guide" .

ex:data-wrangler a dt:Role ;
    skos:prefLabel "data wrangler"@en ;
    skos:altLabel "wrangler"@en ;
    skos:definition "Cleans messy spreadsheets before anyone else sees them."@en ;
    dcterms:source ex:guide ;
    dt:usesTool tool:apache-airflow , ex:wrangle-o-matic ;
    dt:requiresSkill skill:data-manipulation .

ex:wrangle-o-matic a dt:Tool ;
    skos:prefLabel "Wrangle-o-matic"@en ;
    dcterms:source ex:guide ;
    dt:inCategory <https://w3id.org/datateam-kg/category/data-processing> .
"""


@pytest.fixture()
def acme(tmp_path) -> Path:
    path = tmp_path / "acme.ttl"
    path.write_text(ACME, encoding="utf-8")
    return path


def run(runner, *args):
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_version(runner):
    result = run(runner, "--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"datateam, version {__version__}"


def test_every_command_has_help_with_an_example(runner):
    for name, command in main.commands.items():
        result = run(runner, name, "--help")
        assert result.exit_code == 0, name
        assert "Example" in result.output, f"{name} --help has no example"
        assert command.get_short_help_str(), name


def test_roles_json_lists_every_role_with_counts(runner, kg):
    result = run(runner, "roles", "--format", "json")
    assert result.exit_code == 0
    roles = json.loads(result.output)
    by_label = {r["label"]: r for r in roles}
    assert len(roles) == 21
    de = by_label["data engineer"]
    assert {"DE", "data engineering hat"} <= set(de["aliases"])
    expected_skills = int(kg.select("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { role:data-engineer dt:requiresSkill ?s }")[0]["n"])
    expected_tools = int(kg.select("SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { role:data-engineer dt:usesTool ?t }")[0]["n"])
    # one of the 25 skills holds only in a small company ("a bit of machine learning"): counted apart
    assert (de["skills"] + de["conditional_skills"], de["tools"]) == (expected_skills, expected_tools) == (25, 24)
    assert (de["skills"], de["conditional_skills"], de["note"]) == (24, 1, None)
    assert de["definition"].startswith("Builds and runs the data infrastructure")
    governor = by_label["data governor"]
    assert (governor["skills"], governor["tools"], governor["responsibilities"]) == (0, 0, 1)
    assert governor["note"] == ("the sources give no skills or tools for this role; they describe only its "
                                "responsibility")
    backend = by_label["backend engineer"]
    assert backend["note"] == ("the sources give no skills or tools for this role (1 conditional skill or tool "
                               "aside); they describe only its responsibilities and what it hands on or receives")
    assert sorted(r["label"] for r in roles if r["note"]) == [
        "backend engineer", "business stakeholder", "cloud DevOps engineer", "data architect", "data governor",
        "database administrator", "frontend engineer", "mobile engineer", "software engineer"]


def test_roles_table_says_which_roles_the_sources_describe_only_by_duties(runner):
    table = run(runner, "roles").output
    governor = next(line for line in table.splitlines() if line.startswith("data governor"))
    assert re.search(r"\s—\s+—\s", governor), governor
    assert "— 9 of the 21 roles have no skills or tools in the sources" in table
    backend = next(line for line in table.splitlines() if line.startswith("backend engineer"))
    assert "0 (+1 conditional)" in backend


def test_roles_csv_has_a_header_and_one_row_per_role(runner):
    result = run(runner, "roles", "--format", "csv")
    lines = result.output.strip().splitlines()
    assert lines[0] == ("id,label,aliases,definition,skills,tools,responsibilities,conditional_skills,"
                        "conditional_tools,family,note")
    assert len(lines) == 22


def test_show_data_engineer_json(runner):
    result = run(runner, "show", "data engineer", "--format", "json")
    assert result.exit_code == 0
    d = json.loads(result.output)
    for key in ("id", "type", "label", "aliases", "definition", "skills", "tools", "responsibilities",
                "hands_off_to", "receives_from", "esco", "sources"):
        assert key in d, key
    assert d["id"] == "https://w3id.org/datateam-kg/role/data-engineer"
    assert d["type"] == "role"
    tools = {t["label"]: t for t in d["tools"]}
    assert {"Apache Airflow", "Apache Spark", "Apache Kafka", "Terraform"} <= set(tools)
    assert {s["id"] for s in tools["Apache Airflow"]["sources"]} == {"datamax-hats", "olx-interview"}
    assert tools["Apache Airflow"]["categories"] == ["orchestration"]
    assert all(s["title"] for t in d["tools"] for s in t["sources"])
    skills = {s["label"]: s for s in d["skills"]}
    assert skills["data warehouse design"]["level"] == "core"
    assert {s["id"] for s in skills["data pipeline development"]["sources"]} == {
        "datamax-hats", "ds-vs-de-teams", "hitchhiker-roles", "olx-interview"}
    to = {(h["role"], h["artifact"]) for h in d["hands_off_to"]}
    assert ("data scientist", "prepared dataset") in to
    # the batch example's predictions go to "other services", not to the backend engineer
    assert not any(role == "backend engineer" for role, _ in to)
    received = {(h["role"], h["artifact"]) for h in d["receives_from"]}
    assert ("data scientist", "data requirements") in received
    assert d["esco"][0]["label"] == "data engineer"
    assert {s["id"] for s in d["sources"]} >= {"datamax-hats", "olx-interview", "hitchhiker-roles",
                                              "ds-vs-de-teams", "jetbrains-roles"}


def test_show_disputed_handoff_mode_lists_both_claims(runner):
    d = json.loads(run(runner, "show", "data scientist", "--format", "json").output)
    handoff = next(h for h in d["hands_off_to"] if h["role"] == "ML engineer" and h["artifact"] == "trained model")
    assert handoff["mode"] == "disputed"
    assert {m["mode"]: [s["id"] for s in m["sources"]] for m in handoff["modes"]} == {
        "sequential": ["jetbrains-roles"], "side by side": ["olx-interview"]}


def test_show_tool_json(runner):
    d = json.loads(run(runner, "show", "airflow", "--format", "json").output)
    assert (d["type"], d["label"]) == ("tool", "Apache Airflow")
    assert "Airflow" in d["aliases"]
    assert [c["label"] for c in d["categories"]] == ["orchestration"]
    assert {u["role"] for u in d["used_by"]} == {"data engineer"}
    assert {s["id"] for s in d["used_by"][0]["sources"]} == {"datamax-hats", "olx-interview"}


def test_show_skill_json(runner):
    d = json.loads(run(runner, "show", "machine learning", "--format", "json").output)
    assert d["type"] == "skill"
    by_role = {u["role"]: u for u in d["used_by"]}
    assert by_role["data scientist"]["level"] == "core"
    assert by_role["data analyst"]["level"] == "basic"
    assert [s["id"] for s in by_role["data analyst"]["sources"]] == ["olx-interview"]


@pytest.mark.parametrize("name,label", [("DE", "data engineer"), ("SRE", "site reliability engineer"),
                                        ("ML engineer", "ML engineer"), ("mle", "ML engineer"),
                                        ("airflow", "Apache Airflow"), ("role:data-engineer", "data engineer")])
def test_names_resolve_case_insensitively(runner, name, label):
    d = json.loads(run(runner, "show", name, "--format", "json").output)
    assert d["label"] == label


def test_unknown_name_exits_2_with_nearest_matches(runner):
    result = runner.invoke(main, ["show", "data enginer"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: no entity named 'data enginer'; did you mean: data engineer, data engineering, data pipeline, "
        "ML engineer, data manipulation?"]


def test_ambiguous_name_lists_the_candidates(runner):
    result = runner.invoke(main, ["show", "monitoring"])
    assert result.exit_code == 2
    assert "is ambiguous" in result.output
    assert "category/model-monitoring-tools" in result.output and "stage/operations-and-monitoring" in result.output


def test_show_text_output_names_the_sources(runner):
    result = run(runner, "show", "MLflow")
    assert result.exit_code == 0
    assert "experiment tracking  [datamax-hats]" in result.output
    assert "model serving  [jetbrains-roles]" in result.output


def test_user_data_is_merged_and_found(runner, acme):
    d = json.loads(run(runner, "show", "wrangler", "--data", str(acme), "--format", "json").output)
    assert d["label"] == "data wrangler"
    assert {t["label"] for t in d["tools"]} == {"Apache Airflow", "Wrangle-o-matic"}
    assert d["sources"] == [{"id": "acme-guide", "title": "ACME role guide"}]
    roles = json.loads(run(runner, "--data", str(acme), "roles", "--format", "json").output)
    assert len(roles) == 22


def test_shape_violation_in_user_data_names_file_and_line(runner, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(ACME.replace('    skos:definition "Cleans messy spreadsheets before anyone else sees them."@en ;\n', ""),
                   encoding="utf-8")
    result = runner.invoke(main, ["roles", "--data", str(bad)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == f"error: {bad}: 1 shape violation(s); nothing was loaded"
    assert lines[1] == (f'  {bad}:10: role "data wrangler" (<https://example.org/acme/data-wrangler>): '
                        "needs a definition (skos:definition)")
    assert "Traceback" not in result.output


def test_validate_command_reports_and_exits_1(runner, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(ACME.replace("dt:inCategory <https://w3id.org/datateam-kg/category/data-processing> .",
                                "dt:inCategory <https://example.org/acme/not-a-category> ."), encoding="utf-8")
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert (f'{bad}:18: tool "Wrangle-o-matic" (<https://example.org/acme/wrangle-o-matic>): '
            "is filed under something that is not a dt:ToolCategory (dt:inCategory)") in result.output
    good = runner.invoke(main, ["validate"])
    assert good.exit_code == 0
    assert good.output.startswith("the shipped knowledge base: conforms")


def test_malformed_turtle_gives_file_and_line(runner, tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text('@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b "oops .\n', encoding="utf-8")
    result = runner.invoke(main, ["roles", "--data", str(broken)])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {broken}:3:11: Unexpected end of file"


def test_unknown_prefix_in_user_file_is_named(runner, tmp_path):
    broken = tmp_path / "prefix.ttl"
    broken.write_text("@prefix ex: <http://e/> .\nex:a foo:b ex:c .\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:2:" in result.output and "foo" in result.output


def test_debug_shows_the_traceback(runner, tmp_path):
    from datateam.graph.errors import DataFileError

    broken = tmp_path / "broken.ttl"
    broken.write_text("ex:a ex:b", encoding="utf-8")
    with pytest.raises(DataFileError):
        runner.invoke(main, ["--debug", "roles", "--data", str(broken)], catch_exceptions=False)


@pytest.mark.parametrize("fmt,parse_as", [("ttl", "turtle"), ("nt", "nt"), ("trig", "trig"), ("nquads", "nquads"),
                                          ("jsonld", "json-ld")])
def test_export_rdf_round_trips(runner, kg, tmp_path, fmt, parse_as):
    out = tmp_path / f"kb.{fmt}"
    result = run(runner, "export", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0
    if fmt in ("ttl", "nt"):
        graph = rdflib.Graph()
        graph.parse(out, format=parse_as)
        assert len(graph) == kg.triple_count()
    else:
        dataset = rdflib.Dataset()
        dataset.parse(out, format=parse_as)
        quads = {(s, p, o, g) for s, p, o, g in dataset.quads() if g is not None}
        expected = int(kg.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"])
        assert len(quads) == expected


def test_export_does_not_leave_a_partial_file_on_error(runner, tmp_path):
    target = tmp_path / "kb.ttl"
    target.write_text("previous content", encoding="utf-8")
    broken = tmp_path / "broken.ttl"
    broken.write_text("ex:a ex:b", encoding="utf-8")
    result = runner.invoke(main, ["export", "--format", "ttl", "-o", str(target), "--data", str(broken)])
    assert result.exit_code == 1
    assert target.read_text(encoding="utf-8") == "previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ttl", "kb.ttl"]


def test_installed_console_command(tmp_path):
    exe = shutil.which("datateam") or str(Path(sys.executable).parent / "datateam")
    result = subprocess.run([exe, "show", "data engineer", "--format", "json"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    d = json.loads(result.stdout)
    assert {"Apache Airflow", "Apache Spark", "Apache Kafka", "Terraform"} <= {t["label"] for t in d["tools"]}
    missing = subprocess.run([exe, "show", "no such role at all"], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no entity named 'no such role at all'")
    assert "Traceback" not in missing.stderr


def test_a_user_role_with_a_shipped_label_wins_and_the_user_is_told(runner, tmp_path):
    mine = tmp_path / "mine.ttl"
    mine.write_text(ACME.replace('"data wrangler"@en', '"data engineer"@en'), encoding="utf-8")
    result = runner.invoke(main, ["show", "data engineer", "--data", str(mine), "--format", "json"])
    assert result.exit_code == 0
    # CliRunner mixes stderr into output: the note comes first, then the JSON.
    note, _, body = result.output.partition("\n")
    assert note == ("note: 'data engineer' resolved to data engineer <https://example.org/acme/data-wrangler>; "
                    "it also names data engineer (role, https://w3id.org/datateam-kg/role/data-engineer) "
                    "(give an id to choose)")
    assert json.loads(body)["id"] == "https://example.org/acme/data-wrangler"
