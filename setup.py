"""The one build step pyproject.toml cannot say: the browser client goes into the wheel.

``pip install .`` must give a working ``valueroom serve``, so the wheel carries
the client as ``valueroom/client/``: ``client/index.html``, ``client/src/`` and
the npm packages the app serves (``VENDOR_PACKAGES`` in
``server/valueroom/edge/app.py``, copied from ``client/node_modules``, so run
``npm ci`` in ``client/`` first). Build the wheel from the checkout (``pip
install .`` or ``pip wheel .``): ``node_modules`` is not in a source archive.
An editable install (``pip install -e .``) serves the checkout's ``client/``
and copies nothing.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
CLIENT = ROOT / "client"


def vendor_packages() -> tuple[str, ...]:
    """``VENDOR_PACKAGES`` of edge/app.py, read without importing it (the build has no Starlette)."""
    app = ROOT / "server" / "valueroom" / "edge" / "app.py"
    for node in ast.parse(app.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "VENDOR_PACKAGES"
            for target in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise RuntimeError(f"no VENDOR_PACKAGES = (...) assignment in {app}")


class BuildWithClient(build_py):
    """``build_py``, then the client files into ``valueroom/client/`` of the build."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "valueroom" / "client"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copy2(CLIENT / "index.html", target / "index.html")
        shutil.copytree(CLIENT / "src", target / "src")
        for package in vendor_packages():
            source = CLIENT / "node_modules" / package
            if not (source / "package.json").is_file():
                raise SystemExit(
                    f"client/node_modules/{package} is missing: run `npm ci` in client/ "
                    "before building the wheel"
                )
            shutil.copytree(source, target / "node_modules" / package)


if __name__ == "__main__":  # setuptools runs this file as __main__; .ci/check-wheel.py imports it
    setup(cmdclass={"build_py": BuildWithClient})
