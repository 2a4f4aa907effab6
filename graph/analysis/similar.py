"""Which roles (or occupations) are closest to one another: the similarity score.

Every role gets a *profile*, a vector over the things it has and the concepts above them:

- each item it has (a skill, tool or responsibility, chosen by `by` as in overlap.py) with its
  level weight w (core 3, working 2, basic 1, no level stated 2; responsibilities 2; items.py);
- the broader concepts of each item, at depth d above it, with weight w · ½ᵈ: a tool's
  categories (depth 1) and their broader categories, the skill hierarchy (skos:broader: ESCO's
  skill pillar, the knowledge base's own), the responsibilities' parent tasks; where two items
  reach the same concept, the larger weight counts;
- with by="all", the role's own groups: its skos:broader concepts and ESCO ISCO group
  (esco:memberOfISCOGroup), weight GROUP_WEIGHT · ½^(d−1) at depth d (ESCO's occupation
  hierarchy and ISCO groups, O*NET's SOC broad, minor and major groups, the knowledge base's
  broader roles); a group only one compared role belongs to is left out (it cannot be shared).

Each entry is multiplied by the concept's inverse document frequency over the N compared roles,
idf(c) = ln((1 + N) / (1 + df(c))) (df: how many of them have c in their profile), so a tool two
roles use says more than "communication", which most roles have, and a concept every role has says
nothing. The score of two roles is

    similarity(A, B) = cos(x_A, x_B) · e / (e + EVIDENCE_K)

where e is the number of items (not broader concepts) the two roles share: two small roles that
share one or two items do not lead (with one shared item the cosine is halved). The score is in
[0, 1); 0 when two roles share no item.

Conditional facts (every stating source limits them to a condition or qualifies them with a
limiting stance, graph/lookup/qualifiers.py) weigh 0: they are not in the profiles unless
`include_conditional=True`, and every result lists them. O*NET's Related Occupations list, or any
curated relatedness list, never enters: only what roles have and the concepts above those items.

All pairs come from one sparse product of the row-normalised profile matrix with its transpose
(scipy), and the evidence counts from the binary item matrix B·Bᵀ; no Python loop over pairs.

>>> r = similar(kg, "data analyst", top=3)
>>> [s["label"] for s in r["similar"]][:1]
['data scientist']
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from ..errors import DatateamError
from ..lookup.names import resolve
from ..lookup.qualifiers import conditional_summary
from ..text import to_delimited, to_json
from .items import (
    ITEM_RELATIONS,
    _check_by,
    conditional_facts,
    default_roles,
    projection_for_overlap,
    role_items,
    unranked_roles,
)
from .saved_files import drop_saved, read_meta, save_arrays, saved_file
from .statements import comparisons_by_pair

ESCO_ISCO_MEMBER = "http://data.europa.eu/esco/model#memberOfISCOGroup"
DEPTH_DECAY = 0.5       # a concept d levels above an item weighs w · 0.5^d
MAX_DEPTH = 4           # deeper concepts weigh at most 1/16 of the item; they stop here
# A role's own group (depth 1); its parent group half of that, and so on. Chosen on one half of
# O*NET's occupations against its Related Occupations list (best of 1 to 12; the other half, never
# used to choose, is what the evaluation reports): a role has tens of items and one group, so the
# group must weigh like a few core items to count at all.
GROUP_WEIGHT = 8.0
EVIDENCE_K = 1.0        # the shrink e / (e + k): with one shared item the cosine is halved
SHARED_SHOWN = 5        # shared items shown per similar role


@dataclass(frozen=True)
class Settings:
    """The score's parameters (the defaults are the documented score; other values are for evaluation).

    groups: whether the roles' own groups enter the profiles (with by="all"); idf: "log"
    (ln((1 + N) / (1 + df))), "smooth" (the same + 1) or "none".
    """

    depth_decay: float = DEPTH_DECAY
    max_depth: int = MAX_DEPTH
    group_weight: float = GROUP_WEIGHT
    evidence_k: float = EVIDENCE_K
    groups: bool = True
    idf: str = "log"


DEFAULT_SETTINGS = Settings()


@dataclass
class SimilarityIndex:
    """The profiles of the compared roles and what is needed to score and explain any pair.

    roles, labels: the compared roles (IRIs) in matrix order; features, feature_labels: the profile
    columns (items and broader concepts); raw[i, f]: role i's weight for feature f before idf
    (level weight, decayed for broader concepts); idf[f]; profiles = raw · idf, rows scaled to unit
    length (CSR); items[i, f] = 1 when role i has f itself (CSR, the evidence count's basis).
    `scores` (all pairs) is computed on first use.
    """

    roles: list[str]
    labels: list[str]
    by: str
    features: list[str]
    feature_labels: list[str]
    raw: sparse.csr_matrix
    idf: np.ndarray
    profiles: sparse.csr_matrix
    items: sparse.csr_matrix
    settings: Settings = DEFAULT_SETTINGS
    include_conditional: bool = False
    unranked: list[dict] = field(default_factory=list)
    conditional: dict = field(default_factory=lambda: {"included": False, "facts": []})
    _scores: sparse.csr_matrix | None = None
    _shared: sparse.csr_matrix | None = None

    def index_of(self, role: str) -> int:
        """The matrix row of a role IRI; DatateamError if it is not compared."""
        try:
            return self._positions()[role]
        except KeyError:
            raise DatateamError(f"<{role}> is not among the compared roles") from None

    def _positions(self) -> dict[str, int]:
        if not hasattr(self, "_position_map"):
            self._position_map = {r: i for i, r in enumerate(self.roles)}
        return self._position_map

    @property
    def shared(self) -> sparse.csr_matrix:
        """shared[i, j] = the number of items roles i and j both have (B·Bᵀ)."""
        if self._shared is None:
            self._shared = (self.items @ self.items.T).tocsr()
        return self._shared

    @property
    def scores(self) -> sparse.csr_matrix:
        """All-pairs similarity (CSR; the diagonal is each role with itself)."""
        if self._scores is None:
            self._scores = combine(self.profiles @ self.profiles.T, self.shared, self.settings.evidence_k)
        return self._scores

    def row(self, i: int) -> np.ndarray:
        """The similarity of role i with every compared role (dense, one sparse product)."""
        cosine = np.asarray((self.profiles[i] @ self.profiles.T).todense()).ravel()
        evidence = np.asarray((self.items[i] @ self.items.T).todense()).ravel()
        return cosine * evidence / (evidence + self.settings.evidence_k)

    def contributions(self, i: int, j: int) -> list[tuple[int, float]]:
        """(feature, share of the score) for every feature roles i and j both have, largest first.

        The shares add up to the score: feature f contributes p_i[f] · p_j[f] · e / (e + k).
        """
        a, b = self.profiles[i], self.profiles[j]
        common = np.intersect1d(a.indices, b.indices)
        if len(common) == 0:
            return []
        pa = dict(zip(a.indices.tolist(), a.data.tolist()))
        pb = dict(zip(b.indices.tolist(), b.data.tolist()))
        e = int(self.items[i].multiply(self.items[j]).sum())
        shrink = e / (e + self.settings.evidence_k)
        out = [(int(f), pa[f] * pb[f] * shrink) for f in common.tolist()]
        return sorted(out, key=lambda fc: (-fc[1], self.feature_labels[fc[0]].casefold()))


def combine(cosine: sparse.spmatrix, shared: sparse.spmatrix, k: float = EVIDENCE_K) -> sparse.csr_matrix:
    """cosine · e / (e + k) cell by cell, where e = shared items (zero where nothing is shared)."""
    shared = shared.tocsr()
    shared.sort_indices()
    cos = cosine.tocsr()
    rows = np.repeat(np.arange(shared.shape[0]), np.diff(shared.indptr))
    values = np.asarray(cos[rows, shared.indices]).ravel() if len(rows) else np.zeros(0)
    e = shared.data.astype(float)
    return sparse.csr_matrix((values * e / (e + k), shared.indices.copy(), shared.indptr.copy()),
                             shape=shared.shape)


# ---------------------------------------------------------------------------------------------
# Building the profiles


def _broader_map(kg) -> dict[str, set[str]]:
    """concept -> its direct broader concepts: skos:broader, and ESCO's ISCO group membership."""
    up: dict[str, set[str]] = defaultdict(set)
    for row in kg.select(f"""
        SELECT DISTINCT ?x ?y WHERE {{ {{ ?x skos:broader ?y }} UNION {{ ?x <{ESCO_ISCO_MEMBER}> ?y }}
                                      FILTER(isIRI(?x) && isIRI(?y) && ?x != ?y) }}"""):
        up[str(row["x"])].add(str(row["y"]))
    return up


def _ancestors(start: set[str], up: dict[str, set[str]], max_depth: int) -> dict[str, int]:
    """Every concept above `start` within max_depth levels, with its smallest depth (breadth first)."""
    depth: dict[str, int] = {}
    frontier = set(start)
    for d in range(1, max_depth + 1):
        nxt = set()
        for node in frontier:
            for parent in up.get(node, ()):
                if parent not in depth and parent not in start:
                    depth[parent] = d
                    nxt.add(parent)
        if not nxt:
            break
        frontier = nxt
    return depth


def _concept_labels(kg, iris: set[str]) -> dict[str, str]:
    """Labels of concepts outside the projection (ISCO, skill and SOC groups): prefLabel, else notation."""
    out: dict[str, tuple] = {}
    todo = sorted(iris)
    for start in range(0, len(todo), 2000):
        values = " ".join(f"<{i}>" for i in todo[start:start + 2000])
        for row in kg.select(f"""
            SELECT ?x ?p ?text WHERE {{ VALUES ?x {{ {values} }} VALUES ?p {{ skos:prefLabel skos:notation }}
              ?x ?p ?text FILTER(lang(?text) = "" || langMatches(lang(?text), "en")) }}"""):
            iri, text = str(row["x"]), str(row["text"])
            rank = (0 if str(row["p"]).endswith("prefLabel") else 1, text)
            if iri not in out or rank < out[iri]:
                out[iri] = rank
    labels = {}
    for iri, (kind, text) in out.items():
        labels[iri] = text if kind == 0 else f"group {text}"
    return labels


def role_profiles(graph, role_ids: list[str], by: str, up: dict[str, set[str]],
                  settings: Settings = DEFAULT_SETTINGS) -> dict[str, dict[str, float]]:
    """role -> {feature: raw weight}: its items, their broader concepts (w · ½ᵈ) and, with settings.groups
    and by="all", its own groups (GROUP_WEIGHT · ½^(d−1)); a feature reached twice keeps the larger weight."""
    items = role_items(graph, by)
    tool_categories: dict[str, set[str]] = defaultdict(set)
    for u, v, d in graph.edges(data=True):
        if d["relation"] == "in_category":
            tool_categories[u].add(v)
        elif d["relation"] == "uses_tool":
            tool_categories[v].update(d.get("categories", ()))
    memo: dict[str, dict[str, int]] = {}

    def above(item: str) -> dict[str, int]:
        found = memo.get(item)
        if found is None:
            found = _ancestors({item}, up, settings.max_depth)
            cats = tool_categories.get(item, set())
            reached = {c: 1 for c in cats}
            reached.update({c: d + 1 for c, d in _ancestors(cats, up, settings.max_depth - 1).items() if c not in cats})
            for c, d in reached.items():
                if c != item and d < found.get(c, settings.max_depth + 1):
                    found[c] = d
            memo[item] = found
        return found

    role_groups = {role: _ancestors({role}, up, settings.max_depth) for role in role_ids}
    # A group only one compared role belongs to cannot be shared; weighing like several items, it
    # would only shrink that role's every cosine. Such groups are left out.
    members: dict[str, int] = defaultdict(int)
    for found in role_groups.values():
        for g in found:
            members[g] += 1
    out: dict[str, dict[str, float]] = {}
    for role in role_ids:
        own = items[role]
        profile: dict[str, float] = {f: float(w) for f, w in own.items()}
        for item, w in own.items():
            for concept, d in above(item).items():
                value = w * settings.depth_decay ** d
                if value > profile.get(concept, 0.0):
                    profile[concept] = value
        if settings.groups and by == "all":
            for concept, d in role_groups[role].items():
                value = settings.group_weight * settings.depth_decay ** (d - 1)
                if members[concept] > 1 and value > profile.get(concept, 0.0):
                    profile[concept] = value
        out[role] = profile
    return out


def idf_weights(df: np.ndarray, n: int, kind: str = "log") -> np.ndarray:
    """Inverse document frequency of features present in df of n profiles.

    "log": ln((1 + n) / (1 + df)) (0 for a feature every profile has), "smooth": the same + 1
    (scikit-learn's smooth idf), "none": 1.

    >>> [round(float(x), 4) for x in idf_weights(np.array([1, 3]), 3)]
    [0.6931, 0.0]
    """
    if kind == "none":
        return np.ones(len(df))
    base = np.log((1.0 + n) / (1.0 + np.asarray(df, dtype=float)))
    if kind == "smooth":
        return base + 1.0
    if kind == "log":
        return base
    raise ValueError(f"unknown idf {kind!r}")


def build_index(role_ids: list[str], labels: list[str], profiles: dict[str, dict[str, float]],
                own_items: dict[str, dict], feature_label, by: str = "all",
                settings: Settings = DEFAULT_SETTINGS) -> SimilarityIndex:
    """The SimilarityIndex of given profiles (role -> {feature: raw weight}) and items (role -> {item: ...})."""
    features = sorted({f for r in role_ids for f in profiles[r]})
    column = {f: k for k, f in enumerate(features)}
    rows, cols, vals, irows, icols = [], [], [], [], []
    for i, role in enumerate(role_ids):
        for f, w in profiles[role].items():
            rows.append(i)
            cols.append(column[f])
            vals.append(w)
        for f in own_items[role]:
            irows.append(i)
            icols.append(column[f])
    shape = (len(role_ids), len(features))
    raw = sparse.csr_matrix((np.asarray(vals, dtype=float), (np.asarray(rows, dtype=np.int64),
                                                             np.asarray(cols, dtype=np.int64))), shape=shape)
    items = sparse.csr_matrix((np.ones(len(irows)), (np.asarray(irows, dtype=np.int64),
                                                      np.asarray(icols, dtype=np.int64))), shape=shape)
    df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(features)) if cols else np.zeros(len(features))
    idf = idf_weights(df, len(role_ids), settings.idf)
    weighted = raw @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    unit = (sparse.diags(scale) @ weighted).tocsr()
    unit.sort_indices()
    items.sort_indices()
    return SimilarityIndex(roles=list(role_ids), labels=list(labels), by=by, features=features,
                           feature_labels=[feature_label(f) for f in features], raw=raw.tocsr(), idf=idf,
                           profiles=unit, items=items, settings=settings)


