"""The ESCO importer on the committed slice of ESCO v1.1.1 (tests/data/esco-v1.1.1-slice).

Every expected number is computed here from the slice's CSV files with the csv module, never with
the importer's code; the slice is real rows of the release (see tests/data/README.md).
"""

from __future__ import annotations

import csv
import gc
import io
import json
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from datateam.cli import main
from datateam.graph.errors import DatateamError
from datateam.graph.importers import ESCO_GRAPH, attributions, import_esco
from datateam.graph.importers.common import BadRowError
from datateam.graph.lookup.names import resolve
from datateam.graph.store.persistent import open_persistent, read_manifest
from datateam.graph.store.factory import load_knowledge_graph

SLICE = Path(__file__).resolve().parent / "data" / "esco-v1.1.1-slice"
CLASSIFICATION = SLICE / "esco-v1.1.1-classification-en-csv.zip"
RELATIONS = SLICE / "esco-v1.1.1-relations-csv.zip"
ESCO_LINE = "This service uses the ESCO classification of the European Commission."
DATA_SCIENTIST = "http://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30"
DATA_ANALYST = "http://data.europa.eu/esco/occupation/d3edb8f8-3a06-47a0-8fb9-9b212c006aa2"
SOFTWARE_DEVELOPER = "http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1"
DT = "https://w3id.org/datateam-kg/ontology#"


# ---------------------------------------------------------------------------------------------
# The oracle: the slice's CSVs read with the csv module


def rows(archive: Path, member: str) -> list[dict]:
    with zipfile.ZipFile(archive) as z, z.open(member) as handle:
        return list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8", newline="")))


class Oracle:
    def __init__(self):
        self.occupations = rows(CLASSIFICATION, "occupations_en.csv")
        self.skills = rows(CLASSIFICATION, "skills_en.csv")
        self.relations = rows(RELATIONS, "occupationSkillRelations.csv")
        self.isco = rows(CLASSIFICATION, "ISCOGroups_en.csv")
        self.skill_groups = rows(CLASSIFICATION, "skillGroups_en.csv")
        self.occ_uris = {r["conceptUri"] for r in self.occupations}
        self.skill_uris = {r["conceptUri"] for r in self.skills}
        self.links = {(r["occupationUri"], r["skillUri"]): r["relationType"] for r in self.relations
                      if r["occupationUri"] in self.occ_uris and r["skillUri"] in self.skill_uris}

    def skills_of(self, occupation: str, relation: str | None = None) -> set[str]:
        return {s for (o, s), t in self.links.items() if o == occupation and (relation is None or t == relation)}


@pytest.fixture(scope="module")
def oracle():
    return Oracle()


@pytest.fixture(scope="module")
def esco_store(tmp_path_factory):
    """A persistent store with the ESCO slice imported (module-scoped; tests only read it)."""
    path = tmp_path_factory.mktemp("esco") / "kg"
    with open_persistent(path, writable=True) as kg:
        report = import_esco(kg, [SLICE])
    return path, report


@pytest.fixture(scope="module")
def kg(esco_store):
    kg = open_persistent(esco_store[0])
    yield kg
    kg.close()


def count(kg, where: str, var: str = "x") -> int:
    return int(kg.select(f"SELECT (COUNT(DISTINCT ?{var}) AS ?n) WHERE {{ GRAPH <{ESCO_GRAPH}> {{ {where} }} }}")[0]["n"])


# ---------------------------------------------------------------------------------------------
# Entities and links


def test_the_slice_is_what_the_readme_says(oracle):
    # 69 ICT-professional occupations (ISCO 25xx) with their relations, plus 3 rows to a missing occupation.
    assert len(oracle.occupations) == 69
    assert {r["iscoGroup"][:2] for r in oracle.occupations} == {"25"}
    assert sum(1 for r in oracle.relations if r["occupationUri"] not in oracle.occ_uris) == 3
    assert {DATA_SCIENTIST, DATA_ANALYST, SOFTWARE_DEVELOPER} <= oracle.occ_uris


