"""How much two roles overlap, for one pair or for all pairs at once, and the clusters of roles.

What a role "has" depends on `by`:

    skills             the skills it requires (dt:requiresSkill)
    tools              the tools it uses (dt:usesTool)
    responsibilities   its responsibilities (dt:hasResponsibility)
    all                the three together (each item is one node of the projection)

Two scores compare role A's items with role B's:

- Jaccard: |A ∩ B| / |A ∪ B|, ignoring levels.
- Level-weighted (the weighted Jaccard, or Ruzicka similarity): every item a role has gets a
  weight from the strongest level any source gives it — core 3, working 2, basic 1, no level
  stated 2 (counted as working); responsibilities carry no level and weigh 2. With w = 0 for an
  item the role lacks,

      weighted(A, B) = Σ_i min(wA_i, wB_i) / Σ_i max(wA_i, wB_i)

  so sharing a core skill counts three times as much as sharing a basic one, and a skill that is
  core for A but basic for B is only one-third shared. With equal weights it equals the Jaccard.

All pairs are computed with sparse matrices (scipy): with B the roles × items incidence matrix,
the intersections are the one product B·Bᵀ. For the weighted score, the weights 1..3 are split into
threshold blocks T_t = [w ≥ t] (t = 1, 2, 3) laid side by side, L = [T_1 | T_2 | T_3]; since
min(a, b) = Σ_t [a ≥ t]·[b ≥ t], the one product L·Lᵀ gives every Σ min at once, and
Σ max = ΣwA + ΣwB − Σ min. No Python loop over pairs, so it scales to ESCO's ~3,000 occupations.

Clusters are communities of the similarity graph (roles joined by their weighted score) found with
networkx's Louvain method with a fixed seed (and resolution 1.3), so the same data always gives
the same clusters.

What the scores leave out, and say so:

- conditional facts (every stating source limits them to a condition or gives them a limiting
  stance, see graph/lookup/qualifiers.py) are not counted unless `include_conditional=True`; results list
  them under "conditional";
- roles the sources give no skills and no tools (only responsibilities or handoffs) are not ranked
  in the all-pairs matrix (unless named with `roles=`, or compared by responsibilities): their
  scores would say more about the sources' silence than about the roles. Results list them under
  "unranked" with the reason.

The sources' own comparisons of two roles ("pretty similar", "sometimes the same person", "one
group") are returned beside the scores of a pair (graph/analysis/statements.py).

>>> overlap(kg, "DevOps engineer", "site reliability engineer", by="skills")["jaccard"]
1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy import sparse

from ..defaults import MATRIX_MAX_ROLES
from ..errors import DatateamError
from ..lookup.names import resolve
from ..lookup.qualifiers import conditional_summary
from ..projection import LEVEL_RANK, short_id
from ..text import to_delimited, to_json, to_table
from .items import (  # noqa: F401  (re-exported: part of this module's interface)
    BY_CHOICES,
    ITEM_RELATIONS,
    LEVEL_WEIGHTS,
    MAX_WEIGHT,
    OVERLAP_RELATIONS,
    UNRANKED_REASON,
    UNSPECIFIED_WEIGHT,
    _check_by,
    conditional_facts,
    default_roles,
    described_roles,
    projection_for_overlap,
    projection_of_roles,
    role_items,
    unranked_roles,
)
from .similar import explain_pair, pair_similarity, similarity_index
from .statements import comparisons_by_pair, role_comparisons

CLUSTER_SEED = 42
# The similarity graph is dense with many weak links; a resolution a little above 1 lets Louvain
# separate groups such as DevOps/SRE/MLOps from the data roles instead of one catch-all community.
CLUSTER_RESOLUTION = 1.3
KNN_ABOVE = 300        # beyond this many roles, cluster a k-nearest-neighbour similarity graph
KNN_NEIGHBOURS = 15


def item_group(graph, item: str, roles: tuple[str, ...] = ()) -> str:
    """The group an item is listed under: its tool category, skill kind or lifecycle stage.

    For a tool, the category the given roles use it as (dt:asCategory) wins over the tool's general
    categories; the first by label is taken when there are several.
    """
    node = graph.nodes[item]
    kind = node["type"]
    if kind == "skill":
        return f"skill: {node.get('kind') or 'unclassified'}"
    if kind == "responsibility":
        stages = [graph.nodes[v]["label"] for _, v, d in graph.out_edges(item, data=True) if d["relation"] == "at_stage"]
        return f"responsibility: {min(stages) if stages else 'no stage'}"
    if kind == "tool":
        used_as = set()
        for role in roles:
            data = graph.get_edge_data(role, item, "uses_tool")
            if data:
                used_as.update(data.get("categories", []))
        if not used_as:
            used_as = {v for _, v, d in graph.out_edges(item, data=True) if d["relation"] == "in_category"}
        labels = sorted(graph.nodes[c]["label"] for c in used_as if c in graph)
        return f"tool: {labels[0] if labels else 'uncategorised'}"
    return kind


# ---------------------------------------------------------------------------------------------
# One pair


def jaccard(a: set, b: set) -> float:
    """|a ∩ b| / |a ∪ b| (0.0 when both are empty)."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def weighted_jaccard(wa: dict[str, int], wb: dict[str, int]) -> float:
    """Σ min(wa_i, wb_i) / Σ max(wa_i, wb_i) over the items of either (0.0 when both are empty)."""
    keys = wa.keys() | wb.keys()
    top = sum(min(wa.get(k, 0), wb.get(k, 0)) for k in keys)
    bottom = sum(max(wa.get(k, 0), wb.get(k, 0)) for k in keys)
    return top / bottom if bottom else 0.0


