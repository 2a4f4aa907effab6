"""The second wall: whatever the query says, the process evaluating it cannot open a network connection.

These tests skip the query check on purpose (they call the worker-level evaluation directly) and
hand the engine a SERVICE or LOAD aimed at a trap server on loopback. With the wall the engine
fails and the trap records no connection; each has a control with the wall turned off
(DATATEAM_QUERY_SANDBOX=off) in which the same call does reach the trap, so the test can fail.
"""

from __future__ import annotations

import ctypes
import errno
import signal
import socket
import threading
import urllib.request

import pytest

from datateam.cli import main
from datateam.graph.store.memory import KnowledgeGraph
from datateam.queries.engine import execute, sandbox, worker
from datateam.queries.sparql.errors import UnsafeQueryError
from datateam.queries.engine.execute import evaluate_local, run_query, run_update
from datateam.queries.engine.evaluate import query_options
from datateam.queries.engine.pool import disable_warm_workers, enable_warm_workers, warm_workers
from datateam.queries.engine.reasoning import reasoned_graph


def service(url: str) -> str:
    return f"SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}"


@pytest.fixture()
def wall_off(monkeypatch):
    """The control: turn the wall off for this test (never done outside tests and odd platforms)."""
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "off")


def test_a_forked_worker_cannot_reach_the_trap(trap, bait_store):
    with pytest.raises(UnsafeQueryError, match="tried to open a network connection"):
        evaluate_local(bait_store(), None, service(trap.url), timeout=20)
    assert trap.count() == 0


def test_control_without_the_wall_the_worker_reaches_the_trap(trap, bait_store, wall_off):
    try:
        evaluate_local(bait_store(), None, service(trap.url), timeout=20)
    except execute.QueryError:  # the trap's reply is empty; what matters is that the call was made
        pass
    assert trap.count() >= 1


def test_warm_workers_cannot_reach_the_trap(trap, bait_store):
    kg = KnowledgeGraph(bait_store())
    pool = enable_warm_workers(kg, size=1)
    try:
        assert run_query(kg, "ASK { ?s ?p ?o }").boolean is True  # a warm worker now exists
        assert len(pool.pids) == 1
        with pytest.raises(worker.WorkerFailed, match="Operation not permitted"):
            pool.evaluate(service(trap.url), service(trap.url), {}, query_options(), None, 20)
        assert len(pool.pids) == 1  # the same warm worker answered
    finally:
        disable_warm_workers(kg)
    assert trap.count() == 0


def test_control_warm_workers_without_the_wall_reach_the_trap(trap, bait_store, wall_off):
    kg = KnowledgeGraph(bait_store())
    pool = enable_warm_workers(kg, size=1)
    try:
        try:
            pool.evaluate(service(trap.url), service(trap.url), {}, query_options(), None, 20)
        except worker.WorkerFailed:
            pass
    finally:
        disable_warm_workers(kg)
    assert warm_workers(kg) is None
    assert trap.count() >= 1


def test_the_reasoning_path_cannot_reach_the_trap(trap, bait_store):
    reasoned = reasoned_graph(KnowledgeGraph(bait_store()), "rdfs", timeout=60)
    with pytest.raises(UnsafeQueryError):
        evaluate_local(reasoned.store, None, service(trap.url), timeout=20)
    assert trap.count() == 0


def test_an_update_cannot_load_from_the_trap_and_changes_nothing(trap, bait_store):
    kg = KnowledgeGraph(bait_store())
    before = sorted(str(q) for q in kg.store)
    for text in (f"LOAD <{trap.url}data.ttl>", f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{trap.url}> {{ ?s ?p ?o }} }}"):
        with pytest.raises(UnsafeQueryError, match="nothing was changed"):
            run_update(kg, text)
    assert sorted(str(q) for q in kg.store) == before
    assert trap.count() == 0
    # The wall binds the update's own thread only: this thread (a server's, say) still has its network.
    with socket.create_connection(("127.0.0.1", trap.port), timeout=5):
        pass
    assert trap.count() == 1


def test_control_without_the_wall_an_update_loads_from_the_trap(trap, bait_store, wall_off):
    try:
        run_update(KnowledgeGraph(bait_store()), f"LOAD <{trap.url}data.ttl>")
    except execute.QueryError:
        pass
    assert trap.count() >= 1


# ---------------------------------------------------------------------------------------------
# What exactly the filter allows and refuses


