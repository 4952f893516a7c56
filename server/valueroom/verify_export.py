"""Check a role's history export offline: ``python -m valueroom.verify_export FILE``.

An export (JSON Lines, downloaded from the room's replay view) is a header
line ``{"format": "valueroom-history/1", "room", "log_id", "role", "events",
"chain"}`` followed by one line per event the role saw:
``{"event": {seq, at, actor, op, vis, name, data}, "salt": hex|null, "chain": hex}``.

The procedure (any language can repeat it; see the README):

1. ``r = SHA-256("valueroom/chain/v1|" + log_id + "|" + role)``.
2. For line *k* (1, 2, ...): the event's ``seq`` must be *k*; ``content`` is
   the canonical JSON of ``{"actor", "at", "data", "name", "vis"}`` (sorted
   keys, no spaces, UTF-8, non-ASCII as is); ``leaf = SHA-256(content)`` when
   ``vis`` is 7 (public), else ``SHA-256(bytes(salt) || content)``;
   ``r = SHA-256(r || leaf)`` must equal the line's ``chain``.
3. After the last line, ``r`` must equal the header's ``chain`` and the line
   count its ``events``.

Exit 0 when the export holds, 1 naming the first line where it does not.
Needs nothing but the standard library and this module's sibling ``store.chain``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence

from valueroom.store.chain import canonical_fields, leaf_of, link, role_genesis

__all__ = ["check", "main"]


def check(lines: Iterable[str]) -> tuple[int, str | None]:
    """Check an export's lines; return the number of events and the first problem."""
    rows = iter(lines)
    try:
        header = json.loads(next(rows))
    except (StopIteration, ValueError):
        return 0, "line 1: no header"
    if not isinstance(header, dict) or header.get("format") != "valueroom-history/1":
        return 0, "line 1: not a valueroom history export"
    head = role_genesis(str(header["log_id"]), str(header["role"]))
    count = 0
    for number, text in enumerate(rows, start=1):
        where = f"line {number + 1} (event {number})"
        try:
            row = json.loads(text)
            event = row["event"]
            if event["seq"] != number:
                return count, f"{where}: numbered {event['seq']}, expected {number}"
            content = canonical_fields(
                event["at"], event["actor"], event["vis"], event["name"], event["data"]
            )
            salt = None if row["salt"] is None else bytes.fromhex(row["salt"])
            head = link(head, leaf_of(content, event["vis"], salt))
        except (ValueError, KeyError, TypeError) as exc:
            return count, f"{where}: unreadable ({exc})"
        if head.hex() != row["chain"]:
            return count, f"{where}: the chain does not hold here ({event['name']})"
        count = number
    if count != header.get("events"):
        return count, f"the header promises {header.get('events')} events, the file has {count}"
    if head.hex() != header.get("chain"):
        return count, "the header's chain head does not match the last event"
    return count, None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m valueroom.verify_export FILE", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as file:
        count, problem = check(file)
    if problem is not None:
        print(f"{args[0]}: NOT verified: {problem}")
        return 1
    print(f"{args[0]}: verified, {count} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
