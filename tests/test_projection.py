"""The networkx projection: counts against SPARQL COUNT queries and against the YAML sources, attributes."""

from __future__ import annotations

from collections import Counter

import pytest
from rdflib import URIRef

from datateam.graph.errors import DatateamError
from datateam.graph.projection import (
    DEFAULT_RELATIONS,
    NODE_CLASSES,
    NODE_TYPES,
    RELATIONS,
    build_projection,
    edges_of,
    nodes_of_type,
)
from datateam.graph.store.memory import KnowledgeGraph, load_shipped
from test_analysis_oracle import (
    catalogue,
    conditional_facts,
    handoffs,
    iri,
    responsibility_links,
    role,
    skill,
    skill_links,
    stakeholders,
    tool,
    tool_categories,
    tool_links,
    works_with,
)

CATALOGUE_SECTION = {"role": "roles", "skill": "skills", "tool": "tools", "category": "categories",
                     "responsibility": "responsibilities", "artifact": "artifacts", "stage": "stages"}
NAMESPACE = {"role": "role", "skill": "skill", "tool": "tool", "category": "category",
             "responsibility": "responsibility", "artifact": "artifact", "stage": "stage"}


@pytest.fixture(scope="module")
def G(kg):
    return build_projection(kg)


def _count(kg, query: str) -> int:
    return int(kg.select(query)[0]["n"])


def _typed(var: str, node_type: str) -> str:
    classes = " ".join(f"<{c}>" for c in NODE_CLASSES[node_type])
    return f"{{ SELECT DISTINCT {var} WHERE {{ VALUES ?c{var[1:]} {{ {classes} }} {var} a ?c{var[1:]} }} }}"


@pytest.mark.parametrize("node_type", NODE_TYPES)
def test_node_counts_match_sparql_count_and_the_catalogue(kg, G, node_type):
    classes = " ".join(f"<{c}>" for c in NODE_CLASSES[node_type])
    sparql = _count(kg, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ VALUES ?c {{ {classes} }} ?x a ?c FILTER(isIRI(?x)) }}")
    projected = sum(1 for _, t in G.nodes(data="type") if t == node_type)
    assert projected == sparql
    # Second way: every catalogue entry of the section is an entity of that type, and nothing else is.
    expected = {iri(NAMESPACE[node_type], key) for key in catalogue()[CATALOGUE_SECTION[node_type]]}
    assert set(nodes_of_type(G, node_type)) == expected


def test_only_typed_entity_nodes(G):
    types = Counter(t for _, t in G.nodes(data="type"))
    assert set(types) == set(NODE_TYPES)
    assert all(isinstance(n, str) and n.startswith("https://w3id.org/datateam-kg/") for n in G)
    rdf_hubs = [n for n in G if n.endswith("#Role") or n.endswith("#Skill") or "/ontology#" in n]
    assert rdf_hubs == []


SPARQL_EDGE_COUNTS = {
    "requires_skill": ("dt:requiresSkill", "role", "skill", "dt:skill"),
    "uses_tool": ("dt:usesTool", "role", "tool", "dt:tool"),
    "in_category": ("dt:inCategory", "tool", "category", None),
    "has_responsibility": ("dt:hasResponsibility", "role", "responsibility", "dt:responsibility"),
    "at_stage": ("dt:atStage", "responsibility", "stage", None),
    "produces": ("dt:produces", "responsibility", "artifact", None),
    "works_with": ("dt:worksWith", "role", "role", None),
}
# A claim is limited when its n-ary node carries a condition or a stance other than the project's inference.
LIMITED = "{ ?x dt:condition ?c } UNION { ?x dt:stance ?st FILTER(?st != dt:Inference) }"


@pytest.mark.parametrize("relation", sorted(SPARQL_EDGE_COUNTS))
def test_edge_counts_match_sparql_count(kg, G, relation):
    prop, s_type, o_type, node = SPARQL_EDGE_COUNTS[relation]
    plain = (f"FILTER NOT EXISTS {{ ?x dt:role ?s ; {node} ?o . {LIMITED} }}" if node else "")
    query = (f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT DISTINCT ?s ?o WHERE {{ GRAPH ?g {{ ?s {prop} ?o {plain} }} }} }} "
             f"{_typed('?s', s_type)} {_typed('?o', o_type)} }}")
    everything = (f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT DISTINCT ?s ?o WHERE {{ ?s {prop} ?o }} }} "
                  f"{_typed('?s', s_type)} {_typed('?o', o_type)} }}")
    assert len(edges_of(G, relation)) == _count(kg, query)
    left_out = [f for f in G.graph["left_out"] if f["relation"] == relation]
    assert len(edges_of(G, relation)) + len(left_out) == _count(kg, everything)


