"""Every refusal the core can give has a text in both of the browser's languages, and the
two dictionaries have the same keys (phases included)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from valueroom.domain.method import PHASE_IDS

REPO = Path(__file__).resolve().parents[1]
DOMAIN = REPO / "server" / "valueroom" / "domain"
SERVER = REPO / "server" / "valueroom"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")

SCRIPT = """
const [en, nl] = await Promise.all([
  import(process.argv[1] + "/client/src/lang/en.js"),
  import(process.argv[1] + "/client/src/lang/nl.js"),
]);
process.stdout.write(JSON.stringify({en: Object.keys(en.en), nl: Object.keys(nl.nl)}));
"""


def dictionaries() -> dict[str, set[str]]:
    out = subprocess.run(
        ["node", "--input-type=module", "-e", SCRIPT, str(REPO)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    keys: dict[str, list[str]] = json.loads(out.stdout)
    return {lang: set(found) for lang, found in keys.items()}


def domain_reasons() -> set[str]:
    found: set[str] = set()
    for path in DOMAIN.rglob("*.py"):
        found.update(re.findall(r'reason="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    return found


def test_both_languages_have_the_same_keys() -> None:
    keys = dictionaries()
    assert keys["en"] == keys["nl"]


def test_every_domain_refusal_has_a_text_in_both_languages() -> None:
    reasons = domain_reasons()
    assert {"permission.role", "agenda.locked", "seal.own_only"} <= reasons
    for lang, keys in dictionaries().items():
        missing = sorted(r for r in reasons if f"reason.{r}" not in keys)
        assert not missing, f"{lang}: no text for {missing}"


def server_reasons() -> set[str]:
    """Every reason key the server outside the core can send."""
    reasons: set[str] = set()
    for path in SERVER.rglob("*.py"):
        if DOMAIN not in path.parents:
            reasons.update(re.findall(r'reason="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    return reasons


def test_every_edge_refusal_has_a_text_in_both_languages() -> None:
    reasons = server_reasons()
    assert {"rate.limited", "join.room_full", "join.link_full"} <= reasons
    for lang, keys in dictionaries().items():
        missing = sorted(r for r in reasons if f"reason.{r}" not in keys)
        assert not missing, f"{lang}: no text for {missing}"
        for code in ("rate_limited", "room_full"):
            assert f"error.{code}" in keys, (lang, code)


def test_every_phase_has_a_name_and_a_purpose() -> None:
    for lang, keys in dictionaries().items():
        for phase in PHASE_IDS:
            assert {f"phase.{phase}.name", f"phase.{phase}.purpose"} <= keys, (lang, phase)
