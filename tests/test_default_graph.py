"""The default graph is the RDF merge of the named graphs, in memory and on disk, before and after writes.

Expected values are computed here from the named graphs' quads with Python sets, independently of
SPARQL and of graph/store/merge.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from datateam.graph.store.factory import load_knowledge_graph
from datateam.graph.store.persistent import MANIFEST, STORE_FORMAT_VERSION, open_persistent, read_manifest
from datateam.ontology.namespaces import BASE
from datateam.queries.engine.execute import DEFAULT_BASE_IRI, run_query
from datateam.queries.server.service_description import VOID, service_description

ROLE_TYPE = URIRef(BASE + "ontology#Role")
OLX = BASE + "graph/olx-interview"
DATAMAX = BASE + "graph/datamax-hats"
USER_TTL = """\
@prefix dt: <https://w3id.org/datateam-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ex: <https://example.org/acme/> .

ex:source a dt:Source ; dcterms:title "ACME's own role catalogue" ; dcterms:identifier "acme" .
<https://w3id.org/datateam-kg/role/data-engineer> a dt:Role .
ex:data-wrangler a dt:Role ;
    skos:prefLabel "data wrangler"@en ;
    skos:definition "Tidies the raw exports of the ACME shop before anyone analyses them."@en ;
    dcterms:source ex:source .
