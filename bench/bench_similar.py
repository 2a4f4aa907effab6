"""Benchmark: the similarity score against held-out relatedness lists, and `similar` in a fresh process.

Quality. For every query occupation, the 10 most similar occupations by a score are compared with a
reference list the score never sees:

- O*NET: its Related Occupations file (`Related Occupations.txt`: for each occupation about 20
  related ones, tiered Primary-Short, Primary-Long, Supplemental), curated by O*NET's analysts. It
  is read here only; nothing in the project imports it. Gains for nDCG: Primary-Short 3,
  Primary-Long 2, Supplemental 1.
- ESCO: the occupations filed under the same ISCO unit group (esco:memberOfISCOGroup). The score
  normally uses those groups, which would make this evaluation circular, so it is measured with
  the groups left out of the profiles (Settings(groups=False)): the question is whether the skill
  profiles alone find the occupations ESCO's classifiers put together. Gain 1 for each.

The group weight (GROUP_WEIGHT in similar.py) was chosen on half A of O*NET's occupations (a fixed
split by a hash of the IRI, `half`); half B was never used to choose anything, and the run reports
both halves next to the whole.

Metrics (averaged over the query occupations that have at least one reference among the compared
ones): nDCG@10 (graded gains, ideal = the reference list's best order) and precision@10 (share of
the 10 that are in the reference list). The baselines, Jaccard and the level-weighted Jaccard
(graph/analysis/overlap.py), are computed in the same run on the same items; ties are broken by
label for every score.

Speed: `similar` timed in a fresh Python process per call (open the store, resolve the name, score,
explain, look up the sources' statements), cold (no cached index) and warm.

    from bench.bench_similar import run
    rows = run(onet_store, esco_store, onet_data)      # stores made with `datateam import ... --store DIR`

Importing this module runs nothing.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ONET_OCCUPATION = "https://w3id.org/datateam-kg/onet/occupation/"
ESCO_OCCUPATION = "http://data.europa.eu/esco/occupation/"
TIER_GAIN = {"Primary-Short": 3.0, "Primary-Long": 2.0, "Supplemental": 1.0}
K = 10


def related_occupations(path: Path) -> dict[str, dict[str, float]]:
    """O*NET's Related Occupations file as {occupation IRI: {related IRI: gain}}."""
    out: dict[str, dict[str, float]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            a = ONET_OCCUPATION + row["O*NET-SOC Code"].strip()
            b = ONET_OCCUPATION + row["Related O*NET-SOC Code"].strip()
            out.setdefault(a, {})[b] = TIER_GAIN[row["Relatedness Tier"].strip()]
    return out


def isco_siblings(kg, roles: list[str]) -> dict[str, dict[str, float]]:
    """{ESCO occupation: {the other occupations of its ISCO unit group: 1.0}}."""
    group_of: dict[str, str] = {}
    for row in kg.select("SELECT ?o ?g WHERE { ?o <http://data.europa.eu/esco/model#memberOfISCOGroup> ?g }"):
        group_of[str(row["o"])] = str(row["g"])
    members: dict[str, list[str]] = {}
    for r in roles:
        if r in group_of:
            members.setdefault(group_of[r], []).append(r)
    return {r: {o: 1.0 for o in members[group_of[r]] if o != r} for r in roles if r in group_of}


def ndcg_precision(ranked: list[str], gains: dict[str, float], k: int = K) -> tuple[float, float]:
    """(nDCG@k, precision@k) of one ranking against graded references."""
    dcg = sum(gains.get(r, 0.0) / np.log2(pos + 2) for pos, r in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum(g / np.log2(pos + 2) for pos, g in enumerate(ideal))
    hits = sum(1 for r in ranked[:k] if r in gains)
    return (dcg / idcg if idcg else 0.0), hits / k


def top_k(scores: np.ndarray, i: int, label_rank: np.ndarray, k: int = K) -> list[int]:
    """The k best columns of row `scores` other than i, with score > 0, ties by label."""
    row = scores.copy()
    row[i] = -1.0
    candidates = np.flatnonzero(row > 0)
    order = candidates[np.lexsort((label_rank[candidates], -np.round(row[candidates], 9)))]
    return order[:k].tolist()


def evaluate(roles: list[str], labels: list[str], matrices: dict[str, np.ndarray],
             references: dict[str, dict[str, float]], k: int = K, only=None) -> dict[str, dict]:
    """Mean nDCG@k and precision@k per score over the queries with references among `roles`
    (and, with `only`, for which only(role) is true)."""
    position = {r: i for i, r in enumerate(roles)}
    label_rank = np.empty(len(labels), dtype=np.int64)
    label_rank[sorted(range(len(labels)), key=lambda j: labels[j].casefold())] = np.arange(len(labels))
    queries = [r for r in roles if any(o in position for o in references.get(r, {})) and (only is None or only(r))]
    out = {}
    for name, dense in matrices.items():
        nd, pr = [], []
        for r in queries:
            gains = {o: g for o, g in references[r].items() if o in position}
            ranked = [roles[j] for j in top_k(dense[position[r]], position[r], label_rank, k)]
            a, b = ndcg_precision(ranked, gains, k)
            nd.append(a)
            pr.append(b)
        out[name] = {"ndcg@10": round(float(np.mean(nd)), 4), "precision@10": round(float(np.mean(pr)), 4),
                     "queries": len(queries)}
    return out


def half(role: str) -> int:
    """0 or 1: a fixed split of the query occupations into two halves (by a hash of the IRI), so that
    parameters can be chosen on one half and reported on the other."""
    import hashlib

    return hashlib.sha256(role.encode("utf-8")).digest()[0] % 2


def quality(kg, references_for, prefix: str, settings_list: dict, by: str = "all", graph=None,
            halves: bool = False) -> dict:
    """Evaluate the new score (under each named Settings) and the two overlap scores on the roles whose IRI
    starts with `prefix`; references_for(kg, roles) gives the reference lists."""
    from datateam.graph.analysis.overlap import pairwise_scores, projection_for_overlap, role_items
    from datateam.graph.analysis.similar import similarity_index

    t = time.perf_counter()
    graph = graph if graph is not None else projection_for_overlap(kg)
    projection_s = time.perf_counter() - t
    matrices, timings, index = {}, {}, None
    for name, settings in settings_list.items():
        t = time.perf_counter()
        index = similarity_index(kg, by, graph=graph, settings=settings)
        scores = index.scores
        timings[name] = round(time.perf_counter() - t, 3)
        keep = [i for i, r in enumerate(index.roles) if r.startswith(prefix)]
        matrices[name] = scores[keep][:, keep].toarray()
    roles = [index.roles[i] for i in keep]
    labels = [index.labels[i] for i in keep]
    items = role_items(graph, by)
    t = time.perf_counter()
    _, jac, wei = pairwise_scores(roles, items)
    timings["jaccard and weighted"] = round(time.perf_counter() - t, 3)
    matrices["jaccard"] = jac.toarray()
    matrices["weighted"] = wei.toarray()
    references = references_for(kg, roles)
    result = evaluate(roles, labels, matrices, references)
    out = {"roles": len(roles), "projection_s": round(projection_s, 2), "index_s": timings, "scores": result}
    if halves:
        out["halves"] = [evaluate(roles, labels, matrices, references, only=lambda r, h=h: half(r) == h)
                         for h in (0, 1)]
    return out


def time_similar(store: Path, names: list[str], by: str = "all") -> list[dict]:
    """Time `similar` in a fresh Python process per name (wall time of the whole process and of the call)."""
    code = (
        "import json, sys, time\n"
        "t0 = time.perf_counter()\n"
        "from datateam.graph.store.factory import open_knowledge_graph\n"
        "from datateam.graph.analysis.similar import similar\n"
        "kg = open_knowledge_graph(store_path=sys.argv[1])\n"
        "t1 = time.perf_counter()\n"
        "r = similar(kg, sys.argv[2], top=10, by=sys.argv[3])\n"
        "t2 = time.perf_counter()\n"
        "print(json.dumps({'open_s': t1 - t0, 'call_s': t2 - t1, 'first': r['similar'][0]['label']}))\n"
    )
    out = []
    for name in names:
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code, str(store), name, by], capture_output=True, text=True,
                              cwd=str(ROOT), env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        wall = time.perf_counter() - t
        if done.returncode != 0:
            raise RuntimeError(f"similar {name!r} failed: {done.stderr.strip().splitlines()[-1]}")
        data = json.loads(done.stdout.strip().splitlines()[-1])
        out.append({"name": name, "process_s": round(wall, 2), "open_s": round(data["open_s"], 2),
                    "call_s": round(data["call_s"], 2), "first": data["first"]})
    return out


def run(onet_store: Path | None, esco_store: Path | None, onet_data: Path | None) -> dict:
    """Quality on O*NET and ESCO, ablations, and fresh-process timings; returns plain data."""
    from datateam.graph.analysis.similar import DEFAULT_SETTINGS, Settings, drop_cached_index
    from datateam.graph.store.factory import open_knowledge_graph

    report: dict = {"load_before": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    if onet_store and onet_data:
        references = related_occupations(Path(onet_data) / "Related Occupations.txt")
        kg = open_knowledge_graph(store_path=onet_store)
        report["onet"] = quality(kg, lambda kg, roles: references, ONET_OCCUPATION, {
            "similarity": DEFAULT_SETTINGS,
            "similarity without SOC groups": Settings(groups=False),
            "similarity without broader concepts": Settings(groups=False, max_depth=0),
            "similarity without idf": Settings(idf="none"),
            "similarity without evidence shrink": Settings(evidence_k=0.0),
            "similarity with group weight 2 (before it was chosen on half A)": Settings(group_weight=2.0),
        }, halves=True)
        kg.close()
    if esco_store:
        kg = open_knowledge_graph(store_path=esco_store)
        report["esco"] = quality(kg, isco_siblings, ESCO_OCCUPATION, {
            "similarity without ISCO groups": Settings(groups=False),
            "similarity without ISCO groups or skill hierarchy": Settings(groups=False, max_depth=0),
            "similarity (uses the ISCO groups: circular)": DEFAULT_SETTINGS,
        })
        kg.close()
    timings = {}
    for key, store, names in (("onet", onet_store, ["Data Scientists", "Software Developers", "Statisticians"]),
                              ("esco", esco_store, ["data scientist", "software developer", "statistician"])):
        if store:
            drop_cached_index(store)
            timings[key] = {"cold": time_similar(store, names[:1]), "warm": time_similar(store, names)}
    report["similar_fresh_process"] = timings
    report["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return report


def make_stores(data: Path, work: Path) -> tuple[Path, Path]:
    """Import O*NET and ESCO (each beside the shipped knowledge base) into two persistent stores under `work`."""
    from datateam.graph.importers import import_esco, import_onet
    from datateam.graph.store.persistent import open_persistent

    stores = (Path(work) / "similar-onet", Path(work) / "similar-esco")
    for store, importer, source in ((stores[0], import_onet, data / "onet-29.2"),
                                    (stores[1], import_esco, data / "esco-v1.1.1")):
        with open_persistent(store, writable=True) as kg:
            importer(kg, [source])
    return stores


def rows_for_report(report: dict) -> list[dict]:
    """The run's figures as rows of bench/run.py's table (timings; the quality figures go in the notes)."""
    def quality_note(key: str) -> str:
        scores = report.get(key, {}).get("scores", {})
        return "; ".join(f"{name} nDCG@10 {v['ndcg@10']:.3f}, P@10 {v['precision@10']:.3f}" for name, v in scores.items())

    rows = []
    for key, title in (("onet", "O*NET"), ("esco", "ESCO")):
        timing = report.get("similar_fresh_process", {}).get(key)
        if not timing:
            continue
        warm = max(t["process_s"] for t in timing["warm"])
        cold = timing["cold"][0]["process_s"]
        reference = ("against O*NET's Related Occupations (held out)" if key == "onet"
                     else "against ISCO unit-group siblings, groups left out of the score")
        rows.append({"name": f"`similar` on the {title} store, fresh process (slowest of {len(timing['warm'])})",
                     "ours_s": warm, "baseline_s": None, "baseline": None, "ratio": None, "target": "< 2 s",
                     "met": warm < 2,
                     "note": f"first call in a fresh store {cold:.1f} s (builds and saves the index); quality "
                             f"{reference}: {quality_note(key)}"})
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onet-store", type=Path)
    parser.add_argument("--esco-store", type=Path)
    parser.add_argument("--onet-data", type=Path, default=ROOT.parent / "shared" / "data" / "onet-29.2")
    args = parser.parse_args()
    print(json.dumps(run(args.onet_store, args.esco_store, args.onet_data), indent=2))
