"""The installed package serves the app: build the wheel, install it afresh, run the Procfile.

Run by ``.ci/run`` (with the checkout's ``.venv`` Python, after ``npm ci``):

1. ``pip wheel .`` builds the wheel from the checkout, and its contents are
   checked: every subpackage of ``valueroom``, the schema, the client and its
   npm packages.
2. A fresh virtual environment outside the checkout gets ``pip install`` of
   that wheel (and its dependencies, nothing else).
3. The ``web`` command of the ``Procfile`` runs there on a free port, on
   127.0.0.1 (``--host 127.0.0.1`` is appended, the one change), from a
   directory outside the checkout, with no ``PYTHONPATH``: ``/``,
   ``/src/app.js``, a file of every vendored npm package, ``/api/health``
   and ``POST /api/rooms`` must answer; then it is stopped.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from setup import vendor_packages  # noqa: E402  (after the path is set)

START_TIMEOUT = 30.0


def run(*command: str | Path, **kwargs: object) -> None:
    print("   $", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, timeout=600, **kwargs)  # type: ignore[call-overload]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data)
    if data is not None:
        request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def check_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(
        str(path.parent.relative_to(REPO / "server"))
        for path in (REPO / "server" / "valueroom").rglob("__init__.py")
    )
    wanted = [f"{package}/__init__.py" for package in packages]
    wanted += ["shared_schema/schema.json", "valueroom/client/index.html"]
    wanted += [
        "valueroom/client/" + str(path.relative_to(REPO / "client"))
        for path in (REPO / "client" / "src").rglob("*")
        if path.is_file()
    ]
    wanted += [f"valueroom/client/node_modules/{name}/package.json" for name in vendor_packages()]
    missing = [name for name in wanted if name not in names]
    if missing:
        raise SystemExit(f"the wheel lacks {len(missing)} files, e.g. {missing[:5]}")
    print(f"   the wheel holds all {len(wanted)} expected files ({len(packages)} packages)")


def vendor_file(package: str) -> str:
    """A file the package's package.json names as its entry point, as served under /vendor/."""
    manifest = json.loads((REPO / "client" / "node_modules" / package / "package.json").read_text())
    entry = manifest.get("module") or manifest.get("main") or "package.json"
    return f"/vendor/{package}/{entry.removeprefix('./')}"


def serve_and_load(venv: Path, workdir: Path) -> None:
    procfile = (REPO / "Procfile").read_text().splitlines()
    web = next(line.removeprefix("web:").strip() for line in procfile if line.startswith("web:"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "REDIS_URL")}
    env.update(PORT=str(port), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    env["VALUEROOM_STORE"] = f"sqlite:///{workdir / 'valueroom.db'}"
    command = f"exec {web} --host 127.0.0.1"
    print(f"   $ PORT={port} sh -c {shlex.quote(command)}  (in {workdir})", flush=True)
    server = subprocess.Popen(["sh", "-c", command], cwd=workdir, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                fetch(base + "/api/health")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the installed server did not start") from None
                time.sleep(0.1)
        paths = ["/", "/src/app.js", "/api/health", *map(vendor_file, vendor_packages())]
        for path in paths:
            status, body = fetch(base + path)
            if status != 200 or not body:
                raise SystemExit(f"GET {path}: {status}, {len(body)} bytes")
            print(f"   GET {path}: {status}, {len(body)} bytes")
        if b'src="/src/app.js"' not in fetch(base + "/")[1]:
            raise SystemExit("GET / did not serve the client's index.html")
        body = json.dumps({"title": "Wheel check"}).encode()
        status, answer = fetch(base + "/api/rooms", body)
        if status != 201 or "room_id" not in json.loads(answer):
            raise SystemExit(f"POST /api/rooms: {status} {answer!r}")
        print(f"   POST /api/rooms: {status}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="valueroom-wheel-"))
    try:
        dist = work / "dist"
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, REPO)
        (wheel,) = dist.glob("valueroom-*.whl")
        check_contents(wheel)
        venv = work / "venv"
        run(sys.executable, "-m", "venv", venv)
        run(
            venv / "bin" / "python",
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            wheel,
        )
        where = subprocess.run(
            [venv / "bin" / "python", "-c", "import valueroom; print(valueroom.__file__)"],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not where.startswith(str(venv)):
            raise SystemExit(f"valueroom was imported from {where}, not the fresh environment")
        serve_and_load(venv, work)
        print(f"   the installed wheel {wheel.name} serves the app")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
