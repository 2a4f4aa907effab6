"""Run a piece of work in a forked child process that is killed when its time is up.

Oxigraph evaluates a query in native code that Python cannot interrupt, so a time limit that
really stops a query has to stop the process evaluating it. `run_in_worker(func, timeout)` forks,
runs `func()` in the child and sends its (pickled) return value back through a pipe; when the
deadline passes first, the parent kills the child with SIGKILL and raises QueryTimeoutError.

The child shares the parent's memory copy-on-write, so an in-memory store needs no copying (a
fork costs a few milliseconds). It runs with limits of its own: it cannot open a network
connection (the seccomp wall of queries/engine/sandbox.py, installed before `func` runs; the query is
refused when the wall cannot be installed), it dies with the parent (PR_SET_PDEATHSIG), its
address space may grow by at most `memory_limit` bytes, it closes every inherited file descriptor
except its pipe (so concurrent queries and open sockets of a server are not held open by another
query's worker), its standard output and error go to a buffer the parent reads (so a crash, such
as Rust's "memory allocation failed" abort, never prints on the user's terminal: the parent
reports one line and keeps the worker's own words for --debug), and it leaves with os._exit,
never running the parent's exit handlers or flushing its buffers.

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
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import Any

from . import sandbox
from ..sparql.errors import QueryError, QueryTimeoutError


def _env_megabytes(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        megabytes = int(value) if value else default
    except ValueError:
        megabytes = default
    return max(megabytes, 1) * 1024 * 1024


DEFAULT_MEMORY_LIMIT = _env_megabytes("DATATEAM_QUERY_MEMORY_MB", 2048)
MAX_RESULT_BYTES = _env_megabytes("DATATEAM_QUERY_RESULT_MB", 1024)
_HEADER = struct.Struct("!Q")
_PR_SET_PDEATHSIG = 1
_STDERR_KEPT = 16 * 1024  # the tail of a worker's output kept for --debug


def _find_prctl():
    """prctl(2), looked up once in the parent: a forked child of a threaded process must not dlopen."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: workers then rely on the parent killing them
        return None


_PRCTL = _find_prctl()


class WorkerCrashed(QueryError):
    """The worker process died without an answer (out of memory, killed from outside, ...).

    `detail` holds the end of what the worker wrote to its standard error (also added to the
    exception's notes, so a --debug traceback shows it).
    """

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail
        if detail:
            self.add_note("the worker's own output:\n" + detail)


class WorkerOutOfMemory(WorkerCrashed):
    """The worker needed more memory than its limit allows."""


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


class OutputCapture:
    """A buffer (a memfd, else an unlinked temporary file) that a worker's fds 1 and 2 write to.

    Made in the parent before the fork; the parent reads its end with pread, which leaves the
    shared file offset alone."""

    def __init__(self) -> None:
        try:
            self.fd = os.memfd_create("datateam-worker-output", os.MFD_CLOEXEC)
        except (AttributeError, OSError):
            fd, path = tempfile.mkstemp(prefix="datateam-worker-")
            os.unlink(path)
            self.fd = fd

    def redirect(self) -> None:
        """In the child: send standard output and error to the buffer."""
        os.dup2(self.fd, 1)
        os.dup2(self.fd, 2)

    def tail(self) -> str:
        """The last few KB the worker wrote, as text."""
        try:
            size = os.fstat(self.fd).st_size
            data = os.pread(self.fd, _STDERR_KEPT, max(0, size - _STDERR_KEPT))
        except OSError:
            return ""
        return data.decode("utf-8", "replace").strip()

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def _child_setup(keep: int | set[int], timeout: float | None, memory_limit: int | None,
                 die_with_parent: bool = True, *, output: OutputCapture | None = None,
                 walled: bool = True) -> None:
    """In a freshly forked child: die with the parent, default signals, output to `output`, close
    inherited descriptors except `keep`, cap the address space and (backstop) the CPU time, and
    (when `walled`) install the network wall prepared by sandbox.prepare() in the parent.

    Raises OSError when the wall cannot be installed; the caller must then not evaluate anything.

    die_with_parent uses PR_SET_PDEATHSIG, which fires when the forking *thread* ends: right for a
    worker the forking thread waits for, wrong for a long-lived one (which leaves when its request
    pipe closes instead)."""
    if die_with_parent and _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if output is not None:
        output.redirect()
    _close_other_fds({keep} if isinstance(keep, int) else set(keep))
    if memory_limit:
        size = _virtual_size()
        if size:
            limit = size + memory_limit
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if timeout:
        cpu_limit(timeout)
    if walled:
        sandbox.install()


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


_DEFAULT = object()