def test_every_occupation_is_a_role_and_every_skill_a_skill(kg, oracle):
    assert count(kg, "?x a dt:Role") == len(oracle.occupations)
    assert count(kg, "?x a esco:Occupation") == len(oracle.occupations)
    assert count(kg, "?x a dt:Skill") == len(oracle.skills)
    assert count(kg, "?x a esco:Skill") == len(oracle.skills)
    roles = {str(r["x"]) for r in kg.select(f"SELECT ?x WHERE {{ GRAPH <{ESCO_GRAPH}> {{ ?x a dt:Role }} }}")}
    assert roles == oracle.occ_uris


def test_skill_kinds_follow_skill_type_and_reuse_level(kg, oracle):
    knowledge = sum(1 for r in oracle.skills if r["skillType"] == "knowledge")
    soft = sum(1 for r in oracle.skills if r["skillType"] == "skill/competence" and r["reuseLevel"] == "transversal")
    technical = sum(1 for r in oracle.skills if r["skillType"] == "skill/competence" and r["reuseLevel"] != "transversal")
    untyped = sum(1 for r in oracle.skills if not r["skillType"])
    assert count(kg, "?x a dt:KnowledgeArea") == knowledge
    assert count(kg, "?x a dt:SoftSkill") == soft
    assert count(kg, "?x a dt:TechnicalSkill") == technical
    assert knowledge + soft + technical + untyped == len(oracle.skills)
    reuse = Counter(r["reuseLevel"] for r in oracle.skills if r["reuseLevel"])
    for level, n in reuse.items():
        assert count(kg, f"?x esco:skillReuseLevel <http://data.europa.eu/esco/skill-reuse-level/{level}>") == n


def test_links_become_requirements_with_levels(kg, oracle):
    essential = sum(1 for t in oracle.links.values() if t == "essential")
    optional = sum(1 for t in oracle.links.values() if t == "optional")
    assert count(kg, "?x a dt:SkillRequirement") == len(oracle.links)
    assert count(kg, "?x a dt:SkillRequirement ; dt:level dt:Core") == essential
    assert count(kg, "?x a dt:SkillRequirement ; dt:level dt:Working") == optional
    assert count(kg, "?x a dt:SkillRequirement ; dcterms:source <https://w3id.org/datateam-kg/source/esco>") \
        == len(oracle.links)
    # ESCO's own properties, counted as triples.
    # ESCO's own properties (which also link skills to skills), counted from occupations.
    assert count(kg, "?o a esco:Occupation ; esco:relatedEssentialSkill ?s . BIND(CONCAT(STR(?o), STR(?s)) AS ?x)") \
        == essential
    assert count(kg, "?o a esco:Occupation ; esco:relatedOptionalSkill ?s . BIND(CONCAT(STR(?o), STR(?s)) AS ?x)") \
        == optional
    shortcut = {(str(r["o"]), str(r["s"])) for r in kg.select(
        f"SELECT ?o ?s WHERE {{ GRAPH <{ESCO_GRAPH}> {{ ?o dt:requiresSkill ?s }} }}")}
    assert shortcut == set(oracle.links)


@pytest.mark.parametrize("occupation", [DATA_SCIENTIST, DATA_ANALYST, SOFTWARE_DEVELOPER])
def test_essential_skill_count_of_an_occupation(kg, oracle, occupation):
    rows_ = kg.select("""
        SELECT ?role (COUNT(DISTINCT ?skill) AS ?n) WHERE {
          ?req a dt:SkillRequirement ; dt:role ?role ; dt:skill ?skill ; dt:level dt:Core .
        } GROUP BY ?role""", {"role": URIRef(occupation)})
    assert int(rows_[0]["n"]) == len(oracle.skills_of(occupation, "essential"))