def _level_of(graph, role: str, item: str) -> str | None:
    for d in (graph.get_edge_data(role, item) or {}).values():
        if d["relation"] in ("requires_skill", "uses_tool"):
            return d.get("level")
    return None


def _sources_of(graph, role: str, item: str) -> list[str]:
    for d in (graph.get_edge_data(role, item) or {}).values():
        if d["relation"] in ("requires_skill", "uses_tool", "has_responsibility"):
            return list(d["sources"])
    return []


def _role_entry(graph, role: str) -> dict:
    return {"id": role, "label": graph.nodes[role]["label"]}


def overlap_of(graph, a: str, b: str, by: str = "all", comparisons: list | None = None) -> dict:
    """Compare two roles (IRIs) of a projection; see `overlap` for the result.

    comparisons: the sources' statements about the pair (graph.statements.role_comparisons), if known.
    """
    _check_by(by)
    items = role_items(graph, by)
    wa, wb = items[a], items[b]
    shared_ids = sorted(wa.keys() & wb.keys())

    def entry(item, **extra):
        node = graph.nodes[item]
        return {"id": item, "label": node["label"], "type": node["type"], **extra}

    shared: dict[str, list] = {}
    for item in shared_ids:
        group = item_group(graph, item, (a, b))
        shared.setdefault(group, []).append(entry(
            item, level_a=_level_of(graph, a, item), level_b=_level_of(graph, b, item),
            sources_a=_sources_of(graph, a, item), sources_b=_sources_of(graph, b, item)))
    for group in shared:
        shared[group].sort(key=lambda e: e["label"].casefold())

    def only(role, mine, theirs):
        rows = [entry(item, group=item_group(graph, item, (role,)), level=_level_of(graph, role, item),
                      sources=_sources_of(graph, role, item))
                for item in mine.keys() - theirs.keys()]
        return sorted(rows, key=lambda e: (e["group"], -LEVEL_RANK.get(e["level"], 2), e["label"].casefold()))

    described = described_roles(graph)
    return {
        "a": _role_entry(graph, a),
        "b": _role_entry(graph, b),
        "by": by,
        "jaccard": round(jaccard(set(wa), set(wb)), 6),
        "weighted": round(weighted_jaccard(wa, wb), 6),
        "shared": dict(sorted(shared.items())),
        "only_a": only(a, wa, wb),
        "only_b": only(b, wb, wa),
        "comparisons": list(comparisons or []),
        "conditional": conditional_facts(graph, (a, b), ITEM_RELATIONS[by]),
        "undescribed": [graph.nodes[r]["label"] for r in (a, b) if r not in described and by != "responsibilities"],
    }


def overlap(kg, a: str, b: str, by: str = "all", *, graph=None, include_conditional: bool = False,
            with_similarity: bool = True) -> dict:
    """How much roles `a` and `b` (names, aliases or ids) overlap.

    Returns {"a": {id, label}, "b": {id, label}, "by": by, "jaccard": float, "weighted": float,
    "shared": {group: [{id, label, type, level_a, level_b, sources_a, sources_b}]},
    "only_a": [{id, label, type, group, level, sources}], "only_b": [...],
    "comparisons": [the sources' own statements about the pair], "conditional": {included, facts},
    "undescribed": [labels of the two roles the sources give no skills or tools],
    "similarity": {score, cosine, evidence, shared: [{id, label, weight}]} (graph/analysis/similar.py;
    score None with a "reason" for a role that is not compared; left out with_similarity=False)}; groups are
    "tool: <category>", "skill: <kind>" or "responsibility: <stage>". `graph` reuses a projection
    (then include_conditional is the projection's own). Without it only the two roles are projected,
    and the similarity comes from the store's saved index (built on first use, see similar.py).

    >>> r = overlap(kg, "data scientist", "ML engineer", by="skills")
    >>> sorted(r)[:4]
    ['a', 'b', 'by', 'comparisons']
    """
    _check_by(by)
    ra = resolve(kg, a, ["role"])
    rb = resolve(kg, b, ["role"])
    shared_graph = graph
    graph = graph if graph is not None else projection_of_roles(kg, {str(ra.iri), str(rb.iri)},
                                                                include_conditional=include_conditional)
    comparisons = role_comparisons(kg, str(ra.iri), str(rb.iri)) if ra.iri != rb.iri else []
    result = overlap_of(graph, str(ra.iri), str(rb.iri), by, comparisons)
    if with_similarity:
        # The idf counts every compared role: the index is of the whole store, never of the two roles.
        index = similarity_index(kg, by, include_conditional, graph=shared_graph)
        found = pair_similarity(kg, str(ra.iri), str(rb.iri), by, index=index)
        result["similarity"] = {key: found[key] for key in ("score", "cosine", "evidence", "shared", "reason")
                                if key in found}
    return result


