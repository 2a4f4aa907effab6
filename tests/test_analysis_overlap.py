"""Overlap: Jaccard and level-weighted scores against sets and weights read from the YAML sources,
the sparse all-pairs matrix against a plain pairwise loop, clusters, the summary and the heatmap."""

from __future__ import annotations

import itertools
import json
import random
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from datateam.cli import main
from datateam.graph.errors import DatateamError, NameNotFoundError
from datateam.graph.output.heatmap import format_for, heatmap_bytes
from datateam.graph.analysis.overlap import BY_CHOICES, format_matrix_notes, format_overlap, matrix_as_dict, overlap, overlap_matrix, overlap_summary, pairwise_scores, projection_for_overlap
from test_analysis_oracle import described_roles, role, role_weights, skill, stakeholders, tool


@pytest.fixture(scope="module")
def graph(kg):
    return projection_for_overlap(kg)


def plain_jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def plain_weighted(wa: dict, wb: dict) -> float:
    keys = set(wa) | set(wb)
    top = sum(min(wa.get(k, 0), wb.get(k, 0)) for k in keys)
    bottom = sum(max(wa.get(k, 0), wb.get(k, 0)) for k in keys)
    return top / bottom if bottom else 0.0


def test_literal_tools_overlap_of_analytics_engineer_and_data_analyst(kg, graph):
    """By hand: AE uses 6 tools, DA 10, sharing dbt and Dataform -> Jaccard 2/14. Weights: AE's six
    tools have no level (2 each, 12); DA's SQL is core (3) and the other nine weigh 2 (21); shared
    min = 2 + 2 = 4, so weighted = 4 / (12 + 21 - 4) = 4/29."""
    r = overlap(kg, "analytics engineer", "data analyst", by="tools", graph=graph)
    assert list(r) == ["a", "b", "by", "jaccard", "weighted", "shared", "only_a", "only_b", "comparisons",
                       "conditional", "undescribed", "similarity"]
    assert r["a"] == {"id": role("analytics-engineer"), "label": "analytics engineer"}
    assert r["jaccard"] == pytest.approx(1 / 7, abs=1e-6)
    assert r["weighted"] == pytest.approx(4 / 29, abs=1e-6)
    assert {g: [i["label"] for i in items] for g, items in r["shared"].items()} == {"tool: transformation": ["Dataform", "dbt"]}
    assert {i["id"] for i in r["only_a"]} == {tool(t) for t in ("bigquery", "amazon-redshift", "snowflake", "jinja")}
    assert len(r["only_b"]) == 8
    sql = next(i for i in r["only_b"] if i["id"] == tool("sql"))
    assert sql["level"] == "core" and sql["sources"] == ["datamax-hats", "hitchhiker-roles", "olx-interview"]
    # the sources' own comparisons of the pair: Data Max (strong collaboration, skill overlap), the
    # guide (where each spends its time)
    assert [(c["source"]["id"], c["kinds"]) for c in r["comparisons"]] == [
        ("datamax-hats", ["similar skills", "strong collaboration"]), ("hitchhiker-roles", ["different jobs"])]


def test_devops_and_sre_are_one_group_and_the_scores_say_why(kg, graph):
    """The interview describes "DevOps engineers or sometimes SREs" once: the same 19 items, and only
    networking is deeper for SREs ("more hardcore skills in Unix and networking"). By hand: 18 items
    weigh the same on both sides (Unix/Linux core 3, the rest 2: 37), networking 2 vs 3, so
    weighted = (37 + 2) / (37 + 3) = 39/40."""
    r = overlap(kg, "DevOps engineer", "SRE", by="all", graph=graph)
    assert r["jaccard"] == 1.0 and r["only_a"] == [] and r["only_b"] == []
    assert r["weighted"] == pytest.approx(39 / 40, abs=1e-6)
    shared = {i["id"]: i for items in r["shared"].values() for i in items}
    assert len(shared) == 19
    assert (shared[skill("networking")]["level_a"], shared[skill("networking")]["level_b"]) == (None, "core")
    assert [(c["source"]["id"], c["kinds"]) for c in r["comparisons"]] == [("olx-interview", ["one group"])]
    text = format_overlap(r)
    assert "The sources compare them: one group [olx-interview]" in text