"""


def merge_of(store: ox.Store, graphs=None) -> set:
    """The set of triples of the named graphs (all, or those IRIs)."""
    wanted = None if graphs is None else {ox.NamedNode(g) for g in graphs}
    return {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, None)
            if not isinstance(q.graph_name, ox.DefaultGraph) and (wanted is None or q.graph_name in wanted)}


def default_graph(store: ox.Store) -> set:
    return {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}


def count(kg, text, **kw) -> int:
    return int(run_query(kg, text, **kw).rows[0]["n"])


@pytest.fixture(scope="module")
def kg():
    return load_knowledge_graph()


def test_a_fact_stated_by_five_sources_is_one_row(kg):
    sources = {str(r["g"]) for r in kg.select("SELECT ?g WHERE { GRAPH ?g { role:data-engineer a dt:Role } }")}
    assert len(sources) >= 5
    assert run_query(kg, "SELECT ?t WHERE { role:data-engineer a ?t }").rows == [{"t": ROLE_TYPE}]
    assert kg.select("SELECT ?t WHERE { role:data-engineer a ?t }") == [{"t": ROLE_TYPE}]


def test_the_default_graph_is_the_merge_and_counts_agree(kg):
    merge = merge_of(kg.store)
    assert default_graph(kg.store) == merge
    assert count(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == len(merge) == kg.triple_count()
    description = service_description(kg, "http://127.0.0.1:8000/sparql")
    totals = {int(o) for s, o in description.subject_objects(VOID.triples) if str(s) == "default-graph"}
    assert totals == {len(merge)}


def test_graph_variables_see_the_named_graphs_only(kg):
    rows = run_query(kg, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g").rows
    assert [r["g"] for r in rows] == kg.graph_names()
    named_quads = len([q for q in kg.store.quads_for_pattern(None, None, None, None)
                       if not isinstance(q.graph_name, ox.DefaultGraph)])
    assert count(kg, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == named_quads


def test_from_several_graphs_is_their_merge(kg):
    expected = len(merge_of(kg.store, [OLX, DATAMAX]))
    assert expected < len(merge_of(kg.store, [OLX])) + len(merge_of(kg.store, [DATAMAX]))  # they share triples
    text = f"SELECT (COUNT(*) AS ?n) FROM <{OLX}> FROM <{DATAMAX}> WHERE {{ ?s ?p ?o }}"
    assert count(kg, text) == expected
    assert count(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=[OLX, DATAMAX]) == expected
    assert count(kg, f"SELECT (COUNT(*) AS ?n) FROM <{OLX}> WHERE {{ ?s ?p ?o }}") == len(merge_of(kg.store, [OLX]))


def test_a_protocol_dataset_replaces_from(kg):
    text = f"SELECT (COUNT(*) AS ?n) FROM <{OLX}> WHERE {{ ?s ?p ?o }}"
    assert count(kg, text, default_graph=[DATAMAX]) == len(merge_of(kg.store, [DATAMAX]))
    named = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(kg, named, named_graphs=[OLX]) == 1
    assert count(kg, named, default_graph=[OLX]) == 0  # no named-graph-uri: no named graphs
    assert count(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", named_graphs=[OLX]) == 0


def test_relative_iris_resolve_against_the_documented_base(kg):
    result = run_query(kg, "CONSTRUCT { <s> <p> 1 } WHERE {}")
    assert DEFAULT_BASE_IRI == "https://w3id.org/datateam-kg/"
    assert result.serialize("nt") == (b'<https://w3id.org/datateam-kg/s> <https://w3id.org/datateam-kg/p> '
                                      b'"1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    other = run_query(kg, "SELECT ?x WHERE { BIND(<a> AS ?x) }", base_iri="http://example.org/dir/")
    assert other.rows == [{"x": URIRef("http://example.org/dir/a")}]
    declared = run_query(kg, "BASE <http://example.org/b/> SELECT ?x WHERE { BIND(<a> AS ?x) }")
    assert declared.rows == [{"x": URIRef("http://example.org/b/a")}]


def test_a_persistent_store_keeps_the_merge_through_writes(tmp_path):
    path, user = tmp_path / "kg", tmp_path / "acme.ttl"
    user.write_text(USER_TTL, encoding="utf-8")
    with open_persistent(path) as kg:
        assert default_graph(kg.store) == merge_of(kg.store)
        before = kg.triple_count()
    with open_persistent(path, [user]) as kg:
        assert default_graph(kg.store) == merge_of(kg.store)
        user_triples = merge_of(kg.store, [BASE + "graph/user/acme"])
        assert len(user_triples) == 8
        # one of them (data-engineer is a dt:Role) was in the merge already; the metadata graph
        # records the new graph with four triples
        assert kg.triple_count() == len(merge_of(kg.store)) == before + 7 + 4
        assert kg.select("SELECT ?t WHERE { role:data-engineer a ?t }") == [{"t": ROLE_TYPE}]
    with open_persistent(path, writable=True) as kg:
        kg.drop_graphs([BASE + "graph/user/acme"])
        assert default_graph(kg.store) == merge_of(kg.store)
        assert kg.triple_count() == before
        assert kg.select("SELECT ?t WHERE { role:data-engineer a ?t }") == [{"t": ROLE_TYPE}]
        result = run_query(kg, f"INSERT DATA {{ GRAPH <{BASE}graph/user/x> {{ role:new-hat a dt:Role }} }} ; "
                               "INSERT DATA { role:nowhere a dt:Role }", allow_update=True)
        assert int(result.rows[0]["dropped_from_default"]) == 1
        assert default_graph(kg.store) == merge_of(kg.store)
        assert run_query(kg, "ASK { role:new-hat a dt:Role }").boolean
        assert not run_query(kg, "ASK { role:nowhere a dt:Role }").boolean


def test_a_store_of_the_older_format_gets_its_merge(tmp_path):
    path = tmp_path / "kg"
    with open_persistent(path, writable=True) as kg:
        kg.store.clear_graph(ox.DefaultGraph())
        kg.store.flush()
    manifest = read_manifest(path)
    manifest["format_version"] = 1
    (path / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with open_persistent(path) as kg:
        assert read_manifest(path)["format_version"] == STORE_FORMAT_VERSION == 2
        assert default_graph(kg.store) == merge_of(kg.store) != set()
        assert kg.select("SELECT ?t WHERE { role:data-engineer a ?t }") == [{"t": ROLE_TYPE}]


def test_imports_keep_the_merge_in_memory_and_on_disk(tmp_path):
    from datateam.graph.importers import import_esco

    slice_dir = Path(__file__).resolve().parent / "data" / "esco-v1.1.1-slice"
    kg = load_knowledge_graph()
    import_esco(kg, [slice_dir])
    assert default_graph(kg.store) == merge_of(kg.store)
    with open_persistent(tmp_path / "kg", writable=True) as store_kg:
        import_esco(store_kg, [slice_dir])
        assert default_graph(store_kg.store) == merge_of(store_kg.store)
        with_esco = len(merge_of(store_kg.store))
        import_esco(store_kg, [slice_dir], force=True)       # replaced, not added twice
        assert default_graph(store_kg.store) == merge_of(store_kg.store)
        assert len(merge_of(store_kg.store)) == with_esco
        assert store_kg.triple_count() == with_esco


def test_the_cli_the_overview_and_the_service_description_agree(kg):
    from click.testing import CliRunner

    from datateam.cli import main

    runner = CliRunner()
    overview = json.loads(runner.invoke(main, ["overview", "--format", "json"], catch_exceptions=False).stdout)
    counted = runner.invoke(main, ["query", "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv"],
                            catch_exceptions=False)
    description = service_description(kg, "http://127.0.0.1:8000/sparql")
    totals = {int(o) for s, o in description.subject_objects(VOID.triples) if str(s) == "default-graph"}
    assert overview["triples"] == int(counted.stdout.splitlines()[1]) == len(merge_of(kg.store))
    assert totals == {overview["triples"]}


def test_the_cli_resolves_relative_iris_and_writes_rdf_xml():
    from click.testing import CliRunner

    from datateam.cli import main

    runner = CliRunner()
    text = "CONSTRUCT { <s> <p> 1 } WHERE {}"
    done = runner.invoke(main, ["query", "-e", text, "--format", "nt"], catch_exceptions=False)
    assert done.stdout == ('<https://w3id.org/datateam-kg/s> <https://w3id.org/datateam-kg/p> '
                           '"1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    xml = runner.invoke(main, ["query", "-e", text, "--format", "rdfxml", "--base", "http://example.org/x/"],
                        catch_exceptions=False)
    parsed = list(ox.parse(xml.stdout_bytes, format=ox.RdfFormat.RDF_XML))
    assert [str(t) for t in parsed] == ['<http://example.org/x/s> <http://example.org/x/p> '
                                        '"1"^^<http://www.w3.org/2001/XMLSchema#integer>']
    bad = runner.invoke(main, ["query", "-e", "ASK {}", "--base", "not an iri"])
    assert bad.exit_code == 1
    assert bad.output == "error: --base 'not an iri' is not an absolute IRI (e.g. https://example.org/base/)\n"


# ---------------------------------------------------------------------------------------------
# Imports write the default graph's copies in their bulk-load stream: the merge must stay exact.

ESCO_SLICE = Path(__file__).resolve().parent / "data" / "esco-v1.1.1-slice"
ESCO_GRAPH = BASE + "graph/import/esco"
DATA_ANALYST = "http://data.europa.eu/esco/occupation/d3edb8f8-3a06-47a0-8fb9-9b212c006aa2"
# A triple the ESCO slice states too, stated first by the user's own graph.
SHARED = (f"<{DATA_ANALYST}>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", f"<{BASE}ontology#Role>")
MINE = f"{' '.join(SHARED)} .\n<https://example.org/acme/a> <https://example.org/acme/b> \"mine\" .\n"


def sparql_count(store: ox.Store, text: str) -> int:
    return int(next(iter(store.query(text, use_default_graph_as_union=False)))["n"].value)


def assert_default_is_the_merge(store: ox.Store) -> int:
    """The default graph equals the set of the named graphs' triples, counted by SPARQL both ways
    and compared as Python sets; returns the number of triples."""
    in_default = sparql_count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    distinct_named = sparql_count(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o "
                                         "WHERE { GRAPH ?g { ?s ?p ?o } } }")
    assert in_default == distinct_named
    assert default_graph(store) == merge_of(store)
    assert len(merge_of(store)) == in_default
    return in_default


def shared_triple(store: ox.Store) -> tuple[int, int]:
    """(times the shared triple is in the default graph, named graphs holding it)."""
    where = " ".join(SHARED)
    return (sparql_count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"),
            sparql_count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ {where} }} }}"))


def analyst_requirements(store: ox.Store) -> int:
    """Requirement nodes of data analyst in the default graph."""
    return sparql_count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?r <{BASE}ontology#role> <{DATA_ANALYST}> }}")


def esco_without_data_analyst_links(tmp_path: Path) -> Path:
    """The ESCO slice unpacked, with data analyst's occupation-skill relations left out."""
    import csv
    import zipfile

    folder = tmp_path / "esco-v1.1.1-changed"
    folder.mkdir()
    for archive in ESCO_SLICE.iterdir():
        with zipfile.ZipFile(archive) as z:
            z.extractall(folder)
    path = folder / "occupationSkillRelations.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    kept = [r for r in records if r["occupationUri"] != DATA_ANALYST]
    assert 0 < len(kept) < len(records)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    return folder


