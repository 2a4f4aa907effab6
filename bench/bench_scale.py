"""Benchmark: every named query at framework scale against its floor, Oxigraph running the same bound query.

On a persistent store holding the knowledge base, ESCO and O*NET (about 1.5 million quads), each
named query runs with its typical parameters (the default and each `# example:` of its header; a
role parameter also as ESCO's data scientist) two ways:

- ours: `run_query` as the CLI calls it (safety checks, binding, a forked worker with a time limit
  that reopens the store read-only), and the same with warm workers (what `datateam serve` uses);
- floor: pyoxigraph in this process on the same database opened read-only, running the bound
  query as `run_query` hands it to the engine.

The ratio ours / floor is the guard on the binding path: a parameter bound where the engine joins
it only after evaluating the whole pattern (a substitution, a VALUES block) makes the floor's query
itself slow, so the floor is also timed with the old binding (substitutions) for comparison, and a
bound query whose text still carries the variable where the term should be fails the run.

    from bench.bench_scale import run
    rows = run(Path("/tmp/bench/kg"))
    .venv/bin/python bench/bench_scale.py /tmp/speed/kg       # prints one JSON row per query

Each row: {"query", "params", "bound", "bound_in_text", "timed_out", "rows", "floor_ms", "ours_ms",
"warm_ms", "substitutions_ms", "ratio", "warm_ratio", "runs"}.
"""

from __future__ import annotations

import json
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT.parent) not in sys.path:
    sys.path.insert(0, str(ROOT.parent))

DATA_SCIENTIST = "http://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30"
TARGET_RATIO = 2.0
# Below this many milliseconds over the engine, a ratio measures the pipe to the worker, not the binding.
SLACK_MS = 10.0


def example_params(query) -> list[dict[str, str]]:
    """The parameter sets a user would type: the defaults, then each `# example:` line's --param values."""
    cases: list[dict[str, str]] = [{}]
    for example in query.examples:
        words = shlex.split(example)
        given = {}
        for i, word in enumerate(words[:-1]):
            if word == "--param":
                name, _, value = words[i + 1].partition("=")
                given[name] = value
        if given and given not in cases:
            cases.append(given)
    return cases


def _median_ms(func, runs: int, budget_s: float) -> tuple[float, int]:
    """Median milliseconds of `func` after one warm-up run (which reads the database's pages);
    a run that takes longer than the budget is timed once."""
    t = time.perf_counter()
    func()
    first = time.perf_counter() - t
    if first > budget_s:
        return first * 1000, 1
    samples = []
    started = time.perf_counter()
    while len(samples) < runs and (not samples or time.perf_counter() - started < budget_s):
        t = time.perf_counter()
        func()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000, len(samples)


def cases(kg) -> list[tuple]:
    """(named query, the parameters as typed, the bound terms) for every typical parameter set."""
    from rdflib import URIRef

    from datateam.queries.named.library import bind_parameters, list_named_queries

    out = []
    for query in list_named_queries():
        for given in example_params(query):
            out.append((query, given, bind_parameters(kg, query, given)))
        role = query.param("role")
        if role is not None and role.type == "role":
            out.append((query, {"role": DATA_SCIENTIST},
                        {**bind_parameters(kg, query, {}), "role": URIRef(DATA_SCIENTIST)}))
    return out


