"""The O*NET importer on the committed slice of O*NET 29.2 (tests/data/onet-29.2-slice).

Expected numbers come from the slice's tab-separated files, read here with the csv module.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import URIRef

from datateam.cli import main
from datateam.graph.importers import ONET_GRAPH, attributions, import_onet
from datateam.graph.importers.common import BadRowError, QuadWriter, write_source_record
from datateam.graph.lookup.names import resolve
from datateam.graph.store.persistent import open_persistent, read_manifest

SLICE = Path(__file__).resolve().parent / "data" / "onet-29.2-slice"
ONET = "https://w3id.org/datateam-kg/onet/"
DATA_SCIENTISTS = "15-2051.00"
ONET_LINE = ("This service includes information from the O*NET 29.2 Database by the U.S. Department of Labor, "
             "Employment and Training Administration (USDOL/ETA), used under the CC BY 4.0 license. "
             "O*NET® is a trademark of USDOL/ETA.")


def tsv(name: str, folder: Path = SLICE) -> list[dict]:
    with open(folder / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def oracle():
    occupations = tsv("Occupation Data.txt")
    technology = tsv("Technology Skills.txt")
    alternates = tsv("Alternate Titles.txt")
    return occupations, technology, alternates


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("onet") / "kg"
    with open_persistent(path, writable=True) as kg:
        report = import_onet(kg, [SLICE])
    return path, report


@pytest.fixture(scope="module")
def kg(store):
    kg = open_persistent(store[0])
    yield kg
    kg.close()


def count(kg, where: str) -> int:
    return int(kg.select(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH <{ONET_GRAPH}> {{ {where} }} }}")[0]["n"])


def test_occupations_are_roles_with_titles_and_aliases(kg, oracle):
    occupations, _, alternates = oracle
    assert count(kg, "?x a dt:Role") == len(occupations) == 8
    titles = {r["O*NET-SOC Code"]: r["Title"] for r in occupations}
    got = {str(r["x"]).rsplit("/", 1)[1]: str(r["t"]) for r in kg.select(
        f"SELECT ?x ?t WHERE {{ GRAPH <{ONET_GRAPH}> {{ ?x a dt:Role ; skos:prefLabel ?t }} }}")}
    assert got == titles
    expected_aliases = defaultdict(set)
    for r in alternates:
        for column in ("Alternate Title", "Short Title"):
            if r[column] and r[column] != titles[r["O*NET-SOC Code"]]:
                expected_aliases[r["O*NET-SOC Code"]].add(r[column])
    aliases = defaultdict(set)
    for r in kg.select(f"SELECT ?x ?a WHERE {{ GRAPH <{ONET_GRAPH}> {{ ?x a dt:Role ; skos:altLabel ?a }} }}"):
        aliases[str(r["x"]).rsplit("/", 1)[1]].add(str(r["a"]))
    assert aliases == expected_aliases
    assert "Data Engineer" in aliases["15-1243.00"]


def test_technologies_of_data_scientists(kg, oracle):
    _, technology, _ = oracle
    expected = {r["Example"] for r in technology if r["O*NET-SOC Code"] == DATA_SCIENTISTS}
    assert len(expected) == 86
    got = {str(r["l"]) for r in kg.select("SELECT ?role ?l WHERE { ?role dt:usesTool/skos:prefLabel ?l }",
                                          {"role": URIRef(ONET + "occupation/" + DATA_SCIENTISTS)})}
    assert got == expected
    n = kg.select("SELECT ?role (COUNT(DISTINCT ?t) AS ?n) WHERE { ?role dt:usesTool ?t } GROUP BY ?role",
                  {"role": URIRef(ONET + "occupation/" + DATA_SCIENTISTS)})
    assert int(n[0]["n"]) == 86


def test_tools_categories_uses_and_flags(kg, oracle):
    _, technology, _ = oracle
    assert count(kg, "?x a dt:Tool") == len({r["Example"] for r in technology})
    assert count(kg, "?x a dt:ToolCategory") == len({r["Commodity Code"] for r in technology})
    assert count(kg, "?x a dt:ToolUse") == len({(r["O*NET-SOC Code"], r["Example"], r["Commodity Code"])
                                               for r in technology})
    assert count(kg, "?x a dt:ToolUse ; dt:inDemand true") == sum(1 for r in technology if r["In Demand"] == "Y")
    assert count(kg, "?x a dt:ToolUse ; dt:hotTechnology true") == sum(1 for r in technology
                                                                       if r["Hot Technology"] == "Y")
    assert count(kg, "?x a dt:Tool ; dt:hotTechnology true") == len({r["Example"] for r in technology
                                                                     if r["Hot Technology"] == "Y"})
    categories = {(r["Example"], r["Commodity Title"]) for r in technology}
    got = {(str(r["t"]), str(r["c"])) for r in kg.select(
        f"SELECT ?t ?c WHERE {{ GRAPH <{ONET_GRAPH}> {{ ?x dt:inCategory ?k . ?x skos:prefLabel ?t . "
        "?k skos:prefLabel ?c } }")}
    assert got == categories
    # Each tool use names the category O*NET files the row under.
    use = kg.select(f"SELECT DISTINCT ?c WHERE {{ GRAPH <{ONET_GRAPH}> {{ ?u dt:role <{ONET}occupation/{DATA_SCIENTISTS}> ;"
                    " dt:tool/skos:prefLabel \"Apache Airflow\"@en ; dt:asCategory/skos:prefLabel ?c } }")
    assert [str(r["c"]) for r in use] == ["Procedure management software"]


def test_graph_total_and_report(store, kg, oracle):
    occupations, technology, alternates = oracle
    titles = {r["O*NET-SOC Code"]: r["Title"] for r in occupations}
    aliases = {(r["O*NET-SOC Code"], r[c]) for r in alternates for c in ("Alternate Title", "Short Title")
               if r[c] and r[c] != titles[r["O*NET-SOC Code"]]}
    examples = {r["Example"] for r in technology}
    total = 9 + 1                                           # source node (with version) and graph provenance
    total += 5 * len(occupations)                           # type, label, notation, definition, source
    codes = [r["O*NET-SOC Code"] for r in occupations]
    broad, minor, major = ({c[:6] for c in codes}, {c[:4] for c in codes}, {c[:2] for c in codes})
    total += len(occupations)                               # occupation skos:broader its broad group
    total += 4 * (len(broad) + len(minor)) + 3 * len(major)  # type, notation, source (+ broader above major)
    total += len(aliases)
    total += 3 * len(examples)                              # type, label, source
    total += len({r["Example"] for r in technology if r["Hot Technology"] == "Y"})
    total += 4 * len({r["Commodity Code"] for r in technology})
    total += len({(r["Example"], r["Commodity Code"]) for r in technology})
    total += len({(r["O*NET-SOC Code"], r["Example"]) for r in technology})
    total += 7 * len({(r["O*NET-SOC Code"], r["Example"], r["Commodity Code"]) for r in technology})
    assert kg.triple_count(URIRef(ONET_GRAPH)) == total == store[1].triples
    report = store[1]
    assert report.release == "29.2"
    assert report.counts["tools"] == len(examples)
    assert report.counts["occupation-tool links"] == len({(r["O*NET-SOC Code"], r["Example"]) for r in technology})


def test_soc_groups_from_the_code(kg, oracle):
    """Each occupation sits under its broad, minor and major SOC group, derived from the code's digits."""
    occupations = oracle[0]
    codes = {r["O*NET-SOC Code"] for r in occupations}
    chain = {str(r["x"]).rsplit("/", 1)[1]: [str(r["b"]), str(r["m"]), str(r["j"])] for r in kg.select(
        f"SELECT ?x ?b ?m ?j WHERE {{ GRAPH <{ONET_GRAPH}> {{ ?x a dt:Role ; skos:broader ?bg . ?bg skos:notation ?b ; "
        "skos:broader ?mg . ?mg skos:notation ?m ; skos:broader ?jg . ?jg skos:notation ?j "
        "FILTER NOT EXISTS { ?jg skos:broader ?up } } }")}
    assert set(chain) == codes
    assert chain[DATA_SCIENTISTS] == ["15-205", "15-2", "15"]
    assert chain["15-1243.01"] == ["15-124", "15-1", "15"]
    assert count(kg, f"?x skos:notation ?n FILTER(STRSTARTS(STR(?x), \"{ONET}soc-group/\"))") == len(
        {c[:k] for c in codes for k in (2, 4, 6)})
    # The groups carry no title: the release has none to give.
    assert count(kg, f"?x skos:prefLabel ?l FILTER(STRSTARTS(STR(?x), \"{ONET}soc-group/\"))") == 0


