"""Bridges: role degree from the YAML sources, betweenness against a brute-force path count."""

from __future__ import annotations

from collections import deque

import pytest

from datateam.graph.analysis.bridges import bridges
from datateam.graph.analysis.overlap import projection_for_overlap
from test_analysis_oracle import catalogue, iri, skill_links, tool_links


@pytest.fixture(scope="module")
def graph(kg):
    return projection_for_overlap(kg)


def adjacency() -> dict[str, set]:
    nodes = [iri("role", k) for k in catalogue()["roles"]] + [iri("skill", k) for k in catalogue()["skills"]] \
        + [iri("tool", k) for k in catalogue()["tools"]]
    adj = {n: set() for n in nodes}
    for (r, x) in list(skill_links()) + list(tool_links()):
        adj[r].add(x)
        adj[x].add(r)
    return adj


def bfs(adj, source):
    dist, sigma = {source: 0}, {source: 1}
    queue = deque([source])
    while queue:
        u = queue.popleft()
        for v in adj[u]:
            if v not in dist:
                dist[v], sigma[v] = dist[u] + 1, 0
                queue.append(v)
            if dist[v] == dist[u] + 1:
                sigma[v] += sigma[u]
    return dist, sigma


def brute_betweenness(adj, v) -> float:
    """Σ over unordered pairs s, t ≠ v of σ_st(v) / σ_st, normalised by (n−1)(n−2)/2."""
    info = {s: bfs(adj, s) for s in adj}
    nodes = sorted(adj)
    total = 0.0
    dv, sv = info[v]
    for i, s in enumerate(nodes):
        ds, ss = info[s]
        for t in nodes[i + 1:]:
            if v in (s, t) or t not in ds or v not in ds or t not in dv:
                continue
            if ds[v] + dv[t] == ds[t]:
                total += ss[v] * sv[t] / ss[t]
    n = len(nodes)
    return total / ((n - 1) * (n - 2) / 2)


def test_role_degree_matches_the_sources(kg, graph):
    result = bridges(kg, top=None, clusters=False, graph=graph)
    degree = {}
    for (r, x) in list(skill_links()) + list(tool_links()):
        degree.setdefault(x, set()).add(r)
    assert {i["id"]: i["roles"] for i in result["items"]} == {x: len(rs) for x, rs in degree.items()}
    keys = [(-i["roles"], -i["betweenness"]) for i in result["items"]]
    assert keys == sorted(keys)
    top = result["items"][0]
    assert (top["label"], top["type"]) == ("communication", "skill")
    assert top["roles"] == len({r for (r, s) in skill_links() if s == iri("skill", "communication")}) == 9
    assert result["betweenness"] == {"exact": True, "samples": None}


def test_betweenness_matches_a_brute_force_count(kg, graph):
    result = bridges(kg, top=6, clusters=False, graph=graph)
    adj = adjacency()
    for item in result["items"]:
        assert item["betweenness"] == pytest.approx(brute_betweenness(adj, item["id"]), abs=1e-6), item["label"]


def test_type_filter_and_clusters(kg, graph):
    tools = bridges(kg, top=5, by_type="tool", graph=graph)
    assert {i["type"] for i in tools["items"]} == {"tool"}
    assert tools["items"][0]["label"] == "Python"
    members = [r for c in tools["clusters"] for r in c]
    assert len(members) == len(set(members))
    together = next(c for c in tools["clusters"] if "DevOps engineer" in c)
    assert "site reliability engineer" in together


def test_bridges_leave_conditional_facts_and_bare_roles_out_and_say_so(kg):
    from datateam.graph.analysis.bridges import format_bridges

    result = bridges(kg, top=None)
    assert [f["text"] for f in result["conditional"]["facts"]] == [
        "backend engineer requires machine learning", "data engineer requires machine learning",
        "ML engineer requires data pipeline development"]
    ml = next(i for i in result["items"] if i["label"] == "machine learning")
    assert "backend engineer" not in ml["role_labels"] and "data engineer" not in ml["role_labels"]
    assert len(result["unranked"]) == 8
    text = format_bridges(result)
    assert "3 conditional facts left out: backend engineer requires machine learning" in " ".join(text.split())
    counted = bridges(kg, top=None, include_conditional=True)
    ml = next(i for i in counted["items"] if i["label"] == "machine learning")
    assert {"backend engineer", "data engineer"} <= set(ml["role_labels"])
