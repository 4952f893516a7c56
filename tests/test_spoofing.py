"""Names and titles cannot impersonate: bidi overrides and invisible characters are refused.

A name like ``"\\u202eSeller (neutral)"`` renders reversed and could pass for
someone else's; the shared schema refuses bidi embeddings, overrides,
isolates and marks, and invisible or filler characters in names, titles,
organisations and labels, and bidi overrides and isolates in every text
(both validators agree: ``tests/test_schema_agreement.py``).
"""

from __future__ import annotations

import httpx
import pytest

from tests.liveserver import create_room, serve_in_loop
from tests.wsclient import WsClient

SPOOFS = [
    pytest.param("\u202eSeller (neutral)", id="right-to-left-override"),
    pytest.param("Bea\u2066 (neutral)\u2069", id="isolate"),
    pytest.param("Be\u200ba", id="zero-width-space"),
    pytest.param("\u3164", id="hangul-filler"),
    pytest.param("Bea\u0085", id="c1-control"),
]


@pytest.mark.parametrize("name", SPOOFS)
async def test_join_with_a_spoofing_name_is_refused(store_url: str, name: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base)
        async with WsClient(server.ws_url) as client:
            reply = await client.join(room["tokens"]["seller"], name)
            assert reply["type"] == "error"
            assert (reply["code"], reply["field"]) == ("invalid_frame", "name")
            assert name not in reply["message"]
            # The same connection may then join under a plain name.
            assert (await client.join(room["tokens"]["seller"], "Sam"))["type"] == "welcome"


@pytest.mark.parametrize("title", SPOOFS)
async def test_spoofing_titles_are_refused_for_rooms_and_items(store_url: str, title: str) -> None:
    async with serve_in_loop(store_url) as server:
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{server.base}/api/rooms", json={"title": title})
        assert response.status_code == 400
        assert title not in response.text
        room = await create_room(server.base)
        async with WsClient(server.ws_url) as client:
            await client.join(room["tokens"]["buyer"], "Bea")
            reply = await client.call("item.add", {"item_id": "i1", "kind": "term", "title": title})
            assert (reply["code"], reply["field"]) == ("invalid_frame", "args.title")


async def test_names_in_other_scripts_and_emoji_are_welcome(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base)
        async with WsClient(server.ws_url) as client:
            name = "\u0645\u0631\u064a\u0645 \U0001f469\u200d\U0001f4bb"
            welcome = await client.join(room["tokens"]["buyer"], name)
            assert welcome["you"]["name"] == name
