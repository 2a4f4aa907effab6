"""The HTTP client for remote SPARQL endpoints and graph stores: httpx, with one deadline per exchange.

httpx gives connection reuse, proxies from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY,
NO_PROXY; loopback addresses are never proxied), HTTP Basic auth and TLS verification. What it does
not give is a limit on the whole exchange: its timeouts bound each socket operation, so a server
that trickles one byte a second (in the headers or the body) holds a request forever (encode/httpx
issue 1450). The deadline is therefore enforced where such a limit belongs, at the network layer:
the transport's httpcore network backend hands out streams whose every connect, read and write
waits at most until the deadline of the exchange in progress, and fails once it has passed.

A deadline is set with `deadline(seconds)` (nesting keeps the earlier one) and covers every
request made inside it, so one `--timeout` bounds a query together with the service description
and graph list asked for on the way. `request(...)` reads the whole answer (at most `max_bytes`)
and turns every failure into one line: `QueryTimeoutError` naming what timed out,
`RemoteEndpointError` for an unreachable host, a TLS failure, a cut-off or oversized answer.

>>> with deadline(5):                                             # doctest: +SKIP
...     answer = request(client_for("http://127.0.0.1:7878/query"), "GET", "http://127.0.0.1:7878/query")
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import os
import time
import urllib.request
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx

from ...queries.sparql.errors import QueryTimeoutError
from ..errors import DatateamError

USER_AGENT = "datateam-kg (SPARQL 1.1 Protocol client)"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

# (monotonic end, the limit in seconds it stands for) of the exchange in progress, or None.
_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("datateam_http_deadline",
                                                                                      default=None)


class RemoteEndpointError(DatateamError):
    """The remote endpoint could not be reached or answered with an error.

    `status` is the HTTP status (None when no answer came back).
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class HttpResponse:
    """A complete HTTP response: status, reason, headers (lower-case names) and body bytes."""

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower case ("" when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def error_text(self) -> str:
        """The first non-empty line of the body (servers put their message there), shortened."""
        text = self.body[:4000].decode("utf-8", "replace")
        for line in text.splitlines():
            line = " ".join(line.split())
            if line and not line.lower().startswith(("<!doctype", "<html", "<head", "<title", "<?xml")):
                return line[:300]
        return ""


# ---------------------------------------------------------------------------------------------
# The deadline


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[float | None]:
    """Bound every request made inside the block to end within `seconds` from now (None: no new bound).

    An enclosing deadline that ends earlier stays in force. Yields the time limit in force, in
    seconds (the one to name in a message), or None when there is none.
    """
    current = _deadline.get()
    new = current
    if seconds is not None:
        candidate = (time.monotonic() + float(seconds), float(seconds))
        if current is None or candidate[0] < current[0]:
            new = candidate
    token = _deadline.set(new)
    try:
        yield None if new is None else new[1]
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds until the current deadline (None when there is none); may be negative."""
    current = _deadline.get()
    return None if current is None else current[0] - time.monotonic()


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise error("the deadline of the exchange has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes never wait past the current deadline."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname,
                                                      _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every connection bounded by the current deadline."""

    def __init__(self, backend: httpcore.NetworkBackend):
        self._backend = backend

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_tcp(host, port, _bounded(timeout, httpcore.ConnectTimeout),
                                                         local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout),
                                                                 socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport with the deadline-aware network backend underneath."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        pool = self._pool  # httpcore.ConnectionPool or HTTPProxy: both take a network backend
        if not isinstance(getattr(pool, "_network_backend", None), httpcore.NetworkBackend):
            raise RuntimeError("this httpcore version keeps its network backend elsewhere; "
                               "datateam needs httpx 0.27-0.28 with httpcore 1.x")
        pool._network_backend = _DeadlineBackend(pool._network_backend)


# ---------------------------------------------------------------------------------------------
# Clients


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY), if any.

    Loopback hosts (localhost, 127.0.0.0/8, ::1) are never proxied: no proxy can reach them.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return None
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return None
    proxies = urllib.request.getproxies()
    if not proxies or urllib.request.proxy_bypass(host):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


