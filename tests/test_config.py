"""Configuration: flags and environment, the console command, the Procfile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from valueroom.config import Settings

REPO = Path(__file__).resolve().parents[1]


def test_defaults_serve_sqlite_on_localhost_8000() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.store_url.startswith("sqlite:///")


def test_redis_url_wins_over_the_store_setting() -> None:
    env = {"REDIS_URL": "redis://cache:6379/0", "VALUEROOM_STORE": "sqlite:///x.db", "PORT": "5123"}
    settings = Settings.from_env(env)
    assert settings.store_url == "redis://cache:6379/0"
    assert settings.port == 5123


def test_allowed_origins_come_comma_separated() -> None:
    settings = Settings.from_env(
        {"VALUEROOM_ALLOWED_ORIGINS": "https://a.example, https://b.example"}
    )
    assert settings.allowed_origins == ("https://a.example", "https://b.example")


def test_serve_help_lists_every_flag() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "valueroom", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for flag in (
        "--host",
        "--port",
        "--store",
        "--public-url",
        "--allow-origin",
        "--idle",
        "--queue",
    ):
        assert flag in out


def test_procfile_serves_on_port_from_the_environment() -> None:
    line = (REPO / "Procfile").read_text().strip()
    assert line.startswith("web: valueroom serve")
    assert "--port $PORT" in line
    assert "--store" not in line  # REDIS_URL, when set, picks the store


def test_the_wheel_build_bundles_exactly_the_vendored_packages() -> None:
    # setup.py reads VENDOR_PACKAGES without importing the app; it must read it right.
    sys.path.insert(0, str(REPO))
    try:
        from setup import vendor_packages
    finally:
        sys.path.remove(str(REPO))
    from valueroom.edge.app import VENDOR_PACKAGES

    assert vendor_packages() == VENDOR_PACKAGES


def test_a_checkout_serves_its_own_client_directory() -> None:
    assert Settings().client_dir == REPO / "client"


def test_the_readme_configuration_table_lists_every_setting() -> None:
    from valueroom.config import OPTIONS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") : readme.index("### Limits")]
    for option in OPTIONS:
        row = next(
            (line for line in table.splitlines() if line.startswith(f"| `{option.flag}` |")), ""
        )
        assert row, option.flag
        for name in option.env:
            assert f"`{name}`" in row, (option.flag, name)


def test_a_bad_setting_in_the_environment_is_refused_before_serving() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "valueroom", "serve", "--members-per-room", "5000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "members per room" in out.stderr