def test_known_essential_counts_literal(kg):
    # Stable facts of ESCO v1.1.1, as literals: data scientist 54 essential of 75; data analyst 30 of 52.
    for occupation, essential, total in ((DATA_SCIENTIST, 54, 75), (DATA_ANALYST, 30, 52)):
        got = kg.select("""SELECT ?role (COUNT(DISTINCT ?s) AS ?n) (SUM(IF(?l = dt:Core, 1, 0)) AS ?core) WHERE {
                             ?r a dt:SkillRequirement ; dt:role ?role ; dt:skill ?s ; dt:level ?l } GROUP BY ?role""",
                        {"role": URIRef(occupation)})[0]
        assert (int(got["core"]), int(got["n"])) == (essential, total)


def test_jaccard_of_data_scientist_and_data_analyst(kg, oracle):
    a, b = oracle.skills_of(DATA_SCIENTIST), oracle.skills_of(DATA_ANALYST)
    expected = len(a & b) / len(a | b)
    assert (len(a & b), len(a | b)) == (38, 89)
    # Through the project's overlap analysis, with names resolving to ESCO's occupations.
    from datateam.graph.analysis.overlap import overlap

    result = overlap(kg, "data scientist", "data analyst", by="skills")
    assert result["a"]["id"] == DATA_SCIENTIST and result["b"]["id"] == DATA_ANALYST
    assert result["jaccard"] == pytest.approx(expected, abs=1e-6)
    # And as plain SPARQL counts, a second way.
    shared = kg.select("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { <%s> dt:requiresSkill ?s . <%s> dt:requiresSkill ?s }"
                       % (DATA_SCIENTIST, DATA_ANALYST))
    assert int(shared[0]["n"]) == len(a & b)


def test_labels_definitions_and_hierarchy(kg, oracle):
    occ = {r["conceptUri"]: r for r in oracle.occupations}
    alt = {(u, a.strip()) for u, r in occ.items() for a in r["altLabels"].split("\n")
           if a.strip() and a.strip() != r["preferredLabel"]}
    got = {(str(r["x"]), str(r["l"])) for r in kg.select(
        f"SELECT ?x ?l WHERE {{ GRAPH <{ESCO_GRAPH}> {{ ?x a dt:Role ; skos:altLabel ?l }} }}")}
    assert got == alt
    row = kg.select("SELECT DISTINCT ?x ?label ?definition ?code ?group WHERE { ?x skos:prefLabel ?label ; skos:definition "
                    "?definition ; skos:notation ?code ; esco:memberOfISCOGroup ?group }", {"x": URIRef(DATA_SCIENTIST)})
    assert len(row) == 1
    assert str(row[0]["label"]) == occ[DATA_SCIENTIST]["preferredLabel"] == "data scientist"
    assert row[0]["label"].language == "en"
    assert str(row[0]["definition"]) == occ[DATA_SCIENTIST]["description"].strip()
    assert str(row[0]["code"]) == occ[DATA_SCIENTIST]["code"]
    assert str(row[0]["group"]) == "http://data.europa.eu/esco/isco/C" + occ[DATA_SCIENTIST]["iscoGroup"]
    family = kg.select("SELECT ?x ?f WHERE { ?x dt:roleFamily/skos:prefLabel ?f }", {"x": URIRef(DATA_SCIENTIST)})
    isco_label = {r["code"]: r["preferredLabel"] for r in oracle.isco}[occ[DATA_SCIENTIST]["iscoGroup"]]
    assert [str(r["f"]) for r in family] == [isco_label]
    broader = rows(RELATIONS, "broaderRelationsSkillPillar.csv")
    assert count(kg, "?a skos:broader ?b . ?a a ?t . VALUES ?t { dt:Skill dt:SkillGroup } "
                     "BIND(CONCAT(STR(?a), STR(?b)) AS ?x)") == len({(r["conceptUri"], r["broaderUri"]) for r in broader})