def test_shared_items_cite_each_roles_sources_separately(kg, graph):
    r = overlap(kg, "data scientist", "ML engineer", by="tools", graph=graph)
    shared = {i["label"]: i for items in r["shared"].values() for i in items}
    assert shared["Python"]["sources_a"] == ["hitchhiker-roles", "jetbrains-roles", "olx-interview"]
    assert shared["Python"]["sources_b"] == ["hitchhiker-roles", "jetbrains-roles", "olx-interview"]
    assert shared["PyTorch"]["sources_a"] == ["datamax-hats", "hitchhiker-roles"]
    assert shared["PyTorch"]["sources_b"] == ["hitchhiker-roles"]
    assert "PyTorch  [-/-]  (datamax-hats, hitchhiker-roles | hitchhiker-roles)" in format_overlap(r)


def test_conditional_facts_are_left_out_and_said_so(kg, graph):
    r = overlap(kg, "data engineer", "ML engineer", by="skills", graph=graph)
    # the ML engineer's "bit of machine learning" is plain, the data engineer's holds only in a small company
    assert skill("machine-learning") in {i["id"] for i in r["only_b"]}
    assert [f["text"] for f in r["conditional"]["facts"]] == [
        "data engineer requires machine learning", "ML engineer requires data pipeline development"]
    assert r["conditional"]["included"] is False
    text = format_overlap(r)
    assert ("2 conditional facts left out: data engineer requires machine learning (olx-interview: only in a "
            "small company or team); ML engineer requires data pipeline development (olx-interview: only in a "
            "small company or team). --include-conditional counts them.") in text
    shared_plain = {i["id"] for items in r["shared"].values() for i in items}
    assert skill("machine-learning") not in shared_plain  # the data engineer's ML is conditional
    counted = overlap(kg, "data engineer", "ML engineer", by="skills", include_conditional=True)
    shared_all = {i["id"] for items in counted["shared"].values() for i in items}
    assert shared_all - shared_plain == {skill("machine-learning"), skill("data-pipeline-development")}
    assert counted["conditional"]["included"] is True and len(counted["conditional"]["facts"]) == 2
    assert "2 conditional facts included (as asked)" in format_overlap(counted)


def test_roles_the_sources_give_no_skills_or_tools_are_not_ranked(kg, graph):
    m = overlap_matrix(kg, by="all", graph=graph)
    assert [r["label"] for r in m.unranked] == [
        "backend engineer", "cloud DevOps engineer", "data architect", "data governor", "database administrator",
        "frontend engineer", "mobile engineer", "software engineer"]
    assert not set(m.roles) & {r["id"] for r in m.unranked}
    by_duties = overlap_matrix(kg, by="responsibilities", graph=graph)
    assert role("data-governor") in by_duties.roles and by_duties.unranked == []
    assert "Not ranked: 8 roles the sources give no skills or tools" in format_matrix_notes(matrix_as_dict(m))


@pytest.mark.parametrize("by", BY_CHOICES)
@pytest.mark.parametrize("a,b", [("data-scientist", "ml-engineer"), ("data-engineer", "analytics-engineer"),
                                 ("data-analyst", "business-analyst")])
def test_pair_scores_match_the_yaml_sources(kg, graph, by, a, b):
    weights = role_weights(by)
    wa, wb = weights.get(role(a), {}), weights.get(role(b), {})
    r = overlap(kg, role(a), role(b), by=by, graph=graph)
    assert r["jaccard"] == pytest.approx(plain_jaccard(set(wa), set(wb)), abs=1e-6)
    assert r["weighted"] == pytest.approx(plain_weighted(wa, wb), abs=1e-6)
    shared = {i["id"] for items in r["shared"].values() for i in items}
    assert shared == set(wa) & set(wb)
    assert {i["id"] for i in r["only_a"]} == set(wa) - set(wb)
    assert {i["id"] for i in r["only_b"]} == set(wb) - set(wa)