def client_for(url: str, *, auth: tuple[str, str] | None = None) -> httpx.Client:
    """An httpx client for one endpoint: connection reuse, the environment's proxy, Basic auth, TLS verified."""
    proxy = proxy_for(url)
    try:
        transport = DeadlineTransport(proxy=proxy, retries=0)
    except (ValueError, httpx.InvalidURL) as exc:
        raise DatateamError(f"the proxy {proxy!r} from the environment cannot be used: {exc}") from None
    return httpx.Client(transport=transport, auth=httpx.BasicAuth(*auth) if auth else None,
                        headers={"User-Agent": USER_AGENT}, follow_redirects=False, trust_env=False)


def max_answer_bytes() -> int:
    """The largest answer read from a remote server (DATATEAM_ENDPOINT_MAX_BYTES, default 256 MiB)."""
    raw = os.environ.get("DATATEAM_ENDPOINT_MAX_BYTES")
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        value = int(raw)
    except ValueError:
        raise DatateamError(f"DATATEAM_ENDPOINT_MAX_BYTES must be a number of bytes, not {raw!r}") from None
    if value <= 0:
        raise DatateamError(f"DATATEAM_ENDPOINT_MAX_BYTES must be positive, not {value}")
    return value


def url_for_display(url: str) -> str:
    """The URL without query string or credentials (for messages)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def request(client: httpx.Client, method: str, url: str, *, content=None,
            headers: Mapping[str, str] | None = None, timeout: float | None = None,
            what: str = "the SPARQL endpoint", during: str | None = None, limit: float | None = None,
            max_bytes: int | None = None) -> HttpResponse:
    """Send one request and read the whole answer before the deadline.

    content: bytes or a binary file (streamed). timeout: seconds for this exchange (the enclosing
    `deadline`, when earlier, wins). what: who answers, for messages ("the SPARQL endpoint");
    during: what the request was for ("listing its named graphs"); limit: the time limit to name
    in the timeout message (default: the limit in force). Returns the response whatever its status.
    Raises QueryTimeoutError when the deadline passes, RemoteEndpointError on any other failure.
    """
    max_bytes = max_answer_bytes() if max_bytes is None else max_bytes
    shown = url_for_display(url)
    doing = f" while {during}" if during else ""
    with deadline(timeout) as in_force:
        left = time_left()
        if limit is None:
            limit = in_force or 0
        try:
            per_operation = httpx.Timeout(None if left is None else max(left, 0.001))
            req = client.build_request(method, url, content=content, headers=headers, timeout=per_operation)
            response = client.send(req, stream=True)
            try:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise _TooLarge(int(declared))
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise _TooLarge(size)
                    chunks.append(chunk)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise QueryTimeoutError(f"{what} at {shown} did not answer within {limit:g} s{doing} "
                                    "(raise the limit with --timeout)", limit) from exc
        except _TooLarge as exc:
            raise RemoteEndpointError(f"{what} at {shown} sent an answer of more than {max_bytes:,} bytes{doing} "
                                      f"({exc.size:,} so far); raise DATATEAM_ENDPOINT_MAX_BYTES to accept it") from None
        except httpx.RemoteProtocolError as exc:
            raise RemoteEndpointError(f"{what} at {shown} sent a broken or incomplete answer{doing}: "
                                      f"{_first_line(exc)}") from exc
        except httpx.ConnectError as exc:
            raise RemoteEndpointError(f"cannot reach {what} at {shown}: {_connect_reason(exc)}") from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise RemoteEndpointError(f"talking to {what} at {shown} failed{doing}: {_first_line(exc)}") from exc
    headers_out = {k.lower(): v for k, v in response.headers.items()}
    return HttpResponse(response.status_code, response.reason_phrase, headers_out, b"".join(chunks))


class _TooLarge(Exception):
    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _connect_reason(exc: BaseException) -> str:
    """The OS's words for a failed connection ("Connection refused"), else the first line of the error."""
    cause = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        cause = cause.__cause__ or cause.__context__
    text = _first_line(exc)
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text
