"""Who may ask the endpoint: cross-origin requests and the Host header (DNS rebinding).

Two checks, both on headers a browser sets and a web page cannot forge:

- `cross_origin_refusal(method, headers, runs_query)`: a request that runs a query or changes
  state, sent by a page of another origin, is refused (403). It follows Go's
  net/http.CrossOriginProtection and datasette's csrf.py: `Sec-Fetch-Site` is trusted when present
  (`same-origin` and `none` - typed into the address bar - pass; `same-site` and `cross-site` do
  not); without it, an `Origin` header must name the same host as the `Host` header; a request
  with neither comes from no browser (curl, SPARQLWrapper, a notebook) and passes. Unlike Go's
  check, a GET that runs a query counts too: it costs the server a worker, and an `<img>` on any
  page could send it.
- `HostPolicy.refusal(host)`: the Host header must name this server: a loopback name
  (127.0.0.1, localhost, [::1]), the address it is bound to, or a name given with
  `--allow-host`. A page that rebinds its own domain name to 127.0.0.1 sends its own name as
  Host, so it is refused before anything is read or run.

Tokens (as Django's CSRF middleware uses) are not needed: no request here carries the user's
credentials, so all an attacking page could do is make the request; these headers stop exactly that.

>>> cross_origin_refusal("POST", {"sec-fetch-site": "cross-site"}, runs_query=True) is not None
True
>>> cross_origin_refusal("POST", {}, runs_query=True) is None          # curl, SPARQLWrapper
True
>>> HostPolicy("127.0.0.1", 8000).refusal("localhost:8000") is None
True
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
_HOST = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::(?P<port>\d{1,5}))?$")


def cross_origin_refusal(method: str, headers: Mapping[str, str], *, runs_query: bool) -> str | None:
    """Why a request must be refused as cross-origin, or None when it may proceed.

    headers: lower-case names. runs_query: the request would evaluate a query (any method).
    """
    if method.upper() in SAFE_METHODS and not runs_query:
        return None
    site = headers.get("sec-fetch-site", "").strip().lower()
    if site:
        if site in ("same-origin", "none"):
            return None
        return (f"cross-origin request refused: a page of another origin (Sec-Fetch-Site: {site}) may not run "
                "queries here; open the query page of this server, or start it with --cors to let other "
                "origins in")
    origin = headers.get("origin")
    if origin is None:
        return None  # not sent by a browser (or by one that predates both headers)
    if _origin_host(origin) == headers.get("host", "").strip().lower():
        return None
    return (f"cross-origin request refused: Origin {origin!r} is not this server; open the query page of this "
            "server, or start it with --cors to let other origins in")


def _origin_host(origin: str) -> str | None:
    """host[:port] of an Origin header (None for `null` or anything unparsable)."""
    origin = origin.strip()
    if not origin or origin == "null":
        return None
    try:
        parts = urlsplit(origin)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.lower()


def parse_host(value: str) -> tuple[str, int | None] | None:
    """(host name or address, port) of a Host header; IPv6 without brackets; None when malformed.

    >>> parse_host("[::1]:8000")
    ('::1', 8000)
    >>> parse_host("Example.org")
    ('example.org', None)
    """
    m = _HOST.match(value.strip())
    if not m:
        return None
    name = (m.group("v6") or m.group("name")).lower().rstrip(".")
    port = int(m.group("port")) if m.group("port") else None
    if port is not None and port > 65535:
        return None
    return name, port


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostPolicy:
    """The Host headers this server answers: see the module's docstring.

    bound_host / port: the address the server listens on. allowed: extra names, each `NAME` (any
    port) or `NAME:PORT` (that port only), as given with --allow-host. When the server listens on
    every address (0.0.0.0 or ::), a Host that is an IP address is accepted too: a rebinding page
    always sends a name, never an address.
    """

    def __init__(self, bound_host: str, port: int, allowed: Iterable[str] = ()):
        self.port = port
        self.bound_host = bound_host.strip("[]").lower()
        self.wildcard = self.bound_host in WILDCARD_HOSTS
        self._names: set[str] = set(LOOPBACK_NAMES)
        if not self.wildcard:
            self._names.add(self.bound_host)
        self._any_port: set[str] = set()
        self._with_port: set[tuple[str, int]] = set()
        for entry in allowed:
            parsed = parse_host(entry)
            if parsed is None:
                raise ValueError(f"--allow-host {entry!r} is not a host name (NAME or NAME:PORT)")
            name, given_port = parsed
            if given_port is None:
                self._any_port.add(name)
            else:
                self._with_port.add((name, given_port))

    @property
    def allowed(self) -> list[str]:
        """The Host values answered, for messages: `127.0.0.1:8000`, `[::1]:8000`, `kg.example.org`..."""
        def shown(name: str) -> str:
            return f"[{name}]" if ":" in name else name

        names = [f"{shown(n)}:{self.port}" for n in sorted(self._names - self._any_port)]
        names += sorted(shown(n) for n in self._any_port)
        names += sorted(f"{shown(n)}:{p}" for n, p in self._with_port)
        return names + ([f"any IP address:{self.port}"] if self.wildcard else [])

    def refusal(self, host: str | None) -> str | None:
        """Why a Host header is refused, or None when it names this server. No Host header (an
        HTTP/1.0 client) passes: every browser sends one."""
        if host is None:
            return None
        parsed = parse_host(host)
        if parsed is None:
            return f"invalid Host header {host!r}"
        name, port = parsed
        if name in self._any_port or (port is not None and (name, port) in self._with_port):
            return None
        if (name in self._names or (self.wildcard and _is_ip(name))) and port in (None, self.port):
            return None
        shown = host if len(host) <= 80 else host[:77] + "..."
        return (f"Host {shown!r} is not an address of this server (it answers {', '.join(self.allowed)}); "
                f"if you reach it by that name, start it with --allow-host {shown}")