def test_graph_total_matches_the_mapping_computed_from_the_csvs(esco_store, kg, oracle):
    """The triple count of graph/import/esco, computed row by row from the documented mapping."""
    def labels(r, sep="\n"):
        pref = r["preferredLabel"].strip()
        alts = {a.strip() for a in r.get("altLabels", "").split(sep) if a.strip() and a.strip() != pref}
        hidden = {a.strip() for a in (r.get("hiddenLabels") or "").split(sep) if a.strip()}
        notes = sum(1 for c in ("description", "definition", "scopeNote") if (r.get(c) or "").strip())
        return 1 + len(alts) + len(hidden) + notes

    isco_codes = {r["code"] for r in oracle.isco}
    total = 9 + 1                                      # the source node and the graph's provenance
    total += sum(4 + labels(r) for r in oracle.isco)   # 2 types, notation, source
    families = {r["iscoGroup"] for r in oracle.occupations if r["iscoGroup"] in isco_codes}
    for r in oracle.occupations:
        total += 4 + labels(r) + (1 if r["code"] else 0) + 1 + (1 if r["iscoGroup"] in isco_codes else 0)
    total += len(families)                             # unit groups typed dt:RoleFamily
    total += sum(3 + labels(r) + (1 if r["code"] else 0) for r in oracle.skill_groups)
    for r in oracle.skills:
        total += 4 + (1 if r["skillType"] else 0) * 2 + (1 if r["reuseLevel"] else 0) + labels(r)
    total += 3 * 2 + 3 * 4                             # skill-type and reuse-level concepts
    total += 7 * len(oracle.links)                     # 2 shortcut/ESCO triples + 5 on the requirement node
    known_skill = oracle.skill_uris | {r["conceptUri"] for r in oracle.skill_groups}
    known_occ = oracle.occ_uris | {r["conceptUri"] for r in oracle.isco}
    total += len({(r["conceptUri"], r["broaderUri"]) for r in rows(RELATIONS, "broaderRelationsSkillPillar.csv")
                  if r["conceptUri"] in known_skill and r["broaderUri"] in known_skill})
    total += len({(r["conceptUri"], r["broaderUri"]) for r in rows(RELATIONS, "broaderRelationsOccPillar.csv")
                  if r["conceptUri"] in known_occ and r["broaderUri"] in known_occ})
    total += len({(r["originalSkillUri"], r["relationType"], r["relatedSkillUri"])
                  for r in rows(RELATIONS, "skillSkillRelations.csv")})
    graph = URIRef(ESCO_GRAPH)
    assert kg.triple_count(graph) == total
    assert sum(1 for _ in kg.store.quads_for_pattern(None, None, None, ox.NamedNode(ESCO_GRAPH))) == total
    assert esco_store[1].triples == total


def test_report_counts_and_left_out_rows(esco_store, oracle):
    report = esco_store[1]
    assert report.counts["occupations"] == len(oracle.occupations)
    assert report.counts["skills"] == len(oracle.skills)
    assert report.counts["essential links"] + report.counts["optional links"] == len(oracle.links)
    assert report.counts["relation rows left out"] == 3
    assert any("a9e54177-a185-404d-b6e6-15663d31137e" in w and "3 row(s)" in w for w in report.warnings)
    assert report.release == "v1.1.1"


def test_names_resolve_to_esco_before_the_shipped_roles(kg):
    assert str(resolve(kg, "data scientist", ["role"]).iri) == DATA_SCIENTIST
    assert str(resolve(kg, "Data Analyst", ["role"]).iri) == DATA_ANALYST
    # A role ESCO does not have still resolves to the shipped knowledge base.
    assert str(resolve(kg, "MLOps engineer", ["role"]).iri) == "https://w3id.org/datateam-kg/role/mlops-engineer"


def test_attribution_lines(kg):
    assert attributions(kg) == [ESCO_LINE]
    assert attributions(load_knowledge_graph()) == []


# ---------------------------------------------------------------------------------------------
# Replacing, all or nothing


def _dump(path: Path) -> set[str]:
    """Every quad of the store at `path`, as text (opened read-only, so nothing changes)."""
    with open_persistent(path) as kg:
        return {str(q) for q in kg.store.quads_for_pattern(None, None, None, None)}


