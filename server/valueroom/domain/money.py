"""Exact money: user-typed amounts to integer minor units and back.

Promises:

- No float is ever involved. ``parse_amount`` reads the text with
  :class:`decimal.Decimal` and returns an ``int`` of minor units (cents for
  EUR, yen for JPY); ``format_units`` prints such an ``int`` back exactly.
- The accepted grammar is one canonical format, the same in every language:
  an optional leading ``-`` (only when the caller allows negatives), one or
  more ASCII digits, and optionally a decimal point ``.`` followed by one or
  more ASCII digits. Whitespace around the amount is ignored. Everything else
  is refused with reason ``figure.not_a_number``: a decimal comma,
  thousands separators, inner spaces, ``+``, exponents, ``NaN``,
  ``Infinity``, non-ASCII digits, a bare separator (``"12."``, ``".5"``).
  Reading amounts the way people type them ("1.234,56" on a Dutch page,
  "1,234.56" on an English one) is the browser's job
  (``client/src/amounts.js``), which always sends this canonical form: the
  server cannot know which language the typist meant, and "120.000" means
  different amounts in the two.
- An amount never carries more fraction digits than the currency has
  (``"1.234"`` is refused for EUR, ``"12.5"`` and ``"12.0"`` for JPY): the
  user typed a precision the currency cannot hold, and silently rounding
  money is worse than asking again.
- ``|units| <= MAX_UNITS`` for every accepted amount.
- Every refusal raises :class:`~valueroom.domain.errors.InvalidFigure` whose
  message names only the field (``"value"``, ``"cost"``, ...), never the text
  that was typed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from valueroom.domain.errors import InvalidFigure
from valueroom.domain.rules import Rules

__all__ = ["MAX_UNITS", "format_units", "parse_amount"]

MAX_UNITS: Final = Rules().max_amount_units
"""Largest absolute amount, in minor units, that any figure may hold by default.

For a two-decimal currency that is 9,999,999,999.99 (just under ten billion
EUR); for JPY it is 999,999,999,999 yen. It is ``limits.max_amount_units`` of
``shared_schema/schema.json``, which the rooms pass in as
:attr:`Rules.max_amount_units`. It keeps every figure, and every sum of
figures over a room's bounded agenda, far inside the 2**53 range that a
JavaScript client can hold exactly.
"""

# [0-9] rather than \d: \d also matches Arabic-Indic and other Unicode digits,
# which Decimal would happily accept.
_AMOUNT: Final = re.compile(r"(?P<sign>-?)(?P<whole>[0-9]+)(?:\.(?P<fraction>[0-9]+))?")


def parse_amount(
    text: str,
    decimals: int,
    *,
    allow_negative: bool,
    field: str = "amount",
    max_units: int = MAX_UNITS,
) -> int:
    """Convert a user-typed decimal amount to integer minor units, exactly.

    ``decimals`` is the currency's number of minor-unit digits (2 for EUR,
    0 for JPY). ``field`` names the figure in refusal messages.

    >>> parse_amount("1234.50", 2, allow_negative=False)
    123450
    >>> parse_amount("-0.05", 2, allow_negative=True)
    -5

    Raises :class:`InvalidFigure` for anything outside the grammar in the
    module docstring, for a negative amount when ``allow_negative`` is false
    (``"-0"`` included: the user typed a sign that is not allowed), for more
    fraction digits than ``decimals``, and for an absolute value above
    :data:`MAX_UNITS` (or ``max_units``). Raises :class:`ValueError` if ``decimals`` is negative,
    which is a programming error rather than bad input.
    """
    if decimals < 0:
        raise ValueError("decimals must not be negative")
    stripped = text.strip()
    if not stripped:
        raise InvalidFigure(f"{field} is empty", reason="figure.empty", field=field)
    match = _AMOUNT.fullmatch(stripped)
    if match is None:
        raise InvalidFigure(
            f"{field} is not a plain number: use digits with at most one '.' as the "
            "decimal point and no thousands separators",
            reason="figure.not_a_number",
            field=field,
        )
    if match["sign"] and not allow_negative:
        raise InvalidFigure(f"{field} must not be negative", reason="figure.negative", field=field)
    fraction = match["fraction"] or ""
    if len(fraction) > decimals:
        if decimals == 0:
            raise InvalidFigure(
                f"{field} must be a whole number in this currency",
                reason="figure.whole_number",
                field=field,
            )
        raise InvalidFigure(
            f"{field} has more than {decimals} decimal places",
            reason="figure.too_many_decimals",
            field=field,
            params={"decimals": decimals},
        )
    # Compare before scaling: the comparison is exact at any size, whereas
    # scaling a huge Decimal would round under the default 28-digit context.
    amount = Decimal(f"{match['sign']}{match['whole']}.{fraction or '0'}")
    limit = Decimal(max_units).scaleb(-decimals)
    if abs(amount) > limit:
        largest = format_units(max_units, decimals)
        raise InvalidFigure(
            f"{field} is too large: at most {largest}",
            reason="figure.too_large",
            field=field,
            params={"max": largest},
        )
    # Exact: the two checks above leave an integer of at most 12 digits.
    return int(amount.scaleb(decimals))


def format_units(units: int, decimals: int) -> str:
    """Print integer minor units as a plain decimal string, exactly.

    Always ``decimals`` fraction digits, ``.`` as separator, no thousands
    separators, ``-`` only for negative amounts: ``(12345, 2) -> "123.45"``,
    ``(-5, 2) -> "-0.05"``, ``(7, 0) -> "7"``. The output parses back to
    ``units`` with :func:`parse_amount` whenever ``|units| <= MAX_UNITS``.
    """
    if decimals < 0:
        raise ValueError("decimals must not be negative")
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**decimals)
    if decimals == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{decimals}d}"