def test_handoff_edges_one_per_handoff_node(kg, G):
    plain = _count(kg, f"""SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a dt:Handoff .
                           GRAPH ?g {{ ?x dt:fromRole ?f FILTER NOT EXISTS {{ {LIMITED} }} }} }}""")
    assert len(edges_of(G, "hands_off_to")) == plain == len(handoffs())
    every = _count(kg, "SELECT (COUNT(DISTINCT ?h) AS ?n) WHERE { ?h a dt:Handoff }")
    assert every == plain + len([f for f in G.graph["left_out"] if f["relation"] == "hands_off_to"])


def test_conditional_facts_are_left_out_and_listed(kg, G):
    def local(iri_):
        return iri_.rsplit("/", 1)[-1]

    listed = {(f["relation"], local(f["from"]), local(f["to"])) for f in G.graph["left_out"]}
    assert listed == conditional_facts()
    assert G.graph["conditional"] == [] and G.graph["include_conditional"] is False
    de_ml = next(f for f in G.graph["left_out"] if f["to"] == skill("machine-learning") and f["from"] == role("data-engineer"))
    assert de_ml["text"] == "data engineer requires machine learning"
    assert de_ml["sources"] == ["olx-interview"]
    assert [(q["source"], q["conditions"], q["stances"]) for q in de_ml["qualifiers"]] == [
        ("olx-interview", ["only in a small company or team"], [])]
    with_them = build_projection(kg, include_conditional=True)
    edge = with_them.edges[role("data-engineer"), skill("machine-learning"), "requires_skill"]
    assert edge["conditional"] is True and edge["level"] == "basic" and edge["sources"] == ["olx-interview"]
    assert with_them.graph["left_out"] == [] and len(with_them.graph["conditional"]) == len(conditional_facts())
    assert with_them.number_of_edges() == G.number_of_edges() + len(conditional_facts())


def test_a_condition_known_to_hold_counts_but_a_stance_never_does(kg):
    from datateam.ontology.namespaces import DT

    small = build_projection(kg, relations=["requires_skill"], accept_conditions=[DT.InSmallTeam])
    assert small.has_edge(role("data-engineer"), skill("machine-learning"))
    assert small.has_edge(role("ml-engineer"), skill("data-pipeline-development"))
    # the backend engineer's machine learning is a fallback as well as small-team advice
    assert not small.has_edge(role("backend-engineer"), skill("machine-learning"))
    assert [f["text"] for f in small.graph["left_out"]] == ["backend engineer requires machine learning"]


def test_a_qualified_claim_beside_a_plain_one_does_not_count(G):
    edge = G.edges[role("data-scientist"), iri("responsibility", "incorporate-models-in-product"), "has_responsibility"]
    assert edge["sources"] == ["olx-interview"] and edge["conditional"] is False
    assert list(edge["qualified"]) == ["ds-vs-de-teams"]
    assert edge["qualified"]["ds-vs-de-teams"]["stances"] == ["reported problem"]


def test_edges_match_the_yaml_sources(G):
    def pairs(relation):
        return {(u, v): d for u, v, d in edges_of(G, relation)}

    skills = pairs("requires_skill")
    assert set(skills) == set(skill_links())
    for key, by_source in skill_links().items():
        assert skills[key]["sources"] == sorted(by_source)
        stated = {lv for lv in by_source.values() if lv}
        expected = max(stated, key={"core": 3, "working": 2, "basic": 1}.get) if stated else None
        assert skills[key]["level"] == expected
        assert skills[key]["levels"] == {lv: sorted(s for s, x in by_source.items() if x == lv)
                                         for lv in sorted(stated, key=lambda v: -{"core": 3, "working": 2, "basic": 1}[v])}
    tools = pairs("uses_tool")
    assert set(tools) == set(tool_links())
    for key, views in tool_links().items():
        assert tools[key]["sources"] == sorted(views)
        assert tools[key]["categories"] == sorted({iri("category", c) for _, c in views.values() if c})
    assert set(pairs("has_responsibility")) == set(responsibility_links())
    for key, sources in responsibility_links().items():
        assert pairs("has_responsibility")[key]["sources"] == sorted(sources)
    assert set(pairs("works_with")) == works_with()
    assert set(pairs("in_category")) == tool_categories()
    cat = catalogue()
    assert set(pairs("at_stage")) == {(iri("responsibility", k), iri("stage", e["stage"]))
                                      for k, e in cat["responsibilities"].items()}
    assert set(pairs("produces")) == {(iri("responsibility", k), iri("artifact", a))
                                      for k, e in cat["responsibilities"].items() for a in e.get("produces", []) or []}