@pytest.mark.parametrize("by", BY_CHOICES)
def test_sparse_matrix_equals_a_plain_pairwise_loop(kg, graph, by):
    m = overlap_matrix(kg, by=by, graph=graph)
    weights = role_weights(by)
    ranked = described_roles() if by != "responsibilities" else set(weights)
    expected_roles = {r for r, items in weights.items() if items and r not in stakeholders() and r in ranked}
    assert set(m.roles) == expected_roles
    jac, wei, shared = m.dense("jaccard"), m.dense("weighted"), m.dense("shared")
    for i, j in itertools.combinations(range(len(m.roles)), 2):
        wa, wb = weights[m.roles[i]], weights[m.roles[j]]
        assert jac[i, j] == pytest.approx(plain_jaccard(set(wa), set(wb)), abs=1e-12)
        assert wei[i, j] == pytest.approx(plain_weighted(wa, wb), abs=1e-12)
        assert shared[i, j] == len(set(wa) & set(wb))
        assert jac[i, j] == jac[j, i] and wei[i, j] == wei[j, i]
    assert np.allclose(np.diag(jac), 1.0)
    # Counted a second way: the number of listed pairs.
    assert len(m.pairs()) == len(m.roles) * (len(m.roles) - 1) // 2
    assert len(m.pairs(include_zero=False)) == sum(1 for i, j in itertools.combinations(range(len(m.roles)), 2)
                                                   if shared[i, j] > 0)


def test_pairwise_scores_on_random_inputs_match_brute_force():
    rnd = random.Random(7)
    for _ in range(25):
        roles = [f"r{i}" for i in range(rnd.randint(2, 9))]
        items = {r: {f"i{k}": rnd.choice([1, 2, 3]) for k in rnd.sample(range(15), rnd.randint(0, 10))} for r in roles}
        shared, jac, wei = pairwise_scores(roles, items)
        for i, j in itertools.product(range(len(roles)), repeat=2):
            wa, wb = items[roles[i]], items[roles[j]]
            if i != j or wa:
                assert jac[i, j] == pytest.approx(plain_jaccard(set(wa), set(wb)), abs=1e-12)
                assert wei[i, j] == pytest.approx(plain_weighted(wa, wb), abs=1e-12)
            assert shared[i, j] == len(set(wa) & set(wb))


def test_small_hand_example():
    # a: x core, y basic; b: x basic. Jaccard 1/2. Weighted: min 1 / max (3 + 1) = 1/4.
    shared, jac, wei = pairwise_scores(["a", "b"], {"a": {"x": 3, "y": 1}, "b": {"x": 1}})
    assert (shared[0, 1], jac[0, 1], wei[0, 1]) == (1, 0.5, 0.25)


def test_named_roles_and_errors(kg, graph):
    m = overlap_matrix(kg, by="skills", roles=["DS", "data engineer", "role:ml-engineer", "DS"], graph=graph)
    assert m.roles == [role("data-scientist"), role("data-engineer"), role("ml-engineer")]
    with pytest.raises(DatateamError, match="at least two"):
        overlap_matrix(kg, roles=["DS"], graph=graph)
    with pytest.raises(NameNotFoundError):
        overlap(kg, "data wizard", "DS", graph=graph)
    with pytest.raises(DatateamError, match="unknown --by"):
        overlap(kg, "DA", "DS", by="hats", graph=graph)


