"""The canonical encoding the deal sheet's hash is computed over.

It is JSON with nothing left to choice, so anyone can recompute the hash
with a stock JSON library:

* objects with their keys sorted by code point, no whitespace anywhere
  (``","`` and ``":"`` as separators);
* strings as UTF-8, escaping only ``"``, ``\\`` and the control characters
  below U+0020 (``\\b \\f \\n \\r \\t`` in short form, the others as
  ``\\u00xx`` with lower-case hex);
* integers in decimal; ``true``, ``false``, ``null``; no floats (amounts are
  integers in minor units).

This is exactly what Python's ``json.dumps(x, sort_keys=True,
separators=(",", ":"), ensure_ascii=False).encode()`` and JavaScript's
``JSON.stringify`` of a key-sorted copy produce (a test checks the former).
It lives in the core, which may not import ``json``, so the deal sheet's hash
is decided where the signatures are checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["canonical", "digest"]

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        short = _SHORT.get(char)
        if short is not None:
            out.append(short)
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, key in enumerate(sorted(value)):
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
            if index:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for index, element in enumerate(value):
            if index:
                out.append(",")
            _encode(element, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} has no canonical form")


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value`` (dicts, lists, str, int, bool, None)."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def digest(value: Any) -> str:
    """SHA-256 of the UTF-8 canonical text, as 64 lower-case hex digits."""
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()