def run(store: Path, *, runs: int = 5, budget_s: float = 2.0, cap_s: float = 30.0, substitution_cases=None,
        progress=None, on_row=None) -> list[dict]:
    """Time every named query on the persistent store at `store`; return one row per parameter set.

    cap_s: a query that runs longer through run_query is recorded as timed out and not timed in
    process (where nothing could stop it). substitution_cases: (query name, params) pairs also timed
    with the parameters passed as substitutions, for comparison (default: skills-of-role, ESCO data
    scientist).
    """
    import pyoxigraph as ox
    from oxrdflib._converter import to_ox

    from datateam.graph.store.persistent import open_persistent
    from datateam.ontology.namespaces import PREFIXES
    from datateam.queries.engine.execute import _prepare, run_query
    from datateam.queries.engine.pool import disable_warm_workers, enable_warm_workers
    from datateam.queries.sparql.errors import QueryTimeoutError
    from datateam.queries.sparql.safety import inspect_query

    if substitution_cases is None:
        substitution_cases = [("skills-of-role", {"role": DATA_SCIENTIST})]
    rows = []
    with open_persistent(store) as kg:
        floor_store = kg.store
        todo = cases(kg)
        for n, (query, given, bindings) in enumerate(todo, 1):
            if progress is not None:
                progress(n, len(todo), query.name)
            text, substitutions = _prepare(query.text, inspect_query(query.text, []), bindings)

            def floor():
                return list(floor_store.query(text, prefixes=PREFIXES, use_default_graph_as_union=False,
                                              substitutions=substitutions or None))

            def ours(limit=None):
                return run_query(kg, query.text, bindings=bindings, timeout=limit)

            def substituted():
                subs = {ox.Variable(k): to_ox(v) for k, v in bindings.items()}
                return list(floor_store.query(query.text, prefixes=PREFIXES, use_default_graph_as_union=False,
                                              substitutions=subs or None))

            row = {"query": query.name, "params": given, "bound": bool(bindings), "bound_in_text": not substitutions}
            try:
                t = time.perf_counter()
                found = len(ours(cap_s).rows)
                first = time.perf_counter() - t
            except QueryTimeoutError:
                row.update(timed_out=True, ours_ms=cap_s * 1000)
                rows.append(row)
                if on_row is not None:
                    on_row(row)
                continue
            ours_ms, samples = _median_ms(ours, runs, budget_s) if first < budget_s else (first * 1000, 1)
            floor_ms, _ = _median_ms(floor, runs, budget_s)
            assert found == len(floor()), (query.name, given)
            warm_ms = ours_ms
            if first < budget_s:
                enable_warm_workers(kg)
                try:
                    warm_ms, _ = _median_ms(ours, runs, budget_s)
                finally:
                    disable_warm_workers(kg)
            subs_ms = None
            if bindings and (query.name, given) in substitution_cases:
                subs_ms = round(_median_ms(substituted, 1, 0)[0], 2)
            row.update(timed_out=False, rows=found, floor_ms=round(floor_ms, 2), ours_ms=round(ours_ms, 2),
                       warm_ms=round(warm_ms, 2), substitutions_ms=subs_ms, ratio=round(ours_ms / floor_ms, 2),
                       warm_ratio=round(warm_ms / floor_ms, 2), runs=samples)
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return rows


def within_target(row: dict) -> bool:
    """Through warm workers (no fork per query) within TARGET_RATIO of the engine, or a few ms of it."""
    return row["warm_ratio"] <= TARGET_RATIO or row["warm_ms"] - row["floor_ms"] <= SLACK_MS


def check(rows: list[dict], *, timing: bool = True) -> list[str]:
    """The guard: what is wrong with the binding path, one line per query (empty when all is well).

    Every bound named query must reach the engine with its terms written in (no substitutions),
    and (timing=True) run through warm workers within the target of the engine on the same text.
    """
    problems = []
    for r in rows:
        if r["bound"] and not r["bound_in_text"]:
            problems.append(f"{r['query']} {r['params']}: parameters bound by substitution, not in the text")
        if r["timed_out"] or not timing:
            continue
        if not within_target(r):
            problems.append(f"{r['query']} {r['params']}: {r['warm_ms']} ms through run_query, "
                            f"{r['warm_ratio']}x the engine's {r['floor_ms']} ms")
    return problems


if __name__ == "__main__":
    found = run(Path(sys.argv[1]), progress=lambda n, total, name: print(f"[{n}/{total}] {name}", file=sys.stderr),
                on_row=lambda row: print(json.dumps(row), flush=True))
    for line in check(found):
        print("GUARD:", line, file=sys.stderr)
