"""Run a piece of work in a forked child process that is killed when its time is up.

Oxigraph evaluates a query in native code that Python cannot interrupt, so a time limit that
really stops a query has to stop the process evaluating it. `run_in_worker(func, timeout)` forks,
runs `func()` in the child and sends its (pickled) return value back through a pipe; when the
deadline passes first, the parent kills the child with SIGKILL and raises QueryTimeoutError.

The child shares the parent's memory copy-on-write, so an in-memory store needs no copying (a
fork costs a few milliseconds). It runs with limits of its own: it dies with the parent
(PR_SET_PDEATHSIG), its address space may grow by at most `memory_limit` bytes, it closes every
inherited file descriptor except its pipe (so concurrent queries and open sockets of a server are
not held open by another query's worker), and it leaves with os._exit, never running the parent's
exit handlers or flushing its buffers.

>>> run_in_worker(lambda: 6 * 7, timeout=5, what="the answer")
42
"""

from __future__ import annotations

import ctypes
import os
import pickle
import resource
import select
import signal
import struct
import time
import traceback
from collections.abc import Callable
from typing import Any

from .errors import QueryError, QueryTimeoutError

DEFAULT_MEMORY_LIMIT = int(os.environ.get("DATATEAM_QUERY_MEMORY_MB", "2048")) * 1024 * 1024
MAX_RESULT_BYTES = int(os.environ.get("DATATEAM_QUERY_RESULT_MB", "1024")) * 1024 * 1024
_HEADER = struct.Struct("!Q")
_PR_SET_PDEATHSIG = 1


def _find_prctl():
    """prctl(2), looked up once in the parent: a forked child of a threaded process must not dlopen."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: workers then rely on the parent killing them
        return None


_PRCTL = _find_prctl()


class WorkerCrashed(QueryError):
    """The worker process died without an answer (out of memory, killed from outside, ...)."""


class WorkerFailed(Exception):
    """An exception raised in the worker, carried back to the parent: `kind` is its class name."""

    def __init__(self, kind: str, message: str, detail: str = ""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.detail = detail


def _virtual_size() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _close_other_fds(keep: set[int]) -> None:
    try:
        max_fd = os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        max_fd = 1 << 16
    start = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, max(max_fd, start))


def _child_setup(keep: int | set[int], timeout: float | None, memory_limit: int | None,
                 die_with_parent: bool = True) -> None:
    """In a freshly forked child: die with the parent, default signals, close inherited descriptors
    except `keep`, cap the address space and (backstop) the CPU time.

    die_with_parent uses PR_SET_PDEATHSIG, which fires when the forking *thread* ends: right for a
    worker the forking thread waits for, wrong for a long-lived one (which leaves when its request
    pipe closes instead)."""
    if die_with_parent and _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _close_other_fds({keep} if isinstance(keep, int) else set(keep))
    if memory_limit:
        size = _virtual_size()
        if size:
            limit = size + memory_limit
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if timeout:
        cpu_limit(timeout)


def cpu_limit(timeout: float) -> None:
    """Let this process use at most `timeout` + 5 more seconds of CPU time (SIGXCPU ends it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + int(timeout) + 5
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def run_in_worker(func: Callable[[], Any], timeout: float | None, *, what: str = "the query",
                  memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> Any:
    """Run `func()` in a forked child; return its result or raise.

    timeout: seconds before the child is killed (None: no limit). what: words for messages
    ("the query", "the RDFS closure"). memory_limit: bytes the child may add to its address space.

    Raises QueryTimeoutError when time is up, WorkerFailed when `func` raised (the exception's
    class name and message), WorkerCrashed when the child died without answering.
    """
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        status = 0
        try:
            os.close(rfd)
            _child_setup(wfd, timeout, memory_limit)
            try:
                payload = ("ok", func())
            except MemoryError:
                payload = ("error", "MemoryError", "the worker ran out of memory", "")
            except BaseException as exc:  # carried back to the parent, which raises it there
                payload = ("error", type(exc).__name__, str(exc), traceback.format_exc(limit=5))
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            _write_all(wfd, _HEADER.pack(len(data)) + data)
        except BaseException:
            status = 1
        finally:
            os._exit(status)

    os.close(wfd)
    try:
        data = _read_answer(rfd, pid, timeout, what)
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(rfd)
    _reap(pid)
    payload = pickle.loads(data)
    if payload[0] == "ok":
        return payload[1]
    raise WorkerFailed(payload[1], payload[2], payload[3])


def _read_answer(fd: int, pid: int, timeout: float | None, what: str) -> bytes:
    """Read one length-prefixed message from the child, or raise when time is up or it died."""
    deadline = None if timeout is None else time.monotonic() + timeout
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    buf = bytearray()
    expected = None
    while expected is None or len(buf) < expected:
        wait_ms = None
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QueryTimeoutError(
                    f"{what} was stopped after {_seconds(timeout)} (the time limit); narrow it down, add a LIMIT, "
                    "or allow more time with --timeout SECONDS", timeout)
            wait_ms = max(1, int(left * 1000))
        if not poller.poll(wait_ms):
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        buf += chunk
        if expected is None and len(buf) >= _HEADER.size:
            expected = _HEADER.size + _HEADER.unpack_from(buf)[0]
            if expected > MAX_RESULT_BYTES:
                raise QueryError(f"{what} produced more than {MAX_RESULT_BYTES // (1024 * 1024)} MB of results; "
                                 "add a LIMIT or narrow it down")
    if expected is None or len(buf) < expected:
        status = _reap(pid)
        raise WorkerCrashed(_crash_message(what, status))
    return bytes(buf[_HEADER.size:expected])


def _crash_message(what: str, status: int | None) -> str:
    if status is not None and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
            return (f"{what} needed more memory than allowed ({DEFAULT_MEMORY_LIMIT // (1024 * 1024)} MB; "
                    "DATATEAM_QUERY_MEMORY_MB raises it) and was stopped; add a LIMIT or narrow it down")
        if sig == signal.SIGXCPU:
            return f"{what} used more CPU time than allowed and was stopped"
        return f"{what} was stopped by signal {signal.Signals(sig).name}"
    return f"{what} stopped without an answer (exit status {os.WEXITSTATUS(status) if status is not None else '?'})"


def _seconds(timeout: float) -> str:
    return f"{timeout:g} second{'s' if timeout != 1 else ''}"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid: int) -> int | None:
    try:
        _, status = os.waitpid(pid, 0)
        return status
    except ChildProcessError:
        return None
