"""The bidirectional route search (graph/analysis/route.py) against scipy's Dijkstra over the whole matrix."""

import random

import numpy as np
import pytest

from datateam.graph.analysis.overlap import incidence_matrices
from datateam.graph.analysis.requirements import role_requirements
from datateam.graph.analysis.route import shortest_route
from datateam.graph.analysis.transition import best_route, distances_of


def _check_every_pair(roles, thresholds, sums):
    dist = distances_of(thresholds, sums)
    for start in range(len(roles)):
        for goal in range(len(roles)):
            if start == goal:
                continue
            expected_path, expected_total = best_route(roles, dist, start, goal)
            path, total, legs = shortest_route(thresholds, sums, start, goal)
            assert total == pytest.approx(expected_total, abs=1e-12), (roles[start], roles[goal])
            assert path[0] == start and path[-1] == goal and len(set(path)) == len(path)
            assert legs == [float(dist[u, v]) for u, v in zip(path, path[1:])]
            assert total == sum(legs)


def test_same_routes_as_scipy_on_the_knowledge_base(kg):
    table = role_requirements(kg)
    roles = sorted(r for r in table.roles if table.has_items(r) and not table.is_stakeholder(r))
    thresholds, sums = table.threshold_blocks(roles)
    _check_every_pair(roles, thresholds, sums)


@pytest.mark.parametrize("seed", range(6))
def test_same_routes_as_scipy_on_random_roles(seed):
    """Random roles over a few items, so that ties, zero distances and stepping stones are common."""
    rng = random.Random(seed)
    roles = [f"r{i}" for i in range(25)]
    items = {r: {f"i{k}": rng.choice((1, 2, 3)) for k in rng.sample(range(8), rng.randint(1, 5))} for r in roles}
    _, thresholds, sums, _ = incidence_matrices(roles, items)
    _check_every_pair(roles, thresholds, sums)


def test_a_stepping_stone_is_found():
    """A and B share nothing (distance 1); C holds both, so A → C lacks half of C and C → B nothing."""
    roles = ["a", "b", "c"]
    a_items, b_items = {f"x{k}": 3 for k in range(4)}, {f"y{k}": 3 for k in range(4)}
    items = {"a": a_items, "b": b_items, "c": {**a_items, **b_items}}
    _, thresholds, sums, _ = incidence_matrices(roles, items)
    path, total, legs = shortest_route(thresholds, np.asarray(sums), 0, 1)
    assert (path, legs, total) == ([0, 2, 1], [0.5, 0.0], 0.5)
