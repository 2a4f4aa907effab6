"""--reasoning rdfs|owlrl: the same query answers more once the ontology's entailments are in.

Expected answers come from the YAML authoring files, not from the reasoner.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from datateam.cli import main
from datateam.graph.store.factory import load_knowledge_graph
from datateam.ontology.namespaces import BASE
from datateam.queries.engine import reasoning
from datateam.queries.sparql.errors import QueryError, QueryTimeoutError
from datateam.queries.engine.execute import run_query

SOURCES = Path(__file__).resolve().parent.parent / "ontology" / "sources"
CATALOGUE = yaml.safe_load((SOURCES / "entities.yaml").read_text(encoding="utf-8"))
SEED = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SOURCES.glob("0*.yaml"))]
# the project's inferred steps of the interview's example are handoffs too (curation graph)
CURATION = yaml.safe_load((SOURCES / "curation.yaml").read_text(encoding="utf-8"))

WORKS_WITH = "SELECT DISTINCT ?other WHERE { role:data-scientist dt:worksWith ?other } ORDER BY ?other"


def local(iri) -> str:
    return str(iri).rsplit("/", 1)[-1]


def answer(kg, text, mode="none") -> set[str]:
    # The closure takes seconds, far longer on a busy machine; only the timeout test sets a limit.
    result = run_query(kg, text, reasoning=mode, timeout=None)
    return {local(v) for row in result.rows for v in row.values()}


def stored_works_with(role: str) -> set[str]:
    return {b for doc in SEED for a, b in doc.get("works_with") or [] if a == role}


def handoff_partners(role: str) -> tuple[set[str], set[str]]:
    to, frm = set(), set()
    for doc in SEED + [CURATION]:
        for h in doc.get("handoffs") or []:
            if h["from"] == role:
                to.add(h["to"])
            if h["to"] == role:
                frm.add(h["from"])
    return to, frm


@pytest.mark.slow
def test_works_with_answers_more_with_reasoning(kg):
    """The README example: who does the data scientist work with?"""
    plain = answer(kg, WORKS_WITH)
    rdfs = answer(kg, WORKS_WITH, "rdfs")
    owlrl = answer(kg, WORKS_WITH, "owlrl")
    hands_to, receives_from = handoff_partners("data-scientist")
    symmetric = {a for doc in SEED for a, b in doc.get("works_with") or [] if b == "data-scientist"}
    assert plain == stored_works_with("data-scientist")
    # rdfs: dt:handsOffTo is a subproperty of dt:worksWith
    assert rdfs == plain | hands_to
    # owlrl: and dt:worksWith is symmetric, so handoffs in the other direction count too
    assert owlrl == plain | hands_to | receives_from | symmetric
    assert plain < rdfs < owlrl
    assert {"data-engineer", "software-engineer"} <= plain and "product-manager" in owlrl - rdfs


def test_inverse_properties_need_owlrl(kg):
    users = {role for doc in SEED for role, by_cat in (doc.get("tools") or {}).items()
             for items in (by_cat or {}).values() for item in items or []
             if (next(iter(item)) if isinstance(item, dict) else item) == "apache-airflow"}
    query = "SELECT DISTINCT ?role WHERE { tool:apache-airflow dt:usedBy ?role }"
    assert answer(kg, query) == set()
    assert answer(kg, query, "owlrl") == users == {"data-engineer"}
    needs = {role for doc in SEED for role, skills in (doc.get("skills") or {}).items() if "statistics" in (skills or {})}
    assert answer(kg, "SELECT DISTINCT ?r WHERE { skill:statistics dt:requiredBy ?r }", "owlrl") == needs


def _closure(section: str, key: str) -> set[str]:
    seen, todo = set(), list(CATALOGUE[section][key].get("broader") or [])
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo += CATALOGUE[section][k].get("broader") or []
    return seen


def test_skos_broader_chains_become_transitive(kg):
    query = "SELECT ?c ?up WHERE { ?c a dt:ToolCategory ; skos:broaderTransitive ?up }"
    result = run_query(kg, query, reasoning="owlrl", timeout=None)
    got = defaultdict(set)
    for row in result.rows:
        got[local(row["c"])].add(local(row["up"]))
    expected = {k: _closure("categories", k) for k in CATALOGUE["categories"] if _closure("categories", k)}
    assert dict(got) == expected
    assert got["cloud-data-processing"] == {"cloud-platform", "data-processing"}
    assert run_query(kg, query).rows == []


def test_rdfs_types_every_role_as_a_skos_concept_and_labels_as_rdfs_labels(kg):
    roles = set(CATALOGUE["roles"])
    concepts = "SELECT DISTINCT ?r WHERE { ?r a dt:Role , skos:Concept , schema:Occupation }"
    assert answer(kg, concepts) == set()
    assert answer(kg, concepts, "rdfs") == roles
    label = "SELECT ?l WHERE { role:data-engineer rdfs:label ?l }"
    assert {str(r["l"]) for r in run_query(kg, label, reasoning="rdfs", timeout=None).rows} >= {"data engineer"}


def test_inferred_triples_are_kept_apart_in_their_own_graph(kg):
    inferred = "SELECT DISTINCT ?o WHERE { GRAPH graph:inferred { role:data-scientist dt:worksWith ?o } }"
    assert answer(kg, inferred, "owlrl") == answer(kg, WORKS_WITH, "owlrl") - answer(kg, WORKS_WITH)
    stored = "ASK { GRAPH graph:inferred { role:data-scientist dt:usesTool tool:python } }"
    assert run_query(kg, stored, reasoning="owlrl", timeout=None).boolean is False  # stored facts are not repeated


@pytest.mark.slow
def test_the_closure_is_computed_once_and_dropped_after_an_update():
    kg = load_knowledge_graph()
    first = reasoning.reasoned_graph(kg, "rdfs")
    assert reasoning.reasoned_graph(kg, "rdfs") is first
    run_query(kg, f"INSERT DATA {{ GRAPH <{BASE}graph/user/x> {{ role:new-hat a dt:Role }} }}", allow_update=True)
    second = reasoning.reasoned_graph(kg, "rdfs")
    assert second is not first
    assert "new-hat" in answer(kg, "SELECT ?r WHERE { ?r a skos:Concept FILTER(?r = role:new-hat) }", "rdfs")


def test_reasoning_is_refused_above_its_size_limit(kg, monkeypatch):
    monkeypatch.setitem(reasoning.MAX_TRIPLES, "owlrl", 1000)
    with pytest.raises(QueryError, match=r"--reasoning owlrl is refused on more than 1,000 triples"):
        run_query(load_knowledge_graph(), WORKS_WITH, reasoning="owlrl", timeout=None)


def test_the_closure_is_under_the_time_limit_too(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))   # no closure file from an earlier test
    with pytest.raises(QueryTimeoutError, match="computing the owlrl closure was stopped after 0.5 seconds"):
        run_query(load_knowledge_graph(), WORKS_WITH, reasoning="owlrl", timeout=0.5)


def test_unknown_reasoning_and_reasoning_for_updates(kg):
    with pytest.raises(QueryError, match="unknown reasoning 'owl'"):
        run_query(kg, WORKS_WITH, reasoning="owl")
    with pytest.raises(QueryError, match="applies to queries, not to updates"):
        run_query(load_knowledge_graph(), "INSERT DATA { <a:b> <a:c> <a:d> }", reasoning="rdfs", allow_update=True)


@pytest.mark.slow
def test_cli_reasoning(runner):
    plain = runner.invoke(main, ["query", "-f", "csv", "-e", WORKS_WITH])
    reasoned = runner.invoke(main, ["query", "-f", "csv", "--reasoning", "owlrl", "--timeout", "600", "-e", WORKS_WITH])
    assert plain.exit_code == reasoned.exit_code == 0
    plain_rows = set(plain.output.splitlines()[1:])
    reasoned_rows = set(reasoned.output.splitlines()[1:])
    assert plain_rows < reasoned_rows
    assert f"{BASE}role/product-manager" in reasoned_rows - plain_rows


def _same_quads(a, b) -> bool:
    """Equal stores up to blank node labels (a store loaded from text labels them anew)."""
    named = lambda store: {str(q) for q in store if "_:" not in str(q)}  # noqa: E731
    return len(a) == len(b) and named(a) == named(b)


def _no_worker(*args, **kwargs):
    raise AssertionError("the closure was computed again instead of read from its file")


def test_the_closure_is_kept_in_a_file_for_the_next_process(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = reasoning.reasoned_graph(load_knowledge_graph(), "owlrl")
    files = list((tmp_path / "datateam-kg").glob("closure-owlrl-*.nq"))
    assert len(files) == 1
    monkeypatch.setattr(reasoning, "run_in_worker", _no_worker)
    again = reasoning.reasoned_graph(load_knowledge_graph(), "owlrl")   # a new store, as in the next process
    assert again is not first
    assert _same_quads(again.store, first.store)
    # a damaged file is computed again and rewritten
    files[0].write_bytes(b"<not n-triples")
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    repaired = reasoning.reasoned_graph(load_knowledge_graph(), "owlrl")
    assert _same_quads(repaired.store, first.store)
    assert files[0].read_bytes() != b"<not n-triples"


def test_the_closure_file_follows_the_data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    mine = tmp_path / "mine.ttl"
    mine.write_text("@prefix dt: <https://w3id.org/datateam-kg/ontology#> .\n"
                    "<https://w3id.org/datateam-kg/role/new-hat> a dt:Role ; "
                    "<http://www.w3.org/2004/02/skos/core#prefLabel> \"new hat\"@en .\n", encoding="utf-8")
    plain, with_mine = load_knowledge_graph(), load_knowledge_graph([mine], validate=False)
    assert plain.content_key != with_mine.content_key
    reasoning.reasoned_graph(plain, "rdfs")
    reasoning.reasoned_graph(with_mine, "rdfs")
    assert len(list((tmp_path / "datateam-kg").glob("closure-rdfs-*.nq"))) == 2
    asked = "ASK { role:new-hat a skos:Concept }"
    assert run_query(with_mine, asked, reasoning="rdfs", timeout=None).boolean is True
    assert run_query(plain, asked, reasoning="rdfs", timeout=None).boolean is False


def test_a_persistent_store_keeps_its_closure_beside_its_database(tmp_path, monkeypatch):
    from datateam.graph.store.persistent import open_persistent

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "unused"))
    store = tmp_path / "kg"
    with open_persistent(store, writable=True) as kg:
        before = run_query(kg, WORKS_WITH, reasoning="owlrl", timeout=None).rows
        assert [p.name.split("-")[1] for p in (store / ".reasoning-cache").glob("closure-*.nq")] == ["owlrl"]
        run_query(kg, f"INSERT DATA {{ GRAPH <{BASE}graph/user/x> {{ role:data-scientist dt:worksWith "
                      "role:new-hat } }", allow_update=True)
        assert list((store / ".reasoning-cache").glob("closure-*.nq")) == []   # changed in place: dropped
    with open_persistent(store) as kg:
        after = run_query(kg, WORKS_WITH, reasoning="owlrl", timeout=None).rows
    assert {local(r["other"]) for r in after} == {local(r["other"]) for r in before} | {"new-hat"}
    assert not (tmp_path / "unused").exists()