def _unpack(tmp_path: Path) -> Path:
    folder = tmp_path / "esco-v1.1.1-unpacked"
    folder.mkdir()
    for archive in (CLASSIFICATION, RELATIONS):
        with zipfile.ZipFile(archive) as z:
            z.extractall(folder)
    return folder


def _edit_csv(path: Path, row_index: int, column: str, value: str) -> int:
    """Set one cell of a CSV file; return the line number where that record starts."""
    with open(path, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    header = records[0]
    records[row_index + 1][header.index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(records)
    # The line of the record: 1 for the header plus the lines of every record before it.
    line = 1
    for record in records[1:row_index + 1]:
        line += 1 + sum(cell.count("\n") for cell in record)
    return line + 1


def test_unpacked_folder_gives_the_same_graph_as_the_zips(tmp_path, esco_store):
    folder = _unpack(tmp_path)
    with open_persistent(tmp_path / "kg", writable=True) as kg:
        import_esco(kg, [folder])
        unpacked = {str(q) for q in kg.store.quads_for_pattern(None, None, None, ox.NamedNode(ESCO_GRAPH))}
    with open_persistent(esco_store[0]) as kg:
        zipped = {str(q) for q in kg.store.quads_for_pattern(None, None, None, ox.NamedNode(ESCO_GRAPH))}
    assert unpacked == zipped


@pytest.mark.slow
def test_reimport_replaces_and_never_duplicates(tmp_path, oracle):
    folder = _unpack(tmp_path)
    store = tmp_path / "kg"
    with open_persistent(store, writable=True) as kg:
        first = import_esco(kg, [folder])
        again = import_esco(kg, [folder])              # same files: recognised, nothing done
        assert again.skipped and kg.triple_count(URIRef(ESCO_GRAPH)) == first.triples
        forced = import_esco(kg, [folder], force=True)
        assert not forced.skipped and forced.triples == first.triples
    # Change the release: drop data analyst's relations; the new import replaces the old graph.
    path = folder / "occupationSkillRelations.csv"
    kept = [r for r in rows_of(path) if r["occupationUri"] != DATA_ANALYST]
    write_rows(path, kept)
    with open_persistent(store, writable=True) as kg:
        changed = import_esco(kg, [folder])
        assert count(kg, f"?x a dt:SkillRequirement ; dt:role <{DATA_ANALYST}>") == 0
        assert count(kg, "?x a dt:SkillRequirement") == len(oracle.links) - len(oracle.skills_of(DATA_ANALYST))
        assert changed.triples == first.triples - 7 * len(oracle.skills_of(DATA_ANALYST))


def rows_of(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


@pytest.mark.parametrize("member, row_index, column, value, message", [
    ("occupationSkillRelations.csv", 1000, "relationType", "mandatory", "relationType 'mandatory' is not essential"),
    ("skills_en.csv", 20, "conceptUri", "http://example.org/not-esco", "is not an ESCO skill URI"),
    # skillSkillRelations.csv is read last: most of the import is already in the loader by then.
    ("skillSkillRelations.csv", 300, "relatedSkillUri", "not a uri", "is not an ESCO skill URI"),
])
def test_bad_row_names_file_and_line_and_leaves_the_store_as_it_was(tmp_path, esco_store, member, row_index,
                                                                   column, value, message):
    store = tmp_path / "kg"
    shutil.copytree(esco_store[0], store)
    before, manifest = _dump(store), read_manifest(store)
    # a `cache/` folder (saved indexes) is there when an earlier test of the module asked for one
    entries = sorted(p.name for p in store.iterdir())
    assert {"datateam-store.json", "lock", manifest["database"]} <= set(entries) <= {
        "datateam-store.json", "lock", manifest["database"], "cache"}
    folder = _unpack(tmp_path)
    line = _edit_csv(folder / member, row_index, column, value)
    with open_persistent(store, writable=True) as kg:
        with pytest.raises(BadRowError) as caught:
            import_esco(kg, [folder], force=True)
    text = str(caught.value)
    assert f"{member}, line {line}: " in text and message in text
    assert "\n" not in text
    assert read_manifest(store) == manifest
    assert _dump(store) == before
    assert sorted(p.name for p in store.iterdir()) == entries


def test_bad_row_through_the_cli_is_one_line_and_exit_1(tmp_path, runner, esco_store):
    folder = _unpack(tmp_path)
    line = _edit_csv(folder / "occupations_en.csv", 5, "iscoGroup", "25x1")
    result = runner.invoke(main, ["--store", str(tmp_path / "kg"), "import", "esco", str(folder)])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert f"occupations_en.csv, line {line}: iscoGroup '25x1' is not an ISCO code" in result.output
    assert "Traceback" not in result.output


def test_in_memory_import_gives_the_same_graph(esco_store):
    kg = load_knowledge_graph()
    report = import_esco(kg, [SLICE])
    assert report.triples == esco_store[1].triples
    assert str(resolve(kg, "data scientist", ["role"]).iri) == DATA_SCIENTIST


def test_progress_is_reported_and_ends_at_one(tmp_path):
    seen = []
    kg = load_knowledge_graph()
    import_esco(kg, [SLICE], progress=lambda label, fraction: seen.append((label, fraction)))
    assert seen[-1] == ("done", 1.0)
    assert all(0.0 <= f <= 1.0 for _, f in seen)
    assert any(label.startswith("reading skills_en.csv") for label, _ in seen)


# ---------------------------------------------------------------------------------------------
# The command line


def test_import_needs_a_store(runner, monkeypatch):
    monkeypatch.delenv("DATATEAM_STORE", raising=False)
    result = runner.invoke(main, ["import", "esco", str(SLICE)])
    assert result.exit_code == 1
    assert result.output.startswith("error: this command writes into a persistent store: add --store PATH")
    assert "Traceback" not in result.output


def test_cli_import_then_commands_work_on_esco(tmp_path, runner, oracle):
    store = str(tmp_path / "kg")
    result = runner.invoke(main, ["import", "esco", str(SLICE), "--store", store])
    assert result.exit_code == 0, result.output
    assert f"occupations: {len(oracle.occupations)}" in result.stdout
    assert result.stdout.rstrip().endswith(ESCO_LINE)
    assert result.stderr == ""                         # no progress bar when not on a terminal
    shown = runner.invoke(main, ["--store", store, "show", "data scientist", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    details = json.loads(shown.stdout)
    del shown
    gc.collect()   # the result's traceback keeps the reading command's store (and its lock) alive
    assert details["id"] == DATA_SCIENTIST
    assert {s["label"] for s in details["skills"]} == {
        r["preferredLabel"].strip() for r in oracle.skills if r["conceptUri"] in oracle.skills_of(DATA_SCIENTIST)}
    again = runner.invoke(main, ["--store", store, "import", "esco", str(SLICE), "--format", "json"])
    assert json.loads(again.stdout)["skipped"] is True


def test_console_command_overlap_prints_the_csv_jaccard(tmp_path, oracle):
    """The issue's done-when, through the installed console command in real processes."""
    exe = Path(sys.executable).with_name("datateam")
    store = str(tmp_path / "kg")
    imported = subprocess.run([str(exe), "import", "esco", str(SLICE), "--store", store],
                              capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    shown = subprocess.run([str(exe), "--store", store, "overlap", "data scientist", "data analyst"],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    a, b = oracle.skills_of(DATA_SCIENTIST), oracle.skills_of(DATA_ANALYST)
    assert f"Jaccard {len(a & b) / len(a | b):.3f} ({len(a & b)} shared of {len(a | b)})" in shown.stdout


def test_import_refuses_an_endpoint(runner):
    result = runner.invoke(main, ["--endpoint", "http://127.0.0.1:9/sparql", "import", "esco", str(SLICE)])
    assert result.exit_code == 1
    assert "not on --endpoint" in result.output


def test_missing_files_are_named(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatateamError, match=r"no occupations_en\.csv, skills_en\.csv, occupationSkillRelations\.csv found"):
        import_esco(load_knowledge_graph(), [tmp_path / "empty"])
