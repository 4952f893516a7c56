"""Prometheus metrics on a listener of their own (``--metrics HOST:PORT``), off by default.

The metrics are never served by the app's own port: an operator binds them
to an address of their choosing (usually a private interface), so the
public site tells nobody how busy it is. The listener is prometheus_client's
own HTTP server, in a thread; everything it reads is a number.

========================================  ==========================================
metric                                    meaning
========================================  ==========================================
``valueroom_rooms_loaded``                rooms this process has loaded
``valueroom_connections_open``            TCP connections open (HTTP and websockets)
``valueroom_connections_unjoined``        of those, not (yet) members of a room
``valueroom_members``                     websockets joined to a room
``valueroom_commands_total``              commands decided (accepted or refused)
``valueroom_store_append_seconds``        time of each append to the store
``valueroom_fanout_seconds``              time to queue one batch's frames for every member
``valueroom_rate_limited_total{what}``    refusals: ``frames`` (a member over its rate),
                                          ``connections`` (over a connection limit),
                                          ``rooms`` (room creation over its rate)
========================================  ==========================================
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.metrics_core import Metric

from valueroom.edge.limits import Gate, RateTable
from valueroom.edge.ws import Edge
from valueroom.rooms.live import Probe
from valueroom.rooms.registry import Registry

__all__ = ["Metrics", "parse_address"]

log = logging.getLogger(__name__)

_SECONDS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def parse_address(text: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` for IPv6) → (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"--metrics wants HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


class Metrics(Probe):
    """The process's metrics, in a registry of their own (several apps may share a process)."""

    def __init__(self, edge: Edge, registry: Registry, creations: RateTable) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        # First of all: the counts kept by the edge are carried over at each scrape.
        r.register(_Refresh(self))
        gate: Gate = edge.gate
        Gauge("valueroom_rooms_loaded", "rooms loaded", registry=r).set_function(
            lambda: len(registry.rooms)
        )
        Gauge("valueroom_connections_open", "connections open", registry=r).set_function(
            lambda: gate.open
        )
        Gauge("valueroom_connections_unjoined", "connections not joined", registry=r).set_function(
            lambda: gate.unjoined
        )
        Gauge("valueroom_members", "websockets joined to a room", registry=r).set_function(
            lambda: sum(len(room.members) for room in list(registry.rooms.values()))
        )
        self.commands = Counter("valueroom_commands", "commands decided", registry=r)
        self.append = Histogram(
            "valueroom_store_append_seconds", "append latency", buckets=_SECONDS, registry=r
        )
        self.fanout = Histogram(
            "valueroom_fanout_seconds", "fan-out time per batch", buckets=_SECONDS, registry=r
        )
        limited = Counter("valueroom_rate_limited", "refusals over a limit", ["what"], registry=r)
        self._frames = limited.labels("frames")
        self._connections = limited.labels("connections")
        self._rooms = limited.labels("rooms")
        self._seen = {"frames": 0, "connections": 0, "rooms": 0}
        self._edge, self._gate, self._creations = edge, gate, creations
        registry.probe = self
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def appended(self, seconds: float, events: int) -> None:
        self.append.observe(seconds)

    def fanned_out(self, seconds: float) -> None:
        self.fanout.observe(seconds)

    def decided(self, commands: int) -> None:
        self.commands.inc(commands)

    def refresh(self) -> None:
        """Carry the edge's own counters over (they are plain integers on the hot path)."""
        now = {
            "frames": self._edge.rate_limited,
            "connections": sum(self._gate.refused.values()),
            "rooms": self._creations.refused,
        }
        for what, counter in (
            ("frames", self._frames),
            ("connections", self._connections),
            ("rooms", self._rooms),
        ):
            counter.inc(max(0, now[what] - self._seen[what]))
        self._seen = now

    def serve(self, address: str) -> tuple[str, int]:
        """Start the listener on ``address``; return where it listens."""
        host, port = parse_address(address)
        self._server, self._thread = start_http_server(port, host, registry=self.registry)
        bound = self._server.server_address
        log.info("metrics on %s:%d", bound[0], bound[1])
        return str(bound[0]), int(bound[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


class _Refresh:
    """A collector that yields nothing and brings the edge's counters up to date first."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        self.metrics.refresh()
        return []