def similarity_index(kg, by: str = "all", include_conditional: bool = False, *, graph=None,
                     roles: list[str] | None = None, settings: Settings = DEFAULT_SETTINGS) -> SimilarityIndex:
    """The profiles and (lazily) all-pairs scores of the compared roles.

    The compared roles are those overlap_matrix compares by default (non-stakeholders with items
    and, unless by="responsibilities", with a skill or tool), or the named `roles` (IRIs).
    `settings` changes the parameters (Settings(groups=False) leaves the roles' own groups out, for
    an evaluation against those groups).
    `graph` reuses a projection (then include_conditional is the projection's own).

    >>> index = similarity_index(kg)
    >>> index.scores.shape[0] == len(index.roles)
    True
    """
    _check_by(by)
    cache = _cache_file(kg, by, include_conditional, settings) if graph is None and not roles else None
    if cache is not None:
        found = _read_cache(cache)
        if found is not None:
            return found
    graph = graph if graph is not None else projection_for_overlap(kg, include_conditional)
    items = role_items(graph, by)
    role_ids = list(roles) if roles else default_roles(graph, items, by)
    up = _broader_map(kg)
    profiles = role_profiles(graph, role_ids, by, up, settings)
    outside = {f for p in profiles.values() for f in p if f not in graph}
    extra = _concept_labels(kg, outside) if outside else {}

    def feature_label(f: str) -> str:
        if f in graph:
            return graph.nodes[f]["label"]
        return extra.get(f, f.rsplit("/", 1)[-1])

    index = build_index(role_ids, [graph.nodes[r]["label"] for r in role_ids], profiles, items, feature_label,
                        by, settings)
    index.include_conditional = bool(graph.graph.get("include_conditional"))
    index.unranked = unranked_roles(graph) if not roles and by != "responsibilities" else []
    index.conditional = conditional_facts(graph, role_ids, ITEM_RELATIONS[by])
    if cache is not None:
        _write_cache(cache, index)
    return index


