"""Warm query workers: the fast path for a server that answers many queries on a store that does not change.

`run_query` normally forks one worker per query. The fork copies the parent's page tables, so its
cost grows with the parent's memory (measured on the 2-core development machine: about 5 ms with
the shipped knowledge base in memory, about 55 ms with a million more quads in memory), and a
worker for an on-disk store also reopens the database (about 20 ms). `enable_warm_workers(kg)`
keeps up to `size` workers forked in advance; each evaluates one query at a time, keeps an on-disk
store open between queries, and is killed (and later replaced) when a query overruns its time
limit, so the limit still really stops the query. Each installs the network wall of
queries/engine/sandbox.py when it is forked, before it evaluates anything. While all warm workers are
busy, queries fall back to a fresh fork, so nothing waits for a warm worker.

Warm workers see the store as it was when they were forked: use them only for a store that does
not change while they live (a server's store; a persistent store opened read-only). `run_update`
on the same knowledge graph retires them, and the next query forks new ones.

>>> from datateam.queries.engine.execute import run_query
>>> workers = enable_warm_workers(kg, size=2)
>>> run_query(kg, "ASK { ?s ?p ?o }").boolean   # answered by a warm worker
True
>>> disable_warm_workers(kg)
"""

from __future__ import annotations

import os
import pickle
import resource
import threading
import weakref
from pathlib import Path

import pyoxigraph as ox

from ...graph.errors import DatateamError
from . import sandbox
from .evaluate import _evaluate_on
from .worker import (
    _HEADER,
    DEFAULT_MEMORY_LIMIT,
    OutputCapture,
    _child_setup,
    _kill,
    _read_answer,
    _write_all,
    answer,
    cpu_limit,
    evaluate_payload,
)

_pools: "weakref.WeakKeyDictionary[object, WarmWorkers]" = weakref.WeakKeyDictionary()
_pools_lock = threading.Lock()


class _Worker:
    """One forked worker: its pid, the two pipe ends the parent talks through, its output buffer."""

    def __init__(self, pid: int, requests: int, answers: int, generation: int, output: OutputCapture):
        self.pid = pid
        self.generation = generation
        self.requests = requests
        self.answers = answers
        self.output = output

    def close_pipes(self) -> None:
        for fd in (self.requests, self.answers):
            try:
                os.close(fd)
            except OSError:  # already closed
                pass
        self.output.close()

    def close(self) -> None:
        self.close_pipes()
        _kill(self.pid)


def _exited(pid: int) -> bool:
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done != 0


def _read_message(fd: int) -> bytes | None:
    head = b""
    while len(head) < _HEADER.size:
        chunk = os.read(fd, _HEADER.size - len(head))
        if not chunk:
            return None
        head += chunk
    size = _HEADER.unpack(head)[0]
    body = bytearray()
    while len(body) < size:
        chunk = os.read(fd, min(size - len(body), 1 << 20))
        if not chunk:
            return None
        body += chunk
    return bytes(body)


def _serve(store: ox.Store, location: Path | None, requests: int, answers: int) -> None:
    """The worker's loop: read a request, evaluate it, answer; leave when the parent closes the pipe."""
    if location is not None:
        store = ox.Store.read_only(str(location))
    while True:
        data = _read_message(requests)
        if data is None:
            return
        text, original, substitutions, options, max_rows, timeout = pickle.loads(data)
        if timeout:
            cpu_limit(timeout)
        else:
            _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
            resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        payload = evaluate_payload(lambda: _evaluate_on(store, text, original, substitutions, options, max_rows))
        out = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        _write_all(answers, _HEADER.pack(len(out)) + out)