@pytest.mark.parametrize("sweep_above", [100_000, 10], ids=["triple-by-triple", "sweep"])
def test_imports_re_imports_and_drops_keep_the_exact_merge_on_disk(tmp_path, monkeypatch, sweep_above):
    from datateam.graph.importers import import_esco
    from datateam.graph.store import persistent

    monkeypatch.setattr(persistent, "_SWEEP_ABOVE", sweep_above)   # both ways of removing a graph
    mine = tmp_path / "mine.nt"
    mine.write_text(MINE, encoding="utf-8")
    with open_persistent(tmp_path / "kg", [mine], writable=True, validate=False) as kg:
        without_esco = assert_default_is_the_merge(kg.store)
        assert shared_triple(kg.store) == (1, 1)
        import_esco(kg, [ESCO_SLICE])
        with_esco = assert_default_is_the_merge(kg.store)
        assert shared_triple(kg.store) == (1, 2)          # one copy in the merge, though both graphs state it
        assert analyst_requirements(kg.store) > 0
        assert with_esco > without_esco
        import_esco(kg, [esco_without_data_analyst_links(tmp_path)])
        assert assert_default_is_the_merge(kg.store) < with_esco
        assert analyst_requirements(kg.store) == 0        # only the earlier import held them
        assert shared_triple(kg.store) == (1, 2)
        kg.drop_graphs([ESCO_GRAPH])
        assert assert_default_is_the_merge(kg.store) == without_esco
        assert shared_triple(kg.store) == (1, 1)          # the user's graph still states it
        kg.drop_graphs([BASE + "graph/user/mine"])
        assert assert_default_is_the_merge(kg.store) == without_esco - 2 - 4   # and its metadata record
        assert shared_triple(kg.store) == (0, 0)
    with open_persistent(tmp_path / "kg") as kg:     # what was committed, reopened
        assert assert_default_is_the_merge(kg.store) == without_esco - 6


