"""Bounded workers: a query that exhausts its memory limit, or answers too much, ends in one line.

The memory test runs a query that really exhausts a small limit (an ORDER BY over the cross
product of the knowledge base with itself, about 21 million rows to sort): Oxigraph's allocator
fails, Rust prints "memory allocation of N bytes failed" and aborts. That text must not reach the
user's terminal; the user gets one line, and `--debug` shows the worker's own words.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from datateam.queries.engine import worker
from datateam.queries.sparql.errors import QueryError
from datateam.queries.engine.execute import run_query
from datateam.queries.engine.evaluate import query_options
from datateam.queries.engine.pool import WarmWorkers

HUNGRY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?d LIMIT 1"
DATATEAM = Path(sys.executable).parent / "datateam"


def _run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DATATEAM), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_out_of_memory_is_one_line_on_the_terminal():
    done = _run_cli("query", "-e", HUNGRY, DATATEAM_QUERY_MEMORY_MB="64")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: the query ran out of memory (limit 64 MB) and was stopped; add a LIMIT or narrow it down, "
        "or raise the limit with DATATEAM_QUERY_MEMORY_MB"]


def test_debug_shows_what_the_worker_printed():
    done = _run_cli("query", "--debug", "-e", HUNGRY, DATATEAM_QUERY_MEMORY_MB="64")
    assert done.returncode != 0
    assert "WorkerOutOfMemory: the query ran out of memory (limit 64 MB)" in done.stderr
    assert "the worker's own output:" in done.stderr and "memory allocation of" in done.stderr


def test_out_of_memory_in_process_prints_nothing(kg, monkeypatch, capfd):
    monkeypatch.setattr(worker, "DEFAULT_MEMORY_LIMIT", 64 * 1024 * 1024)
    with pytest.raises(worker.WorkerOutOfMemory) as info:
        run_query(kg, HUNGRY, timeout=120)
    assert str(info.value).startswith("the query ran out of memory (limit 64 MB)")
    assert "memory allocation of" in info.value.detail
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_warm_worker_out_of_memory_prints_nothing_and_is_replaced(kg, capfd):
    pool = WarmWorkers(kg, size=1, memory_limit=64 * 1024 * 1024)
    try:
        with pytest.raises(worker.WorkerOutOfMemory, match=r"limit 64 MB"):
            pool.evaluate(HUNGRY, HUNGRY, {}, query_options(), None, 120)
        assert pool.pids == []  # the dead worker was retired
        assert pool.evaluate("ASK { ?s ?p ?o }", "ASK { ?s ?p ?o }", {}, query_options(), None, 60) == ("ask", True)
    finally:
        pool.close()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_result_over_the_size_limit_is_refused(kg, monkeypatch):
    monkeypatch.setattr(worker, "MAX_RESULT_BYTES", 100_000)
    small = run_query(kg, "SELECT ?r WHERE { ?r a dt:Role } LIMIT 3")
    assert len(small.rows) == 3
    with pytest.raises(QueryError, match="more than 100,000 bytes of results"):
        run_query(kg, "SELECT * WHERE { ?s ?p ?o }")
    pool = WarmWorkers(kg, size=1)
    try:
        with pytest.raises(QueryError, match="more than 100,000 bytes of results"):
            pool.evaluate("SELECT * WHERE { ?s ?p ?o }", "", {}, query_options(), None, 60)
    finally:
        pool.close()
