"""snake_case, format_number and correlation_symbol on known inputs."""

from __future__ import annotations

import pytest

from cma_research.core.text import MINUS, correlation_symbol, format_number, snake_case


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Turnover 2006", "turnover_2006"),
        ("Turnover growth (%)", "turnover_growth"),
        ("Staff No", "staff_no"),
        ("  Business   Type ", "business_type"),
        ("2006", "col_2006"),
        ("1st audit", "col_1st_audit"),
        ("", "col_"),
        ("%", "col_"),
    ],
)
def test_snake_case(text: str, expected: str) -> None:
    assert snake_case(text) == expected
    assert snake_case(text).isidentifier()


def test_format_number() -> None:
    assert MINUS == "\u2212"
    assert format_number(0.5) == "0.50"
    assert format_number(-0.5234, bounded=True) == "\u2212.52"
    assert format_number(0.5234, 3, bounded=True) == ".523"
    assert format_number(-1.5, 1) == "\u22121.5"  # a typographic minus, never a hyphen
    assert format_number(12.345, 1) == "12.3"
    assert format_number(1.0, bounded=True) == "1.00"  # only a leading zero is dropped
    assert format_number(10.25, 0, bounded=True) == "10"
    assert "-" not in format_number(-3.0)


def test_correlation_symbol() -> None:
    assert correlation_symbol("spearman") == "\u03c1"
    assert correlation_symbol("kendall") == "\u03c4"
    assert correlation_symbol("pearson") == "r"
    assert correlation_symbol("unknown") == "r"