# ---------------------------------------------------------------------------------------------
# All pairs


@dataclass
class OverlapMatrix:
    """All-pairs overlap of `roles` (IRIs, in matrix order).

    shared[i, j] = |A_i ∩ A_j| (item counts), jaccard and weighted as in the module docstring;
    all three are scipy CSR matrices, zero where two roles share nothing. `sizes[i]` = |A_i|.
    """

    roles: list[str]
    labels: list[str]
    by: str
    shared: sparse.csr_matrix
    jaccard: sparse.csr_matrix
    weighted: sparse.csr_matrix
    sizes: np.ndarray
    clusters: list[list[str]] = field(default_factory=list)
    unranked: list[dict] = field(default_factory=list)
    conditional: dict = field(default_factory=lambda: {"included": False, "facts": []})
    # The similarity score (graph/analysis/similar.py) of the same roles, when asked for.
    similarity: sparse.csr_matrix | None = None
    similarity_index: object | None = None

    def dense(self, score: str = "jaccard") -> np.ndarray:
        """The matrix of one score ("jaccard", "weighted", "similarity" or "shared") as a dense array, diagonal included."""
        if score == "similarity" and self.similarity is None:
            raise DatateamError("the similarity score was not computed (overlap_matrix(..., similarity=True))")
        return getattr(self, score).toarray()

    def pair_arrays(self, include_zero: bool = True):
        """The upper triangle (i < j) as numpy arrays (i, j, shared, jaccard, weighted), unsorted."""
        n = len(self.roles)
        if include_zero:
            ii, jj = np.triu_indices(n, k=1)
            return (ii, jj, self.shared.toarray()[ii, jj], self.jaccard.toarray()[ii, jj],
                    self.weighted.toarray()[ii, jj])
        uppers = [sparse.triu(m, k=1).tocsr() for m in (self.shared, self.jaccard, self.weighted)]
        for m in uppers:
            m.sort_indices()
        base = uppers[0]
        ii = np.repeat(np.arange(n), np.diff(base.indptr))
        jj = base.indices
        values = [base.data]
        for m in uppers[1:]:
            if np.array_equal(m.indptr, base.indptr) and np.array_equal(m.indices, base.indices):
                values.append(m.data)
            else:  # a score that is zero where items are shared: read it cell by cell
                values.append(np.asarray(m[ii, jj]).ravel())
        return (ii, jj, *values)

    def pairs(self, include_zero: bool = True, limit: int | None = None, lowest: bool = False,
              min_shared: int = 0, rank_by: str = "jaccard") -> list[dict]:
        """One row per unordered pair (i < j): a, b, a_id, b_id, shared, jaccard, weighted.

        Sorted by Jaccard, then weighted score, highest first (lowest first with lowest=True), then
        by the two labels. With rank_by="similarity" (the matrix must have it) the rows also carry
        "similarity" and are sorted by it first. include_zero=False lists only pairs sharing at least one item (the useful
        choice for thousands of roles); min_shared=N keeps only pairs sharing at least N items, so
        two roles with one item each do not top the list with a Jaccard of 1; `limit` keeps the
        first N rows (sorted with numpy, so asking for the top 10 of ESCO's 4.5 million pairs does
        not build millions of rows).
        """
        ii, jj, shared, jac, wei = self.pair_arrays(include_zero and min_shared < 1)
        if min_shared > 1:  # pair_arrays(False) already dropped the pairs sharing nothing
            keep = shared >= min_shared
            ii, jj, shared, jac, wei = ii[keep], jj[keep], shared[keep], jac[keep], wei[keep]
        if len(ii) == 0:
            return []
        if rank_by not in ("jaccard", "similarity"):
            raise DatateamError(f"unknown ranking score {rank_by!r}; choose jaccard or similarity")
        rank = np.empty(len(self.labels), dtype=np.int64)
        rank[sorted(range(len(self.labels)), key=lambda k: self.labels[k].casefold())] = np.arange(len(self.labels))
        sign = 1.0 if lowest else -1.0
        keys = [rank[jj], rank[ii], sign * np.round(wei, 6), sign * np.round(jac, 6)]
        sim = None
        if rank_by == "similarity":
            if self.similarity is None:
                raise DatateamError("the similarity score was not computed (overlap_matrix(..., similarity=True))")
            sim = np.asarray(self.similarity[ii, jj]).ravel() if len(ii) else np.zeros(0)
            keys.append(sign * np.round(sim, 6))
        order = np.lexsort(tuple(keys))
        if limit is not None:
            order = order[:limit]
        rows = [{"a": self.labels[i], "b": self.labels[j], "a_id": self.roles[i], "b_id": self.roles[j],
                 "shared": int(shared[k]), "jaccard": round(float(jac[k]), 6), "weighted": round(float(wei[k]), 6)}
                for k in order.tolist() for i, j in ((int(ii[k]), int(jj[k])),)]
        if sim is not None:
            for row, k in zip(rows, order.tolist()):
                row["similarity"] = round(float(sim[k]), 6)
        return rows

    def ordered(self) -> list[int]:
        """Matrix indices ordered by cluster (largest first), then by label inside a cluster."""
        index = {r: i for i, r in enumerate(self.roles)}
        order = [index[r] for cluster in self.clusters for r in cluster if r in index]
        rest = [i for i in range(len(self.roles)) if i not in set(order)]
        return order + sorted(rest, key=lambda i: self.labels[i].casefold())


