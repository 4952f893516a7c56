"""parse_amount and format_units: exact minor units, a small fixed grammar, clear refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valueroom.domain.errors import InvalidFigure
from valueroom.domain.money import MAX_UNITS, format_units, parse_amount

EUR = 2
JPY = 0


@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [
        ("0", EUR, 0),
        ("1", EUR, 100),
        ("1.5", EUR, 150),
        ("1.05", EUR, 105),
        ("0.01", EUR, 1),
        ("1234.50", EUR, 123450),
        ("007", EUR, 700),
        ("120000", EUR, 12_000_000),
        ("  42.10 ", EUR, 4210),
        ("12", JPY, 12),
        ("0", JPY, 0),
        ("1.234", 3, 1234),
        ("9999999999.99", EUR, MAX_UNITS),
        ("999999999999", JPY, MAX_UNITS),
        # 0.1 + 0.2 is where float arithmetic would show.
        ("0.29", EUR, 29),
        ("1.13", EUR, 113),
        ("4.35", EUR, 435),
    ],
)
def test_parse_amount_accepts(text: str, decimals: int, expected: int) -> None:
    result = parse_amount(text, decimals, allow_negative=False)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [
        ("-0.05", EUR, -5),
        ("-1234.50", EUR, -123450),
        ("-7", JPY, -7),
        ("-0", EUR, 0),
        ("-9999999999.99", EUR, -MAX_UNITS),
        ("5", EUR, 500),
    ],
)
def test_parse_amount_accepts_negative_when_allowed(
    text: str, decimals: int, expected: int
) -> None:
    assert parse_amount(text, decimals, allow_negative=True) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "12abc",
        "NaN",
        "nan",
        "-NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        "Inf",
        "1e5",
        "1E5",
        "1.5e2",
        "+5",
        "1,234.50",
        "1.234,50",
        # One canonical format: a decimal comma is the browser's to translate.
        "1234,50",
        "1234,5",
        "-0,05",
        "120,000",
        "1.234.5",
        "1 234",
        "1_000",
        "12.",
        ".5",
        ",5",
        "-",
        "--5",
        "5-",
        "€5",
        "5 EUR",
        "0x10",
        "\u0661\u0662",  # Arabic-Indic digits: Decimal accepts them, we do not.
        "\uff11\uff12",  # fullwidth digits
        "1\n2",
    ],
)
def test_parse_amount_refuses_malformed(text: str) -> None:
    with pytest.raises(InvalidFigure):
        parse_amount(text, EUR, allow_negative=True)


def test_parse_amount_refuses_nan() -> None:
    with pytest.raises(InvalidFigure):
        parse_amount("NaN", EUR, allow_negative=True)


def test_parse_amount_refuses_infinity() -> None:
    for text in ("Infinity", "inf", "-Infinity"):
        with pytest.raises(InvalidFigure):
            parse_amount(text, EUR, allow_negative=True)


def test_parse_amount_refuses_exponent() -> None:
    with pytest.raises(InvalidFigure):
        parse_amount("1e5", EUR, allow_negative=False)


@pytest.mark.parametrize(
    ("text", "decimals"),
    [
        ("1.234", EUR),
        ("0.001", EUR),
        ("1.230", EUR),
        ("0.1", JPY),
        ("12.5", JPY),
        ("12.0", JPY),
        ("1.2345", 3),
    ],
)
def test_parse_amount_refuses_too_many_fraction_digits(text: str, decimals: int) -> None:
    with pytest.raises(InvalidFigure, match=r"decimal places|whole number"):
        parse_amount(text, decimals, allow_negative=True)


@pytest.mark.parametrize("text", ["-1", "-0.05", "-0", "-1234.50"])
def test_parse_amount_refuses_negative_when_not_allowed(text: str) -> None:
    with pytest.raises(InvalidFigure, match="negative"):
        parse_amount(text, EUR, allow_negative=False)


def test_max_units_is_just_under_ten_billion_eur() -> None:
    assert MAX_UNITS == 999_999_999_999


def test_parse_amount_bound_exactly_at_max_is_accepted() -> None:
    assert parse_amount("9999999999.99", EUR, allow_negative=True) == MAX_UNITS
    assert parse_amount("-9999999999.99", EUR, allow_negative=True) == -MAX_UNITS
    assert parse_amount("999999999999", JPY, allow_negative=True) == MAX_UNITS


@pytest.mark.parametrize(
    ("text", "decimals"),
    [
        ("10000000000.00", EUR),
        ("10000000000", EUR),
        ("-10000000000.00", EUR),
        ("1000000000000", JPY),
        ("-1000000000000", JPY),
        ("1" * 5000, EUR),  # longer than int()'s default 4300-digit limit
    ],
)
def test_parse_amount_bound_one_past_max_is_refused(text: str, decimals: int) -> None:
    with pytest.raises(InvalidFigure, match="too large"):
        parse_amount(text, decimals, allow_negative=True)


def test_parse_amount_one_unit_past_max_is_refused() -> None:
    one_past = format_units(MAX_UNITS + 1, EUR)
    assert one_past == "10000000000.00"
    with pytest.raises(InvalidFigure):
        parse_amount(one_past, EUR, allow_negative=False)


@pytest.mark.parametrize(
    "text",
    ["secret-figure-123", "1.234", "-5", "99999999999999", "NaN"],
)
def test_parse_amount_message_names_field_not_input(text: str) -> None:
    with pytest.raises(InvalidFigure) as caught:
        parse_amount(text, EUR, allow_negative=False, field="cost")
    message = caught.value.message
    assert message.startswith("cost ")
    assert text not in message
    assert caught.value.code == "invalid_figure"


def test_parse_amount_default_field_name() -> None:
    with pytest.raises(InvalidFigure, match=r"^amount is empty$"):
        parse_amount("", EUR, allow_negative=False)


def test_parse_amount_rejects_negative_decimals_as_programming_error() -> None:
    with pytest.raises(ValueError, match="decimals"):
        parse_amount("1", -1, allow_negative=False)


@pytest.mark.parametrize(
    ("units", "decimals", "expected"),
    [
        (12345, 2, "123.45"),
        (-5, 2, "-0.05"),
        (7, 0, "7"),
        (-7, 0, "-7"),
        (0, 2, "0.00"),
        (0, 0, "0"),
        (100, 2, "1.00"),
        (-100, 2, "-1.00"),
        (5, 3, "0.005"),
        (MAX_UNITS, 2, "9999999999.99"),
        (-MAX_UNITS, 2, "-9999999999.99"),
    ],
)
def test_format_units(units: int, decimals: int, expected: str) -> None:
    assert format_units(units, decimals) == expected


@given(
    units=st.integers(min_value=-MAX_UNITS, max_value=MAX_UNITS),
    decimals=st.integers(min_value=0, max_value=4),
)
def test_format_then_parse_round_trips(units: int, decimals: int) -> None:
    text = format_units(units, decimals)
    assert parse_amount(text, decimals, allow_negative=True) == units
    if "." in text:
        with pytest.raises(InvalidFigure, match="not a plain number"):
            parse_amount(text.replace(".", ","), decimals, allow_negative=True)
