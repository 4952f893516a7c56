"""A role's export as a file: JSON or CSV, rendered from what that role's view holds.

The content comes from :func:`valueroom.domain.agreement.export_content`,
which reads only the exporting role's own view; this module only lays it out.
Amounts are written as decimal strings in the room's currency (``"1200.50"``),
never as floats, so a spreadsheet or a script reads them exactly. A text cell
that a spreadsheet would run as a formula (``=``, ``+``, ``@``, tab or carriage
return first) is written with a leading apostrophe.

CSV layout: one table, one row per fact, with the columns
``section, item_id, title, detail, buyer, seller, amount, note``. Sections:
``room``, ``agreed``, ``split``, ``total``, ``settlement``, ``open``,
``commitment``, ``signature``, and the role's own part: ``own_figures``
(a party: value in ``amount``, cost in ``detail``) or ``sealed_figures``
(the neutral: what it was shown under seal, per party, with the
version as ``party v<version>`` in ``detail``). Uncertain figures add rows
only where there are ranges: ``split_low``/``split_high`` and
``total_low``/``total_high`` (a revealed line at the low and high end of its
figures' ranges, laid out like ``split``), and for a party's own figures
``own_range`` rows, one per end, the end (``value_low``, ``value_high``,
``cost_low``, ``cost_high``) in ``detail`` and the amount in ``amount``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from valueroom.domain.money import format_units

__all__ = ["COLUMNS", "render"]

# A cell a spreadsheet would run as a formula (CSV injection): titles, notes
# and comments are people's text, so such a cell gets a leading apostrophe.
_FORMULA_START = ("=", "+", "@", "\t", "\r")

COLUMNS = ("section", "item_id", "title", "detail", "buyer", "seller", "amount", "note")


def _money(units: int | None, decimals: int) -> str:
    return "" if units is None else format_units(units, decimals)


def _json(content: dict[str, Any]) -> str:
    return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _rows(content: dict[str, Any], decimals: int) -> list[list[str]]:
    sheet = content["deal_sheet"]
    room = sheet["room"]
    rows: list[list[str]] = [
        [
            "room",
            room["id"],
            room["title"],
            room["currency"],
            room["buyer_org"],
            room["seller_org"],
            "",
            "neutral" if room["neutral"] else "",
        ],
        ["hash", "", "", content["hash"], "", "", "", ""],
    ]
    for entry in sheet["agreed"]:
        option = entry["option"]["label"] if entry["option"] else ""
        rows.append(
            ["agreed", entry["item_id"], entry["title"], option, "", "", "", entry["description"]]
        )
    for key in ("lines", "total"):
        lines = sheet["split"]["lines"] if key == "lines" else [sheet["split"]["total"]]
        for line in lines:
            if line is None:
                continue
            section = "split" if key == "lines" else "total"
            ends = [(section, line)]
            if "low" in line:
                ends += [(f"{section}_{end}", line[end]) for end in ("low", "high")]
            for name, at in ends:
                rows.append(
                    [
                        name,
                        line["item_id"],
                        line["title"],
                        "under seal" if line["sealed"] else "transfer to",
                        _money(at["transfer"]["buyer"], decimals),
                        _money(at["transfer"]["seller"], decimals),
                        _money(at["net"], decimals),
                        "",
                    ]
                )
    settlement = sheet["settlement"]
    payer, payee = settlement["payer"], settlement["payee"]
    detail = f"{payer} pays {payee}" if payer else "no transfer"
    rows.append(["settlement", "", "", detail, "", "", _money(settlement["amount"], decimals), ""])
    for entry in sheet["open"]:
        rows.append(
            [
                "open",
                entry["item_id"],
                entry["title"],
                "parked" if entry["parked"] else "",
                "",
                "",
                "",
                "",
            ]
        )
    for c in sheet["commitments"]:
        rows.append(
            [
                "commitment",
                c["item_id"] or "",
                c["what"],
                c["who"],
                c["due"] or "",
                c["status"],
                "",
                c["comment"],
            ]
        )
    for role, signature in sorted(content["signatures"].items()):
        rows.append(["signature", "", signature["name"], role, "", "", "", signature["hash"]])
    for entry in content.get("own_figures", []):
        rows.append(
            [
                "own_figures",
                entry["item_id"],
                entry["title"],
                _money(entry["cost"], decimals),
                "",
                "",
                _money(entry["value"], decimals),
                entry["note"],
            ]
        )
        for end, units in entry.get("range", {}).items():
            rows.append(
                [
                    "own_range",
                    entry["item_id"],
                    entry["title"],
                    end,
                    "",
                    "",
                    _money(units, decimals),
                    "",
                ]
            )
    for entry in content.get("sealed_figures", []):
        rows.append(
            [
                "sealed_figures",
                entry["item_id"],
                entry["title"],
                f"{entry['party']} v{entry['version']}",
                _money(entry["value"], decimals),
                _money(entry["cost"], decimals),
                entry["status"],
                entry["comment"],
            ]
        )
    return rows


def _safe(cell: str) -> str:
    """A cell as text a spreadsheet shows and never runs; amounts pass as they are."""
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell


def render(content: dict[str, Any], fmt: str, decimals: int) -> str:
    """The export file's text: ``fmt`` is ``json`` or ``csv``."""
    if fmt == "json":
        return _json(content)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([_safe(cell) for cell in row] for row in _rows(content, decimals))
    return out.getvalue()