def incidence_matrices(role_ids: list[str], items: dict[str, dict[str, int]]):
    """Build the roles × items incidence: (binary B, level-threshold blocks L, weight sums, item ids).

    B[i, k] = 1 when role i has item k; L = [w ≥ 1 | w ≥ 2 | w ≥ 3] side by side (see the module
    docstring); weight_sums[i] = Σ_k w_ik.
    """
    item_ids = sorted({item for r in role_ids for item in items[r]})
    column = {item: k for k, item in enumerate(item_ids)}
    rows, cols, weights = [], [], []
    for i, role in enumerate(role_ids):
        for item, w in items[role].items():
            rows.append(i)
            cols.append(column[item])
            weights.append(w)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.int64)
    shape = (len(role_ids), len(item_ids))
    binary = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=shape)
    blocks = []
    for t in range(1, MAX_WEIGHT + 1):
        keep = weights >= t
        blocks.append(sparse.csr_matrix((np.ones(int(keep.sum()), dtype=np.int64), (rows[keep], cols[keep])),
                                        shape=shape))
    thresholds = sparse.hstack(blocks, format="csr")
    weight_sums = np.bincount(rows, weights=weights, minlength=len(role_ids)).astype(np.int64)
    return binary, thresholds, weight_sums, item_ids


def pairwise_scores(role_ids: list[str], items: dict[str, dict[str, int]]):
    """All-pairs (shared counts, Jaccard, weighted) as CSR matrices, each from one sparse product.

    >>> shared, jac, wei = pairwise_scores(["a", "b"], {"a": {"x": 3, "y": 1}, "b": {"x": 1}})
    >>> float(jac[0, 1]), float(wei[0, 1])
    (0.5, 0.25)
    """
    binary, thresholds, weight_sums, _ = incidence_matrices(role_ids, items)
    sizes = np.asarray(binary.sum(axis=1)).ravel()
    shared = (binary @ binary.T).tocsr()            # |A ∩ B|
    mins = (thresholds @ thresholds.T).tocsr()       # Σ min(wA, wB)
    shared.sort_indices()
    mins.sort_indices()
    # T_1 is B and the other blocks are subsets of it, so both products are non-zero at the same places.
    if not (np.array_equal(shared.indptr, mins.indptr) and np.array_equal(shared.indices, mins.indices)):
        raise AssertionError("incidence blocks out of step")  # cannot happen: T_2, T_3 ⊆ T_1 = B
    rows = np.repeat(np.arange(shared.shape[0]), np.diff(shared.indptr))
    cols = shared.indices
    union = sizes[rows] + sizes[cols] - shared.data
    jac = sparse.csr_matrix((shared.data / union, cols, shared.indptr), shape=shared.shape)
    maxes = weight_sums[rows] + weight_sums[cols] - mins.data
    wei = sparse.csr_matrix((mins.data / maxes, cols, shared.indptr), shape=shared.shape)
    return shared, jac, wei


