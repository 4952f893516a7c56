"""What an operator sees: ``/api/health`` (healthy or not, nothing more) and the metrics."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from tests.liveserver import serve_in_loop
from tests.redisproc import running_redis


async def test_health_says_only_healthy(store_url: str) -> None:
    async with serve_in_loop(store_url) as server, httpx.AsyncClient() as http:
        response = await http.get(f"{server.base}/api/health")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


@pytest.mark.redis
async def test_health_says_unhealthy_while_redis_is_down() -> None:
    with contextlib.ExitStack() as redis_server:
        url = redis_server.enter_context(running_redis())
        async with serve_in_loop(url) as server, httpx.AsyncClient() as http:
            assert (await http.get(f"{server.base}/api/health")).json() == {"ok": True}
            redis_server.close()  # Redis stops; the server keeps running
            response = await http.get(f"{server.base}/api/health")
            assert response.status_code == 503
            assert response.json() == {"ok": False}