def test_names_and_attribution(kg):
    assert str(resolve(kg, "data scientists", ["role"]).iri) == ONET + "occupation/15-2051.00"
    assert str(resolve(kg, "data migration specialist", ["role"]).iri) == ONET + "occupation/15-1243.01"
    assert attributions(kg) == [ONET_LINE]


@pytest.mark.parametrize("name, column, value, message", [
    ("Technology Skills.txt", "Hot Technology", "Yes", "Hot Technology 'Yes' is not Y or N"),
    ("Occupation Data.txt", "O*NET-SOC Code", "15-20510", "O*NET-SOC Code '15-20510' is not of the form 15-2051.00"),
    ("Alternate Titles.txt", "O*NET-SOC Code", "x", "O*NET-SOC Code 'x' is not of the form"),
])
def test_bad_row_names_file_and_line_and_changes_nothing(tmp_path, store, name, column, value, message):
    folder = tmp_path / "onet-29.2"
    shutil.copytree(SLICE, folder)
    lines = (folder / name).read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    target = len(lines) // 2                     # a line in the middle of the file (1-based: target + 1)
    cells = lines[target].split("\t")
    cells[header.index(column)] = value
    lines[target] = "\t".join(cells)
    (folder / name).write_text("\n".join(lines), encoding="utf-8")
    path = tmp_path / "kg"
    shutil.copytree(store[0], path)
    manifest = read_manifest(path)
    with open_persistent(path, writable=True) as kg:
        before = kg.triple_count()
        with pytest.raises(BadRowError) as caught:
            import_onet(kg, [folder], force=True)
        assert kg.triple_count() == before
    assert str(caught.value).startswith(f"{folder / name}, line {target + 1}: {message}")
    assert read_manifest(path) == manifest


