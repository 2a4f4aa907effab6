"""The HTTP server under the endpoint: uvicorn (h11), with the guards a server facing hostile clients needs.

uvicorn parses HTTP with h11 and runs the ASGI application (queries/server/application.py) on an asyncio
event loop, so thousands of idle or slow connections cost a few kilobytes each, not a thread.
What uvicorn does not do, `GuardedH11Protocol` (a subclass of its h11 protocol) adds:

- precise answers to malformed requests, before h11 sees them: a request line over
  `max_request_line` bytes gets 414, a head over `max_header_bytes` or `max_headers` lines 431, an
  HTTP version other than 1.0/1.1 505, TLS bytes sent to the plain port 400 with a word about
  http://, a request line that is not `METHOD TARGET HTTP/x.y` 400, Content-Length together with
  Transfer-Encoding 400; whatever else h11 refuses (a negative or non-numeric Content-Length, a
  bad header line) gets 400 with h11's reason. Each is one plain-text line and one log line,
  never a traceback;
- a deadline for the whole request head (`header_timeout`: slowloris clients get 408), a
  keep-alive timeout, and a send timeout (a client that stops reading its answer is cut off);
- a cap on open connections in all and per client address (503 with Retry-After), raised
  RLIMIT_NOFILE so the cap fits, and a bound on connections lingering after a refusal, so the
  server never runs out of descriptors;
- a lingering close after an early answer (413, 414, 408...): the server stops writing, reads and
  discards what the client still sends for a moment, then closes, so the client reads the answer
  instead of a connection reset.

`EndpointServer` binds the socket (so `port=0` and "port in use" are known before serving), runs
uvicorn in the calling thread (`serve_forever`), and stops it from another (`shutdown`) or on
SIGINT/SIGTERM (`serve_until_signalled`): waiting queries are answered 503, running ones finish
within their time limit, then the warm workers are stopped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter
from http import HTTPStatus

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ... import __version__
from ...graph.errors import DatateamError
from ..engine.limits import HttpLimits, memory_ceiling, raise_open_files, set_memory_ceiling
from ..engine.pool import disable_warm_workers, enable_warm_workers
from .application import EndpointApp
from .endpoint import DEFAULT_PORT, EndpointConfig, SparqlEndpoint
from .origin import HostPolicy

LINGER_SECONDS = 2.0  # how long a refused client may go on sending before the connection is cut
MAX_LINGERING = 128  # connections lingering after a refusal (within limits.FD_RESERVE); beyond, closed at once
SEND_TIMEOUT = 30.0  # a client that reads nothing of its answer for this long is cut off
_REQUEST_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP/(\d)\.(\d)")
_TLS_RECORD = (0x16, 0x03)  # a TLS handshake record: content type 22, version 3.x
_log = logging.getLogger("datateam.serve")


def _h11_reason(head: bytes) -> tuple[int, str]:
    """Why h11 refuses a request head, (status hint, reason): uvicorn only says "invalid", so the
    head is parsed again (only ever on this error path)."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=len(head) + 1)
    conn.receive_data(bytes(head))
    try:
        while conn.next_event() not in (h11.NEED_DATA, h11.PAUSED):
            pass
    except h11.RemoteProtocolError as exc:
        return exc.error_status_hint, str(exc) or "invalid HTTP"
    return 400, "invalid request body framing"


class ConnectionGuard:
    """Counts open connections, in all and per address, and those lingering after a refusal."""

    def __init__(self, limits: HttpLimits, max_connections: int, log: bool):
        self.limits = limits
        self.max_connections = max_connections
        self.log = log
        self.open = 0
        self.by_address: Counter[str] = Counter()
        self.lingering = 0

    def admit(self, address: str) -> str | None:
        """Count a new connection from `address`, or say why it is refused."""
        if self.open >= self.max_connections:
            return f"the server has too many open connections ({self.open}); try again"
        if self.by_address[address] >= self.limits.max_client_connections:
            return f"too many open connections from {address} ({self.by_address[address]})"
        self.open += 1
        self.by_address[address] += 1
        return None

    def release(self, address: str) -> None:
        self.open -= 1
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]


