"""Admission limits at the edge: connections per address, unjoined connections, the budget.

Every TCP connection takes one slot of the :class:`Gate` when it is accepted
and gives it back when it closes (an HTTP connection that becomes a websocket
keeps its slot). A connection is refused at once, before anything is read
from it, when it would exceed:

* the budget of open connections (``--max-connections``; by default the
  soft limit on file descriptors, raised at start-up where allowed, less
  ``--descriptor-reserve``), so the process never runs out of descriptors
  and never spins on failing ``accept`` calls;
* the connections of its client address (``--max-per-address``; an IPv6
  address counts by its /64 network, which one host usually owns whole);
* the connections that have not joined a room (``--max-unjoined``, at most
  half the budget, and ``--max-unjoined-per-address``): HTTP requests and
  websockets before their ``join``. Joined members therefore always have at
  least half the budget, whatever strangers do.

A refused HTTP connection is answered ``503`` (the server is full) or ``429``
(its address has too many) with ``Connection: close``; nothing else is done
for it. :class:`GatedHttp` also closes a connection whose request (headers
and body, or websocket handshake) is not complete ``--header-timeout``
seconds after it began, so half-sent requests cannot hold slots.

:class:`Bucket` is the token bucket behind every rate limit (commands per
member, rooms per address).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["Bucket", "Gate", "GatedHttp", "RateTable", "address_key", "descriptor_budget"]

log = logging.getLogger(__name__)


def address_key(peer: Any) -> str:
    """The client address a connection counts against: its IP, or its IPv6 /64 network."""
    host = peer[0] if isinstance(peer, tuple) and peer else peer
    if not isinstance(host, str):
        return "-"
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def descriptor_budget(reserve: int) -> int:
    """Connections the process can hold: the soft descriptor limit less ``reserve``."""
    try:
        import resource
    except ImportError:  # not on this platform
        return 1 << 16
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(16, int(soft) - reserve)


class Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` saved up; starts full."""

    __slots__ = ("_clock", "_stamp", "burst", "rate", "tokens")

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self._clock = clock
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def take(self) -> bool:
        """Spend one token if there is one."""
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    @property
    def full(self) -> bool:
        self._refill()
        return self.tokens >= self.burst

    def wait(self) -> float:
        """Seconds until the next token."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class RateTable:
    """One :class:`Bucket` per key (a client address), ``per_hour`` tokens an hour each.

    ``per_hour`` 0 means no limit. At most ``keys`` buckets are kept; when
    more are needed the full ones (keys that spent nothing lately) go first,
    then the oldest, so the table cannot grow without bound.
    """

    def __init__(
        self, per_hour: int, *, keys: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_hour = per_hour
        self.keys = keys
        self.refused = 0
        self._clock = clock
        self._buckets: dict[str, Bucket] = {}

    def take(self, key: str) -> float | None:
        """Spend one of ``key``'s tokens: None if there was one, else seconds until there is."""
        if self.per_hour <= 0:
            return None
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.keys:
                self._prune()
            bucket = self._buckets[key] = Bucket(self.per_hour / 3600, self.per_hour, self._clock)
        if bucket.take():
            return None
        self.refused += 1
        return bucket.wait()

    def _prune(self) -> None:
        for key in [k for k, b in self._buckets.items() if b.wait() == 0 and b.full]:
            del self._buckets[key]
        while len(self._buckets) >= self.keys:
            del self._buckets[next(iter(self._buckets))]


@dataclass(slots=True)
class _Slot:
    address: str
    joined: bool = False


class Gate:
    """Counts open connections by address and by whether they joined; refuses past the limits."""

    def __init__(
        self,
        *,
        budget: int,
        per_address: int,
        unjoined: int,
        unjoined_per_address: int,
    ) -> None:
        self.budget = budget
        self.per_address = per_address
        self.max_unjoined = max(1, min(unjoined, budget // 2))
        self.unjoined_per_address = unjoined_per_address
        self._slots: dict[object, _Slot] = {}
        self._by_address: Counter[str] = Counter()
        self._unjoined_by_address: Counter[str] = Counter()
        self.unjoined = 0
        self.refused: Counter[str] = Counter()
        self.on_refuse: Callable[[str], None] = lambda reason: None

    @property
    def open(self) -> int:
        return len(self._slots)

    def admit(self, connection: object, peer: Any) -> str | None:
        """Take a slot for ``connection``; or return why not (``"full"``, ``"address"``)."""
        address = address_key(peer)
        reason = None
        if len(self._slots) >= self.budget or self.unjoined >= self.max_unjoined:
            reason = "full"
        elif (
            self._by_address[address] >= self.per_address
            or self._unjoined_by_address[address] >= self.unjoined_per_address
        ):
            reason = "address"
        if reason is not None:
            self.refused[reason] += 1
            self.on_refuse(reason)
            return reason
        self._slots[connection] = _Slot(address)
        self._by_address[address] += 1
        self._unjoined_by_address[address] += 1
        self.unjoined += 1
        return None

    def joined(self, connection: object) -> None:
        """``connection`` joined a room: it no longer counts as unjoined."""
        slot = self._slots.get(connection)
        if slot is not None and not slot.joined:
            slot.joined = True
            self._unjoin(slot)

    def release(self, connection: object) -> None:
        """``connection`` closed. Idempotent."""
        slot = self._slots.pop(connection, None)
        if slot is None:
            return
        if not slot.joined:
            self._unjoin(slot)
        self._by_address[slot.address] -= 1
        if not self._by_address[slot.address]:
            del self._by_address[slot.address]

    def _unjoin(self, slot: _Slot) -> None:
        self.unjoined -= 1
        self._unjoined_by_address[slot.address] -= 1
        if not self._unjoined_by_address[slot.address]:
            del self._unjoined_by_address[slot.address]


_REFUSALS = {
    "full": b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n",
    "address": b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\n",
}


class GatedHttp(HttpToolsProtocol):
    """uvicorn's HTTP protocol with a slot of the gate and a deadline for each request.

    The deadline runs from the connection's start (and from the start of each
    further request on a kept-alive connection) to the end of the request's
    body, or to the websocket upgrade. Between requests uvicorn's keep-alive
    timeout applies.
    """

    def __init__(self, gate: Gate, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        self.header_timeout = header_timeout
        self._deadline: asyncio.TimerHandle | None = None
        self._upgraded = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        refused = self.gate.admit(transport, transport.get_extra_info("peername"))
        if refused is not None:
            transport.write(_REFUSALS[refused] + b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            transport.close()
            self.transport = transport
            self._upgraded = True  # nothing of this connection is ours to handle
            return
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._upgraded:
            return
        self.gate.release(self.transport)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._upgraded:
            return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._arm()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def handle_websocket_upgrade(self) -> None:
        # The websocket protocol takes over the transport and its gate slot.
        self._disarm()
        self._upgraded = True
        super().handle_websocket_upgrade()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport is not None and not self.transport.is_closing():
            log.info("closing a connection whose request was not complete in time")
            self.transport.abort()
