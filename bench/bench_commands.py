"""The analysis commands on the framework-scale store (knowledge base + ESCO + O*NET), each in a fresh process.

    show NAME, similar NAME, overlap A B, transition A B, coverage --roles A,B

Each command runs once after its saved files (the similarity index, the requirements table, the
coverage projection) are removed: that is the "first call", which builds them; then `runs` more times, of which the median
is the figure. The floor is measured in the same run: a fresh interpreter that imports what the
command needs (click, rdflib, pyoxigraph and, as the command does, numpy, scipy, networkx, yaml)
and opens the store read-only. Target: under 1 s wall. The package is byte-compiled first, as an
installed wheel is (see `byte_compile`).

The store is the store part's (work/kg) when it ran, else the one named by $DATATEAM_BENCH_STORE,
else ESCO and O*NET are imported into work/commands-kg first.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATATEAM = str(Path(sys.executable).with_name("datateam"))

# (figure name, arguments after `datateam --store STORE`, the modules the command imports)
CASES = [
    ('show "statistician"', ["show", "statistician"], ["click", "rdflib", "pyoxigraph"]),
    ('similar "statistician"', ["similar", "statistician"], ["click", "rdflib", "pyoxigraph", "numpy", "scipy.sparse"]),
    ('overlap "statistician" "data entry clerk"', ["overlap", "statistician", "data entry clerk"],
     ["click", "rdflib", "pyoxigraph", "numpy", "scipy.sparse", "networkx"]),
    ('transition "statistician" "data scientist"', ["transition", "statistician", "data scientist"],
     ["click", "rdflib", "pyoxigraph", "numpy", "scipy.sparse", "networkx"]),
    ('transition "data engineer" "ML engineer"', ["transition", "data engineer", "ML engineer"],
     ["click", "rdflib", "pyoxigraph", "numpy", "scipy.sparse", "networkx"]),
    ('coverage --roles "statistician,data scientist"', ["coverage", "--roles", "statistician,data scientist"],
     ["click", "rdflib", "pyoxigraph", "yaml"]),
    ('coverage --roles "statistician,data scientist" --next-hire',
     ["coverage", "--roles", "statistician,data scientist", "--next-hire"], ["click", "rdflib", "pyoxigraph", "yaml"]),
]

_FLOOR_CHILD = (
    "import sys, importlib\n"
    "for name in sys.argv[2:]:\n"
    "    importlib.import_module(name)\n"
    "from pathlib import Path\n"
    "from datateam.graph.store.persistent import open_persistent\n"
    "open_persistent(Path(sys.argv[1])).close()\n"
)


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT))
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed: {(done.stderr.strip().splitlines() or [''])[-1]}")
    return wall


def drop_saved_files(store: Path) -> int:
    """Remove the store's saved similarity indexes, requirements tables and coverage projections
    (the first call rebuilds them)."""
    from datateam.graph.analysis.coverage_table import drop_saved_coverage
    from datateam.graph.analysis.requirements import drop_saved_tables
    from datateam.graph.analysis.similar import drop_cached_index

    return drop_cached_index(store) + drop_saved_tables(store) + drop_saved_coverage(store)


def framework_store(data: Path, work: Path) -> Path:
    """The store to measure on (see the module docstring)."""
    if (work / "kg").exists():
        return work / "kg"
    named = os.environ.get("DATATEAM_BENCH_STORE")
    if named:
        return Path(named)
    from datateam.graph.importers import import_esco, import_onet
    from datateam.graph.store.persistent import open_persistent

    store = work / "commands-kg"
    with open_persistent(store, writable=True) as kg:
        import_esco(kg, [data / "esco-v1.1.1"])
        import_onet(kg, [data / "onet-29.2"])
    return store


def byte_compile() -> None:
    """Byte-compile the package, as pip does when it installs a wheel.

    The editable install used for development has no .pyc files, and where PYTHONDONTWRITEBYTECODE
    is set (as on this machine) Python never writes them: every fresh process would compile our ~90
    modules again (about 0.1 s), which a user's installed copy never does.
    """
    import compileall

    for folder in ("graph", "queries", "ontology"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)
    compileall.compile_file(str(ROOT / "cli.py"), quiet=1)
    compileall.compile_file(str(ROOT / "__init__.py"), quiet=1)


def run(data: Path, work: Path, runs: int = 3) -> list[dict]:
    """One row per command: median of `runs` fresh processes after a first call, its floor, target < 1 s."""
    store = framework_store(Path(data), Path(work))
    drop_saved_files(store)
    byte_compile()
    rows = []
    for name, args, modules in CASES:
        load = os.getloadavg()[0]
        command = [DATATEAM, "--store", str(store), *args]
        first = _wall(command)
        times = [_wall(command) for _ in range(runs)]
        floors = [_wall([PYTHON, "-c", _FLOOR_CHILD, str(store), *modules]) for _ in range(runs)]
        ours, floor = statistics.median(times), statistics.median(floors)
        rows.append({
            "name": f"`{name}` on the framework store (fresh process)", "ours_s": round(ours, 4),
            "baseline_s": None, "baseline": None, "ratio": None, "target": "< 1 s", "met": ours < 1.0,
            "floor_s": round(floor, 4),
            "floor": "fresh interpreter importing what the command needs, opening the store read-only",
            "note": (f"median of {runs} after a first call of {first:.2f} s (the store's saved files are removed "
                     "once, before the first command; a first call builds those it reads that no command before "
                     "it built); "
                     f"runs {', '.join(f'{t:.2f}' for t in times)} s; floor runs "
                     f"{', '.join(f'{t:.2f}' for t in floors)} s; load average {load:.2f} at the start"),
            "first_call_s": round(first, 4),
        })
        print(f"    {name}: median {ours:.2f} s, floor {floor:.2f} s, first call {first:.2f} s, load {load:.2f}",
              file=sys.stderr, flush=True)
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2])), indent=2))
