"""The projection around a few roles equals the whole projection's view of them, and the commands
that read it (overlap A B, transition A B) give exactly what they give from the whole projection:
on the shipped knowledge base and on a small store with ESCO and O*NET slices imported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from datateam.graph.analysis.items import OVERLAP_RELATIONS, projection_for_overlap
from datateam.graph.analysis.overlap import overlap
from datateam.graph.analysis.requirements import (
    REQUIREMENT_RELATIONS,
    drop_saved_tables,
    requirements_of,
    role_requirements,
)
from datateam.graph.analysis.transition import TRANSITION_RELATIONS, plan_context, transition
from datateam.graph.errors import DatateamError
from datateam.graph.projection import build_focused_projection, build_projection, select_each
from datateam.ontology.namespaces import DT

BASE = "https://w3id.org/datateam-kg/"
ROLE = BASE + "role/"
DATA = Path(__file__).resolve().parent / "data"
ESCO_SLICE = DATA / "esco-v1.1.1-slice"
ONET_SLICE = DATA / "onet-29.2-slice"
KB_SETS = [("data-scientist", "data-analyst"), ("data-engineer", "ml-engineer"), ("devops-engineer",),
           ("product-manager", "business-stakeholder"), ("database-administrator", "data-scientist")]
RELATION_SETS = [OVERLAP_RELATIONS, TRANSITION_RELATIONS, ("has_responsibility", "at_stage", "produces"),
                 ("uses_tool", "in_category")]


def assert_same_view(whole, focused, roles):
    """Every node, edge (in order) and conditional fact of the focused projection is the whole one's."""
    assert set(focused) >= set(roles)
    assert {n for n, t in focused.nodes(data="type") if t == "role"} == set(roles)
    for node, data in focused.nodes(data=True):
        assert whole.nodes[node] == data, node
        if data["type"] != "role" or node in roles:
            assert (list(focused.out_edges(node, keys=True, data=True))
                    == list(whole.out_edges(node, keys=True, data=True))), node
    assert focused.number_of_edges() == sum(whole.out_degree(n) for n in focused
                                            if n in roles or focused.nodes[n]["type"] != "role")
    for key in ("left_out", "conditional"):
        assert focused.graph[key] == [f for f in whole.graph[key] if f["from"] in roles], key
    assert focused.graph["include_conditional"] == whole.graph["include_conditional"]
    assert focused.graph["accept_conditions"] == whole.graph["accept_conditions"]


@pytest.mark.parametrize("relations", RELATION_SETS)
@pytest.mark.parametrize("options", [{}, {"include_conditional": True}, {"accept_conditions": [DT.InSmallTeam]}])
def test_focused_projection_equals_the_whole_on_the_shipped_kb(kg, relations, options):
    whole = build_projection(kg, relations, **options)
    for names in KB_SETS:
        roles = [ROLE + n for n in names]
        assert_same_view(whole, build_focused_projection(kg, roles, relations, **options), roles)


def test_focused_projection_reaches_the_categories_a_role_uses_a_tool_as(kg):
    # dt:asCategory can name a category none of the role's tools is in: item_group labels it.
    whole = build_projection(kg, OVERLAP_RELATIONS)
    used_as = {(u, c) for u, _, d in whole.edges(data=True) if d["relation"] == "uses_tool"
               for c in d.get("categories", ())}
    assert used_as
    for role, category in sorted(used_as)[:5]:
        assert category in build_focused_projection(kg, [role], OVERLAP_RELATIONS)


def test_focused_projection_refuses_relations_between_roles_and_non_roles(kg):
    with pytest.raises(DatateamError, match="hands_off_to link roles to roles"):
        build_focused_projection(kg, [ROLE + "data-scientist"], ["requires_skill", "hands_off_to"])
    with pytest.raises(DatateamError, match="not a role in the projection"):
        build_focused_projection(kg, [BASE + "skill/machine-learning"], ["requires_skill"])
    with pytest.raises(DatateamError, match="unknown relation"):
        build_focused_projection(kg, [ROLE + "data-scientist"], ["knows"])


