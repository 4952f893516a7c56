"""Open-loop benchmark: valueroom beside real peers, in one run, one table.

    .venv/bin/python -m tests.bench_openloop            # everything, about 10 minutes
    .venv/bin/python -m tests.bench_openloop --quick    # shorter windows, for a look

People type at their own pace; they do not wait for acks. So every client
sends ~150-byte edits on a fixed schedule (``rate`` per second, a random
phase each) and never waits, and the latency of every single delivery to
every other member of its room is recorded (p50, p99, max), with the
deliveries lost and those that came out of order. The same scenarios run,
each on a freshly started server, against:

* ``valueroom-sqlite``: ``valueroom serve`` on SQLite (every edit validated,
  decided, durably appended with a full fsync before its ack, filtered per
  recipient);
* ``valueroom-redis``: the same on a real ``redis-server`` with
  ``appendonly yes`` and ``appendfsync everysec`` (an ack means the event is
  in Redis' append-only file, written to the kernel: it survives a crash of
  Redis or of valueroom; a power cut may lose the last second), Redis pinned
  to the server's core;
* ``valueroom-redis-always``: the same with ``appendfsync always`` (an ack
  means fsynced: it survives a power cut);
* ``raw-websockets``: a bare ``websockets`` broadcast server
  (``tests/bench_peers/raw_server.py``: no parsing, no storage);
* ``y-websocket``: ``@y/websocket-server`` from npm (CRDT merge, nothing
  stored), spoken to in real y-protocol sync update messages.

Scenarios: 1 room x 10 clients x 20 edits/s; 100 rooms x 4 x 5/s; that rate
doubled until p99 exceeds 50 ms or a delivery is lost (capacity; then one
step between the last pass and the first failure); 2,000 idle joined
connections (KB per connection from the server's RSS).

The server (and Redis) run pinned to CPU 0, the load generator
(``tests/bench_peers/loadgen.mjs``, Node) and this script to CPU 1. Server
CPU and RSS come from /proc. The generator reports its own CPU and how late
its sends left against the schedule; from /proc/stat comes how much of the
server's core other processes used meanwhile. A run whose sends left more
than 20 ms late (p99), or where others used more than 10% of the server's
core, says little about the server and is run again, twice at most (then it
is marked in the table).
``npm ci`` in ``tests/bench_peers`` installs the peer and the generator
(pinned by its package-lock.json; never served by the app). Everything talks
to 127.0.0.1; every run is bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from tests.liveserver import REPO, free_port
from tests.redisproc import running_redis

PEERS = REPO / "tests" / "bench_peers"
SERVER_CPU, LOAD_CPU = 0, 1
TICK = os.sysconf("SC_CLK_TCK")
SYSTEMS = (
    "valueroom-sqlite",
    "valueroom-redis",
    "valueroom-redis-always",
    "raw-websockets",
    "y-websocket",
)
VALUEROOMS = ("valueroom-sqlite", "valueroom-redis", "valueroom-redis-always")
# Not in the default run: valueroom on its in-memory store (nothing durable),
# to tell the cost of the store from the rest when profiling.
EXTRA = ("valueroom-memory",)
P99_LIMIT_MS = 50.0
LATE_LIMIT_MS = 20.0  # a generator later than this (p99) could not drive the run
NEIGHBOURS_LIMIT = 0.10  # more of the server's core used by others disturbs the run
MAX_RETRIES = 2
MAX_RATE = 320  # edits/s per client: the bound on the capacity search
IDLE_PER_ROOM = 4


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.machine()}, Linux {platform.release()}, "
        f"Python {platform.python_version()}, Node {node_version()}"
    )


def node_version() -> str:
    return subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


# --- /proc ----------------------------------------------------------------------


def pin(pid: int, cpu: int) -> None:
    """Pin every thread of ``pid`` (threads started later inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(task.name), {cpu})


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def core_busy_seconds(cpu: int) -> float:
    """Seconds CPU ``cpu`` ran processes or lost to the hypervisor, from /proc/stat.

    User, nice, system and steal time; interrupts are left out, as they are
    mostly the run's own network traffic.
    """
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            user, nice, system, _idle, _iowait, _irq, _softirq, steal = map(int, line.split()[1:9])
            return (user + nice + system + steal) / TICK
    raise RuntimeError(f"no cpu{cpu} in /proc/stat")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def settled_rss(pid: int) -> int:
    """RSS once it stops moving (bounded: 5 s)."""
    last = rss_kib(pid)
    for _ in range(25):
        time.sleep(0.2)
        now = rss_kib(pid)
        if abs(now - last) < 16:
            return now
        last = now
    return last