def _socket_outcomes() -> dict:
    outcomes = {}
    for name, family, kind in (("inet", socket.AF_INET, socket.SOCK_STREAM),
                               ("inet6", socket.AF_INET6, socket.SOCK_STREAM),
                               ("udp", socket.AF_INET, socket.SOCK_DGRAM),
                               ("netlink", socket.AF_NETLINK, socket.SOCK_RAW),
                               ("packet", socket.AF_PACKET, socket.SOCK_RAW),
                               ("unix", socket.AF_UNIX, socket.SOCK_STREAM)):
        try:
            socket.socket(family, kind).close()
            outcomes[name] = "allowed"
        except OSError as exc:
            outcomes[name] = errno.errorcode.get(exc.errno, str(exc.errno))
    left, right = socket.socketpair()
    left.close()
    right.close()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(425, 8, None)  # io_uring_setup(8, NULL) on x86-64
    outcomes["io_uring"] = errno.errorcode.get(ctypes.get_errno(), "?") if result < 0 else "allowed"
    return outcomes


def test_the_filter_refuses_every_socket_family_but_unix_and_io_uring():
    if not hasattr(socket, "AF_PACKET") or ctypes.sizeof(ctypes.c_void_p) != 8 or \
            __import__("platform").machine() != "x86_64":
        pytest.skip("the syscall numbers here are x86-64's")
    outcomes = worker.run_in_worker(_socket_outcomes, timeout=20)
    assert outcomes == {"inet": "EPERM", "inet6": "EPERM", "udp": "EPERM", "netlink": "EPERM", "packet": "EPERM",
                        "unix": "allowed", "io_uring": "EPERM"}


def _x32_socket():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc.syscall(0x40000000 | 41, socket.AF_INET, socket.SOCK_STREAM, 0)  # socket() through the x32 ABI


def test_a_syscall_through_another_abi_kills_the_worker():
    if __import__("platform").machine() != "x86_64":
        pytest.skip("x32 exists on x86-64 only")
    with pytest.raises(worker.WorkerCrashed, match="network wall"):
        worker.run_in_worker(_x32_socket, timeout=20)


def test_python_code_in_a_worker_cannot_reach_the_trap(trap):
    def fetch():
        with urllib.request.urlopen(trap.url, timeout=5) as resp:
            return resp.status

    with pytest.raises(worker.WorkerFailed) as info:
        worker.run_in_worker(fetch, timeout=20)
    assert "Operation not permitted" in info.value.message
    assert trap.count() == 0


def test_many_threads_querying_at_once_all_get_walled_workers(trap, bait_store):
    kg = KnowledgeGraph(bait_store())
    outcomes: list = []

    def client():
        for _ in range(3):
            try:
                evaluate_local(kg.store, None, service(trap.url), timeout=30)
                outcomes.append("ran")
            except UnsafeQueryError:
                outcomes.append("walled")

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert outcomes == ["walled"] * 18
    assert trap.count() == 0


# ---------------------------------------------------------------------------------------------
# Where the wall cannot be installed, queries refuse to run


class _Broken:
    error = "OSError: libseccomp.so.2 not found"


def test_without_a_wall_queries_refuse_in_one_line(monkeypatch, kg, runner):
    monkeypatch.setattr(sandbox, "_wall", _Broken())
    with pytest.raises(sandbox.SandboxUnavailable, match="cannot be installed here .*libseccomp"):
        run_query(kg, "ASK { ?s ?p ?o }")
    result = runner.invoke(main, ["query", "-e", "ASK { ?s ?p ?o }"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: queries need the network wall")
    assert f"{sandbox.SANDBOX_ENV}=off" in result.output
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "off")
    assert run_query(kg, "ASK { ?s ?p ?o }").boolean is True


def test_a_wall_that_fails_in_the_child_stops_the_query(monkeypatch, kg):
    def refuse(self):
        raise OSError(errno.EINVAL, "prctl(PR_SET_SECCOMP) failed: Invalid argument")

    monkeypatch.setattr(sandbox._Wall, "install", refuse)
    with pytest.raises(sandbox.SandboxUnavailable, match="Invalid argument"):
        worker.run_in_worker(lambda: "evaluated", timeout=20)
    with pytest.raises(sandbox.SandboxUnavailable):
        run_update(KnowledgeGraph(), "INSERT DATA { <http://a.example/s> <http://a.example/p> 1 }")


def test_the_wall_kills_nothing_else_a_worker_needs(kg):
    """Ordinary work in a walled worker: files, threads, signals."""
    def chores():
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "x")
            with open(path, "w") as handle:
                handle.write("ok")
            done = []
            thread = threading.Thread(target=lambda: done.append(open(path).read()))
            thread.start()
            thread.join()
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        return done

    assert worker.run_in_worker(chores, timeout=20) == ["ok"]
