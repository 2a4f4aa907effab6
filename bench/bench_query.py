"""Benchmark: what the safe query path costs per query, and what reasoning costs.

`run_query` evaluates every query in a worker process that can be killed at its time limit. This
measures that overhead against evaluating in the calling process (which could never be stopped):

- in-process: `kg.ask(...)` straight on the embedded Oxigraph store (the floor);
- fork per query: `run_query` as the CLI uses it;
- warm workers: `run_query` after `enable_warm_workers(kg)` (queries/engine/pool.py), as a server can;
- on disk: the same on a persistent store opened read-only (each forked worker reopens it).

Each is run on the shipped knowledge base and on the same plus `extra_quads` synthetic quads held
in memory (the fork's cost grows with the parent's memory). It also times the RDFS and OWL 2 RL
closures of the shipped knowledge base. Importing this module runs nothing.

    from bench.bench_query import run
    rows = run()

Each row: {"benchmark", "case", "quads", "rss_mb", "median_ms", "p90_ms", "runs"}.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

QUERY = "ASK { role:data-engineer dt:usesTool tool:apache-airflow }"


def _rss_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def _time(func, runs: int) -> tuple[float, float]:
    func()  # warm up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(0.9 * (len(samples) - 1))] * 1000


def _row(case: str, kg, func, runs: int) -> dict:
    median, p90 = _time(func, runs)
    return {"benchmark": "query overhead", "case": case, "quads": len(kg.store), "rss_mb": _rss_mb(),
            "median_ms": round(median, 2), "p90_ms": round(p90, 2), "runs": runs}


def _cases(kg, label: str, runs: int) -> list[dict]:
    from datateam.queries.engine.execute import run_query
    from datateam.queries.engine.pool import disable_warm_workers, enable_warm_workers

    rows = [_row(f"{label}: in-process (cannot be stopped)", kg, lambda: kg.ask(QUERY), runs),
            _row(f"{label}: run_query, fork per query", kg, lambda: run_query(kg, QUERY), runs)]
    enable_warm_workers(kg, size=2)
    try:
        rows.append(_row(f"{label}: run_query, warm workers", kg, lambda: run_query(kg, QUERY), runs))
    finally:
        disable_warm_workers(kg)
    return rows


def run(extra_quads: int = 1_000_000, runs: int = 50) -> list[dict]:
    """Measure and return the rows (see the module's docstring)."""
    import pyoxigraph as ox

    from datateam.graph.store.persistent import open_persistent
    from datateam.graph.store.memory import KnowledgeGraph
    from datateam.graph.store.factory import load_knowledge_graph
    from datateam.queries.engine import reasoning

    kg = load_knowledge_graph()
    rows = _cases(kg, "shipped KB in memory", runs)
    with tempfile.TemporaryDirectory() as folder:
        open_persistent(Path(folder) / "kg", writable=True).close()
        with open_persistent(Path(folder) / "kg") as disk:
            rows += _cases(disk, "shipped KB on disk", runs)
    big = ox.Store()
    big.extend(kg.store)
    graph = ox.NamedNode("https://w3id.org/datateam-kg/graph/user/bench")
    big.extend(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode(f"http://example.org/p{i % 50}"),
                       ox.Literal(f"value {i}"), graph) for i in range(extra_quads))
    rows += _cases(KnowledgeGraph(big), f"shipped KB + {extra_quads:,} quads in memory", runs)
    import os

    with tempfile.TemporaryDirectory(prefix="datateam-bench-cache-") as cache:
        saved = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = cache   # computed, not read from a closure file of an earlier run
        try:
            for mode in ("rdfs", "owlrl"):
                for case in ("computed", "read back from its file"):
                    fresh = load_knowledge_graph()
                    start = time.perf_counter()
                    reasoned = reasoning.reasoned_graph(fresh, mode)
                    rows.append({"benchmark": "reasoning closure", "case": f"{mode} on the shipped KB, {case}",
                                 "quads": len(fresh.store), "rss_mb": _rss_mb(),
                                 "median_ms": round((time.perf_counter() - start) * 1000, 1), "p90_ms": None,
                                 "runs": 1, "inferred": reasoned.triple_count(reasoning.INFERRED_GRAPH)})
        finally:
            if saved is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = saved
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