def run_in_worker(func: Callable[[], Any], timeout: float | None, *, what: str = "the query",
                  memory_limit: int | None = _DEFAULT) -> Any:  # type: ignore[assignment]
    """Run `func()` in a forked child that cannot reach the network; return its result or raise.

    timeout: seconds before the child is killed (None: no limit). what: words for messages
    ("the query", "the RDFS closure"). memory_limit: bytes the child may add to its address space
    (default DEFAULT_MEMORY_LIMIT, from DATATEAM_QUERY_MEMORY_MB; None: no limit).

    Raises QueryTimeoutError when time is up, WorkerFailed when `func` raised (the exception's
    class name and message), WorkerOutOfMemory when it ran out of memory, WorkerCrashed when the
    child died without answering, and SandboxUnavailable when the network wall cannot be installed.
    """
    if memory_limit is _DEFAULT:
        memory_limit = DEFAULT_MEMORY_LIMIT
    walled = sandbox.prepare()
    output = OutputCapture()
    try:
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            _child_main(func, rfd, wfd, timeout, memory_limit, output, walled)
        os.close(wfd)
        try:
            data = _read_answer(rfd, pid, timeout, what, memory_limit=memory_limit, output=output)
        except BaseException:
            _kill(pid)
            raise
        finally:
            os.close(rfd)
        _reap(pid)
    finally:
        output.close()
    return answer(pickle.loads(data), what, memory_limit)


def _child_main(func, rfd: int, wfd: int, timeout, memory_limit, output: OutputCapture, walled: bool):
    """The forked child of run_in_worker: set up, run `func`, send the outcome, leave with os._exit."""
    status = 0
    try:
        os.close(rfd)
        try:
            _child_setup(wfd, timeout, memory_limit, output=output, walled=walled)
        except OSError as exc:
            payload = ("error", "SandboxUnavailable", sandbox.unavailable_message(str(exc)), "")
        else:
            payload = evaluate_payload(func)
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        _write_all(wfd, _HEADER.pack(len(data)) + data)
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def evaluate_payload(func: Callable[[], Any]) -> tuple:
    """In a worker: run `func()` and describe the outcome as a picklable tuple for the parent."""
    try:
        return ("ok", func())
    except MemoryError:
        return ("error", "MemoryError", "the worker ran out of memory", "")
    except BaseException as exc:  # carried back to the parent, which raises it there
        return ("error", type(exc).__name__, str(exc), traceback.format_exc(limit=5))


def answer(payload: tuple, what: str, memory_limit: int | None) -> Any:
    """In the parent: the worker's result, or the matching exception raised."""
    if payload[0] == "ok":
        return payload[1]
    kind, message, detail = payload[1], payload[2], payload[3]
    if kind == "SandboxUnavailable":
        raise sandbox.SandboxUnavailable(message)
    if kind == "MemoryError":
        raise WorkerOutOfMemory(_memory_message(what, memory_limit), detail)
    raise WorkerFailed(kind, message, detail)


def _megabytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:,.0f} MB" if megabytes >= 1 else f"{size:,} bytes"


def _memory_message(what: str, memory_limit: int | None) -> str:
    limit = f" (limit {_megabytes(memory_limit)})" if memory_limit else ""
    return (f"{what} ran out of memory{limit} and was stopped; add a LIMIT or narrow it down, or raise the limit "
            "with DATATEAM_QUERY_MEMORY_MB")


def _read_answer(fd: int, pid: int, timeout: float | None, what: str, *,
                 memory_limit: int | None = DEFAULT_MEMORY_LIMIT, output: OutputCapture | None = None) -> bytes:
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
                raise QueryError(f"{what} produced more than {_megabytes(MAX_RESULT_BYTES)} of results and was "
                                 "stopped; add a LIMIT or narrow it down (DATATEAM_QUERY_RESULT_MB raises the limit)")
    if expected is None or len(buf) < expected:
        status = _reap(pid)
        detail = output.tail() if output is not None else ""
        raise _crash(what, status, memory_limit, detail)
    return bytes(buf[_HEADER.size:expected])


_MEMORY_WORDS = ("memory allocation", "out of memory", "cannot allocate memory", "memoryerror", "bad_alloc")


def _crash(what: str, status: int | None, memory_limit: int | None, detail: str) -> WorkerCrashed:
    """The one-line error for a worker that died without answering; its own output goes to `detail`."""
    words = detail.lower()
    if status is not None and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS) and (
                any(w in words for w in _MEMORY_WORDS) or sig != signal.SIGABRT or not words):
            return WorkerOutOfMemory(_memory_message(what, memory_limit), detail)
        if sig == signal.SIGXCPU:
            return WorkerCrashed(f"{what} used more CPU time than allowed and was stopped", detail)
        if sig == signal.SIGSYS:
            return WorkerCrashed(f"{what} was stopped by the network wall (a forbidden system call)", detail)
        return WorkerCrashed(f"{what} was stopped by signal {signal.Signals(sig).name}"
                             f"{' (run with --debug for its own output)' if detail else ''}", detail)
    if any(w in words for w in _MEMORY_WORDS):
        return WorkerOutOfMemory(_memory_message(what, memory_limit), detail)
    code = os.WEXITSTATUS(status) if status is not None else "?"
    return WorkerCrashed(f"{what} stopped without an answer (exit status {code})", detail)


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
