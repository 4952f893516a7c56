"""Prometheus metrics: off by default, on an address of the operator's choosing, and telling."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.liveserver import create_room, free_port, serve_in_loop
from tests.wsclient import WsClient


def samples(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


async def test_metrics_are_off_by_default_and_never_on_the_public_port(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        assert not hasattr(server.app.state, "metrics_address")
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{server.base}/metrics")).status_code == 404


async def test_metrics_count_rooms_connections_commands_latency_and_refusals(
    store_url: str,
) -> None:
    address = f"127.0.0.1:{free_port()}"
    async with serve_in_loop(store_url, metrics=address, commands_per_second=5) as server:
        assert server.app.state.metrics_address[1] == int(address.rsplit(":", 1)[1])
        room = await create_room(server.base)
        async with WsClient(server.ws_url) as bea, WsClient(server.ws_url) as sam:
            await bea.join(room["tokens"]["buyer"], "Bea")
            await sam.join(room["tokens"]["seller"], "Sam")
            ops = [
                await bea.command("item.add", {"item_id": f"i{n}", "kind": "term", "title": "T"})
                for n in range(30)
            ]
            replies = [await bea.reply(op) for op in ops]
            acked = sum(1 for r in replies if r["type"] == "ack")
            limited = sum(1 for r in replies if r.get("code") == "rate_limited")
            assert limited > 0
            async with httpx.AsyncClient() as http:
                text = (await http.get(f"http://{address}/metrics")).text
            found = samples(text)
            assert found["valueroom_rooms_loaded"] == 1
            assert found["valueroom_members"] == 2
            assert found["valueroom_connections_open"] >= 2
            assert found["valueroom_commands_total"] == acked
            assert found["valueroom_store_append_seconds_count"] >= 1
            assert found["valueroom_fanout_seconds_count"] >= 1
            assert found["valueroom_rate_limited_total{what=frames}"] == limited
            # Nothing in the metrics names a room, a member or a figure.
            assert room["room_id"] not in text
            assert "Bea" not in text
