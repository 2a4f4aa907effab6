"""Full-scale correctness on the real releases in ../shared/data (ESCO v1.1.1, O*NET 29.2).

Both are imported once into a temporary persistent store; every expected number is computed here
from the release files with the csv module. Skipped, with the reason, where the data folder is absent
(a user's fresh clone); the slice tests (test_import_esco.py, test_import_onet.py) still run there.
"""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import URIRef

from datateam.graph.importers import ESCO_GRAPH, ONET_GRAPH, attributions, import_esco, import_onet
from datateam.graph.store.persistent import open_persistent, store_info

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
ESCO_DIR = DATA / "esco-v1.1.1"
ONET_DIR = DATA / "onet-29.2"

pytestmark = [pytest.mark.full_data, pytest.mark.slow, pytest.mark.skipif(
    not (ESCO_DIR.is_dir() and ONET_DIR.is_dir()),
    reason=f"full-scale tests need the real ESCO and O*NET releases in {DATA} (not present here); "
           "the committed slices in tests/data are tested instead")]

OCC = "http://data.europa.eu/esco/occupation/"
CHECKED_OCCUPATIONS = {
    "data scientist": OCC + "258e46f9-0075-4a2e-adae-1ff0477e0f30",
    "data analyst": OCC + "d3edb8f8-3a06-47a0-8fb9-9b212c006aa2",
    "software developer": OCC + "f2b15a0e-e65a-438a-affb-29b9d50b77d1",
    "ICT business analyst": OCC + "fe0fa514-b48d-4a53-9757-a283c0baacf0",
    "database designer": OCC + "8d9ec84d-cf2d-4179-87bc-335cda54a427",
}


def esco_rows(zip_name: str, member: str) -> list[dict]:
    with zipfile.ZipFile(ESCO_DIR / zip_name) as z, z.open(member) as handle:
        return list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8", newline="")))


