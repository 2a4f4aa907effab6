"""The similarity score (graph/analysis/similar.py): hand-computed values on a tiny store, an
independent recomputation on the shipped knowledge base, the sources' comparisons, and O*NET's SOC
groups in the profiles."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest

from datateam.graph.analysis.items import LEVEL_WEIGHTS, projection_for_overlap, role_items
from datateam.graph.analysis.overlap import overlap_matrix, overlap_summary, statement_verdict
from datateam.graph.analysis.similar import (
    Settings, drop_cached_index, format_similar, idf_weights, pair_similarity, similar, similarity_index,
    similarity_pairs,
)
from datateam.graph.errors import DatateamError
from datateam.graph.store.memory import KnowledgeGraph

BASE = "https://w3id.org/datateam-kg/"
SLICE = Path(__file__).resolve().parent / "data" / "onet-29.2-slice"

TINY = """
@prefix dt: <https://w3id.org/datateam-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://example.org/> .

<https://w3id.org/datateam-kg/graph/user/tiny> {
  ex:a a dt:Role ; skos:prefLabel "role a"@en ; dt:requiresSkill ex:x, ex:y .
  ex:b a dt:Role ; skos:prefLabel "role b"@en ; dt:requiresSkill ex:x, ex:z .
  ex:c a dt:Role ; skos:prefLabel "role c"@en ; dt:requiresSkill ex:y, ex:z .
  ex:d a dt:Role ; skos:prefLabel "role d"@en ; dt:requiresSkill ex:y, ex:w .
  ex:x a dt:Skill ; skos:prefLabel "x"@en ; skos:broader ex:p .
  ex:y a dt:Skill ; skos:prefLabel "y"@en .
  ex:z a dt:Skill ; skos:prefLabel "z"@en .
  ex:w a dt:Skill ; skos:prefLabel "w"@en .
  ex:p a dt:Skill ; skos:prefLabel "p"@en .
  ex:ax a dt:SkillRequirement ; dt:role ex:a ; dt:skill ex:x ; dt:level dt:Core .
  ex:bx a dt:SkillRequirement ; dt:role ex:b ; dt:skill ex:x ; dt:level dt:Basic .
  ex:cy a dt:SkillRequirement ; dt:role ex:c ; dt:skill ex:y ; dt:level dt:Working .
  ex:cz a dt:SkillRequirement ; dt:role ex:c ; dt:skill ex:z ; dt:level dt:Core .
  ex:ab a dt:RoleComparison ; dt:comparesRole ex:a, ex:b ; dt:comparisonKind dt:SimilarRoles ;
        skos:note "a and b are alike." .
}
"""
EX = "https://example.org/"


@pytest.fixture(scope="module")
def tiny():
    kg = KnowledgeGraph()
    kg.add_quads(ox.parse(TINY, format=ox.RdfFormat.TRIG))
    return kg


def _hand():
    """The tiny store's profiles written out by hand (see the module docstring of similar.py).

    a: x core 3, y unstated 2, p (x's broader, depth 1) 3 · ½ = 1.5
    b: x basic 1, z unstated 2, p 1 · ½ = 0.5
    c: y working 2, z core 3
    d: y 2, w 2
    N = 4; df: x 2, z 2, p 2, y 3, w 1; idf = ln(5 / (1 + df)).
    """
    l1, l2, l3 = math.log(5 / 3), math.log(5 / 4), math.log(5 / 2)
    vec = {"a": {"x": 3 * l1, "y": 2 * l2, "p": 1.5 * l1}, "b": {"x": l1, "z": 2 * l1, "p": 0.5 * l1},
           "c": {"y": 2 * l2, "z": 3 * l1}, "d": {"y": 2 * l2, "w": 2 * l3}}
    norm = {r: math.sqrt(sum(v * v for v in f.values())) for r, f in vec.items()}
    return vec, norm


def test_tiny_store_scores_by_hand(tiny):
    vec, norm = _hand()
    index = similarity_index(tiny, by="skills")
    assert index.roles == [EX + r for r in "abcd"]
    assert sorted(index.features) == [EX + f for f in "pwxyz"]
    # a–b share x (and the broader p): cosine over x and p, one shared item halves it.
    cos_ab = (vec["a"]["x"] * vec["b"]["x"] + vec["a"]["p"] * vec["b"]["p"]) / (norm["a"] * norm["b"])
    cos_ac = vec["a"]["y"] * vec["c"]["y"] / (norm["a"] * norm["c"])
    cos_bc = vec["b"]["z"] * vec["c"]["z"] / (norm["b"] * norm["c"])
    cos_cd = vec["c"]["y"] * vec["d"]["y"] / (norm["c"] * norm["d"])
    scores = index.scores.toarray()
    assert scores[0, 1] == pytest.approx(cos_ab / 2, abs=1e-12)
    assert scores[0, 2] == pytest.approx(cos_ac / 2, abs=1e-12)
    assert scores[1, 2] == pytest.approx(cos_bc / 2, abs=1e-12)
    assert scores[2, 3] == pytest.approx(cos_cd / 2, abs=1e-12)
    assert scores[1, 3] == 0.0                       # b and d share nothing
    # The numbers themselves, so that a change of formula shows here.
    assert round(scores[0, 1], 6) == 0.236097
    assert round(scores[1, 2], 6) == 0.419029


def test_tiny_store_similar_json_and_explanation(tiny):
    vec, norm = _hand()
    result = similar(tiny, "role a", by="skills", top=10)
    assert list(result) == ["query", "similar"]
    assert result["query"] == {"id": EX + "a", "label": "role a"}
    assert [s["label"] for s in result["similar"]] == ["role b", "role c", "role d"]
    first = result["similar"][0]
    assert list(first) == ["id", "label", "score", "shared", "statements"]
    x = vec["a"]["x"] * vec["b"]["x"] / (norm["a"] * norm["b"]) / 2
    p = vec["a"]["p"] * vec["b"]["p"] / (norm["a"] * norm["b"]) / 2
    assert first["shared"] == [{"id": EX + "x", "label": "x", "weight": round(x, 6)},
                               {"id": EX + "p", "label": "p", "weight": round(p, 6)}]
    assert first["score"] == round(x + p, 6)
    assert first["statements"] == [{"text": "SimilarRoles: a and b are alike.", "sources": ["user/tiny"]}]
    assert result["similar"][1]["statements"] == []
    text = format_similar(result)
    assert "  1. role b  0.236" in text and "driven by: x 0.189, p 0.047" in text and "the sources: SimilarRoles" in text
    pair = pair_similarity(tiny, "role a", "role b", by="skills")
    assert pair["score"] == first["score"] and pair["evidence"] == 1
    assert pair["cosine"] == pytest.approx(2 * first["score"], abs=1e-5)


def test_tiny_store_idf_and_settings(tiny):
    assert [round(float(v), 6) for v in idf_weights(np.array([1, 3]), 3)] == [0.693147, 0.0]
    assert [round(float(v), 6) for v in idf_weights(np.array([1, 3]), 3, "smooth")] == [1.693147, 1.0]
    flat = similarity_index(tiny, by="skills", settings=Settings(max_depth=0))
    assert EX + "p" not in flat.features            # no broader concepts: p is nobody's item
    # Without the shrink a–b is the plain cosine.
    vec, norm = _hand()
    bare = similarity_index(tiny, by="skills", settings=Settings(evidence_k=0.0))
    cos_ab = (vec["a"]["x"] * vec["b"]["x"] + vec["a"]["p"] * vec["b"]["p"]) / (norm["a"] * norm["b"])
    assert bare.scores[0, 1] == pytest.approx(cos_ab, abs=1e-12)


def test_bad_input(tiny, kg):
    with pytest.raises(DatateamError, match="--top must be at least 1"):
        similar(tiny, "role a", top=0)
    with pytest.raises(DatateamError, match="unknown --by"):
        similar(tiny, "role a", by="hats")
    with pytest.raises(DatateamError, match="cannot rank roles similar to 'mobile engineer': the sources give no"):
        similar(kg, "mobile engineer")


# ---------------------------------------------------------------------------------------------
# The shipped knowledge base


@pytest.fixture(scope="module")
def shipped_index(kg):
    return similarity_index(kg)


def test_independent_recomputation_on_the_shipped_kb(kg, shipped_index):
    """Recompute every pair with plain Python from the projection and the skos:broader rows."""
    index = shipped_index
    graph = projection_for_overlap(kg)
    items = role_items(graph, "all")
    up = {}
    for row in kg.select("SELECT ?x ?y WHERE { ?x skos:broader ?y }"):
        up.setdefault(str(row["x"]), set()).add(str(row["y"]))
    categories = {}
    for u, v, d in graph.edges(data=True):
        if d["relation"] == "in_category":
            categories.setdefault(u, set()).add(v)
        elif d["relation"] == "uses_tool":
            categories.setdefault(v, set()).update(d.get("categories", ()))

    def above(node, depth=1, seen=None):
        """{concept: smallest depth} walking skos:broader (and a tool's categories) up to depth 4."""
        out = {} if seen is None else seen
        if depth > 4:
            return out
        for parent in up.get(node, set()) | categories.get(node, set()):
            if parent != node and (parent not in out or depth < out[parent]):
                out[parent] = depth
                above(parent, depth + 1, out)
        return out

    profiles = {}
    for role in index.roles:
        prof = {item: float(w) for item, w in items[role].items()}
        for item, w in items[role].items():
            for concept, d in above(item).items():
                prof[concept] = max(prof.get(concept, 0.0), w * 0.5 ** d)
        for concept, d in above(role).items():
            if sum(1 for other in index.roles if concept in above(other)) > 1:   # groups of one are left out
                prof[concept] = max(prof.get(concept, 0.0), 8.0 * 0.5 ** (d - 1))
        profiles[role] = prof
    n = len(index.roles)
    df = {}
    for prof in profiles.values():
        for f in prof:
            df[f] = df.get(f, 0) + 1
    idf = {f: math.log((1 + n) / (1 + k)) for f, k in df.items()}
    scores = index.scores.toarray()
    for i, j in itertools.combinations(range(n), 2):
        a, b = profiles[index.roles[i]], profiles[index.roles[j]]
        dot = sum(a[f] * idf[f] * b[f] * idf[f] for f in a if f in b)
        na = math.sqrt(sum((v * idf[f]) ** 2 for f, v in a.items()))
        nb = math.sqrt(sum((v * idf[f]) ** 2 for f, v in b.items()))
        e = len(set(items[index.roles[i]]) & set(items[index.roles[j]]))
        expected = dot / (na * nb) * e / (e + 1) if na and nb else 0.0
        assert scores[i, j] == pytest.approx(expected, abs=1e-9), (index.labels[i], index.labels[j])
        assert scores[j, i] == pytest.approx(expected, abs=1e-9)


def test_the_sources_comparisons_come_out(kg, shipped_index):
    def nearest(name, k=3):
        return [s["label"] for s in similar(kg, name, top=k, index=shipped_index)["similar"]]

    assert {"analytics engineer", "data scientist"} <= set(nearest("data analyst"))
    assert "data engineer" in nearest("ML engineer")
    assert {"MLOps engineer", "ML engineer"} <= set(nearest("DevOps engineer"))
    assert {"MLOps engineer", "ML engineer"} <= set(nearest("site reliability engineer"))
    assert nearest("DevOps engineer", 1) == ["site reliability engineer"]
    da = similar(kg, "DA", index=shipped_index)
    ds = next(s for s in da["similar"] if s["label"] == "data scientist")
    assert ds["statements"][0]["sources"] == ["olx-interview"]
    assert ds["statements"][0]["text"].startswith("similar roles, sometimes the same person: Data analysts and")
    assert sum(s["weight"] for s in ds["shared"]) <= ds["score"] + 1e-6
    text = format_similar(da, shipped_index.conditional)
    assert "4 conditional facts left out: data engineer requires machine learning" in " ".join(text.split())
    # Generic items weigh less than specific ones: communication is shared by most roles.
    assert all(s["label"] != "communication" for s in ds["shared"])


def test_no_small_role_leads_without_a_threshold(kg):
    """Ranked by similarity with no minimum of shared items, every leading pair shares at least 2 items
    and the two pairs that share the most lead."""
    s = overlap_summary(kg, top=5, min_shared=0)
    top = s["most_overlapping"]
    assert s["rank_by"] == "similarity"
    assert [frozenset((p["a"], p["b"])) for p in top[:2]] == [
        frozenset(("DevOps engineer", "site reliability engineer")), frozenset(("data analyst", "data scientist"))]
    assert min(p["shared"] for p in top) >= 2
    assert all(1 <= len(p["drivers"]) <= 3 for p in top)
    verdicts = {(e["a"], e["b"]): [c["verdict"] for c in e["comparisons"]] for e in s["statements"]}
    assert verdicts[("DevOps engineer", "site reliability engineer")] == ["confirms"]
    assert verdicts[("analytics engineer", "data analyst")] == ["confirms", "contradicts"]
    assert statement_verdict(["strong collaboration"], near=True) is None
    assert statement_verdict(["similar roles"], near=False) == "does not confirm"


def test_matrix_third_score_matches_the_index(kg, shipped_index):
    m = overlap_matrix(kg, similarity=True)
    assert m.roles == shipped_index.roles
    assert np.allclose(m.dense("similarity"), shipped_index.scores.toarray())
    sub = overlap_matrix(kg, roles=["DS", "DA", "DE"], similarity=True)
    full = {(a, b): v for a, b, v in zip(*[np.repeat(m.roles, len(m.roles)), np.tile(m.roles, len(m.roles)),
                                            m.dense("similarity").ravel()])}
    for i, j in itertools.product(range(3), repeat=2):
        assert sub.dense("similarity")[i, j] == pytest.approx(full[(sub.roles[i], sub.roles[j])])
    rows = m.pairs(limit=3, rank_by="similarity")
    assert [r["similarity"] for r in rows] == sorted((r["similarity"] for r in rows), reverse=True)
    assert rows[0]["similarity"] == similarity_pairs(shipped_index, 1)[0]["similarity"]
    assert "similarity" not in m.pairs(limit=1)[0]     # the Jaccard ranking's rows are unchanged
    with pytest.raises(DatateamError, match="not computed"):
        overlap_matrix(kg).dense("similarity")


def test_conditional_facts_weigh_nothing_unless_asked(kg):
    index = similarity_index(kg)
    assert index.include_conditional is False
    assert any(f["text"] == "data engineer requires machine learning" for f in index.conditional["facts"])
    de = index.index_of(BASE + "role/data-engineer")
    ml = index.features.index(BASE + "skill/machine-learning")
    assert index.raw[de, ml] < LEVEL_WEIGHTS[None]     # at most a broader concept of another skill, never the item
    assert index.items[de, ml] == 0
    with_them = similarity_index(kg, include_conditional=True)
    de2 = with_them.index_of(BASE + "role/data-engineer")
    assert with_them.items[de2, with_them.features.index(BASE + "skill/machine-learning")] == 1


# ---------------------------------------------------------------------------------------------
# O*NET: SOC groups enter the profiles, and a persistent store keeps the index


def test_onet_soc_groups_and_the_saved_index(tmp_path):
    from datateam.graph.importers import import_onet
    from datateam.graph.store.persistent import open_persistent

    path = tmp_path / "kg"
    with open_persistent(path, writable=True) as kg:
        import_onet(kg, [SLICE])
    kg = open_persistent(path)
    try:
        index = similarity_index(kg)
        ds = index.index_of(BASE + "onet/occupation/15-2051.00")
        group = index.features.index(BASE + "onet/soc-group/15-205")
        assert index.raw[ds, group] == 8.0                       # the broad group, GROUP_WEIGHT
        assert index.raw[ds, index.features.index(BASE + "onet/soc-group/15-2")] == 4.0
        assert index.raw[ds, index.features.index(BASE + "onet/soc-group/15")] == 2.0
        assert index.feature_labels[group] == "group 15-205"
        result = similar(kg, "Data Scientists", top=3)
        assert result["query"]["id"] == BASE + "onet/occupation/15-2051.00"
        assert len(result["similar"]) == 3 and all(s["score"] > 0 for s in result["similar"])
        saved = list((path / "cache").glob("similar-*.npz"))
        assert len(saved) == 1
        again = similarity_index(kg)                              # read back from the saved index
        assert again.roles == index.roles and again.features == index.features
        assert np.allclose(again.scores.toarray(), index.scores.toarray())
        assert similar(kg, "Data Scientists", top=3) == result
    finally:
        kg.close()
    # A change to the store makes a new database folder: the saved index is not read again, and the
    # next one replaces it.
    extra = tmp_path / "extra.ttl"
    extra.write_text("@prefix dt: <https://w3id.org/datateam-kg/ontology#> .\n"
                     "<https://w3id.org/datateam-kg/onet/occupation/15-2041.00> dt:usesTool "
                     "<https://w3id.org/datateam-kg/onet/technology/ada> .\n", encoding="utf-8")
    with open_persistent(path, writable=True) as kg:
        kg.load_user_files([extra], validate=False)
    kg = open_persistent(path)
    try:
        changed = similarity_index(kg)
        files = list((path / "cache").glob("similar-*.npz"))
        assert len(files) == 1 and files != saved
        stats = changed.index_of(BASE + "onet/occupation/15-2041.00")
        ada = changed.features.index(BASE + "onet/technology/ada")
        before = index.index_of(BASE + "onet/occupation/15-2041.00")
        assert changed.items[stats, ada] == 1
        assert index.items[before, index.features.index(BASE + "onet/technology/ada")] == 0
        assert drop_cached_index(path) == 1 and not list((path / "cache").glob("similar-*.npz"))
    finally:
        kg.close()