def test_clusters_partition_the_roles_deterministically(kg, graph):
    m1 = overlap_matrix(kg, by="all", graph=graph)
    m2 = overlap_matrix(kg, by="all", graph=graph)
    assert m1.clusters == m2.clusters
    members = [r for c in m1.clusters for r in c]
    assert sorted(members) == sorted(m1.roles) and len(members) == len(set(members))
    cluster_of = {r: k for k, c in enumerate(m1.clusters) for r in c}
    # DevOps engineers and SREs have identical profiles; roles sharing nothing are never together.
    assert cluster_of[role("devops-engineer")] == cluster_of[role("site-reliability-engineer")]
    shared = m1.dense("shared")
    index = {r: i for i, r in enumerate(m1.roles)}
    for c in m1.clusters:
        if len(c) > 1:
            for r in c:
                assert any(shared[index[r], index[o]] > 0 for o in c if o != r)
    assert sorted(m1.ordered()) == list(range(len(m1.roles)))


def test_overlap_summary(kg):
    s = overlap_summary(kg, by="all", top=4, rank_by="jaccard")
    weights = role_weights("all")
    roles = [r for r, items in weights.items() if items and r not in stakeholders() and r in described_roles()]
    scores = sorted((plain_jaccard(set(weights[a]), set(weights[b])), plain_weighted(weights[a], weights[b]))
                    for a, b in itertools.combinations(roles, 2))
    assert s["roles"] == len(roles)
    assert [p["jaccard"] for p in s["most_overlapping"]] == pytest.approx([j for j, _ in scores[::-1][:4]], abs=1e-6)
    assert [p["jaccard"] for p in s["least_overlapping"]] == pytest.approx([j for j, _ in scores[:4]], abs=1e-6)
    top = s["most_overlapping"][0]
    assert {top["a"], top["b"]} == {"DevOps engineer", "site reliability engineer"} and top["jaccard"] == 1.0
    assert top["comparisons"] == [{"source": "olx-interview", "kinds": ["one group"], "condition": None}]
    assert sum(len(c) for c in s["clusters"]) == len(roles)
    assert len(s["unranked"]) == 8


def test_overlap_summary_with_a_minimum_of_shared_items(kg):
    """Pairs sharing fewer than N items drop out of the top list; the order is the plain oracle's."""
    s = overlap_summary(kg, by="all", top=6, min_shared=5, rank_by="jaccard")
    weights = role_weights("all")
    roles = [r for r, items in weights.items() if items and r not in stakeholders() and r in described_roles()]
    kept = sorted(((plain_jaccard(set(weights[a]), set(weights[b])), plain_weighted(weights[a], weights[b]),
                    len(set(weights[a]) & set(weights[b])))
                   for a, b in itertools.combinations(roles, 2)), reverse=True)
    kept = [k for k in kept if k[2] >= 5][:6]
    assert [(round(p["jaccard"], 5), round(p["weighted"], 5), p["shared"]) for p in s["most_overlapping"]] == [
        (round(j, 5), round(w, 5), n) for j, w, n in kept]
    assert all(p["shared"] >= 5 for p in s["most_overlapping"]) and s["min_shared"] == 5
    assert {frozenset((p["a"], p["b"])) for p in s["most_overlapping"][3:5]} == {
        frozenset(("data analyst", "data scientist")), frozenset(("ML engineer", "MLOps engineer"))}