def overlap_matrix(kg, by: str = "all", roles: list[str] | None = None, *, graph=None,
                   cluster: bool = True, include_conditional: bool = False, similarity: bool = False) -> OverlapMatrix:
    """All-pairs overlap of the given roles (names or ids; default: every non-stakeholder role with
    items and, unless by="responsibilities", with at least one skill or tool).

    Returns an OverlapMatrix with the clusters filled in (unless cluster=False), the roles left out
    of the default set and why (`unranked`), and the conditional facts left out or included. With
    similarity=True it also holds the similarity score (graph/analysis/similar.py) of the same
    roles, computed over all the compared roles (so a subset named with `roles` keeps the scores
    it has in the whole matrix), and the SimilarityIndex that explains it.

    >>> m = overlap_matrix(kg, by="skills")
    >>> m.jaccard.shape[0] == len(m.roles)
    True
    """
    _check_by(by)
    graph = graph if graph is not None else projection_for_overlap(kg, include_conditional)
    items = role_items(graph, by)
    unranked = []
    if roles:
        role_ids = []
        for name in roles:
            iri = str(resolve(kg, name, ["role"]).iri)
            if iri not in role_ids:
                role_ids.append(iri)
        if len(role_ids) < 2:
            raise DatateamError("--roles needs at least two different roles")
    else:
        role_ids = default_roles(graph, items, by)
        if by != "responsibilities":
            unranked = unranked_roles(graph)
    shared, jac, wei = pairwise_scores(role_ids, items)
    matrix = OverlapMatrix(
        roles=role_ids, labels=[graph.nodes[r]["label"] for r in role_ids], by=by, shared=shared,
        jaccard=jac, weighted=wei, sizes=np.array([len(items[r]) for r in role_ids], dtype=np.int64),
        unranked=unranked, conditional=conditional_facts(graph, role_ids, ITEM_RELATIONS[by]))
    if similarity:
        everyone = default_roles(graph, items, by)
        index = similarity_index(kg, by, graph=graph, roles=everyone + [r for r in role_ids if r not in set(everyone)])
        keep = [index.index_of(r) for r in role_ids]
        matrix.similarity = index.scores[keep][:, keep].tocsr()
        matrix.similarity_index = index
    if cluster:
        matrix.clusters = clusters_of(matrix)
    return matrix


# ---------------------------------------------------------------------------------------------
# Clusters


def similarity_graph(matrix: OverlapMatrix, score: str = "weighted", neighbours: int | None = None) -> nx.Graph:
    """Roles joined by an edge weighted with their score (pairs that share nothing are not joined).

    With `neighbours` = k, only each role's k most similar roles are joined (a k-nearest-neighbour
    graph: an edge stays when either end ranks the other in its top k). Default: every pair up to
    KNN_ABOVE roles, the k-nearest-neighbour graph with KNN_NEIGHBOURS beyond, where the full graph
    (millions of weak edges for ESCO's 3,000 occupations) would be slow to build and to cluster.
    """
    n = len(matrix.roles)
    if neighbours is None and n > KNN_ABOVE:
        neighbours = KNN_NEIGHBOURS
    scores = getattr(matrix, score).tocsr().copy()
    scores.setdiag(0)
    scores.eliminate_zeros()
    if neighbours is not None:
        rows, cols, vals = [], [], []
        for i in range(n):
            start, end = scores.indptr[i], scores.indptr[i + 1]
            data, idx = scores.data[start:end], scores.indices[start:end]
            if len(data) > neighbours:
                # the k largest, ties broken by column index so the graph is deterministic
                order = np.lexsort((idx, -data))[:neighbours]
                data, idx = data[order], idx[order]
            rows.extend([i] * len(idx))
            cols.extend(idx.tolist())
            vals.extend(data.tolist())
        knn = sparse.csr_matrix((vals, (rows, cols)), shape=scores.shape)
        scores = knn.maximum(knn.T).tocsr()
    graph = nx.Graph()
    graph.add_nodes_from(matrix.roles)
    upper = sparse.triu(scores, k=1).tocoo()
    graph.add_weighted_edges_from((matrix.roles[i], matrix.roles[j], float(w))
                                  for i, j, w in zip(upper.row.tolist(), upper.col.tolist(), upper.data.tolist())
                                  if w > 0)
    return graph


def clusters_of(matrix: OverlapMatrix, score: str = "weighted", seed: int = CLUSTER_SEED,
                resolution: float = CLUSTER_RESOLUTION) -> list[list[str]]:
    """Communities of the similarity graph (Louvain, fixed seed): lists of role IRIs, largest first.

    `resolution` > 1 favours smaller communities (networkx's Louvain parameter).

    Inside a cluster roles are sorted by label; clusters of equal size by their first label.
    """
    graph = similarity_graph(matrix, score)
    if graph.number_of_nodes() == 0:
        return []
    communities = nx.community.louvain_communities(graph, weight="weight", seed=seed, resolution=resolution)
    label = dict(zip(matrix.roles, matrix.labels))
    out = [sorted(c, key=lambda r: (label[r].casefold(), r)) for c in communities]
    out.sort(key=lambda c: (-len(c), label[c[0]].casefold()))
    return out


# ---------------------------------------------------------------------------------------------
# For the overview


