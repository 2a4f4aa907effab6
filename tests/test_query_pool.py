"""Warm workers: the same answers as per-query workers, and the time limit still stops a query."""

from __future__ import annotations

import os
import threading

import pytest

from datateam.graph.errors import DatateamError
from datateam.graph.store.factory import load_knowledge_graph
from datateam.ontology.namespaces import BASE
from datateam.queries.sparql.errors import QuerySyntaxError, QueryTimeoutError
from datateam.queries.engine.execute import run_query
from datateam.queries.named.library import bind_parameters, list_named_queries
from datateam.queries.engine.pool import disable_warm_workers, enable_warm_workers

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ROLES = "SELECT DISTINCT ?r WHERE { ?r a dt:Role }"


@pytest.fixture()
def warm():
    kg = load_knowledge_graph()
    pool = enable_warm_workers(kg, size=2)
    yield kg, pool
    disable_warm_workers(kg)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().split(")")[-1].split()[0] != "Z"


def test_named_queries_answer_the_same_on_warm_workers(warm, kg):
    warm_kg, _pool = warm
    for query in list_named_queries():
        cold = run_query(kg, query.text, bindings=bind_parameters(kg, query, {}))
        hot = run_query(warm_kg, query.text, bindings=bind_parameters(warm_kg, query, {}))
        key = lambda r: sorted((k, sorted(str(v).split(", "))) for k, v in r.items())  # noqa: E731
        assert sorted(map(key, hot.rows)) == sorted(map(key, cold.rows)), query.name


def test_a_warm_worker_is_reused(warm):
    kg, pool = warm
    run_query(kg, ROLES)
    first = pool.pids
    run_query(kg, ROLES)
    assert pool.pids == first and len(first) == 1


def test_a_runaway_query_kills_its_warm_worker_and_the_next_query_works(warm):
    kg, pool = warm
    run_query(kg, ROLES)
    [pid] = pool.pids
    with pytest.raises(QueryTimeoutError):
        run_query(kg, RUNAWAY, timeout=1)
    assert not alive(pid)
    assert len(run_query(kg, ROLES).rows) == int(kg.select("SELECT (COUNT(DISTINCT ?r) AS ?n) "
                                                          "WHERE { ?r a dt:Role }")[0]["n"])


def test_errors_come_back_from_a_warm_worker(warm):
    kg, pool = warm
    with pytest.raises(QuerySyntaxError) as info:
        run_query(kg, "SELECT ?x WHERE { ?x a dt:Role } LIMT 3")
    assert (info.value.line, info.value.column, info.value.token) == (1, 34, "LIMT")
    assert len(pool.pids) == 1  # the worker survives an error in a query


def test_an_update_retires_the_warm_workers(warm):
    kg, pool = warm
    before = len(run_query(kg, ROLES).rows)
    [old] = pool.pids
    run_query(kg, f"INSERT DATA {{ GRAPH <{BASE}graph/user/x> {{ role:new-hat a dt:Role }} }}", allow_update=True)
    assert len(run_query(kg, ROLES).rows) == before + 1
    assert pool.pids != [old] and not alive(old)


def test_busy_warm_workers_fall_back_to_a_fork(warm):
    kg, pool = warm
    expected = {str(r["r"]) for r in kg.select(ROLES)}
    timeouts, answers = [], []

    def runaway():
        try:
            run_query(kg, RUNAWAY, timeout=2)
        except QueryTimeoutError as exc:
            timeouts.append(exc)

    def normal():
        for _ in range(4):
            answers.append({str(r["r"]) for r in run_query(kg, ROLES).rows})

    threads = [threading.Thread(target=runaway) for _ in range(2)] + [threading.Thread(target=normal) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(timeouts) == 2
    assert len(answers) == 16 and all(a == expected for a in answers)


def test_warm_workers_need_a_store_that_does_not_change(tmp_path):
    from datateam.graph.store.persistent import open_persistent

    with open_persistent(tmp_path / "kg", writable=True) as kg:
        with pytest.raises(DatateamError, match="does not change"):
            enable_warm_workers(kg)
    with open_persistent(tmp_path / "kg") as kg:
        enable_warm_workers(kg)
        try:
            assert len(run_query(kg, ROLES).rows) == len(load_knowledge_graph().select(ROLES))
        finally:
            disable_warm_workers(kg)


def test_a_warm_worker_killed_from_outside_is_replaced(warm):
    import signal
    import time

    kg, pool = warm
    run_query(kg, ROLES)
    [pid] = pool.pids
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # wait until the kernel has ended it (it is reaped by the pool, not here)
        if not alive(pid):
            break
        time.sleep(0.01)
    assert len(run_query(kg, ROLES).rows) == len(kg.select(ROLES))
    assert pool.pids and pool.pids != [pid]