# ---------------------------------------------------------------------------------------------
# The index of a persistent store, kept beside it
#
# Building the profiles of ESCO's 3,000 occupations means projecting 124,000 links out of the
# store (tens of seconds); a fresh `similar` must answer in about a second. A persistent store
# writes every change into a new database folder, so the folder's name identifies the contents:
# the index is saved under <store>/cache/ keyed by that name, the parameters and the version, and
# a stale file is simply never read again (and removed when a new one is written).

CACHE_FORMAT = 1
def _cache_file(kg, by: str, include_conditional: bool, settings: Settings) -> Path | None:
    return saved_file(kg, "similar-", [CACHE_FORMAT, by, bool(include_conditional), asdict(settings)], ".npz")


def drop_cached_index(store_path) -> int:
    """Delete the saved similarity indexes of a persistent store folder; return how many were removed."""
    return drop_saved(store_path, "similar-")


def _csr_arrays(name: str, m: sparse.csr_matrix) -> dict:
    return {f"{name}_data": m.data, f"{name}_indices": m.indices, f"{name}_indptr": m.indptr,
            f"{name}_shape": np.asarray(m.shape, dtype=np.int64)}


def _csr_from(arrays, name: str) -> sparse.csr_matrix:
    return sparse.csr_matrix((arrays[f"{name}_data"], arrays[f"{name}_indices"], arrays[f"{name}_indptr"]),
                             shape=tuple(int(x) for x in arrays[f"{name}_shape"]))


