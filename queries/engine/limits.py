"""What one request, one client and the whole server may hold: the HTTP limits of `datateam serve`.

`HttpLimits` gathers every bound the HTTP layer enforces (sizes, timeouts, connection and query
caps), so the server, its tests and the documentation read them from one place. The functions
below set the two process-wide resource limits the server needs:

- `raise_open_files(needed)`: the soft RLIMIT_NOFILE raised (within the hard limit) so the
  connection cap fits, and the connection cap lowered when the hard limit is too small, so the
  server never runs out of descriptors;
- `set_memory_ceiling(total)`: a soft RLIMIT_AS on the server process itself. Query workers are
  forked from it and set their own address-space limit (queries/engine/worker.py), which replaces this
  one in the child because only the soft limit is set here.

>>> HttpLimits().max_body_bytes
1048576
>>> memory_ceiling(None, current=1 << 30) == (1 << 30) + DEFAULT_MEMORY_HEADROOM
True
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field

from ...graph.defaults import SERVER_MAX_CONNECTIONS
from ...graph.errors import DatateamError
from .worker import _virtual_size

MIB = 1024 * 1024
# What the server may add to its address space after loading the data, unless told otherwise: the
# threads' stacks and malloc arenas reserve address space too (about 70 MiB each), so the headroom
# is generous; a runaway allocation still stops far below the machine's memory.
DEFAULT_MEMORY_HEADROOM = 4096 * MIB
MEMORY_ENV = "DATATEAM_SERVER_MEMORY_MB"
# Descriptors kept free beside the connections: the listening socket, the store's files, the
# two pipe ends of each query worker, the log, and connections closing after a refusal.
FD_RESERVE = 512


def default_client_queries() -> int:
    """Queries one client may have evaluated at once: one per core (2 to 4). Each runs on a core
    of its own, so a client with runaway queries can take that many cores, never all of them and
    the server's."""
    return max(2, min(4, (os.cpu_count() or 2)))


@dataclass(frozen=True)
class HttpLimits:
    """The bounds of the HTTP layer (sizes in bytes, times in seconds).

    max_request_line: longest request line (method, target, version) - 414 beyond;
    max_header_bytes / max_headers: size and number of the header lines - 431 beyond;
    max_body_bytes: largest request body - 413 beyond (the rest is not read);
    max_params: most query-string or form parameters - 400 beyond;
    header_timeout: seconds for a whole request head to arrive (slow clients get 408);
    body_timeout: seconds for a whole request body to arrive (408);
    keep_alive_timeout: seconds an idle kept-alive connection stays open;
    max_connections / max_client_connections: open connections in all / from one address (503);
    client_queries: queries of one address evaluated at once (one per core, 2 to 4; see
    `default_client_queries`); client_queue: how many more of
    them may wait; queue_limit: waiting queries of all clients together (503 with Retry-After
    beyond either); queue_timeout: seconds a query may wait for its turn (then 503).
    """

    max_request_line: int = 32 * 1024
    max_header_bytes: int = 32 * 1024
    max_headers: int = 100
    max_body_bytes: int = MIB
    max_params: int = 200
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive_timeout: float = 10.0
    max_connections: int = SERVER_MAX_CONNECTIONS
    max_client_connections: int = 512
    client_queries: int = field(default_factory=default_client_queries)
    client_queue: int = 32
    queue_limit: int = 128
    queue_timeout: float = 60.0
    retry_after: int = 5

    def __post_init__(self):
        for name in ("max_request_line", "max_header_bytes", "max_headers", "max_body_bytes", "max_params",
                     "max_connections", "max_client_connections", "client_queries"):
            if getattr(self, name) < 1:
                raise DatateamError(f"{name.replace('_', '-')} must be at least 1, not {getattr(self, name)}")
        for name in ("header_timeout", "body_timeout", "keep_alive_timeout", "queue_timeout"):
            if not getattr(self, name) > 0:
                raise DatateamError(f"{name.replace('_', '-')} must be a positive number of seconds")
        if self.client_queue < 0 or self.queue_limit < 0:
            raise DatateamError("a queue length cannot be negative")

    @property
    def max_head_bytes(self) -> int:
        """The most a request head (request line and headers) may take in memory."""
        return self.max_request_line + self.max_header_bytes + 4


def raise_open_files(connections: int) -> int:
    """Make room for `connections` open connections; return how many fit.

    The soft RLIMIT_NOFILE is raised as far as needed, within the hard limit (which an unprivileged
    process cannot raise); when even the hard limit is too small, fewer connections are allowed.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = connections + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return connections
    return max(1, min(connections, soft - FD_RESERVE))


def address_space() -> int:
    """This process's address-space size in bytes (VmSize), 0 when unknown."""
    return _virtual_size()


def memory_ceiling(megabytes: int | None, current: int | None = None) -> int:
    """The server's address-space ceiling in bytes: `megabytes` MiB when given (else
    $DATATEAM_SERVER_MEMORY_MB, else what the process uses now plus 4 GiB).

    Raises DatateamError when the ceiling would leave the server no room to work.
    """
    current = address_space() if current is None else current
    if megabytes is None and os.environ.get(MEMORY_ENV, "").strip():
        text = os.environ[MEMORY_ENV].strip()
        try:
            megabytes = int(text)
        except ValueError:
            raise DatateamError(f"{MEMORY_ENV}={text!r} is not a whole number of megabytes") from None
    if megabytes is None:
        return current + DEFAULT_MEMORY_HEADROOM
    ceiling = int(megabytes) * MIB
    if ceiling < current + 256 * MIB:
        raise DatateamError(f"a memory limit of {megabytes} MB is too small: the server already uses "
                            f"{current // MIB} MB of address space after loading the data; allow at least "
                            f"{current // MIB + 1024} MB (--memory-limit or {MEMORY_ENV})")
    return ceiling


def set_memory_ceiling(ceiling: int) -> None:
    """Cap this process's address space at `ceiling` bytes (soft RLIMIT_AS; allocations beyond it
    fail: Python raises MemoryError). The hard limit is left as it is, so forked query workers can
    set their own."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
