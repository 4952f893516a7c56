"""``valueroom serve``: run the app under uvicorn (uvloop, httptools) with valueroom's websocket edge.

Flags come from :data:`valueroom.config.OPTIONS` (each with its environment
variable); a flag wins over its variable. At start-up the soft limit on open
file descriptors is raised to the hard limit where the system allows, so the
connection budget (see ``--max-connections``) is as large as it can be.

``valueroom verify ROOM --store URL``: check a room's hash chain end to end
(see ``valueroom.store.chain``); exit 0 when it holds, 1 at the first event
where it breaks (named), 2 when there is no such room.

``valueroom export ROOM --role ROLE --store URL``: print that role's history
as JSON Lines, the same export the browser downloads.

``valueroom demo``: seed a demo room from the brief's worked example into the
store and print its invite links (then ``valueroom serve`` on the same store).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import socket
import sys
from collections.abc import Sequence
from typing import Any

from valueroom import logs
from valueroom.config import OPTIONS, Settings

__all__ = ["SWITCH_INTERVAL", "listening_socket", "main", "raise_descriptor_limit"]

SWITCH_INTERVAL = 0.0005

log = logging.getLogger(__name__)


def _parser(defaults: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="valueroom", description="A live room for value-oriented negotiation."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the app (HTTP and websockets)")
    for option in OPTIONS:
        default = getattr(defaults, option.field)
        env = ", then ".join(option.env)
        shown = (
            "not set"
            if default in (None, ())
            else f"{default:g}"
            if isinstance(default, float)
            else default
        )
        kwargs: dict[str, Any] = {
            "dest": option.field,
            "help": f"{option.help} [env {env}] (default {shown})",
            "metavar": option.metavar,
        }
        if option.many:
            serve.add_argument(option.flag, action="append", default=list(default), **kwargs)
        else:
            serve.add_argument(option.flag, type=option.parse, default=default, **kwargs)
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.add_argument(
        "--log-format",
        default="text",
        choices=logs.FORMATS,
        help="text lines, or one JSON object per line (default text)",
    )
    verify = commands.add_parser("verify", help="check a room's hash chain in the store")
    verify.add_argument("room", help="the room id")
    verify.add_argument(
        "--store",
        default=defaults.store_url,
        help=f"event store URL, as for serve (default {defaults.store_url})",
    )
    export = commands.add_parser(
        "export", help="print one role's history as JSON Lines (see verify_export)"
    )
    export.add_argument("room", help="the room id")
    export.add_argument("--role", required=True, choices=["buyer", "seller", "neutral"])
    export.add_argument(
        "--store",
        default=defaults.store_url,
        help=f"event store URL, as for serve (default {defaults.store_url})",
    )
    demo = commands.add_parser(
        "demo", help="seed a demo room from the brief's worked example and print its links"
    )
    demo.add_argument("--store", default=defaults.store_url, help="event store URL (as for serve)")
    demo.add_argument(
        "--public-url",
        default=defaults.public_url or f"http://127.0.0.1:{defaults.port}",
        help="base URL of the printed invite links (default: this machine's serve address)",
    )
    return parser


def export(room_id: str, role: str, store_url: str) -> int:
    """Print a role's export (the browser's download, made from the store); 2 if no room."""
    import asyncio
    import json

    from valueroom.rooms.history import Index, export_lines
    from valueroom.store import open_store

    async def run() -> int:
        store = open_store(store_url)
        await store.open()
        try:
            record = await store.room(room_id)
            if record is None:
                print(f"no room {room_id} in {store_url}", file=sys.stderr)
                return 2
            for line in await export_lines(store, Index(record), role):
                print(json.dumps(line, ensure_ascii=False))
        finally:
            await store.close()
        return 0

    return asyncio.run(run())


def verify(room_id: str, store_url: str) -> int:
    """Check one room's chain; print the verdict; return the exit code."""
    import asyncio

    from valueroom.rooms.history import verify_room
    from valueroom.store import open_store

    async def run() -> int:
        store = open_store(store_url)
        await store.open()
        try:
            verdict = await verify_room(store, room_id)
        finally:
            await store.close()
        if verdict is None:
            print(f"no room {room_id} in {store_url}", file=sys.stderr)
            return 2
        if verdict.broken is not None:
            print(f"room {room_id}: chain broken at {verdict.broken}")
            return 1
        print(f"room {room_id}: {verdict.events} events, chain intact, head {verdict.head.hex()}")
        return 0

    return asyncio.run(run())


async def _demo(store_url: str, public_url: str) -> dict[str, str | None]:
    from valueroom.edge.http import invite_links
    from valueroom.protocol.schema import rules
    from valueroom.rooms.demo import seed_demo
    from valueroom.rooms.registry import Registry
    from valueroom.store import open_store

    store = open_store(store_url)
    await store.open()
    try:
        created = await seed_demo(Registry(store, rules=rules()))
    finally:
        await store.close()
    return invite_links(public_url, created.tokens)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        defaults = Settings.from_env()
    except ValueError as exc:
        print(f"valueroom: {exc}", file=sys.stderr)
        return 2
    parser = _parser(defaults)
    args = parser.parse_args(argv)
    if args.command == "verify":
        return verify(args.room, args.store)
    if args.command == "export":
        return export(args.room, args.role, args.store)
    if args.command == "demo":
        import asyncio

        links = asyncio.run(_demo(args.store, args.public_url))
        print(
            f"Demo room seeded in {args.store}. Serve it with: valueroom serve --store {args.store}"
        )
        for role, link in links.items():
            print(f"  {role:<8} {link}")
        return 0
    chosen = {option.field: getattr(args, option.field) for option in OPTIONS}
    for option in OPTIONS:
        if option.many:
            chosen[option.field] = tuple(chosen[option.field])
    try:
        settings = dataclasses.replace(defaults, **chosen)
    except ValueError as exc:
        parser.error(str(exc))
    import uvicorn

    from valueroom.edge.app import create_app

    logs.configure(args.log_level, args.log_format, settings.log_lines_per_second)
    soft = raise_descriptor_limit()
    if soft is not None:
        log.info("open file descriptors: up to %d", soft)
    # An ack waits for the store's commit thread (SQLite), which needs the GIL
    # back after its fsync; with the default 5 ms switch interval a busy event
    # loop makes it wait up to that long. 0.5 ms bounds the wait and costs
    # nothing while no other thread asks for the GIL.
    sys.setswitchinterval(SWITCH_INTERVAL)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        ws=app.edge.protocol,  # type: ignore[arg-type]  # a protocol factory, as uvicorn calls it
        http=app.edge.http_protocol,  # type: ignore[arg-type]  # likewise
        loop="uvloop",
        log_level=args.log_level,
        log_config=None,  # uvicorn's lines go through logs.configure's handler too
        access_log=False,
    )
    uvicorn.Server(config).run(sockets=[listening_socket(settings.host, settings.port)])
    return 0


def raise_descriptor_limit() -> int | None:
    """Raise the soft RLIMIT_NOFILE to the hard limit where allowed; return the soft limit.

    None where the platform has no such limit. A refusal leaves it as it was.
    """
    try:
        import resource
    except ImportError:  # not on this platform
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket whose accepted connections have Nagle's algorithm off.

    The server writes an event and then its ack as two small frames; with
    Nagle on, the second waits for the peer's delayed ACK (about 40 ms on
    Linux). Accepted sockets inherit TCP_NODELAY from the listener.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


if __name__ == "__main__":
    sys.exit(main())
