"""Benchmark: importing ESCO and O*NET into the persistent store, cold starts and named-query latency,
each against what a user would otherwise write with plain rdflib, measured in the same run.

- import: `datateam import esco` (and `onet`) end to end in a fresh process, wall time and peak
  memory, against rdflib parsing the same triples (the N-Quads our importer produces) into an
  in-memory rdflib Dataset;
- cold start: a command against the persistent store in a fresh process (inline SPARQL with
  `datateam query -e`, and `datateam show`), against a fresh process that reparses the same data with
  rdflib and answers the same question;
- named query: the median latency of the named query `skills-of-role` (role bound to ESCO's data
  scientist) on the persistent store, in process (Oxigraph's engine) and through the safe query path
  (`run_query`, worker process with a time limit), against rdflib's SPARQL engine on the parsed data.

Every heavy step runs in its own process so its peak memory (ru_maxrss) is its own. Importing this
module runs nothing.

    from bench.bench_store import run
    rows = run(Path("../shared/data"), Path("/tmp/bench"))
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

PYTHON = sys.executable
DATATEAM = str(Path(sys.executable).with_name("datateam"))
DATA_SCIENTIST = "http://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30"
NAMED_QUERY = "skills-of-role"
INLINE_QUERY = ("SELECT ?skill ?label WHERE { <%s> dt:requiresSkill ?skill . ?skill skos:prefLabel ?label } "
                "ORDER BY ?label" % DATA_SCIENTIST)

# Runs the CLI in-process so the process's own peak memory is the command's.
_CLI_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    start = time.perf_counter()
    from datateam.cli import main
    try:
        main(sys.argv[1:], standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    print(json.dumps({"code": code, "seconds": time.perf_counter() - start,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), file=sys.stderr)
""")

# Writes the N-Quads the importers produce (the same triples), for the rdflib baseline and the
# floor; and the stream the import itself bulk-loads (each quad followed by its default-graph copy).
_NQUADS_CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from datateam.graph.importers.esco import write_esco_nquads
    from datateam.graph.importers.onet import write_onet_nquads
    from datateam.graph.store.persistent import shipped_quads
    import pyoxigraph as ox
    esco, onet, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    for copies, suffix in ((False, ""), (True, "-stream")):
        with open(out / f"esco{suffix}.nq", "w", encoding="utf-8") as f:
            write_esco_nquads([esco], f, default_copies=copies)
        with open(out / f"onet{suffix}.nq", "w", encoding="utf-8") as f:
            write_onet_nquads([onet], f, default_copies=copies)
    (out / "kb.nq").write_bytes(ox.serialize(shipped_quads(), format=ox.RdfFormat.N_QUADS))
""")

# The import's floor: pyoxigraph alone bulk-loading the same N-Quads into a new store, in a fresh
# process (interpreter start included, as in ours).
_FLOOR_LOAD_CHILD = textwrap.dedent("""
    import sys
    import pyoxigraph as ox
    store = ox.Store(sys.argv[1])
    store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS, lenient=True)
    store.flush()
""")

# A cold start's floor: a fresh interpreter that imports what the command needs to answer (pyoxigraph;
# with `also`, rdflib and click too), opens the same database read-only and runs the same SELECT.
_FLOOR_QUERY_CHILD = textwrap.dedent("""
    import sys
    if sys.argv[3] == "also":
        import click, rdflib  # noqa: F401
    import pyoxigraph as ox
    rows = list(ox.Store.read_only(sys.argv[1]).query(sys.argv[2], use_default_graph_as_union=False))
