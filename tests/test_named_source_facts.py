"""The named queries about the sources' own facts, exactly: the shipped knowledge base, and the same
with user files that disagree with the sources.

The rewritten queries (source-disagreements, role-tool-support, tools-in-category,
common-technical-skills) start from the graphs and facts that can matter instead of from patterns
the imports fill by the hundred thousand; conditional-facts and single-source-facts, which read
the same graphs, are guarded with them. Their answers must not change. tests/data/named-results/
holds each answer as the queries gave it before the rewrite (CSV, byte for byte). The user files:

- disagreeing-user.ttl (graph user/disagreeing-user, no provenance): a handoff mode, a skill level,
  a tool level and an answer that differ from the sources', and a qualified level that must not count;
- disagreeing-source.trig (graph user/acme, derived from a source with a seed file): a tool
  category, a skill level, a handoff mode, a conditional tool use, lone links;
- disagreeing-imports.trig (two graphs named like imports, graph/import/levels-a and -b): levels of
  the same facts against each other and against the sources.

The level and mode disagreements and the role-tool support are also computed a second way, in
Python over the store's quads.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from datateam.graph.store.factory import load_knowledge_graph
from datateam.queries.named.library import bind_parameters, load_named_query, run_named_query

DATA = Path(__file__).resolve().parent / "data"
EXPECTED = DATA / "named-results"
USER_FILES = [DATA / "disagreeing-user.ttl", DATA / "disagreeing-source.trig", DATA / "disagreeing-imports.trig"]
DT = "https://w3id.org/datateam-kg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
PREF_LABEL = ox.NamedNode(SKOS + "prefLabel")
PROV_DERIVED = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")

CASES = [("source-disagreements", {}), ("common-technical-skills", {}), ("common-technical-skills", {"min_share": "1"}),
         ("conditional-facts", {}), ("conditional-facts", {"source": "olx-interview"}),
         ("conditional-facts", {"source": "acme"}),
         ("single-source-facts", {}), ("single-source-facts", {"source": "jetbrains-roles"}),
         ("single-source-facts", {"source": "acme"}),
         ("tools-in-category", {}), ("tools-in-category", {"category": "deployment"}),
         ("role-tool-support", {}), ("role-tool-support", {"role": "data scientist"}),
         ("role-tool-support", {"role": "data analyst"})]


@pytest.fixture(scope="module")
def graphs():
    return {"kb": load_knowledge_graph(), "user": load_knowledge_graph(USER_FILES)}


def case_file(setup: str, name: str, params: dict[str, str]) -> Path:
    return EXPECTED / setup / (name + "".join(f"--{k}={v}".replace(" ", "-") for k, v in params.items()) + ".csv")


@pytest.mark.parametrize("setup", ["kb", "user"])
@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}{p or ''}" for n, p in CASES])
def test_the_answer_is_the_one_before_the_rewrite(graphs, setup, name, params):
    expected = case_file(setup, name, params)
    if not expected.exists():  # acme is a source of the user files only
        assert setup == "kb" and params.get("source") == "acme"
        return
    kg = graphs[setup]
    query = load_named_query(name)
    got = run_named_query(kg, query, bind_parameters(kg, query, params)).serialize("csv")
    assert got == expected.read_bytes()


def test_the_user_files_change_the_answers(graphs):
    # the cases are worth checking: the user files bring disagreements of every kind and path
    def rows(setup):
        return case_file(setup, "source-disagreements", {}).read_text(encoding="utf-8").splitlines()

    added = set(rows("user")) - set(rows("kb"))
    assert "handoff mode,data engineer -> data scientist: prepared dataset,jetbrains-roles,sequential," \
           "user/disagreeing-user,side by side" in added
    assert "tool level,data analyst: SQL,olx-interview,core,user/disagreeing-user,basic" in added
    assert "tool category,MLflow,jetbrains-roles,model serving,user/acme,spreadsheet" in added
    assert "skill level,data scientist: machine learning,import/levels-a,basic,import/levels-b,working" in added
    assert "skill level,data scientist: machine learning,import/levels-a,basic,olx-interview,core" in added
    assert not any("data analyst: machine learning" in r for r in added)  # qualified: not a vote
    assert set(rows("kb")) <= set(rows("user"))


def _label(store, node, predicate=PREF_LABEL) -> str:
    return min(q.object.value for q in store.quads_for_pattern(node, predicate, None, ox.DefaultGraph()))


def _short(graph: ox.NamedNode) -> str:
    return graph.value.split("/graph/", 1)[1]


def _claims(store, predicate: str, qualified):
    """node -> graph -> values of `predicate` the graph states without a condition or stance on the node."""
    out = defaultdict(lambda: defaultdict(set))
    for q in store.quads_for_pattern(None, ox.NamedNode(DT + predicate), None, None):
        if not isinstance(q.graph_name, ox.DefaultGraph) and (q.subject, q.graph_name) not in qualified:
            out[q.subject][q.graph_name].add(q.object)
    return out


def _pairs(claims):
    for node, by_graph in claims.items():
        for g1, values1 in by_graph.items():
            for g2, values2 in by_graph.items():
                if g1.value < g2.value:
                    yield from ((node, g1, v1, g2, v2) for v1 in values1 for v2 in values2 if v1 != v2)


@pytest.mark.parametrize("setup", ["kb", "user"])
def test_level_and_mode_disagreements_counted_from_the_quads(graphs, setup):
    kg = graphs[setup]
    store = kg.store
    qualified = {(q.subject, q.graph_name) for p in ("condition", "stance")
                 for q in store.quads_for_pattern(None, ox.NamedNode(DT + p), None, None)}
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    expected = set()
    for node, g1, l1, g2, l2 in _pairs(_claims(store, "level", qualified)):
        for cls, kind, thing in (("SkillRequirement", "skill level", "skill"), ("ToolUse", "tool level", "tool")):
            if ox.Quad(node, rdf_type, ox.NamedNode(DT + cls), ox.DefaultGraph()) in store:
                role = next(store.quads_for_pattern(node, ox.NamedNode(DT + "role"), None, ox.DefaultGraph())).object
                what = next(store.quads_for_pattern(node, ox.NamedNode(DT + thing), None, ox.DefaultGraph())).object
                expected.add((kind, f"{_label(store, role)}: {_label(store, what)}", _short(g1),
                              _label(store, l1, RDFS_LABEL), _short(g2), _label(store, l2, RDFS_LABEL)))
    handoff = ox.NamedNode(DT + "Handoff")
    for node, g1, m1, g2, m2 in _pairs(_claims(store, "mode", qualified)):
        if ox.Quad(node, rdf_type, handoff, g1) in store:  # the earlier graph states that it is a handoff
            ends = [next(store.quads_for_pattern(node, ox.NamedNode(DT + p), None, ox.DefaultGraph())).object
                    for p in ("fromRole", "toRole", "artifact")]
            about = f"{_label(store, ends[0])} -> {_label(store, ends[1])}: {_label(store, ends[2])}"
            expected.add(("handoff mode", about, _short(g1), _label(store, m1, RDFS_LABEL), _short(g2),
                          _label(store, m2, RDFS_LABEL)))
    result = run_named_query(kg, load_named_query("source-disagreements"))
    got = {tuple(str(r[k]) for k in ("kind", "about", "source_a", "value_a", "source_b", "value_b"))
           for r in result.rows if str(r["kind"]) in ("skill level", "tool level", "handoff mode")}
    assert got == expected
    assert len(expected) == (5 if setup == "kb" else 24)


@pytest.mark.parametrize("setup", ["kb", "user"])
def test_role_tool_support_counted_from_the_quads(graphs, setup):
    kg = graphs[setup]
    store = kg.store
    seed_file = ox.NamedNode(DT + "seedFile")
    sources = {q.graph_name for q in store.quads_for_pattern(None, PROV_DERIVED, None, None)
               if q.subject == q.graph_name
               and any(store.quads_for_pattern(q.object, seed_file, None, ox.DefaultGraph()))}
    support = defaultdict(set)
    for q in store.quads_for_pattern(None, ox.NamedNode(DT + "usesTool"), None, None):
        if q.graph_name in sources:
            support[(_label(store, q.subject), _label(store, q.object))].add(_short(q.graph_name))
    result = run_named_query(kg, load_named_query("role-tool-support"))
    got = {(str(r["role_label"]), str(r["tool_label"])): (int(r["source_count"]), str(r["sources"]))
           for r in result.rows}
    assert got == {k: (len(v), ", ".join(sorted(v))) for k, v in support.items()}
    assert got[("data scientist", "MLflow")] == ((2, "datamax-hats, user/acme") if setup == "user" else (1, "datamax-hats"))