# --- the systems ------------------------------------------------------------------


@dataclass
class Target:
    """A running system: where its rooms are, which processes to watch."""

    name: str
    port: int
    pids: dict[str, int]
    http: str | None = None  # valueroom's base URL, for creating rooms

    def room_url(self, room: int) -> str:
        if self.http is not None:
            return f"ws://127.0.0.1:{self.port}/ws"
        return f"ws://127.0.0.1:{self.port}/room{room}"


def wait_for_http(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within 30 s")


@contextlib.contextmanager
def process(
    command: list[str], *, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def valueroom(store_url: str, name: str, extra_pids: dict[str, int]) -> Iterator[Target]:
    port = free_port()
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "server"), str(REPO)])
    command = [sys.executable, "-m", "valueroom", "serve", "--port", str(port)]
    command += ["--store", store_url, "--idle", "0", "--log-level", "warning"]
    # Every client of the benchmark comes from 127.0.0.1, joins at once and types fast.
    command += ["--max-per-address", "100000", "--max-unjoined", "100000"]
    command += ["--max-unjoined-per-address", "100000", "--commands-per-second", "100000"]
    command += ["--rooms-per-hour", "0"]  # hundreds of rooms from one address
    with process(command, env=env) as proc:
        wait_for_http(f"http://127.0.0.1:{port}/api/health", proc, name)
        pin(proc.pid, SERVER_CPU)
        yield Target(name, port, {"server": proc.pid, **extra_pids}, f"http://127.0.0.1:{port}")


@contextlib.contextmanager
def running(system: str) -> Iterator[Target]:
    """Start ``system`` on a free port, pinned to the server CPU; stop it afterwards."""
    with tempfile.TemporaryDirectory(prefix="valueroom-bench-") as folder:
        if system == "valueroom-memory":
            with valueroom(f"memory://bench-{os.getpid()}", system, {}) as target:
                yield target
        elif system == "valueroom-sqlite":
            with valueroom("sqlite:///" + str(Path(folder) / "bench.db"), system, {}) as target:
                yield target
        elif system in ("valueroom-redis", "valueroom-redis-always"):
            fsync = "always" if system.endswith("always") else "everysec"
            durable = ["--appendonly", "yes", "--appendfsync", fsync]
            with running_redis(extra=durable) as url:
                with redis.Redis.from_url(url) as client:
                    redis_pid = int(client.info("server")["process_id"])
                pin(redis_pid, SERVER_CPU)
                with valueroom(url, system, {"redis": redis_pid}) as target:
                    yield target
        elif system == "raw-websockets":
            port = free_port()
            with process([sys.executable, str(PEERS / "raw_server.py"), str(port)]) as proc:
                wait_for_ws(port, proc, system)
                pin(proc.pid, SERVER_CPU)
                yield Target(system, port, {"server": proc.pid})
        elif system == "y-websocket":
            port = free_port()
            env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
            server = PEERS / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"
            with process(["node", str(server)], env=env) as proc:
                wait_for_http(f"http://127.0.0.1:{port}/", proc, system)
                pin(proc.pid, SERVER_CPU)
                yield Target(system, port, {"server": proc.pid})
        else:
            raise ValueError(f"unknown system {system!r}")