""")

# The rdflib baseline: parse into an in-memory Dataset, then answer the cold-start question and
# time the named query with rdflib's SPARQL engine.
_RDFLIB_CHILD = textwrap.dedent("""
    import json, resource, statistics, sys, time
    start = time.perf_counter()
    from rdflib import Dataset, URIRef
    from datateam.ontology.namespaces import sparql_prologue
    from datateam.queries.named.library import load_named_query
    folder, role, inline, named, runs, cap = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
    out = {}
    ds = Dataset(default_union=True)
    t = time.perf_counter()
    ds.parse(folder + "/esco.nq", format="nquads")
    out["parse_esco_s"] = time.perf_counter() - t
    out["peak_esco_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ds.parse(folder + "/onet.nq", format="nquads")
    ds.parse(folder + "/kb.nq", format="nquads")
    out["parse_all_s"] = time.perf_counter() - t
    rows = list(ds.query(sparql_prologue() + inline))
    out["cold_start_s"] = time.perf_counter() - start
    out["cold_rows"] = len(rows)
    query = sparql_prologue() + load_named_query(named).text
    times = []
    while len(times) < runs:
        t = time.perf_counter()
        result = list(ds.query(query, initBindings={"role": URIRef(role)}))
        times.append(time.perf_counter() - t)
        if sum(times) > cap:
            break
    out["named_rows"] = len(result)
    out["named_times"] = times
    out["peak_all_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
""")


def _cli(args: list[str], env=None) -> dict:
    """Run the CLI in a fresh process; return wall seconds (end to end), exit code, peak MB, stdout."""
    start = time.perf_counter()
    proc = subprocess.run([PYTHON, "-c", _CLI_CHILD, *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    info = json.loads(proc.stderr.strip().splitlines()[-1])
    if info["code"] != 0:
        raise RuntimeError(f"datateam {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return {"wall_s": wall, "peak_mb": info["peak_mb"], "stdout": proc.stdout}


def _console(args: list[str], runs: int) -> list[float]:
    """Wall times of the installed console command in fresh processes."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([DATATEAM, *args], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"datateam {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return times


def _step(text: str) -> None:
    """Which step is running, on standard error when it is a terminal (some take minutes)."""
    if sys.stderr.isatty():
        print(f"    … {text}", file=sys.stderr, flush=True)


def _fresh(command: list[str], runs: int) -> list[float]:
    """Wall times of a command in fresh processes."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def _floor_load(work: Path, nquads: str) -> float:
    """Seconds for pyoxigraph alone to bulk-load `work/nquads` into a new store, in a fresh process."""
    import shutil

    target = work / "floor-store"
    shutil.rmtree(target, ignore_errors=True)
    try:
        return _fresh([PYTHON, "-c", _FLOOR_LOAD_CHILD, str(target), str(work / nquads)], 1)[0]
    finally:
        shutil.rmtree(target, ignore_errors=True)


def _stream_note(ours: float, floor: float, stream: float) -> str:
    """The second floor of an import: the stream it loads, each quad with its default-graph copy."""
    return (f"the import's own stream (each quad and its copy in the default graph, the merge) bulk-loads "
            f"in {stream:.2f} s ({stream / floor:.2f}x the floor; ours {ours / stream:.2f}x that)")


def _prologue() -> str:
    from datateam.ontology.namespaces import sparql_prologue

    return sparql_prologue()


def _row(name: str, ours_s: float, baseline_s: float | None, baseline: str, target: str, met: bool | None,
         note: str = "", **extra) -> dict:
    return {"name": name, "ours_s": round(ours_s, 4), "baseline_s": round(baseline_s, 4) if baseline_s else None,
            "baseline": baseline, "ratio": round(baseline_s / ours_s, 1) if baseline_s and ours_s else None,
            "target": target, "met": met, "note": note, **extra}


def run(data: Path, work: Path, *, cold_runs: int = 5, query_runs: int = 30, baseline_query_runs: int = 5,
        baseline_query_cap_s: float = 60.0) -> list[dict]:
    """Run the store benchmarks on the releases under `data` (esco-v1.1.1/, onet-29.2/), in `work`.

    Returns one row per figure: name, ours_s, baseline_s, baseline, ratio, target, met, note, and
    extra fields (peak memory, triples).
    """
    esco, onet = Path(data) / "esco-v1.1.1", Path(data) / "onet-29.2"
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    store = work / "kg"
    if store.exists():
        import shutil

        shutil.rmtree(store)
    rows = []

    # 1. Imports, end to end (a fresh store: creation and the shipped KB are part of the first).
    _step("importing ESCO and O*NET")
    esco_run = _cli(["import", "esco", str(esco), "--store", str(store), "--format", "json"])
    esco_report = json.loads(esco_run["stdout"])
    onet_run = _cli(["import", "onet", str(onet), "--store", str(store), "--format", "json"])
    onet_report = json.loads(onet_run["stdout"])

    # The rdflib baseline reads the same triples.
    _step("writing the same triples as N-Quads; rdflib parses them and runs the named query (minutes)")
    subprocess.run([PYTHON, "-c", _NQUADS_CHILD, str(esco), str(onet), str(work)], check=True)
    proc = subprocess.run([PYTHON, "-c", _RDFLIB_CHILD, str(work), DATA_SCIENTIST, INLINE_QUERY, NAMED_QUERY,
                           str(baseline_query_runs), str(baseline_query_cap_s)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"rdflib baseline failed: {proc.stderr[-2000:]}")
    base = json.loads(proc.stdout.strip().splitlines()[-1])

    _step("pyoxigraph alone bulk-loads the same N-Quads (the floor), and the import's own stream")
    floor_load, stream_load = _floor_load(work, "esco.nq"), _floor_load(work, "esco-stream.nq")
    rows.append(_row("ESCO import (3,007 occupations, 13,896 skills, 123,788 links)", esco_run["wall_s"],
                     base["parse_esco_s"], "rdflib: parse the same triples (N-Quads) into an in-memory Dataset",
                     "≤ 1.5x floor", esco_run["wall_s"] <= 1.5 * floor_load,
                     f"{esco_report['triples']:,} triples; end to end in a fresh process, store created first; "
                     + _stream_note(esco_run["wall_s"], floor_load, stream_load),
                     ours_peak_mb=round(esco_run["peak_mb"]), baseline_peak_mb=round(base["peak_esco_mb"]),
                     floor_s=round(floor_load, 4), stream_floor_s=round(stream_load, 4),
                     floor="pyoxigraph alone: a fresh process bulk-loading the same N-Quads (the named graph's "
                           "quads) into a new store"))
    floor_onet, stream_onet = _floor_load(work, "onet.nq"), _floor_load(work, "onet-stream.nq")
    rows.append(_row("O*NET import (1,016 occupations, 32,627 technology rows)", onet_run["wall_s"], None,
                     "", "", None, f"{onet_report['triples']:,} triples; a second of fixed cost (interpreter, "
                     "checkpoint, metadata) weighs more beside a 4-second load; "
                     + _stream_note(onet_run["wall_s"], floor_onet, stream_onet),
                     ours_peak_mb=round(onet_run["peak_mb"]), floor_s=round(floor_onet, 4),
                     stream_floor_s=round(stream_onet, 4),
                     floor="pyoxigraph alone bulk-loading the same N-Quads"))

    # 2. Cold start: a fresh process answering one question from the store.
    _step("cold starts")
    bare = statistics.median(_fresh([PYTHON, "-c", "pass"], cold_runs))
    cli_imports = statistics.median(_fresh([PYTHON, "-c", "import datateam.cli"], cold_runs))
    database = str(store / json.loads((store / "datateam-store.json").read_text())["database"])
    floor_text = _prologue() + INLINE_QUERY
    floor_query = statistics.median(_fresh([PYTHON, "-c", _FLOOR_QUERY_CHILD, database, floor_text, "-"], cold_runs))
    floor_also = statistics.median(_fresh([PYTHON, "-c", _FLOOR_QUERY_CHILD, database, floor_text, "also"],
                                          cold_runs))
    startup = f"bare interpreter {bare * 1000:.0f} ms; `import datateam.cli` {cli_imports * 1000:.0f} ms"
    inline = _console(["--store", str(store), "query", "-e", INLINE_QUERY, "--format", "csv"], cold_runs)
    rows.append(_row("cold start: `datateam --store kg query -e …` (skills of ESCO data scientist)",
                     statistics.median(inline), base["cold_start_s"],
                     "fresh process: rdflib parses ESCO + O*NET + KB, then runs the same SPARQL",
                     "< 1 s", statistics.median(inline) < 1, f"median of {cold_runs} fresh processes; {startup}",
                     floor_s=round(floor_query, 4),
                     floor="fresh process: import pyoxigraph, open the database read-only, run the same SELECT"))
    show_iri = _console(["--store", str(store), "show", DATA_SCIENTIST], cold_runs)
    rows.append(_row("cold start: `datateam --store kg show <ESCO IRI>`", statistics.median(show_iri),
                     base["cold_start_s"], "same rdflib baseline", "< 1 s", statistics.median(show_iri) < 1,
                     f"median of {cold_runs}", floor_s=round(floor_also, 4),
                     floor="fresh process: import pyoxigraph, rdflib and click, open the database, one SELECT"))
    show_name = _console(["--store", str(store), "show", "data scientist"], max(1, cold_runs // 2))
    rows.append(_row("cold start: `datateam --store kg show \"data scientist\"` (name resolution)",
                     statistics.median(show_name), base["cold_start_s"], "same rdflib baseline", "< 1 s",
                     statistics.median(show_name) < 1, f"median of {max(1, cold_runs // 2)}",
                     floor_s=round(floor_also, 4), floor="as for `show <ESCO IRI>`"))

    # 3. Named query latency, in process on the persistent store.
    _step("named query latency")
    rows.extend(_named_query_rows(store, query_runs, base))
    for name in ("esco.nq", "onet.nq", "kb.nq"):
        (work / name).unlink(missing_ok=True)
    return rows


def _named_query_rows(store: Path, runs: int, base: dict) -> list[dict]:
    from rdflib import URIRef

    from datateam.graph.store.persistent import open_persistent
    from datateam.queries.engine.execute import run_query
    from datateam.queries.named.library import load_named_query

    query = load_named_query(NAMED_QUERY)
    bindings = {"role": URIRef(DATA_SCIENTIST)}
    base_median = statistics.median(base["named_times"])
    rows = []
    with open_persistent(store) as kg:
        engine, safe, floor = [], [], []
        expected = len(kg.select(query.text, bindings))
        from datateam.ontology.namespaces import PREFIXES
        from datateam.queries.engine.execute import _prepare
        from datateam.queries.sparql.safety import inspect_query

        bound, substitutions = _prepare(query.text, inspect_query(query.text, []), bindings)
        assert not substitutions
        for _ in range(runs):
            start = time.perf_counter()
            m = len(list(kg.store.query(bound, prefixes=PREFIXES, use_default_graph_as_union=False)))
            floor.append(time.perf_counter() - start)
        for _ in range(runs):
            start = time.perf_counter()
            n = len(kg.select(query.text, bindings))
            engine.append(time.perf_counter() - start)
        for _ in range(max(5, runs // 3)):
            start = time.perf_counter()
            result = run_query(kg, query.text, bindings=bindings)
            safe.append(time.perf_counter() - start)
        assert m == n == expected == len(result.rows), (m, n, expected, len(result.rows))
    note = (f"{expected} rows; rdflib gave {base['named_rows']}; median of {runs} (ours) and "
            f"{len(base['named_times'])} (rdflib)")
    rows.append(_row(f"named query `{NAMED_QUERY}` (ESCO data scientist), in process", statistics.median(engine),
                     base_median, "rdflib SPARQL on the in-memory Dataset, same query and binding", "≥ 10x faster",
                     base_median / statistics.median(engine) >= 10, note, floor_s=round(statistics.median(floor), 4),
                     floor="pyoxigraph in process on the same database, the role written into the query"))
    rows.append(_row(f"named query `{NAMED_QUERY}` through run_query (worker with time limit)",
                     statistics.median(safe), base_median, "same rdflib baseline", "≥ 10x faster",
                     base_median / statistics.median(safe) >= 10, f"median of {len(safe)}",
                     floor_s=round(statistics.median(floor), 4), floor="the same pyoxigraph floor"))
    return rows


if __name__ == "__main__":
    data_dir = Path(os.environ.get("DATATEAM_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "data"))
    for row in run(data_dir, Path("/tmp/datateam-bench-store")):
        print(json.dumps(row))