def test_select_each_equals_the_unbound_query_filtered(kg):
    tools = sorted(str(r["t"]) for r in kg.select("SELECT DISTINCT ?t WHERE { ?t a dt:Tool }"))
    assert len(tools) > 60          # more than one query's worth of branches
    pattern = "?t a dt:Tool ; dt:inCategory ?c"
    everything = {(str(r["t"]), str(r["c"])) for r in kg.select(f"SELECT ?t ?c WHERE {{ {pattern} }}")}
    some = tools[::2]
    bound = [(str(r["t"]), str(r["c"])) for r in select_each(kg, "?t ?c", "", pattern, "t", some)]
    assert len(bound) == len(set(bound))
    assert set(bound) == {(t, c) for t, c in everything if t in set(some)}
    assert select_each(kg, "?t ?c", "", pattern, "t", []) == []


def _overlap_both_ways(kg, a, b, **options):
    include = options.get("include_conditional", False)
    return (overlap(kg, a, b, **options),
            overlap(kg, a, b, graph=projection_for_overlap(kg, include), **options))


def _transition_both_ways(kg, a, b, include_conditional=False):
    whole = build_projection(kg, relations=TRANSITION_RELATIONS, include_conditional=include_conditional)
    return (transition(kg, a, b, include_conditional=include_conditional),
            transition(kg, a, b, graph=whole, include_conditional=include_conditional))


@pytest.mark.parametrize("pair,by", [(("data scientist", "data analyst"), "all"),
                                     (("data engineer", "ML engineer"), "skills"),
                                     (("DevOps engineer", "SRE"), "tools"),
                                     (("data engineer", "product manager"), "responsibilities"),
                                     (("data scientist", "database administrator"), "all")])
def test_overlap_of_two_roles_equals_the_whole_projection_on_the_shipped_kb(kg, pair, by):
    focused, whole = _overlap_both_ways(kg, *pair, by=by)
    assert focused == whole
    assert focused["similarity"] == whole["similarity"]


@pytest.mark.parametrize("pair", [("data analyst", "data scientist"), ("data analyst", "ML engineer"),
                                  ("product manager", "DS"), ("database administrator", "data scientist")])
@pytest.mark.parametrize("include_conditional", [False, True])
def test_transition_equals_the_whole_projection_on_the_shipped_kb(kg, pair, include_conditional):
    focused, whole = _transition_both_ways(kg, *pair, include_conditional=include_conditional)
    assert focused == whole


def test_plan_context_for_a_plan_equals_the_whole_one_where_it_is_read(kg):
    whole = plan_context(kg)
    graph = build_projection(kg, relations=TRANSITION_RELATIONS)
    role = ROLE + "ml-engineer"
    items = [v for _, v, d in graph.out_edges(role, data=True)]
    used_as = {c for _, _, d in graph.out_edges(role, data=True) for c in d.get("categories", ())}
    focused = plan_context(kg, items=items, categories=used_as)
    assert focused["stages"] == whole["stages"]
    tools = [i for i in items if graph.nodes[i]["type"] == "tool"]
    assert tools and {t: focused["categories_of"].get(t) for t in tools} == \
        {t: whole["categories_of"].get(t) for t in tools}
    wanted = set(items) | used_as | {c for t in tools for c in whole["categories_of"].get(t, ())}
    assert {x: focused["stage_of"].get(x) for x in wanted} == {x: whole["stage_of"].get(x) for x in wanted}
    reached, todo = set(), set(items)
    while todo:                                           # the skills above the plan's, all the way up
        reached |= todo
        todo = {b for s in todo for b in whole["broader"].get(s, ())} - reached
    assert {s: focused["broader"].get(s) for s in reached} == {s: whole["broader"].get(s) for s in reached}


# ---------------------------------------------------------------------------------------------
# A small store with ESCO and O*NET imported: occupations by IRI and by name


@pytest.fixture(scope="module")
def framework_store(tmp_path_factory):
    from datateam.graph.importers import import_esco, import_onet
    from datateam.graph.store.persistent import open_persistent

    path = tmp_path_factory.mktemp("focused") / "kg"
    with open_persistent(path, writable=True) as kg:
        import_esco(kg, [ESCO_SLICE])
        import_onet(kg, [ONET_SLICE])
    kg = open_persistent(path)
    yield kg
    kg.close()