def overlap_summary(kg, by: str = "all", top: int = 10, *, min_shared: int = 0, graph=None,
                    include_conditional: bool = False, rank_by: str = "similarity") -> dict:
    """The most and least overlapping role pairs and the role clusters, as plain data.

    Returns {"by", "rank_by", "roles": count, "min_shared", "most_overlapping": [pair],
    "least_overlapping": [pair], "clusters": [[{"id", "label"}]], "unranked": [{id, label, reason}],
    "conditional": {included, facts}}, where a pair is {a, b, a_id, b_id, shared, jaccard, weighted,
    comparisons} (comparisons: the sources' own statements about the pair). Most overlapping pairs
    share at least `min_shared` items.

    rank_by="similarity" (the default) ranks by the similarity score (graph/analysis/similar.py):
    pairs also carry "similarity" and "drivers" (the three largest contributions to it, [{id,
    label, weight}]), least overlapping pairs are the lowest similarity first, and the result adds
    "statements": every compared pair the sources compare, with its similarity, its rank among all
    pairs, and for each statement whether the score "confirms", "contradicts" or "does not
    confirm" it (see `statement_verdict`). rank_by="jaccard" is the earlier ranking: highest
    Jaccard first (ties: weighted), least overlapping the lowest Jaccard first.

    >>> s = overlap_summary(kg, top=3)
    >>> len(s["most_overlapping"])
    3
    """
    if rank_by not in ("jaccard", "similarity"):
        raise DatateamError(f"unknown ranking score {rank_by!r}; choose jaccard or similarity")
    with_similarity = rank_by == "similarity"
    matrix = overlap_matrix(kg, by=by, graph=graph, include_conditional=include_conditional,
                            similarity=with_similarity)
    label = dict(zip(matrix.roles, matrix.labels))
    statements = comparisons_by_pair(kg)

    def with_statements(pairs):
        out = [dict(p, comparisons=[{"source": c["source"]["id"], "kinds": c["kinds"], "condition": c["condition"]}
                                    for c in statements.get(frozenset((p["a_id"], p["b_id"])), [])])
               for p in pairs]
        if with_similarity:
            for p in out:
                p["drivers"] = _drivers(matrix, p["a_id"], p["b_id"])
        return out

    summary = {
        "by": by,
        "rank_by": rank_by,
        "roles": len(matrix.roles),
        "min_shared": min_shared,
        "most_overlapping": with_statements(matrix.pairs(limit=top, min_shared=min_shared, rank_by=rank_by)),
        "least_overlapping": with_statements(matrix.pairs(limit=top, lowest=True, rank_by=rank_by)),
        "clusters": [[{"id": r, "label": label[r]} for r in c] for c in matrix.clusters],
        "unranked": matrix.unranked,
        "conditional": matrix.conditional,
    }
    if rank_by == "jaccard":
        del summary["rank_by"]
    else:
        summary["statements"] = _statements_beside_scores(matrix, statements)
    return summary


DRIVERS_SHOWN = 3
NEAREST = 3   # a pair is "near" when either role is among the other's three most similar
SAYS_SIMILAR = {"similar roles", "similar skills", "sometimes the same person", "one group"}
SAYS_DIFFERENT = {"different jobs"}


def _drivers(matrix: OverlapMatrix, a: str, b: str) -> list[dict]:

    index = matrix.similarity_index
    return explain_pair(index, index.index_of(a), index.index_of(b), DRIVERS_SHOWN)["shared"]


def statement_verdict(kinds: list[str], near: bool) -> str | None:
    """What the score says about a source's comparison of two roles.

    A statement that the roles are similar (similar roles or skills, sometimes the same person, one
    group) is confirmed when the pair is near (either role among the other's NEAREST most similar)
    and not confirmed otherwise; a statement that they are different jobs is contradicted when the
    pair is near and confirmed otherwise; other kinds (strong collaboration) say nothing about
    similarity (None).

    >>> statement_verdict(["different jobs"], near=True)
    'contradicts'
    """
    if set(kinds) & SAYS_SIMILAR:
        return "confirms" if near else "does not confirm"
    if set(kinds) & SAYS_DIFFERENT:
        return "contradicts" if near else "confirms"
    return None


def _statements_beside_scores(matrix: OverlapMatrix, statements: dict) -> list[dict]:
    position = {r: i for i, r in enumerate(matrix.roles)}
    dense = matrix.dense("similarity")
    np.fill_diagonal(dense, 0.0)
    n = len(matrix.roles)
    upper = dense[np.triu_indices(n, k=1)]
    out = []
    for pair, found in statements.items():
        a, b = sorted(pair, key=lambda r: (matrix.labels[position[r]].casefold() if r in position else r))
        if a not in position or b not in position:
            continue
        i, j = position[a], position[b]
        value = float(dense[i, j])
        rank = int(np.sum(np.round(upper, 6) > round(value, 6))) + 1
        near = (value > 0 and (int(np.sum(np.round(dense[i], 6) > round(value, 6))) < NEAREST
                               or int(np.sum(np.round(dense[j], 6) > round(value, 6))) < NEAREST))
        out.append({"a": matrix.labels[i], "b": matrix.labels[j], "a_id": a, "b_id": b,
                    "similarity": round(value, 6), "rank": rank, "pairs": n * (n - 1) // 2, "near": near,
                    "comparisons": [{"source": c["source"]["id"], "kinds": c["kinds"], "condition": c["condition"],
                                     "verdict": statement_verdict(c["kinds"], near)} for c in found]})
    return sorted(out, key=lambda e: (e["rank"], e["a"].casefold(), e["b"].casefold()))


