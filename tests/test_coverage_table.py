"""The saved coverage projection (graph/analysis/coverage_table.py) gives what the whole projection
gives: on the shipped knowledge base and on a small store with ESCO and O*NET slices imported,
where it is saved under <store>/cache/, read back by the next call and replaced after a change."""

from __future__ import annotations

from pathlib import Path

import pytest

from datateam.graph.analysis.coverage import coverage, format_coverage
from datateam.graph.analysis.coverage_table import (
    COVERAGE_RELATIONS,
    SavedProjection,
    coverage_projection,
    drop_saved_coverage,
    saved_projection,
)
from datateam.graph.projection import build_projection
from datateam.ontology.namespaces import DT

DATA = Path(__file__).resolve().parent / "data"
TEAMS = [dict(roles="data scientist,data engineer"), dict(roles="data analyst", next_hire=True),
         dict(roles="data scientist", size="small", next_hire=True, events_per_day=300_000, serving="online"),
         dict(roles="ML engineer,DevOps engineer", include_conditional=True, next_hire=True)]


def _whole(kg, options):
    accepted = [DT.InSmallTeam] if options.get("size") == "small" else []
    return build_projection(kg, relations=COVERAGE_RELATIONS, include_conditional=options.get("include_conditional", False),
                            accept_conditions=accepted)


@pytest.mark.parametrize("options", TEAMS)
def test_the_saved_projection_gives_the_same_coverage_on_the_shipped_kb(kg, options):
    whole = _whole(kg, options)
    saved = saved_projection(whole)
    assert isinstance(saved, SavedProjection)
    expected = coverage(kg, graph=whole, **options)
    assert coverage(kg, graph=saved, **options) == expected
    assert format_coverage(coverage(kg, graph=saved, **options)) == format_coverage(expected)
    assert expected["totals"]["skills"]["missing"] > 0 and expected["open_handoffs"]


def test_the_saved_projection_answers_what_networkx_answers(kg):
    whole = _whole(kg, {})
    saved = saved_projection(whole)
    assert list(saved.nodes) == list(whole.nodes)
    assert dict(saved.nodes(data="type")) == dict(whole.nodes(data="type"))
    assert [(u, v, d["relation"]) for u, v, d in saved.edges(data=True)] != []
    assert sorted((u, v, d["relation"]) for u, v, d in saved.edges(data=True)) == sorted(
        (u, v, d["relation"]) for u, v, d in whole.edges(data=True))
    assert saved.graph["left_out"] == whole.graph["left_out"] and saved.graph["left_out"]
    assert saved.graph["accept_conditions"] == whole.graph["accept_conditions"]


@pytest.fixture(scope="module")
def framework_store(tmp_path_factory):
    from datateam.graph.importers import import_esco, import_onet
    from datateam.graph.store.persistent import open_persistent

    path = tmp_path_factory.mktemp("coverage") / "kg"
    with open_persistent(path, writable=True) as kg:
        import_esco(kg, [DATA / "esco-v1.1.1-slice"])
        import_onet(kg, [DATA / "onet-29.2-slice"])
    return path


def _saved_files(path: Path) -> list[Path]:
    return sorted((path / "cache").glob("coverage-*.json"))


def test_coverage_is_saved_beside_a_store_and_read_back(framework_store):
    from datateam.graph.store.persistent import open_persistent

    with open_persistent(framework_store) as kg:
        drop_saved_coverage(kg.store_path)
        team = dict(roles="data scientist,data engineer", next_hire=True)
        expected = coverage(kg, graph=_whole(kg, team), **team)
        first = coverage(kg, **team)
        assert len(_saved_files(framework_store)) == 1
        assert isinstance(coverage_projection(kg), SavedProjection)
        second = coverage(kg, **team)
        small = dict(team, size="small")
        assert coverage(kg, **small) == coverage(kg, graph=_whole(kg, small), **small)
    assert first == expected and second == expected
    assert len(_saved_files(framework_store)) == 2   # one per set of options
    assert drop_saved_coverage(framework_store) == 2


def test_a_change_of_the_store_replaces_the_saved_coverage(framework_store):
    import pyoxigraph as ox

    from datateam.graph.store.persistent import open_persistent

    quant, graph = ox.NamedNode("https://example.org/role/quant"), ox.NamedNode(
        "https://w3id.org/datateam-kg/graph/user/extra")
    added = [ox.Quad(quant, ox.NamedNode(str(predicate)), value, graph) for predicate, value in (
        ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", ox.NamedNode(str(DT.Role))),
        ("http://www.w3.org/2004/02/skos/core#prefLabel", ox.Literal("quant", language="en")),
        (DT.requiresSkill, ox.NamedNode("https://w3id.org/datateam-kg/skill/statistics")))]
    with open_persistent(framework_store) as kg:
        before = coverage(kg, roles="data analyst")
    old = _saved_files(framework_store)
    assert len(old) == 1
    with open_persistent(framework_store, writable=True) as kg:
        kg.replace_graphs([], quads=added)
    with open_persistent(framework_store) as kg:
        after = coverage(kg, roles="data analyst")
        assert after == coverage(kg, roles="data analyst", graph=_whole(kg, {}))
    statistics = [s for s in after["skills"]["missing"] if s["id"].endswith("/skill/statistics")]
    assert "quant" in statistics[0]["roles"]
    assert not any("quant" in s["roles"] for s in before["skills"]["missing"])
    assert _saved_files(framework_store) != old and len(_saved_files(framework_store)) == 1


@pytest.mark.parametrize("damage", [b"", b"{not json", b"[]", b'{"nodes": 3}', b'{"nodes": [], "node_attributes": [], "links": [1, 2], '
                                    b'"link_attributes": {}, "graph": {"accept_conditions": []}}',
                                    b'{"nodes": ["a"], "node_attributes": [["role", "a", null, null]], '
                                    b'"links": {"requires_skill": [0, 7]}, "link_attributes": {}, '
                                    b'"graph": {"accept_conditions": []}}'])
def test_a_damaged_saved_file_is_made_again(framework_store, damage):
    from datateam.graph.store.persistent import open_persistent

    with open_persistent(framework_store) as kg:
        expected = coverage(kg, roles="data analyst")
        (saved,) = _saved_files(framework_store)
        saved.write_bytes(damage)
        assert coverage(kg, roles="data analyst") == expected
    assert _saved_files(framework_store) == [saved] and saved.read_bytes() != damage