class WarmWorkers:
    """Up to `size` pre-forked workers for one knowledge graph (see the module's docstring)."""

    def __init__(self, kg, size: int = 2, memory_limit: int | None = DEFAULT_MEMORY_LIMIT):
        if size < 1:
            raise ValueError("size must be at least 1")
        location = getattr(kg, "location", None)
        if location is not None and getattr(kg, "writable", True):
            raise DatateamError("warm workers need a store that does not change: open the persistent store "
                                "read-only")
        self._store = kg.store
        self._location = Path(location) if location is not None else None
        self.size = size
        self.memory_limit = memory_limit
        self._idle: list[_Worker] = []
        self._alive = 0
        self._lock = threading.Lock()
        self._closed = False
        self._generation = 0

    # -- workers ---------------------------------------------------------------------------------
    def _spawn(self) -> _Worker:
        walled = sandbox.prepare()
        output = OutputCapture()
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            status = 0
            try:
                os.close(req_w)
                os.close(ans_r)
                _child_setup({req_r, ans_w}, None, self.memory_limit, die_with_parent=False, output=output,
                             walled=walled)
                _serve(self._store, self._location, req_r, ans_w)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(req_r)
        os.close(ans_w)
        return _Worker(pid, req_w, ans_r, self._generation, output)

    def _take(self) -> _Worker | None:
        with self._lock:
            if self._closed:
                return None
            while self._idle:
                worker = self._idle.pop()
                if _exited(worker.pid):  # killed from outside while idle (and now reaped): replace it
                    self._alive -= 1
                    worker.close_pipes()
                    continue
                return worker
            if self._alive >= self.size:
                return None
            self._alive += 1
        try:
            return self._spawn()
        except BaseException:
            with self._lock:
                self._alive -= 1
            raise

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed and worker.generation == self._generation:
                self._idle.append(worker)
                return
        self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        worker.close()
        with self._lock:
            self._alive -= 1

    # -- queries ---------------------------------------------------------------------------------
    def evaluate(self, text: str, original: str, substitutions: dict, options: dict, max_rows: int | None,
                 timeout: float | None):
        """Evaluate on a warm worker; return the worker's payload, or None when none is free."""
        worker = self._take()
        if worker is None:
            return None
        request = pickle.dumps((text, original, substitutions, options, max_rows, timeout),
                               protocol=pickle.HIGHEST_PROTOCOL)
        try:
            _write_all(worker.requests, _HEADER.pack(len(request)) + request)
        except (BrokenPipeError, ConnectionResetError):
            # The worker died while idle (killed from outside): retire it and let the caller fork afresh.
            self._retire(worker)
            return None
        try:
            data = _read_answer(worker.answers, worker.pid, timeout, "the query", memory_limit=self.memory_limit,
                                output=worker.output)
        except BaseException:
            self._retire(worker)
            raise
        self._give_back(worker)
        return answer(pickle.loads(data), "the query", self.memory_limit)

    def restart(self) -> None:
        """Retire the idle workers (busy ones are retired when they finish); new ones fork on demand."""
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, []
        for worker in idle:
            self._retire(worker)

    def close(self) -> None:
        """Stop every idle worker and refuse new work."""
        with self._lock:
            self._closed = True
        self.restart()

    @property
    def pids(self) -> list[int]:
        """The process ids of the idle workers (for tests and monitoring)."""
        with self._lock:
            return [w.pid for w in self._idle]


def enable_warm_workers(kg, size: int = 2) -> WarmWorkers:
    """Keep up to `size` warm workers for `kg`; `run_query(kg, ...)` uses them from now on."""
    with _pools_lock:
        pool = _pools.get(kg)
        if pool is None:
            pool = WarmWorkers(kg, size)
            _pools[kg] = pool
            weakref.finalize(kg, pool.close)
        return pool


def disable_warm_workers(kg) -> None:
    """Stop the warm workers of `kg` (queries fork one worker each again)."""
    with _pools_lock:
        pool = _pools.pop(kg, None)
    if pool is not None:
        pool.close()


def warm_workers(kg) -> WarmWorkers | None:
    """The warm workers of `kg`, if enabled."""
    try:
        return _pools.get(kg)
    except TypeError:  # cannot be weakly referenced, so no workers were kept for it
        return None


def retire_warm_workers(kg) -> None:
    """After a change to the store: let the next queries fork fresh workers."""
    pool = warm_workers(kg)
    if pool is not None:
        pool.restart()

