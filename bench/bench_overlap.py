"""Benchmark: all-pairs role overlap, sparse matrix products vs a plain Python pairwise loop.

Both compute the same three numbers for every pair of N roles — shared items, Jaccard and the
level-weighted score (see graph/analysis/overlap.py) — on the same input, and the run checks that they
agree. The sparse side is `pairwise_scores` (two scipy products: B·Bᵀ and the threshold blocks
L·Lᵀ); the baseline loops over the N(N−1)/2 pairs with Python sets and dicts, which is what a
networkx or hand-written pairwise comparison amounts to.

Input: a knowledge graph (e.g. with the ESCO import loaded: ~3,000 occupations, ~14,000 skills,
~124,000 links), or, without one, a synthetic input of the same shape (seeded, long-tailed skill
popularity like ESCO's). Importing this module runs nothing.

    from bench.bench_overlap import run
    rows = run()                                   # synthetic ESCO-shaped input
    rows = run(kg=kg, by="skills", sizes=(500, 3007))

Each row: {"benchmark", "input", "by", "roles", "items", "links", "pairs", "sparse_s", "baseline_s",
"speedup", "max_abs_diff"}; baseline_s is None when N is above `baseline_max_roles`.
"""

from __future__ import annotations

import itertools
import random
import time

ESCO_SHAPE = {"roles": 3007, "items": 13896, "links": 124000}


def synthetic_items(roles: int = ESCO_SHAPE["roles"], items: int = ESCO_SHAPE["items"],
                    links: int = ESCO_SHAPE["links"], seed: int = 1) -> dict[str, dict[str, int]]:
    """role -> {item: weight}: `links` distinct links, item popularity long-tailed, weights 3 or 2
    (ESCO's essential and optional skills map to core and working)."""
    rnd = random.Random(seed)
    out: dict[str, dict[str, int]] = {f"role{i:05d}": {} for i in range(roles)}
    names = list(out)
    made = 0
    while made < links:
        role = names[rnd.randrange(roles)]
        item = f"item{int(items * rnd.random() ** 2.5):05d}"  # a few very common items, a long tail
        if item not in out[role]:
            out[role][item] = 3 if rnd.random() < 0.6 else 2
            made += 1
    return out


def items_from_kg(kg, by: str = "skills") -> dict[str, dict[str, int]]:
    """role -> {item: weight} for the non-stakeholder roles of a knowledge graph with at least one item."""
    from datateam.graph.analysis.overlap import default_roles, projection_for_overlap, role_items

    graph = projection_for_overlap(kg)
    items = role_items(graph, by)
    return {r: items[r] for r in default_roles(graph, items)}


def baseline_pairwise(role_ids: list[str], items: dict[str, dict[str, int]]) -> dict[tuple[int, int], tuple]:
    """(i, j) -> (shared, jaccard, weighted) for every pair i < j, with Python sets and dicts."""
    sets = [set(items[r]) for r in role_ids]
    out = {}
    for i, j in itertools.combinations(range(len(role_ids)), 2):
        a, b = sets[i], sets[j]
        shared = a & b
        if not shared:
            out[(i, j)] = (0, 0.0, 0.0)
            continue
        wa, wb = items[role_ids[i]], items[role_ids[j]]
        mins = sum(min(wa[k], wb[k]) for k in shared)
        maxes = sum(wa.values()) + sum(wb.values()) - mins
        out[(i, j)] = (len(shared), len(shared) / len(a | b), mins / maxes)
    return out


def _max_difference(sparse_result, baseline) -> float:
    """The largest difference between the sparse result and the baseline over all pairs (inf if the
    two disagree on which pairs share anything)."""
    shared, jac, wei = (m.tocoo() for m in sparse_result)
    upper = shared.row < shared.col
    keys = list(zip(shared.row[upper].tolist(), shared.col[upper].tolist()))
    nonzero = {k for k, v in baseline.items() if v[0]}
    if set(keys) != nonzero:
        return float("inf")
    jac_at = dict(zip(zip(jac.row.tolist(), jac.col.tolist()), jac.data.tolist()))
    wei_at = dict(zip(zip(wei.row.tolist(), wei.col.tolist()), wei.data.tolist()))
    worst = 0.0
    for key, count in zip(keys, shared.data[upper].tolist()):
        s, x, w = baseline[key]
        worst = max(worst, abs(count - s), abs(jac_at[key] - x), abs(wei_at[key] - w))
    return worst


def run(kg=None, by: str = "skills", sizes=(100, 500, 1000, 3007), baseline_max_roles: int = 5000,
        items: dict[str, dict[str, int]] | None = None) -> list[dict]:
    """Time all-pairs overlap for each N in `sizes` (the first N roles by id), sparse vs baseline.

    kg: a knowledge graph to read roles from (by skills, tools, responsibilities or all); items: a
    ready role -> {item: weight} mapping; neither: the synthetic ESCO-shaped input.
    """
    from datateam.graph.analysis.overlap import pairwise_scores

    if items is None:
        items = items_from_kg(kg, by) if kg is not None else synthetic_items()
        source = "knowledge graph" if kg is not None else "synthetic ESCO-shaped"
    else:
        source = "given"
    all_roles = sorted(items)
    rows = []
    for n in sizes:
        n = min(n, len(all_roles))
        role_ids = all_roles[:n]
        sub = {r: items[r] for r in role_ids}
        start = time.perf_counter()
        result = pairwise_scores(role_ids, sub)
        sparse_s = time.perf_counter() - start
        baseline_s = diff = None
        if n <= baseline_max_roles:
            start = time.perf_counter()
            baseline = baseline_pairwise(role_ids, sub)
            baseline_s = time.perf_counter() - start
            diff = _max_difference(result, baseline)
        rows.append({
            "benchmark": "all-pairs overlap",
            "input": source,
            "by": by,
            "roles": n,
            "items": len({i for r in role_ids for i in sub[r]}),
            "links": sum(len(sub[r]) for r in role_ids),
            "pairs": n * (n - 1) // 2,
            "sparse_s": round(sparse_s, 4),
            "baseline_s": round(baseline_s, 4) if baseline_s is not None else None,
            "speedup": round(baseline_s / sparse_s, 1) if baseline_s and sparse_s else None,
            "max_abs_diff": diff,
        })
        if len(all_roles) <= n:
            break
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
