"""Validators compiled from ``shared_schema/schema.json``.

Each named type and each frame shape is compiled once into a plain function
``check(value, path) -> None`` that raises :class:`SchemaViolation` with the
path of the first offending field. Records are closed: a field the schema does
not name is refused, so a client cannot smuggle data past the server.

The browser's ``client/src/schema.js`` interprets the same file with the same
rules; ``tests/test_schema_agreement.py`` feeds both the same frames.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

import shared_schema
from valueroom.domain.rules import Rules

__all__ = [
    "SCHEMA",
    "SchemaViolation",
    "check_client_frame",
    "check_command_args",
    "check_event_data",
    "check_http",
    "check_op_id",
    "check_server_frame",
    "check_server_message",
    "currency_decimals",
    "limit",
    "rules",
]

SCHEMA: dict[str, Any] = shared_schema.load()

Check = Callable[[Any, str], None]


class SchemaViolation(ValueError):
    """A value does not match the schema.

    ``path`` names the field (``args.title``), ``reason`` says what is wrong in
    English, ``key`` says it as a stable id (``schema.too_long``) and
    ``params`` holds the limit it broke, for the browser to say in its language.
    """

    def __init__(
        self, path: str, reason: str, key: str = "schema.invalid", **params: str | int
    ) -> None:
        super().__init__(f"{path or 'frame'}: {reason}")
        self.path = path
        self.reason = reason
        self.key = key
        self.params = {name: str(value) for name, value in params.items()}


# Field names echoed in a path: short, plain, never arbitrary client text.
_SAFE_KEY = re.compile(r"[a-z_]{1,40}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):
        return "bytes"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "map"
    if value is None:
        return "nil"
    return type(value).__name__


class _Compiler:
    def __init__(self, types: Mapping[str, Any]) -> None:
        self._types = types
        self._named: dict[str, Check] = {}

    def named(self, name: str) -> Check:
        if name in self._named:
            return self._named[name]
        check: Check
        if name == "bool":
            check = _check_bool
        elif name == "any":
            check = _check_any
        elif name in self._types:
            # Placeholder first, so that a type may refer to itself.
            self._named[name] = lambda v, p: self._named[name](v, p)
            check = self.spec(self._types[name])
        else:
            raise KeyError(f"schema names unknown type {name!r}")
        self._named[name] = check
        return check

    def type_ref(self, ref: Any) -> Check:
        return self.named(ref) if isinstance(ref, str) else self.spec(ref)

    def spec(self, spec: Mapping[str, Any]) -> Check:
        kind = spec["kind"]
        builder = getattr(self, f"_build_{kind}")
        check: Check = builder(spec)
        return check

    def _build_str(self, spec: Mapping[str, Any]) -> Check:
        lo, hi = spec.get("min", 0), spec["max"]
        pattern = re.compile(spec["pattern"]) if "pattern" in spec else None

        def check(value: Any, path: str) -> None:
            if not isinstance(value, str):
                raise SchemaViolation(
                    path,
                    f"expected a string, got {_type_name(value)}",
                    "schema.wrong_type",
                    expected="string",
                )
            if len(value) < lo:
                raise SchemaViolation(
                    path, f"shorter than {lo} characters", "schema.too_short", min=lo
                )
            if len(value) > hi:
                raise SchemaViolation(
                    path, f"longer than {hi} characters", "schema.too_long", max=hi
                )
            if pattern is not None and pattern.fullmatch(value) is None:
                raise SchemaViolation(
                    path, "has characters that are not allowed", "schema.bad_characters"
                )

        return check

    def _build_int(self, spec: Mapping[str, Any]) -> Check:
        lo, hi = spec["min"], spec["max"]

        def check(value: Any, path: str) -> None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise SchemaViolation(
                    path,
                    f"expected an integer, got {_type_name(value)}",
                    "schema.wrong_type",
                    expected="integer",
                )
            if value < lo or value > hi:
                raise SchemaViolation(
                    path, f"out of range [{lo}, {hi}]", "schema.out_of_range", min=lo, max=hi
                )

        return check

    def _build_enum(self, spec: Mapping[str, Any]) -> Check:
        values = frozenset(spec["values"])

        def check(value: Any, path: str) -> None:
            if not isinstance(value, str) or value not in values:
                raise SchemaViolation(
                    path, "is not one of the allowed values", "schema.not_allowed"
                )

        return check

    def _build_const(self, spec: Mapping[str, Any]) -> Check:
        expected = spec["value"]

        def check(value: Any, path: str) -> None:
            if value != expected:
                raise SchemaViolation(path, f"must be {expected!r}", "schema.not_allowed")

        return check

    def _build_list(self, spec: Mapping[str, Any]) -> Check:
        item = self.type_ref(spec["of"])
        hi = spec["max"]

        def check(value: Any, path: str) -> None:
            if not isinstance(value, list | tuple):
                raise SchemaViolation(
                    path,
                    f"expected a list, got {_type_name(value)}",
                    "schema.wrong_type",
                    expected="list",
                )
            if len(value) > hi:
                raise SchemaViolation(path, f"more than {hi} entries", "schema.too_many", max=hi)
            for index, entry in enumerate(value):
                item(entry, f"{path}[{index}]")

        return check

    def _build_map(self, spec: Mapping[str, Any]) -> Check:
        item = self.type_ref(spec["of"])
        key = self.named("Id")
        hi = spec["max"]

        def check(value: Any, path: str) -> None:
            if not isinstance(value, dict):
                raise SchemaViolation(
                    path,
                    f"expected a map, got {_type_name(value)}",
                    "schema.wrong_type",
                    expected="map",
                )
            if len(value) > hi:
                raise SchemaViolation(path, f"more than {hi} entries", "schema.too_many", max=hi)
            for k, entry in value.items():
                key(k, f"{path}<key>")
                item(entry, _join(path, k))

        return check

    def _build_record(self, spec: Mapping[str, Any]) -> Check:
        return self.fields(spec["fields"])

    def fields(self, fields: Mapping[str, Any], *, extra: frozenset[str] = frozenset()) -> Check:
        compiled = [
            (
                name,
                self.type_ref(field["type"]),
                bool(field.get("optional", False)),
                bool(field.get("nullable", False)),
            )
            for name, field in fields.items()
        ]
        known = frozenset(fields) | extra

        def check(value: Any, path: str) -> None:
            if not isinstance(value, dict):
                raise SchemaViolation(
                    path,
                    f"expected a map, got {_type_name(value)}",
                    "schema.wrong_type",
                    expected="map",
                )
            for key in value:
                if key not in known:
                    shown = key if isinstance(key, str) and _SAFE_KEY.fullmatch(key) else "?"
                    raise SchemaViolation(
                        _join(path, shown), "is not a known field", "schema.unknown_field"
                    )
            for name, field_check, optional, nullable in compiled:
                if name not in value:
                    if optional:
                        continue
                    raise SchemaViolation(_join(path, name), "is missing", "schema.missing")
                entry = value[name]
                if entry is None and nullable:
                    continue
                field_check(entry, _join(path, name))

        return check


def _check_bool(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise SchemaViolation(
            path,
            f"expected a boolean, got {_type_name(value)}",
            "schema.wrong_type",
            expected="boolean",
        )


def _check_any(value: Any, path: str) -> None:
    """Accept any finite plain value; shape is checked by a later, specific validator."""
    if isinstance(value, float) and not math.isfinite(value):
        raise SchemaViolation(
            path, "is not a finite number", "schema.wrong_type", expected="number"
        )


_compiler = _Compiler(SCHEMA["types"])
_TYPE = frozenset({"type"})


def _frames(section: str, *, extra: frozenset[str] = frozenset()) -> dict[str, Check]:
    return {name: _compiler.fields(fields, extra=extra) for name, fields in SCHEMA[section].items()}


_CLIENT = _frames("client", extra=_TYPE)
_SERVER = _frames("server", extra=_TYPE)
_COMMANDS = _frames("commands")
_EVENTS = _frames("events")
_HTTP = _frames("http")


def _dispatch(table: Mapping[str, Check], frame: Any, what: str) -> str:
    if not isinstance(frame, dict):
        raise SchemaViolation(
            "", f"expected a map, got {_type_name(frame)}", "schema.wrong_type", expected="map"
        )
    kind = frame.get("type")
    if not isinstance(kind, str) or kind not in table:
        raise SchemaViolation("type", f"is not a known {what} type", "schema.unknown_type")
    table[kind](frame, "")
    return kind


def check_client_frame(frame: Any) -> str:
    """Validate a client→server frame; return its ``type``."""
    return _dispatch(_CLIENT, frame, "client frame")


def check_server_frame(frame: Any) -> str:
    """Validate a server→client frame (used by tests and debug builds); return its type."""
    kind = _dispatch(_SERVER, frame, "server frame")
    if kind == "event":
        check_event_data(frame["name"], frame["data"])
    elif kind == "history":
        for event in frame["events"]:
            if check_server_frame(event) != "event":
                raise SchemaViolation("events", "a history page holds event frames", "schema.type")
    return kind


def check_server_message(message: Any) -> list[str]:
    """Validate a whole server message: one frame, or a batch (array) of frames."""
    if isinstance(message, list):
        if not 0 < len(message) <= limit("max_batch_frames"):
            raise SchemaViolation(
                "", "a batch holds 1 to max_batch_frames frames", "schema.too_many"
            )
        return [check_server_frame(frame) for frame in message]
    return [check_server_frame(message)]


def check_command_args(name: str, args: Any) -> None:
    """Validate the arguments of command ``name`` (already known to be a command name)."""
    _COMMANDS[name](args, "args")


def check_event_data(name: str, data: Any) -> None:
    _EVENTS[name](data, "data")


def check_http(name: str, body: Any) -> None:
    _HTTP[name](body, "")


_OP_ID = _compiler.named("OpId")


def check_op_id(value: Any) -> bool:
    """True when ``value`` is an op id the schema accepts (so it may be echoed back)."""
    try:
        _OP_ID(value, "op")
    except SchemaViolation:
        return False
    return True


def limit(name: str) -> int:
    value: int = SCHEMA["limits"][name]
    return value


def currency_decimals(currency: str) -> int:
    decimals: int = SCHEMA["currencies"][currency]
    return decimals


@cache
def rules() -> Rules:
    """The core's :class:`Rules`, read from the schema's limits and currencies."""
    return Rules(
        max_items=limit("max_items"),
        max_item_records=limit("max_item_records"),
        max_options=limit("max_options"),
        max_notes=limit("max_notes"),
        max_amount_units=limit("max_amount_units"),
        max_position=SCHEMA["types"]["Position"]["max"],
        currencies=MappingProxyType(dict(SCHEMA["currencies"])),
    )