def test_imports_and_re_imports_keep_the_exact_merge_in_memory(tmp_path):
    from datateam.graph.importers import import_esco
    from datateam.graph.store.merge import with_default_copies

    kg = load_knowledge_graph()
    mine = ox.NamedNode(BASE + "graph/user/mine")
    kg.store.extend(with_default_copies(ox.Quad(q.subject, q.predicate, q.object, mine)
                                        for q in ox.parse(MINE, format=ox.RdfFormat.N_TRIPLES)))
    without_esco = assert_default_is_the_merge(kg.store)
    import_esco(kg, [ESCO_SLICE])
    with_esco = assert_default_is_the_merge(kg.store)
    assert shared_triple(kg.store) == (1, 2)
    assert analyst_requirements(kg.store) > 0 and with_esco > without_esco
    import_esco(kg, [esco_without_data_analyst_links(tmp_path)])
    assert without_esco < assert_default_is_the_merge(kg.store) < with_esco
    assert analyst_requirements(kg.store) == 0
    assert shared_triple(kg.store) == (1, 2)


def test_the_bulk_load_stream_holds_each_triple_in_its_graph_then_in_the_default_graph():
    import io

    from datateam.graph.importers.common import QuadWriter, literal

    lines = {}
    for copies in (False, True):
        out = io.StringIO()
        w = QuadWriter(out, "https://example.org/g", default_copies=copies)
        w.add("<https://example.org/s>", "<https://example.org/p>", literal('say "hi"\n'))
        w.add("<https://example.org/s>", "<https://example.org/q>", "<https://example.org/o>")
        w.flush()
        lines[copies] = out.getvalue().splitlines()
        assert w.count == 2
    assert lines[False] == ['<https://example.org/s> <https://example.org/p> "say \\"hi\\"\\n"@en <https://example.org/g> .',
                            '<https://example.org/s> <https://example.org/q> <https://example.org/o> <https://example.org/g> .']
    assert lines[True] == [lines[False][0], '<https://example.org/s> <https://example.org/p> "say \\"hi\\"\\n"@en .',
                           lines[False][1], '<https://example.org/s> <https://example.org/q> <https://example.org/o> .']
