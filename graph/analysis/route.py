"""The shortest learning route between two roles, computing only the distances it reads.

The route is the weighted shortest path over the complete directed graph of learning distances
(graph/analysis/transition.py). On the framework store that graph has ~4,000 roles and 16 million
edges: making all of it costs most of a second. This is bidirectional Dijkstra instead: a forward
search from the start over the rows of the distance matrix and a backward search from the goal
over its columns, each step settling the closer of the two frontiers, stopping as soon as the two
frontiers' distances add up to at least the best meeting found (the textbook stopping rule for
non-negative weights). Both directions read one row of the shared-weight matrix S = L·Lᵀ per
settled role (S is symmetric: D[u, j] = (Σw_j − S[u, j]) / Σw_j and D[i, v] = (Σw_v − S[v, i]) / Σw_v),
and it usually settles a handful of roles: the distances into a role from outside its vocabulary
(ESCO, O*NET, the knowledge base name different skills) are close to 1.

The total is the one scipy.sparse.csgraph.dijkstra finds on the complete graph (`best_route` in
transition.py, the reference the tests compare with), with the same edge weights: a distance of 0
counts as ZERO_DISTANCE, so that it stays an edge. Among equally short routes the one found first
is kept (lowest index on ties), so the answer is the same on every run.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

# Edges of zero distance must stay edges (scipy's dijkstra reads 0 as "no edge"; the same weight here).
ZERO_DISTANCE = 1e-12


class _SharedRows:
    """Rows of S = L·Lᵀ (Σ min(w_i, w_j) for every pair, from the level-threshold blocks L), made on demand."""

    def __init__(self, thresholds: sparse.csr_matrix, weight_sums: np.ndarray):
        self.thresholds = thresholds.astype(np.int32)
        self.columns = self.thresholds.T.tocsr()
        self.totals = weight_sums.astype(float)
        self.made: dict[int, np.ndarray] = {}

    def __call__(self, i: int) -> np.ndarray:
        if i not in self.made:
            self.made[i] = (self.thresholds[i] @ self.columns).toarray().ravel().astype(float)
        return self.made[i]

    def distances_from(self, u: int) -> np.ndarray:
        """D[u, :]: the share of each role's requirements that role u lacks (0 for a role that needs nothing)."""
        totals = self.totals
        with np.errstate(divide="ignore", invalid="ignore"):
            row = (totals - self(u)) / totals
        row[totals == 0] = 0.0
        return row

    def distances_to(self, v: int) -> np.ndarray:
        """D[:, v]: the share of role v's requirements that each role lacks."""
        total = self.totals[v]
        if total == 0:
            return np.zeros(len(self.totals))
        return (total - self(v)) / total


def _relax(best: np.ndarray, before: np.ndarray, settled: np.ndarray, u: int, distances: np.ndarray) -> None:
    weights = np.maximum(distances, ZERO_DISTANCE)
    weights[u] = np.inf
    reached = best[u] + weights
    better = (reached < best) & ~settled
    best[better] = reached[better]
    before[better] = u


def shortest_route(thresholds: sparse.csr_matrix, weight_sums: np.ndarray, start: int,
                   goal: int) -> tuple[list[int], float, list[float]]:
    """(path as role indices, its total, the distance of each leg) from start to goal.

    thresholds, weight_sums: the level-threshold blocks and weight sums of the roles (one row per
    role, RoleRequirements.threshold_blocks). The path is [start, goal] when nothing is shorter.
    """
    shared = _SharedRows(thresholds, weight_sums)
    n = thresholds.shape[0]
    ahead, behind = np.full(n, np.inf), np.full(n, np.inf)   # from start; to goal
    ahead[start], behind[goal] = 0.0, 0.0
    came_from, goes_to = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    done_ahead, done_behind = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    best, meet = np.inf, -1
    while True:
        open_ahead = np.where(done_ahead, np.inf, ahead)
        open_behind = np.where(done_behind, np.inf, behind)
        u, v = int(np.argmin(open_ahead)), int(np.argmin(open_behind))
        if not open_ahead[u] + open_behind[v] < best:
            break
        if open_ahead[u] <= open_behind[v]:
            done_ahead[u] = True
            _relax(ahead, came_from, done_ahead, u, shared.distances_from(u))
        else:
            done_behind[v] = True
            _relax(behind, goes_to, done_behind, v, shared.distances_to(v))
        through = ahead + behind
        m = int(np.argmin(through))
        if through[m] < best:
            best, meet = float(through[m]), m
    path = [meet]
    while path[0] != start:
        path.insert(0, int(came_from[path[0]]))
    while path[-1] != goal:
        path.append(int(goes_to[path[-1]]))
    legs = [float(shared.distances_from(a)[b]) for a, b in zip(path, path[1:])]
    return path, float(sum(legs)), legs
