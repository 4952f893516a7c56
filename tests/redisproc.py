"""A real, throwaway ``redis-server`` for the tests: no persistence, localhost only."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

__all__ = ["RedisServerError", "running_redis"]


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


def _start(binary: str, workdir: Path, port: int, start_timeout: float) -> subprocess.Popen[bytes]:
    command = [
        binary,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--protected-mode", "yes",
        "--daemonize", "no",
        "--dir", str(workdir),
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
    *, binary: str = "redis-server", start_timeout: float = 10.0, stop_timeout: float = 10.0
) -> Iterator[str]:
    """Run ``redis-server`` on a free 127.0.0.1 port; yield its ``redis://`` URL.

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
                process = _start(path, Path(workdir), port, start_timeout)
            except RedisServerError:
                if attempt == attempts - 1:
                    raise
                continue
            break
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            _stop(process, stop_timeout)