def matrix_rows(matrix: OverlapMatrix, score: str = "jaccard") -> list[dict]:
    """The square matrix as rows ({"role": label, <label>: value, ...}) in cluster order, for tables and CSV."""
    order = matrix.ordered()
    dense = matrix.dense(score)
    rows = []
    for i in order:
        row = {"role": matrix.labels[i]}
        for j in order:
            value = dense[i, j]
            row[matrix.labels[j]] = int(value) if score == "shared" else round(float(value), 3)
        rows.append(row)
    return rows


def matrix_as_dict(matrix: OverlapMatrix) -> dict:
    """The whole matrix as JSON-ready data: roles (cluster order), the three square matrices, pairs, clusters."""
    order = matrix.ordered()

    def square(score):
        dense = matrix.dense(score)
        return [[(int(dense[i, j]) if score == "shared" else round(float(dense[i, j]), 6)) for j in order]
                for i in order]

    label = dict(zip(matrix.roles, matrix.labels))
    return {
        "by": matrix.by,
        "roles": [{"id": matrix.roles[i], "label": matrix.labels[i], "short_id": short_id(matrix.roles[i]),
                   "items": int(matrix.sizes[i])} for i in order],
        "jaccard": square("jaccard"),
        "weighted": square("weighted"),
        "shared": square("shared"),
        **({"similarity": square("similarity")} if matrix.similarity is not None else {}),
        "clusters": [[label[r] for r in c] for c in matrix.clusters],
        "pairs": matrix.pairs(rank_by="similarity" if matrix.similarity is not None else "jaccard"),
        "unranked": matrix.unranked,
        "conditional": matrix.conditional,
    }


__all__ = [
    "BY_CHOICES", "LEVEL_WEIGHTS", "OverlapMatrix", "clusters_of", "conditional_facts", "default_roles",
    "described_roles", "format_matrix_notes", "incidence_matrices", "unranked_roles",
    "item_group", "jaccard", "matrix_as_dict", "matrix_rows", "overlap", "overlap_matrix", "overlap_of",
    "overlap_summary", "pairwise_scores", "projection_for_overlap", "role_items", "similarity_graph",
    "statement_verdict", "weighted_jaccard", "OVERLAP_COLUMNS", "overlap_rows", "render_overlap", "cluster_labels",
    "matrix_notes", "render_matrix",
]


# ---------------------------------------------------------------------------------------------
# Text


def _levels_text(a, b) -> str:
    return f"{a or '-'}/{b or '-'}"


def format_overlap(result: dict) -> str:
    """The result of `overlap` as readable text: scores, shared items by group, what only each has."""
    a, b = result["a"]["label"], result["b"]["label"]
    shared_count = sum(len(v) for v in result["shared"].values())
    union = shared_count + len(result["only_a"]) + len(result["only_b"])
    lines = [f"{a} ↔ {b} (by {result['by']})",
             f"Jaccard {result['jaccard']:.3f} ({shared_count} shared of {union})   "
             f"level-weighted {result['weighted']:.3f}"]
    similarity = result.get("similarity")
    if similarity is not None:
        if similarity.get("score") is None:
            lines.append(f"similarity: {similarity.get('reason', 'not compared')}")
        else:
            drivers = ", ".join(f"{s['label']} {s['weight']:.3f}" for s in similarity["shared"])
            lines.append(f"similarity {similarity['score']:.3f} (IDF-weighted cosine {similarity['cosine']:.3f} × "
                         f"evidence of {similarity['evidence']} shared)" + (f"; driven by {drivers}" if drivers else ""))
    lines.append("")
    for comparison in result.get("comparisons", []):
        condition = f", {comparison['condition']}" if comparison.get("condition") else ""
        lines.append(f"The sources compare them: {', '.join(comparison['kinds'])}{condition} "
                     f"[{comparison['source']['id']}]: {comparison['note']}")
    for name in result.get("undescribed", []):
        lines.append(f"Note: the sources give no skills or tools for the {name}; the scores count only what they do give.")
    if result.get("comparisons") or result.get("undescribed"):
        lines.append("")
    lines.append(f"Shared ({shared_count})  [level for {a} / {b}; sources for {a} | for {b}]")
    if not result["shared"]:
        lines.append("  (nothing)")
    for group, items in result["shared"].items():
        lines.append(f"  {group}")
        for item in items:
            lines.append(f"    {item['label']}  [{_levels_text(item['level_a'], item['level_b'])}]  "
                         f"({', '.join(item['sources_a'])} | {', '.join(item['sources_b'])})")
    for key, name in (("only_a", a), ("only_b", b)):
        lines.append("")
        lines.append(f"Only {name} ({len(result[key])})")
        group = None
        for item in result[key]:
            if item["group"] != group:
                group = item["group"]
                lines.append(f"  {group}")
            level = f"  [{item['level']}]" if item["level"] else ""
            lines.append(f"    {item['label']}{level}  ({', '.join(item['sources'])})")
        if not result[key]:
            lines.append("  (nothing)")
    note = _conditional_note(result.get("conditional"))
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def _conditional_note(info: dict | None) -> str | None:
    if not info:
        return None
    return conditional_summary(info["facts"], info["included"])


