"""A real valueroom server for tests: uvicorn on a free 127.0.0.1 port.

``serve_in_loop`` runs it in the test's own event loop (fast; lets tests
reach the registry); ``ServerProcess`` runs ``valueroom serve`` as a separate
OS process, for the multi-process and restart tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests.timing import timeout
from valueroom.cli import listening_socket
from valueroom.config import Settings
from valueroom.edge.app import ValueroomApp, create_app

__all__ = ["LiveServer", "ServerProcess", "create_room", "free_port", "serve_in_loop"]

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    base: str
    app: ValueroomApp

    @property
    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/ws"


@contextlib.asynccontextmanager
async def serve_in_loop(store_url: str, **overrides: Any) -> AsyncIterator[LiveServer]:
    # Tests fire commands as fast as they can; the rate limit is lifted unless a test sets it.
    defaults = {"store_url": store_url, "idle_seconds": 0, "commands_per_second": 1e6}
    settings = replace(Settings(), **{**defaults, **overrides})
    app = create_app(settings)
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        ws=app.edge.protocol,  # type: ignore[arg-type]  # a protocol factory, as uvicorn calls it
        http=app.edge.http_protocol,  # type: ignore[arg-type]  # likewise
        lifespan="on",
        log_level="warning",
        log_config=None,  # uvicorn's lines reach the root logger, where pytest sees them
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        # uvicorn has no "started" event to await, only this flag.
        async with asyncio.timeout(timeout(5)):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=timeout(15))
        sock.close()


async def create_room(base: str, **body: Any) -> dict[str, Any]:
    """POST /api/rooms; return the answer with ``tokens`` (role → token) added."""
    payload = {"title": "Consignment deal", "buyer_org": "Buyer BV", "seller_org": "Seller NV"}
    payload.update(body)
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{base}/api/rooms", json=payload)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    answer["tokens"] = {
        role: link.split("#", 1)[1] for role, link in answer["links"].items() if link is not None
    }
    return answer


class ServerProcess:
    """``python -m valueroom serve`` in its own process, on a free port."""

    def __init__(
        self,
        store_url: str,
        *,
        port: int | None = None,
        idle: float = 0,
        extra: Sequence[str] = (),
    ) -> None:
        self.port = port or free_port()
        self.store_url = store_url
        self.idle = idle
        self.extra = list(extra)  # more `valueroom serve` flags
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> ServerProcess:
        env = dict(os.environ)
        env.pop("REDIS_URL", None)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO / "server"), str(REPO), env.get("PYTHONPATH", "")]
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "valueroom",
                "serve",
                "--port",
                str(self.port),
                "--store",
                self.store_url,
                "--idle",
                str(self.idle),
                "--log-level",
                "warning",
                "--commands-per-second",  # lifted, as in serve_in_loop; `extra` may set it
                "1000000",
                *self.extra,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout(20)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}"
                )
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start within {timeout(20):g} s")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout(10))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=timeout(10))
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
