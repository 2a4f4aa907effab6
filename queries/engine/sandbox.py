"""The network wall: a process (or thread) that evaluates a query cannot open a network connection.

The query check (queries/sparql/safety.py) refuses SERVICE and LOAD before the engine sees them; this is
the second wall, which does not depend on reading the query right. Before a worker evaluates
anything it installs a seccomp filter on itself that makes socket() and socketpair() fail with
EPERM for every address family but AF_UNIX (so no TCP, UDP, raw, packet or netlink socket can be
made), refuses io_uring (which can create sockets without the socket() call) and ptrace /
process_vm_writev (so a worker cannot act through another process). Oxigraph's HTTP client, used
for SERVICE and LOAD, then fails with "Operation not permitted" and nothing leaves the machine.

- The filter is built once in the parent with libseccomp (through the `pyseccomp` package, a
  ctypes binding to the system's libseccomp.so.2), which handles the architecture checks (a
  syscall made through another ABI, such as x32 or 32-bit int 0x80 on x86-64, kills the process).
  The parent exports the compiled BPF program; a forked child only makes two prctl() calls on
  memory it already has, so nothing is loaded or built after fork in a possibly multi-threaded
  parent.
- Queries run in forked workers (queries/engine/worker.py, queries/engine/pool.py): the filter covers the whole
  worker. Updates run in the calling process: `call_walled(func)` runs them on a fresh thread that
  installs the filter on itself only (a filter set with prctl binds the calling thread and the
  threads it starts, never the rest of the process).
- Where the wall cannot be installed (not Linux, libseccomp missing, a kernel without seccomp
  filters), queries are refused with a one-line error. Setting DATATEAM_QUERY_SANDBOX=off runs
  them without it (the query check still applies): meant for such platforms, at your own risk.

>>> call_walled(lambda: 6 * 7)
42
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import Any

from ..sparql.errors import QueryError

SANDBOX_ENV = "DATATEAM_QUERY_SANDBOX"
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_PR_SET_NO_NEW_PRIVS = 38
_DENIED_SYSCALLS = ("io_uring_setup", "io_uring_enter", "io_uring_register", "ptrace", "process_vm_writev")


class SandboxUnavailable(QueryError):
    """The network wall cannot be installed here, and DATATEAM_QUERY_SANDBOX=off was not given."""


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class _Wall:
    """The compiled filter and the prctl entry point, prepared in the parent."""

    def __init__(self) -> None:
        self.error: str | None = None
        self.program: ctypes.Array | None = None
        self.fprog: _SockFprog | None = None
        self.prctl = None
        try:
            self._prepare()
        except Exception as exc:  # any failure means: no wall on this machine
            self.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    def _prepare(self) -> None:
        if not sys.platform.startswith("linux"):
            raise OSError(f"seccomp filters need Linux (this is {sys.platform})")
        import pyseccomp as seccomp

        denied = seccomp.ERRNO(errno.EPERM)
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        for call in ("socket", "socketpair"):
            rules.add_rule(denied, call, seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
        for call in _DENIED_SYSCALLS:
            rules.add_rule(denied, call)
        with tempfile.TemporaryFile() as handle:
            rules.export_bpf(handle)
            handle.seek(0)
            code = handle.read()
        if not code or len(code) % 8:
            raise OSError("libseccomp exported an empty filter")
        self.program = ctypes.create_string_buffer(code, len(code))
        self.fprog = _SockFprog(len(code) // 8, ctypes.addressof(self.program))
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        prctl.restype = ctypes.c_int
        self.prctl = prctl

    def install(self) -> None:
        """Install the filter on the calling thread (and everything it later starts); raise OSError."""
        if self.prctl is None:
            raise OSError(self.error or "the network wall was not prepared")
        if self.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(code)}")
        if self.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(self.fprog), 0, 0) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"prctl(PR_SET_SECCOMP) failed: {os.strerror(code)}")


_wall: _Wall | None = None
_wall_lock = threading.Lock()


def _prepared() -> _Wall:
    global _wall
    with _wall_lock:
        if _wall is None:
            _wall = _Wall()
        return _wall


def disabled() -> bool:
    """True when the user turned the wall off with DATATEAM_QUERY_SANDBOX=off."""
    return os.environ.get(SANDBOX_ENV, "").strip().lower() in ("off", "0", "no", "false")


def unavailable_message(reason: str) -> str:
    """The one-line error for a machine where the wall cannot be installed."""
    return (f"queries need the network wall (a seccomp filter) and it cannot be installed here ({reason}); "
            f"install libseccomp (Debian: libseccomp2) on Linux, or set {SANDBOX_ENV}=off to run queries "
            "without it (the query check still applies)")


def prepare() -> bool:
    """In the parent, before forking a worker: True when the worker must install the wall.

    Returns False when the wall is turned off (DATATEAM_QUERY_SANDBOX=off); raises
    SandboxUnavailable when it is wanted and cannot be prepared.
    """
    if disabled():
        return False
    wall = _prepared()
    if wall.error is not None:
        raise SandboxUnavailable(unavailable_message(wall.error))
    return True


def install() -> None:
    """In a forked child (or a fresh thread): install the wall `prepare()` made; raise OSError when it fails.

    Takes no lock: a child forked while another thread held one would wait for ever.
    """
    wall = _wall
    if wall is None:
        raise OSError("the network wall was not prepared before the fork")
    wall.install()


def call_walled(func: Callable[[], Any]) -> Any:
    """Run `func()` on a new thread that cannot open network connections; return its result or raise.

    For work that has to run in this process (an update on a store this process holds open).
    Raises SandboxUnavailable when the wall cannot be installed (unless turned off).
    """
    walled = prepare()
    outcome: dict[str, Any] = {}

    def target() -> None:
        if walled:
            try:
                install()
            except OSError as exc:
                outcome["error"] = SandboxUnavailable(unavailable_message(str(exc)))
                return
        try:
            outcome["value"] = func()
        except BaseException as exc:  # re-raised in the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="datateam-walled", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
