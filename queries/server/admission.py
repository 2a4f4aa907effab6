"""Fair turns for queries: a per-client limit on queries in flight, with a bounded queue.

The endpoint evaluates at most `slots` queries at once (each in a worker process). One client (one
remote address) may hold at most `per_client` of them; its further queries wait in its own queue
of at most `client_queue`, all queues together at most `queue_limit`; beyond either, or after
waiting `queue_timeout` seconds, the request is refused with 503 and Retry-After. When a slot
frees, the clients that wait take turns (round robin), so a client with a dozen runaway queries
delays only itself.

Everything here runs on the server's event loop (no locks): `async with admission.turn(client)`.

>>> admission = Admission(slots=8, per_client=2, client_queue=4, queue_limit=16, queue_timeout=30)
>>> async def run():                                          # doctest: +SKIP
...     async with admission.turn("127.0.0.1"):
...         ...                                                 # evaluate the query
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque


class Busy(Exception):
    """No turn can be given now: the message says why (answered 503 with Retry-After)."""


class Admission:
    """Hands out evaluation slots fairly among clients (see the module's docstring)."""

    def __init__(self, *, slots: int, per_client: int, client_queue: int, queue_limit: int,
                 queue_timeout: float):
        self.slots = slots
        self.per_client = min(per_client, slots)
        self.client_queue = client_queue
        self.queue_limit = queue_limit
        self.queue_timeout = queue_timeout
        self.running = 0
        self._running_by: dict[str, int] = {}
        self._waiting: "OrderedDict[str, deque[asyncio.Future]]" = OrderedDict()
        self.waiting = 0
        self.closed = False

    def running_for(self, client: str) -> int:
        """Queries of `client` being evaluated now."""
        return self._running_by.get(client, 0)

    def waiting_for(self, client: str) -> int:
        """Queries of `client` waiting for a turn."""
        return len(self._waiting.get(client, ()))

    @contextlib.asynccontextmanager
    async def turn(self, client: str):
        """Wait for a turn for `client` (raises Busy when none can be had), hold it, release it."""
        await self._acquire(client)
        try:
            yield
        finally:
            self._release(client)

    def _can_start(self, client: str) -> bool:
        return self.running < self.slots and self._running_by.get(client, 0) < self.per_client

    def _start(self, client: str) -> None:
        self.running += 1
        self._running_by[client] = self._running_by.get(client, 0) + 1

    async def _acquire(self, client: str) -> None:
        if self.closed:
            raise Busy("the server is shutting down")
        if self._can_start(client) and client not in self._waiting:
            self._start(client)
            return
        queue = self._waiting.get(client)
        if queue is not None and len(queue) >= self.client_queue:
            raise Busy(f"too many queries from {client}: {self.running_for(client)} running and "
                       f"{len(queue)} waiting; wait for them to finish")
        if self.waiting >= self.queue_limit:
            raise Busy(f"the server is busy ({self.running} queries running, {self.waiting} waiting)")
        if self.client_queue == 0:
            raise Busy(f"too many queries from {client} at once ({self.running_for(client)} running)")
        future = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(client, deque()).append(future)
        self.waiting += 1
        try:
            await asyncio.wait_for(asyncio.shield(future), self.queue_timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            if future.done() and not future.cancelled() and future.exception() is None:
                self._release(client)  # the turn came just as the wait ended: give it on
            else:
                self._forget(client, future)
            if isinstance(exc, asyncio.TimeoutError):
                raise Busy(f"the server is busy: no turn within {self.queue_timeout:g} s") from None
            raise
        exc = future.exception()
        if exc is not None:
            raise exc

    def _forget(self, client: str, future: asyncio.Future) -> None:
        queue = self._waiting.get(client)
        if queue is not None and future in queue:
            queue.remove(future)
            self.waiting -= 1
            if not queue:
                del self._waiting[client]
        if not future.done():
            future.cancel()

    def _release(self, client: str) -> None:
        self.running -= 1
        left = self._running_by.get(client, 0) - 1
        if left > 0:
            self._running_by[client] = left
        else:
            self._running_by.pop(client, None)
        self._wake()

    def _wake(self) -> None:
        """Start waiting queries while slots are free, one client after another."""
        progress = True
        while progress and self.running < self.slots and self._waiting:
            progress = False
            for client in list(self._waiting):
                if self.running >= self.slots:
                    break
                if not self._can_start(client):
                    continue
                queue = self._waiting[client]
                future = queue.popleft()
                self.waiting -= 1
                if not queue:
                    del self._waiting[client]
                else:
                    self._waiting.move_to_end(client)  # the next turn goes to another client
                self._start(client)
                future.set_result(None)
                progress = True

    def close(self) -> None:
        """Refuse new queries and send every waiting one away (the server is stopping)."""
        self.closed = True
        for client, queue in list(self._waiting.items()):
            for future in queue:
                if not future.done():
                    future.set_exception(Busy("the server is shutting down"))
            self.waiting -= len(queue)
        self._waiting.clear()
