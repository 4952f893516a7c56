"""A real, throwaway ``redis-server`` for the tests: no persistence, localhost only."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import redis

__all__ = ["RedisServerError", "running_redis", "running_redis_cluster"]


class RedisServerError(RuntimeError):
    """redis-server is missing, or did not start answering in time."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start(
    binary: str, workdir: Path, port: int, start_timeout: float, extra: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    command = [
        binary,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--protected-mode", "yes",
        "--daemonize", "no",
        "--dir", str(workdir),
        *extra,
    ]  # fmt: skip
    logfile = workdir / f"redis-{port}.log"
    with logfile.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + start_timeout
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process, timeout=5)
            raise RedisServerError(
                f"redis-server on port {port} did not answer PING within {start_timeout}s "
                f"(exit code {process.returncode}); its log:\n{logfile.read_text(errors='replace')}"
            )
        time.sleep(0.02)
    return process


@contextlib.contextmanager
def running_redis(
    *,
    binary: str = "redis-server",
    start_timeout: float = 10.0,
    stop_timeout: float = 10.0,
    extra: Sequence[str] = (),
) -> Iterator[str]:
    """Run ``redis-server`` on a free 127.0.0.1 port; yield its ``redis://`` URL.

    ``extra`` arguments go to ``redis-server`` after the defaults (and win).

    The server is stopped (terminated, killed after ``stop_timeout``) on exit.
    Raises RedisServerError if the binary is missing or never answers PING.
    """
    path = shutil.which(binary)
    if path is None:
        raise RedisServerError(
            f"{binary!r} is not on PATH: install Redis (Debian: apt-get install redis-server)"
        )
    with tempfile.TemporaryDirectory(prefix="valueroom-redis-") as workdir:
        # Another process can take the free port between our probe and the
        # server's bind, so a failed start is tried again on a new port.
        attempts = 3
        for attempt in range(attempts):
            port = _free_port()
            try:
                process = _start(path, Path(workdir), port, start_timeout, extra)
            except RedisServerError:
                if attempt == attempts - 1:
                    raise
                continue
            break
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            _stop(process, stop_timeout)


def _cluster_ok(port: int) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5)
    try:
        info = client.execute_command("CLUSTER", "INFO")  # type: ignore[no-untyped-call]
        text = info.decode() if isinstance(info, bytes) else str(info)
        return "cluster_state:ok" in text
    except redis.RedisError:
        return False
    finally:
        client.close()


@contextlib.contextmanager
def running_redis_cluster(
    *,
    nodes: int = 3,
    binary: str = "redis-server",
    cli: str = "redis-cli",
    start_timeout: float = 30.0,
    stop_timeout: float = 10.0,
) -> Iterator[str]:
    """Run a Redis Cluster of ``nodes`` primaries on free 127.0.0.1 ports.

    Each node is ``redis-server --cluster-enabled yes`` (no persistence, its
    cluster bus on a free port of its own); ``redis-cli --cluster create``
    then spreads the 16,384 slots over them. Yields a ``redis+cluster://``
    URL naming the first node (a client finds the others through it).
    Every node is stopped on exit.
    """
    path, cli_path = shutil.which(binary), shutil.which(cli)
    if path is None or cli_path is None:
        raise RedisServerError(
            f"{binary!r} and {cli!r} must be on PATH: install Redis (Debian: apt-get install redis-server)"
        )
    with (
        tempfile.TemporaryDirectory(prefix="valueroom-cluster-") as workdir,
        contextlib.ExitStack() as stack,
    ):
        ports: list[int] = []
        for _ in range(nodes):
            port, bus = _free_port(), _free_port()
            process = _start(
                path,
                Path(workdir),
                port,
                start_timeout,
                extra=[
                    "--cluster-enabled", "yes",
                    "--cluster-port", str(bus),
                    "--cluster-config-file", f"nodes-{port}.conf",
                    "--cluster-node-timeout", "5000",
                ],
            )  # fmt: skip
            stack.callback(_stop, process, stop_timeout)
            ports.append(port)
        create = [cli_path, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports)]
        create += ["--cluster-replicas", "0", "--cluster-yes"]
        done = subprocess.run(create, capture_output=True, text=True, timeout=start_timeout)
        if done.returncode != 0:
            raise RedisServerError(
                f"redis-cli --cluster create failed:\n{done.stdout}{done.stderr}"
            )
        deadline = time.monotonic() + start_timeout
        while not all(_cluster_ok(port) for port in ports):
            if time.monotonic() > deadline:
                raise RedisServerError(f"the cluster on {ports} did not reach cluster_state:ok")
            time.sleep(0.05)
        yield f"redis+cluster://127.0.0.1:{ports[0]}"