def onet_rows(name: str) -> list[dict]:
    with open(ONET_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def release():
    occupations = esco_rows("esco-v1.1.1-classification-en-csv.zip", "occupations_en.csv")
    skills = esco_rows("esco-v1.1.1-classification-en-csv.zip", "skills_en.csv")
    relations = esco_rows("esco-v1.1.1-relations-csv.zip", "occupationSkillRelations.csv")
    occ_uris = {r["conceptUri"] for r in occupations}
    skill_uris = {r["conceptUri"] for r in skills}
    links = {(r["occupationUri"], r["skillUri"]): r["relationType"] for r in relations
             if r["occupationUri"] in occ_uris and r["skillUri"] in skill_uris}
    skills_of = defaultdict(dict)
    for (o, s), t in links.items():
        skills_of[o][s] = t
    return {"occupations": occupations, "skills": skills, "relations": relations, "links": links,
            "skills_of": skills_of, "technology": onet_rows("Technology Skills.txt"),
            "onet_occupations": onet_rows("Occupation Data.txt")}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("full") / "kg"
    with open_persistent(path, writable=True) as kg:
        esco = import_esco(kg, [ESCO_DIR])
        onet = import_onet(kg, [ONET_DIR])
    return path, esco, onet


@pytest.fixture(scope="module")
def kg(store):
    kg = open_persistent(store[0])
    yield kg
    kg.close()


def test_the_release_files_are_the_official_ones():
    expected = {"occupations_en.csv": "f88c2bdcda9ec1340fec7cfdfb250b0f", "skills_en.csv": "6ad63af02032d0776c637e87b6fe1643",
                "occupationSkillRelations.csv": "403d5b115d3241eb7b35fd34863338ba"}
    got = {}
    for archive in ESCO_DIR.glob("*.zip"):
        with zipfile.ZipFile(archive) as z:
            for name in expected:
                if name in z.namelist():
                    got[name] = hashlib.md5(z.read(name)).hexdigest()
    assert got == expected


def test_jaccard_of_data_scientist_and_data_analyst_by_sparql(kg, release):
    a = set(release["skills_of"][CHECKED_OCCUPATIONS["data scientist"]])
    b = set(release["skills_of"][CHECKED_OCCUPATIONS["data analyst"]])
    got = {}
    for name in ("data scientist", "data analyst"):
        got[name] = {str(r["s"]) for r in kg.select(
            "SELECT DISTINCT ?s WHERE { <%s> dt:requiresSkill ?s }" % CHECKED_OCCUPATIONS[name])}
    assert (got["data scientist"], got["data analyst"]) == (a, b)
    assert (len(a & b), len(a | b)) == (38, 89)


def test_done_when_through_the_console_command(store, release):
    """`datateam --store kg overlap "data scientist" "data analyst"` prints the CSVs' Jaccard.

    This runs the project's overlap analysis (graph/analysis/overlap.py) end to end in a fresh process.
    """
    a = set(release["skills_of"][CHECKED_OCCUPATIONS["data scientist"]])
    b = set(release["skills_of"][CHECKED_OCCUPATIONS["data analyst"]])
    exe = str(Path(sys.executable).with_name("datateam"))
    text = subprocess.run([exe, "--store", str(store[0]), "overlap", "data scientist", "data analyst"],
                          capture_output=True, text=True, timeout=600)
    assert text.returncode == 0, text.stderr
    assert f"Jaccard {len(a & b) / len(a | b):.3f} ({len(a & b)} shared of {len(a | b)})" in text.stdout


@pytest.mark.parametrize("name", sorted(CHECKED_OCCUPATIONS))
def test_essential_and_optional_counts(kg, release, name):
    uri = CHECKED_OCCUPATIONS[name]
    levels = release["skills_of"][uri]
    rows = kg.select("""
        SELECT ?role (SUM(IF(?l = dt:Core, 1, 0)) AS ?core) (SUM(IF(?l = dt:Working, 1, 0)) AS ?working) WHERE {
          SELECT DISTINCT ?role ?r ?l WHERE { ?r a dt:SkillRequirement ; dt:role ?role ; dt:level ?l }
        } GROUP BY ?role""", {"role": URIRef(uri)})
    assert (int(rows[0]["core"]), int(rows[0]["working"])) == (
        sum(1 for t in levels.values() if t == "essential"), sum(1 for t in levels.values() if t == "optional"))


def test_technologies_of_data_scientists(kg, release):
    expected = {r["Example"] for r in release["technology"] if r["O*NET-SOC Code"] == "15-2051.00"}
    rows = kg.select("SELECT DISTINCT ?l WHERE { <https://w3id.org/datateam-kg/onet/occupation/15-2051.00> "
                     "dt:usesTool/skos:prefLabel ?l }")
    assert {str(r["l"]) for r in rows} == expected
    assert len(expected) == 86


def graph_count(kg, graph: str, where: str) -> int:
    return int(kg.select(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH <{graph}> {{ {where} }} }}")[0]["n"])


def test_totals_per_graph(kg, store, release):
    esco, onet = store[1], store[2]
    assert graph_count(kg, ESCO_GRAPH, "?x a dt:Role") == len(release["occupations"]) == 3007
    assert graph_count(kg, ESCO_GRAPH, "?x a dt:Skill") == len(release["skills"]) == 13896
    assert graph_count(kg, ESCO_GRAPH, "?x a dt:KnowledgeArea") == sum(
        1 for r in release["skills"] if r["skillType"] == "knowledge")
    assert graph_count(kg, ESCO_GRAPH, "?x a dt:SkillRequirement") == len(release["links"])
    assert graph_count(kg, ESCO_GRAPH, "?x a dt:SkillRequirement ; dt:level dt:Core") == sum(
        1 for t in release["links"].values() if t == "essential")
    assert len(release["relations"]) - len(release["links"]) == esco.counts["relation rows left out"] == 67
    technology = release["technology"]
    assert graph_count(kg, ONET_GRAPH, "?x a dt:Role") == len(release["onet_occupations"]) == 1016
    assert graph_count(kg, ONET_GRAPH, "?x a dt:Tool") == len({r["Example"] for r in technology})
    assert graph_count(kg, ONET_GRAPH, "?x a dt:ToolUse") == len(technology) == 32627
    assert graph_count(kg, ONET_GRAPH, "?x a dt:ToolCategory") == len({r["Commodity Code"] for r in technology})
    # Triple totals two ways: the store's count per graph and the importer's report.
    info = {g["graph"]: g["triples"] for g in store_info(kg)["graphs"]}
    assert info[ESCO_GRAPH] == kg.triple_count(URIRef(ESCO_GRAPH)) == esco.triples
    assert info[ONET_GRAPH] == kg.triple_count(URIRef(ONET_GRAPH)) == onet.triples


def test_both_attribution_lines(kg):
    lines = attributions(kg)
    assert lines[1] == "This service uses the ESCO classification of the European Commission."
    assert lines[0].startswith("This service includes information from the O*NET 29.2 Database")