def test_cli_matrix_min_shared_and_the_overview_default(runner):
    result = runner.invoke(main, ["overlap", "--matrix", "--min-shared", "13", "--format", "json"])
    assert result.exit_code == 0, result.output
    pairs = json.loads(result.stdout)["pairs"]
    assert {frozenset((p["a"], p["b"])) for p in pairs} == {
        frozenset(("DevOps engineer", "site reliability engineer")), frozenset(("data analyst", "data scientist")),
        frozenset(("data scientist", "ML engineer")), frozenset(("data engineer", "ML engineer"))}
    overview = runner.invoke(main, ["overview", "--format", "json"])
    top = json.loads(overview.stdout)["overlap"]["most_overlapping"]
    # ranked by the similarity score with no hand-set threshold: no pair of small roles sharing one
    # item leads (backend <-> mobile engineer led the Jaccard ranking)
    assert overview.exit_code == 0 and len(top) == 8
    assert [(p["a"], p["b"], p["shared"]) for p in top[:4]] == [
        ("DevOps engineer", "site reliability engineer", 19), ("data analyst", "data scientist", 15),
        ("business analyst", "product manager", 2), ("data scientist", "ML engineer", 14)]
    assert min(p["shared"] for p in top) >= 2 and [p["similarity"] for p in top] == sorted(
        (p["similarity"] for p in top), reverse=True)
    refused = runner.invoke(main, ["overlap", "DS", "DE", "--min-shared", "3"])
    assert refused.exit_code == 1 and "go with --matrix" in refused.output


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_heatmap_png_and_svg(kg, graph, tmp_path):
    m = overlap_matrix(kg, by="all", graph=graph)
    width, height = _png_size(heatmap_bytes(m, "png"))
    assert width > 800 and height > 800
    root = ET.fromstring(heatmap_bytes(m, "svg", score="weighted"))
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for label in m.labels:
        assert texts.count(label) == 2, label  # once on each axis
    # Every cell is annotated: n*n numbers (plus the colour bar's ticks).
    numbers = [t for t in texts if t in ("0", "1") or (t.startswith(".") and t[1:].isdigit())]
    assert len(numbers) == len(m.roles) ** 2
    weighted = m.dense("weighted")
    i, j = m.roles.index(role("data-scientist")), m.roles.index(role("ml-engineer"))
    assert f"{weighted[i, j]:.2f}".lstrip("0") in texts
    assert format_for(tmp_path / "x.svg") == "svg"
    with pytest.raises(DatateamError, match="png or .svg"):
        format_for(tmp_path / "x.jpg")


def test_knn_similarity_graph_keeps_each_roles_top_neighbours():
    from datateam.graph.analysis.overlap import OverlapMatrix, similarity_graph

    rnd = random.Random(3)
    roles = [f"r{i}" for i in range(12)]
    items = {r: {f"i{k}": rnd.choice([1, 2, 3]) for k in rnd.sample(range(10), rnd.randint(1, 6))} for r in roles}
    shared, jac, wei = pairwise_scores(roles, items)
    m = OverlapMatrix(roles=roles, labels=roles, by="skills", shared=shared, jaccard=jac, weighted=wei,
                      sizes=np.array([len(items[r]) for r in roles]))
    k = 3
    graph = similarity_graph(m, neighbours=k)
    expected = set()
    for i, a in enumerate(roles):
        others = sorted(((plain_weighted(items[a], items[b]), j) for j, b in enumerate(roles) if j != i), key=lambda x: (-x[0], x[1]))
        expected |= {frozenset((a, roles[j])) for w, j in others[:k] if w > 0}
    assert {frozenset(e) for e in graph.edges()} == expected
    full = similarity_graph(m)
    assert full.number_of_edges() == sum(1 for a, b in itertools.combinations(roles, 2)
                                         if plain_weighted(items[a], items[b]) > 0)


def test_benchmark_is_importable_and_agrees_with_the_baseline():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "bench_overlap.py"
    spec = importlib.util.spec_from_file_location("bench_overlap_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # importing runs nothing
    items = module.synthetic_items(roles=60, items=200, links=900, seed=5)
    rows = module.run(items=items, sizes=(20, 60))
    assert [r["roles"] for r in rows] == [20, 60]
    assert all(r["max_abs_diff"] == 0.0 and r["pairs"] == r["roles"] * (r["roles"] - 1) // 2 for r in rows)
    assert rows[1]["links"] == 900


def test_the_overview_command_default_is_the_python_default():
    from datateam.cli import overview
    from datateam.graph.output.overview import OVERVIEW_MIN_SHARED

    assert next(p.default for p in overview.params if p.name == "min_shared") == OVERVIEW_MIN_SHARED == 1