def format_matrix_notes(data: dict, left_out: str = "Not ranked") -> str:
    """What an all-pairs result left out and why (roles without skills or tools, conditional facts); '' if nothing."""
    import textwrap

    lines = []
    unranked = data.get("unranked") or []
    if unranked:
        names = ", ".join(r["label"] for r in unranked)
        lines += textwrap.wrap(f"{left_out}: {len(unranked)} roles the sources give no skills or tools "
                               f"(they describe only responsibilities or handoffs): {names}.", 100)
    note = _conditional_note(data.get("conditional"))
    if note:
        lines += textwrap.wrap(note, 100)
    return "".join(line + "\n" for line in lines)


def format_clusters(clusters: list[list[str]]) -> str:
    """Clusters of role labels as numbered lines."""
    lines = ["Clusters (Louvain communities of the similarity graph):"]
    for number, cluster in enumerate(clusters, start=1):
        lines.append(f"  {number}. {', '.join(cluster)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The command's outputs: one function per result, in each format it offers

OVERLAP_COLUMNS = ["has", "group", "type", "label", "id", "level", "level_a", "level_b"]
PAIR_COLUMNS = ["a", "b", "shared", "jaccard", "weighted"]
PAIR_HEADERS = ["role A", "role B", "shared", "jaccard", "weighted"]


def overlap_rows(result: dict) -> list[dict]:
    """An overlap(...) result as rows (OVERLAP_COLUMNS): shared items, then each role's own, labelled by who has them."""
    rows = [dict(item, group=group, has="both") for group, items in result["shared"].items() for item in items]
    rows += [dict(item, has=result["a"]["label"]) for item in result["only_a"]]
    rows += [dict(item, has=result["b"]["label"]) for item in result["only_b"]]
    return rows


def render_overlap(result: dict, fmt: str = "table") -> str:
    """An overlap(...) result as "table" (format_overlap), "csv" (overlap_rows) or "json" text."""
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_delimited(overlap_rows(result), OVERLAP_COLUMNS)
    return format_overlap(result)


def cluster_labels(matrix: OverlapMatrix) -> list[list[str]]:
    """The matrix's clusters as lists of role labels."""
    label = dict(zip(matrix.roles, matrix.labels))
    return [[label[r] for r in cluster] for cluster in matrix.clusters]


def matrix_notes(matrix: OverlapMatrix) -> dict:
    """What the matrix left out (roles without skills or tools, conditional facts), for format_matrix_notes."""
    return {"unranked": matrix.unranked, "conditional": matrix.conditional}


def _clusters_and_notes(matrix: OverlapMatrix) -> str:
    notes = format_matrix_notes(matrix_notes(matrix))
    return "\n" + format_clusters(cluster_labels(matrix)) + ("\n" + notes if notes else "")


def render_matrix(matrix: OverlapMatrix, fmt: str = "table", *, layout: str = "pairs", score: str = "jaccard",
                  top: int | None = None, min_shared: int | None = None) -> str:
    """An overlap_matrix(...) as "table", "csv" or "json" text: one row per pair (layout "pairs") or the square.

    top and min_shared keep only the N most overlapping pairs, or those sharing at least N items.
    Above MATRIX_MAX_ROLES roles the pairs that share nothing are left out, JSON has no square
    matrices, and the square layout raises DatateamError.
    """
    small = len(matrix.roles) <= MATRIX_MAX_ROLES
    rank_by = "similarity" if score == "similarity" else "jaccard"
    pairs = matrix.pairs(include_zero=small, limit=top, min_shared=min_shared or 0, rank_by=rank_by)
    columns, headers = (PAIR_COLUMNS + ["similarity"], PAIR_HEADERS + ["similarity"]) if rank_by == "similarity" \
        else (PAIR_COLUMNS, PAIR_HEADERS)
    if fmt == "json":
        data = matrix_as_dict(matrix) if small else {
            "by": matrix.by, "roles": len(matrix.roles), "pairs": pairs, "clusters": cluster_labels(matrix),
            "unranked": matrix.unranked, "conditional": matrix.conditional}
        if top or min_shared:
            data["pairs"] = pairs
        return to_json(data)
    if layout == "square":
        if not small:
            raise DatateamError(f"{len(matrix.roles)} roles are too many for --layout square (at most "
                                f"{MATRIX_MAX_ROLES}); use --layout pairs or choose some with --roles")
        rows = matrix_rows(matrix, score)
        columns = ["role"] + [r["role"] for r in rows]
        if fmt == "csv":
            return to_delimited(rows, columns)
        return to_table(rows, columns, max_width=10_000) + _clusters_and_notes(matrix)
    if fmt == "csv":
        return to_delimited(pairs, columns + ["a_id", "b_id"])
    return to_table(pairs, columns, headers) + _clusters_and_notes(matrix)
