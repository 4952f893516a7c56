"""The Starlette application: routes, static client files, lifespan.

The browser client and the npm packages it uses are served from this app
(``client/`` and an allow-list of ``client/node_modules`` packages); nothing
is loaded from a CDN.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from valueroom import logs
from valueroom.config import Settings
from valueroom.edge import http
from valueroom.edge.limits import RateTable
from valueroom.edge.metrics import Metrics
from valueroom.edge.ws import Edge
from valueroom.protocol.schema import rules
from valueroom.rooms import lifecycle
from valueroom.rooms.registry import Registry
from valueroom.store import open_store

__all__ = ["VENDOR_PACKAGES", "ValueroomApp", "create_app"]

# npm packages the client imports, served at /vendor/<name>/.
VENDOR_PACKAGES = ("@msgpack/msgpack", "chart.js", "fractional-indexing")

_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
]


class SecurityHeaders:
    """Adds a strict CSP and friends to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + _SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ValueroomApp:
    """The ASGI app for HTTP, and the websocket edge that uvicorn hands ``/ws`` to.

    Websockets do not go through ASGI: a websocket lives for hours, and every
    layer it passes through (uvicorn's ASGI adapter, Starlette's wrappers, a
    task reading and a task writing) costs memory per idle connection and
    work per frame. Serve with ``ws=app.edge.protocol`` (``valueroom serve``
    does), and uvicorn gives every upgraded connection to
    :class:`~valueroom.edge.ws.RoomSocket`.
    """

    def __init__(self, starlette: Starlette, settings: Settings, edge: Edge) -> None:
        self.starlette = starlette
        self.settings = settings
        self.edge = edge

    @property
    def state(self) -> State:
        return self.starlette.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.starlette(scope, receive, send)


def create_app(settings: Settings | None = None) -> ValueroomApp:
    settings = settings or Settings.from_env()
    logs.install()
    client_dir = settings.client_dir
    index = client_dir / "index.html"
    edge = Edge(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = open_store(settings.store_url)
        await store.open()
        registry = Registry(
            store,
            idle_seconds=settings.idle_seconds,
            rules=rules(),
            members_per_room=settings.members_per_room,
            members_per_link=settings.members_per_link,
        )
        app.state.registry = edge.registry = registry
        app.state.settings = settings
        app.state.creations = creations = RateTable(settings.rooms_per_hour)
        app.state.managing = RateTable(settings.manage_per_hour)
        metrics = None
        if settings.metrics:
            metrics = Metrics(edge, registry, creations)
            app.state.metrics_address = metrics.serve(settings.metrics)
        sweeper, stop = None, asyncio.Event()
        if settings.retention > 0:
            sweeper = asyncio.create_task(lifecycle.keep_for(registry, settings.retention, stop))
        try:
            yield
        finally:
            stop.set()
            if sweeper is not None:
                await sweeper
            if metrics is not None:
                metrics.stop()
            edge.registry = None
            await registry.close()
            await store.close()

    async def page(request: Request) -> Response:
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    routes: list[Route | Mount] = [
        Route("/", page),
        Route("/join", page),
        Route("/api/rooms", http.create_room, methods=["POST"]),
        Route("/api/rooms/{room_id}", http.erase_room, methods=["DELETE"]),
        Route("/api/rooms/{room_id}/links/{role}", http.reissue_link, methods=["POST"]),
        Route("/api/rooms/{room_id}/members", http.list_members),
        Route("/api/rooms/{room_id}/members/{member_id}", http.remove_member, methods=["DELETE"]),
        Route("/api/health", http.health),
        Route("/schema.json", http.schema),
        Mount("/src", StaticFiles(directory=client_dir / "src", check_dir=False), name="src"),
    ]
    modules = client_dir / "node_modules"
    for package in VENDOR_PACKAGES:
        routes.append(
            Mount(
                f"/vendor/{package}", StaticFiles(directory=Path(modules, package), check_dir=False)
            )
        )
    starlette = Starlette(
        routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)]
    )
    return ValueroomApp(starlette, settings, edge)
