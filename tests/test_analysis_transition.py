"""Career transitions: carry-over, what to learn, distances and routes against a plain computation
from the YAML sources (a Floyd–Warshall over every role for the route)."""

from __future__ import annotations

import itertools

import pytest

from datateam.graph.errors import DatateamError
from datateam.graph.projection import build_projection
from datateam.graph.transition import learning_distance, transition
from test_analysis_oracle import role, role_weights, skill, skill_links, stakeholders, tool, tool_links

LEVEL_ORDER = {"core": 0, "working": 1, None: 2, "basic": 3}


@pytest.fixture(scope="module")
def graph(kg):
    return build_projection(kg, relations=("requires_skill", "uses_tool"))


def weights() -> dict[str, dict[str, int]]:
    skills, tools = role_weights("skills"), role_weights("tools")
    return {r: {**skills.get(r, {}), **tools.get(r, {})} for r in set(skills) | set(tools)}


def plain_distance(wa: dict, wb: dict) -> float:
    need = sum(wb.values())
    return sum(max(0, w - wa.get(k, 0)) for k, w in wb.items()) / need if need else 0.0


def shortest_total(src: str, dst: str) -> float:
    w = weights()
    roles = sorted(r for r in w if w[r] and r not in stakeholders())
    dist = {(a, b): plain_distance(w[a], w[b]) for a in roles for b in roles if a != b}
    for a in roles:
        dist[(a, a)] = 0.0
    for k, i, j in itertools.product(roles, roles, roles):
        if dist[(i, k)] + dist[(k, j)] < dist[(i, j)]:
            dist[(i, j)] = dist[(i, k)] + dist[(k, j)]
    return dist[(src, dst)]


@pytest.mark.parametrize("a,b", [("data-analyst", "ml-engineer"), ("data-analyst", "data-scientist"),
                                 ("ml-engineer", "data-engineer"), ("data-engineer", "ml-engineer"),
                                 ("product-manager", "data-analyst"), ("data-engineer", "backend-engineer")])
def test_transition_matches_the_sources(kg, graph, a, b):
    w = weights()
    wa, wb = w.get(role(a), {}), w[role(b)]
    t = transition(kg, role(a), role(b), graph=graph)
    assert t["direct_distance"] == pytest.approx(plain_distance(wa, wb), abs=1e-6)
    assert t["distance"] == pytest.approx(min(plain_distance(wa, wb), shortest_total(role(a), role(b))), abs=1e-6)
    assert {i["id"] for i in t["carries_over"]} == set(wa) & set(wb)
    assert {i["id"]: i["gap"] for i in t["to_learn"]} == {k: v - wa.get(k, 0) for k, v in wb.items() if v > wa.get(k, 0)}
    keys = [(i["type"] != "skill", LEVEL_ORDER[i["level"]]) for i in t["to_learn"]]
    assert keys == sorted(keys), "skills before tools, core before basic"
    for item in t["to_learn"]:
        links = skill_links() if item["type"] == "skill" else tool_links()
        assert item["sources"] == sorted(links[(role(b), item["id"])])
    if t["route"]:
        route = t["route"]
        assert route["total"] < t["direct_distance"]
        assert route["ids"][0] == role(a) and route["ids"][-1] == role(b) and len(route["ids"]) > 2
        assert route["total"] == pytest.approx(sum(plain_distance(w[x], w[y]) for x, y in zip(route["ids"], route["ids"][1:])),
                                               abs=1e-6)


def test_literal_analyst_to_ml_engineer(kg, graph):
    t = transition(kg, "data analyst", "ML engineer", graph=graph)
    carried = {i["label"]: (i["level_a"], i["level_b"]) for i in t["carries_over"]}
    assert carried == {"documentation writing": ("working", "working"), "programming": ("working", "working"),
                       "communication": (None, None), "machine learning": ("basic", "basic"),
                       "Python": ("working", "core")}
    first = t["to_learn"][0]
    assert first["type"] == "skill" and first["level"] == "core"
    python = next(i for i in t["to_learn"] if i["id"] == tool("python"))
    assert (python["have"], python["level"], python["gap"]) == ("working", "core", 1)
    sep = next(i for i in t["to_learn"] if i["id"] == skill("software-engineering-practices"))
    assert sep["sources"] == ["datamax-hats", "jetbrains-roles", "olx-interview"]


def test_identical_roles_and_errors(kg, graph):
    assert transition(kg, "DevOps engineer", "SRE", graph=graph)["distance"] == 0.0
    with pytest.raises(DatateamError, match="same role"):
        transition(kg, "DS", "data scientist", graph=graph)
    with pytest.raises(DatateamError, match="no skills or tools"):
        transition(kg, "DS", "business stakeholder", graph=graph)


def test_learning_distance_by_hand():
    assert learning_distance({"sql": 3}, {"sql": 2, "python": 2}) == 0.5
    assert learning_distance({"sql": 1}, {"sql": 3}) == pytest.approx(2 / 3)
    assert learning_distance({}, {}) == 0.0
