"""Facts the core holds and the shared schema states must agree, so each has one source.

The core does not read the schema (it does no I/O); the rooms hand it
:class:`Rules` read from the schema. These tests fail if the two drift apart.
"""

from __future__ import annotations

from pathlib import Path

from valueroom.domain import permissions
from valueroom.domain.commands import HANDLERS
from valueroom.domain.commands.seal import ACCESS_WAYS
from valueroom.domain.method import PHASE_IDS, PHASES, RELATIONSHIP_MODELS
from valueroom.domain.money import MAX_UNITS
from valueroom.domain.rules import Rules
from valueroom.domain.state import (
    EVENT_NAMES,
    KEPT_ACCESS,
    KEPT_MESSAGES,
    KEPT_PULSES,
    KEPT_REVISIONS,
)
from valueroom.domain.visibility import PARTIES, ROLES
from valueroom.protocol.schema import SCHEMA, rules

REPO = Path(__file__).resolve().parents[1]


def test_rules_are_read_from_the_schema_limits_and_currencies() -> None:
    read = rules()
    assert read.max_items == SCHEMA["limits"]["max_items"]
    assert read.max_options == SCHEMA["limits"]["max_options"]
    assert read.max_notes == SCHEMA["limits"]["max_notes"]
    assert read.max_amount_units == SCHEMA["limits"]["max_amount_units"]
    assert read.max_position == SCHEMA["types"]["Position"]["max"]
    assert dict(read.currencies) == SCHEMA["currencies"]


def test_core_default_rules_equal_the_schema_rules() -> None:
    default, read = Rules(), rules()
    assert (
        default.max_items,
        default.max_options,
        default.max_notes,
        default.max_amount_units,
        default.max_position,
    ) == (
        read.max_items,
        read.max_options,
        read.max_notes,
        read.max_amount_units,
        read.max_position,
    )
    assert dict(default.currencies) == dict(read.currencies)
    assert read.max_amount_units == MAX_UNITS


def test_roles_and_parties_are_the_schema_enums() -> None:
    assert list(ROLES) == SCHEMA["types"]["Role"]["values"]
    assert list(PARTIES) == SCHEMA["types"]["Party"]["values"]


def test_schema_amount_bounds_equal_the_figure_limit() -> None:
    units = SCHEMA["types"]["Units"]
    assert units["max"] == -units["min"] == rules().max_amount_units


def test_relationship_models_fit_the_option_limits() -> None:
    assert len(RELATIONSHIP_MODELS) <= rules().max_options
    assert len({m["id"] for m in RELATIONSHIP_MODELS}) == len(RELATIONSHIP_MODELS)


def test_phases_are_the_schema_enum_in_the_methods_order() -> None:
    assert list(PHASE_IDS) == SCHEMA["types"]["Phase"]["values"]
    assert [p["id"] for p in PHASES] == list(PHASE_IDS)


def test_commands_events_and_permissions_name_the_same_things_as_the_schema() -> None:
    commands = SCHEMA["types"]["CommandName"]["values"]
    assert list(permissions.COMMANDS) == commands == list(SCHEMA["commands"])
    assert set(HANDLERS) == set(commands)
    events = SCHEMA["types"]["EventName"]["values"]
    assert set(EVENT_NAMES) == set(events) == set(SCHEMA["events"])
    assert list(ACCESS_WAYS) == SCHEMA["types"]["AccessWay"]["values"]


def test_kept_histories_equal_the_schema_limits_and_list_bounds() -> None:
    limits, types = SCHEMA["limits"], SCHEMA["types"]
    assert (
        limits["kept_revisions"],
        limits["kept_messages"],
        limits["kept_access"],
    ) == (KEPT_REVISIONS, KEPT_MESSAGES, KEPT_ACCESS)
    assert types["Item"]["fields"]["revisions"]["type"]["max"] == KEPT_REVISIONS
    assert types["Caucus"]["fields"]["messages"]["type"]["max"] == KEPT_MESSAGES
    assert types["View"]["fields"]["access"]["type"]["of"]["max"] == KEPT_ACCESS
    assert limits["kept_pulses"] == KEPT_PULSES
    assert types["Guide"]["fields"]["pulses"]["type"]["max"] == KEPT_PULSES
    assert Rules().max_item_records == rules().max_item_records == limits["max_item_records"]
    guide = (REPO / "client" / "src" / "guide-model.js").read_text()
    assert f"export const KEPT_PULSES = {KEPT_PULSES};" in guide
    # The browser's fold keeps the same (client/src/model.js).
    model = (REPO / "client" / "src" / "model.js").read_text()
    assert (
        f"export const KEPT = {{ revisions: {KEPT_REVISIONS}, messages: {KEPT_MESSAGES}, "
        f"access: {KEPT_ACCESS} }};" in model
    )