def test_row_with_wrong_field_count(tmp_path):
    folder = tmp_path / "onet"
    shutil.copytree(SLICE, folder)
    with open(folder / "Technology Skills.txt", "a", encoding="utf-8") as handle:
        handle.write("15-2051.00\tData Scientists\tToo short\n")
    n = len((folder / "Technology Skills.txt").read_text(encoding="utf-8").splitlines())
    with open_persistent(tmp_path / "kg", writable=True) as kg:
        with pytest.raises(BadRowError, match=rf"Technology Skills\.txt, line {n}: 3 field\(s\), expected 7"):
            import_onet(kg, [folder])


def test_cli_import_onet_json(tmp_path, runner, oracle):
    import json

    result = runner.invoke(main, ["--store", str(tmp_path / "kg"), "import", "onet", str(SLICE), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["occupations"] == len(oracle[0])
    assert data["graph"] == ONET_GRAPH and data["skipped"] is False
    assert data["attribution"] == ONET_LINE


def test_provenance_block_is_written_in_the_imported_graph():
    out = io.StringIO()
    w = QuadWriter(out, "https://example.org/graph/g")
    write_source_record(w, "https://example.org/source/s", identifier="s", title="S \"one\"", publisher="P",
                        rights="Use it.", license="https://example.org/licence", description="Line\nbreak",
                        release="2.0")
    w.flush()
    g, s = "<https://example.org/graph/g>", "<https://example.org/source/s>"
    dct = "http://purl.org/dc/terms/"
    assert out.getvalue().splitlines() == [
        f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/datateam-kg/ontology#Source> {g} .",
        f'{s} <{dct}identifier> "s" {g} .',
        f'{s} <{dct}title> "S \\"one\\""@en {g} .',
        f'{s} <{dct}publisher> "P" {g} .',
        f'{s} <{dct}rights> "Use it."@en {g} .',
        f"{s} <{dct}license> <https://example.org/licence> {g} .",
        f'{s} <{dct}description> "Line\\nbreak"@en {g} .',
        f'{s} <https://w3id.org/datateam-kg/ontology#sourceKind> "imported classification" {g} .',
        f'{s} <{dct}hasVersion> "2.0" {g} .',
        f"{g} <http://www.w3.org/ns/prov#wasDerivedFrom> {s} {g} .",
    ]
    assert w.count == 10