def _occupations(kg, prefix: str) -> list[str]:
    rows = kg.select("SELECT DISTINCT ?r WHERE { ?r a dt:Role ; dt:requiresSkill|dt:usesTool ?x }")
    return sorted(str(r["r"]) for r in rows if str(r["r"]).startswith(prefix))


def test_focused_projection_equals_the_whole_on_an_imported_store(framework_store):
    kg = framework_store
    esco = _occupations(kg, "http://data.europa.eu/esco/occupation/")
    onet = _occupations(kg, BASE + "onet/")
    assert len(esco) >= 2 and len(onet) >= 2
    for relations in RELATION_SETS:
        whole = build_projection(kg, relations)
        for roles in ([esco[0], esco[1]], [esco[0], ROLE + "data-scientist"], [onet[0], esco[-1]], [onet[1]]):
            assert_same_view(whole, build_focused_projection(kg, roles, relations), roles)


def test_overlap_and_transition_on_an_imported_store(framework_store):
    kg = framework_store
    esco = _occupations(kg, "http://data.europa.eu/esco/occupation/")
    onet = _occupations(kg, BASE + "onet/")
    label = kg.select("SELECT ?l WHERE { ?r skos:prefLabel ?l FILTER(lang(?l) = 'en') }", {"r": _iri(esco[1])})
    pairs = [(esco[0], "data scientist"), (str(label[0]["l"]), onet[0]), (onet[0], onet[1])]
    for a, b in pairs:
        focused, whole = _overlap_both_ways(kg, a, b)
        assert focused == whole
        assert focused["similarity"]["score"] is None or focused["similarity"]["score"] >= 0
        focused, whole = _transition_both_ways(kg, a, b)
        assert focused == whole


def test_the_requirements_table_is_saved_and_read_back(framework_store):
    kg = framework_store
    whole = requirements_of(build_projection(kg, relations=REQUIREMENT_RELATIONS))
    drop_saved_tables(kg.store_path)
    first = role_requirements(kg)
    saved = list((Path(kg.store_path) / "cache").glob("requirements-*.npz"))
    assert len(saved) == 1
    again = role_requirements(kg)
    for table in (first, again):
        assert table.roles == whole.roles and table.labels == whole.labels
        assert table.stakeholder == whole.stakeholder and table.item_ids == whole.item_ids
        assert [table.items_of(r) for r in table.roles] == [whole.items_of(r) for r in whole.roles]
        assert [list(table.items_of(r)) for r in table.roles] == [list(whole.items_of(r)) for r in whole.roles]
    assert any(whole.has_items(r) for r in whole.roles) and any(whole.stakeholder)
    assert drop_saved_tables(kg.store_path) == 1


def _iri(text: str):
    from rdflib import URIRef

    return URIRef(text)


def test_the_table_gives_the_distances_the_dicts_give(kg):
    from datateam.graph.analysis.items import role_items
    from datateam.graph.analysis.transition import distance_matrix, distances_of

    graph = build_projection(kg, relations=REQUIREMENT_RELATIONS)
    table = requirements_of(graph)
    skills, tools = role_items(graph, "skills"), role_items(graph, "tools")
    items = {r: {**skills[r], **tools[r]} for r in skills}
    assert {r: table.items_of(r) for r in table.roles} == items
    roles = sorted(r for r in items if items[r])[::-1]
    assert np.array_equal(distances_of(*table.threshold_blocks(roles)), distance_matrix(roles, items))


def test_distances_of_is_the_plain_formula():
    from scipy import sparse

    from datateam.graph.analysis.transition import distances_of

    weights = sparse.csr_matrix(np.array([[3, 1, 0, 2], [0, 0, 0, 0], [1, 3, 2, 0], [2, 2, 2, 2]], dtype=np.int64))
    blocks = sparse.hstack([(weights >= t).astype(np.int64) for t in (1, 2, 3)], format="csr")
    sums = np.asarray(weights.sum(axis=1), dtype=np.int64).ravel()
    dense = weights.toarray()
    expected = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            need = dense[j].sum()
            expected[i, j] = np.maximum(dense[j] - dense[i], 0).sum() / need if need else 0.0
    assert np.array_equal(distances_of(blocks, sums), expected)
