"""loader_options: text parameters parsed into load_returns keyword arguments."""

from __future__ import annotations

import pytest

from cma_research.core.errors import ParameterError
from cma_research.io.options import LOADER_OPTIONS, loader_options


def test_lists_and_aliases_are_parsed() -> None:
    got = loader_options(
        {
            "header_row": 3,
            "sheet": "Returns",
            "encoding": "cp1252",
            "na_values": " NA, -, ,n/a ",
            "aliases": "Headcount=staff; Sector = business_type;",
            "wave_order": "Baseline,Follow-up",
        }
    )
    assert got == {
        "header_row": 3,
        "sheet": "Returns",
        "encoding": "cp1252",
        "na_values": ["NA", "-", "n/a"],
        "aliases": {"Headcount": "staff", "Sector": "business_type"},
        "wave_order": ["Baseline", "Follow-up"],
    }
    assert list(got) == list(LOADER_OPTIONS)


def test_none_and_other_parameters_are_left_out() -> None:
    assert loader_options({"header_row": None, "strategy": "complete_case", "n_boot": 10}) == {}
    assert loader_options({}) == {}


@pytest.mark.parametrize("pair", ["Headcount", "=staff", "Headcount=", "Headcount staff"])
def test_bad_alias_pair_is_named(pair: str) -> None:
    with pytest.raises(
        ParameterError, match=rf"parameter 'aliases': '{pair}' is not 'Header=role'"
    ):
        loader_options({"aliases": f"Sector=business_type; {pair}"})