def wait_for_ws(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within 30 s")


# --- one run ----------------------------------------------------------------------


@dataclass
class Scenario:
    rooms: int
    per_room: int
    rate: float  # edits per second per client
    label: str = ""

    @property
    def edits(self) -> float:
        return self.rooms * self.per_room * self.rate

    @property
    def deliveries(self) -> float:
        return self.edits * (self.per_room - 1)


@dataclass
class Result:
    system: str
    scenario: str
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        f = self.figures
        return (
            f.get("p99") is not None
            and f["p99"] <= P99_LIMIT_MS
            and f["lost"] == 0
            and f.get("errors", 0) == 0
        )


def clients_for(target: Target, rooms: int, per_room: int) -> list[dict[str, Any]]:
    clients: list[dict[str, Any]] = []
    roles = ("buyer", "seller")
    with httpx.Client(timeout=30) as http:
        for room in range(rooms):
            tokens: dict[str, str] = {}
            if target.http is not None:
                response = http.post(f"{target.http}/api/rooms", json={"title": f"Bench {room}"})
                response.raise_for_status()
                links = response.json()["links"]
                tokens = {role: links[role].split("#", 1)[1] for role in roles}
            for member in range(per_room):
                client: dict[str, Any] = {"url": target.room_url(room), "room": room}
                if tokens:
                    client["token"] = tokens[roles[member % 2]]
                clients.append(client)
    return clients


def loadgen(spec: dict[str, Any], folder: Path) -> subprocess.Popen[str]:
    path = folder / "spec.json"
    path.write_text(json.dumps(spec))
    command = ["node", str(PEERS / "loadgen.mjs"), str(path)]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pin(proc.pid, LOAD_CPU)
    return proc


def read_event(proc: subprocess.Popen[str], want: str) -> dict[str, Any]:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the load generator ended before {want!r} (exit {proc.wait()})")
        event: dict[str, Any] = json.loads(line)
        if event["event"] == "failed":
            raise RuntimeError(f"the load generator failed: {event['error']}")
        if event["event"] == want:
            return event


def run_load(system: str, scenario: Scenario, timing: argparse.Namespace) -> Result:
    """One scenario on a fresh server; run again (twice at most) if it was disturbed.

    The machine is shared: a generator that sent late was itself short of
    CPU, and other processes busy on the server's core slow the server; such
    a run says little about the server. ``retries`` counts the runs thrown
    away.
    """
    for retry in range(MAX_RETRIES + 1):
        result = run_once(system, scenario, timing)
        result.figures["retries"] = retry
        late, neighbours = result.figures["late_p99"], result.figures["neighbours"]
        if late <= LATE_LIMIT_MS and neighbours <= NEIGHBOURS_LIMIT:
            break
        print(
            f"  ({system} {scenario.label}: generator {late:.0f} ms late, "
            f"{neighbours:.0%} of the server's core used by others; again)",
            flush=True,
        )
    return result


def run_once(system: str, scenario: Scenario, timing: argparse.Namespace) -> Result:
    with running(system) as target, tempfile.TemporaryDirectory() as folder:
        spec = {
            "system": {"raw-websockets": "raw", "y-websocket": "yws"}.get(system, "valueroom"),
            "clients": clients_for(target, scenario.rooms, scenario.per_room),
            "rate": scenario.rate,
            "warmup": timing.warmup,
            "duration": timing.duration,
            "drain": timing.drain,
            "bytes": 150,
            "seed": 7,
        }
        proc = loadgen(spec, Path(folder))
        try:
            read_event(proc, "ready")
            read_event(proc, "measure-start")
            profiler = profile(target, scenario, timing)
            started = time.monotonic()
            cpu = {name: cpu_seconds(pid) for name, pid in target.pids.items()}
            core = core_busy_seconds(SERVER_CPU)
            read_event(proc, "measure-end")
            elapsed = time.monotonic() - started
            core = (core_busy_seconds(SERVER_CPU) - core) / elapsed
            cpu = {
                name: (cpu_seconds(pid) - cpu[name]) / elapsed for name, pid in target.pids.items()
            }
            rss = rss_kib(target.pids["server"])
            result = read_event(proc, "result")
            if profiler is not None:
                profiler.wait(timeout=60)
        finally:
            proc.kill()
            proc.wait(timeout=10)
    figures = {k: v for k, v in result.items() if k != "event"}
    figures.update(
        edits_per_s=scenario.edits,
        deliveries_per_s=scenario.deliveries,
        server_cpu=cpu["server"],
        # What else ran on the server's core meanwhile (other processes, the kernel).
        neighbours=max(0.0, core - sum(cpu.values())),
        redis_cpu=cpu.get("redis"),
        rss_mib=rss / 1024,
    )
    return Result(system, scenario.label, figures)


def profile(
    target: Target, scenario: Scenario, timing: argparse.Namespace
) -> subprocess.Popen[bytes] | None:
    """With ``--profile DIR``: py-spy samples a valueroom server through the window."""
    if timing.profile is None or target.http is None:
        return None
    name = f"{target.name}-{scenario.label.replace('/', '')}.txt"
    command = [
        str(Path(sys.executable).with_name("py-spy")),
        "record",
        "--pid",
        str(target.pids["server"]),
        "--nonblocking",
    ]
    command += ["--duration", str(int(timing.duration)), "--format", "raw", "--rate", "250"]
    command += ["--output", str(Path(timing.profile) / name)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_idle(system: str, connections: int) -> Result:
    rooms = -(-connections // IDLE_PER_ROOM)
    with running(system) as target, tempfile.TemporaryDirectory() as folder:
        clients = clients_for(target, rooms, IDLE_PER_ROOM)[:connections]
        spec: dict[str, Any] = {
            "system": {"raw-websockets": "raw", "y-websocket": "yws"}.get(system, "valueroom"),
            "clients": clients,
            "idle": True,
        }
        spec.update(rate=1, warmup=0, duration=0, drain=0, bytes=150, seed=7)
        pid = target.pids["server"]
        before = settled_rss(pid)
        proc = loadgen(spec, Path(folder))
        try:
            read_event(proc, "ready")
            after = settled_rss(pid)
            assert proc.stdin is not None
            proc.stdin.write("stop\n")
            proc.stdin.flush()
            read_event(proc, "result")
        finally:
            proc.kill()
            proc.wait(timeout=10)
    figures = {
        "connections": connections,
        "rss_before_mib": before / 1024,
        "rss_after_mib": after / 1024,
        "kib_per_connection": (after - before) / connections,
    }
    return Result(system, f"{connections:,} idle", figures)


# --- the whole run ------------------------------------------------------------------


@dataclass
class Search:
    """One system's capacity search: the best passing rate so far and the first failing one."""

    system: str
    passed: tuple[float, Result] | None = None
    failed: float | None = None

    def record(self, rate: float, result: Result) -> None:
        if result.passed:
            if self.passed is None or rate > self.passed[0]:
                self.passed = (rate, result)
        elif self.failed is None or rate < self.failed:
            self.failed = rate

    def result(self) -> Result:
        if self.passed is None:
            return Result(self.system, "capacity", {"deliveries_per_s": 0, "rate": 0})
        rate, best = self.passed
        return Result(
            self.system, "capacity", dict(best.figures, rate=rate, bounded=not self.failed)
        )


def capacity(
    systems: list[str], starts: dict[str, Result], timing: argparse.Namespace
) -> list[Result]:
    """Double the rate of 100 x 4 until each system fails, then try once between pass and failure.

    The systems step in turn at each rate, so that a disturbance of the
    machine falls on all of them alike rather than on one.
    """
    searches = {system: Search(system) for system in systems}
    for system, start in starts.items():
        searches[system].record(5.0, start)
    rate = 5.0
    while rate * 2 <= MAX_RATE:
        rate *= 2
        going = [s for s in searches.values() if s.failed is None]
        if not going:
            break
        for search in going:
            result = run_load(search.system, Scenario(100, 4, rate, f"100x4x{rate:g}/s"), timing)
            report(result)
            search.record(rate, result)
    for search in searches.values():
        if search.passed is not None and search.failed is not None:
            between = (search.passed[0] + search.failed) / 2
            scenario = Scenario(100, 4, between, f"100x4x{between:g}/s")
            result = run_load(search.system, scenario, timing)
            report(result)
            search.record(between, result)
    return [searches[system].result() for system in systems]


def report(result: Result) -> None:
    f = result.figures
    if "kib_per_connection" in f:
        print(
            f"  {result.system:17} {result.scenario:16} {f['kib_per_connection']:.1f} KiB/conn",
            flush=True,
        )
        return
    p99 = f"{f['p99']:.2f}" if f.get("p99") is not None else "-"
    print(
        f"  {result.system:17} {result.scenario:16} p99 {p99} ms, lost {f['lost']}, "
        f"cpu {f['server_cpu']:.0%} (others {f['neighbours']:.0%})"
        + (f" + Redis {f['redis_cpu']:.0%}" if f.get("redis_cpu") is not None else "")
        + f", gen {f['gen_cpu']:.0%} late p99 {f['late_p99']:.2f} ms"
        + ("" if result.passed else "  (fails)"),
        flush=True,
    )


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def table(results: list[Result]) -> str:
    head = (
        "| system | scenario | deliveries/s | p50 ms | p99 ms | max ms | lost | reordered "
        "| server CPU | RSS MiB | generator CPU | late sends p99 ms |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        f = r.figures
        if "kib_per_connection" in f:
            lines.append(
                f"| {r.system} | {r.scenario} | | | | | | | | "
                f"{f['rss_before_mib']:.0f} -> {f['rss_after_mib']:.0f} "
                f"(**{f['kib_per_connection']:.1f} KiB/conn**) | | |"
            )
            continue
        if r.scenario == "capacity" and not f.get("rate"):
            lines.append(f"| {r.system} | capacity | **< 6,000** | | | | | | | | | |")
            continue
        cpu = f"{f['server_cpu']:.0%}"
        if f.get("redis_cpu") is not None:
            cpu += f" + Redis {f['redis_cpu']:.0%}"
        deliveries = f"{f['deliveries_per_s']:,.0f}"
        if r.scenario == "capacity":
            deliveries = f"**{deliveries}**" + (" (bound)" if f.get("bounded") else "")
        scenario = r.scenario if r.scenario != "capacity" else f"capacity ({f['rate']:g}/s)"
        if f.get("late_p99", 0) > LATE_LIMIT_MS:
            scenario += " (generator late)"
        if f.get("neighbours", 0) > NEIGHBOURS_LIMIT:
            scenario += f" (others used {f['neighbours']:.0%} of the core)"
        lines.append(
            f"| {r.system} | {scenario} | {deliveries} | {ms(f['p50'])} | {ms(f['p99'])} "
            f"| {ms(f['max'])} | {f['lost']} | {f['reordered']} | {cpu} | {f['rss_mib']:.0f} "
            f"| {f['gen_cpu']:.0%} | {ms(f['late_p99'])} |"
        )
    return "\n".join(lines)


def ratios(results: list[Result]) -> list[str]:
    def find(system: str, scenario: str) -> Result | None:
        return next((r for r in results if r.system == system and r.scenario == scenario), None)

    lines = []
    peer_cap = find("y-websocket", "capacity")
    peer_mid = find("y-websocket", "100x4x5/s")
    raw_idle = next(
        (r for r in results if r.system == "raw-websockets" and "idle" in r.scenario), None
    )
    for system in VALUEROOMS:
        cap, mid = find(system, "capacity"), find(system, "100x4x5/s")
        idle = next((r for r in results if r.system == system and "idle" in r.scenario), None)
        if cap and peer_cap and peer_cap.figures["deliveries_per_s"]:
            ratio = cap.figures["deliveries_per_s"] / peer_cap.figures["deliveries_per_s"]
            lines.append(f"- {system}: capacity {ratio:.2f}x y-websocket's (target >= 1)")
        if mid and peer_mid and mid.figures.get("p99") and peer_mid.figures.get("p99"):
            ratio = mid.figures["p99"] / peer_mid.figures["p99"]
            lines.append(f"- {system}: p99 at 100x4x5/s {ratio:.2f}x y-websocket's (target <= 2)")
        if idle and raw_idle:
            a, b = idle.figures["kib_per_connection"], raw_idle.figures["kib_per_connection"]
            lines.append(
                f"- {system}: idle {a:.1f} KiB per connection, {a / b:.2f}x raw websockets' {b:.1f} (target <= 1)"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset")
    parser.add_argument("--quick", action="store_true", help="1 s warm-up, 3 s windows, 500 idle")
    parser.add_argument("--idle", type=int, default=2000, help="idle connections (default 2000)")
    parser.add_argument(
        "--no-install", action="store_true", help="skip npm ci in tests/bench_peers"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="record a py-spy profile (collapsed stacks) of each valueroom run into DIR",
    )
    args = parser.parse_args()
    args.warmup, args.duration, args.drain = (1.0, 3.0, 2.0) if args.quick else (2.0, 5.0, 3.0)
    if args.quick:
        args.idle = min(args.idle, 500)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for system in systems:
        if system not in SYSTEMS + EXTRA:
            parser.error(f"unknown system {system!r}; choose from {', '.join(SYSTEMS + EXTRA)}")
    if (os.cpu_count() or 1) < 2:
        parser.error("needs two CPUs: one for the servers, one for the load generator")
    os.sched_setaffinity(0, {LOAD_CPU})
    if args.profile is not None:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    if not args.no_install:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEERS, check=True
        )
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    # Each scenario runs on every system in turn, so that a disturbance of
    # the shared machine is spread over the systems instead of hitting one.
    ones, mids, idles = {}, {}, {}
    for system in systems:
        ones[system] = run_load(system, Scenario(1, 10, 20, "1x10x20/s"), args)
        report(ones[system])
    for system in systems:
        mids[system] = run_load(system, Scenario(100, 4, 5, "100x4x5/s"), args)
        report(mids[system])
    capacities = dict(zip(systems, capacity(systems, mids, args), strict=True))
    for system in systems:
        idles[system] = run_idle(system, args.idle)
        report(idles[system])
    results: list[Result] = []
    for system in systems:
        results += [ones[system], mids[system], capacities[system], idles[system]]
    print()
    print(table(results))
    print()
    print("\n".join(ratios(results)))
    print()
    print(
        f"machine: {machine()}; {time.monotonic() - began:.0f} s; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )


if __name__ == "__main__":
    main()