def _write_cache(path: Path, index: SimilarityIndex) -> None:
    meta = {"roles": index.roles, "labels": index.labels, "by": index.by, "features": index.features,
            "feature_labels": index.feature_labels, "settings": asdict(index.settings),
            "include_conditional": index.include_conditional, "unranked": index.unranked,
            "conditional": index.conditional}
    save_arrays(path, "similar-", meta, {"idf": index.idf, **_csr_arrays("raw", index.raw),
                                         **_csr_arrays("profiles", index.profiles),
                                         **_csr_arrays("items", index.items)})


def _read_cache(path: Path) -> SimilarityIndex | None:
    try:
        with np.load(path) as arrays:
            meta = read_meta(arrays)
            return SimilarityIndex(
                roles=meta["roles"], labels=meta["labels"], by=meta["by"], features=meta["features"],
                feature_labels=meta["feature_labels"], raw=_csr_from(arrays, "raw"), idf=arrays["idf"],
                profiles=_csr_from(arrays, "profiles"), items=_csr_from(arrays, "items"),
                settings=Settings(**meta["settings"]), include_conditional=meta["include_conditional"],
                unranked=meta["unranked"], conditional=meta["conditional"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------
# Answers


def _statements(found: list[dict]) -> list[dict]:
    out = []
    for c in found:
        condition = f" ({c['condition']})" if c.get("condition") else ""
        out.append({"text": f"{', '.join(c['kinds'])}{condition}: {c['note']}", "sources": [c["source"]["id"]]})
    return out


def explain_pair(index: SimilarityIndex, i: int, j: int, top: int = SHARED_SHOWN) -> dict:
    """The score of roles i and j with what drove it.

    Returns {"score", "cosine", "evidence": shared items, "shared": [{"id", "label", "weight"}]}: the
    `top` largest contributions (items or broader concepts), whose weights are their shares of the score.
    """
    parts = index.contributions(i, j)
    e = int(index.items[i].multiply(index.items[j]).sum())
    score = sum(c for _, c in parts)
    shrink = e / (e + index.settings.evidence_k)
    return {"score": round(score, 6), "cosine": round(score / shrink, 6) if shrink else 0.0, "evidence": e,
            "shared": [{"id": index.features[f], "label": index.feature_labels[f], "weight": round(c, 6)}
                       for f, c in parts[:top]]}


def pair_similarity(kg, a: str, b: str, by: str = "all", *, index: SimilarityIndex | None = None,
                    include_conditional: bool = False, top: int = SHARED_SHOWN) -> dict:
    """The similarity score of two roles (names, aliases or ids) with what drove it, for `overlap A B`.

    Returns {"a": {id, label}, "b": {id, label}, "by", "score", "cosine", "evidence", "shared":
    [{id, label, weight}]}; score is None (with a "reason") when either role is not compared
    (a role the sources give no skills or tools).

    >>> pair_similarity(kg, "DevOps engineer", "site reliability engineer")["evidence"]
    19
    """
    ra, rb = resolve(kg, a, ["role"]), resolve(kg, b, ["role"])
    index = index if index is not None else similarity_index(kg, by, include_conditional)
    head = {"a": {"id": str(ra.iri), "label": ra.label}, "b": {"id": str(rb.iri), "label": rb.label}, "by": index.by}
    missing = [e.label for e in (ra, rb) if str(e.iri) not in index._positions()]
    if missing:
        return {**head, "score": None, "cosine": None, "evidence": 0, "shared": [],
                "reason": f"not compared: {', '.join(missing)} (the sources give no skills or tools)"}
    return {**head, **explain_pair(index, index.index_of(str(ra.iri)), index.index_of(str(rb.iri)), top)}


def similar(kg, name: str, top: int = 10, by: str = "all", *, index: SimilarityIndex | None = None,
            include_conditional: bool = False, shared: int = SHARED_SHOWN) -> dict:
    """The roles (or occupations) most similar to `name` (resolved like `show`), best first.

    Returns {"query": {"id", "label"}, "similar": [{"id", "label", "score", "shared": [{"id",
    "label", "weight"}], "statements": [{"text", "sources"}]}]}: at most `top` roles with a score
    above 0, ties by label; "shared" holds the `shared` largest contributions to the score (their
    weights add up to at most the score), "statements" the sources' own comparisons of the pair.
    Raises DatateamError when the role is not compared (the sources give it no skills or tools).

    >>> similar(kg, "DevOps engineer", top=1)["similar"][0]["label"]
    'site reliability engineer'
    """
    if top < 1:
        raise DatateamError(f"--top must be at least 1 (got {top})")
    entity = resolve(kg, name, ["role"])
    iri = str(entity.iri)
    index = index if index is not None else similarity_index(kg, by, include_conditional)
    if iri not in index._positions():
        why = ("it is a stakeholder, not a hire" if _is_stakeholder(kg, iri)
               else f"the sources give no {by if by != 'all' else 'skills or tools'} for it")
        raise DatateamError(f"cannot rank roles similar to {entity.label!r}: {why}")
    i = index.index_of(iri)
    scores = index.row(i)
    scores[i] = 0.0
    label_rank = np.array([lab.casefold() for lab in index.labels])
    candidates = np.flatnonzero(scores > 0)
    order = candidates[np.lexsort((label_rank[candidates], -np.round(scores[candidates], 9)))][:top]
    statements = comparisons_by_pair(kg)
    out = []
    for j in order.tolist():
        explained = explain_pair(index, i, j, shared)
        out.append({"id": index.roles[j], "label": index.labels[j], "score": explained["score"],
                    "shared": explained["shared"],
                    "statements": _statements(statements.get(frozenset((iri, index.roles[j])), []))})
    return {"query": {"id": iri, "label": index.labels[i]}, "similar": out}


def _is_stakeholder(kg, iri: str) -> bool:
    from rdflib import URIRef

    return bool(kg.select("SELECT ?r WHERE { ?r a dt:Stakeholder }", {"r": URIRef(iri)}))


def format_similar(result: dict, conditional: dict | None = None) -> str:
    """The result of `similar` as text: one block per role with its score, what drove it and the sources' statements.

    conditional: the index's {"included", "facts"} (SimilarityIndex.conditional), to say which
    conditional facts the score left out (or included).
    """
    import textwrap

    query = result["query"]["label"]
    lines = [f"Most similar to {query} (score: IDF-weighted profile cosine × shared-item evidence)"]
    if not result["similar"]:
        lines.append("  (no role shares anything with it)")
    for rank, entry in enumerate(result["similar"], start=1):
        lines.append(f"{rank:>3}. {entry['label']}  {entry['score']:.3f}")
        if entry["shared"]:
            drivers = ", ".join(f"{s['label']} {s['weight']:.3f}" for s in entry["shared"])
            lines += textwrap.wrap(f"driven by: {drivers}", 100, initial_indent="     ", subsequent_indent="       ")
        for statement in entry["statements"]:
            lines += textwrap.wrap(f"the sources: {statement['text']} [{', '.join(statement['sources'])}]", 100,
                                   initial_indent="     ", subsequent_indent="       ")
    note = conditional_summary(conditional["facts"], conditional["included"]) if conditional else None
    if note:
        lines += [""] + textwrap.wrap(note, 100)
    return "\n".join(lines) + "\n"


SIMILAR_COLUMNS = ["rank", "label", "score", "shared", "statements", "id"]


def similar_rows(result: dict) -> list[dict]:
    """The result of `similar` as flat rows for CSV: rank, label, score, the drivers, the statements, id."""
    return [{"rank": rank, "label": entry["label"], "score": entry["score"],
             "shared": "; ".join(f"{s['label']} ({s['weight']})" for s in entry["shared"]),
             "statements": "; ".join(f"{st['text']} [{', '.join(st['sources'])}]" for st in entry["statements"]),
             "id": entry["id"]}
            for rank, entry in enumerate(result["similar"], start=1)]


def render_similar(kg, name: str, fmt: str = "table", *, top: int = 10, by: str = "all",
                   include_conditional: bool = False) -> str:
    """`datateam similar NAME` as "table" (format_similar), "json" (the result of `similar`) or "csv" text."""
    index = similarity_index(kg, by, include_conditional)
    result = similar(kg, name, top=top, by=by, index=index)
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_delimited(similar_rows(result), SIMILAR_COLUMNS)
    return format_similar(result, index.conditional)


def similarity_pairs(index: SimilarityIndex, limit: int | None = None, lowest: bool = False) -> list[dict]:
    """Every pair sharing at least one item (i < j) with its score, best first (lowest first with lowest=True).

    Rows: {"a", "b", "a_id", "b_id", "shared", "similarity"}; ties by the two labels.
    """
    scores = sparse.triu(index.scores, k=1).tocoo()
    shared = index.shared
    if scores.nnz == 0:
        return []
    rank = np.empty(len(index.labels), dtype=np.int64)
    rank[sorted(range(len(index.labels)), key=lambda k: index.labels[k].casefold())] = np.arange(len(index.labels))
    sign = 1.0 if lowest else -1.0
    order = np.lexsort((rank[scores.col], rank[scores.row], sign * np.round(scores.data, 6)))
    if limit is not None:
        order = order[:limit]
    return [{"a": index.labels[i], "b": index.labels[j], "a_id": index.roles[i], "b_id": index.roles[j],
             "shared": int(shared[i, j]), "similarity": round(float(scores.data[k]), 6)}
            for k in order.tolist() for i, j in ((int(scores.row[k]), int(scores.col[k])),)]


__all__ = [
    "DEFAULT_SETTINGS", "DEPTH_DECAY", "EVIDENCE_K", "GROUP_WEIGHT", "MAX_DEPTH", "Settings", "SimilarityIndex",
    "build_index", "combine", "drop_cached_index", "explain_pair", "format_similar", "idf_weights",
    "pair_similarity", "render_similar", "role_profiles", "similar", "similar_rows", "similarity_index",
    "similarity_pairs",
]
