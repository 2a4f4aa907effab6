"""The endpoint as an ASGI application: the checks every request passes before `SparqlEndpoint.handle`.

In order, for each request (Starlette reads the ASGI messages and writes the response):

1. Host: the Host header must name this server (queries/server/origin.py; 400 otherwise), which stops
   DNS rebinding before anything is read or run.
2. Parameters: at most `max_params` in the query string (400).
3. Cross-origin: a request that runs a query or changes state, sent by a page of another origin,
   is refused (403) unless the server was started with --cors.
4. The body: at most `max_body_bytes` (413 from Content-Length alone, or as soon as a streamed
   body passes the cap; the rest is not read), within `body_timeout` seconds (408).
5. Turns: a request that may evaluate a query or call the backend waits for a turn for its client
   address (queries/server/admission.py; 503 with Retry-After when the client's queue or the server's is
   full), then runs `SparqlEndpoint.handle` on a long-lived query thread (each query itself runs
   in a worker process). The page and its assets are answered on the event loop.

One line per request goes to standard error (unless `log` is off): address, method, target,
status, milliseconds.
"""

from __future__ import annotations

import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect
from starlette.requests import Request as AsgiRequest
from starlette.responses import Response as AsgiResponse

from .admission import Admission, Busy
from ..engine.limits import HttpLimits
from .origin import HostPolicy, cross_origin_refusal
from .endpoint import Request, Response, SparqlEndpoint, text_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class EndpointApp:
    """The ASGI application serving one SparqlEndpoint under the limits of `limits`."""

    def __init__(self, endpoint: SparqlEndpoint, hosts: HostPolicy, limits: HttpLimits):
        self.endpoint = endpoint
        self.hosts = hosts
        self.limits = limits
        self.log = endpoint.config.log
        self.admission = Admission(slots=endpoint.config.max_concurrent, per_client=limits.client_queries,
                                   client_queue=limits.client_queue, queue_limit=limits.queue_limit,
                                   queue_timeout=limits.queue_timeout)
        # Long-lived threads: a query worker is tied to the thread that forked it (it dies with it),
        # so the threads that run queries must outlive them. The admission never lets more
        # requests in than there are threads.
        self.executor = ThreadPoolExecutor(endpoint.config.max_concurrent, thread_name_prefix="sparql-query")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        started = time.monotonic()
        request = AsgiRequest(scope, receive)
        client = scope["client"][0] if scope.get("client") else "-"
        try:
            response, close = await self._respond(request, client)
        except ClientDisconnect:
            return
        except MemoryError:
            response, close = text_response(503, "the request needed more memory than the server may use "
                                                 "(--memory-limit); try a smaller one"), True
        if close:
            response.headers["Connection"] = "close"
        if response.status == 503 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(self.limits.retry_after)
        headers = {"content-type": response.content_type, **response.headers}
        await AsgiResponse(response.body, status_code=response.status, headers=headers)(scope, receive, send)
        if self.log:
            target = scope.get("raw_path", b"").decode("latin-1")
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            target = target if len(target) <= 120 else target[:117] + "..."
            sys.stderr.write(f"{client} {scope['method']} {target.encode('unicode_escape').decode('ascii')} "
                             f"{response.status} {(time.monotonic() - started) * 1000:.0f} ms\n")

    async def _respond(self, request: AsgiRequest, client: str) -> tuple[Response, bool]:
        """The response, and whether the connection must close after it (every refusal before the
        body is read closes it, so that an unread body is never drained)."""
        scope = request.scope
        method = scope["method"]
        hosts = request.headers.getlist("host")
        if len(hosts) > 1:
            return text_response(400, "more than one Host header"), True
        problem = self.hosts.refusal(hosts[0] if hosts else None)
        if problem:
            return text_response(400, problem), True
        try:
            params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True,
                               max_num_fields=self.limits.max_params)
        except ValueError:
            return text_response(400, f"too many parameters (at most {self.limits.max_params})"), True
        path = scope["path"] or "/"
        headers = {k.lower(): v for k, v in request.headers.items()}
        runs_query = self.endpoint.runs_query(method, path, params)
        if not self.endpoint.config.cors:
            problem = cross_origin_refusal(method, headers, runs_query=runs_query)
            if problem:
                return text_response(403, problem), True
        body, refusal = await self._read_body(request, method, headers)
        if refusal is not None:
            return refusal, True
        req = Request(method, path, params, headers, body)
        if self.endpoint.is_static(req):
            return self.endpoint.handle(req), False
        try:
            async with self.admission.turn(client):
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self.executor, self.endpoint.handle, req), False
        except Busy as exc:
            return text_response(503, str(exc)), False

    async def _read_body(self, request: AsgiRequest, method: str, headers: dict) -> tuple[bytes, Response | None]:
        """Read the request body within the size and time limits: (body, None) or (b"", refusal)."""
        cap = self.limits.max_body_bytes
        declared = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if not chunked and (declared is None or declared.strip() == "0"):
            return b"", None
        if declared is not None and not chunked and (len(declared) > 18 or int(declared) > cap):  # h11: digits
            return b"", text_response(413, f"the request body is larger than {cap} bytes (the limit)")
        if method not in BODY_METHODS:
            return b"", text_response(400, f"a {method} request has no body here; send queries with POST")
        body = bytearray()
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > cap:
                        return b"", text_response(413, f"the request body is larger than {cap} bytes (the limit)")
        except TimeoutError:
            return b"", text_response(408, f"the request body did not arrive within {self.limits.body_timeout:g} s")
        return bytes(body), None