def test_literal_facts(G):
    de = G.nodes[role("data-engineer")]
    assert de["label"] == "data engineer" and de["type"] == "role"
    assert de["family"] == "data engineering" and de["stakeholder"] is False
    assert "DE" in de["aliases"] and "data engineering hat" in de["aliases"]
    assert de["sources"] == ["datamax-hats", "ds-vs-de-teams", "hitchhiker-roles", "jetbrains-roles", "olx-interview"]
    assert G.nodes[role("business-stakeholder")]["stakeholder"] is True
    assert {n for n, d in G.nodes(data=True) if d.get("stakeholder")} == stakeholders()
    sql = G.edges[role("data-analyst"), tool("sql"), "uses_tool"]
    assert sql["level"] == "core"
    # "the main tool" (interview); the guide says only that analysts are skilled in SQL: no level
    assert sql["levels"] == {"core": ["olx-interview"]}
    assert sql["sources"] == ["datamax-hats", "hitchhiker-roles", "olx-interview"]
    # filed as transformation (Data Max) and as a programming language (the guide); the interview names no category
    assert sql["categories"] == [iri("category", "programming-language"), iri("category", "transformation")]
    assert G.edges[role("data-scientist"), skill("machine-learning"), "requires_skill"]["levels"] == {
        "core": ["datamax-hats", "olx-interview"], "working": ["ds-vs-de-teams"]}
    assert G.nodes[iri("stage", "problem-framing")]["order"] == 1
    assert G.nodes[skill("communication")]["kind"] == "soft"


def test_handoff_attributes_keep_disagreeing_sources_apart(G):
    h = G.edges[role("data-engineer"), role("data-scientist"),
                "https://w3id.org/datateam-kg/handoff/data-engineer--data-scientist--prepared-dataset"]
    assert h["relation"] == "hands_off_to"
    assert h["artifact"] == iri("artifact", "prepared-dataset") and h["artifact_label"] == "prepared dataset"
    assert h["stage"] == iri("stage", "data-ingestion")
    assert h["mode"] == "disputed"
    # Data Max's sequential handoff is its picture of the single-discipline teams it argues
    # against: it is kept with its stance but is not that post's vote
    assert h["modes"] == {"sequential": ["jetbrains-roles"], "side by side": ["hitchhiker-roles", "olx-interview"]}
    assert h["sources"] == ["hitchhiker-roles", "jetbrains-roles", "olx-interview"]
    assert h["qualified"]["datamax-hats"]["stances"] == ["anti-pattern description"]
    assert h["workflow"] is None and h["step"] is None
    step = G.edges[role("product-manager"), role("data-analyst"),
                   "https://w3id.org/datateam-kg/handoff/product-manager--data-analyst--feature-request"]
    assert (step["step"], step["mode"], step["workflow"]) == (2, "side by side", iri("workflow", "listing-categorisation"))
    inferred = G.edges[role("ml-engineer"), role("devops-engineer"),
                       "https://w3id.org/datateam-kg/handoff/ml-engineer--devops-engineer--production-ml-service"]
    assert inferred["inferred"] is True and inferred["sources"] == ["curation"] and inferred["step"] == 9
    placed = G.edges[role("ml-engineer"), role("backend-engineer"),
                     "https://w3id.org/datateam-kg/handoff/ml-engineer--backend-engineer--production-ml-service"]
    assert placed["inferred"] is False and placed["inferred_sources"] == ["curation"]
    assert placed["steps"] == {8: ["curation"]} and placed["sources"] == ["curation", "olx-interview"]


def test_relations_subset_and_roles_filter(kg):
    only = build_projection(kg, relations=["uses_tool", "in_category"])
    assert {t for _, t in only.nodes(data="type")} == {"role", "tool", "category"}
    assert {d["relation"] for _, _, d in only.edges(data=True)} == {"uses_tool", "in_category"}
    two = build_projection(kg, roles=[role("data-analyst"), URIRef(role("analytics-engineer"))])
    assert {n for n, t in two.nodes(data="type") if t == "role"} == {role("data-analyst"), role("analytics-engineer")}
    expected_tools = {t for (r, t) in tool_links() if r in (role("data-analyst"), role("analytics-engineer"))}
    assert {n for n, t in two.nodes(data="type") if t == "tool"} == expected_tools
    assert all(two.nodes[u]["type"] != "role" or u in (role("data-analyst"), role("analytics-engineer"))
               for u, _ in two.edges())
    with pytest.raises(DatateamError, match="unknown relation"):
        build_projection(kg, relations=["knows"])
    with pytest.raises(DatateamError, match="not a role"):
        build_projection(kg, roles=[skill("statistics")])


def test_default_relations_are_all_eight():
    assert DEFAULT_RELATIONS == tuple(RELATIONS) and len(RELATIONS) == 8


def test_user_graph_adds_a_source(tmp_path):
    """A user's file lands in its own graph; its edges carry that source next to the shipped ones."""
    data = tmp_path / "my-team.ttl"
    data.write_text("""
        @prefix dt: <https://w3id.org/datateam-kg/ontology#> .
        @prefix role: <https://w3id.org/datateam-kg/role/> .
        @prefix skill: <https://w3id.org/datateam-kg/skill/> .
        role:data-engineer dt:requiresSkill skill:statistics .
    """, encoding="utf-8")
    kg = KnowledgeGraph()
    load_shipped(kg)
    kg.load_file(data)
    G = build_projection(kg)
    edge = G.edges[role("data-engineer"), skill("statistics"), "requires_skill"]
    assert edge["sources"] == ["user/my-team"]
    assert edge["level"] is None
