"""CSV meant for spreadsheets is spreadsheet-safe; the W3C query-result CSV stays raw.

The attack: a data file (loaded with `--data`) names a role `=HYPERLINK(...)`, gives it the alias
`@SUM(1+1)*cmd|' /C calc'!A0`, a tool labelled `-2+3` and a definition starting with `+`. Opened
in a spreadsheet, such cells run as formulas. Every export meant for a spreadsheet must write them
with a leading apostrophe (OWASP's advice); `query --format csv` is the W3C SPARQL 1.1 CSV format,
which carries values exactly, so it stays raw. Each CSV is read back with Python's csv module and
compared cell by cell.
"""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from datateam.cli import main
from datateam.graph.text import FORMULA_STARTS, spreadsheet_cell, write_spreadsheet_csv

LABEL = '=HYPERLINK("http://127.0.0.1:9/x","click")'
ALIAS = "@SUM(1+1)*cmd|' /C calc'!A0"
TOOL = "-2+3"
EVIL_ROLE = "<https://example.org/evil/role>"
DEFINITION = "+ runs formulas in every spreadsheet it touches"
DATA = f"""@prefix dt: <https://w3id.org/datateam-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix role: <https://w3id.org/datateam-kg/role/> .
@prefix skill: <https://w3id.org/datateam-kg/skill/> .
@prefix tool: <https://w3id.org/datateam-kg/tool/> .
@prefix category: <https://w3id.org/datateam-kg/category/> .
@prefix artifact: <https://w3id.org/datateam-kg/artifact/> .
@prefix stage: <https://w3id.org/datateam-kg/stage/> .
@prefix ex: <https://example.org/evil/> .

ex:handbook a dt:Source ; dcterms:title "Evil handbook"@en ; dcterms:identifier "evil" .
ex:role a dt:Role ;
    skos:prefLabel '{LABEL}'@en ;
    skos:altLabel "{ALIAS}"@en ;
    skos:definition "{DEFINITION}"@en ;
    dcterms:source ex:handbook ;
    dt:requiresSkill skill:communication , skill:statistics ;
    dt:usesTool ex:tool , tool:tableau .
ex:tool a dt:Tool ; skos:prefLabel "{TOOL}"@en ; skos:definition "A tool."@en ; dcterms:source ex:handbook ;
    dt:inCategory category:automl .
ex:handoff a dt:Handoff ; dcterms:source ex:handbook ; dt:fromRole ex:role ; dt:toRole role:data-analyst ;
    dt:artifact artifact:prepared-dataset ; dt:atStage stage:data-ingestion ; dt:mode dt:Sequential .
"""


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    path = tmp_path_factory.mktemp("evil") / "evil.ttl"
    path.write_text(DATA, encoding="utf-8")
    checked = CliRunner().invoke(main, ["validate", str(path)])
    assert checked.exit_code == 0, checked.output
    return str(path)


def rows_of(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def cells(evil, *args, delimiter=","):
    result = CliRunner().invoke(main, ["--data", evil, *args])
    assert result.exit_code == 0, result.output
    return [cell for row in rows_of(result.stdout, delimiter) for cell in row]


def assert_safe(all_cells: list[str], *expected_escaped: str):
    """No cell starts a formula, and each expected value is there with its apostrophe."""
    dangerous = [c for c in all_cells if c.startswith(FORMULA_STARTS)]
    assert dangerous == []
    for value in expected_escaped:
        assert any(c == "'" + value or c.startswith("'" + value) for c in all_cells), (value, all_cells[:40])


def test_roles_csv_and_tsv(evil):
    assert_safe(cells(evil, "roles", "--format", "csv"), LABEL, ALIAS, DEFINITION)
    assert_safe(cells(evil, "roles", "--format", "tsv", delimiter="\t"), LABEL, ALIAS, DEFINITION)


def test_export_csv(evil, tmp_path):
    out = tmp_path / "edges.csv"
    result = CliRunner().invoke(main, ["--data", evil, "export", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    all_cells = [c for row in rows_of(out.read_text(encoding="utf-8")) for c in row]
    assert_safe(all_cells, LABEL, TOOL)


def test_overlap_csv_pair_and_matrix(evil):
    assert_safe(cells(evil, "overlap", EVIL_ROLE, "data analyst", "--format", "csv"), LABEL, TOOL)
    assert_safe(cells(evil, "overlap", "--matrix", "--roles", f"{EVIL_ROLE},data analyst", "--format", "csv"), LABEL)
    assert_safe(cells(evil, "overlap", "--matrix", "--roles", f"{EVIL_ROLE},data analyst", "--layout", "square",
                      "--format", "csv"), LABEL)


def test_transition_bridges_handoffs_csv(evil):
    assert_safe(cells(evil, "transition", "data analyst", LABEL, "--format", "csv"), TOOL)
    assert_safe(cells(evil, "bridges", "--type", "tool", "--top", "500", "--format", "csv"), TOOL)
    assert_safe(cells(evil, "handoffs", "--from", EVIL_ROLE, "--format", "csv"), LABEL)


def test_w3c_query_csv_stays_raw(evil):
    query = "SELECT ?label WHERE { ?r a dt:Role ; skos:prefLabel ?label FILTER(STRSTARTS(?label, '=')) }"
    csv_text = CliRunner().invoke(main, ["--data", evil, "query", "-e", query, "--format", "csv"]).stdout
    assert rows_of(csv_text) == [["label"], [LABEL]]
    tsv_text = CliRunner().invoke(main, ["--data", evil, "query", "-e", query, "--format", "tsv"]).stdout
    assert tsv_text.splitlines()[1] == '"=HYPERLINK(\\"http://127.0.0.1:9/x\\",\\"click\\")"@en'


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=1", "a=1"), (" =1", " =1"), ("", ""), (None, ""), (-2, "-2"), (0.5, "0.5"), (True, "True"),
])
def test_the_cell_rule(value, cell):
    assert spreadsheet_cell(value) == cell


def test_the_shared_writer_quotes_what_it_must():
    text = write_spreadsheet_csv(["a", "b"], [["=x,y", 'say "hi"'], [-1.5, "@\nz"]])
    assert rows_of(text) == [["a", "b"], ["'=x,y", 'say "hi"'], ["-1.5", "'@\nz"]]