class _LingeringTransport:
    """The connection's transport as uvicorn sees it, with close() replaced by a lingering close."""

    def __init__(self, transport: asyncio.Transport, protocol: "GuardedH11Protocol"):
        self._transport = transport
        self._protocol = protocol

    def __getattr__(self, name):
        return getattr(self._transport, name)

    def close(self) -> None:
        protocol = self._protocol
        state = protocol.conn.their_state
        protocol.close_lingering(expect_more=state is h11.SEND_BODY or (state is h11.IDLE and protocol.mid_head))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with limits, deadlines and precise refusals (see the module's docstring).

    `guard` is set on a subclass made per server (`protocol_for`)."""

    guard: ConnectionGuard

    def __init__(self, config, server_state, app_state, _loop=None):
        super().__init__(config, server_state, app_state, _loop)
        self.limits = self.guard.limits
        self._raw: asyncio.Transport | None = None
        self._address = "-"
        self._counted = False
        self._head = bytearray()
        self._head_done = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        self._lingering = False

    # -- connection ---------------------------------------------------------------------------
    def connection_made(self, transport) -> None:  # type: ignore[override]
        self._raw = transport
        super().connection_made(_LingeringTransport(transport, self))
        self._address = self.client[0] if self.client else "-"
        refusal = self.guard.admit(self._address)
        if refusal is not None:
            self._refuse(503, refusal, retry_after=True)
            return
        self._counted = True
        self._arm_head_timer()

    def connection_lost(self, exc) -> None:
        self._cancel_timers()
        if self._counted:
            self._counted = False
            self.guard.release(self._address)
        if self._lingering:
            self._lingering = False
            self.guard.lingering -= 1
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # an answer was given and the connection is closing: discard
        if self.conn.their_state is h11.IDLE:
            if self._head_done:  # the next request on a kept-alive connection
                self._head_done = False
                self._head.clear()
            if self._head_timer is None:
                self._arm_head_timer()
            if not self._head_done:
                problem = self._check_head(data)
                if problem is not None:
                    self._refuse(*problem)
                    return
        try:
            super().data_received(data)
        except Exception as exc:  # noqa: BLE001 - uvicorn failed on this request: answer it, one line
            if not self._lingering:
                self._refuse(400, f"malformed request ({type(exc).__name__})")
            return
        if self._head_timer is not None and self.conn.their_state is not h11.IDLE:
            self._head_timer.cancel()
            self._head_timer = None

    # -- the request head -----------------------------------------------------------------------
    @property
    def mid_head(self) -> bool:
        """Part of a request head has arrived, not all of it."""
        return bool(self._head) and not self._head_done

    def _check_head(self, data: bytes) -> tuple[int, str] | None:
        """Check the request head received so far; (status, message) when it must be refused."""
        limits = self.limits
        room = limits.max_head_bytes + 1 - len(self._head)
        if room > 0:
            self._head += data[:room]
        head = self._head
        if len(head) >= 2 and (head[0], head[1]) == _TLS_RECORD:
            return 400, ("this server speaks plain HTTP, and TLS bytes arrived: use http://, not https:// "
                         "(put a reverse proxy in front for TLS)")
        if head.startswith(b"PRI * HTTP/2.0"):
            return 505, "HTTP/2 is not supported here: this server speaks HTTP/1.1"
        newline = head.find(b"\n")
        line = bytes(head if newline < 0 else head[:newline]).rstrip(b"\r")
        if len(line) > limits.max_request_line:
            return 414, (f"the request line is longer than {limits.max_request_line} bytes; send long queries "
                         "with POST")
        if newline < 0:
            return None
        m = _REQUEST_LINE.fullmatch(line)
        if m is None:
            return 400, "malformed request line: expected METHOD TARGET HTTP/1.1 (with the target in ASCII)"
        version = (int(m.group(3)), int(m.group(4)))
        if version not in ((1, 0), (1, 1)):
            return 505, f"HTTP/{version[0]}.{version[1]} is not supported: this server speaks HTTP/1.1"
        blank = re.search(rb"\n\r?\n", head[newline:])
        block = bytes(head[newline + 1:] if blank is None else head[newline + 1:newline + blank.start()])
        if len(block) > limits.max_header_bytes:
            return 431, f"the request headers are larger than {limits.max_header_bytes} bytes"
        if block.count(b"\n") + (1 if blank is not None else 0) > limits.max_headers:
            return 431, f"more than {limits.max_headers} request headers"
        if blank is None:
            return None
        names = [raw.split(b":", 1)[0].strip().lower() for raw in block.split(b"\n")]
        if b"content-length" in names and b"transfer-encoding" in names:
            return 400, "a request may not have both Content-Length and Transfer-Encoding"
        self._head_done = True
        del self._head[newline + blank.end():]  # kept (bounded) until the next request, for error messages
        return None

    def send_400_response(self, msg: str) -> None:
        """h11 refused the request: answer with its reason (uvicorn would only say "invalid")."""
        status, reason = _h11_reason(self._head)
        if status == 431:
            reason = "the request head is too large"
        self._refuse(status if status in (400, 414, 431, 505) else 400, f"malformed request: {reason[:200]}")

    # -- timers -------------------------------------------------------------------------------
    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._lingering or self._raw is None or self._raw.is_closing():
            return
        if self.conn.their_state is not h11.IDLE:
            return
        if self.mid_head or self.conn.trailing_data[0]:
            self._refuse(408, f"the request head did not arrive within {self.limits.header_timeout:g} s")
        else:
            self._raw.close()  # an idle connection: nothing to answer

    def timeout_keep_alive_handler(self) -> None:
        if self._raw is not None and not self._raw.is_closing():
            if self._raw.get_write_buffer_size():
                self._raw.abort()  # the client does not read: do not wait for it
            else:
                super().timeout_keep_alive_handler()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(SEND_TIMEOUT, self._send_timed_out)

    def resume_writing(self) -> None:
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None
        super().resume_writing()

    def _send_timed_out(self) -> None:
        self._send_timer = None
        if self._raw is not None and not self._raw.is_closing():
            self._note(f"cut off: read nothing of its answer for {SEND_TIMEOUT:g} s")
            self._raw.abort()

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._send_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._send_timer = None

    # -- refusing and closing -------------------------------------------------------------------
    def _refuse(self, status: int, message: str, *, retry_after: bool = False) -> None:
        """Answer `status` with a one-line message outside h11 (before or instead of a request),
        log it, and close with a linger."""
        if self._raw is None or self._raw.is_closing():
            return
        self._cancel_timers()
        self._unset_keepalive_if_required()
        body = (message + "\n").encode("utf-8")
        phrase = HTTPStatus(status).phrase
        head = (f"HTTP/1.1 {status} {phrase}\r\nServer: datateam-kg/{__version__}\r\n"
                f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\nConnection: close\r\n")
        if retry_after:
            head += f"Retry-After: {self.limits.retry_after}\r\n"
        self._raw.write(head.encode("ascii") + b"\r\n" + body)
        self._note(f"{status} {message}")
        self.close_lingering(expect_more=True)

    def close_lingering(self, expect_more: bool) -> None:
        """Close the connection; when the client may still be sending (`expect_more`), first stop
        writing and discard what it sends for up to LINGER_SECONDS, so that it reads our answer."""
        raw = self._raw
        if raw is None or raw.is_closing() or self._lingering:
            return
        self._cancel_timers()
        if not expect_more or self.guard.lingering >= MAX_LINGERING or not raw.can_write_eof():
            raw.close()
            return
        self._lingering = True
        self.guard.lingering += 1
        raw.write_eof()
        raw.resume_reading()
        self.loop.call_later(LINGER_SECONDS, self._end_linger)

    def _end_linger(self) -> None:
        raw = self._raw
        if raw is not None and not raw.is_closing():
            if raw.get_write_buffer_size():
                raw.abort()
            else:
                raw.close()

    def eof_received(self):
        if self._lingering and self._raw is not None:
            self._raw.close()
        return None

    def shutdown(self) -> None:
        if self._lingering:
            return
        super().shutdown()

    def _note(self, message: str) -> None:
        if self.guard.log:
            sys.stderr.write(f"{self._address} - {message}\n")


def protocol_for(guard: ConnectionGuard) -> type[GuardedH11Protocol]:
    """A protocol class bound to one server's connection guard (uvicorn instantiates it per connection)."""
    return type("EndpointH11Protocol", (GuardedH11Protocol,), {"guard": guard})


class _Uvicorn(uvicorn.Server):
    """uvicorn's server loop; signals are handled by `serve_until_signalled`, not by uvicorn (which
    would re-raise them after a graceful stop and end the process with a signal status)."""

    def __init__(self, config: uvicorn.Config, app: EndpointApp, on_started):
        super().__init__(config)
        self.app = app
        self.on_started = on_started

    def capture_signals(self):
        import contextlib

        return contextlib.nullcontext()

    async def startup(self, sockets=None) -> None:
        asyncio.get_running_loop().set_exception_handler(_one_line_loop_errors)
        await super().startup(sockets=sockets)
        if self.on_started is not None:
            self.on_started()

    async def shutdown(self, sockets=None) -> None:
        self.app.admission.close()  # queries waiting for a turn are answered 503 at once
        await super().shutdown(sockets=sockets)


def _one_line_loop_errors(loop, context) -> None:
    exc = context.get("exception")
    detail = f": {type(exc).__name__}: {exc}" if exc is not None else ""
    sys.stderr.write(f"datateam serve: {context.get('message', 'error')}{detail}\n")


def _quiet_uvicorn_logs() -> None:
    """uvicorn's own log: errors only, one line each (our access log and refusals are written apart)."""
    logger = logging.getLogger("uvicorn.error")
    logger.setLevel(logging.ERROR)
    if not any(getattr(h, "_datateam", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("datateam serve: %(message)s"))
        handler._datateam = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True


def bind_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A listening TCP socket on host:port; DatateamError with the reason when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48):  # EADDRINUSE (Linux, macOS)
            raise DatateamError(f"port {port} on {host} is already in use; choose another with --port "
                                "(or --port 0 for any free port)") from None
        if isinstance(exc, socket.gaierror) or exc.errno in (99, -2, -9):
            raise DatateamError(f"cannot listen on {host}:{port}: {host!r} is not an address of this machine") from None
        raise DatateamError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


class EndpointServer:
    """A SparqlEndpoint bound to a socket and served by uvicorn (see the module's docstring)."""

    def __init__(self, endpoint: SparqlEndpoint, host: str = "127.0.0.1", port: int = DEFAULT_PORT):
        config = endpoint.config
        limits = config.limits
        self.endpoint = endpoint
        self.limits = limits
        self.max_connections = raise_open_files(limits.max_connections)
        self.socket = bind_socket(host, port, backlog=min(4096, self.max_connections))
        self.server_address = self.socket.getsockname()[:2]
        try:
            self.hosts = HostPolicy(host, self.server_address[1], config.allow_hosts)
        except ValueError as exc:
            self.socket.close()
            raise DatateamError(str(exc)) from None
        self.memory_ceiling: int | None = None
        self.guard = ConnectionGuard(limits, self.max_connections, config.log)
        self.app = EndpointApp(endpoint, self.hosts, limits)
        self._warm = False
        self._started = threading.Event()
        self._stopped = threading.Event()
        self._serving = False
        _quiet_uvicorn_logs()
        self._uvicorn = _Uvicorn(uvicorn.Config(
            self.app, http=protocol_for(self.guard), ws="none", lifespan="off", log_config=None,
            access_log=False, proxy_headers=False, server_header=False, date_header=True,
            headers=[("Server", f"datateam-kg/{__version__}")],
            timeout_keep_alive=limits.keep_alive_timeout,  # type: ignore[arg-type]
            timeout_graceful_shutdown=int(config.timeout) + 5,
            h11_max_incomplete_event_size=limits.max_head_bytes + 1024,
            backlog=min(4096, self.max_connections)), self.app, self._started.set)

    @property
    def url(self) -> str:
        """The server's base URL, e.g. http://127.0.0.1:8000/."""
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def serve_forever(self, poll_interval: float | None = None) -> None:
        """Serve in this thread until `shutdown()` (from another thread) or a signal handled by
        `serve_until_signalled`. poll_interval is accepted for compatibility and ignored."""
        self._serving = True
        try:
            self._uvicorn.run(sockets=[self.socket])
        finally:
            self._serving = False
            self._stopped.set()

    def wait_started(self, timeout: float = 10) -> bool:
        """Wait until the server accepts connections."""
        return self._started.wait(timeout)

    def shutdown(self) -> None:
        """Ask `serve_forever` to stop (graceful: see the module's docstring) and wait until it has."""
        self._uvicorn.should_exit = True
        if self._serving or self._started.is_set():
            self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket (when the server never served)."""
        try:
            self.socket.close()
        except OSError:
            pass

    def stop(self, grace: float) -> bool:
        """Release the socket, the query threads (waiting up to `grace` seconds for them) and the
        warm workers. Returns True when nothing was still running."""
        if self._serving:
            self.shutdown()
        self.server_close()
        self.app.admission.closed = True
        executor = self.app.executor
        executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace
        finished = True
        for thread in list(getattr(executor, "_threads", ())):
            thread.join(max(0.0, deadline - time.monotonic()))
            finished = finished and not thread.is_alive()
        self.endpoint.close()
        if self._warm:
            disable_warm_workers(self.endpoint.kg)
            self._warm = False
        return finished

    def start_warm_workers(self) -> bool:
        """Keep query workers forked in advance for a local store (the store does not change while
        served). Returns False when the backend cannot use them (remote, writable store)."""
        from ..engine.execute import is_local  # lazy: start-up time (rdflib)

        size = self.endpoint.config.warm_workers
        if not size or not is_local(self.endpoint.kg):
            return False
        try:
            enable_warm_workers(self.endpoint.kg, size=size)
        except DatateamError:
            return False
        self._warm = True
        return True


def _kill_query_workers() -> None:
    """SIGKILL this process's forked query workers (children running our own command line: a warm
    worker busy with a query would otherwise finish it first). Linux only; elsewhere nothing."""
    try:
        with open("/proc/self/cmdline", "rb") as handle:
            ours = handle.read()
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as handle:
                children = handle.read().split()
        except OSError:
            continue
        for pid in children:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    if handle.read() == ours:
                        os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass


def serve_until_signalled(server: EndpointServer, *, on_ready=None) -> bool:
    """Serve in this (main) thread until SIGINT or SIGTERM, then stop gracefully; a second SIGINT
    stops at once (the process exits with status 130, cutting off the queries in flight; their
    workers die with it).

    Returns True when every request finished in time."""
    uv = server._uvicorn

    def on_signal(signum, frame):
        if uv.should_exit and signum == signal.SIGINT:
            sys.stderr.write("stopped at once; queries in flight were cut off\n")
            sys.stderr.flush()
            _kill_query_workers()
            os._exit(130)
        uv.should_exit = True

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    if on_ready is not None:
        def ready():
            if server.wait_started(30) and not uv.should_exit:
                on_ready(server)
        threading.Thread(target=ready, daemon=True).start()
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return server.stop(grace=server.endpoint.config.timeout + 5)


# ---------------------------------------------------------------------------------------------
# Binding the endpoint and serving it


def make_server(kg, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, memory_limit=None, **config):
    """Bind the endpoint to host:port (0 = any free port) without serving yet; return an EndpointServer.

    kg: the knowledge graph backend; config: EndpointConfig settings (timeout, max_rows, cors,
    explorer, max_concurrent, warm_workers, log, allow_hosts, limits). memory_limit: None leaves
    this process's memory limit alone (notebooks, tests); "auto" or a number of MiB caps the
    address space of the whole process (queries.limits.memory_ceiling), as `datateam serve` does.
    Raises DatateamError when the address cannot be bound or a setting is wrong. Call
    `server.serve_forever()` (or `serve(server)`), then `server.stop(grace)` to release the port
    and the warm workers.
    """
    endpoint = SparqlEndpoint(kg, EndpointConfig(**config))
    server = EndpointServer(endpoint, host, port)
    if memory_limit is not None:
        try:
            ceiling = memory_ceiling(None if memory_limit == "auto" else int(memory_limit))
        except DatateamError:
            server.server_close()
            raise
        set_memory_ceiling(ceiling)
        server.memory_ceiling = ceiling
    server.start_warm_workers()
    return server


def serve(server, *, on_ready=None) -> None:
    """Serve until Ctrl-C (or SIGTERM), then finish the requests in flight and close.

    Queries still waiting for a turn are answered 503; those running finish (each within its time
    limit). A second Ctrl-C stops at once. on_ready: called with the server once it accepts
    connections (e.g. to open a browser).
    """
    finished = serve_until_signalled(server, on_ready=on_ready)
    if not finished:
        sys.stderr.write("some requests were still running and were cut off\n")


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def startup_lines(server: EndpointServer, host: str, max_connections: int) -> list[str]:
    """What `datateam serve` says on standard error before serving: the URLs, warnings and notes, how to stop."""
    url = server.url
    lines = [f"datateam-kg SPARQL endpoint: {url}sparql", f"query page:                  {url}"]
    if host not in LOOPBACK_HOSTS:
        lines.append(f"warning: listening on {host}: anyone who can reach this machine can query it")
    if server.max_connections < max_connections:
        lines.append(f"note: at most {server.max_connections} connections (the descriptor limit allows no more)")
    lines.append("press Ctrl-C to stop")
    return lines
